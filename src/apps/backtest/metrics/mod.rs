//! Backtest metrics: [`Summary::compute`] turns a [`BacktestRecord`] into the numbers every
//! report shows.
//!
//! Definitions (all exact decimals, no floating point, so reports are byte-identical across
//! runs and machines):
//!
//! - **Realised / unrealised / fees** follow the record's accounting convention
//!   ([`crate::apps::backtest::record`]): realised is gross of fees, unrealised is
//!   `final_base × final_price − open_cost`, fees are all commissions valued in quote.
//!   `total_pnl = realised + unrealised − fees = final_equity − initial`; `compute` refuses a
//!   record for which that identity does not hold exactly ([`MetricsError::PnlIdentity`]).
//! - **ROI** = total P&L / initial quote.
//! - **Max drawdown**: peak-to-trough fall of the full-resolution equity curve, in quote (the
//!   largest absolute fall) and in percent of the running peak (the largest relative fall;
//!   the two maxima may sit at different places).
//! - **Sharpe**: daily returns of equity sampled at UTC day boundaries (the last point of
//!   each UTC day, starting from the initial quote), `mean / sample stdev × √365`, risk-free
//!   rate 0; `None` with fewer than two returns or a flat curve.
//! - **Baskets**: counts by final status. A "trade" for win rate and averages is a basket
//!   round trip: a basket that ended `closed`, `stopped` or `emergency_closed`. It wins when
//!   its realised P&L net of its own fees is above zero and loses when below; win rate =
//!   wins / round trips; average win/loss are means of net P&L over wins/losses.
//! - **Time in market**: share of candles (equity points) with a position above zero.
//! - **P&L / max drawdown**: total P&L over the largest absolute fall (quote over quote);
//!   `None` on a curve that never fell.
//! - **Calmar**: ROI annualised linearly over the run's length (`ROI × 365 / days`) over the
//!   max drawdown in percent; `None` without a drawdown. Linear, not compounded: runs are
//!   weeks to months long and the figure ranks configurations, it forecasts nothing.
//! - **Buy-and-hold** ([`BuyAndHold`]): the same budget held from the first candle, with its
//!   own P&L, drawdown and P&L / drawdown.
//!
//! Percentages and the Sharpe ratio are rounded to [`RATIO_DP`] decimal places (halves away
//! from zero); money keeps full precision.

mod hold;
mod stats;
#[cfg(test)]
mod tests;

pub use hold::BuyAndHold;
pub use stats::{daily_closes, drawdown_of, max_drawdown, sharpe, Drawdown, DAY_MS};

use crate::apps::backtest::record::BacktestRecord;
use crate::core::basket::BasketStatus;
use crate::core::money::Quote;
use crate::core::order::Side;
use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places kept for percentages and the Sharpe ratio.
pub const RATIO_DP: u32 = 6;

/// Why a record cannot be summarised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricsError {
    /// The record's balances and P&L parts disagree: a bug in the runner's accounting.
    #[error(
        "P&L identity broken: final equity {final_equity} ≠ initial + realised + unrealised − \
         fees = {expected}"
    )]
    PnlIdentity {
        /// `final_quote + final_base × final_price`.
        final_equity: Quote,
        /// `initial + realised + unrealised − fees`.
        expected: Quote,
    },
    /// ROI needs starting capital.
    #[error("initial quote must be positive, got {0}")]
    NoCapital(Quote),
}

/// Baskets by final status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BasketCounts {
    /// Baskets the run opened (all of them).
    pub opened: u32,
    /// Ended `closed` (sold by TP/TR).
    pub closed: u32,
    /// Ended `stopped` (hard stop).
    pub stopped: u32,
    /// Ended `emergency_closed`.
    pub emergency_closed: u32,
    /// Ended `reanchored` (no fill, grid moved).
    pub reanchored: u32,
    /// Still `active` when the run ended.
    pub active: u32,
    /// Ended in `error`.
    pub error: u32,
}

/// Basket round trips: the "trades" of win rate and averages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundTrips {
    /// Baskets that ended `closed`, `stopped` or `emergency_closed`.
    pub count: u32,
    /// Round trips with net P&L above zero.
    pub wins: u32,
    /// Round trips with net P&L below zero.
    pub losses: u32,
    /// `wins / count` in percent; `None` without round trips.
    pub win_rate_pct: Option<Decimal>,
    /// Mean net P&L of the wins.
    pub avg_win: Option<Quote>,
    /// Mean net P&L of the losses (negative).
    pub avg_loss: Option<Quote>,
}

/// The headline numbers of one backtest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Starting cash.
    pub initial_equity: Quote,
    /// `final_quote + final_base × final_price`.
    pub final_equity: Quote,
    /// Realised P&L, gross of fees.
    pub realized_pnl: Quote,
    /// `final_base × final_price − open_cost`.
    pub unrealized_pnl: Quote,
    /// All commissions, valued in quote.
    pub fees: Quote,
    /// `realised + unrealised − fees`.
    pub total_pnl: Quote,
    /// Total P&L over initial quote, percent.
    pub roi_pct: Decimal,
    /// Peak-to-trough falls of the equity curve.
    pub drawdown: Drawdown,
    /// Annualised Sharpe ratio of daily returns.
    pub sharpe: Option<Decimal>,
    /// Number of daily returns behind the Sharpe ratio.
    pub daily_returns: u32,
    /// Baskets by status.
    pub baskets: BasketCounts,
    /// Round-trip statistics.
    pub round_trips: RoundTrips,
    /// Share of candles with a position, percent.
    pub time_in_market_pct: Decimal,
    /// Number of fills.
    pub fills: u64,
    /// Number of buy fills.
    pub buys: u64,
    /// Number of sell fills.
    pub sells: u64,
    /// Total P&L over the max drawdown in quote; `None` without a drawdown.
    pub pnl_over_drawdown: Option<Decimal>,
    /// Linearly annualised ROI over the max drawdown percent; `None` without a drawdown.
    pub calmar: Option<Decimal>,
    /// The benchmark: the same budget held from the first candle.
    pub buy_and_hold: BuyAndHold,
}

