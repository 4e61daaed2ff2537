//! Trend following: config, validation and the plan on a worked example — FILUSDT (tick
//! 0.001, step 0.01, min notional 5), budget 1000, channel high 5.050, ATR 0.100, stop 3 ATRs
//! (4.750), risk 2 % (20 USDT over a 0.300 stop distance: 66.66 FIL).

use super::fixtures::{trend_config, trend_mut};
use super::TrendEntry;
use crate::core::fill::{Commission, Fill};
use crate::core::indicators::IndicatorSnapshot;
use crate::core::money::{Amount, Pct, Price, Qty};
use crate::core::order::{Side, Slot};
use crate::core::strategy::config::{Rule, StrategyConfig};
use crate::core::strategy::kind;
use crate::core::strategy::plan::{Market, Phase, Plan, PlanWarning};
use crate::core::strategy::round_walk::{basket, rules};
use crate::core::symbol::Asset;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// A snapshot: close, the high of the channel before it, channel high 5.05, ATR 0.1.
fn snap(close: Decimal, prior_high: Decimal) -> IndicatorSnapshot {
    IndicatorSnapshot {
        atr: Some(dec!(0.1)),
        channel_high: Some(Price::new(dec!(5.05))),
        channel_low: Some(Price::new(dec!(4.5))),
        prior_high: Some(Price::new(prior_high)),
        ..IndicatorSnapshot::unknown_at(Price::new(close))
    }
}

fn plan_at(
    config: &StrategyConfig,
    fills: &[Fill],
    last: Decimal,
    s: Option<IndicatorSnapshot>,
) -> Plan {
    let market = Market {
        last: Price::new(last),
        now_ms: 60_000,
        reference: None,
        indicators: s,
    };
    kind::plan(
        config,
        &basket(config, Price::new(dec!(5))),
        fills,
        &market,
        &rules(3, 2, 5),
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

fn bought() -> Vec<Fill> {
    vec![Fill {
        trade_id: 1,
        order_id: 1,
        slot: Slot::Buy(1),
        side: Side::Buy,
        price: Price::new(dec!(4.999)),
        qty: Qty::new(dec!(66.66)),
        commission: Commission {
            amount: Amount::new(dec!(0.06666)),
            asset: Asset::parse("FIL").unwrap(),
            quote_value: None,
        },
        is_maker: true,
        time_ms: 1_000,
    }]
}

#[test]
fn a_trend_file_reads_its_table_and_checks_its_moving_averages() {
    let c = trend_config();
    assert_eq!(c.kind.name(), "trend");
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(serde_json::from_str::<StrategyConfig>(&json).unwrap(), c);
    assert_eq!(kind::validate(&c), Ok(()));
    let mut bad = c.clone();
    trend_mut(&mut bad).entry = TrendEntry::MaCross;
    trend_mut(&mut bad).fast = Some(20);
    trend_mut(&mut bad).slow = Some(10);
    trend_mut(&mut bad).channel = 1;
    trend_mut(&mut bad).risk_pct = Pct::new(Decimal::ZERO);
    let rules: Vec<Rule> = kind::validate(&bad)
        .unwrap_err()
        .iter()
        .map(|e| e.rule().unwrap())
        .collect();
    assert_eq!(
        rules,
        [Rule::AtLeastTwo, Rule::Positive, Rule::TrendMovingAverages]
    );
    // Breakout reads no moving average: one given is a mistake, not ignored.
    let mut stray = c.clone();
    trend_mut(&mut stray).fast = Some(5);
    assert!(kind::validate(&stray).is_err());
}

#[test]
fn a_breakout_buys_what_risks_risk_pct_down_to_the_stop_one_tick_below_the_close() {
    let c = trend_config();
    let p = plan_at(&c, &[], dec!(5), Some(snap(dec!(5), dec!(4.9))));
    assert_eq!(orders(&p), [row("B1", dec!(4.999), dec!(66.66))]);
    // No breakout: nothing.
    assert!(plan_at(&c, &[], dec!(5), Some(snap(dec!(4.9), dec!(4.9))))
        .orders
        .is_empty());
    // The risk is capped by the budget: 50 % would be 1666 FIL, the budget buys 200.04.
    let mut big = c.clone();
    trend_mut(&mut big).risk_pct = Pct::new(dec!(50));
    let p = plan_at(&big, &[], dec!(5), Some(snap(dec!(5), dec!(4.9))));
    assert_eq!(orders(&p), [row("B1", dec!(4.999), dec!(200.04))]);
}

#[test]
fn a_moving_average_cross_enters_while_the_fast_average_is_above() {
    let mut c = trend_config();
    trend_mut(&mut c).entry = TrendEntry::MaCross;
    trend_mut(&mut c).fast = Some(5);
    trend_mut(&mut c).slow = Some(20);
    let mut s = snap(dec!(4.9), dec!(5.0));
    s.fast_ma = Some(Price::new(dec!(4.95)));
    s.slow_ma = Some(Price::new(dec!(4.9)));
    assert_eq!(orders(&plan_at(&c, &[], dec!(4.9), Some(s)))[0].0, "B1");
    s.fast_ma = Some(Price::new(dec!(4.85)));
    assert!(plan_at(&c, &[], dec!(4.9), Some(s)).orders.is_empty());
}

#[test]
fn holding_it_rests_nothing_above_the_trailing_stop_and_exits_at_it() {
    let c = trend_config();
    let s = Some(snap(dec!(5), dec!(5.05)));
    let p = plan_at(&c, &bought(), dec!(4.8), s);
    assert!(p.orders.is_empty());
    assert_eq!(p.meta.replan_below, Some(Price::new(dec!(4.75))));
    let p = plan_at(&c, &bought(), dec!(4.75), s);
    // 4.75 × 0.97 = 4.6075 → 4.607; the bought 66.66 less the 0.06666 fee → 66.59.
    assert_eq!(orders(&p), [row("EXIT", dec!(4.607), dec!(66.59))]);
    assert_eq!(p.meta.phase, Phase::Exiting);
}

#[test]
fn without_indicators_it_neither_enters_nor_trails_and_says_why() {
    let p = plan_at(&trend_config(), &bought(), dec!(4), None);
    assert!(p.orders.is_empty());
    assert_eq!(p.meta.warnings, [PlanWarning::NoIndicators]);
}

/// Filters that bind: the risk-sized entry (budget × risk_pct / 0.300 FIL at 4.999) is
/// floored to the step and planned only when it clears the notional minimum 5
/// (`.spec/strategies.md` §8); one below it is not planned, so nothing is dropped.
#[test]
fn a_risk_sized_entry_below_the_notional_minimum_is_not_planned() {
    let mut c = trend_config();
    let s = Some(snap(dec!(5), dec!(4.9)));
    // 1000 × 0.03 % / 0.3 = 1.00 FIL × 4.999 = 4.999 < 5.
    trend_mut(&mut c).risk_pct = Pct::new(dec!(0.03));
    let p = plan_at(&c, &[], dec!(5), s);
    assert_eq!((p.orders.len(), p.meta.warnings.len()), (0, 0), "{p:?}");
    // 1000 × 0.0303 % / 0.3 = 1.01 FIL × 4.999 = 5.049: placed.
    trend_mut(&mut c).risk_pct = Pct::new(dec!(0.0303));
    let p = plan_at(&c, &[], dec!(5), s);
    assert_eq!(orders(&p), [row("B1", dec!(4.999), dec!(1.01))]);
    assert_eq!(p.meta.warnings, []);
}
