//! Volatility sizing: the factor, each strategy's rule, the frozen factor's stability and
//! restart safety, the validation (`.spec/strategies.md` §12).

use super::*;
use crate::core::basket::{Basket, BasketStatus};
use crate::core::filters::{SymbolFilters, SymbolRules, SymbolStatus};
use crate::core::indicators::VolMeasure;
use crate::core::money::{Price, Qty};
use crate::core::order::{OrderType, Side};
use crate::core::strategy::config::fixtures::worked_example;
use crate::core::strategy::kind;
use crate::core::strategy::mean_reversion::fixtures::mr_config;
use crate::core::strategy::plan::Plan;
use crate::core::strategy::range::fixtures::{range_config, range_of};
use crate::core::symbol::{Asset, Symbol};
use rust_decimal_macros::dec;

pub(super) fn vol(reference: Decimal) -> VolatilityConfig {
    VolatilityConfig {
        measure: VolMeasure::Atr,
        window: 14,
        reference_pct: Pct::new(reference),
        min_factor: dec!(0.5),
        max_factor: dec!(2),
        factor: None,
    }
}

pub(super) fn rules(filters: SymbolFilters) -> SymbolRules {
    SymbolRules {
        symbol: Symbol::parse("SOLUSDC").unwrap(),
        status: SymbolStatus::Trading,
        base_asset: Asset::parse("SOL").unwrap(),
        quote_asset: Asset::parse("USDC").unwrap(),
        order_types: vec![
            OrderType::Limit,
            OrderType::TakeProfitLimit,
            OrderType::Market,
        ],
        allow_trailing_stop: true,
        cancel_replace_allowed: true,
        amend_allowed: false,
        filters,
    }
}

pub(super) fn basket(config: &StrategyConfig, anchor: Decimal) -> Basket {
    Basket {
        id: 1,
        anchor: Price::new(anchor),
        config: config.clone(),
        status: BasketStatus::Active,
        carried_qty: Qty::ZERO,
        carried_cost: Quote::ZERO,
        created_ms: 0,
        trail_root: None,
    }
}

/// A snapshot whose only meaningful value is the relative volatility (and, for mean
/// reversion, a band wide enough to enter).
pub(super) fn snap(close: Decimal, volatility: Option<Decimal>) -> IndicatorSnapshot {
    IndicatorSnapshot {
        close_time_ms: 0,
        mean: Some(Price::new(close)),
        std_dev: Some(close / dec!(20)),
        volatility,
        ..IndicatorSnapshot::unknown_at(Price::new(close))
    }
}

pub(super) fn market(last: Decimal, s: Option<IndicatorSnapshot>) -> Market {
    Market {
        last: Price::new(last),
        now_ms: 0,
        reference: None,
        indicators: s,
    }
}

fn plan_of(config: &StrategyConfig, anchor: Decimal, m: &Market, r: &SymbolRules) -> Plan {
    kind::plan(config, &basket(config, anchor), &[], m, r)
}

fn buys(p: &Plan) -> Vec<(Decimal, Decimal)> {
    p.orders
        .iter()
        .filter(|o| o.slot.side() == Side::Buy)
        .map(|o| (o.price.unwrap().get(), o.qty.get()))
        .collect()
}

fn sol() -> SymbolRules {
    rules(SymbolFilters::basic(dec!(0.01), dec!(0.001), dec!(5)))
}

#[test]
fn the_factor_is_the_volatility_over_the_reference_clamped() {
    let v = vol(dec!(1));
    assert_eq!(factor(&v, dec!(0.012)), Some(dec!(1.2)));
    assert_eq!(factor(&v, dec!(0.05)), Some(dec!(2)));
    assert_eq!(factor(&v, dec!(0.001)), Some(dec!(0.5)));
    assert_eq!(factor(&vol(Decimal::ZERO), dec!(0.01)), None);
}

#[test]
fn a_frozen_factor_of_two_doubles_the_basket_grid_s_drops_and_halves_its_orders() {
    let plain = worked_example();
    let mut scaled = plain.clone();
    scaled.volatility = Some(VolatilityConfig {
        factor: Some(dec!(2)),
        ..vol(dec!(1))
    });
    let m = market(dec!(100), None);
    let (a, b) = (
        buys(&plan_of(&plain, dec!(100), &m, &sol())),
        buys(&plan_of(&scaled, dec!(100), &m, &sol())),
    );
    // The worked example's B1: 1 % below 100 for 1000 × 1/Σw.
    assert_eq!(a[0].0, dec!(99));
    assert_eq!(b[0].0, dec!(98));
    let spent = |x: &[(Decimal, Decimal)]| x.iter().map(|(p, q)| p * q).sum::<Decimal>();
    assert!(
        spent(&b) <= dec!(500) && spent(&b) > dec!(490),
        "{}",
        spent(&b)
    );
    assert!(spent(&a) > dec!(990));
}

