//! The backtester: replays candles through the live strategy code on the simulated exchange
//! and reports how it went.
//!
//! Entry points: the runner fills a [`BacktestRecord`](crate::apps::backtest::record::BacktestRecord); [`metrics::Summary::compute`](crate::apps::backtest::metrics::Summary::compute) derives
//! the headline numbers (and checks the P&L identity); [`report::Report`](crate::apps::backtest::report::Report) renders them as a
//! terminal table, a deterministic JSON file and a self-contained HTML page.
//!
//! Invariant: every number shown is an exact decimal; nothing here uses floating point, so a
//! report is byte-identical across runs and machines.

/// The `backtest` subcommand: flags, sweep, report files.
pub mod command;
/// Headline metrics: P&L split, ROI, drawdown, Sharpe, baskets, win rate.
pub mod metrics;
/// What a run produces ([`BacktestRecord`]) and its accounting convention.
pub mod record;
/// Terminal, JSON and HTML reports.
pub mod report;
/// The runner: candles through the simulated exchange and the live cycle code.
pub mod run;

pub use record::{BacktestRecord, BasketOutcome, EquityPoint, Ledger, TradeMark};
