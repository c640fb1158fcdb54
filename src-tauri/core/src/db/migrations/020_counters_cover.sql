-- The counters report on a shop file: the time index also holds each bill's counter, so
-- a range's bills are grouped per (counter, customer) from the index alone. Reading each
-- bill's row for its counter took 5 of the 6.5 s a year's bills took at 1M customers.
DROP INDEX purchases_at;
CREATE INDEX purchases_at ON purchases(at, customer_id, total_minor, counter);
