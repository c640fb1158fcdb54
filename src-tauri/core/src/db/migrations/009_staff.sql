-- Staff accounts: the owner and cashiers, each with a PIN stored only as an argon2 hash.
-- Five wrong PINs in a row set locked_until (unix seconds); a right PIN clears the count.
-- Records already carry the staff member's name (purchases.staff, ...); names are unique
-- among staff so that name stays a clear attribution.
CREATE TABLE staff (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'cashier')),
    pin_hash        TEXT NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX staff_name ON staff(name COLLATE NOCASE);
