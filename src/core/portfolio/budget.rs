//! The budget rule: a grid never commits more quote than it holds, so it never spends another
//! grid's money on a shared account (`.spec/portfolio.md`, "Budget rule").
//!
//! Entry point: `fit_buys` trims a cycle's desired orders before the reconciler runs
//! (`core::cycle::decide_budgeted`); the backtest calls it, and so does every grid's bot under
//! the portfolio orchestrator (`apps::portfolio`).
//!
//! Decisions:
//! - A grid's **cash** is its budget plus what its sells brought minus what its buys cost and
//!   its quote fees: the caller books it from the grid's own fills. Profits stay the grid's,
//!   losses shrink what it may buy.
//! - Desired buys are kept in plan order (nearest the price first) while their notional fits
//!   the cash; the first one that does not fit is dropped **with every buy after it**, so the
//!   ladder is never holed. Dropped buys that rest are cancelled by the reconciler, which is
//!   the point: the buy that would overdraw is never sent, so "insufficient balance" cannot
//!   become a retry loop.
//! - What a resting buy of the same slot already executed was paid from the cash: only its
//!   remaining part counts. A buy without a limit price (market) is valued at `last`.
//! - Sells are never touched: a grid may always sell what it holds.

use crate::core::client_id::IdPrefix;
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::{OpenOrder, OrderSpec, Side};

/// `desired` without the buys that do not fit in `cash` (see the module doc). `resting` are
/// the symbol's open orders; those of `prefix` and `basket` tell what a slot already executed.
pub fn fit_buys(
    desired: &[OrderSpec],
    resting: &[OpenOrder],
    prefix: &IdPrefix,
    basket: u32,
    cash: Quote,
    last: Price,
) -> Vec<OrderSpec> {
    let mut left = cash;
    let mut full = false;
    desired
        .iter()
        .filter(|o| {
            if o.side != Side::Buy {
                return true;
            }
            if full {
                return false;
            }
            let executed = resting
                .iter()
                .filter(|r| {
                    r.client_id
                        .parse_ours(prefix)
                        .is_some_and(|p| p.basket == basket && p.slot == o.slot)
                })
                .map(|r| r.executed_qty)
                .fold(Qty::ZERO, |a, b| a + b);
            let qty = (o.qty - executed).max(Qty::ZERO);
            let cost = o.price.or(o.stop_price).unwrap_or(last) * qty;
            if cost > left {
                full = true;
                return false;
            }
            left -= cost;
            true
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::client_id::ClientOrderId;
    use crate::core::order::{OrderStatus, Slot};
    use rust_decimal_macros::dec;

    fn buy(level: u16, price: &str, qty: &str) -> OrderSpec {
        OrderSpec::limit(
            Slot::Buy(level),
            Price::new(price.parse().unwrap()),
            Qty::new(qty.parse().unwrap()),
        )
    }

    fn ladder() -> Vec<OrderSpec> {
        vec![
            buy(1, "100", "1"),
            buy(2, "90", "1"),
            buy(3, "80", "1"),
            OrderSpec::limit(Slot::Tp1, Price::new(dec!(110)), Qty::new(dec!(1))),
        ]
    }

    fn slots(orders: &[OrderSpec]) -> Vec<Slot> {
        orders.iter().map(|o| o.slot).collect()
    }

    #[test]
    fn buys_are_kept_while_they_fit_exactly() {
        let last = Price::new(dec!(100));
        let p = IdPrefix::default();
        let kept = fit_buys(&ladder(), &[], &p, 1, Quote::new(dec!(270)), last);
        assert_eq!(kept.len(), 4);
        let kept = fit_buys(&ladder(), &[], &p, 1, Quote::new(dec!(269.99)), last);
        assert_eq!(slots(&kept), [Slot::Buy(1), Slot::Buy(2), Slot::Tp1]);
    }

    #[test]
    fn the_first_buy_that_does_not_fit_drops_every_deeper_one() {
        let mut desired = ladder();
        desired[1].qty = Qty::new(dec!(5)); // B2 costs 450
        let kept = fit_buys(
            &desired,
            &[],
            &IdPrefix::default(),
            1,
            Quote::new(dec!(200)),
            Price::new(dec!(100)),
        );
        assert_eq!(
            slots(&kept),
            [Slot::Buy(1), Slot::Tp1],
            "B3 would fit but B2 not"
        );
    }

    #[test]
    fn no_cash_keeps_only_the_sells() {
        let kept = fit_buys(
            &ladder(),
            &[],
            &IdPrefix::default(),
            1,
            Quote::ZERO,
            Price::new(dec!(100)),
        );
        assert_eq!(slots(&kept), [Slot::Tp1]);
    }

    #[test]
    fn a_partly_executed_buy_counts_only_its_remainder() {
        let p = IdPrefix::default();
        let spec = buy(1, "100", "1");
        let resting = OpenOrder {
            client_id: ClientOrderId::ours(&p, 1, Slot::Buy(1), 1),
            exchange_id: Some(1),
            spec: spec.clone(),
            executed_qty: Qty::new(dec!(0.6)),
            status: OrderStatus::PartiallyFilled,
        };
        let cash = Quote::new(dec!(40)); // 60 already paid
        let kept = fit_buys(
            std::slice::from_ref(&spec),
            std::slice::from_ref(&resting),
            &p,
            1,
            cash,
            spec.price.unwrap(),
        );
        assert_eq!(kept.len(), 1);
        // Another basket's or another prefix's order tells nothing about this slot.
        let kept = fit_buys(
            std::slice::from_ref(&spec),
            &[resting],
            &p,
            2,
            cash,
            spec.price.unwrap(),
        );
        assert!(kept.is_empty());
    }
}