#[test]
fn a_calm_factor_tightens_the_grid_but_never_spends_above_the_budget() {
    let mut calm = worked_example();
    calm.volatility = Some(VolatilityConfig {
        factor: Some(dec!(0.5)),
        ..vol(dec!(1))
    });
    let b = buys(&plan_of(&calm, dec!(100), &market(dec!(100), None), &sol()));
    assert_eq!(b[0].0, dec!(99.5));
    assert!(b.iter().map(|(p, q)| p * q).sum::<Decimal>() <= dec!(1000));
}

#[test]
fn a_grid_reads_its_frozen_factor_never_the_live_volatility() {
    let mut c = worked_example();
    c.volatility = Some(vol(dec!(1)));
    let frozen = anchor(&c, Some(&snap(dec!(100), Some(dec!(0.015)))));
    assert_eq!(frozen.volatility.as_ref().unwrap().factor, Some(dec!(1.5)));
    let calm = market(dec!(100), Some(snap(dec!(100), Some(dec!(0.001)))));
    let wild = market(dec!(100), Some(snap(dec!(100), Some(dec!(0.05)))));
    let r = sol();
    assert_eq!(
        plan_of(&frozen, dec!(100), &calm, &r).orders,
        plan_of(&frozen, dec!(100), &wild, &r).orders
    );
    assert_eq!(
        buys(&plan_of(&frozen, dec!(100), &calm, &r))[0].0,
        dec!(98.5)
    );
}

#[test]
fn the_frozen_factor_survives_the_journal_so_a_restart_plans_the_same_orders() {
    let mut c = worked_example();
    c.volatility = Some(vol(dec!(1)));
    let frozen = anchor(&c, Some(&snap(dec!(100), Some(dec!(0.0173)))));
    let journalled: StrategyConfig =
        serde_json::from_str(&serde_json::to_string(&frozen).unwrap()).unwrap();
    // After the restart the feed is cold (no snapshot yet) or has moved on.
    let m = market(dec!(100), None);
    assert_eq!(
        plan_of(&frozen, dec!(100), &m, &sol()).orders,
        plan_of(&journalled, dec!(100), &m, &sol()).orders
    );
    assert_ne!(
        plan_of(&journalled, dec!(100), &m, &sol()).orders,
        plan_of(&c, dec!(100), &m, &sol()).orders
    );
}

#[test]
fn an_unknown_factor_trades_as_configured() {
    let mut c = worked_example();
    c.volatility = Some(vol(dec!(1)));
    let cold = anchor(&c, None);
    assert_eq!(cold.volatility.as_ref().unwrap().factor, None);
    let m = market(dec!(100), None);
    let mut off = c.clone();
    off.volatility = None;
    assert_eq!(
        plan_of(&cold, dec!(100), &m, &sol()).orders,
        plan_of(&off, dec!(100), &m, &sol()).orders
    );
}

#[test]
fn a_wild_range_grid_thins_its_levels_and_keeps_each_slice() {
    let c = range_config();
    let thinned = scaled(&c, dec!(2));
    assert_eq!(range_of(&thinned).levels, 6);
    assert_eq!(thinned.quote_budget, Quote::new(dec!(500)));
    // 3 steps of 10 by a factor of 1.5: 6 steps, slice 100 each.
    let odd = scaled(&c, dec!(1.5));
    assert_eq!(range_of(&odd).levels, 7);
    assert_eq!(odd.quote_budget, Quote::new(dec!(600)));
    // Calm: never denser than configured.
    assert_eq!(scaled(&c, dec!(0.5)), c);
}

