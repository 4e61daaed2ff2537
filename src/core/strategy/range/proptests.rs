//! The range grid plan's invariants (module doc of `range`, numbered as there), on random
//! grids walked through random prices and partial fills.

use super::fixtures::{range_config, range_mut};
use super::fixtures::{Price, Quote, StrategyConfig};
use super::tests::{basket, fil};
use super::*;
use crate::core::basket::Basket;
use crate::core::fill::{Commission, Fill};
use crate::core::filters::{SymbolFilters, SymbolRules};
use crate::core::money::{Amount, Qty};
use crate::core::order::{OrderSpec, Side, Slot};
use crate::core::strategy::plan::{Market, Plan};
use crate::core::symbol::Asset;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::BTreeSet;

fn d(n: i64, scale: u32) -> Decimal {
    Decimal::new(n, scale)
}

#[derive(Debug)]
struct World {
    config: StrategyConfig,
    basket: Basket,
    rules: SymbolRules,
    reference: Option<Price>,
}

prop_compose! {
    fn arb_world()(
        lower in 100i64..10_000, width in 5i64..300, levels in 2u16..40,
        geometric in any::<bool>(), reinvest in any::<bool>(),
        stop in prop::option::of(1i64..50),
        budget in 50i64..20_000,
        start in 700i64..1_300,
        (tick, step) in (1u32..4, 0u32..3),
        min_notional in 1i64..11,
        reference in prop::option::of(950i64..1050),
    ) -> World {
        let mut config = range_config();
        config.quote_budget = Quote::new(d(budget, 0));
        let lower_p = d(lower, 2);
        let upper_p = lower_p * (Decimal::ONE + d(width, 2));
        let r = range_mut(&mut config);
        r.lower = Price::new(lower_p);
        r.upper = Price::new(upper_p.round_dp(2));
        r.levels = levels;
        r.spacing = if geometric { Spacing::Geometric } else { Spacing::Arithmetic };
        r.reinvest = reinvest;
        r.stop_loss = stop.map(|s| Price::new((lower_p * (Decimal::ONE - d(s, 2))).round_dp(2)));
        let mut rules = fil();
        rules.filters = SymbolFilters::basic(d(1, tick), d(1, step), d(min_notional, 0));
        let mid = (lower_p + upper_p) / Decimal::TWO;
        let start = rules.filters.round_price_down(Price::new(mid * d(start, 3)));
        let reference = reference.map(|r| Price::new(mid * d(r, 3)));
        World { basket: basket(&config, start.get()), config, rules, reference }
    }
}

/// One step of the walk: last as a per-mille factor of the start price, which orders fill
/// (bit mask), how much of each (per mille), and whether fees are paid in base/quote or BNB.
type Step = (i64, u16, i64, bool);

fn arb_steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (600i64..1400, any::<u16>(), 100i64..1001, any::<bool>()),
        0..12,
    )
}

impl World {
    fn plan_at(&self, fills: &[Fill], last: Price) -> Plan {
        let market = Market {
            last,
            now_ms: 0,
            reference: self.reference,
            indicators: None,
        };
        super::plan(
            &self.config,
            super::fixtures::range_of(&self.config),
            &self.basket,
            fills,
            &market,
            &self.rules,
        )
    }

    fn last_at(&self, per_mille: i64) -> Price {
        let f = &self.rules.filters;
        f.round_price_down(self.basket.anchor.scale(d(per_mille, 3)))
            .max(f.price.tick_size)
    }

    /// Walks the steps, checking the invariants at every one; returns the fills.
    fn walk(&self, steps: &[Step]) -> Result<Vec<Fill>, TestCaseError> {
        let mut fills: Vec<Fill> = Vec::new();
        for (i, (factor, mask, share, bnb)) in steps.iter().enumerate() {
            let last = self.last_at(*factor);
            let p = self.plan_at(&fills, last);
            self.check(&fills, last, &p)?;
            for (k, order) in p.orders.iter().enumerate() {
                if mask & (1 << (k % 16)) == 0 {
                    continue;
                }
                let f = &self.rules.filters;
                let qty = f
                    .round_qty_down(order.qty.scale(d(*share, 3)))
                    .max(Qty::new(f.lot.step_size.get()))
                    .min(order.qty);
                let id = u64::try_from(fills.len()).unwrap() + 1;
                fills.push(fill_of(id, order, qty, *bnb, i));
            }
        }
        Ok(fills)
    }

