//! The grid strategy (`.spec/strategy.md`): configuration and the pure `plan` function.

/// Strategy configuration (TOML) types.
pub mod config;
/// Level prices, weights and quantities.
pub mod levels;
/// The pure `plan(config, basket, fills, market, filters)`.
pub mod plan;
/// Position, VWAP and executed exits derived from fills.
pub mod position;
/// Configuration validation: errors that name the key, the value and the rule.
pub mod validate;