#[test]
fn mean_reversion_sizes_its_entry_by_the_live_factor() {
    let mut c = mr_config();
    c.volatility = Some(vol(dec!(1)));
    let r = rules(SymbolFilters::basic(dec!(0.001), dec!(0.01), dec!(5)));
    let entry = |v: Option<Decimal>| {
        let m = market(dec!(4), Some(snap(dec!(4), v)));
        let b = buys(&plan_of(&c, dec!(4), &m, &r));
        b.iter().map(|(p, q)| p * q).sum::<Decimal>()
    };
    let (normal, wild) = (entry(Some(dec!(0.01))), entry(Some(dec!(0.04))));
    assert!(normal > dec!(990), "{normal}");
    assert!(wild <= dec!(500) && wild > dec!(490), "{wild}");
    // Calm never buys more than the budget.
    assert!(entry(Some(dec!(0.001))) <= dec!(1000));
}

#[test]
fn volatility_asks_for_its_measure_even_for_a_grid() {
    let mut c = worked_example();
    assert_eq!(kind::indicator_spec(&c), None);
    c.volatility = Some(VolatilityConfig {
        measure: VolMeasure::Stdev,
        ..vol(dec!(1))
    });
    let spec = kind::indicator_spec(&c).unwrap();
    assert_eq!(spec.volatility, Some((VolMeasure::Stdev, 14)));
    let mut mr = mr_config();
    mr.volatility = Some(vol(dec!(1)));
    let spec = kind::indicator_spec(&mr).unwrap();
    assert_eq!(
        (spec.mean_window, spec.volatility),
        (Some(20), Some((VolMeasure::Atr, 14)))
    );
}

fn broken(c: &StrategyConfig) -> Vec<(String, Rule)> {
    kind::validate(c)
        .err()
        .unwrap_or_default()
        .iter()
        .map(|e| (e.key().to_string(), e.rule().unwrap()))
        .collect()
}

#[test]
fn validation_names_each_broken_volatility_rule() {
    let mut c = worked_example();
    c.hard_stop_pct = Pct::new(dec!(40)); // room for the grid at max_factor
    let with = |f: &dyn Fn(&mut VolatilityConfig)| {
        let mut v = vol(dec!(1));
        f(&mut v);
        let mut c = c.clone();
        c.volatility = Some(v);
        broken(&c)
    };
    assert_eq!(with(&|_| {}), vec![]);
    let w = |k: &str, r| vec![(k.to_string(), r)];
    assert_eq!(
        with(&|v| v.window = 1),
        w("volatility.window", Rule::AtLeastTwo)
    );
    assert_eq!(
        with(&|v| v.reference_pct = Pct::new(Decimal::ZERO)),
        w("volatility.reference_pct", Rule::Positive)
    );
    assert_eq!(
        with(&|v| v.min_factor = dec!(1.2)),
        w("volatility.max_factor", Rule::VolFactorBounds)
    );
    assert_eq!(
        with(&|v| v.min_factor = Decimal::ZERO),
        w("volatility.min_factor", Rule::Positive)
    );
    assert_eq!(
        with(&|v| v.factor = Some(dec!(1))),
        w("volatility.factor", Rule::VolFactorIsFrozen)
    );
}

#[test]
fn a_grid_whose_widest_spacing_crosses_its_hard_stop_is_refused() {
    // The worked example's deepest level is 13.2 % below P0; ×2 it passes the 15 % stop.
    let mut c = worked_example();
    c.volatility = Some(vol(dec!(1)));
    let errors = kind::validate(&c).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].rule(), Some(Rule::HardStopBelowDeepest));
    assert!(
        errors[0]
            .to_string()
            .contains("at volatility.max_factor = 2"),
        "{}",
        errors[0]
    );
    c.volatility.as_mut().unwrap().max_factor = dec!(1.1);
    assert!(kind::validate(&c).is_ok());
}

#[test]
fn the_preflight_checks_the_smallest_orders_at_max_factor() {
    // 5 levels of a 60 budget: the nearest ≈ 8.9 passes the minimum of 5, halved it does not.
    let mut c = worked_example();
    c.quote_budget = Quote::new(dec!(60));
    c.hard_stop_pct = Pct::new(dec!(40));
    assert!(kind::validate_for_market(&c, Some(&sol()), Price::new(dec!(100)), None).is_ok());
    c.volatility = Some(vol(dec!(1)));
    let errors =
        kind::validate_for_market(&c, Some(&sol()), Price::new(dec!(100)), None).unwrap_err();
    assert!(errors
        .iter()
        .all(|e| e.rule() == Some(Rule::BelowMinNotional)));
    assert!(
        errors[0].to_string().contains("volatility.max_factor = 2"),
        "{}",
        errors[0]
    );
}

