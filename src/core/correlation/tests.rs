//! Correlation of hand-made series: known values, warming, flat series, gaps, the window.

use super::*;
use rust_decimal_macros::dec;
use std::collections::BTreeSet;

const MIN: i64 = 60_000;

fn sym(name: &str) -> Symbol {
    Symbol::parse(name).unwrap()
}

/// 1-minute returns, 10 in the window, 3 to count.
fn window() -> CorrelationWindow {
    CorrelationWindow {
        return_ms: MIN,
        window_returns: 10,
        min_returns: 3,
    }
}

/// Feeds `prices[i]` of each symbol at minute `i` (one price per bucket) and one more price in
/// the next bucket so the last one closes.
fn feed(t: &mut CorrelationTracker, series: &[(&str, &[Decimal])]) {
    let len = series.iter().map(|(_, p)| p.len()).max().unwrap_or(0);
    for i in 0..=len {
        for (name, prices) in series {
            let p = prices.get(i).or(prices.last()).copied().unwrap();
            t.observe(&sym(name), i as i64 * MIN + 30_000, Price::new(p));
        }
    }
}

fn corr(t: &CorrelationTracker, a: &str, b: &str) -> Option<Decimal> {
    t.matrix().pair(&sym(a), &sym(b)).unwrap().correlation
}

#[test]
fn a_scaled_copy_correlates_fully_and_a_mirror_negatively() {
    let mut t = CorrelationTracker::new(window(), []);
    let a = [dec!(10), dec!(11), dec!(10.5), dec!(12), dec!(11)];
    let b: Vec<Decimal> = a.iter().map(|p| p * dec!(3)).collect();
    // A mirror: each return of `a` negated.
    let mut c = vec![dec!(100)];
    for w in a.windows(2) {
        let r = w[1] / w[0] - Decimal::ONE;
        c.push(c.last().unwrap() * (Decimal::ONE - r));
    }
    feed(&mut t, &[("AUSDT", &a), ("BUSDT", &b), ("CUSDT", &c)]);
    assert_eq!(corr(&t, "AUSDT", "BUSDT"), Some(dec!(1)));
    assert_eq!(corr(&t, "BUSDT", "AUSDT"), Some(dec!(1)));
    assert_eq!(corr(&t, "AUSDT", "CUSDT"), Some(dec!(-1)));
}

#[test]
fn a_known_correlation_is_computed_exactly_to_four_places() {
    // Returns x = (1, 2, 3, 4) %, y = (1, 3, 2, 4) %: r = 0.8.
    let prices = |rets: [Decimal; 4]| {
        let mut p = vec![dec!(100)];
        for r in rets {
            p.push(p.last().unwrap() * (Decimal::ONE + r / dec!(100)));
        }
        p
    };
    let x = prices([dec!(1), dec!(2), dec!(3), dec!(4)]);
    let y = prices([dec!(1), dec!(3), dec!(2), dec!(4)]);
    let mut t = CorrelationTracker::new(window(), []);
    feed(&mut t, &[("XUSDT", &x), ("YUSDT", &y)]);
    assert_eq!(corr(&t, "XUSDT", "YUSDT"), Some(dec!(0.8)));
}

#[test]
fn a_pair_below_min_returns_is_unknown_and_links_as_correlated() {
    let mut t = CorrelationTracker::new(window(), [sym("AUSDT"), sym("BUSDT")]);
    // Two returns each (three bucket closes), min_returns is 3.
    feed(
        &mut t,
        &[
            ("AUSDT", &[dec!(1), dec!(2), dec!(1)]),
            ("BUSDT", &[dec!(1), dec!(0.5), dec!(1)]),
        ],
    );
    let m = t.matrix();
    let p = m.pair(&sym("AUSDT"), &sym("BUSDT")).unwrap();
    assert_eq!((p.returns, p.correlation), (2, None));
    assert!(m.links(p, dec!(0.8)));
    assert_eq!(m.groups(dec!(0.8)).len(), 1);
}

#[test]
fn a_flat_series_has_no_correlation_and_links_nothing() {
    let mut t = CorrelationTracker::new(window(), []);
    let a = [dec!(1), dec!(2), dec!(1), dec!(3), dec!(2)];
    let flat = [dec!(5); 5];
    feed(&mut t, &[("AUSDT", &a), ("USDCUSDT", &flat)]);
    let m = t.matrix();
    let p = m.pair(&sym("AUSDT"), &sym("USDCUSDT")).unwrap();
    assert_eq!((p.returns, p.correlation), (4, None));
    assert!(!m.links(p, dec!(0.5)));
    assert_eq!(m.groups(dec!(0.5)).len(), 2);
}

