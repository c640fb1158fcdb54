-- Merging duplicates: the ledger stays append-only, except that an entry may be re-parented
-- to the customer it was merged into; the merged customer points at the one kept.
DROP TRIGGER points_ledger_append_only_update;
CREATE TRIGGER points_ledger_append_only_update BEFORE UPDATE ON points_ledger
WHEN NEW.id IS NOT OLD.id OR NEW.kind IS NOT OLD.kind OR NEW.points IS NOT OLD.points
  OR NEW.at IS NOT OLD.at OR NEW.purchase_id IS NOT OLD.purchase_id
  OR NEW.refund_id IS NOT OLD.refund_id OR NEW.staff IS NOT OLD.staff
  OR NEW.reason IS NOT OLD.reason OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'the points ledger is append-only');
END;

ALTER TABLE customers ADD COLUMN merged_into INTEGER REFERENCES customers(id);
CREATE INDEX customers_merged_into ON customers(merged_into) WHERE merged_into IS NOT NULL;
