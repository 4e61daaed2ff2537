use super::*;
use crate::apps::backtest::record::fixtures::{self, DAY0_MS};
use crate::apps::backtest::record::{EquityPoint, Ledger};
use crate::core::money::{Price, Qty};
use rust_decimal_macros::dec;

fn quote(d: Decimal) -> Quote {
    Quote::new(d)
}

fn curve(equities: &[Decimal]) -> Vec<EquityPoint> {
    equities
        .iter()
        .zip(0i64..)
        .map(|(&e, k)| EquityPoint {
            time_ms: DAY0_MS + k * stats::DAY_MS + 1,
            equity: quote(e),
            price: Price::new(dec!(1)),
            position: Qty::ZERO,
        })
        .collect()
}

#[test]
fn small_record_metrics_match_the_hand_computation() {
    let s = Summary::compute(&fixtures::small()).unwrap();
    assert_eq!(s.initial_equity, quote(dec!(1000)));
    assert_eq!(s.final_equity, quote(dec!(1013.7952)));
    assert_eq!(s.realized_pnl, quote(dec!(4.98)));
    assert_eq!(s.unrealized_pnl, quote(dec!(10)));
    assert_eq!(s.fees, quote(dec!(1.1848)));
    assert_eq!(s.total_pnl, quote(dec!(13.7952)));
    assert_eq!(s.roi_pct, dec!(1.37952));
    // Peak 1000 (first close) to trough 979.62 (third close): the largest absolute fall,
    // and also the largest relative one (the later 15.205 fall is from a 1019.2002 peak).
    assert_eq!(s.drawdown.amount, quote(dec!(20.38)));
    assert_eq!(s.drawdown.pct, dec!(2.038));
    assert_eq!(
        (s.drawdown.peak_index, s.drawdown.trough_index),
        (Some(0), Some(2))
    );
    assert_eq!(s.daily_returns, 4);
    // Returns −0.02 %, +1.9404 %, −1.4918 %, +0.9761 %: mean / sample stdev × √365.
    assert_eq!(s.sharpe, Some(dec!(4.575215)));
    assert_eq!(
        s.baskets,
        BasketCounts {
            opened: 4,
            closed: 1,
            stopped: 1,
            emergency_closed: 0,
            reanchored: 1,
            active: 1,
            error: 0
        }
    );
    // Round trips: basket 1 nets 19.98 − 0.7798, basket 2 nets −15 − 0.205.
    assert_eq!(
        s.round_trips,
        RoundTrips {
            count: 2,
            wins: 1,
            losses: 1,
            win_rate_pct: Some(dec!(50)),
            avg_win: Some(quote(dec!(19.2002))),
            avg_loss: Some(quote(dec!(-15.205))),
        }
    );
    assert_eq!(s.time_in_market_pct, dec!(50));
    assert_eq!((s.fills, s.buys, s.sells), (6, 4, 2));
}

#[test]
fn pnl_identity_holds_exactly_for_the_small_record() {
    let s = Summary::compute(&fixtures::small()).unwrap();
    assert_eq!(
        s.final_equity,
        s.initial_equity + s.realized_pnl + s.unrealized_pnl - s.fees
    );
}

#[test]
fn ledger_reproduces_the_small_records_accounting() {
    let r = fixtures::small();
    let mut ledger = Ledger::default();
    for t in &r.trades {
        ledger.apply(t);
    }
    assert_eq!(ledger.position, r.final_base);
    assert_eq!(ledger.open_cost, r.open_cost);
    assert_eq!(ledger.realized_pnl, r.realized_pnl);
    assert_eq!(ledger.fees, r.fees);
}

#[test]
fn ledger_keeps_the_identity_exact_on_a_long_synthetic_run() {
    // The toy grid books every fill through the ledger; one unit of cash off must be caught.
    let mut r = fixtures::synthetic(5_000);
    assert!(Summary::compute(&r).is_ok());
    r.final_quote += Quote::new(dec!(0.00000001));
    assert!(matches!(
        Summary::compute(&r),
        Err(MetricsError::PnlIdentity { .. })
    ));
}

#[test]
fn partial_sells_at_thirds_keep_cost_and_realised_exact() {
    let mut ledger = Ledger::default();
    let mark = |side, price, qty| crate::apps::backtest::record::TradeMark {
        time_ms: 0,
        basket: 1,
        slot: if side == Side::Buy {
            crate::core::order::Slot::Buy(1)
        } else {
            crate::core::order::Slot::Tp1
        },
        side,
        price: Price::new(price),
        qty: Qty::new(qty),
        fee: Quote::ZERO,
        fee_base: Qty::ZERO,
    };
    // Cost 30.02 over 3 units: each third (10.00666…) is rounded at 28 digits.
    ledger.apply(&mark(Side::Buy, dec!(10), dec!(1)));
    ledger.apply(&mark(Side::Buy, dec!(10.01), dec!(2)));
    for k in 1..=3 {
        ledger.apply(&mark(Side::Sell, dec!(12), dec!(1)));
        // realised = proceeds − removed cost and open cost = 30.02 − removed cost, exactly.
        let proceeds = quote(dec!(12) * Decimal::from(k));
        assert_eq!(
            ledger.realized_pnl - ledger.open_cost,
            proceeds - quote(dec!(30.02))
        );
    }
    assert_eq!(ledger.position, Qty::ZERO);
    assert_eq!(ledger.open_cost, Quote::ZERO);
    assert_eq!(ledger.realized_pnl, quote(dec!(5.98)));
}

