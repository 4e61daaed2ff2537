//! Account-wide risk limits as pure functions (`.spec/portfolio.md`).
//!
//! Entry point: [`evaluate`] looks at an [`AccountSnapshot`] (equity, its peak and its value at
//! the start of the loss window, positions per symbol valued at a price, open order counts,
//! the last hard stop per symbol, `now`) and gives one grid's [`GridVerdict`]: `Allow`,
//! `NoNewBuys` (stop opening and deepening) or `Close`, with every [`Trip`] that caused it.
//!
//! Decisions:
//! - Every limit is optional; a limit left off never trips.
//! - A limit trips when its value **reaches** its threshold (`>=`): a cap of 1000 means the
//!   position may grow to 1000 and no further buy is placed from there on. The cool-down is the
//!   exception by nature: it holds while `now − last hard stop < cool-down`.
//! - All limits are evaluated, in the fixed [`LimitKind`] order (kill switch first); the
//!   verdict is the most severe action among the trips (`Close` > `NoNewBuys` > `Allow`), and
//!   the trips are listed in that order, so the first one is the one a trader reads first.
//! - No floats: shares are exact decimals in percent (`12.5` = 12.5 %).

mod evaluate;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use evaluate::{evaluate, utc_day_start_ms};

use crate::core::correlation::CorrelationMatrix;
use crate::core::money::{Pct, Price, Qty, Quote};
use crate::core::symbol::Symbol;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a tripped limit does to the grids it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TripAction {
    /// Stop opening and deepening: no new buy is placed, resting buys are cancelled; sells
    /// (take-profits, trailing, hard stop) keep working.
    NoNewBuys,
    /// Emergency close: cancel the grid's orders, sell its position at market, and open
    /// nothing until the limit clears.
    Close,
}

/// The outcome for one grid, ordered by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No limit tripped.
    Allow,
    /// At least one limit tripped with [`TripAction::NoNewBuys`], none with `Close`.
    NoNewBuys,
    /// At least one limit tripped with [`TripAction::Close`].
    Close,
}

impl From<TripAction> for Verdict {
    fn from(a: TripAction) -> Self {
        match a {
            TripAction::NoNewBuys => Verdict::NoNewBuys,
            TripAction::Close => Verdict::Close,
        }
    }
}

/// Over which window the daily loss is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LossWindow {
    /// Since 00:00 UTC of `now`'s day.
    UtcDay,
    /// Since `now − 24 h`.
    Rolling24h,
}

/// A threshold and what reaching it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limit<T> {
    /// The value at which the limit trips.
    pub threshold: T,
    /// What a trip does.
    pub action: TripAction,
}

/// The daily loss limit: realised + unrealised loss (equity fall) over a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DailyLoss {
    /// Largest loss in quote before the limit trips.
    pub max_loss: Quote,
    /// UTC day or rolling 24 h.
    pub window: LossWindow,
    /// What a trip does.
    pub action: TripAction,
}

/// The correlated-group exposure cap: the symbols whose returns correlate at or above
/// `min_correlation` (single linkage, `core::correlation`) are one group, and the group's
/// positions together may not reach `max` of the equity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CorrelatedExposure {
    /// Pairwise correlation at or above which two symbols are one group (0 < c ≤ 1).
    pub min_correlation: Decimal,
    /// The group's share of equity, in percent, at which it trips.
    pub max: Pct,
    /// What a trip does.
    pub action: TripAction,
}

/// Every account-wide limit; `None` is off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RiskLimits {
    /// Equity drawdown from its peak, in percent (the kill switch).
    pub max_drawdown: Option<Limit<Pct>>,
    /// Loss over the UTC day or the last 24 h.
    pub daily_loss: Option<DailyLoss>,
    /// After a hard stop, that symbol opens nothing for this long (ms). Its action is always
    /// [`TripAction::NoNewBuys`]: the position is already sold.
    pub hard_stop_cooldown_ms: Option<i64>,
    /// Value of the position per symbol, in quote.
    pub max_position_value: Option<Limit<Quote>>,
    /// Share of equity not in the quote asset, in percent.
    pub max_exposure: Option<Limit<Pct>>,
    /// Share of equity held in the grid's correlated group.
    pub correlated_exposure: Option<CorrelatedExposure>,
    /// Open orders across the account; when set, each symbol's `MAX_NUM_ORDERS` and
    /// `MAX_NUM_ALGO_ORDERS` are checked with the same action.
    pub max_open_orders: Option<Limit<u32>>,
}

/// One symbol's state as the account sees it (all grids on it summed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolState {
    /// Base held for this symbol's grids.
    pub qty: Qty,
    /// The price the position is valued at (last trade or close).
    pub price: Price,
    /// Open orders on the symbol (all types).
    pub open_orders: u32,
    /// Of those, stop and take-profit types (`MAX_NUM_ALGO_ORDERS`).
    pub open_algo_orders: u32,
    /// The symbol's `MAX_NUM_ORDERS` filter, if any.
    pub max_num_orders: Option<u32>,
    /// The symbol's `MAX_NUM_ALGO_ORDERS` filter, if any.
    pub max_num_algo_orders: Option<u32>,
    /// When a basket of this symbol last ended by its hard stop.
    pub last_hard_stop_ms: Option<i64>,
}

impl SymbolState {
    /// The position's value at `price`.
    pub fn value(&self) -> Quote {
        self.price * self.qty
    }
}

/// The account as the limits see it at `now_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSnapshot {
    /// Evaluation time (ms since the epoch), an argument, never a clock read.
    pub now_ms: i64,
    /// Quote + every position at its price.
    pub equity: Quote,
    /// Highest equity seen (the drawdown's reference).
    pub peak_equity: Quote,
    /// Equity at 00:00 UTC of `now`'s day.
    pub day_start_equity: Quote,
    /// Equity 24 h before `now` (or the earliest known, if younger).
    pub equity_24h_ago: Quote,
    /// Every symbol with a position, an open order or a hard stop.
    pub symbols: BTreeMap<Symbol, SymbolState>,
    /// The traded symbols' correlations (the correlated-exposure cap's groups).
    pub correlation: CorrelationMatrix,
}

/// The limits, in their order of evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// Equity drawdown from the peak (%).
    MaxDrawdown,
    /// Loss over the window (quote).
    DailyLoss,
    /// Time since this symbol's last hard stop (ms).
    HardStopCooldown,
    /// This symbol's position value (quote).
    MaxPositionValue,
    /// Share of equity outside the quote asset (%).
    MaxExposure,
    /// Share of equity in this symbol's correlated group (%).
    CorrelatedExposure,
    /// Open orders across the account.
    MaxOpenOrders,
    /// This symbol's open orders against its `MAX_NUM_ORDERS`.
    SymbolMaxNumOrders,
    /// This symbol's open algo orders against its `MAX_NUM_ALGO_ORDERS`.
    SymbolMaxNumAlgoOrders,
}

/// One tripped limit: which, at what value against which threshold, and what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trip {
    /// The limit.
    pub limit: LimitKind,
    /// The measured value (unit as in [`LimitKind`]).
    pub value: Decimal,
    /// The threshold it reached.
    pub threshold: Decimal,
    /// What the trip does.
    pub action: TripAction,
}

/// One grid's verdict and the trips behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GridVerdict {
    /// The most severe action among `trips`, `Allow` if none.
    pub verdict: Verdict,
    /// Every trip, in evaluation order.
    pub trips: Vec<Trip>,
}
