//! The one integration-test binary: one module per area.

mod architecture;
mod backtest;
mod bot;
mod check_config;
mod harness;
mod sim_server;
mod store;
