-- Operator commands for the running bot (`close-all` while a bot holds the instance lock):
-- queued here, taken by the bot within a fraction of a second, answered with a receipt.
CREATE TABLE bot_commands (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT   NOT NULL CHECK (kind IN ('close_all')),
    state         TEXT   NOT NULL CHECK (state IN
                  ('pending', 'taken', 'done', 'failed', 'withdrawn')),
    requested_ms  BIGINT NOT NULL,
    taken_ms      BIGINT,
    done_ms       BIGINT,
    receipt       TEXT
);
CREATE INDEX idx_bot_commands_state ON bot_commands (state);
