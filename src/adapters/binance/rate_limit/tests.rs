use super::*;
use proptest::prelude::*;

const W: Cost = Cost {
    weight: 10,
    orders: 0,
};
const ORDER: Cost = Cost {
    weight: 1,
    orders: 1,
};

fn limiter(weight_per_min: u64, orders_per_10s: u64) -> RateLimiter {
    RateLimiter::new(
        &[
            LimitSpec {
                kind: LimitKind::RequestWeight,
                interval_ms: MINUTE,
                limit: weight_per_min,
            },
            LimitSpec {
                kind: LimitKind::Orders,
                interval_ms: 10 * SECOND,
                limit: orders_per_10s,
            },
        ],
        90,
    )
}

fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn normal_requests_stop_at_the_safety_margin_emergency_at_the_limit() {
    let mut l = limiter(100, 10);
    let now = 5 * MINUTE + 1;
    for _ in 0..9 {
        l.try_acquire(W, Priority::Normal, now).unwrap();
    }
    // 90 used: the 90 % margin is reached.
    let denied = l.try_acquire(W, Priority::Normal, now).unwrap_err();
    assert_eq!(
        denied,
        Denied::Window {
            kind: LimitKind::RequestWeight,
            until_ms: 6 * MINUTE
        }
    );
    l.try_acquire(W, Priority::Emergency, now).unwrap();
    assert!(l
        .try_acquire(
            Cost {
                weight: 1,
                orders: 0
            },
            Priority::Emergency,
            now
        )
        .is_err());
    assert_eq!(l.used(LimitKind::RequestWeight, MINUTE, now), Some(100));
}

#[test]
fn windows_roll_over_at_the_interval_boundary() {
    let mut l = limiter(100, 10);
    for _ in 0..9 {
        l.try_acquire(W, Priority::Normal, MINUTE - 5).unwrap();
    }
    assert!(l.try_acquire(W, Priority::Normal, MINUTE - 1).is_err());
    l.try_acquire(W, Priority::Normal, MINUTE).unwrap();
    assert_eq!(l.used(LimitKind::RequestWeight, MINUTE, MINUTE), Some(10));
}

#[test]
fn orders_count_only_placements() {
    let mut l = limiter(1_000, 10);
    for _ in 0..9 {
        l.try_acquire(ORDER, Priority::Normal, 0).unwrap();
    }
    assert_eq!(
        l.try_acquire(ORDER, Priority::Normal, 1).unwrap_err(),
        Denied::Window {
            kind: LimitKind::Orders,
            until_ms: 10 * SECOND
        }
    );
    // A cancel (no ORDERS unit) still passes.
    l.try_acquire(
        Cost {
            weight: 1,
            orders: 0,
        },
        Priority::Normal,
        1,
    )
    .unwrap();
    l.try_acquire(ORDER, Priority::Normal, 10 * SECOND).unwrap();
}

#[test]
fn a_free_order_request_gives_its_weight_back_but_still_counts_as_an_order() {
    let mut l = limiter(10, 100);
    for _ in 0..50 {
        l.try_acquire(ORDER, Priority::Normal, 5).unwrap();
        l.refund_weight(ORDER.weight, 5);
    }
    assert_eq!(l.used(LimitKind::RequestWeight, MINUTE, 5), Some(0));
    assert_eq!(l.used(LimitKind::Orders, 10 * SECOND, 5), Some(50));
    // A grant from the previous window is not taken off the current one.
    let read = Cost {
        weight: 5,
        orders: 0,
    };
    l.try_acquire(read, Priority::Normal, MINUTE).unwrap();
    l.refund_weight(1, MINUTE - 1);
    assert_eq!(l.used(LimitKind::RequestWeight, MINUTE, MINUTE), Some(5));
}

#[test]
fn headers_raise_but_never_lower_the_count() {
    let mut l = limiter(1_000, 10);
    l.try_acquire(W, Priority::Normal, 0).unwrap();
    l.observe_headers(
        &headers(&[
            ("X-MBX-USED-WEIGHT-1M", "850"),
            ("x-mbx-order-count-10s", "8"),
            ("x-mbx-order-count-1d", "99"),
        ]),
        10,
    );
    assert_eq!(l.used(LimitKind::RequestWeight, MINUTE, 10), Some(850));
    assert_eq!(l.used(LimitKind::Orders, 10 * SECOND, 10), Some(8));
    // 850 + 10 = 860 ≤ 900; then 900 + 10 > 900.
    l.try_acquire(W, Priority::Normal, 20).unwrap();
    l.observe_headers(&headers(&[("x-mbx-used-weight-1m", "3")]), 30);
    assert_eq!(l.used(LimitKind::RequestWeight, MINUTE, 30), Some(860));
    l.observe_headers(&headers(&[("x-mbx-used-weight-1m", "900")]), 30);
    assert!(l.try_acquire(W, Priority::Normal, 40).is_err());
    // Junk values and unknown intervals are ignored.
    l.observe_headers(
        &headers(&[
            ("x-mbx-used-weight-1m", "lots"),
            ("x-mbx-used-weight-7x", "1"),
        ]),
        50,
    );
    assert_eq!(l.used(LimitKind::RequestWeight, MINUTE, 50), Some(900));
}

