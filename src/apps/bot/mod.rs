//! The bot: one long-running loop per symbol that keeps the exchange equal to the plan and the
//! store equal to the exchange (`.spec/bot.md`).
//!
//! One [`Bot::step`] does, in this order:
//! 1. **resolve** intents still `pending` (a crash or an unknown outcome left them): query the
//!    exchange by client order id; found → the order is recorded, never sent again; missing
//!    after the grace period → `absent`. While one is unresolved nothing else happens.
//! 2. **sync**: our trades since the stored cursor become fills exactly once (unique trade id),
//!    and every order the store believes open is refreshed from the exchange.
//! 3. per active basket: **plan → lifecycle → reconcile** ([`crate::core::cycle::decide`], the
//!    same code the backtester runs), then **execute**: each create is journalled as an intent
//!    before it is sent; cancels go first.
//! 4. **lifecycle**: close, reanchor or pause the basket; open its successor.
//! 5. **snapshot** the account when due, and note a quiescent step (no action taken).
//!
//! Entry points: [`Bot::new`], [`Bot::step`], [`runner::run_until`] (the loop with backoff and
//! signals), [`Bot::close_all`] (the emergency close service).

/// A crash point at a journal boundary (`.spec/bot.md`, "Crash points"). Built only with the
/// `failpoints` feature, which only `cargo test` turns on: there `FAILPOINTS=<name>=return`
/// (any `fail` action list ending in `return`) aborts the process here, as a power cut would,
/// to prove the next start recovers. Elsewhere it compiles to nothing.
macro_rules! crash_point {
    ($name:literal) => {
        fail::fail_point!($name, |_| std::process::abort())
    };
}

pub mod candles;
pub mod control;
pub mod emergency;
mod execute;
mod holds;
pub mod indicators;
mod intents;
pub mod live;
pub mod lockstep;
pub mod metrics;
mod price_range;
mod rules;
pub mod runner;
pub mod settings;
mod step;
mod sync;
mod trading_status;

pub use metrics::BotMetrics;
pub use settings::BotSettings;
pub use step::{Bot, BotError, Gate, StepReport};

/// `bot_config` key holding the next trade id to fetch, per grid (symbol and prefix): two
/// grids on one symbol read every trade of it, each journalling its own orders' trades, so
/// one cursor would let the faster grid skip the other's. The default prefix keeps the key
/// it had before grids (`trade_cursor:{symbol}`), so existing journals read unchanged.
pub fn trade_cursor_key(
    symbol: &crate::core::symbol::Symbol,
    prefix: &crate::core::client_id::IdPrefix,
) -> String {
    grid_key("trade_cursor", symbol, prefix)
}

/// `bot_config` key set while a grid's emergency close waits for an unknown outcome: the step
/// finishes the close as soon as every intent is resolved. Per grid, keyed as
/// [`trade_cursor_key`].
pub fn close_pending_key(
    symbol: &crate::core::symbol::Symbol,
    prefix: &crate::core::client_id::IdPrefix,
) -> String {
    grid_key("emergency_close_pending", symbol, prefix)
}

/// `{name}:{symbol}` for the default prefix, `{name}:{symbol}:{prefix}` for another.
fn grid_key(
    name: &str,
    symbol: &crate::core::symbol::Symbol,
    prefix: &crate::core::client_id::IdPrefix,
) -> String {
    if *prefix == crate::core::client_id::IdPrefix::default() {
        format!("{name}:{symbol}")
    } else {
        format!("{name}:{symbol}:{}", prefix.as_str())
    }
}

/// `bot_config` key holding a symbol's base and quote assets as `BASE/QUOTE`, written when the
/// bot starts, so readers of the journal alone (`status`) can book commissions right.
pub fn pair_key(symbol: &crate::core::symbol::Symbol) -> String {
    format!("pair:{symbol}")
}

/// `bot_config` key holding the decimals of a symbol's tick size and lot step (`"4 1"`),
/// recorded at start, so that `status` shows prices and quantities as the exchange does
/// without asking it.
pub fn precision_key(symbol: &crate::core::symbol::Symbol) -> String {
    format!("precision:{symbol}")
}

/// `bot_config` key holding the server time of the last step that took no action and read the
/// exchange to know it (a step planned on the journal alone does not count: `step.rs`).
pub const QUIESCENT_KEY: &str = "quiescent_at_ms";
