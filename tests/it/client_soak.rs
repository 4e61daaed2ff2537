//! Soak: the real client against exchange-sim in fault mode (random latency-free 5xx before
//! and after execution, dropped answers, 429 bursts, a clock skew switched on half way, and
//! candle steps that make the server clock jump), with several workers placing, querying,
//! cancelling and cancel-replacing at once. At the end the client's view is compared with the
//! server's book: no client order id twice on the server, no order the client believes placed
//! missing, no order on the server the client did not know about, no 429 from the limits and
//! no 418, and the used weight never above the limit.
//!
//! `SOAK_ORDERS` sets the number of placements (default 300, a few seconds in CI).

use crate::client_sim::harness::*;
use binance_trader::adapters::binance::request::CancelReplaceMode;
use binance_trader::adapters::binance::rest::Half;
use binance_trader::adapters::binance::BinanceRest;
use binance_trader::adapters::sim::server::{FaultConfig, FaultRate};
use binance_trader::core::client_id::ClientOrderId;
use binance_trader::core::order::Slot;
use binance_trader::ports::exchange::{ApiError, Exchange, ExchangeError, NewOrder};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the client learnt about one client order id.
#[derive(Debug, Clone, PartialEq, Eq)]
enum View {
    /// The client holds a report: the order exists.
    Exists,
    /// Outcome unknown: may exist.
    Maybe,
    /// Concluded by the client: never placed (-2013 after the deadline).
    NeverPlaced,
    /// Refused, rate limited or not sent: must not exist.
    NotPlaced(String),
}

type Views = Arc<Mutex<BTreeMap<ClientOrderId, View>>>;

fn rate(per_mille: u16) -> FaultRate {
    FaultRate { next: 0, per_mille }
}

fn faults(seed: u64, skew: i64) -> FaultConfig {
    FaultConfig {
        seed,
        latency_ms: 1,
        error_before: rate(25),
        error_after: rate(25),
        drop_after: rate(25),
        burst_429: rate(10),
        clock_skew_ms: skew,
        oldest_namesake: false,
        lookup_lag_ms: 0,
    }
}

fn view_of(outcome: &Result<(), ExchangeError>) -> View {
    match outcome {
        Ok(()) => View::Exists,
        Err(ExchangeError::Unknown(_)) => View::Maybe,
        Err(ExchangeError::Rejected(ApiError { code: -2013, .. })) => View::NeverPlaced,
        Err(e) => View::NotPlaced(e.to_string()),
    }
}

async fn quiet_after(e: &ExchangeError) {
    if let ExchangeError::RateLimited { retry_after_ms, .. } = e {
        tokio::time::sleep(Duration::from_millis((*retry_after_ms).min(2_000))).await;
    }
}

