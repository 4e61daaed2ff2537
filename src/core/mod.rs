//! The pure core: domain types, the grid strategy and the reconciler. No I/O, no clock, no
//! randomness: time, prices and ids come in as arguments (enforced by `tests/it/architecture.rs`).

pub mod basket;
pub mod candle;
pub mod client_id;
pub mod correlation;
pub mod cycle;
pub mod fill;
pub mod filters;
pub mod indicators;
pub mod missing_order;
pub mod money;
pub mod order;
pub mod portfolio;
pub mod reconcile;
pub mod risk;
pub mod slot;
pub mod strategy;
pub mod symbol;
