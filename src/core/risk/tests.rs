//! Each limit at its boundary: one unit below does not trip, the threshold does.

use super::*;
use crate::core::correlation::{CorrelationMatrix, PairCorrelation};
use rust_decimal_macros::dec;

fn sym(name: &str) -> Symbol {
    Symbol::parse(name).unwrap()
}

fn state(qty: Decimal, price: Decimal) -> SymbolState {
    SymbolState {
        qty: Qty::new(qty),
        price: Price::new(price),
        open_orders: 0,
        open_algo_orders: 0,
        max_num_orders: None,
        max_num_algo_orders: None,
        last_hard_stop_ms: None,
    }
}

fn snap(equity: Decimal) -> AccountSnapshot {
    let q = Quote::new(equity);
    AccountSnapshot {
        now_ms: 1_000_000,
        equity: q,
        peak_equity: q,
        day_start_equity: q,
        equity_24h_ago: q,
        symbols: BTreeMap::new(),
        correlation: CorrelationMatrix::default(),
    }
}

fn verdict(limits: &RiskLimits, s: &AccountSnapshot) -> GridVerdict {
    evaluate(limits, s, &sym("FILUSDT"))
}

fn kinds(v: &GridVerdict) -> Vec<LimitKind> {
    v.trips.iter().map(|t| t.limit).collect()
}

#[test]
fn no_limit_set_allows_even_a_ruined_account() {
    let mut s = snap(dec!(1));
    s.peak_equity = Quote::new(dec!(1000));
    s.symbols.insert(sym("FILUSDT"), state(dec!(100), dec!(1)));
    let v = verdict(&RiskLimits::default(), &s);
    assert_eq!((v.verdict, v.trips.len()), (Verdict::Allow, 0));
}

#[test]
fn drawdown_trips_at_its_threshold_with_its_action() {
    let limits = RiskLimits {
        max_drawdown: Some(Limit {
            threshold: Pct::new(dec!(20)),
            action: TripAction::Close,
        }),
        ..RiskLimits::default()
    };
    let mut s = snap(dec!(800.01));
    s.peak_equity = Quote::new(dec!(1000));
    assert_eq!(verdict(&limits, &s).verdict, Verdict::Allow);
    s.equity = Quote::new(dec!(800));
    let v = verdict(&limits, &s);
    assert_eq!(v.verdict, Verdict::Close);
    assert_eq!(
        v.trips,
        vec![Trip {
            limit: LimitKind::MaxDrawdown,
            value: dec!(20),
            threshold: dec!(20),
            action: TripAction::Close,
        }]
    );
}

#[test]
fn daily_loss_uses_the_configured_window() {
    let mut limits = RiskLimits {
        daily_loss: Some(DailyLoss {
            max_loss: Quote::new(dec!(50)),
            window: LossWindow::UtcDay,
            action: TripAction::NoNewBuys,
        }),
        ..RiskLimits::default()
    };
    let mut s = snap(dec!(950));
    s.day_start_equity = Quote::new(dec!(999.99));
    s.equity_24h_ago = Quote::new(dec!(1000));
    assert_eq!(verdict(&limits, &s).verdict, Verdict::Allow);
    s.day_start_equity = Quote::new(dec!(1000));
    s.equity_24h_ago = Quote::new(dec!(999.99));
    let v = verdict(&limits, &s);
    assert_eq!(v.verdict, Verdict::NoNewBuys);
    assert_eq!(
        (v.trips[0].value, v.trips[0].threshold),
        (dec!(50), dec!(50))
    );
    limits.daily_loss.as_mut().unwrap().window = LossWindow::Rolling24h;
    assert_eq!(verdict(&limits, &s).verdict, Verdict::Allow);
    s.equity_24h_ago = Quote::new(dec!(1000));
    assert_eq!(verdict(&limits, &s).verdict, Verdict::NoNewBuys);
}

#[test]
fn a_gain_is_never_a_daily_loss() {
    let limits = RiskLimits {
        daily_loss: Some(DailyLoss {
            max_loss: Quote::new(dec!(0)),
            window: LossWindow::UtcDay,
            action: TripAction::Close,
        }),
        ..RiskLimits::default()
    };
    let mut s = snap(dec!(1001));
    s.day_start_equity = Quote::new(dec!(1000));
    let v = verdict(&limits, &s);
    assert_eq!(v.verdict, Verdict::Allow, "{v:?}");
}

#[test]
fn cooldown_holds_until_exactly_its_length_and_only_for_its_symbol() {
    let limits = RiskLimits {
        hard_stop_cooldown_ms: Some(60_000),
        ..RiskLimits::default()
    };
    let mut s = snap(dec!(1000));
    let mut fil = state(dec!(0), dec!(3));
    fil.last_hard_stop_ms = Some(s.now_ms - 59_999);
    s.symbols.insert(sym("FILUSDT"), fil);
    let v = verdict(&limits, &s);
    assert_eq!(v.verdict, Verdict::NoNewBuys);
    assert_eq!(kinds(&v), [LimitKind::HardStopCooldown]);
    assert_eq!(
        evaluate(&limits, &s, &sym("NEARUSDT")).verdict,
        Verdict::Allow
    );
    s.now_ms += 1;
    assert_eq!(verdict(&limits, &s).verdict, Verdict::Allow);
}

