//! The mean reversion plan's invariants (module doc) on random configurations and candles.

use super::fixtures::{mr_config, mr_mut};
use crate::core::money::{Pct, Price};
use crate::core::strategy::kind;
use crate::core::strategy::round_walk::{arb_steps, arb_tight, rules, walk, walk_validated};
use proptest::prelude::*;
use rust_decimal::Decimal;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn mean_reversion_plan_invariants_hold_along_random_candles(
        window in 2u16..25, entry_z in 5i64..30, tp in prop::option::of(3i64..100),
        stop in 10i64..200, cooldown in 0u64..300, budget in 20i64..5_000,
        (tick, step) in (2u32..4, 0u32..3), min_notional in 1i64..11,
        start in 1_000i64..9_000, steps in arb_steps(),
    ) {
        let mut config = mr_config();
        config.quote_budget = crate::core::money::Quote::new(Decimal::from(budget));
        let m = mr_mut(&mut config);
        m.window = window;
        m.entry_z = Decimal::new(entry_z, 1);
        m.take_profit_pct = tp.map(|t| Pct::new(Decimal::new(t, 1)));
        m.stop_loss_pct = Pct::new(Decimal::new(stop, 1));
        m.cooldown_secs = cooldown;
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
    /// notional minimum by the plan's own sizing (none dropped by the safety net), an entry
    /// too small for them is not planned, and the stop's exit is placed unless it is dust.
    #[test]
    fn mean_reversion_sizes_inside_tight_filters(
        window in 2u16..12, entry_z in 5i64..30, tp in prop::option::of(3i64..100),
        stop in 10i64..200, (rules, budget, vol) in arb_tight(),
        start in 1_000i64..9_000, steps in arb_steps(),
    ) {
        let mut config = mr_config();
        config.quote_budget = budget;
        config.volatility = vol;
        let m = mr_mut(&mut config);
        m.window = window;
        m.entry_z = Decimal::new(entry_z, 1);
        m.take_profit_pct = tp.map(|t| Pct::new(Decimal::new(t, 1)));
        m.stop_loss_pct = Pct::new(Decimal::new(stop, 1));
        let start = Price::new(Decimal::new(start, 3));
        prop_assume!(kind::validate(&config).is_ok());
        prop_assume!(kind::validate_for_market(&config, Some(&rules), start, None).is_ok());
        walk_validated(&config, &rules, start, &steps)?;
    }
}
