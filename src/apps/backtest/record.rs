//! What a backtest run hands to the metrics and reports: [`BacktestRecord`], plain data.
//!
//! # Accounting convention (the P&L identity)
//!
//! The account starts with `initial_quote` of the quote asset and no base. Every fill is a
//! [`TradeMark`]; its commission is valued in quote at the fill price (`fee`), and the part of
//! it charged in the base asset is also given as a quantity (`fee_base`; zero when the
//! exchange charged quote). Third-asset commissions (BNB) are not simulated by the
//! backtester. [`Ledger`] folds fills with these rules, average-cost (VWAP) style:
//!
//! | fill | position | open cost | realised | fees |
//! |------|----------|-----------|----------|------|
//! | buy `q` at `p`, base fee `c` | `+ (q − c)` | `+ (q − c) × p` | — | `+ fee` |
//! | sell `q` at `p`, base fee `c` | `− (q + c)` | `− removed` | `+ (q + c) × p − removed` | `+ fee` |
//!
//! where `removed = open_cost × (q + c) / position` (all of it when the sell empties the
//! position). A base commission is thus read as "that much base traded at the fill price, then
//! paid as a fee", so **realised P&L is gross of every fee, the open cost excludes every fee,
//! and `fees` holds them all**. With `unrealised = final_base × final_price − open_cost` this
//! makes the identity exact to the last unit:
//!
//! `final_quote + final_base × final_price = initial_quote + realised + unrealised − fees`
//!
//! (equivalently `final_quote = initial_quote + realised − open_cost − fees`), which
//! [`crate::apps::backtest::metrics::Summary::compute`] checks. Removed cost is computed as a
//! difference of the running open cost, so division rounding never leaks into the identity.

use crate::core::basket::BasketStatus;
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::{Side, Slot};
use crate::core::strategy::config::StrategyConfig;
use crate::core::symbol::{Asset, Symbol};

/// Everything one backtest run produced; the runner fills it, the reports read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacktestRecord {
    /// Trading pair.
    pub symbol: Symbol,
    /// Quote asset of the pair (what equity is counted in).
    pub quote_asset: Asset,
    /// Base asset of the pair.
    pub base_asset: Asset,
    /// Number of candles replayed.
    pub candles: u64,
    /// Open time of the first candle, Unix ms.
    pub start_ms: i64,
    /// Close time of the last candle, Unix ms.
    pub end_ms: i64,
    /// Open of the first candle: where buy-and-hold buys.
    pub first_open: Price,
    /// Starting cash; base starts at zero.
    pub initial_quote: Quote,
    /// Quote balance at the end.
    pub final_quote: Quote,
    /// Base balance at the end (after base-asset commissions).
    pub final_base: Qty,
    /// Last price, at which the open position is valued.
    pub final_price: Price,
    /// Realised P&L over all sells, gross of fees (see the module doc).
    pub realized_pnl: Quote,
    /// Cost of the open position at average entry, fees excluded (see the module doc).
    pub open_cost: Quote,
    /// All commissions, valued in quote at fill time.
    pub fees: Quote,
    /// Equity after every candle (full resolution, time order).
    pub equity: Vec<EquityPoint>,
    /// Every fill, time order.
    pub trades: Vec<TradeMark>,
    /// Every basket the run opened, in id order.
    pub baskets: Vec<BasketOutcome>,
    /// The strategy configuration the run used.
    pub config: StrategyConfig,
}

/// Account value at the close of one candle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EquityPoint {
    /// Candle close time, Unix ms.
    pub time_ms: i64,
    /// `quote + base × price`.
    pub equity: Quote,
    /// Candle close price.
    pub price: Price,
    /// Base held.
    pub position: Qty,
}

/// One fill, for the trade list and the chart markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeMark {
    /// Execution time, Unix ms.
    pub time_ms: i64,
    /// Basket the order belonged to.
    pub basket: u32,
    /// Slot of the order inside its basket.
    pub slot: Slot,
    /// Buy or sell.
    pub side: Side,
    /// Execution price.
    pub price: Price,
    /// Executed base quantity, gross of any base-asset commission.
    pub qty: Qty,
    /// Commission valued in quote at the fill price.
    pub fee: Quote,
    /// The part of the commission charged in the base asset (zero when charged in quote).
    pub fee_base: Qty,
}

