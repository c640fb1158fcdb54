-- Evidence kept with a key outside this file (see core/src/db/seal.rs): each audit entry
-- carries a MAC over its hash and the id of the key that made it; staff rows and points
-- ledger rows each have a MAC in row_seals, and seal_totals holds a MAC'd count (and sum of
-- points) per table so a deleted row shows too. Rows written before this migration are
-- sealed by the app on its first open with the key, recorded as an `audit.seal` entry.
ALTER TABLE audit_log ADD COLUMN mac_key TEXT;
ALTER TABLE audit_log ADD COLUMN mac TEXT;
CREATE TABLE row_seals (
    tbl    TEXT NOT NULL CHECK (tbl IN ('staff', 'points_ledger')),
    row_id INTEGER NOT NULL,
    mac    TEXT NOT NULL,
    PRIMARY KEY (tbl, row_id)
) STRICT, WITHOUT ROWID;
CREATE TABLE seal_totals (
    tbl   TEXT NOT NULL PRIMARY KEY CHECK (tbl IN ('staff', 'points_ledger')),
    n     INTEGER NOT NULL,
    total INTEGER NOT NULL,
    -- the id of the key that sealed this table (a restored backup's may be another one's)
    key   TEXT NOT NULL,
    mac   TEXT NOT NULL
) STRICT, WITHOUT ROWID;
