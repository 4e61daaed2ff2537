//! Buy-and-hold, the benchmark every report shows next to the strategy: the strategy's
//! `quote_budget` (at most the starting cash) spent on the base asset at the first candle's
//! open and held to the end; the rest of the cash stays idle, so both curves start at the
//! same equity and their drawdowns are comparable in quote and in percent.
//!
//! Decision: no fee and no lot-size rounding on the benchmark's purchase. It is a yardstick
//! of what the market gave, not a trade; this is also how the portfolio report counts it.

use super::ratio;
use super::stats::{drawdown_of, Drawdown};
use crate::apps::backtest::record::BacktestRecord;
use crate::core::money::{Price, Qty, Quote};
use rust_decimal::Decimal;

/// The benchmark's numbers for one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuyAndHold {
    /// Quote spent at the first open.
    pub budget: Quote,
    /// Price paid (the first candle's open).
    pub entry: Price,
    /// Base bought.
    pub qty: Qty,
    /// `qty × final price − budget`.
    pub pnl: Quote,
    /// Peak-to-trough falls of the held account's equity.
    pub drawdown: Drawdown,
    /// `pnl / max drawdown` (quote over quote); `None` on a curve that never fell.
    pub pnl_over_drawdown: Option<Decimal>,
}

impl BuyAndHold {
    /// The benchmark of `record`.
    pub fn compute(record: &BacktestRecord) -> Self {
        let budget = record.config.quote_budget.min(record.initial_quote);
        let entry = record.first_open;
        let qty = if entry.is_positive() {
            budget / entry
        } else {
            Qty::ZERO
        };
        let idle = record.initial_quote - budget;
        let drawdown = drawdown_of(record.equity.iter().map(|p| idle + p.price * qty));
        let pnl = record.final_price * qty - budget;
        Self {
            budget,
            entry,
            qty,
            pnl,
            drawdown,
            pnl_over_drawdown: ratio(pnl.get(), drawdown.amount.get()),
        }
    }

    /// The held account's equity at `price`, starting from `initial` cash.
    pub fn equity_at(&self, initial: Quote, price: Price) -> Quote {
        initial - self.budget + price * self.qty
    }
}
