//! The strategies behind one seam (`kind`, `.spec/strategies.md`): the basket grid
//! (`.spec/strategy.md`: config, levels, plan, position, trail, validate) and the range grid
//! (`range`). Callers plan and validate through `kind`.

pub mod config;
pub mod kind;
pub mod levels;
pub mod plan;
pub mod position;
pub mod range;
pub mod trail;
pub mod validate;
