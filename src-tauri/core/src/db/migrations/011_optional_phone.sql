-- A customer may have no phone (a walk-in regular known by name or card code): phone and
-- phone_rev lose NOT NULL. SQLite cannot drop a constraint, so the table is rebuilt (the
-- runner turns foreign keys off around migrations and checks them before committing).
-- Uniqueness still holds for the phones and codes that exist: NULLs never collide.
CREATE TABLE customers_new (
    id          INTEGER PRIMARY KEY,
    code        TEXT,
    name        TEXT NOT NULL,
    name_fold   TEXT NOT NULL,
    -- normalised; NULL when the shop knows no number
    phone       TEXT,
    -- reversed digits: a phone-suffix search is an indexed prefix range
    phone_rev   TEXT,
    birthday    TEXT,
    gender      TEXT,
    email       TEXT,
    address     TEXT,
    note        TEXT,
    referred_by INTEGER REFERENCES customers(id),
    source      TEXT NOT NULL DEFAULT 'walk_in',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    archived_at INTEGER,
    -- kept in step with purchases in the same transaction, so lists sort on an index
    visits            INTEGER NOT NULL DEFAULT 0,
    total_minor       INTEGER NOT NULL DEFAULT 0,
    first_purchase_at INTEGER,
    last_purchase_at  INTEGER,
    merged_into INTEGER REFERENCES customers(id),
    details_confirmed_at INTEGER,
    CHECK ((phone IS NULL) = (phone_rev IS NULL))
) STRICT;
INSERT INTO customers_new (id, code, name, name_fold, phone, phone_rev, birthday, gender, email,
        address, note, referred_by, source, created_at, updated_at, archived_at, visits,
        total_minor, first_purchase_at, last_purchase_at, merged_into, details_confirmed_at)
    SELECT id, code, name, name_fold, phone, phone_rev, birthday, gender, email,
        address, note, referred_by, source, created_at, updated_at, archived_at, visits,
        total_minor, first_purchase_at, last_purchase_at, merged_into, details_confirmed_at
    FROM customers;
DROP TABLE customers;
ALTER TABLE customers_new RENAME TO customers;
CREATE UNIQUE INDEX customers_phone_active ON customers(phone)
    WHERE phone IS NOT NULL AND archived_at IS NULL;
CREATE UNIQUE INDEX customers_code_active ON customers(code COLLATE NOCASE)
    WHERE code IS NOT NULL AND archived_at IS NULL;
CREATE INDEX customers_code ON customers(code COLLATE NOCASE) WHERE code IS NOT NULL;
CREATE INDEX customers_phone ON customers(phone);
CREATE INDEX customers_phone_rev ON customers(phone_rev);
CREATE INDEX customers_name_fold ON customers(name_fold);
CREATE INDEX customers_total ON customers(total_minor);
CREATE INDEX customers_visits ON customers(visits);
CREATE INDEX customers_referred_by ON customers(referred_by);
CREATE INDEX customers_merged_into ON customers(merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX customers_details_confirmed ON customers(COALESCE(details_confirmed_at, created_at))
    WHERE archived_at IS NULL;
CREATE INDEX customers_first_purchase ON customers(first_purchase_at);
CREATE INDEX customers_birthday_md ON customers(substr(birthday, -5))
    WHERE birthday IS NOT NULL AND archived_at IS NULL;
CREATE INDEX customers_last_purchase ON customers(last_purchase_at, visits, first_purchase_at, archived_at);
