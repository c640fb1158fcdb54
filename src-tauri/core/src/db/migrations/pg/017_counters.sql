-- Counters: the name of the counter (the computer) that recorded a bill, made a reminder or
-- wrote an audit entry, so a shop with several counters on one server can tell them apart
-- and report per counter. Empty for what came before, and for a shop on one computer that
-- never named it.
ALTER TABLE purchases ADD COLUMN counter TEXT
    CHECK (counter IS NULL OR length(counter) BETWEEN 1 AND 40);
ALTER TABLE reminders ADD COLUMN counter TEXT
    CHECK (counter IS NULL OR length(counter) BETWEEN 1 AND 40);
ALTER TABLE audit_log ADD COLUMN counter TEXT
    CHECK (counter IS NULL OR length(counter) BETWEEN 1 AND 40);
CREATE INDEX purchases_counter ON purchases(counter, at) WHERE counter IS NOT NULL;
CREATE INDEX audit_log_counter ON audit_log(counter, at) WHERE counter IS NOT NULL;
