-- The grid a basket belongs to: the client-id prefix of the bot that opened it. Two grids of a
-- portfolio may trade one symbol when their prefixes differ; each reads only its own baskets.
-- An existing journal's baskets take the prefix their orders' intents carry (an id is
-- `{prefix}{basket}-{slot}-{rev}`, the prefix letters only, so the basket number's first
-- occurrence ends it), else the default `gb`: a single bot reads its journal unchanged.
ALTER TABLE baskets ADD COLUMN prefix TEXT NOT NULL DEFAULT 'gb';
UPDATE baskets SET prefix = (
    SELECT substr(i.client_id, 1, instr(i.client_id, CAST(baskets.id AS TEXT) || '-') - 1)
    FROM order_intents i
    WHERE i.basket_id = baskets.id
      AND instr(i.client_id, CAST(baskets.id AS TEXT) || '-') > 1
    ORDER BY i.id LIMIT 1)
WHERE EXISTS (
    SELECT 1 FROM order_intents i
    WHERE i.basket_id = baskets.id
      AND instr(i.client_id, CAST(baskets.id AS TEXT) || '-') > 1);
CREATE INDEX idx_baskets_symbol_prefix ON baskets (symbol, prefix);
-- The trade cursor and a pending emergency close are kept per grid: `…:{symbol}` for the
-- default prefix (as before), `…:{symbol}:{prefix}` for another. A bot with another prefix
-- keeps its cursor and its pending close.
INSERT INTO bot_config (key, value, updated_ms)
SELECT c.key || ':' || g.prefix, c.value, c.updated_ms
FROM bot_config c
JOIN (SELECT DISTINCT symbol, prefix FROM baskets WHERE prefix <> 'gb') g
  ON c.key = 'trade_cursor:' || g.symbol OR c.key = 'emergency_close_pending:' || g.symbol
WHERE NOT EXISTS (SELECT 1 FROM bot_config d WHERE d.key = c.key || ':' || g.prefix);
