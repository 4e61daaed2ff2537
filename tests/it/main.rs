//! The one integration-test binary: one module per area.

mod architecture;
mod backtest;
mod check_config;
mod sim_server;
mod store;
