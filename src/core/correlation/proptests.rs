//! The invariants of `mod.rs`, over random price paths with gaps.

use super::pair::Sums;
use super::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

const MIN: i64 = 60_000;

fn names() -> Vec<Symbol> {
    ["AUSDT", "BUSDT", "CUSDT"]
        .iter()
        .map(|s| Symbol::parse(s).unwrap())
        .collect()
}

/// Per symbol: a path of `(minute step, price in cents)`; a step of 0 stays in the bucket, a
/// step of 2 or more leaves a gap.
fn paths() -> impl Strategy<Value = Vec<Vec<(i64, i64)>>> {
    proptest::collection::vec(
        proptest::collection::vec(
            (
                prop_oneof![4 => Just(1i64), 1 => Just(0i64), 1 => 2i64..4],
                50i64..150,
            ),
            5..80,
        ),
        3,
    )
}

fn tracker_window() -> impl Strategy<Value = CorrelationWindow> {
    (2usize..30, 1usize..10).prop_map(|(w, m)| CorrelationWindow {
        return_ms: MIN,
        window_returns: w,
        min_returns: m,
    })
}

/// Feeds the paths interleaved by time; returns the tracker.
fn run(window: CorrelationWindow, paths: &[Vec<(i64, i64)>]) -> CorrelationTracker {
    let mut events = Vec::new();
    for (s, path) in names().into_iter().zip(paths) {
        let mut t = 0i64;
        for &(step, cents) in path {
            t += step * MIN + i64::from(step == 0);
            events.push((t, s.clone(), Price::new(Decimal::new(cents, 2))));
        }
    }
    events.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut tracker = CorrelationTracker::new(window, names());
    for (t, s, p) in events {
        tracker.observe(&s, t, p);
    }
    tracker
}

proptest! {
    /// 1. The incremental sums equal the sums recomputed from the window.
    #[test]
    fn incremental_sums_equal_a_recomputation(w in tracker_window(), p in paths()) {
        let t = run(w, &p);
        for pair in t.pairs.values() {
            let samples: Vec<(Decimal, Decimal)> = pair.samples().collect();
            prop_assert_eq!(pair.sums, Sums::of(&samples));
            prop_assert!(pair.len() <= w.window_returns);
        }
    }

    /// 2. Correlations lie in [−1, 1] and are symmetric.
    #[test]
    fn correlations_are_bounded_and_symmetric(w in tracker_window(), p in paths()) {
        let t = run(w, &p);
        let m = t.matrix();
        prop_assert_eq!(m.pairs.len(), 3);
        let s = names();
        for a in &s {
            for b in &s {
                if a == b { continue; }
                prop_assert_eq!(m.pair(a, b), m.pair(b, a));
                if let Some(c) = m.pair(a, b).and_then(|p| p.correlation) {
                    prop_assert!((Decimal::NEGATIVE_ONE..=Decimal::ONE).contains(&c));
                }
            }
        }
    }

    /// 3. Groups partition the symbols, and linked symbols share a group.
    #[test]
    fn groups_partition_and_respect_links(
        w in tracker_window(), p in paths(), th in 0i64..=100,
    ) {
        let t = run(w, &p);
        let m = t.matrix();
        let threshold = Decimal::new(th, 2);
        let groups = m.groups(threshold);
        let all: Vec<&Symbol> = groups.iter().flatten().collect();
        let unique: BTreeSet<&Symbol> = all.iter().copied().collect();
        prop_assert_eq!(all.len(), unique.len());
        prop_assert_eq!(unique.len(), names().len());
        for pair in &m.pairs {
            if m.links(pair, threshold) {
                prop_assert!(m.group_of(&pair.a, threshold).contains(&pair.b));
            }
        }
    }

    /// 4. No look-ahead: more prices inside the open buckets change nothing published.
    #[test]
    fn prices_inside_the_open_bucket_change_nothing(
        w in tracker_window(), p in paths(), extra in 1i64..1000,
    ) {
        let mut t = run(w, &p);
        let before = t.matrix().clone();
        for s in names() {
            let Some((bucket, _)) = t.series[&s].open else { continue };
            let changed = t.observe(&s, bucket * MIN + MIN - 1, Price::new(Decimal::new(extra, 2)));
            prop_assert!(!changed);
        }
        prop_assert_eq!(t.matrix(), &before);
    }
}