#[test]
fn position_value_is_capped_per_symbol() {
    let limits = RiskLimits {
        max_position_value: Some(Limit {
            threshold: Quote::new(dec!(300)),
            action: TripAction::NoNewBuys,
        }),
        ..RiskLimits::default()
    };
    let mut s = snap(dec!(1000));
    s.symbols
        .insert(sym("FILUSDT"), state(dec!(99.99), dec!(3)));
    s.symbols
        .insert(sym("NEARUSDT"), state(dec!(1000), dec!(3)));
    assert_eq!(verdict(&limits, &s).verdict, Verdict::Allow);
    s.symbols.insert(sym("FILUSDT"), state(dec!(100), dec!(3)));
    let v = verdict(&limits, &s);
    assert_eq!(v.verdict, Verdict::NoNewBuys);
    assert_eq!(
        (v.trips[0].value, v.trips[0].threshold),
        (dec!(300), dec!(300))
    );
}

#[test]
fn exposure_sums_every_symbol_against_equity() {
    let limits = RiskLimits {
        max_exposure: Some(Limit {
            threshold: Pct::new(dec!(50)),
            action: TripAction::NoNewBuys,
        }),
        ..RiskLimits::default()
    };
    let mut s = snap(dec!(1000));
    s.symbols
        .insert(sym("FILUSDT"), state(dec!(100), dec!(2.5)));
    s.symbols
        .insert(sym("NEARUSDT"), state(dec!(249.99), dec!(1)));
    assert_eq!(verdict(&limits, &s).verdict, Verdict::Allow);
    s.symbols.insert(sym("NEARUSDT"), state(dec!(250), dec!(1)));
    let v = verdict(&limits, &s);
    assert_eq!(v.verdict, Verdict::NoNewBuys);
    assert_eq!(v.trips[0].value, dec!(50));
    // A grid on another symbol is stopped too: exposure is account-wide.
    assert_eq!(
        evaluate(&limits, &s, &sym("LTCUSDT")).verdict,
        Verdict::NoNewBuys
    );
}

#[test]
fn exposure_of_a_non_positive_equity_is_full() {
    let limits = RiskLimits {
        max_exposure: Some(Limit {
            threshold: Pct::new(dec!(100)),
            action: TripAction::NoNewBuys,
        }),
        ..RiskLimits::default()
    };
    let mut s = snap(dec!(0));
    s.symbols.insert(sym("FILUSDT"), state(dec!(1), dec!(1)));
    assert_eq!(verdict(&limits, &s).verdict, Verdict::NoNewBuys);
}

#[test]
fn open_orders_are_capped_across_the_account_and_by_the_symbol_filters() {
    let limits = RiskLimits {
        max_open_orders: Some(Limit {
            threshold: 10,
            action: TripAction::NoNewBuys,
        }),
        ..RiskLimits::default()
    };
    let mut s = snap(dec!(1000));
    let mut fil = state(dec!(0), dec!(3));
    fil.open_orders = 4;
    fil.open_algo_orders = 1;
    fil.max_num_orders = Some(5);
    fil.max_num_algo_orders = Some(2);
    let mut near = state(dec!(0), dec!(3));
    near.open_orders = 5;
    s.symbols.insert(sym("FILUSDT"), fil.clone());
    s.symbols.insert(sym("NEARUSDT"), near);
    assert_eq!(verdict(&limits, &s).verdict, Verdict::Allow);
    fil.open_orders = 5;
    fil.open_algo_orders = 2;
    s.symbols.insert(sym("FILUSDT"), fil);
    let v = verdict(&limits, &s);
    assert_eq!(
        kinds(&v),
        [
            LimitKind::MaxOpenOrders,
            LimitKind::SymbolMaxNumOrders,
            LimitKind::SymbolMaxNumAlgoOrders
        ]
    );
    // NEARUSDT is under its own (absent) filters but the account cap holds it too.
    let near_v = evaluate(&limits, &s, &sym("NEARUSDT"));
    assert_eq!(kinds(&near_v), [LimitKind::MaxOpenOrders]);
}

