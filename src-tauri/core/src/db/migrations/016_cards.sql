-- Loyalty cards: a card number per customer, typed or scanned at the counter as an exact
-- match. Unique over every customer, archived ones included: a card is never given twice.
ALTER TABLE customers ADD COLUMN card_no TEXT;
CREATE UNIQUE INDEX customers_card_no ON customers(card_no) WHERE card_no IS NOT NULL;