/// Worker `w` of `workers`: placements `i ≡ w (mod workers)`.
async fn worker(rest: Arc<BinanceRest>, views: Views, w: u32, workers: u32, n: u32) {
    let mut resting: Vec<NewOrder> = Vec::new();
    for i in (w..n).step_by(workers as usize) {
        let price = format!("3.{}", 600 + (i * 37) % 390);
        let order = limit(i + 1, Slot::Buy(1), &price, "2");
        if i % 250 == w {
            eprintln!(
                "soak: placement {i}, limiter {:?}",
                rest.limiter().limits().len()
            );
        }
        let placed = rest.place(&order).await.map(|_| ());
        let v = view_of(&placed);
        views
            .lock()
            .unwrap()
            .insert(order.client_id.clone(), v.clone());
        if let Err(e) = &placed {
            quiet_after(e).await;
        }
        if v != View::Exists {
            continue;
        }
        match i % 6 {
            0..=2 => {
                if let Err(e) = rest.cancel(&fil(), &by_client(&order.client_id)).await {
                    assert!(
                        !matches!(e, ExchangeError::Rejected(_)),
                        "cancel of an existing order refused: {e:?}"
                    );
                    quiet_after(&e).await;
                }
            }
            3 => {
                if let Ok(found) = rest.query(&fil(), &by_client(&order.client_id)).await {
                    assert!(found.is_some(), "{} placed but not found", order.client_id);
                }
            }
            4 => {
                let mut new = limit(i + 1, Slot::Buy(1), "3.500", "2");
                new.client_id = id(i + 1, Slot::Buy(1), 2);
                let r = rest
                    .cancel_replace(&order.client_id, &new, CancelReplaceMode::StopOnFailure)
                    .await;
                let v = match &r {
                    Ok(report) => match &report.new_order {
                        Half::Done(_) | Half::Accepted { .. } => View::Exists,
                        Half::Failed(ApiError { code: -2013, .. }) => View::NeverPlaced,
                        Half::Failed(e) => View::NotPlaced(e.to_string()),
                        Half::NotAttempted => View::NotPlaced("not attempted".into()),
                        Half::Unknown(_) => View::Maybe,
                    },
                    Err(e) => view_of(&Err(e.clone())),
                };
                views
                    .lock()
                    .unwrap()
                    .insert(new.client_id.clone(), v.clone());
                if let Err(e) = &r {
                    quiet_after(e).await;
                }
                if v == View::Exists {
                    resting.push(new);
                }
            }
            _ => resting.push(order),
        }
        // Keep the book small (MAX_NUM_ORDERS is 200).
        if resting.len() > 10 {
            let oldest = resting.remove(0);
            let _ = rest.cancel(&fil(), &by_client(&oldest.client_id)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_in_fault_mode_loses_and_duplicates_nothing() {
    let n: u32 = std::env::var("SOAK_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let sim = spawn_with(6_000, 1_000, 1_000).await;
    let rest = Arc::new(sim.client());
    rest.symbol_rules(&fil()).await.unwrap();
    sim.faults(faults(42, 0));

    // Candles every 2 s: fills, and a server clock that jumps ahead (→ -1021 → resync).
    let server = sim.server.clone();
    let stepper = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            server.step(1);
        }
    });
    let views: Views = Arc::default();
    let workers = 4;
    let mut tasks = Vec::new();
    for w in 0..workers {
        tasks.push(tokio::spawn(worker(
            Arc::clone(&rest),
            Arc::clone(&views),
            w,
            workers,
            n,
        )));
    }
    // Half way through, the server clock is skewed 3 s ahead as well.
    let skew = {
        let server = sim.server.clone();
        let views = Arc::clone(&views);
        tokio::spawn(async move {
            while views.lock().unwrap().len() < (n / 2) as usize {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            server.set_faults(faults(43, 3_000));
        })
    };
    for t in tasks {
        t.await.unwrap();
    }
    skew.abort();
    stepper.abort();
    sim.faults(FaultConfig::default());

    // Resolve what is still unknown, now that nothing fails any more. A request whose client
    // gave up may still be executing on the server; it can only be accepted within its
    // timestamp + recvWindow, so a lookup is conclusive once that has passed (the client's own
    // unknown-outcome rule).
    let mut views = views.lock().unwrap().clone();
    if views.values().any(|v| *v == View::Maybe) {
        tokio::time::sleep(Duration::from_millis(rest.config().recv_window_ms + 1_000)).await;
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (id, v) in views.iter_mut() {
        *counts
            .entry(match v {
                View::Exists => "exists",
                View::Maybe => "unknown",
                View::NeverPlaced => "never placed",
                View::NotPlaced(_) => "not placed",
            })
            .or_default() += 1;
        if *v == View::Maybe {
            *v = match rest.query(&fil(), &by_client(id)).await.unwrap() {
                Some(_) => View::Exists,
                None => View::NeverPlaced,
            };
        }
    }
    let reasons: BTreeMap<&str, usize> = views.values().fold(BTreeMap::new(), |mut m, v| {
        if let View::NotPlaced(why) = v {
            *m.entry(why.split(':').next().unwrap_or("")).or_default() += 1;
        }
        m
    });
    eprintln!("soak: {n} placements, client views {counts:?}, not placed: {reasons:?}");
    let refused = counts.get("never placed").copied().unwrap_or(0)
        + counts.get("not placed").copied().unwrap_or(0);
    assert!(refused > 0, "the faults fired");

    let mut on_server: BTreeMap<ClientOrderId, usize> = BTreeMap::new();
    for r in sim.all_orders() {
        *on_server.entry(r.client_id).or_default() += 1;
    }
    let duplicated: Vec<_> = on_server.iter().filter(|(_, &c)| c > 1).collect();
    assert!(duplicated.is_empty(), "duplicated: {duplicated:?}");
    let unknown_to_client: Vec<_> = on_server
        .keys()
        .filter(|id| views.get(*id) != Some(&View::Exists))
        .map(|id| (id, views.get(id)))
        .collect();
    assert!(
        unknown_to_client.is_empty(),
        "on the server only: {unknown_to_client:?}"
    );
    let lost: Vec<_> = views
        .iter()
        .filter(|(id, v)| **v == View::Exists && !on_server.contains_key(*id))
        .collect();
    assert!(lost.is_empty(), "lost: {lost:?}");

    assert!(counts.get("exists").copied().unwrap_or(0) > (n as usize) / 2);
    let stats = sim.server.limit_stats();
    assert_eq!((stats.limited, stats.banned), (0, 0), "{stats:?}");
    assert!(stats.max_used_weight <= stats.weight_limit, "{stats:?}");
}
