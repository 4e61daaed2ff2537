-- Initial schema (PostgreSQL). Money is NUMERIC (unconstrained: exact, any scale); times are
-- Unix milliseconds (BIGINT).

CREATE TABLE baskets (
    id            BIGINT  PRIMARY KEY,
    symbol        TEXT    NOT NULL,
    anchor        NUMERIC    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN
                  ('active', 'closed', 'stopped', 'emergency_closed', 'reanchored', 'error')),
    config        TEXT    NOT NULL,
    carried_qty   NUMERIC    NOT NULL,
    carried_cost  NUMERIC    NOT NULL,
    created_ms    BIGINT NOT NULL,
    closed_ms     BIGINT,
    reason        TEXT
);
CREATE INDEX idx_baskets_status ON baskets (status);

CREATE TABLE order_intents (
    id             BIGSERIAL PRIMARY KEY,
    client_id      TEXT    NOT NULL UNIQUE,
    basket_id      BIGINT NOT NULL REFERENCES baskets (id),
    symbol         TEXT    NOT NULL,
    slot           TEXT    NOT NULL,
    rev            BIGINT NOT NULL,
    side           TEXT    NOT NULL,
    order_type     TEXT    NOT NULL,
    price          NUMERIC,
    qty            NUMERIC    NOT NULL,
    stop_price     NUMERIC,
    trailing_delta BIGINT,
    time_in_force  TEXT,
    created_ms     BIGINT NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('pending', 'placed', 'rejected', 'absent')),
    note           TEXT,
    UNIQUE (basket_id, slot, rev)
);
CREATE INDEX idx_order_intents_state ON order_intents (state);

CREATE TABLE orders (
    id                BIGSERIAL PRIMARY KEY,
    client_order_id   TEXT    NOT NULL,
    symbol            TEXT    NOT NULL,
    exchange_order_id BIGINT NOT NULL,
    basket_id         BIGINT NOT NULL REFERENCES baskets (id),
    slot              TEXT    NOT NULL,
    side              TEXT    NOT NULL,
    type              TEXT    NOT NULL,
    price             NUMERIC,
    qty               NUMERIC    NOT NULL,
    stop_price        NUMERIC,
    trailing_delta    BIGINT,
    time_in_force     TEXT,
    status            TEXT    NOT NULL,
    executed_qty      NUMERIC    NOT NULL,
    cumulative_quote  NUMERIC    NOT NULL,
    created_ms        BIGINT NOT NULL,
    updated_ms        BIGINT NOT NULL,
    filled_ms         BIGINT,
    UNIQUE (symbol, exchange_order_id)
);
CREATE UNIQUE INDEX idx_orders_client_order_id ON orders (client_order_id);
CREATE INDEX idx_orders_basket_id ON orders (basket_id);
CREATE INDEX idx_orders_status ON orders (status);

CREATE TABLE fills (
    id                BIGSERIAL PRIMARY KEY,
    symbol            TEXT    NOT NULL,
    trade_id          BIGINT NOT NULL,
    basket_id         BIGINT NOT NULL REFERENCES baskets (id),
    exchange_order_id BIGINT NOT NULL,
    slot              TEXT    NOT NULL,
    side              TEXT    NOT NULL,
    price             NUMERIC    NOT NULL,
    qty               NUMERIC    NOT NULL,
    quote             NUMERIC    NOT NULL,
    commission        NUMERIC    NOT NULL,
    commission_asset  TEXT    NOT NULL,
    is_maker          BOOLEAN NOT NULL,
    time_ms           BIGINT NOT NULL,
    UNIQUE (symbol, trade_id)
);
CREATE INDEX idx_fills_basket_id ON fills (basket_id);
CREATE INDEX idx_fills_order_id ON fills (symbol, exchange_order_id);

CREATE TABLE account_snapshots (
    id            BIGSERIAL PRIMARY KEY,
    time_ms       BIGINT NOT NULL,
    symbol        TEXT    NOT NULL,
    quote_balance NUMERIC    NOT NULL,
    base_balance  NUMERIC    NOT NULL,
    price         NUMERIC    NOT NULL,
    total_value   NUMERIC    NOT NULL,
    balances      TEXT    NOT NULL
);
CREATE INDEX idx_account_snapshots_time ON account_snapshots (time_ms);

CREATE TABLE bot_config (
    key        TEXT    NOT NULL PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_ms BIGINT NOT NULL
);

CREATE TABLE events (
    id        BIGSERIAL PRIMARY KEY,
    time_ms   BIGINT NOT NULL,
    basket_id BIGINT,
    level     TEXT    NOT NULL CHECK (level IN ('info', 'warn', 'error')),
    kind      TEXT    NOT NULL,
    message   TEXT    NOT NULL
);
CREATE INDEX idx_events_time ON events (time_ms);
