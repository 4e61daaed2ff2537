//! What one bot needs to know besides its exchange and store.

use crate::core::client_id::IdPrefix;
use crate::core::money::Pct;
use crate::core::strategy::config::StrategyConfig;
use std::time::Duration;

/// Settings of one bot instance.
#[derive(Debug, Clone)]
pub struct BotSettings {
    /// The strategy (validated before the bot starts); its `symbol` is the pair traded.
    pub strategy: StrategyConfig,
    /// Client order id prefix of this instance.
    pub prefix: IdPrefix,
    /// Pause between steps.
    pub interval: Duration,
    /// How long after a pending intent's time (server time, stamped right before sending)
    /// its request may still be accepted: "does not exist" answers before that do not count.
    /// Default 11 s: the client's local rate-limit wait (≤ 5 s) + 1 s of clock tolerance +
    /// recvWindow (5 s).
    pub intent_send_window_ms: i64,
    /// How long the streak of "does not exist" answers for a pending intent must last (with
    /// at least three answers, see [`crate::core::missing_order`]) before it is believed never
    /// placed. Binance's lookups can lag the engine, hence a minute by default.
    pub intent_grace_ms: i64,
    /// Minimum server time between two account snapshots.
    pub snapshot_every_ms: i64,
    /// Emergency close: sell this far below the last price.
    pub emergency_margin: Pct,
    /// Server time between two reads of the symbol's rules (`exchangeInfo`): Binance changes
    /// tick sizes and minimums while a bot runs. A filter rejection re-reads them at once.
    pub rules_refresh_ms: i64,
    /// Other bots journal into the same store (a portfolio's grids): this one resolves only
    /// the pending intents of its symbol under its prefix, the others' are theirs.
    pub shares_store: bool,
    /// Closed one-minute candles kept for the strategy's indicators (`candles.rs`): filled
    /// over REST at start, then from the kline stream or one read a minute. The default is
    /// the strategy's warm-up and one (`indicators::candle_window`); 0 (every strategy
    /// without indicators, or a portfolio's grid, fed its symbol's candles by the
    /// portfolio): no candle is read.
    pub candle_window: usize,
}

impl BotSettings {
    /// Intent resolution for a simulated exchange whose lookups never lag and whose clock may
    /// stand still (tests, `--intent-grace-ms`): a grace of `grace_ms`, and a send window no
    /// longer than it (with 0, three "does not exist" answers in a row conclude).
    pub fn with_intent_grace(mut self, grace_ms: i64) -> Self {
        self.intent_send_window_ms = self.intent_send_window_ms.min(grace_ms);
        self.intent_grace_ms = grace_ms;
        self
    }

    /// Defaults for a strategy: 5 s interval, 11 s send window and 60 s grace for intents, a
    /// snapshot a minute, 3 % emergency margin, rules re-read every 10 minutes
    /// (weight 20: 2 a minute of the 6000).
    pub fn new(strategy: StrategyConfig) -> Self {
        Self {
            prefix: IdPrefix::default(),
            interval: Duration::from_secs(5),
            intent_send_window_ms: 11_000,
            intent_grace_ms: 60_000,
            snapshot_every_ms: 60_000,
            emergency_margin: Pct::new(rust_decimal::Decimal::from(3)),
            rules_refresh_ms: 600_000,
            shares_store: false,
            candle_window: super::indicators::candle_window(&strategy),
            strategy,
        }
    }
}
