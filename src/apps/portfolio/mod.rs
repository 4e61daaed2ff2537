//! Many grids on one account in one process (`.spec/portfolio.md`, "The live orchestrator"):
//! `paper --portfolio`. The orchestrator sits above the per-symbol bot (`apps::bot`): every
//! grid is a [`crate::apps::bot::Bot`] of its own — its baskets, slots and client-id prefix —
//! and they share one store, one exchange client (one request-weight budget) and one loop.
//!
//! One loop ([`Portfolio::step`]), in this order:
//! 1. the operator's commands (per-grid pause / resume / close, close-all);
//! 2. the account snapshot: one `account` read, one price per symbol; equity, its peak, its
//!    value at the day's start and 24 h ago, positions, open orders, hard stops;
//! 3. per grid: the risk verdict (`core::risk::evaluate`, the backtest's code); a trip or a
//!    clearing is an event and a metric; `close` emergency-closes the grid;
//! 4. per grid: its cash (budget + sells − buys − quote fees, from its own fills) and the
//!    verdict become the bot's [`crate::apps::bot::Gate`], then the bot steps: the buys that
//!    the verdict forbids or the cash cannot pay are dropped before the reconciler runs
//!    (`core::cycle::decide_budgeted`, the backtest's call).
//!
//! A grid that fails its step is logged and retried next loop; the others carry on.

mod candles;
mod cash;
pub mod control;
mod correlation_seed;
mod dashboard;
pub mod grid_cli;
mod history;
pub mod live;
pub mod metrics;
mod orchestrator;
pub mod paper;
pub mod runner;
pub mod streams;

pub use control::{request_grid_command, GridCommand, GRID_COMMAND_PREFIX, GRID_RECEIPT_PREFIX};
pub use metrics::{limit_name, PortfolioMetrics};
pub use orchestrator::{
    load_held, GridPlan, GridView, LoopReport, Portfolio, PortfolioError, Setup, HELD_KEY,
    PEAK_KEY, PORTFOLIO_QUIESCENT_KEY,
};
pub use runner::run_until as run_until_stopped;
pub use streams::{run_portfolio, run_with_events};
