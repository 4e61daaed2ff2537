//! Examples and property tests for the invariants of `trail` (numbered alike).

use super::*;
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn filters() -> SymbolFilters {
    SymbolFilters::basic(dec!(0.001), dec!(0.1), dec!(5))
}

fn p(v: Decimal) -> Price {
    Price::new(v)
}

fn up(max_up: Decimal) -> TrailUp {
    TrailUp {
        max_up: Pct::new(max_up),
        trigger: Pct::new(dec!(2)),
        first_drop: dec!(0.01),
    }
}

#[test]
fn a_trail_up_puts_the_first_level_at_the_price() {
    let f = filters();
    // Anchor 10, price 10.5 (5 % above, past the 2 % trigger): anchor 10.5 / 0.99 = 10.6060…
    let moved = trail_up(p(dec!(10)), p(dec!(10)), p(dec!(10.5)), up(dec!(50)), &f);
    assert_eq!(moved, Some(p(dec!(10.606))));
    let b1 = f.round_price_down(p(dec!(10.606)).scale(dec!(0.99)));
    assert_eq!(b1, p(dec!(10.499)));
}

#[test]
fn no_trail_up_inside_the_grid() {
    let at = |last| trail_up(p(dec!(10)), p(dec!(10)), p(last), up(dec!(50)), &filters());
    assert_eq!(at(dec!(10.199)), None);
    assert!(at(dec!(10.2)).is_some());
}

#[test]
fn a_trail_up_stops_at_the_limit_measured_from_the_root() {
    let f = filters();
    // Root 10, limit 10 %: the ceiling is 11.
    let moved = trail_up(p(dec!(10.5)), p(dec!(10)), p(dec!(20)), up(dec!(10)), &f);
    assert_eq!(moved, Some(p(dec!(11))));
    // At the ceiling already: no move, however high the price.
    assert_eq!(
        trail_up(p(dec!(11)), p(dec!(10)), p(dec!(20)), up(dec!(10)), &f),
        None
    );
}

#[test]
fn trail_down_stop_never_follows_and_follow_stops_at_its_limit() {
    let f = filters();
    let root = p(dec!(10));
    assert_eq!(
        trail_down(root, p(dec!(8)), TrailDown::Stop, None, &f),
        None
    );
    assert_eq!(
        trail_down(root, p(dec!(5.0004)), TrailDown::Follow, None, &f),
        Some(p(dec!(5)))
    );
    let max = Some(Pct::new(dec!(20)));
    assert_eq!(
        trail_down(root, p(dec!(8)), TrailDown::Follow, max, &f),
        Some(p(dec!(8)))
    );
    assert_eq!(
        trail_down(root, p(dec!(7.999)), TrailDown::Follow, max, &f),
        None
    );
}

prop_compose! {
    fn arb_case()(
        anchor_m in 1_000i64..100_000,     // 1.000 .. 100.000
        root_pct in 50i64..=100,           // root = anchor × 0.50 .. 1.00
        last_pct in 50i64..400,            // last = anchor × 0.50 .. 4.00
        bump in 0i64..50_000,
        max_up in 1i64..20_000,            // 0.01 % .. 200 %
        trigger in 1i64..1_000,            // 0.01 % .. 10 %
        first in 1i64..5_000,              // 0.01 % .. 50 %
    ) -> (Price, Price, Price, Price, TrailUp) {
        let anchor = Decimal::new(anchor_m, 3);
        let root = filters().round_price_down(p(anchor * Decimal::new(root_pct, 2)));
        let last = filters().round_price_down(p(anchor * Decimal::new(last_pct, 2)));
        let higher = p(last.get() + Decimal::new(bump, 3));
        let cfg = TrailUp {
            max_up: Pct::new(Decimal::new(max_up, 2)),
            trigger: Pct::new(Decimal::new(trigger, 2)),
            first_drop: Decimal::new(first, 4),
        };
        (p(anchor), root, last, higher, cfg)
    }
}

proptest! {
    /// Invariants 1, 2 and 4.
    #[test]
    fn trail_up_moves_up_within_the_limit_and_never_above_the_price(
        (anchor, root, last, _higher, cfg) in arb_case()
    ) {
        let f = filters();
        let moved = trail_up(anchor, root, last, cfg, &f);
        if last < anchor.scale(cfg.trigger.up_factor()) {
            prop_assert_eq!(moved, None);
        }
        if let Some(a) = moved {
            prop_assert!(a > anchor);
            prop_assert!(a <= up_ceiling(root, cfg.max_up, &f));
            prop_assert!(a.get() <= root.get() * cfg.max_up.up_factor());
            let first_level = f.round_price_down(a.scale(Decimal::ONE - cfg.first_drop));
            prop_assert!(first_level <= last);
        }
    }

    /// Invariant 3 for trail up: a higher price never gives a lower anchor nor no move.
    #[test]
    fn trail_up_is_monotone_in_the_price((anchor, root, last, higher, cfg) in arb_case()) {
        let f = filters();
        if let Some(a) = trail_up(anchor, root, last, cfg, &f) {
            let b = trail_up(anchor, root, higher, cfg, &f);
            prop_assert!(b.is_some_and(|b| b >= a), "{:?} then {:?}", a, b);
        }
    }

    /// Invariants 3 and 5 for trail down.
    #[test]
    fn trail_down_follows_within_its_limit_or_stops(
        (_anchor, root, last, higher, _cfg) in arb_case(),
        max_down in prop::option::of(1i64..9_999),
    ) {
        let f = filters();
        let max = max_down.map(|m| Pct::new(Decimal::new(m, 2)));
        prop_assert_eq!(trail_down(root, last, TrailDown::Stop, max, &f), None);
        let followed = trail_down(root, last, TrailDown::Follow, max, &f);
        if let Some(a) = followed {
            prop_assert_eq!(a, f.round_price_down(last));
            if let Some(m) = max {
                prop_assert!(a >= down_floor(root, m));
            }
            prop_assert!(trail_down(root, higher, TrailDown::Follow, max, &f).is_some());
        } else {
            prop_assert!(max.is_some_and(|m| f.round_price_down(last) < down_floor(root, m)));
        }
    }
}
