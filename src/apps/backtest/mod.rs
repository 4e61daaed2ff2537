//! The backtester: replays candles through the live strategy code on the simulated exchange
//! and reports how it went.
//!
//! Entry points: the runner fills a [`BacktestRecord`]; [`metrics::Summary::compute`] derives
//! the headline numbers (and checks the P&L identity); [`report::Report`] renders them as a
//! terminal table, a deterministic JSON file and a self-contained HTML page.
//!
//! Invariant: every number shown is an exact decimal; nothing here uses floating point, so a
//! report is byte-identical across runs and machines.

pub mod command;
pub mod metrics;
pub mod optimize;
pub mod portfolio;
pub mod record;
pub mod report;
pub mod run;
pub mod sweep;

pub use record::{BacktestRecord, BasketOutcome, EquityPoint, Ledger, TradeMark};
