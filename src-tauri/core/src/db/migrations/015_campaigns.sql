-- Appreciation campaigns (chương trình tri ân): an occasion, an audience, a benefit, and a
-- random holdout that gets nothing, so the results compare the treated with doing nothing.
CREATE TABLE campaigns (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    -- 'date': one day for everyone (the shop's anniversary, the year end);
    -- 'first_purchase': each customer's first-purchase anniversary within the window
    occasion        TEXT NOT NULL CHECK (occasion IN ('date', 'first_purchase')),
    -- the window the benefit runs and the results are read over: [starts_at, ends_at)
    starts_at       INTEGER NOT NULL,
    ends_at         INTEGER NOT NULL CHECK (ends_at > starts_at),
    -- the audience: a customer-list filter (JSON) and, optionally, its top N by 12-month spend
    filter          TEXT NOT NULL,
    top_n           INTEGER CHECK (top_n > 0),
    program_id      INTEGER REFERENCES voucher_programs(id),
    points          INTEGER CHECK (points > 0),
    gift            TEXT,
    template        TEXT,
    -- call reminders for this many of the treated, the biggest spenders first
    call_top        INTEGER CHECK (call_top > 0),
    holdout_percent INTEGER NOT NULL CHECK (holdout_percent BETWEEN 0 AND 90),
    seed            INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    launched_at     INTEGER,
    staff           TEXT
) STRICT;

CREATE TABLE campaign_members (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    -- 1: held back, got nothing
    holdout     INTEGER NOT NULL CHECK (holdout IN (0, 1)),
    voucher_id  INTEGER REFERENCES vouchers(id),
    PRIMARY KEY (campaign_id, customer_id)
) STRICT, WITHOUT ROWID;
-- A campaign's redemptions are found from its members' vouchers.
CREATE INDEX voucher_redemptions_voucher ON voucher_redemptions(voucher_id);

-- A message for a campaign's treated customers, with their voucher. A shop's own template of
-- the same name (written before this version) is left as it is.
INSERT OR IGNORE INTO templates (name, body, builtin, updated_at) VALUES
    ('uu-dai-tri-an', 'Chào {xung_ho} {ten}, {cua_hang} cảm ơn {xung_ho} đã luôn ủng hộ! Xin gửi {xung_ho} ưu đãi tri ân: {uu_dai}, mã {ma_uu_dai}, dùng đến hết ngày {han_uu_dai}.', 1, 0),
    ('appreciation-voucher', 'Hi {honorific} {full_name}, thank you for being a regular at {shop}! A thank-you from us: {voucher}, code {voucher_code}, valid through {voucher_expiry}.', 1, 0);
