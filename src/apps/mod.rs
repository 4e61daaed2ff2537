//! Apps: what a trader runs — the CLI, the backtester, (later) the bot loop and the dashboard.

pub mod backtest;
pub mod backup;
pub mod bot;
pub mod candle_data;
pub mod check_config;
pub mod cli;
pub mod dashboard;
pub mod exchange_sim;
pub mod key_safety;
pub mod logging;
pub mod mode;
pub mod notify;
pub mod paper;
pub mod parity;
pub mod portfolio;
pub mod session;
pub mod settings_file;
pub mod status;
pub mod status_table;
pub mod trade;
