//! The trend plan's invariants (module doc) on random configurations and candles.

use super::fixtures::{trend_config, trend_mut};
use super::TrendEntry;
use crate::core::money::{Pct, Price, Quote};
use crate::core::strategy::kind;
use crate::core::strategy::round_walk::{arb_steps, arb_tight, rules, walk, walk_validated};
use proptest::prelude::*;
use rust_decimal::Decimal;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn trend_plan_invariants_hold_along_random_candles(
        channel in 2u16..25, cross in any::<bool>(), fast in 1u16..8, gap in 1u16..15,
        atr in 1u16..15, atr_stop in 5i64..50, risk in 1i64..500, budget in 20i64..5_000,
        (tick, step) in (2u32..4, 0u32..3), min_notional in 1i64..11,
        start in 1_000i64..9_000, steps in arb_steps(),
    ) {
        let mut config = trend_config();
        config.quote_budget = Quote::new(Decimal::from(budget));
        let t = trend_mut(&mut config);
        t.channel = channel;
        if cross {
            t.entry = TrendEntry::MaCross;
            t.fast = Some(fast);
            t.slow = Some(fast + gap);
        }
        t.atr = atr;
        t.atr_stop = Decimal::new(atr_stop, 1);
        t.risk_pct = Pct::new(Decimal::new(risk, 2));
        prop_assume!(crate::core::strategy::kind::validate(&config).is_ok());
        let rules = rules(tick, step, min_notional);
        let start = Price::new(Decimal::new(start, 3));
        walk(&config, &rules, start, &steps)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 192,
        max_global_rejects: 100_000,
        ..ProptestConfig::default()
    })]

    /// Filters that bind (`round_walk::arb_tight`), on configurations the market preflight
    /// accepts at the start price: every order is on the tick and the step and clears the
    /// notional minimum by the plan's own sizing (none dropped by the safety net), a
    /// risk-sized entry too small for them is not planned, and the stop's exit is placed
    /// unless it is dust.
    #[test]
    fn trend_sizes_inside_tight_filters(
        channel in 2u16..12, atr in 1u16..8, atr_stop in 5i64..50, risk in 1i64..5_000,
        (rules, budget, vol) in arb_tight(), start in 1_000i64..9_000, steps in arb_steps(),
    ) {
        let mut config = trend_config();
        config.quote_budget = budget;
        config.volatility = vol;
        let t = trend_mut(&mut config);
        t.channel = channel;
        t.atr = atr;
        t.atr_stop = Decimal::new(atr_stop, 1);
        t.risk_pct = Pct::new(Decimal::new(risk, 2));
        let start = Price::new(Decimal::new(start, 3));
        prop_assume!(kind::validate(&config).is_ok());
        prop_assume!(kind::validate_for_market(&config, Some(&rules), start, None).is_ok());
        walk_validated(&config, &rules, start, &steps)?;
    }
}