#[test]
fn retry_after_blocks_normal_requests_and_a_ban_blocks_all() {
    let mut l = limiter(1_000, 10);
    l.observe_retry_after(30_000, false, 1_000);
    let denied = l.try_acquire(W, Priority::Normal, 2_000).unwrap_err();
    assert_eq!(
        denied,
        Denied::RetryAfter {
            until_ms: 31_000,
            banned: false
        }
    );
    l.try_acquire(W, Priority::Emergency, 2_000).unwrap();
    l.try_acquire(W, Priority::Normal, 31_000).unwrap();

    l.observe_retry_after(120_000, true, 40_000);
    assert_eq!(
        l.try_acquire(W, Priority::Emergency, 100_000).unwrap_err(),
        Denied::RetryAfter {
            until_ms: 160_000,
            banned: true
        }
    );
    // A shorter 429 later does not shorten the ban.
    l.observe_retry_after(1_000, false, 100_000);
    assert_eq!(
        l.try_acquire(W, Priority::Normal, 150_000)
            .unwrap_err()
            .until_ms(),
        160_000
    );
    l.try_acquire(W, Priority::Normal, 160_000).unwrap();
}

#[test]
fn limits_come_from_exchange_info() {
    let wire = |t: &str, i: &str, n: u64, limit: u64| RateLimitWire {
        rate_limit_type: Some(t.into()),
        interval: Some(i.into()),
        interval_num: Some(n),
        limit: Some(limit),
    };
    let specs: Vec<LimitSpec> = [
        wire("REQUEST_WEIGHT", "MINUTE", 1, 6000),
        wire("ORDERS", "SECOND", 10, 100),
        wire("ORDERS", "DAY", 1, 200_000),
        wire("RAW_REQUESTS", "MINUTE", 5, 61_000),
        wire("SOMETHING_NEW", "MINUTE", 1, 1),
    ]
    .iter()
    .filter_map(LimitSpec::from_wire)
    .collect();
    assert_eq!(specs.len(), 4);
    assert_eq!(
        specs[1],
        LimitSpec {
            kind: LimitKind::Orders,
            interval_ms: 10_000,
            limit: 100
        }
    );
    assert_eq!(specs[3].interval_ms, 300_000);
    assert_eq!(
        LimitSpec::from_wire(&RateLimitWire {
            rate_limit_type: None,
            interval: None,
            interval_num: None,
            limit: None
        }),
        None
    );

    let mut l = RateLimiter::new(&LimitSpec::defaults(), 90);
    l.try_acquire(W, Priority::Normal, 0).unwrap();
    l.set_limits(&specs);
    assert_eq!(l.limits(), specs);
    assert_eq!(
        l.used(LimitKind::RequestWeight, MINUTE, 0),
        Some(10),
        "count survives"
    );
    l.set_limits(&[]);
    assert_eq!(l.limits(), specs, "empty list keeps the limits");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// Invariant: within any one window, granted cost never exceeds the limit, whatever the
    /// mix of priorities, headers and times.
    #[test]
    fn never_grants_beyond_the_limit(
        limit in 1u64..200,
        steps in proptest::collection::vec((0u32..30, any::<bool>(), 0i64..5_000, proptest::option::of(0u64..250)), 1..200),
    ) {
        let mut l = RateLimiter::new(
            &[LimitSpec { kind: LimitKind::RequestWeight, interval_ms: MINUTE, limit }],
            90,
        );
        let mut now = 0i64;
        let mut granted: BTreeMap<i64, u64> = BTreeMap::new();
        for (weight, emergency, dt, header) in steps {
            now += dt;
            let window = now / MINUTE;
            if let Some(h) = header {
                l.observe_headers(&headers(&[("x-mbx-used-weight-1m", &h.to_string())]), now);
            }
            let priority = if emergency { Priority::Emergency } else { Priority::Normal };
            if l.try_acquire(Cost { weight, orders: 0 }, priority, now).is_ok() {
                *granted.entry(window).or_default() += u64::from(weight);
            }
        }
        for (window, total) in granted {
            prop_assert!(total <= limit, "window {window}: granted {total} > {limit}");
        }
    }
}
