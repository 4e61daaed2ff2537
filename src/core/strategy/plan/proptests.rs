//! Property tests for the invariants listed in the module doc of `plan` (numbered alike).
//!
//! Fill sequences are realistic: a random walk of last prices, and at each step some of the
//! planned orders fill (fully or partly) at their limit price, paying 0.1 % in the base
//! asset, the quote asset or BNB.

use super::tests::{basket, rules};
use super::*;
use crate::core::fill::{Commission, Fill};
use crate::core::filters::{PercentPriceBySide, TrailingDeltaFilter};
use crate::core::money::{Amount, Pct, Qty};
use crate::core::strategy::config::{fixtures, ExtensionConfig, LevelsConfig};
use crate::core::symbol::Asset;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::BTreeSet;

fn d(m: i64, scale: u32) -> Decimal {
    Decimal::new(m, scale)
}

fn pct(m: i64, scale: u32) -> Pct {
    Pct::new(d(m, scale))
}

prop_compose! {
    fn arb_filters()(
        tick_scale in 0u32..4,
        step_scale in 0u32..6,
        min_notional in prop::sample::select(vec![dec!(0), dec!(1), dec!(5), dec!(10), dec!(20)]),
        percent in prop::option::of((105i64..500, 20i64..96)),
        max_orders in prop::option::of(1u32..12),
        max_algo in prop::option::of(0u32..3),
        trailing in prop::option::of((10u32..200, 50u32..2000)),
    ) -> SymbolFilters {
        let mut f = SymbolFilters::basic(d(1, tick_scale), d(1, step_scale), min_notional);
        f.percent_price = percent.map(|(up, down)| PercentPriceBySide {
            bid_multiplier_up: d(up, 2),
            bid_multiplier_down: d(down, 2),
            ask_multiplier_up: d(up, 2),
            ask_multiplier_down: d(down, 2),
        });
        f.max_num_orders = max_orders;
        f.max_num_algo_orders = max_algo;
        f.trailing_delta = trailing.map(|(lo, hi)| TrailingDeltaFilter {
            min_above: lo, max_above: lo.max(hi), min_below: lo, max_below: lo.max(hi),
        });
        f
    }
}

prop_compose! {
    fn arb_config()(
        count in 1u16..7,
        first in 5i64..30,        // 0.5 % .. 3 %
        scale in 100i64..150,     // ×1.00 .. ×1.50
        volume in 100i64..200,
        budget in 50i64..5000,
        max_open in prop::option::of(0u16..8),
        tp1 in 5i64..30, tp2_extra in 0i64..30,
        s1 in 5i64..90, s2_frac in 0i64..100,
        decay in 0i64..30, tp_min in 3i64..10,
        act in 3i64..40, delta in 10i64..300,
        breakeven in any::<bool>(),
        stop_extra in 1i64..10,
        ext in prop::option::of((1i64..50, 1u16..4, 1i64..5)),
        (reanchor_up, trail_up) in (5i64..50, prop::option::of(1i64..500)),
        cooldown in 0u64..1200,
        slip in 5i64..50,
    ) -> StrategyConfig {
        let mut c = fixtures::worked_example();
        c.levels = LevelsConfig::Generated {
            count, first_step_pct: pct(first, 1), step_scale: d(scale, 2), volume_scale: d(volume, 2),
        };
        c.quote_budget = crate::core::money::Quote::new(d(budget, 0));
        c.max_open_buys = max_open;
        c.tp1_pct = pct(tp1, 1);
        c.tp2_pct = pct(tp1 + tp2_extra, 1);
        c.tp1_share = pct(s1, 0);
        c.tp2_share = pct((100 - s1) * s2_frac / 100, 0);
        c.tp_decay_pct_per_level = pct(decay, 2);
        c.tp_min_pct = pct(tp_min, 1);
        c.trail_activation_pct = pct(act, 1);
        c.trail_delta_pct = pct(delta, 2);
        c.breakeven_after_tp1 = breakeven;
        let deepest = crate::core::strategy::levels::drops_and_weights(&c.levels)
            .last().map_or(Decimal::ZERO, |(drop, _)| *drop);
        c.hard_stop_pct = Pct::new(deepest * Decimal::ONE_HUNDRED + d(stop_extra, 0));
        c.extension = ext.map(|(b, levels, step)| ExtensionConfig {
            budget_pct: pct(b, 0), levels, step_pct: pct(step, 0),
        });
        c.reanchor_up_pct = pct(reanchor_up, 1);
        c.reanchor_cooldown_secs = cooldown;
        c.trail_up_max_pct = trail_up.map(|m| pct(m, 1));
        c.exit_slippage_pct = pct(slip, 1);
        c
    }
}

