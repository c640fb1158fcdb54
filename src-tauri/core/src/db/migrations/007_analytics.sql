-- Per-customer analytics, recomputed as a whole by the analytics refresh: RFM, lifecycle stage,
-- BG/NBD + Gamma-Gamma predictions. Probabilities are REAL (estimates, not money).
CREATE TABLE customer_scores (
    customer_id          INTEGER PRIMARY KEY REFERENCES customers(id),
    r                    INTEGER NOT NULL,
    f                    INTEGER NOT NULL,
    m                    INTEGER NOT NULL,
    segment              TEXT NOT NULL,
    stage                TEXT NOT NULL,
    p_alive              REAL,
    expected_purchases   REAL,
    expected_spend_minor INTEGER,
    clv_minor            INTEGER,
    at_risk              INTEGER NOT NULL DEFAULT 0,
    next_visit           TEXT,
    monetary_minor       INTEGER NOT NULL,
    computed_at          INTEGER NOT NULL
) STRICT;
CREATE INDEX customer_scores_segment ON customer_scores(segment);
CREATE INDEX customer_scores_stage ON customer_scores(stage);
CREATE INDEX customer_scores_at_risk ON customer_scores(clv_minor) WHERE at_risk = 1;
