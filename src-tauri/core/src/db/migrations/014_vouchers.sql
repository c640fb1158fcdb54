-- Vouchers: a programme defines the benefit and its limits; a voucher is a code that
-- carries it (one per customer when issued to a list or by the next-purchase rule, or one
-- shared code with no owner); a redemption ties a voucher to the bill that used it.
CREATE TABLE voucher_programs (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('amount', 'percent', 'gift', 'multiplier', 'points')),
    -- amount off, or the cap of a percent off (minor units)
    amount_minor   INTEGER CHECK (amount_minor > 0),
    percent        INTEGER CHECK (percent BETWEEN 1 AND 100),
    gift           TEXT,
    gift_cost_minor INTEGER NOT NULL DEFAULT 0 CHECK (gift_cost_minor >= 0),
    -- a decimal string such as '2' (points earned × 2)
    multiplier     TEXT,
    points         INTEGER CHECK (points > 0),
    min_bill_minor INTEGER NOT NULL DEFAULT 0 CHECK (min_bill_minor >= 0),
    valid_from     INTEGER NOT NULL,
    -- exclusive: the start of the day after the last valid day
    valid_until    INTEGER NOT NULL CHECK (valid_until > valid_from),
    per_customer   INTEGER CHECK (per_customer > 0),
    quantity       INTEGER CHECK (quantity > 0),
    budget_minor   INTEGER CHECK (budget_minor > 0),
    -- 'issued': personal codes only; 'code': one shared code anyone may type
    audience       TEXT NOT NULL CHECK (audience IN ('issued', 'code')),
    -- the next-purchase rule: a bill of at least this issues a voucher valid from the next
    -- day for next_days days
    next_min_minor INTEGER CHECK (next_min_minor > 0),
    next_days      INTEGER CHECK (next_days > 0),
    -- redemptions that count, and their discounts and gift costs: kept in step with
    -- voucher_redemptions in the bill's transaction, so a bill checks its limits in O(1)
    uses           INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0),
    spent_minor    INTEGER NOT NULL DEFAULT 0 CHECK (spent_minor >= 0),
    created_at     INTEGER NOT NULL,
    ended_at       INTEGER,
    staff          TEXT
) STRICT;
CREATE INDEX voucher_programs_rule ON voucher_programs(valid_until)
    WHERE next_min_minor IS NOT NULL AND ended_at IS NULL;

CREATE TABLE vouchers (
    id          INTEGER PRIMARY KEY,
    program_id  INTEGER NOT NULL REFERENCES voucher_programs(id),
    code        TEXT NOT NULL UNIQUE,
    -- NULL for a shared code
    customer_id INTEGER REFERENCES customers(id),
    valid_from  INTEGER NOT NULL,
    valid_until INTEGER NOT NULL CHECK (valid_until > valid_from),
    issued_at   INTEGER NOT NULL,
    -- the bill whose amount issued it (the next-purchase rule)
    source_purchase_id INTEGER REFERENCES purchases(id),
    -- redemptions that count (kept in step like the programme's)
    uses        INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0)
) STRICT;
CREATE INDEX vouchers_customer ON vouchers(customer_id, valid_until) WHERE customer_id IS NOT NULL;
CREATE INDEX vouchers_program ON vouchers(program_id, customer_id);

CREATE TABLE voucher_redemptions (
    id              INTEGER PRIMARY KEY,
    voucher_id      INTEGER NOT NULL REFERENCES vouchers(id),
    program_id      INTEGER NOT NULL REFERENCES voucher_programs(id),
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    purchase_id     INTEGER NOT NULL UNIQUE REFERENCES purchases(id),
    at              INTEGER NOT NULL,
    discount_minor  INTEGER NOT NULL CHECK (discount_minor >= 0),
    gift_cost_minor INTEGER NOT NULL DEFAULT 0 CHECK (gift_cost_minor >= 0),
    bonus_points    INTEGER NOT NULL DEFAULT 0 CHECK (bonus_points >= 0),
    -- set when the bill was refunded in full while the voucher was still valid: it may be
    -- used again, and this redemption no longer counts
    returned_at     INTEGER
) STRICT;
CREATE INDEX voucher_redemptions_customer ON voucher_redemptions(program_id, customer_id)
    WHERE returned_at IS NULL;
