//! Position, average entry (VWAP) and realised P&L of one basket, derived from its fills
//! (`.spec/strategy.md` §3 step 2, "Position accounting").
//!
//! Entry point: [`Position::from_fills`]. Fills are replayed in `(time_ms, trade_id)` order
//! with the average-cost method:
//!
//! - start from the basket's carried dust (`carried_qty` at `carried_cost`);
//! - a buy adds its quantity and `price × qty` to the cost; a commission in the base asset
//!   shrinks the position, one in the quote asset adds to the cost; one in any other asset
//!   (BNB) is recorded in [`Position::other_fees`] and, at the quote value journalled with the
//!   fill ([`crate::core::fill::Commission::quote_value`]), is subtracted from the realised
//!   P&L when paid (buy or sell) without touching the cost or the VWAP (an unvalued one
//!   counts nothing);
//! - a sell (and a base-asset commission on it) removes quantity at the current average cost,
//!   so the VWAP does not move; its realised P&L is `proceeds − quote commission − cost of
//!   the quantity removed`.
//!
//! Invariants: `cost` is zero whenever `qty` is not positive; the VWAP exists only for a
//! positive position; `filled` holds the gross executed quantity per slot.

use crate::core::basket::Basket;
use crate::core::fill::Fill;
use crate::core::money::{Amount, Price, Qty, Quote};
use crate::core::order::{Side, Slot};
use crate::core::symbol::Asset;
use std::collections::BTreeMap;

/// What a basket holds and has earned, as its fills say.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Position {
    /// Net base quantity held: carried + bought − base commissions − sold.
    pub qty: Qty,
    /// Quote spent on the open position (average cost × `qty`), quote commissions included.
    pub cost: Quote,
    /// Realised P&L of all sells, net of their commissions, and net of every third-asset fee
    /// (BNB) at its journalled quote value.
    pub realised_pnl: Quote,
    /// Commissions paid in assets other than base and quote (e.g. BNB), summed per asset.
    pub other_fees: BTreeMap<Asset, Amount>,
    /// Gross executed quantity per slot (before any commission).
    pub filled: BTreeMap<Slot, Qty>,
    /// Number of fills replayed.
    pub fill_count: usize,
}

impl Position {
    /// Replays `fills` (any order; sorted here by time, then trade id) on top of the basket's
    /// carried dust. `base` and `quote` are the symbol's assets (from `SymbolRules`).
    pub fn from_fills(basket: &Basket, fills: &[Fill], base: &Asset, quote: &Asset) -> Self {
        Self::replay(basket, fills, base, quote, |_, _| {})
    }

    /// [`Position::from_fills`] that calls `each` after every fill (in replay order) with the
    /// position so far, so callers can read what one fill changed (the realised P&L of a sell
    /// is the increase of `realised_pnl` it caused).
    pub fn replay(
        basket: &Basket,
        fills: &[Fill],
        base: &Asset,
        quote: &Asset,
        mut each: impl FnMut(&Fill, &Position),
    ) -> Self {
        let mut sorted: Vec<&Fill> = fills.iter().collect();
        sorted.sort_by_key(|f| (f.time_ms, f.trade_id));
        let mut pos = Position {
            qty: basket.carried_qty,
            cost: basket.carried_cost,
            ..Position::default()
        };
        for fill in sorted {
            pos.apply(fill, base, quote);
            each(fill, &pos);
        }
        pos
    }

    fn apply(&mut self, fill: &Fill, base: &Asset, quote: &Asset) {
        let fee = &fill.commission;
        let base_fee = if &fee.asset == base {
            fee.amount.as_qty()
        } else {
            Qty::ZERO
        };
        let quote_fee = if &fee.asset == quote {
            fee.amount.as_quote()
        } else {
            Quote::ZERO
        };
        if &fee.asset != base && &fee.asset != quote && !fee.amount.is_zero() {
            *self
                .other_fees
                .entry(fee.asset.clone())
                .or_insert(Amount::ZERO) += fee.amount;
            // Spent when paid, buy or sell: realised at its journalled quote value. Not in
            // the cost, so the VWAP (and the take-profit prices) stay as the strategy defines.
            self.realised_pnl -= fee.quote_value.unwrap_or(Quote::ZERO);
        }
        *self.filled.entry(fill.slot).or_insert(Qty::ZERO) += fill.qty;
        self.fill_count += 1;
        match fill.side {
            Side::Buy => {
                self.qty += fill.qty - base_fee;
                self.cost += fill.notional() + quote_fee;
            }
            Side::Sell => {
                let removed = fill.qty + base_fee;
                let removed_cost = self.cost_of(removed);
                self.realised_pnl += fill.notional() - quote_fee - removed_cost;
                self.qty -= removed;
                self.cost -= removed_cost;
            }
        }
        if !self.qty.is_positive() {
            self.cost = Quote::ZERO;
        }
    }