#[test]
fn a_bucket_closes_only_when_a_later_price_arrives() {
    let mut t = CorrelationTracker::new(window(), []);
    let a = sym("AUSDT");
    assert!(t.observe(&a, 0, Price::new(dec!(10)))); // joins
    assert!(!t.observe(&a, 59_999, Price::new(dec!(11)))); // same bucket
    assert!(t.observe(&a, MIN, Price::new(dec!(12)))); // bucket 0 closes at 11
    assert!(!t.observe(&a, MIN + 1, Price::new(dec!(99))));
    assert!(t.series[&a].returns.is_empty()); // one close, no return yet
    assert!(t.observe(&a, 2 * MIN, Price::new(dec!(1))));
    // Bucket 1 closed at 99 (its last price), not at 12 and not at the 1 of bucket 2.
    assert_eq!(t.series[&a].returns[0], (1, dec!(8)));
}

#[test]
fn a_gap_skips_the_return_over_it_and_an_old_price_is_ignored() {
    let mut t = CorrelationTracker::new(window(), []);
    let a = sym("AUSDT");
    t.observe(&a, 0, Price::new(dec!(10)));
    t.observe(&a, 3 * MIN, Price::new(dec!(20))); // buckets 1, 2 empty
    t.observe(&a, 4 * MIN, Price::new(dec!(22)));
    assert!(t.series[&a].returns.is_empty());
    assert!(!t.observe(&a, MIN, Price::new(dec!(1))));
    t.observe(&a, 5 * MIN, Price::new(dec!(22)));
    assert_eq!(
        t.series[&a].returns.iter().copied().collect::<Vec<_>>(),
        vec![(4, dec!(0.1))]
    );
}

#[test]
fn the_window_keeps_only_its_last_returns() {
    let mut t = CorrelationTracker::new(window(), []);
    let a: Vec<Decimal> = (0..40).map(|i| Decimal::from(10 + i % 3)).collect();
    let b: Vec<Decimal> = (0..40).map(|i| Decimal::from(20 + i % 4)).collect();
    feed(&mut t, &[("AUSDT", &a), ("BUSDT", &b)]);
    let p = t
        .matrix()
        .pair(&sym("AUSDT"), &sym("BUSDT"))
        .unwrap()
        .clone();
    assert_eq!(p.returns, 10);
    // The same last 11 prices alone give the same correlation.
    let mut fresh = CorrelationTracker::new(window(), []);
    feed(&mut fresh, &[("AUSDT", &a[29..]), ("BUSDT", &b[29..])]);
    assert_eq!(corr(&fresh, "AUSDT", "BUSDT"), p.correlation);
}

#[test]
fn groups_are_single_linkage() {
    let s = |n: &str| sym(n);
    let pair = |a: &str, b: &str, c: Decimal| PairCorrelation {
        a: s(a),
        b: s(b),
        returns: 100,
        correlation: Some(c),
    };
    let m = CorrelationMatrix {
        return_minutes: 60,
        window_returns: 168,
        min_returns: 24,
        symbols: ["AUSDT", "BUSDT", "CUSDT", "DUSDT"].map(s).to_vec(),
        pairs: vec![
            pair("AUSDT", "BUSDT", dec!(0.85)),
            pair("AUSDT", "CUSDT", dec!(0.5)),
            pair("AUSDT", "DUSDT", dec!(0.1)),
            pair("BUSDT", "CUSDT", dec!(0.8)),
            pair("BUSDT", "DUSDT", dec!(0.2)),
            pair("CUSDT", "DUSDT", dec!(0.79)),
        ],
    };
    let abc: BTreeSet<Symbol> = ["AUSDT", "BUSDT", "CUSDT"].map(s).into();
    assert_eq!(m.groups(dec!(0.8)), vec![abc.clone(), [s("DUSDT")].into()]);
    assert_eq!(m.group_of(&s("CUSDT"), dec!(0.8)), abc);
    assert_eq!(m.groups(dec!(0.86)).len(), 4);
    assert_eq!(m.group_of(&s("EUSDT"), dec!(0.8)), [s("EUSDT")].into());
}