/// One step of the walk: last as a per-mille factor of the anchor, which orders fill and
/// how much (per-mille of the order), and the commission asset.
type Step = (i64, u16, i64, u8);

fn arb_steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec((550i64..1100, any::<u16>(), 100i64..1001, 0u8..3), 0..7)
}

#[derive(Debug)]
struct World {
    config: StrategyConfig,
    basket: Basket,
    rules: SymbolRules,
    reference: Option<Price>,
}

impl World {
    fn market(&self, last: Price, now_ms: i64) -> Market {
        Market {
            last,
            now_ms,
            reference: self.reference,
            indicators: None,
        }
    }

    fn plan_at(&self, fills: &[Fill], last: Price, now_ms: i64) -> Plan {
        plan(
            &self.config,
            &self.basket,
            fills,
            &self.market(last, now_ms),
            &self.rules,
        )
    }

    /// Replays the walk, returning the fills it produced.
    fn walk(&self, steps: &[Step]) -> Vec<Fill> {
        let mut fills: Vec<Fill> = Vec::new();
        for (i, (factor, mask, share, fee)) in steps.iter().enumerate() {
            let last = self.last_at(*factor);
            let p = self.plan_at(&fills, last, 0);
            for (k, order) in p.orders.iter().enumerate() {
                if mask & (1 << (k % 16)) == 0 {
                    continue;
                }
                let step = self.rules.filters.lot.step_size.get();
                let qty = self
                    .rules
                    .filters
                    .round_qty_down(order.qty.scale(d(*share, 3)))
                    .max(Qty::new(step))
                    .min(order.qty);
                let price = order.price.unwrap_or(last);
                let id = u64::try_from(fills.len()).unwrap() + 1;
                fills.push(fill_of(id, order, price, qty, *fee, i));
            }
        }
        fills
    }

    fn last_at(&self, per_mille: i64) -> Price {
        let raw = self.basket.anchor.scale(d(per_mille, 3));
        self.rules
            .filters
            .round_price_down(raw)
            .max(self.rules.filters.price.tick_size)
    }
}

