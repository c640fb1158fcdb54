-- Every purchase reads its customer's bills and points by (customer, time), and the reports
-- read every bill by customer. With the amounts (and the bill's staff) in these indexes
-- those reads never visit the tables: no random table page per old bill at the counter, and
-- the reports get their rows already grouped by customer instead of sorting five million
-- of them (issue 17). `id` keeps equal times in the order they were recorded.
DROP INDEX purchases_customer_at;
CREATE INDEX purchases_customer_at ON purchases(customer_id, at, id, total_minor, staff);
DROP INDEX points_ledger_customer;
CREATE INDEX points_ledger_customer ON points_ledger(customer_id, at, id, points);
