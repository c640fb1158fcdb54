-- The audit log: who did what, when, before and after. Append-only (triggers below) and
-- tamper-evident: each entry stores the SHA-256 of its own fields and of the previous
-- entry's hash (see core/src/audit.rs for the exact encoding). Ids are assigned by the
-- writer as the last id + 1, so they run 1, 2, 3... without gaps; AUTOINCREMENT keeps the
-- highest id ever written in sqlite_sequence, so deleting the newest entries shows too.
-- customer_id has no foreign key: a merge, an archive or a deletion never breaks the chain.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor_id    INTEGER,
    actor_name  TEXT NOT NULL,
    via         TEXT NOT NULL CHECK (via IN ('window', 'cli', 'system')),
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT,
    customer_id INTEGER,
    before_json TEXT,
    after_json  TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_customer ON audit_log(customer_id, at) WHERE customer_id IS NOT NULL;
CREATE INDEX audit_log_action ON audit_log(action, at);
CREATE INDEX audit_log_actor ON audit_log(actor_name COLLATE NOCASE, at);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
