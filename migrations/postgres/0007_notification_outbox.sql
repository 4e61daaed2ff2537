-- Notification outbox (PostgreSQL): one row per notification and channel, written before any
-- delivery is tried, so a notification survives a restart; UNIQUE (channel, dedup_key) keeps
-- an event from being queued twice. States: pending → sending (claimed, leased) → sent, or
-- back to pending with a later next_attempt_ms, or failed (gave up) / unknown (the process
-- died during a delivery to a channel that cannot de-duplicate: never resent).

CREATE TABLE notification_outbox (
    id              BIGSERIAL PRIMARY KEY,
    channel         TEXT    NOT NULL,
    dedup_key       TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    level           TEXT    NOT NULL CHECK (level IN ('info', 'warn', 'error')),
    title           TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    event_ms        BIGINT  NOT NULL,
    created_ms      BIGINT  NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN
                    ('pending', 'sending', 'sent', 'failed', 'unknown')),
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT  NOT NULL,
    lease_until_ms  BIGINT,
    sent_ms         BIGINT,
    last_error      TEXT,
    UNIQUE (channel, dedup_key)
);
CREATE INDEX idx_notification_outbox_due ON notification_outbox (channel, state, next_attempt_ms);