#[test]
fn every_strategy_file_reads_the_volatility_table_strictly() {
    let table = "[volatility]\nmeasure = \"stdev\"\nwindow = 20\nreference_pct = 0.8\n";
    let basket = format!(
        "symbol = \"SOLUSDC\"\nquote_budget = 1000\n[levels]\ncount = 3\nfirst_step_pct = 1\n\
         step_scale = 1.5\nvolume_scale = 1.2\n{table}"
    );
    let range = format!(
        "kind = \"range\"\nsymbol = \"FILUSDT\"\nquote_budget = 1000\n{table}\
         [range]\nlower = 3\nupper = 5\nlevels = 11\n"
    );
    for text in [basket, range] {
        let c = StrategyConfig::from_toml_str(&text).unwrap();
        let v = c.volatility.unwrap();
        assert_eq!((v.measure, v.window), (VolMeasure::Stdev, 20));
        assert_eq!(
            (v.reference_pct, v.min_factor),
            (Pct::new(dec!(0.8)), dec!(0.5))
        );
    }
    let typo = "symbol = \"SOLUSDC\"\nquote_budget = 1000\n[levels]\ncount = 3\n\
                first_step_pct = 1\nstep_scale = 1.5\nvolume_scale = 1.2\n\
                [volatility]\nwindow = 20\nreference_pct = 1\nmax_factr = 3\n";
    let err = StrategyConfig::from_toml_str(typo).unwrap_err();
    assert!(err.to_string().contains("max_factr"), "{err}");
}

mod proptests {
    //! Orders stay inside the filters and the budget for any volatility.
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn orders_stay_inside_the_filters_and_the_budget_for_any_volatility(
            vol_bp in 0i64..2_000,           // 0 .. 20 % per candle
            reference in 10i64..500,         // 0.1 .. 5 %
            min_f in 10i64..100, max_f in 100i64..400,
            which in 0u8..3,
            budget in 100i64..5_000,
            tick in 0u32..4, step in 0u32..5,
        ) {
            let v = VolatilityConfig {
                reference_pct: Pct::new(Decimal::new(reference, 2)),
                min_factor: Decimal::new(min_f, 2),
                max_factor: Decimal::new(max_f, 2),
                ..vol(dec!(1))
            };
            let (mut c, last) = match which {
                0 => {
                    let mut c = worked_example();
                    c.hard_stop_pct = Pct::new(dec!(60));
                    (c, dec!(100))
                }
                1 => (range_config(), dec!(4.1)),
                _ => (mr_config(), dec!(4)),
            };
            c.quote_budget = Quote::new(Decimal::from(budget));
            c.volatility = Some(v);
            let volatility = Decimal::new(vol_bp, 4);
            let s = snap(last, Some(volatility));
            let frozen = anchor(&c, Some(&s));
            let r = rules(SymbolFilters::basic(Decimal::new(1, tick), Decimal::new(1, step), dec!(5)));
            let m = market(last, Some(s));
            let p = plan_of(&frozen, last, &m, &r);
            let spent: Decimal = p.orders.iter()
                .filter(|o| o.slot.side() == Side::Buy)
                .map(|o| o.price.unwrap().get() * o.qty.get())
                .sum();
            prop_assert!(spent <= c.quote_budget.get(), "spent {} of {}", spent, c.quote_budget);
            for o in &p.orders {
                prop_assert!(r.filters.check(o, Some(Price::new(last))).is_ok(), "{:?}", o);
            }
            let f = plan_factor(&frozen, &m);
            prop_assert!(f >= Decimal::new(min_f, 2) && f <= Decimal::new(max_f, 2));
        }
    }
}

#[test]
fn a_volatility_grid_anchors_only_once_its_factor_is_known() {
    let mut c = worked_example();
    assert!(may_anchor(&c, None), "no volatility sizing: anchor at once");
    c.volatility = Some(vol(dec!(1)));
    assert!(!may_anchor(&c, None));
    assert!(!may_anchor(&c, Some(&snap(dec!(100), None))));
    assert!(may_anchor(&c, Some(&snap(dec!(100), Some(dec!(0.01))))));
    // Mean reversion reads the live factor: nothing to wait for before its basket.
    let mut mr = mr_config();
    mr.volatility = Some(vol(dec!(1)));
    assert!(may_anchor(&mr, None));
}