#[test]
fn the_most_severe_action_wins_and_trips_keep_the_evaluation_order() {
    let limits = RiskLimits {
        max_drawdown: Some(Limit {
            threshold: Pct::new(dec!(10)),
            action: TripAction::NoNewBuys,
        }),
        max_exposure: Some(Limit {
            threshold: Pct::new(dec!(10)),
            action: TripAction::Close,
        }),
        daily_loss: Some(DailyLoss {
            max_loss: Quote::new(dec!(1)),
            window: LossWindow::UtcDay,
            action: TripAction::NoNewBuys,
        }),
        ..RiskLimits::default()
    };
    let mut s = snap(dec!(500));
    s.peak_equity = Quote::new(dec!(1000));
    s.day_start_equity = Quote::new(dec!(1000));
    s.symbols.insert(sym("FILUSDT"), state(dec!(100), dec!(1)));
    let v = verdict(&limits, &s);
    assert_eq!(v.verdict, Verdict::Close);
    assert_eq!(
        kinds(&v),
        [
            LimitKind::MaxDrawdown,
            LimitKind::DailyLoss,
            LimitKind::MaxExposure
        ]
    );
}

#[test]
fn utc_day_start_floors_to_midnight() {
    let feb1 = 1_769_904_000_000; // 2026-02-01T00:00:00Z
    assert_eq!(utc_day_start_ms(feb1), feb1);
    assert_eq!(utc_day_start_ms(feb1 + 86_399_999), feb1);
    assert_eq!(utc_day_start_ms(feb1 - 1), feb1 - 86_400_000);
}

/// FIL and NEAR correlate at `fil_near`, LTC with neither; 20 returns of 24 needed unless
/// `warming`.
fn matrix(fil_near: Decimal, warming: bool) -> CorrelationMatrix {
    let pair = |a: &str, b: &str, c: Decimal| PairCorrelation {
        a: sym(a),
        b: sym(b),
        returns: if warming { 20 } else { 100 },
        correlation: (!warming).then_some(c),
    };
    CorrelationMatrix {
        return_minutes: 60,
        window_returns: 168,
        min_returns: 24,
        symbols: vec![sym("FILUSDT"), sym("LTCUSDT"), sym("NEARUSDT")],
        pairs: vec![
            pair("FILUSDT", "LTCUSDT", dec!(0.1)),
            pair("FILUSDT", "NEARUSDT", fil_near),
            pair("LTCUSDT", "NEARUSDT", dec!(0.2)),
        ],
    }
}

fn group_cap() -> RiskLimits {
    RiskLimits {
        correlated_exposure: Some(CorrelatedExposure {
            min_correlation: dec!(0.8),
            max: Pct::new(dec!(40)),
            action: TripAction::NoNewBuys,
        }),
        ..RiskLimits::default()
    }
}

/// Equity 1000: FIL 250 and NEAR 150 held (40 % together), LTC 300 (30 %).
fn grouped_snap(fil_near: Decimal, warming: bool) -> AccountSnapshot {
    let mut s = snap(dec!(1000));
    s.symbols.insert(sym("FILUSDT"), state(dec!(250), dec!(1)));
    s.symbols.insert(sym("NEARUSDT"), state(dec!(150), dec!(1)));
    s.symbols.insert(sym("LTCUSDT"), state(dec!(300), dec!(1)));
    s.correlation = matrix(fil_near, warming);
    s
}

#[test]
fn the_group_cap_holds_every_symbol_of_the_group_at_its_threshold() {
    let limits = group_cap();
    let s = grouped_snap(dec!(0.8), false);
    for name in ["FILUSDT", "NEARUSDT"] {
        let v = evaluate(&limits, &s, &sym(name));
        assert_eq!(v.verdict, Verdict::NoNewBuys, "{name}");
        assert_eq!(
            v.trips,
            vec![Trip {
                limit: LimitKind::CorrelatedExposure,
                value: dec!(40),
                threshold: dec!(40),
                action: TripAction::NoNewBuys,
            }]
        );
    }
    // LTC is its own group at 30 %.
    assert_eq!(
        evaluate(&limits, &s, &sym("LTCUSDT")).verdict,
        Verdict::Allow
    );
    // One unit below the threshold, nothing trips.
    let mut below = s.clone();
    below
        .symbols
        .insert(sym("NEARUSDT"), state(dec!(149.99), dec!(1)));
    assert_eq!(
        evaluate(&limits, &below, &sym("FILUSDT")).verdict,
        Verdict::Allow
    );
}

#[test]
fn symbols_below_the_correlation_threshold_are_capped_alone() {
    let s = grouped_snap(dec!(0.7999), false);
    assert_eq!(
        evaluate(&group_cap(), &s, &sym("FILUSDT")).verdict,
        Verdict::Allow
    );
}

#[test]
fn while_the_correlation_is_warming_every_symbol_is_one_group() {
    let s = grouped_snap(dec!(0), true);
    // 250 + 150 + 300 = 70 % of equity, the whole account as one group.
    let v = evaluate(&group_cap(), &s, &sym("LTCUSDT"));
    assert_eq!(v.verdict, Verdict::NoNewBuys);
    assert_eq!(v.trips[0].value, dec!(70));
}
