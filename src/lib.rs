//! binance-trader: a self-hosted grid-trading bot for Binance spot.
//!
//! # Layout
//!
//! - [`core`]: pure domain — money, orders, filters, client ids, the grid strategy `plan`, the
//!   reconciler. No I/O, no clock, no randomness.
//! - [`ports`]: traits for the exchange, the store and the clock.
//! - [`adapters`]: implementations of the ports — Binance client, simulated exchange, stores,
//!   clocks.
//! - [`apps`]: what a trader runs — CLI, backtester, bot loop, dashboard.
//!
//! Write `crate::core::…` in paths: a bare `core::` is the standard library's `core` crate.

pub mod adapters;
pub mod apps;
pub mod core;
pub mod ports;

#[cfg(test)]
mod fuzzing;