    /// Average cost of `qty` units at the current VWAP (zero without a position).
    fn cost_of(&self, qty: Qty) -> Quote {
        match self.vwap() {
            Some(vwap) => vwap * qty,
            None => Quote::ZERO,
        }
    }

    /// Average entry price of the open position (`cost / qty`), `None` without a position.
    pub fn vwap(&self) -> Option<Price> {
        self.qty.is_positive().then(|| self.cost / self.qty)
    }

    /// Gross executed quantity of one slot.
    pub fn filled(&self, slot: Slot) -> Qty {
        self.filled.get(&slot).copied().unwrap_or(Qty::ZERO)
    }

    /// True when the slot executed at all (partially or fully).
    pub fn executed(&self, slot: Slot) -> bool {
        self.filled(slot).is_positive()
    }

    /// True when any sell slot (TP1, TP2, TR, EXIT) executed.
    pub fn sold_any(&self) -> bool {
        [Slot::Tp1, Slot::Tp2, Slot::Tr, Slot::Exit]
            .into_iter()
            .any(|s| self.executed(s))
    }

    /// Depth: the number of buy levels (`B*` and `X*`) with any fill.
    pub fn depth(&self) -> u16 {
        let n = self
            .filled
            .iter()
            .filter(|(slot, qty)| matches!(slot, Slot::Buy(_) | Slot::Ext(_)) && qty.is_positive())
            .count();
        u16::try_from(n).unwrap_or(u16::MAX)
    }