#[test]
fn broken_identity_is_refused() {
    let mut r = fixtures::small();
    r.fees = quote(dec!(1.1847));
    assert_eq!(
        Summary::compute(&r),
        Err(MetricsError::PnlIdentity {
            final_equity: quote(dec!(1013.7952)),
            expected: quote(dec!(1013.7953)),
        })
    );
    let mut r = fixtures::small();
    r.initial_quote = Quote::ZERO;
    assert!(matches!(
        Summary::compute(&r),
        Err(MetricsError::NoCapital(_))
    ));
}

#[test]
fn daily_closes_take_the_last_point_of_each_utc_day() {
    let closes = daily_closes(&fixtures::small().equity);
    assert_eq!(
        closes,
        [
            dec!(999.8),
            dec!(1019.2002),
            dec!(1003.9952),
            dec!(1013.7952)
        ]
        .map(quote)
    );
}

#[test]
fn sharpe_of_a_known_series() {
    struct Case {
        label: &'static str,
        initial: Decimal,
        closes: Vec<Decimal>,
        want: Option<Decimal>,
        returns: u32,
    }
    let cases = [
        Case {
            // Returns +10 %, −10 %, +10 %: mean 1/30, sample stdev 0.2/√3, so Sharpe =
            // √3/6 × √365 = √1095/6 = 5.515130…
            label: "alternating ±10 %",
            initial: dec!(100),
            closes: vec![dec!(110), dec!(99), dec!(108.9)],
            want: Some(dec!(5.515131)),
            returns: 3,
        },
        Case {
            label: "flat curve has no stdev",
            initial: dec!(100),
            closes: vec![dec!(100), dec!(100), dec!(100)],
            want: None,
            returns: 3,
        },
        Case {
            label: "one return is not enough",
            initial: dec!(100),
            closes: vec![dec!(101)],
            want: None,
            returns: 1,
        },
    ];
    for c in cases {
        let closes: Vec<Quote> = c.closes.iter().copied().map(quote).collect();
        let (got, n) = sharpe(quote(c.initial), &closes);
        assert_eq!((got, n), (c.want, c.returns), "{}", c.label);
    }
}

#[test]
fn drawdown_table() {
    struct Case {
        label: &'static str,
        curve: Vec<Decimal>,
        amount: Decimal,
        pct: Decimal,
        peak_trough: Option<(usize, usize)>,
    }
    let cases = [
        Case {
            label: "rising curve has none",
            curve: vec![dec!(100), dec!(101), dec!(102)],
            amount: dec!(0),
            pct: dec!(0),
            peak_trough: None,
        },
        Case {
            label: "largest absolute and relative falls differ",
            // 100 → 80 is −20 (20 %); 200 → 170 is −30 (15 %).
            curve: vec![dec!(100), dec!(80), dec!(200), dec!(170), dec!(190)],
            amount: dec!(30),
            pct: dec!(20),
            peak_trough: Some((2, 3)),
        },
        Case {
            label: "trough after a flat peak keeps the first peak",
            curve: vec![dec!(100), dec!(100), dec!(90)],
            amount: dec!(10),
            pct: dec!(10),
            peak_trough: Some((0, 2)),
        },
    ];
    for c in cases {
        let dd = max_drawdown(&curve(&c.curve));
        assert_eq!(dd.amount, quote(c.amount), "{}", c.label);
        assert_eq!(dd.pct, c.pct, "{}", c.label);
        let pt = dd.peak_index.zip(dd.trough_index);
        assert_eq!(pt, c.peak_trough, "{}", c.label);
    }
}

#[test]
fn empty_record_summarises_without_panicking() {
    let mut r = fixtures::small();
    r.equity.clear();
    r.trades.clear();
    r.baskets.clear();
    let s = Summary::compute(&r).unwrap();
    assert_eq!(s.sharpe, None);
    assert_eq!(s.round_trips.win_rate_pct, None);
    assert_eq!(s.time_in_market_pct, Decimal::ZERO);
    assert_eq!(s.drawdown, Drawdown::default());
}

#[test]
fn buy_and_hold_holds_the_same_budget_from_the_first_open() {
    // Budget 1000 at the first open 100 → 10 SOL; closes 100, 100, 90, 100, 110, 95, 100, 105.
    let s = Summary::compute(&fixtures::small()).unwrap();
    let h = s.buy_and_hold;
    assert_eq!(
        (h.budget, h.entry, h.qty),
        (quote(dec!(1000)), Price::new(dec!(100)), Qty::new(dec!(10)))
    );
    assert_eq!(h.pnl, quote(dec!(50)));
    // Held equity peaks at 1100 (close 110) and falls to 950 (close 95).
    assert_eq!(h.drawdown.amount, quote(dec!(150)));
    assert_eq!(h.drawdown.pct, dec!(13.636364));
    assert_eq!(h.pnl_over_drawdown, Some(dec!(0.333333)));
    assert_eq!(s.pnl_over_drawdown, Some(dec!(0.676899)));
    // ROI 1.37952 % over 4 days → 125.8812 % a year, over 2.038 % drawdown.
    assert_eq!(s.calmar, Some(dec!(61.767026)));
}

#[test]
fn buy_and_hold_never_spends_more_than_the_starting_cash() {
    let mut r = fixtures::small();
    r.config.quote_budget = quote(dec!(5000));
    let h = Summary::compute(&r).unwrap().buy_and_hold;
    assert_eq!(h.budget, quote(dec!(1000)));
    assert_eq!(
        h.equity_at(r.initial_quote, Price::new(dec!(50))),
        quote(dec!(500))
    );
}

#[test]
fn ratios_are_none_without_a_drawdown() {
    assert_eq!(ratio(dec!(5), Decimal::ZERO), None);
    assert_eq!(ratio(dec!(1), dec!(3)), Some(dec!(0.333333)));
}
