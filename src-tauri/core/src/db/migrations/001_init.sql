CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    code        TEXT,
    name        TEXT NOT NULL,
    name_fold   TEXT NOT NULL,
    phone       TEXT NOT NULL,
    -- reversed digits: a phone-suffix search is an indexed prefix range
    phone_rev   TEXT NOT NULL,
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
    last_purchase_at  INTEGER
) STRICT;
CREATE UNIQUE INDEX customers_phone_active ON customers(phone) WHERE archived_at IS NULL;
CREATE UNIQUE INDEX customers_code_active ON customers(code) WHERE code IS NOT NULL AND archived_at IS NULL;
CREATE INDEX customers_phone_rev ON customers(phone_rev);
CREATE INDEX customers_name_fold ON customers(name_fold);
CREATE INDEX customers_last_purchase ON customers(last_purchase_at);
CREATE INDEX customers_total ON customers(total_minor);
CREATE INDEX customers_visits ON customers(visits);
CREATE INDEX customers_referred_by ON customers(referred_by);

CREATE TABLE customer_tags (
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    tag         TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
) STRICT, WITHOUT ROWID;
CREATE INDEX customer_tags_tag ON customer_tags(tag, customer_id);

-- rowid = customers.id; folded name, and lowercased name with its marks for ranking
CREATE VIRTUAL TABLE customer_search USING fts5(
    name_fold, name_marked,
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '2 3'
);

CREATE TABLE purchases (
    id             INTEGER PRIMARY KEY,
    client_id      TEXT UNIQUE,
    customer_id    INTEGER NOT NULL REFERENCES customers(id),
    at             INTEGER NOT NULL,
    total_minor    INTEGER NOT NULL CHECK (total_minor >= 0),
    payment_method TEXT NOT NULL,
    note           TEXT,
    staff          TEXT,
    created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX purchases_customer_at ON purchases(customer_id, at);
CREATE INDEX purchases_at ON purchases(at);

CREATE TABLE purchase_items (
    id               INTEGER PRIMARY KEY,
    purchase_id      INTEGER NOT NULL REFERENCES purchases(id),
    product          TEXT NOT NULL,
    quantity         TEXT NOT NULL,
    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    line_total_minor INTEGER NOT NULL CHECK (line_total_minor >= 0),
    warranty_months  INTEGER
) STRICT;
CREATE INDEX purchase_items_purchase ON purchase_items(purchase_id);
