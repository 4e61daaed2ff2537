//! Apps: what a trader runs — the CLI, the backtester, (later) the bot loop and the dashboard.

/// The backtester: candles through the live strategy code on the simulated exchange.
pub mod backtest;
/// The trading bot: orchestrator loop, emergency close.
pub mod bot;
/// `check-config`: parse, validate and print a strategy file.
pub mod check_config;
/// The command line.
pub mod cli;
/// The web dashboard: monitoring, P&L, history, emergency controls.
pub mod dashboard;
/// `exchange-sim`: the simulated exchange served over Binance's REST API.
pub mod exchange_sim;
/// `paper`: simulated exchange + bot in one command.
pub mod paper;
/// The bot's own configuration file and its environment overrides.
pub mod settings_file;
/// `run` and `close-all` against Binance.
pub mod trade;
