//! Client settings ([`RestConfig`]), the hosts, and the waiting seam ([`Pause`]).

use crate::adapters::binance::rate_limit::{Backoff, LimitSpec};
use crate::core::client_id::IdPrefix;
use crate::core::filters::SymbolRules;
use crate::core::symbol::Symbol;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Production REST base URL.
pub const PRODUCTION_URL: &str = "https://api.binance.com";
/// Spot testnet REST base URL.
pub const TESTNET_URL: &str = "https://testnet.binance.vision";

/// Turns exchangeInfo JSON into one symbol's rules. The default is [`core_rules`]; tests may
/// plug in another with `BinanceRest::with_rules_parser`.
pub type RulesParser = fn(&str, &Symbol) -> Result<SymbolRules, String>;

/// The default [`RulesParser`]: the core's exchangeInfo parser, for one symbol.
pub fn core_rules(json: &str, symbol: &Symbol) -> Result<SymbolRules, String> {
    crate::core::filters::parse::symbol_rules(json, symbol).map_err(|e| e.to_string())
}

/// Client settings. Times in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestConfig {
    /// Base URL: [`PRODUCTION_URL`], [`TESTNET_URL`] or a local server.
    pub base_url: String,
    /// `recvWindow` sent with signed requests (Binance default 5000, max 60000).
    pub recv_window_ms: u64,
    /// Resync the server-time offset after this long.
    pub time_resync_ms: i64,
    /// How long -2013 must persist after `timestamp + recvWindow` before "never placed".
    pub unknown_grace_ms: u64,
    /// Pause between lookups while resolving an unknown outcome.
    pub resolve_poll_ms: u64,
    /// Give up resolving (return `Unknown`) after this long.
    pub resolve_budget_ms: u64,
    /// Longest wait for the local budget before returning `RateLimited` instead.
    pub max_local_wait_ms: u64,
    /// Retries of a read after network errors and 5xx.
    pub read_retries: u32,
    /// Backoff between read retries.
    pub backoff: Backoff,
    /// Limits used until exchangeInfo is read.
    pub default_limits: Vec<LimitSpec>,
    /// Normal requests stay under this % of each limit.
    pub safety_pct: u8,
    /// exchangeInfo cache lifetime.
    pub exchange_info_ttl_ms: i64,
    /// Our client-id prefix (reports of our orders carry their slot).
    pub id_prefix: IdPrefix,
    /// Whole-request timeout.
    pub request_timeout_ms: u64,
    /// Connect timeout.
    pub connect_timeout_ms: u64,
}

impl RestConfig {
    /// Settings for any base URL with the documented defaults.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            recv_window_ms: 5_000,
            time_resync_ms: 10 * 60_000,
            unknown_grace_ms: 60_000,
            resolve_poll_ms: 2_000,
            resolve_budget_ms: 90_000,
            max_local_wait_ms: 5_000,
            read_retries: 3,
            backoff: Backoff::default(),
            default_limits: LimitSpec::defaults(),
            safety_pct: 90,
            exchange_info_ttl_ms: 24 * 3_600_000,
            id_prefix: IdPrefix::default(),
            request_timeout_ms: 10_000,
            connect_timeout_ms: 5_000,
        }
    }

    /// Production.
    pub fn production() -> Self {
        Self::new(PRODUCTION_URL)
    }

    /// Spot testnet.
    pub fn testnet() -> Self {
        Self::new(TESTNET_URL)
    }
}

/// Waiting, abstracted so tests can advance a manual clock instead of sleeping.
pub trait Pause: Send + Sync {
    /// Waits `ms` milliseconds.
    fn pause(&self, ms: u64) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Real waiting with `tokio::time::sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioPause;

impl Pause for TokioPause {
    fn pause(&self, ms: u64) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(Duration::from_millis(ms)))
    }
}
