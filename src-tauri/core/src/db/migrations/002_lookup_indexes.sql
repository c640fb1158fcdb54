-- Codes are matched case-insensitively, so their indexes must be NOCASE to be used;
-- REF lookups also reach archived customers, so phone and code need full indexes.
DROP INDEX customers_code_active;
CREATE UNIQUE INDEX customers_code_active ON customers(code COLLATE NOCASE)
    WHERE code IS NOT NULL AND archived_at IS NULL;
CREATE INDEX customers_code ON customers(code COLLATE NOCASE) WHERE code IS NOT NULL;
CREATE INDEX customers_phone ON customers(phone);
