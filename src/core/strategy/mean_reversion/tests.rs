//! Mean reversion: config, validation, preflight and the plan on a worked example —
//! FILUSDT (tick 0.001, step 0.01, min notional 5), mean 4.000, deviation 0.100, entry_z 2
//! (band 3.800), budget 1000, stop 5 %.

use super::fixtures::{mr_config, mr_mut};
use crate::core::fill::{Commission, Fill};
use crate::core::indicators::IndicatorSnapshot;
use crate::core::money::{Amount, Pct, Price, Qty, Quote};
use crate::core::order::{Side, Slot};
use crate::core::strategy::config::{Rule, StrategyConfig};
use crate::core::strategy::kind;
use crate::core::strategy::plan::{Market, Phase, Plan, PlanWarning};
use crate::core::strategy::round_walk::{basket, rules};
use crate::core::symbol::Asset;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// A snapshot with only the mean reversion's values.
fn snap(mean: Decimal, sd: Decimal, close: Decimal) -> IndicatorSnapshot {
    IndicatorSnapshot {
        mean: Some(Price::new(mean)),
        std_dev: Some(sd),
        ..IndicatorSnapshot::unknown_at(Price::new(close))
    }
}

fn plan_at(
    config: &StrategyConfig,
    fills: &[Fill],
    last: Decimal,
    now_ms: i64,
    s: Option<IndicatorSnapshot>,
) -> Plan {
    let market = Market {
        last: Price::new(last),
        now_ms,
        reference: None,
        indicators: s,
    };
    let rules = rules(3, 2, 5);
    kind::plan(
        config,
        &basket(config, Price::new(dec!(4))),
        fills,
        &market,
        &rules,
    )
}

fn orders(p: &Plan) -> Vec<(String, Decimal, Decimal)> {
    p.orders
        .iter()
        .map(|o| (o.slot.to_string(), o.price.unwrap().get(), o.qty.get()))
        .collect()
}

fn row(slot: &str, price: Decimal, qty: Decimal) -> (String, Decimal, Decimal) {
    (slot.to_string(), price, qty)
}

/// A fill paying 0.1 %: in FIL on buys, in USDT on sells.
fn fill(id: u64, slot: Slot, price: Decimal, qty: Decimal, time_ms: i64) -> Fill {
    let (amount, asset) = match slot.side() {
        Side::Buy => (qty * dec!(0.001), "FIL"),
        Side::Sell => (price * qty * dec!(0.001), "USDT"),
    };
    Fill {
        trade_id: id,
        order_id: id,
        slot,
        side: slot.side(),
        price: Price::new(price),
        qty: Qty::new(qty),
        commission: Commission {
            amount: Amount::new(amount),
            asset: Asset::parse(asset).unwrap(),
            quote_value: None,
        },
        is_maker: true,
        time_ms,
    }
}

/// The entry B1 3.800 × 263.15 filled (0.26315 FIL fee): 262.88685 FIL held.
fn bought() -> Vec<Fill> {
    vec![fill(1, Slot::Buy(1), dec!(3.8), dec!(263.15), 1_000)]
}

#[test]
fn a_mean_reversion_file_reads_its_table_and_rejects_grid_keys() {
    let c = mr_config();
    assert_eq!(c.kind.name(), "mean_reversion");
    assert!(!c.auto_restart && !c.auto_reanchor);
    let json = serde_json::to_string(&c).unwrap();
    assert!(json.contains("mean_reversion"), "{json}");
    let back: StrategyConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
    let text = "kind = \"mean_reversion\"\nsymbol = \"FILUSDT\"\nquote_budget = 1000\n\
                tp1_pct = 2\n[mean_reversion]\nwindow = 20\nentry_z = 2\nstop_loss_pct = 5\n";
    assert!(StrategyConfig::from_toml_str(text).is_err());
}

