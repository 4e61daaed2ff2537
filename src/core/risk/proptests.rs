//! Properties of [`evaluate`] over random accounts and limits.

use super::*;
use crate::core::correlation::CorrelationMatrix;
use proptest::prelude::*;

fn quote() -> impl Strategy<Value = Quote> {
    (0i64..10_000_000).prop_map(|c| Quote::new(Decimal::new(c, 2)))
}

fn action() -> impl Strategy<Value = TripAction> {
    prop_oneof![Just(TripAction::NoNewBuys), Just(TripAction::Close)]
}

fn limits() -> impl Strategy<Value = RiskLimits> {
    (
        proptest::option::of((1i64..100, action())),
        proptest::option::of((quote(), action(), any::<bool>())),
        proptest::option::of(0i64..10_000_000),
        proptest::option::of((quote(), action())),
        proptest::option::of((1i64..200, action())),
        proptest::option::of((0u32..50, action())),
        proptest::option::of((1i64..=100, 1i64..200, action())),
    )
        .prop_map(|(dd, loss, cool, pos, exp, orders, corr)| RiskLimits {
            max_drawdown: dd.map(|(p, action)| Limit {
                threshold: Pct::new(p.into()),
                action,
            }),
            daily_loss: loss.map(|(max_loss, action, day)| DailyLoss {
                max_loss,
                window: if day {
                    LossWindow::UtcDay
                } else {
                    LossWindow::Rolling24h
                },
                action,
            }),
            hard_stop_cooldown_ms: cool,
            max_position_value: pos.map(|(threshold, action)| Limit { threshold, action }),
            max_exposure: exp.map(|(p, action)| Limit {
                threshold: Pct::new(p.into()),
                action,
            }),
            max_open_orders: orders.map(|(threshold, action)| Limit { threshold, action }),
            correlated_exposure: corr.map(|(c, p, action)| CorrelatedExposure {
                min_correlation: Decimal::new(c, 2),
                max: Pct::new(p.into()),
                action,
            }),
        })
}

fn symbols() -> Vec<Symbol> {
    ["FILUSDT", "NEARUSDT", "LTCUSDT"]
        .iter()
        .map(|s| Symbol::parse(s).unwrap())
        .collect()
}

fn snapshot() -> impl Strategy<Value = AccountSnapshot> {
    let state = (
        0i64..100_000,
        1i64..100_000,
        0u32..30,
        0u32..6,
        proptest::option::of(0i64..20_000_000),
    )
        .prop_map(|(q, p, orders, algo, stop)| SymbolState {
            qty: Qty::new(Decimal::new(q, 2)),
            price: Price::new(Decimal::new(p, 3)),
            open_orders: orders,
            open_algo_orders: algo.min(orders),
            max_num_orders: Some(20),
            max_num_algo_orders: Some(5),
            last_hard_stop_ms: stop,
        });
    (
        quote(),
        quote(),
        quote(),
        quote(),
        proptest::collection::vec(state, 3),
        10_000_000i64..30_000_000,
        proptest::collection::vec((proptest::option::of(-100i64..=100), 0usize..48), 3),
    )
        .prop_map(|(cash, peak, day, ago, states, now, corr)| {
            let symbols: BTreeMap<_, _> = symbols().into_iter().zip(states).collect();
            let equity = cash + symbols.values().map(SymbolState::value).sum::<Quote>();
            AccountSnapshot {
                now_ms: now,
                equity,
                peak_equity: peak.max(equity),
                day_start_equity: day,
                equity_24h_ago: ago,
                correlation: matrix(corr),
                symbols,
            }
        })
}

/// A matrix over the three symbols with the given `(correlation, returns)` per pair.
fn matrix(pairs: Vec<(Option<i64>, usize)>) -> CorrelationMatrix {
    let s = symbols();
    let keys = [(0, 1), (0, 2), (1, 2)];
    CorrelationMatrix {
        return_minutes: 60,
        window_returns: 168,
        min_returns: 24,
        symbols: s.clone(),
        pairs: keys
            .iter()
            .zip(pairs)
            .map(
                |(&(a, b), (c, returns))| crate::core::correlation::PairCorrelation {
                    a: s[a].clone().min(s[b].clone()),
                    b: s[a].clone().max(s[b].clone()),
                    returns,
                    correlation: c.map(|c| Decimal::new(c, 2)),
                },
            )
            .collect(),
    }
}

