-- The customers list sorted by last visit walks this index and stops at its page; the
-- index from 006 orders equal visits by visit count, not by id as the list does, so the
-- list had to sort every customer (issue 17).
CREATE INDEX customers_last_visit ON customers(last_purchase_at);
