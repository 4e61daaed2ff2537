//! The grid strategy (`.spec/strategy.md`): configuration and the pure `plan` function.

pub mod config;
pub mod levels;
pub mod plan;
pub mod position;
pub mod trail;
pub mod validate;
