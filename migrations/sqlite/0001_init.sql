-- Initial schema (SQLite). Money is canonical decimal TEXT (no trailing zeros): a NUMERIC
-- column would give it REAL affinity and lose digits. Times are Unix milliseconds.

CREATE TABLE baskets (
    id            INTEGER PRIMARY KEY,
    symbol        TEXT    NOT NULL,
    anchor        TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN
                  ('active', 'closed', 'stopped', 'emergency_closed', 'reanchored', 'error')),
    config        TEXT    NOT NULL,
    carried_qty   TEXT    NOT NULL,
    carried_cost  TEXT    NOT NULL,
    created_ms    INTEGER NOT NULL,
    closed_ms     INTEGER,
    reason        TEXT
);
CREATE INDEX idx_baskets_status ON baskets (status);

CREATE TABLE order_intents (
    id             INTEGER PRIMARY KEY,
    client_id      TEXT    NOT NULL UNIQUE,
    basket_id      INTEGER NOT NULL REFERENCES baskets (id),
    symbol         TEXT    NOT NULL,
    slot           TEXT    NOT NULL,
    rev            INTEGER NOT NULL,
    side           TEXT    NOT NULL,
    order_type     TEXT    NOT NULL,
    price          TEXT,
    qty            TEXT    NOT NULL,
    stop_price     TEXT,
    trailing_delta INTEGER,
    time_in_force  TEXT,
    created_ms     INTEGER NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('pending', 'placed', 'rejected', 'absent')),
    note           TEXT,
    UNIQUE (basket_id, slot, rev)
);
CREATE INDEX idx_order_intents_state ON order_intents (state);

CREATE TABLE orders (
    id                INTEGER PRIMARY KEY,
    client_order_id   TEXT    NOT NULL,
    symbol            TEXT    NOT NULL,
    exchange_order_id INTEGER NOT NULL,
    basket_id         INTEGER NOT NULL REFERENCES baskets (id),
    slot              TEXT    NOT NULL,
    side              TEXT    NOT NULL,
    type              TEXT    NOT NULL,
    price             TEXT,
    qty               TEXT    NOT NULL,
    stop_price        TEXT,
    trailing_delta    INTEGER,
    time_in_force     TEXT,
    status            TEXT    NOT NULL,
    executed_qty      TEXT    NOT NULL,
    cumulative_quote  TEXT    NOT NULL,
    created_ms        INTEGER NOT NULL,
    updated_ms        INTEGER NOT NULL,
    filled_ms         INTEGER,
    UNIQUE (symbol, exchange_order_id)
);
CREATE UNIQUE INDEX idx_orders_client_order_id ON orders (client_order_id);
CREATE INDEX idx_orders_basket_id ON orders (basket_id);
CREATE INDEX idx_orders_status ON orders (status);

CREATE TABLE fills (
    id                INTEGER PRIMARY KEY,
    symbol            TEXT    NOT NULL,
    trade_id          INTEGER NOT NULL,
    basket_id         INTEGER NOT NULL REFERENCES baskets (id),
    exchange_order_id INTEGER NOT NULL,
    slot              TEXT    NOT NULL,
    side              TEXT    NOT NULL,
    price             TEXT    NOT NULL,
    qty               TEXT    NOT NULL,
    quote             TEXT    NOT NULL,
    commission        TEXT    NOT NULL,
    commission_asset  TEXT    NOT NULL,
    is_maker          INTEGER NOT NULL,
    time_ms           INTEGER NOT NULL,
    UNIQUE (symbol, trade_id)
);
CREATE INDEX idx_fills_basket_id ON fills (basket_id);
CREATE INDEX idx_fills_order_id ON fills (symbol, exchange_order_id);

CREATE TABLE account_snapshots (
    id            INTEGER PRIMARY KEY,
    time_ms       INTEGER NOT NULL,
    symbol        TEXT    NOT NULL,
    quote_balance TEXT    NOT NULL,
    base_balance  TEXT    NOT NULL,
    price         TEXT    NOT NULL,
    total_value   TEXT    NOT NULL,
    balances      TEXT    NOT NULL
);
CREATE INDEX idx_account_snapshots_time ON account_snapshots (time_ms);

CREATE TABLE bot_config (
    key        TEXT    NOT NULL PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_ms INTEGER NOT NULL
);

CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    time_ms   INTEGER NOT NULL,
    basket_id INTEGER,
    level     TEXT    NOT NULL CHECK (level IN ('info', 'warn', 'error')),
    kind      TEXT    NOT NULL,
    message   TEXT    NOT NULL
);
CREATE INDEX idx_events_time ON events (time_ms);