#[test]
fn validation_names_each_broken_rule() {
    let mut c = mr_config();
    let m = mr_mut(&mut c);
    m.window = 1;
    m.entry_z = Decimal::ZERO;
    m.stop_loss_pct = Pct::new(dec!(100));
    m.take_profit_pct = Some(Pct::new(dec!(0.2)));
    let rules: Vec<(String, Rule)> = kind::validate(&c)
        .unwrap_err()
        .iter()
        .map(|e| (e.key().to_string(), e.rule().unwrap()))
        .collect();
    assert_eq!(
        rules,
        [
            ("mean_reversion.window".to_string(), Rule::AtLeastTwo),
            ("mean_reversion.entry_z".to_string(), Rule::Positive),
            ("mean_reversion.stop_loss_pct".to_string(), Rule::Below100),
            (
                "mean_reversion.take_profit_pct".to_string(),
                Rule::ClearsTwoFees
            ),
        ]
    );
    // 0.21 % clears two fees of 0.1 % (1.0021 × 0.999 > 1.001).
    mr_mut(&mut c).take_profit_pct = Some(Pct::new(dec!(0.21)));
    mr_mut(&mut c).window = 2;
    mr_mut(&mut c).entry_z = dec!(1);
    mr_mut(&mut c).stop_loss_pct = Pct::new(dec!(5));
    assert_eq!(kind::validate(&c), Ok(()));
}

#[test]
fn the_preflight_refuses_a_budget_whose_stop_exit_is_below_the_notional_minimum() {
    let mut c = mr_config();
    c.quote_budget = Quote::new(dec!(5.2));
    let rules = rules(3, 2, 5);
    let anchor = Price::new(dec!(4));
    // Entry 1.30 FIL at 4 = 5.2 passes; the stop's exit (4 × 0.95 × 0.97 = 3.686) of 1.2987
    // FIL is 4.78 < 5.
    let errs = kind::validate_for_market(&c, Some(&rules), anchor, None).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].to_string().contains("stop exit at 3.686"),
        "{}",
        errs[0]
    );
    c.quote_budget = Quote::new(dec!(6));
    assert_eq!(
        kind::validate_for_market(&c, Some(&rules), anchor, None),
        Ok(())
    );
    let short = Some(Quote::new(dec!(5)));
    let errs = kind::validate_for_market(&c, Some(&rules), anchor, short).unwrap_err();
    assert_eq!(errs[0].rule(), Some(Rule::BudgetExceedsBalance));
}

#[test]
fn flat_it_buys_the_budget_on_the_lower_band_while_the_price_is_above_it() {
    let c = mr_config();
    let s = Some(snap(dec!(4), dec!(0.1), dec!(3.85)));
    let p = plan_at(&c, &[], dec!(3.85), 60_000, s);
    assert_eq!(orders(&p), [row("B1", dec!(3.8), dec!(263.15))]);
    assert_eq!(p.meta.replan_below, Some(Price::new(dec!(3.8))));
    // At the band: not placed (never a buy at or above last).
    assert!(plan_at(&c, &[], dec!(3.8), 60_000, s).orders.is_empty());
    // Closed below the band: one tick below the close.
    let s = Some(snap(dec!(4), dec!(0.1), dec!(3.7)));
    assert_eq!(
        orders(&plan_at(&c, &[], dec!(3.75), 60_000, s))[0].1,
        dec!(3.699)
    );
}

#[test]
fn without_indicators_it_opens_nothing_and_says_why() {
    let p = plan_at(&mr_config(), &[], dec!(3.85), 60_000, None);
    assert!(p.orders.is_empty());
    assert_eq!(p.meta.warnings, [PlanWarning::NoIndicators]);
}

#[test]
fn no_entry_when_the_way_back_to_the_mean_does_not_pay_two_fees() {
    // Band 3.998: 4 / 3.998 = 1.0005, below (1.001 / 0.999).
    let s = Some(snap(dec!(4), dec!(0.001), dec!(4)));
    assert!(plan_at(&mr_config(), &[], dec!(4), 60_000, s)
        .orders
        .is_empty());
}

