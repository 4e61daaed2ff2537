//! Ports: the traits the apps use to reach the outside world (exchange, store, clock).

/// Time as a port, so backtests replay and tests control it.
pub mod clock;
/// The exchange port.
pub mod exchange;
/// The store port.
pub mod store;
