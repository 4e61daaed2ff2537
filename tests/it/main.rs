//! The one integration-test binary: one module per area.

mod architecture;
mod backtest;
mod bot;
mod browser;
mod candle_symbols;
mod check_config;
mod client_faults;
mod client_sim;
mod client_soak;
mod crash;
mod dashboard;
mod documented_commands;
mod fees;
mod foreign;
mod fresh_clone;
mod harness;
mod journals;
mod lookup_lag;
mod portfolio;
mod python_clients;
mod rules_and_funds;
mod sim_server;
mod store;
mod streams;
mod today;
