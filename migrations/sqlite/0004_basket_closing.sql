-- Status `closing`: an emergency close placed its exit sell, which has not filled yet. SQLite
-- cannot alter a CHECK, so the table is rebuilt (the migration runner turns foreign keys off
-- around it and checks them before committing).
CREATE TABLE baskets_new (
    id            INTEGER PRIMARY KEY,
    symbol        TEXT    NOT NULL,
    anchor        TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN
                  ('active', 'closed', 'stopped', 'emergency_closed', 'reanchored', 'error',
                   'closing')),
    config        TEXT    NOT NULL,
    carried_qty   TEXT    NOT NULL,
    carried_cost  TEXT    NOT NULL,
    created_ms    INTEGER NOT NULL,
    closed_ms     INTEGER,
    reason        TEXT
);
INSERT INTO baskets_new (id, symbol, anchor, status, config, carried_qty, carried_cost,
                         created_ms, closed_ms, reason)
    SELECT id, symbol, anchor, status, config, carried_qty, carried_cost, created_ms,
           closed_ms, reason
    FROM baskets;
DROP TABLE baskets;
ALTER TABLE baskets_new RENAME TO baskets;
CREATE INDEX idx_baskets_status ON baskets (status);
