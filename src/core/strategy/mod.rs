//! The strategies behind one seam (`kind`, `.spec/strategies.md`): the basket grid
//! (`.spec/strategy.md`: config, levels, plan, position, trail, validate), the range grid
//! (`range`), mean reversion (`mean_reversion`) and trend following (`trend`), the last two
//! sharing one-position rounds (`round`) and a preflight (`preflight`). Callers plan and
//! validate through `kind`.

pub mod config;
pub mod kind;
pub mod levels;
pub mod mean_reversion;
pub mod plan;
pub mod position;
pub(crate) mod preflight;
pub mod range;
pub(crate) mod round;
#[cfg(test)]
pub(crate) mod round_walk;
pub mod trail;
pub mod trend;
pub mod validate;
pub mod volatility;