    fn check(&self, fills: &[Fill], last: Price, p: &Plan) -> Result<(), TestCaseError> {
        let filters = &self.rules.filters;
        let reference = self.reference.unwrap_or(last);
        // 1. Filters.
        for o in &p.orders {
            prop_assert!(filters.check(o, Some(reference)).is_ok(), "{o:?}");
        }
        prop_assert!(filters.check_counts(&p.orders).is_ok());
        // 2. Sells within the position.
        let sold: Qty = p
            .orders
            .iter()
            .filter(|o| o.side == Side::Sell)
            .map(|o| o.qty)
            .sum();
        prop_assert!(
            sold <= p.meta.position.max(Qty::ZERO),
            "{sold} > {}",
            p.meta.position
        );
        // 3. No buy at or above last; every grid order sits on a level.
        let range = match &self.config.kind {
            super::fixtures::StrategyKind::Range(r) => r,
            _ => unreachable!(),
        };
        let levels = level_prices(range, filters);
        for o in &p.orders {
            if o.side == Side::Buy {
                prop_assert!(o.price.unwrap() < last);
            }
            if o.slot != Slot::Exit {
                prop_assert!(levels.contains(&o.price.unwrap()), "{o:?} off the grid");
            }
        }
        // 4. Deterministic under any fill order.
        let mut reversed = fills.to_vec();
        reversed.reverse();
        prop_assert_eq!(&self.plan_at(&reversed, last), p);
        // 5. Replan band.
        let (below, above) = (p.meta.replan_below, p.meta.replan_above);
        prop_assert!(below.is_none_or(|b| b <= last) && above.is_none_or(|a| last <= a));
        let mut probes = Vec::new();
        match below {
            Some(b) if b < last => probes.push((b.get() + last.get()) / Decimal::TWO),
            None => probes.push(last.get() / Decimal::TWO),
            _ => {}
        }
        match above {
            Some(a) if a > last => probes.push((a.get() + last.get()) / Decimal::TWO),
            None => probes.push(last.get() * Decimal::TWO),
            _ => {}
        }
        for x in probes {
            let q = self.plan_at(fills, Price::new(x));
            prop_assert_eq!(&q.orders, &p.orders, "at {}", x);
            prop_assert_eq!(q.meta.done, p.meta.done);
        }
        // 6. One order per slot.
        let slots: BTreeSet<Slot> = p.orders.iter().map(|o| o.slot).collect();
        prop_assert_eq!(slots.len(), p.orders.len());
        Ok(())
    }
}

fn fill_of(id: u64, order: &OrderSpec, qty: Qty, bnb: bool, step: usize) -> Fill {
    let price = order.price.unwrap();
    let (amount, asset) = match (bnb, order.side) {
        (true, _) => (Amount::new(dec!(0.0001)), "BNB"),
        (false, Side::Buy) => (qty.scale(dec!(0.001)).as_amount(), "FIL"),
        (false, Side::Sell) => ((price * qty).scale(dec!(0.001)).as_amount(), "USDT"),
    };
    Fill {
        trade_id: id,
        order_id: id,
        slot: order.slot,
        side: order.side,
        price,
        qty,
        commission: Commission {
            amount,
            asset: Asset::parse(asset).unwrap(),
            quote_value: None,
        },
        is_maker: true,
        time_ms: i64::try_from(step).unwrap() * 1000 + i64::try_from(id).unwrap(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn range_plan_invariants_hold_along_random_walks(w in arb_world(), steps in arb_steps(), end in 500i64..1500) {
        prop_assume!(super::validate(&w.config, super::fixtures::range_of(&w.config)).is_ok());
        prop_assume!(super::validate_for_market(&w.config, super::fixtures::range_of(&w.config), Some(&w.rules), w.basket.anchor, None).is_ok());
        let fills = w.walk(&steps)?;
        let last = w.last_at(end);
        let p = w.plan_at(&fills, last);
        w.check(&fills, last, &p)?;
    }

    #[test]
    fn a_valid_grid_at_start_places_every_level_below_the_price(w in arb_world()) {
        prop_assume!(super::validate(&w.config, super::fixtures::range_of(&w.config)).is_ok());
        prop_assume!(super::validate_for_market(&w.config, super::fixtures::range_of(&w.config), Some(&w.rules), w.basket.anchor, None).is_ok());
        prop_assume!(w.reference.is_none());
        let last = w.basket.anchor;
        let p = w.plan_at(&[], last);
        let range = match &w.config.kind {
            super::fixtures::StrategyKind::Range(r) => r,
            _ => unreachable!(),
        };
        let below = level_prices(range, &w.rules.filters).iter().rev().skip(1).filter(|p| **p < last).count();
        let stopped = range.stop_loss.is_some_and(|s| last <= s);
        prop_assert_eq!(p.orders.len(), if stopped { 0 } else { below.min(w.rules.filters.max_num_orders.map_or(usize::MAX, |m| m as usize)) });
    }
}