    /// Unrealised P&L at `last`: `last × qty − cost` (exit fees not deducted).
    pub fn unrealised_pnl(&self, last: Price) -> Quote {
        if self.qty.is_positive() {
            last * self.qty - self.cost
        } else {
            Quote::ZERO
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::basket::BasketStatus;
    use crate::core::fill::Commission;
    use crate::core::strategy::config::fixtures;
    use rust_decimal_macros::dec;

    fn asset(s: &str) -> Asset {
        Asset::parse(s).unwrap()
    }

    fn basket() -> Basket {
        Basket {
            id: 1,
            anchor: Price::new(dec!(150)),
            config: fixtures::worked_example(),
            status: BasketStatus::Active,
            carried_qty: Qty::ZERO,
            carried_cost: Quote::ZERO,
            created_ms: 0,
            trail_root: None,
        }
    }

    fn fill(
        trade_id: u64,
        slot: Slot,
        price: rust_decimal::Decimal,
        qty: rust_decimal::Decimal,
        fee: rust_decimal::Decimal,
        fee_asset: &str,
    ) -> Fill {
        Fill {
            trade_id,
            order_id: trade_id,
            slot,
            side: slot.side(),
            price: Price::new(price),
            qty: Qty::new(qty),
            commission: Commission {
                amount: Amount::new(fee),
                asset: asset(fee_asset),
                quote_value: None,
            },
            is_maker: true,
            time_ms: i64::try_from(trade_id).unwrap(),
        }
    }

    fn replay(b: &Basket, fills: &[Fill]) -> Position {
        Position::from_fills(b, fills, &asset("SOL"), &asset("USDC"))
    }

    #[test]
    fn base_commission_shrinks_the_position_and_raises_the_vwap() {
        // Buy 1 SOL at 100, fee 0.001 SOL: hold 0.999 for 100 USDC → VWAP 100/0.999.
        let p = replay(
            &basket(),
            &[fill(
                1,
                Slot::Buy(1),
                dec!(100),
                dec!(1),
                dec!(0.001),
                "SOL",
            )],
        );
        assert_eq!(p.qty, Qty::new(dec!(0.999)));
        assert_eq!(p.cost, Quote::new(dec!(100)));
        assert_eq!(
            p.vwap(),
            Some(Quote::new(dec!(100)) / Qty::new(dec!(0.999)))
        );
        assert_eq!(p.depth(), 1);
    }

    #[test]
    fn quote_commission_adds_to_cost_and_bnb_is_reported_apart() {
        let p = replay(
            &basket(),
            &[
                fill(1, Slot::Buy(1), dec!(100), dec!(1), dec!(0.1), "USDC"),
                fill(2, Slot::Buy(2), dec!(90), dec!(1), dec!(0.0002), "BNB"),
            ],
        );
        assert_eq!(p.qty, Qty::new(dec!(2)));
        assert_eq!(p.cost, Quote::new(dec!(190.1)));
        assert_eq!(p.vwap(), Some(Price::new(dec!(95.05))));
        assert_eq!(
            p.other_fees.get(&asset("BNB")),
            Some(&Amount::new(dec!(0.0002)))
        );
        assert_eq!(p.depth(), 2);
    }

    #[test]
    fn a_valued_bnb_fee_enters_realised_pnl_but_not_the_vwap() {
        // Buy 1 at 100 paying 0.0002 BNB worth 0.12 USDC, sell 1 at 110 paying 0.0002 BNB
        // worth 0.13: P&L = 110 − 100 − 0.12 − 0.13 = 9.75. Unvalued, the same fees count
        // nothing.
        let valued = |mut f: Fill, q| {
            f.commission.quote_value = Some(Quote::new(q));
            f
        };
        let buy = fill(1, Slot::Buy(1), dec!(100), dec!(1), dec!(0.0002), "BNB");
        let sell = fill(2, Slot::Tp1, dec!(110), dec!(1), dec!(0.0002), "BNB");
        let bought = replay(&basket(), &[valued(buy.clone(), dec!(0.12))]);
        assert_eq!(bought.vwap(), Some(Price::new(dec!(100))));
        assert_eq!(bought.realised_pnl, Quote::new(dec!(-0.12)));
        let p = replay(
            &basket(),
            &[
                valued(buy.clone(), dec!(0.12)),
                valued(sell.clone(), dec!(0.13)),
            ],
        );
        assert_eq!(p.realised_pnl, Quote::new(dec!(9.75)));
        assert_eq!(
            p.other_fees.get(&asset("BNB")),
            Some(&Amount::new(dec!(0.0004)))
        );
        let unvalued = replay(&basket(), &[buy, sell]);
        assert_eq!(unvalued.realised_pnl, Quote::new(dec!(10)));
    }

    #[test]
    fn sells_reduce_at_average_cost_and_realise_net_pnl() {
        // Hold 2 at VWAP 95; sell 1 at 100 paying 0.1 USDC: P&L = 100 − 0.1 − 95 = 4.9.
        let p = replay(
            &basket(),
            &[
                fill(1, Slot::Buy(1), dec!(100), dec!(1), dec!(0), "USDC"),
                fill(2, Slot::Buy(2), dec!(90), dec!(1), dec!(0), "USDC"),
                fill(3, Slot::Tp1, dec!(100), dec!(1), dec!(0.1), "USDC"),
            ],
        );
        assert_eq!(p.qty, Qty::new(dec!(1)));
        assert_eq!(p.vwap(), Some(Price::new(dec!(95))));
        assert_eq!(p.realised_pnl, Quote::new(dec!(4.9)));
        assert!(p.executed(Slot::Tp1) && !p.executed(Slot::Tp2));
        assert!(p.sold_any());
        assert_eq!(p.unrealised_pnl(Price::new(dec!(97))), Quote::new(dec!(2)));
    }

    #[test]
    fn fills_are_replayed_in_time_order_and_carried_dust_counts() {
        let mut b = basket();
        b.carried_qty = Qty::new(dec!(0.5));
        b.carried_cost = Quote::new(dec!(50));
        let mut sell = fill(9, Slot::Tr, dec!(120), dec!(1.5), dec!(0), "USDC");
        sell.time_ms = 100;
        let buy = fill(1, Slot::Buy(1), dec!(100), dec!(1), dec!(0), "USDC");
        // Sell listed first but executed last: position 0.5 + 1 − 1.5 = 0.
        let p = replay(&b, &[sell, buy]);
        assert_eq!(p.qty, Qty::ZERO);
        assert_eq!(p.cost, Quote::ZERO);
        assert_eq!(p.vwap(), None);
        // Cost 150 for 1.5; proceeds 180 → P&L 30.
        assert_eq!(p.realised_pnl, Quote::new(dec!(30)));
        assert_eq!(p.fill_count, 2);
    }
}
