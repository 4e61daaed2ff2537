//! Adapters: implementations of the ports (Binance client, simulated exchange, stores, clocks).

/// The Binance spot client: signing, wire types, errors, rate limits, REST.
pub mod binance;
/// Clocks: the system clock and a manual one for tests and replays.
pub mod clock;
/// Binance kline (candle) files: CSV dumps and a fast binary cache.
pub mod klines;
/// An in-memory store for bot tests.
pub mod memory_store;
/// The simulated exchange: a matching engine with Binance semantics.
pub mod sim;
/// The SQL store (SQLite or PostgreSQL) behind the store port.
pub mod store;
