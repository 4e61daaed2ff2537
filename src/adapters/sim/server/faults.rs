//! Fault injection: latency, 5xx before or after execution, responses dropped after an order
//! was executed, 429 bursts, clock skew, which namesake a client-id lookup answers with, a
//! lagging order store, and partial fills (a share of each candle's volume). Deterministic: each fault fires first for the next `next` eligible
//! requests, then with probability `per_mille`/1000 drawn from an RNG seeded with `seed`, so
//! the same request sequence sees the same faults.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// When one fault fires.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultRate {
    /// Fire on the next this many eligible requests.
    pub next: u32,
    /// Then fire with this probability in thousandths (0–1000).
    pub per_mille: u16,
}

/// The fault configuration (`POST /sim/faults` body, JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// RNG seed for the `per_mille` draws.
    pub seed: u64,
    /// Delay added before every `/api` response, ms.
    pub latency_ms: u64,
    /// Order requests (place, cancel, cancel-replace, cancel-all) answered 500 -1006 *before*
    /// execution: nothing happened, but the client cannot know.
    pub error_before: FaultRate,
    /// Order requests executed, then answered 503 -1007: the order exists.
    pub error_after: FaultRate,
    /// Order requests executed, then the connection is closed without an answer.
    pub drop_after: FaultRate,
    /// Any `/api` request answered 429 -1003 with `Retry-After: 1` (does not arm the 418 ban).
    pub burst_429: FaultRate,
    /// Added to the server clock, ms (positive: server ahead of the client).
    pub clock_skew_ms: i64,
    /// A lookup by client id that matches no open order answers with the *oldest* order that
    /// carried the id instead of the newest (Binance does not say which one it returns).
    pub oldest_namesake: bool,
    /// The order store lags the matching engine by this long, ms: an order younger than this
    /// (server time since its creation) is missing from lookups by client id (-2013) and from
    /// `allOrders` (Binance's "Database" source), while it is on the book (`openOrders`), can
    /// fill (`myTrades`) and is found by order id (Binance's "Memory" source).
    pub lookup_lag_ms: u64,
    /// Every WebSocket connection stops sending (answers and events; events meanwhile are
    /// lost) while pings are still answered: a stall only a client watching its data sees.
    pub ws_stall: bool,
    /// A WebSocket event (market stream or User Data Stream) is sent twice.
    pub ws_duplicate: FaultRate,
    /// A WebSocket event is held back and sent after the next one.
    pub ws_reorder: FaultRate,
    /// Partial fills: each candle fills the account's orders of a symbol with at most this
    /// share of the candle's volume (0.001 = 0.1 %); the rest fills on later candles.
    /// `None`: orders fill completely, as the backtester's fill model assumes.
    pub fill_share: Option<rust_decimal::Decimal>,
}

impl FaultConfig {
    /// Whether an order created at `created_ms` is in the lagging store at `now_ms`.
    pub fn stored(&self, created_ms: i64, now_ms: i64) -> bool {
        let lag = i64::try_from(self.lookup_lag_ms).unwrap_or(i64::MAX);
        now_ms.saturating_sub(created_ms) >= lag
    }
}

/// Which fault, for [`Faults::fires`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// [`FaultConfig::error_before`].
    ErrorBefore,
    /// [`FaultConfig::error_after`].
    ErrorAfter,
    /// [`FaultConfig::drop_after`].
    DropAfter,
    /// [`FaultConfig::burst_429`].
    Burst429,
    /// [`FaultConfig::ws_duplicate`].
    WsDuplicate,
    /// [`FaultConfig::ws_reorder`].
    WsReorder,
}

/// The live fault state: configuration, remaining `next` counts and the RNG.
#[derive(Debug, Clone)]
pub struct Faults {
    /// The configuration in force (its `next` counts decrease as faults fire).
    pub config: FaultConfig,
    rng: StdRng,
}

impl Faults {
    /// Fault state from a configuration.
    pub fn new(config: FaultConfig) -> Self {
        Self {
            rng: StdRng::seed_from_u64(config.seed),
            config,
        }
    }

    /// Whether `fault` fires for this eligible request (consumes one `next` or one draw).
    pub fn fires(&mut self, fault: Fault) -> bool {
        let rate = match fault {
            Fault::ErrorBefore => &mut self.config.error_before,
            Fault::ErrorAfter => &mut self.config.error_after,
            Fault::DropAfter => &mut self.config.drop_after,
            Fault::Burst429 => &mut self.config.burst_429,
            Fault::WsDuplicate => &mut self.config.ws_duplicate,
            Fault::WsReorder => &mut self.config.ws_reorder,
        };
        if rate.next > 0 {
            rate.next -= 1;
            return true;
        }
        rate.per_mille > 0 && self.rng.random_range(0..1000u16) < rate.per_mille
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_fires_exactly_that_many_times() {
        let mut f = Faults::new(FaultConfig {
            drop_after: FaultRate {
                next: 2,
                per_mille: 0,
            },
            ..FaultConfig::default()
        });
        let fired: Vec<bool> = (0..4).map(|_| f.fires(Fault::DropAfter)).collect();
        assert_eq!(fired, [true, true, false, false]);
        assert!(!f.fires(Fault::ErrorBefore));
    }

    #[test]
    fn lagging_store_shows_an_order_once_it_is_old_enough() {
        let lag = FaultConfig {
            lookup_lag_ms: 90_000,
            ..FaultConfig::default()
        };
        assert!(!lag.stored(1_000, 1_000));
        assert!(!lag.stored(1_000, 90_999));
        assert!(lag.stored(1_000, 91_000));
        assert!(FaultConfig::default().stored(1_000, 1_000));
    }

    #[test]
    fn same_seed_same_draws() {
        let cfg = FaultConfig {
            seed: 7,
            error_after: FaultRate {
                next: 0,
                per_mille: 500,
            },
            ..FaultConfig::default()
        };
        let draws = |cfg: &FaultConfig| {
            let mut f = Faults::new(cfg.clone());
            (0..64)
                .map(|_| f.fires(Fault::ErrorAfter))
                .collect::<Vec<_>>()
        };
        let a = draws(&cfg);
        assert_eq!(a, draws(&cfg));
        assert!(a.contains(&true) && a.contains(&false));
    }
}
