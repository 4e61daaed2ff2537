//! Trailing the grid (`.spec/strategy.md` §3a): where a basket's successor is anchored when the
//! price leaves the grid at the top (trail up) or falls through its bottom (trail down).
//!
//! Both are pure functions of the chain's **root** (the anchor of the fresh basket the chain
//! started from, `Basket::trail_root`), the price and the configuration; the plan's meta
//! (trail up, `plan/meta.rs`) and `core::cycle::next_basket` (trail down) call them, so the
//! backtester and the bot trail the same way.
//!
//! Invariants (checked by the property tests below):
//! 1. No trail up while the price is inside the grid (`last < anchor × (1 + reanchor_up)`).
//! 2. A trail up raises the anchor, never above `root × (1 + trail_up_max_pct)`.
//! 3. Both are monotone in the price: a higher `last` never gives a lower anchor, and never
//!    turns a follow into a stop.
//! 4. A trailed grid's first level is at or below `last` (no buy above the market).
//! 5. `trail_down = stop` never opens a successor; `follow` never below
//!    `root × (1 − trail_down_max_pct)`.

use crate::core::basket::Basket;
use crate::core::filters::SymbolFilters;
use crate::core::money::{Pct, Price};
pub use crate::core::strategy::config::TrailDown;
use rust_decimal::Decimal;

/// The trail-up settings of one basket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrailUp {
    /// How far above the root the anchor may go (`trail_up_max_pct`).
    pub max_up: Pct,
    /// How far above the anchor the price must be to leave the grid (`reanchor_up_pct`).
    pub trigger: Pct,
    /// The first level's drop below the anchor, as a fraction (`0.01` = 1 %).
    pub first_drop: Decimal,
}

/// The chain's root: the anchor of the fresh basket `basket` trailed from (its own if fresh).
pub fn root(basket: &Basket) -> Price {
    basket.trail_root.unwrap_or(basket.anchor)
}

/// The highest anchor a trail up may set: `root × (1 + max_up)`, rounded down to the tick.
pub fn up_ceiling(root: Price, max_up: Pct, filters: &SymbolFilters) -> Price {
    filters.round_price_down(root.scale(max_up.up_factor()))
}

/// The lowest anchor a follow may set: `root × (1 − max_down)` (not rounded; compared only).
pub fn down_floor(root: Price, max_down: Pct) -> Price {
    root.scale(max_down.down_factor())
}

/// The anchor a trail up moves the grid to, or `None` (price inside the grid, or the anchor is
/// at its ceiling already).
///
/// Why the first level and not the anchor goes to the price: a grid moved to `last` buys only
/// after a drop of `first_drop`, so in a rally it sits out of the market; the hosted grids keep
/// one slice invested when they trail up. The anchor is `last / (1 − first_drop)` rounded down,
/// so the first level (rounded down again) is at or just below `last`.
pub fn trail_up(
    anchor: Price,
    root: Price,
    last: Price,
    up: TrailUp,
    filters: &SymbolFilters,
) -> Option<Price> {
    if last < anchor.scale(up.trigger.up_factor()) {
        return None;
    }
    let keep = Decimal::ONE - up.first_drop;
    if keep <= Decimal::ZERO {
        return None;
    }
    let wanted = filters.round_price_down(Price::new(last.get().checked_div(keep)?));
    let moved = wanted.min(up_ceiling(root, up.max_up, filters));
    (moved > anchor).then_some(moved)
}

/// The successor's anchor after a hard stop, or `None` when the grid stops there.
pub fn trail_down(
    root: Price,
    last: Price,
    policy: TrailDown,
    max_down: Option<Pct>,
    filters: &SymbolFilters,
) -> Option<Price> {
    match policy {
        TrailDown::Stop => None,
        TrailDown::Follow => {
            let anchor = filters.round_price_down(last);
            match max_down {
                Some(max) if anchor < down_floor(root, max) => None,
                _ => anchor.is_positive().then_some(anchor),
            }
        }
    }
}

#[cfg(test)]
mod tests;
