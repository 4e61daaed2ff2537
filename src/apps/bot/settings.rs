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
    /// How long a pending intent whose order the exchange does not know must stay unknown,
    /// counted from when it was written (server time), before it is believed never placed.
    /// Binance's lookups can lag the engine, hence a minute by default.
    pub intent_grace_ms: i64,
    /// Minimum server time between two account snapshots.
    pub snapshot_every_ms: i64,
    /// Emergency close: sell this far below the last price.
    pub emergency_margin: Pct,
}

impl BotSettings {
    /// Defaults for a strategy: 5 s interval, 70 s intent grace (recvWindow 5 s + 5 s local
    /// wait + 60 s lookup lag), a snapshot a minute, 3 % emergency margin.
    pub fn new(strategy: StrategyConfig) -> Self {
        Self {
            strategy,
            prefix: IdPrefix::default(),
            interval: Duration::from_secs(5),
            intent_grace_ms: 70_000,
            snapshot_every_ms: 60_000,
            emergency_margin: Pct::new(rust_decimal::Decimal::from(3)),
        }
    }
}
