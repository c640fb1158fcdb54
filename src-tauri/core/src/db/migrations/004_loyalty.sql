-- Loyalty: an append-only points ledger (the balance is its sum), refunds, tiers and the
-- record of every tier move.
CREATE TABLE tiers (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    threshold_minor INTEGER NOT NULL CHECK (threshold_minor >= 0),
    multiplier      TEXT NOT NULL
) STRICT;
-- Vietnamese defaults in đồng; an owner on another currency sets their own.
INSERT INTO tiers (name, threshold_minor, multiplier) VALUES
    ('Thành viên', 0, '1'),
    ('Bạc', 3000000, '1.2'),
    ('Vàng', 10000000, '1.5'),
    ('Kim cương', 30000000, '2');

CREATE TABLE refunds (
    id           INTEGER PRIMARY KEY,
    purchase_id  INTEGER NOT NULL REFERENCES purchases(id),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    at           INTEGER NOT NULL,
    staff        TEXT,
    -- points that should have been reversed but were not, to keep the balance >= 0
    shortfall    INTEGER NOT NULL DEFAULT 0 CHECK (shortfall >= 0)
) STRICT;
CREATE INDEX refunds_purchase ON refunds(purchase_id);

CREATE TABLE points_ledger (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    kind        TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'expire', 'refund', 'bonus', 'adjust')),
    points      INTEGER NOT NULL CHECK (points <> 0),
    at          INTEGER NOT NULL,
    purchase_id INTEGER REFERENCES purchases(id),
    refund_id   INTEGER REFERENCES refunds(id),
    staff       TEXT,
    reason      TEXT,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX points_ledger_customer ON points_ledger(customer_id, at);
CREATE INDEX points_ledger_purchase ON points_ledger(purchase_id) WHERE purchase_id IS NOT NULL;
CREATE INDEX points_ledger_positive ON points_ledger(at, customer_id) WHERE points > 0;
CREATE TRIGGER points_ledger_append_only_update BEFORE UPDATE ON points_ledger
BEGIN
    SELECT RAISE(ABORT, 'the points ledger is append-only');
END;
CREATE TRIGGER points_ledger_append_only_delete BEFORE DELETE ON points_ledger
BEGIN
    SELECT RAISE(ABORT, 'the points ledger is append-only');
END;

CREATE TABLE tier_history (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    at          INTEGER NOT NULL,
    from_tier   TEXT,
    to_tier     TEXT,
    spend_minor INTEGER NOT NULL
) STRICT;
CREATE INDEX tier_history_customer ON tier_history(customer_id, at);

ALTER TABLE purchases ADD COLUMN discount_minor INTEGER NOT NULL DEFAULT 0 CHECK (discount_minor >= 0);