/// How one basket ended (or where it stands when the run stopped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasketOutcome {
    /// Basket id.
    pub id: u32,
    /// Anchor price P0.
    pub anchor: Price,
    /// Creation time, Unix ms.
    pub opened_ms: i64,
    /// Time the basket left `active`, if it did.
    pub closed_ms: Option<i64>,
    /// Final status.
    pub status: BasketStatus,
    /// Realised P&L of the basket, gross of fees (same convention as the record).
    pub realized_pnl: Quote,
    /// Commissions of the basket's fills, valued in quote.
    pub fees: Quote,
    /// Deepest buy level filled (0 = none).
    pub max_depth: u16,
}

/// Decimal places of the cost a sell removes from the open position: exact sums for any
/// amount below 10^8 quote in `rust_decimal`'s 28 digits.
pub const COST_DP: u32 = 20;

/// Average-cost accounting of fills, following the module doc's table.
///
/// The runner may use it to fill `realized_pnl`, `open_cost` and `fees` of the record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Base held.
    pub position: Qty,
    /// Cost of the open position, fees excluded.
    pub open_cost: Quote,
    /// Realised P&L, gross of fees.
    pub realized_pnl: Quote,
    /// Commissions, valued in quote.
    pub fees: Quote,
}

impl Ledger {
    /// Books one fill.
    pub fn apply(&mut self, trade: &TradeMark) {
        self.fees += trade.fee;
        match trade.side {
            Side::Buy => {
                let net = trade.qty - trade.fee_base;
                self.position += net;
                self.open_cost += trade.price * net;
            }
            Side::Sell => {
                let out = trade.qty + trade.fee_base;
                let removed = if out >= self.position || !self.position.is_positive() {
                    self.open_cost
                } else {
                    // Rounded to COST_DP: an average-cost share carries up to 28 significant
                    // digits, and sums of such numbers of different magnitudes round away
                    // their last digits, so realised and open cost would drift apart and break
                    // the P&L identity by 1e-25 (seen with a range grid's many partial sells).
                    Quote::new(
                        (self.open_cost.get() * out.get() / self.position.get())
                            .round_dp_with_strategy(
                                COST_DP,
                                rust_decimal::RoundingStrategy::ToZero,
                            ),
                    )
                };
                self.position -= out;
                self.open_cost -= removed;
                self.realized_pnl += trade.price * out - removed;
            }
        }
    }
}

/// Hand-made records for tests.
#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::order::Slot;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    proptest! {
        /// Whatever the fills (fees in quote, or in base on buys as Binance charges them by
        /// default), cash + base × price = initial + realised + unrealised − fees to the last
        /// unit, which `metrics::Summary::compute` insists on.
        #[test]
        fn the_ledger_keeps_the_pnl_identity_exact(
            trades in prop::collection::vec((any::<bool>(), 500i64..7000, 1i64..5000, any::<bool>()), 1..200),
            last in 500i64..7000,
        ) {
            let initial = Quote::new(Decimal::from(10_000));
            let (mut cash, mut base, mut ledger) = (initial, Qty::ZERO, Ledger::default());
            for (buy, price, qty, base_fee) in trades {
                let price = Price::new(Decimal::new(price, 3));
                let mut qty = Qty::new(Decimal::new(qty, 2));
                if !buy {
                    qty = qty.min(base);
                    if !qty.is_positive() { continue; }
                }
                let slot = if buy { Slot::Buy(1) } else { Slot::Sell(2) };
                let (fee, fee_base) = if buy && base_fee {
                    let f = qty.scale(Decimal::new(1, 3));
                    (price * f, f)
                } else {
                    ((price * qty).scale(Decimal::new(1, 3)), Qty::ZERO)
                };
                let t = TradeMark { time_ms: 0, basket: 1, slot, side: slot.side(), price, qty, fee, fee_base };
                if buy {
                    cash -= price * qty + if fee_base.is_positive() { Quote::ZERO } else { fee };
                    base += qty - fee_base;
                } else {
                    cash += price * qty - fee;
                    base -= qty;
                }
                ledger.apply(&t);
            }
            let last = Price::new(Decimal::new(last, 3));
            let unrealised = base * last - ledger.open_cost;
            prop_assert_eq!(cash + base * last, initial + ledger.realized_pnl + unrealised - ledger.fees);
        }
    }
}