proptest! {
    /// The correlated group's share never exceeds the total exposure's, and a higher grouping
    /// threshold (smaller groups) never tightens the cap.
    #[test]
    fn the_group_cap_is_bounded_by_exposure_and_loosens_with_the_threshold(
        l in limits(), s in snapshot(), raise in 0i64..50,
    ) {
        let Some(c) = l.correlated_exposure else { return Ok(()) };
        let only = RiskLimits { correlated_exposure: Some(c), ..RiskLimits::default() };
        let all = RiskLimits {
            correlated_exposure: Some(CorrelatedExposure {
                min_correlation: Decimal::NEGATIVE_ONE,
                ..c
            }),
            ..RiskLimits::default()
        };
        let stricter = RiskLimits {
            correlated_exposure: Some(CorrelatedExposure {
                min_correlation: c.min_correlation + Decimal::new(raise, 2),
                ..c
            }),
            ..RiskLimits::default()
        };
        let exposure = RiskLimits {
            max_exposure: Some(Limit { threshold: c.max, action: c.action }),
            ..RiskLimits::default()
        };
        for sym in symbols() {
            let group = evaluate(&only, &s, &sym).verdict;
            prop_assert!(group <= evaluate(&exposure, &s, &sym).verdict);
            prop_assert!(evaluate(&stricter, &s, &sym).verdict <= group);
            // A threshold of −1 links every pair but a flat one: without flat pairs the group
            // is the whole account.
            let flat = s.correlation.pairs.iter().any(|p| {
                p.correlation.is_none() && p.returns >= s.correlation.min_returns
            });
            prop_assert!(flat || evaluate(&all, &s, &sym).verdict
                == evaluate(&exposure, &s, &sym).verdict);
            prop_assert!(evaluate(&all, &s, &sym).verdict >= group);
        }
    }

    /// The verdict is exactly the most severe action among the trips, and the trips come in
    /// evaluation order, each at or past its threshold.
    #[test]
    fn verdict_is_the_most_severe_trip(l in limits(), s in snapshot()) {
        for sym in symbols() {
            let v = evaluate(&l, &s, &sym);
            let worst = v.trips.iter().map(|t| Verdict::from(t.action)).max();
            prop_assert_eq!(v.verdict, worst.unwrap_or(Verdict::Allow));
            prop_assert!(v.trips.windows(2).all(|w| w[0].limit < w[1].limit));
            for t in &v.trips {
                if t.limit == LimitKind::HardStopCooldown {
                    prop_assert!(t.value < t.threshold);
                } else {
                    prop_assert!(t.value >= t.threshold, "{:?}", t);
                }
            }
        }
    }

    /// Turning a limit off never makes a verdict more severe.
    #[test]
    fn removing_limits_never_tightens(l in limits(), s in snapshot()) {
        let sym = &symbols()[0];
        let full = evaluate(&l, &s, sym).verdict;
        let fewer = [
            RiskLimits { max_drawdown: None, ..l.clone() },
            RiskLimits { daily_loss: None, ..l.clone() },
            RiskLimits { hard_stop_cooldown_ms: None, ..l.clone() },
            RiskLimits { max_position_value: None, ..l.clone() },
            RiskLimits { max_exposure: None, ..l.clone() },
            RiskLimits { max_open_orders: None, ..l.clone() },
            RiskLimits { correlated_exposure: None, ..l.clone() },
        ];
        for f in &fewer {
            prop_assert!(evaluate(f, &s, sym).verdict <= full);
        }
        prop_assert_eq!(evaluate(&RiskLimits::default(), &s, sym).verdict, Verdict::Allow);
    }

    /// Account-wide limits (drawdown, daily loss, exposure, account open orders) give every
    /// symbol the same trips.
    #[test]
    fn account_wide_limits_hit_every_grid_alike(l in limits(), s in snapshot()) {
        let l = RiskLimits {
            hard_stop_cooldown_ms: None,
            max_position_value: None,
            correlated_exposure: None,
            ..l
        };
        let account = |sym: &Symbol| -> Vec<Trip> {
            evaluate(&l, &s, sym).trips.into_iter().filter(|t| !matches!(
                t.limit,
                LimitKind::SymbolMaxNumOrders | LimitKind::SymbolMaxNumAlgoOrders
            )).collect()
        };
        let syms = symbols();
        prop_assert_eq!(account(&syms[0]), account(&syms[1]));
        prop_assert_eq!(account(&syms[1]), account(&syms[2]));
    }
}
