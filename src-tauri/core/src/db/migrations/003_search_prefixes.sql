-- Prefix indexes for every length a cashier types (1 to 6 letters covers Vietnamese
-- syllables): a prefix length outside the index makes FTS5 merge whole doclists, about
-- 25 ms on 1M customers instead of under 1 ms.
CREATE VIRTUAL TABLE customer_search_new USING fts5(
    name_fold, name_marked,
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '1 2 3 4 5 6'
);
INSERT INTO customer_search_new (rowid, name_fold, name_marked)
    SELECT rowid, name_fold, name_marked FROM customer_search;
DROP TABLE customer_search;
ALTER TABLE customer_search_new RENAME TO customer_search;
