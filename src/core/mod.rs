//! The pure core: domain types, the grid strategy and the reconciler. No I/O, no clock, no
//! randomness: time, prices and ids come in as arguments (enforced by `tests/it/architecture.rs`).

/// Baskets and their lifecycle states.
pub mod basket;
/// Client order ids `{prefix}{basket}-{slot}-{rev}`.
pub mod client_id;
/// One basket cycle: plan → lifecycle → reconcile, shared by the bot and the backtester.
pub mod cycle;
/// Fills, commissions, balances.
pub mod fill;
/// Exchange filters, rounding and the order validator.
pub mod filters;
/// Exact money newtypes.
pub mod money;
/// Order specs, types, sides, slots.
pub mod order;
/// Desired vs actual orders → actions.
pub mod reconcile;
/// The grid strategy.
pub mod strategy;
/// Symbols and assets.
pub mod symbol;