fn fill_of(id: u64, order: &OrderSpec, price: Price, qty: Qty, fee: u8, step: usize) -> Fill {
    let notional = price * qty;
    let (amount, asset) = match (fee, order.side) {
        (0, Side::Buy) => (qty.scale(dec!(0.001)).as_amount(), "SOL"),
        (0 | 1, _) => (notional.scale(dec!(0.001)).as_amount(), "USDC"),
        _ => (Amount::new(dec!(0.0001)), "BNB"),
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

prop_compose! {
    fn arb_world()(
        config in arb_config(),
        filters in arb_filters(),
        anchor_m in 1_000i64..5_000_000,
        anchor_scale in 1u32..4,
        reference in prop::option::of(900i64..1100),
    ) -> World {
        let anchor = Price::new(d(anchor_m, anchor_scale));
        let basket = basket(&config, anchor.get());
        World {
            reference: reference.map(|r| anchor.scale(d(r, 3))),
            config,
            basket,
            rules: rules(filters),
        }
    }
}

/// Invariants 1, 2, 3 and 6 on one plan.
fn check_plan(w: &World, p: &Plan, last: Price) -> Result<(), TestCaseError> {
    let reference = w.reference.unwrap_or(last);
    for o in &p.orders {
        // (1) every emitted order passes every filter.
        prop_assert_eq!(w.rules.filters.check(o, Some(reference)), Ok(()), "{:?}", o);
        // (3) no buy at or above last.
        if o.side == Side::Buy {
            prop_assert!(
                o.price.unwrap() < last,
                "buy {:?} at/above last {}",
                o,
                last
            );
        }
    }
    prop_assert_eq!(w.rules.filters.check_counts(&p.orders), Ok(()));
    // (2) sells never exceed the position.
    let sold: Qty = p
        .orders
        .iter()
        .filter(|o| o.side == Side::Sell)
        .map(|o| o.qty)
        .sum();
    prop_assert!(
        sold <= p.meta.position.max(Qty::ZERO),
        "sells {} > position {}",
        sold,
        p.meta.position
    );
    // (6) at most one order per slot.
    let slots: BTreeSet<Slot> = p.orders.iter().map(|o| o.slot).collect();
    prop_assert_eq!(slots.len(), p.orders.len());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_plan_passes_filters_and_sells_fit_the_position(
        w in arb_world(), steps in arb_steps(), last in 500i64..1150,
    ) {
        let fills = w.walk(&steps);
        let last = w.last_at(last);
        let p = w.plan_at(&fills, last, 0);
        check_plan(&w, &p, last)?;
        // Intermediate plans along the walk too.
        for k in 0..=fills.len() {
            let p = w.plan_at(&fills[..k], last, 0);
            check_plan(&w, &p, last)?;
        }
        // Last exactly at a level price (the edge of "no buy at or above last").
        let levels = crate::core::strategy::levels::planned_levels(
            &w.config, w.basket.anchor, &w.rules.filters,
        );
        for level in levels {
            let p = w.plan_at(&fills, level.price, 0);
            check_plan(&w, &p, level.price)?;
        }
    }

    #[test]
    fn plan_is_deterministic_and_ignores_fill_order(
        w in arb_world(), steps in arb_steps(), last in 500i64..1150, now in 0i64..3_000_000,
    ) {
        // (4) same inputs → same plan; fills are replayed in time order whatever the input order.
        let fills = w.walk(&steps);
        let last = w.last_at(last);
        let a = w.plan_at(&fills, last, now);
        prop_assert_eq!(&a, &w.plan_at(&fills, last, now));
        let mut reversed = fills.clone();
        reversed.reverse();
        prop_assert_eq!(&a, &w.plan_at(&reversed, last, now));
    }

    #[test]
    fn orders_stay_the_same_inside_the_replan_band(
        w in arb_world(), steps in arb_steps(), last in 500i64..1150,
        now in 0i64..3_000_000, samples in prop::collection::vec(1i64..1000, 1..6),
    ) {
        // (5) the replan band.
        let fills = w.walk(&steps);
        let last = w.last_at(last);
        let p = w.plan_at(&fills, last, now);
        let (lo, hi) = (p.meta.replan_below, p.meta.replan_above);
        prop_assert!(lo.is_none_or(|lo| lo <= last) && hi.is_none_or(|hi| last <= hi));
        let lo = lo.unwrap_or(Price::ZERO);
        let hi = hi.unwrap_or(last.scale(dec!(3)));
        for s in samples {
            let x = Price::new(lo.get() + (hi.get() - lo.get()) * d(s, 3));
            if x <= lo || x >= hi || !x.is_positive() {
                continue;
            }
            let q = w.plan_at(&fills, x, now);
            prop_assert_eq!(&q.orders, &p.orders, "at {} in ({}, {})", x, lo, hi);
            prop_assert_eq!(q.meta.phase, p.meta.phase);
            prop_assert_eq!(q.meta.done, p.meta.done);
            prop_assert_eq!(q.meta.reanchor.is_some(), p.meta.reanchor.is_some());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        max_global_rejects: 100_000,
        ..ProptestConfig::default()
    })]

    /// Not vacuous like "every emitted order passes" (the plan drops what fails): on a config
    /// the validators accept for the market, no order is lost to a filter, except to the
    /// percent band, which depends on the price at placement time.
    #[test]
    fn validated_configs_lose_no_order_to_a_filter(
        w in arb_world(), steps in arb_steps(), last in 500i64..1150,
    ) {
        use crate::core::strategy::validate::{validate, validate_for_market};
        prop_assume!(validate(&w.config).is_ok());
        prop_assume!(
            validate_for_market(&w.config, Some(&w.rules), w.basket.anchor, None).is_ok()
        );
        let fills = w.walk(&steps);
        let last = w.last_at(last);
        let p = w.plan_at(&fills, last, 0);
        let mut banded = false;
        for warning in &p.meta.warnings {
            if let PlanWarning::Dropped { filter, .. } = warning {
                prop_assert_eq!(filter.as_str(), "PERCENT_PRICE_BY_SIDE", "{:?}", p.meta.warnings);
                banded = true;
            }
        }
        // A position worth a sell at its VWAP (every sell but the hard-stop exit asks more)
        // gets one: slices too small alone merge instead of vanishing.
        let f = &w.rules.filters;
        let sellable = f.round_qty_down(p.meta.position.max(Qty::ZERO));
        // Exiting: the whole position goes in one EXIT, unless it is too small to sell.
        if p.meta.phase == Phase::Exiting && !banded {
            let exit = p.orders.iter().any(|o| o.slot == Slot::Exit);
            let too_small = p
                .meta
                .warnings
                .iter()
                .any(|x| matches!(x, PlanWarning::ExitTooSmall { .. }));
            prop_assert!(exit != too_small, "exit {} / too small {}: {:?}", exit, too_small, p.meta);
            if exit {
                prop_assert_eq!(p.orders.len(), 1, "only the exit while exiting");
            }
        }
        if let (Some(vwap), false, Phase::Accumulating | Phase::Distributing) =
            (p.meta.vwap, banded, p.meta.phase)
        {
            if sellable.is_positive() && sellable >= f.min_qty_at(vwap) {
                prop_assert!(
                    p.orders.iter().any(|o| o.side == Side::Sell),
                    "position {} at VWAP {} and no sell: {:?}",
                    p.meta.position, vwap, p.meta
                );
            }
        }
    }
}
