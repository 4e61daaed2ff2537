//! Adapters: implementations of the ports (Binance client, simulated exchange, stores, clocks).

pub mod binance;
pub mod clock;
pub mod klines;
pub mod memory_store;
pub mod notify;
pub mod secret_env;
pub mod sim;
pub mod store;
