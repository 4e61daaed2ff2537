//! Stop conditions: static stops and trailing stops (`faqs/trailing-stop-faq.md`).
//!
//! Direction of the stop condition (also the activation condition of a trailing stop):
//!
//! | type                   | side | condition            | trailing fires on          |
//! |------------------------|------|----------------------|----------------------------|
//! | `STOP_LOSS[_LIMIT]`    | SELL | price ≤ `stopPrice`  | fall of δ from the highest |
//! | `TAKE_PROFIT[_LIMIT]`  | SELL | price ≥ `stopPrice`  | fall of δ from the highest |
//! | `STOP_LOSS[_LIMIT]`    | BUY  | price ≥ `stopPrice`  | rise of δ from the lowest  |
//! | `TAKE_PROFIT[_LIMIT]`  | BUY  | price ≤ `stopPrice`  | rise of δ from the lowest  |
//!
//! A trailing stop with a `stopPrice` waits until a trade meets the condition; that trade's
//! price is the first extreme. Without `stopPrice` it tracks from the last price at placement.
//! Trades happen on the tick grid, so the firing level is the trailing level rounded to the
//! tick *beyond* it (down for sells, up for buys): the first tick price that meets the delta.

use crate::core::filters::SymbolFilters;
use crate::core::money::Price;
use crate::core::order::{OrderType, Side};
use rust_decimal::Decimal;

/// Which way the price must go for a condition to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Holds when price ≥ level.
    Up,
    /// Holds when price ≤ level.
    Down,
}

/// The stop condition of an order that has not triggered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// Fires when the price meets `at` in direction `dir`.
    Stop {
        /// Stop price.
        at: Price,
        /// Direction.
        dir: Dir,
    },
    /// Trailing stop waiting for its activation price.
    Waiting {
        /// Side of the order (decides what is tracked once active).
        side: Side,
        /// Activation (`stopPrice`).
        at: Price,
        /// Direction of the activation condition.
        dir: Dir,
        /// `trailingDelta` in BIPS.
        delta: u32,
    },
    /// Trailing stop tracking the best price.
    Tracking {
        /// Side of the order: sells track the highest price, buys the lowest.
        side: Side,
        /// `trailingDelta` in BIPS.
        delta: u32,
        /// Best price since tracking started (`None` until the first known price).
        extreme: Option<Price>,
        /// Tick price at which it fires (meaningless while `extreme` is `None`).
        fire_at: Price,
    },
}

/// The stop condition direction of a stop type on a side (table in the module doc).
pub fn stop_dir(side: Side, order_type: OrderType) -> Dir {
    let stop_loss = matches!(order_type, OrderType::StopLoss | OrderType::StopLossLimit);
    match (side, stop_loss) {
        (Side::Sell, true) | (Side::Buy, false) => Dir::Down,
        (Side::Sell, false) | (Side::Buy, true) => Dir::Up,
    }
}

/// True when `price` meets level `at` in direction `dir`.
pub fn holds(dir: Dir, at: Price, price: Price) -> bool {
    match dir {
        Dir::Up => price >= at,
        Dir::Down => price <= at,
    }
}

/// On the monotone stretch from `s` to `b` (both included), the first price meeting the
/// condition, if any.
fn first_hit(dir: Dir, at: Price, s: Price, b: Price) -> Option<Price> {
    if holds(dir, at, s) {
        Some(s)
    } else if holds(dir, at, b) {
        Some(at)
    } else {
        None
    }
}

fn bips(delta: u32) -> Decimal {
    Decimal::from(delta) / Decimal::from(10_000)
}

impl Trigger {
    /// The condition of a new stop order, or `None` for types that work at once.
    pub fn new(
        side: Side,
        order_type: OrderType,
        stop_price: Option<Price>,
        trailing_delta: Option<u32>,
        last: Option<Price>,
        filters: &SymbolFilters,
    ) -> Option<Self> {
        if !order_type.is_algo() {
            return None;
        }
        let dir = stop_dir(side, order_type);
        Some(match (stop_price, trailing_delta) {
            (Some(at), None) => Trigger::Stop { at, dir },
            (Some(at), Some(delta)) => Trigger::Waiting {
                side,
                at,
                dir,
                delta,
            },
            (None, Some(delta)) => Self::tracking(side, delta, last, filters),
            // `place` rejects a stop type with neither parameter before this point.
            (None, None) => return None,
        })
    }

    fn tracking(side: Side, delta: u32, extreme: Option<Price>, f: &SymbolFilters) -> Self {
        let fire_at = extreme.map_or(Price::ZERO, |e| match side {
            Side::Sell => f.round_price_down(e.scale(Decimal::ONE - bips(delta))),
            Side::Buy => f.round_price_up(e.scale(Decimal::ONE + bips(delta))),
        });
        Trigger::Tracking {
            side,
            delta,
            extreme,
            fire_at,
        }
    }

    /// Whether the (activation) condition already holds at `price`: Binance rejects such an
    /// order with "Order would trigger immediately.".
    pub fn holds_now(&self, price: Price) -> bool {
        match *self {
            Trigger::Stop { at, dir } | Trigger::Waiting { at, dir, .. } => holds(dir, at, price),
            Trigger::Tracking { .. } => false,
        }
    }

    /// Price levels that can change this condition: `(up, down, unknown)`. A candle whose high
    /// stays below `up` and whose low stays above `down` leaves it untouched; `unknown` means
    /// "any candle may change it" (tracking without a first price).
    pub fn bounds(&self) -> (Option<Price>, Option<Price>, bool) {
        match *self {
            Trigger::Stop { at, dir } | Trigger::Waiting { at, dir, .. } => match dir {
                Dir::Up => (Some(at), None, false),
                Dir::Down => (None, Some(at), false),
            },
            Trigger::Tracking { extreme: None, .. } => (None, None, true),
            Trigger::Tracking {
                side,
                extreme: Some(e),
                fire_at,
                ..
            } => match side {
                Side::Sell => (Some(e), Some(fire_at), false),
                Side::Buy => (Some(fire_at), Some(e), false),
            },
        }
    }

    /// Walks the monotone stretch from `s` to `b` (both included; `s == b` for a single trade),
    /// updating activation and extremes; returns the price at which the stop fires, if it does.
    pub fn walk(&mut self, mut s: Price, b: Price, f: &SymbolFilters) -> Option<Price> {
        loop {
            match *self {
                Trigger::Stop { at, dir } => return first_hit(dir, at, s, b),
                Trigger::Waiting {
                    side,
                    at,
                    dir,
                    delta,
                } => {
                    let p = first_hit(dir, at, s, b)?;
                    *self = Self::tracking(side, delta, Some(p), f);
                    s = p;
                }
                Trigger::Tracking {
                    side,
                    delta,
                    extreme: None,
                    ..
                } => *self = Self::tracking(side, delta, Some(s), f),
                Trigger::Tracking {
                    side,
                    delta,
                    extreme: Some(e),
                    fire_at,
                } => {
                    let (better, worse_dir) = match side {
                        Side::Sell => (s > e, Dir::Down),
                        Side::Buy => (s < e, Dir::Up),
                    };
                    if better {
                        *self = Self::tracking(side, delta, Some(s), f);
                        continue;
                    }
                    if holds(worse_dir, fire_at, s) {
                        return Some(s);
                    }
                    let moving_better = match side {
                        Side::Sell => b > s,
                        Side::Buy => b < s,
                    };
                    if moving_better {
                        *self = Self::tracking(side, delta, Some(b), f);
                        return None;
                    }
                    return holds(worse_dir, fire_at, b).then_some(fire_at);
                }
            }
        }
    }
}
