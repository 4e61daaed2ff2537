-- The streak of "does not exist" answers of a pending intent (core::missing_order): when the
-- first counted answer came and how many were counted, so a restart neither resets nor skips it.
ALTER TABLE order_intents ADD COLUMN first_miss_ms INTEGER;
ALTER TABLE order_intents ADD COLUMN misses INTEGER NOT NULL DEFAULT 0 CHECK (misses >= 0);