impl Summary {
    /// Computes every metric, checking the P&L identity first.
    pub fn compute(record: &BacktestRecord) -> Result<Self, MetricsError> {
        let initial = record.initial_quote;
        if !initial.is_positive() {
            return Err(MetricsError::NoCapital(initial));
        }
        let held_value = record.final_base * record.final_price;
        let final_equity = record.final_quote + held_value;
        let unrealized_pnl = held_value - record.open_cost;
        let total_pnl = record.realized_pnl + unrealized_pnl - record.fees;
        if final_equity != initial + total_pnl {
            return Err(MetricsError::PnlIdentity {
                final_equity,
                expected: initial + total_pnl,
            });
        }
        let closes = daily_closes(&record.equity);
        let (sharpe, daily_returns) = sharpe(initial, &closes);
        let in_market = record.equity.iter().filter(|p| p.position.is_positive());
        let buys = record.trades.iter().filter(|t| t.side == Side::Buy).count();
        let drawdown = max_drawdown(&record.equity);
        let roi_pct = percent(total_pnl.get(), initial.get());
        let days =
            Decimal::from((record.end_ms - record.start_ms + 1).max(1)) / Decimal::from(DAY_MS);
        Ok(Self {
            initial_equity: initial,
            final_equity,
            realized_pnl: record.realized_pnl,
            unrealized_pnl,
            fees: record.fees,
            total_pnl,
            roi_pct,
            drawdown,
            sharpe,
            daily_returns,
            baskets: basket_counts(record),
            round_trips: round_trips(record),
            time_in_market_pct: percent(
                Decimal::from(in_market.count()),
                Decimal::from(record.equity.len().max(1)),
            ),
            fills: record.trades.len() as u64,
            buys: buys as u64,
            sells: (record.trades.len() - buys) as u64,
            pnl_over_drawdown: ratio(total_pnl.get(), drawdown.amount.get()),
            calmar: ratio(roi_pct * Decimal::from(365) / days, drawdown.pct),
            buy_and_hold: BuyAndHold::compute(record),
        })
    }
}

/// `part / whole × 100`, rounded to [`RATIO_DP`].
pub(crate) fn percent(part: Decimal, whole: Decimal) -> Decimal {
    (part * Decimal::ONE_HUNDRED / whole)
        .round_dp_with_strategy(RATIO_DP, RoundingStrategy::MidpointAwayFromZero)
}

/// `num / den` rounded to [`RATIO_DP`]; `None` when `den` is not positive.
pub(crate) fn ratio(num: Decimal, den: Decimal) -> Option<Decimal> {
    (den > Decimal::ZERO).then(|| {
        (num / den).round_dp_with_strategy(RATIO_DP, RoundingStrategy::MidpointAwayFromZero)
    })
}

fn basket_counts(record: &BacktestRecord) -> BasketCounts {
    let mut c = BasketCounts::default();
    for b in &record.baskets {
        c.opened += 1;
        *match b.status {
            // The backtester never leaves a basket closing; still open if it did.
            BasketStatus::Active | BasketStatus::Closing => &mut c.active,
            BasketStatus::Closed => &mut c.closed,
            BasketStatus::Stopped => &mut c.stopped,
            BasketStatus::EmergencyClosed => &mut c.emergency_closed,
            BasketStatus::Reanchored => &mut c.reanchored,
            BasketStatus::Error => &mut c.error,
        } += 1;
    }
    c
}

fn round_trips(record: &BacktestRecord) -> RoundTrips {
    let nets: Vec<Quote> = record
        .baskets
        .iter()
        .filter(|b| {
            matches!(
                b.status,
                BasketStatus::Closed | BasketStatus::Stopped | BasketStatus::EmergencyClosed
            )
        })
        .map(|b| b.realized_pnl - b.fees)
        .collect();
    let wins: Vec<Quote> = nets.iter().copied().filter(|n| n.is_positive()).collect();
    let losses: Vec<Quote> = nets
        .iter()
        .copied()
        .filter(|n| n.get() < Decimal::ZERO)
        .collect();
    let mean = |xs: &[Quote]| {
        (!xs.is_empty())
            .then(|| Quote::new(xs.iter().copied().sum::<Quote>().get() / Decimal::from(xs.len())))
    };
    RoundTrips {
        count: nets.len() as u32,
        wins: wins.len() as u32,
        losses: losses.len() as u32,
        win_rate_pct: (!nets.is_empty())
            .then(|| percent(Decimal::from(wins.len()), Decimal::from(nets.len()))),
        avg_win: mean(&wins),
        avg_loss: mean(&losses),
    }
}