#[test]
fn holding_it_sells_at_the_mean_or_the_take_profit_never_below_breakeven() {
    let mut c = mr_config();
    let s = Some(snap(dec!(4), dec!(0.1), dec!(3.82)));
    let p = plan_at(&c, &bought(), dec!(3.82), 120_000, s);
    assert_eq!(orders(&p), [row("S2", dec!(4), dec!(262.88))]);
    assert_eq!(p.meta.depth, 1);
    mr_mut(&mut c).take_profit_pct = Some(Pct::new(dec!(3)));
    // VWAP 3.8 × 263.15 / 262.88685 = 3.80380…; × 1.03 = 3.91791… → 3.918.
    let p = plan_at(&c, &bought(), dec!(3.82), 120_000, s);
    assert_eq!(orders(&p), [row("S2", dec!(3.918), dec!(262.88))]);
    // The mean fell below breakeven (VWAP × 1.001 / 0.999 = 3.81142…): sell at breakeven.
    let s = Some(snap(dec!(3.7), dec!(0.1), dec!(3.82)));
    let p = plan_at(&c, &bought(), dec!(3.82), 120_000, s);
    assert_eq!(orders(&p), [row("S2", dec!(3.812), dec!(262.88))]);
}

#[test]
fn the_stop_sells_everything_and_stays_until_flat_then_cools_down() {
    let mut c = mr_config();
    mr_mut(&mut c).cooldown_secs = 600;
    let s = Some(snap(dec!(4), dec!(0.1), dec!(3.6)));
    // Stop at VWAP × 0.95 = 3.6136… → 3.613.
    let above = plan_at(&c, &bought(), dec!(3.614), 120_000, s);
    assert_eq!(above.meta.replan_below, Some(Price::new(dec!(3.613))));
    let p = plan_at(&c, &bought(), dec!(3.613), 120_000, s);
    assert_eq!(orders(&p), [row("EXIT", dec!(3.504), dec!(262.88))]);
    assert_eq!(p.meta.phase, Phase::Exiting);
    // Half sold, the price back above the stop: the exit goes on.
    let mut fills = bought();
    fills.push(fill(2, Slot::Exit, dec!(3.504), dec!(100), 130_000));
    let p = plan_at(&c, &fills, dec!(3.9), 140_000, s);
    assert_eq!(orders(&p), [row("EXIT", dec!(3.783), dec!(162.88))]);
    // Flat: no entry for 600 s after the last exit fill, then the band again.
    fills.push(fill(3, Slot::Exit, dec!(3.783), dec!(162.88), 150_000));
    let stretched = Some(snap(dec!(4), dec!(0.1), dec!(3.85)));
    assert!(plan_at(&c, &fills, dec!(3.85), 749_999, stretched)
        .orders
        .is_empty());
    let p = plan_at(&c, &fills, dec!(3.85), 750_000, stretched);
    assert_eq!(orders(&p)[0].0, "B1");
}

/// Filters that bind (a budget of about one notional minimum, 5): the entry is the budget
/// floored to the step, on the tick; an entry that cannot reach the minimum is not planned
/// at all (`.spec/strategies.md` §7), so nothing is left for the safety net to drop.
#[test]
fn with_binding_filters_the_entry_fits_them_or_is_not_planned() {
    let mut c = mr_config();
    c.quote_budget = Quote::new(dec!(6));
    // Band 3.8: 6 / 3.8 = 1.5789… → 1.57 FIL, 5.966 USDT.
    let p = plan_at(
        &c,
        &[],
        dec!(3.85),
        60_000,
        Some(snap(dec!(4), dec!(0.1), dec!(3.85))),
    );
    assert_eq!(orders(&p), [row("B1", dec!(3.8), dec!(1.57))]);
    assert_eq!(p.meta.warnings, []);
    // Band 3.9: 5.02 / 3.9 = 1.2871… → 1.28 FIL, 4.992 < 5: no entry, and no drop.
    let s = Some(snap(dec!(4.1), dec!(0.1), dec!(4)));
    c.quote_budget = Quote::new(dec!(5.02));
    let p = plan_at(&c, &[], dec!(4), 60_000, s);
    assert_eq!((p.orders.len(), p.meta.warnings.len()), (0, 0), "{p:?}");
    // 5.04 / 3.9 = 1.2923… → 1.29 FIL, 5.031: placed.
    c.quote_budget = Quote::new(dec!(5.04));
    let p = plan_at(&c, &[], dec!(4), 60_000, s);
    assert_eq!(orders(&p), [row("B1", dec!(3.9), dec!(1.29))]);
    assert_eq!(p.meta.warnings, []);
}
