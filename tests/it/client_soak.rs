//! Soak: the real client against exchange-sim in fault mode, with several workers placing,
//! querying, cancelling and cancel-replacing at once. The weather changes every 100 ms: a
//! random latency, 5xx before and after execution, answers dropped after execution, single
//! 429s and 429 bursts, a lagging order store (client-id lookups and `allOrders` miss a young
//! order for half the client's grace to all of it, a new lag every 2 s), a server clock
//! skewed 3 s ahead from half way, and candle steps that make the server clock jump. At the end the client's view is compared with the
//! server's book and trades: no client order id twice on the server, no order the client
//! believes placed missing, no order on the server the client did not know about, every
//! trade read back exactly once through the client and of an order it knows (no lost fill),
//! no 429 from the limits and no 418, and the used weight never above the limit.
//!
//! `SOAK_ORDERS` sets the number of placements (default 300, a few seconds in CI); every
//! placement and cancel-replace is an order request.

use crate::client_sim::harness::*;
use binance_trader::adapters::binance::request::CancelReplaceMode;
use binance_trader::adapters::binance::rest::Half;
use binance_trader::adapters::binance::BinanceRest;
use binance_trader::adapters::sim::server::{FaultConfig, FaultRate, SimServer};
use binance_trader::core::client_id::ClientOrderId;
use binance_trader::core::order::Slot;
use binance_trader::ports::exchange::ExchangeTrade;
use binance_trader::ports::exchange::{ApiError, Exchange, ExchangeError, NewOrder, OrderRef};
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// The client's grace for a missing order (server time after the request's deadline), and
/// so the longest lookup lag the weather makes: a lag beyond it would rightly be taken for
/// "never placed" (`adapters/binance/resolve.rs`).
const GRACE_MS: u64 = 1_500;

/// One spell of weather, drawn from `rng`; the clock is skewed from half way on. The lag
/// is the store's, slower to change than the rest: `lag_ms`, drawn every 2 s.
fn weather(rng: &mut rand::rngs::StdRng, skewed: bool, lag_ms: u64) -> FaultConfig {
    FaultConfig {
        seed: rng.random(),
        latency_ms: rng.random_range(0..=20),
        error_before: rate(25),
        error_after: rate(25),
        drop_after: rate(25),
        // Now and then a burst: the next few requests all answered 429.
        burst_429: FaultRate {
            next: if rng.random_ratio(1, 10) {
                rng.random_range(3..=10)
            } else {
                0
            },
            per_mille: 10,
        },
        clock_skew_ms: if skewed { 3_000 } else { 0 },
        oldest_namesake: false,
        lookup_lag_ms: lag_ms,
        ..FaultConfig::default()
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

/// What the workers count.
#[derive(Default)]
struct Counters {
    /// Order requests: placements and cancel-replaces.
    requests: AtomicU64,
    /// Cancels by client id refused ("Unknown order") because the order had filled: the
    /// lagging store cannot tell the client so.
    refused_closed: AtomicU64,
}

/// Worker `w` of `workers`: placements `i ≡ w (mod workers)`; `server` is the truth that a
/// refused cancel is checked against.
async fn worker(
    rest: Arc<BinanceRest>,
    server: SimServer,
    views: Views,
    counters: Arc<Counters>,
    (w, workers, n): (u32, u32, u32),
) {
    let (requests, refused_closed) = (&counters.requests, &counters.refused_closed);
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
        requests.fetch_add(1, Ordering::Relaxed);
        let report = rest.place(&order).await;
        let placed = report.as_ref().map(|_| ()).map_err(Clone::clone);
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
                // As the bot does, by order id when it is known; now and then by client id,
                // which the lagging store may not know yet: then a refusal is right only when
                // there was nothing left to cancel (the order filled meanwhile).
                let order_id = report.as_ref().map(|r| r.order_id).unwrap();
                let by = if i % 6 == 0 {
                    by_client(&order.client_id)
                } else {
                    OrderRef::Id(order_id)
                };
                if let Err(e) = rest.cancel(&fil(), &by).await {
                    let open = server
                        .exchange()
                        .lock()
                        .unwrap()
                        .query(&fil(), &OrderRef::Id(order_id))
                        .unwrap()
                        .status
                        .is_open();
                    assert!(
                        !matches!(e, ExchangeError::Rejected(_)) || !open,
                        "cancel of an open order refused: {e:?}"
                    );
                    if matches!(e, ExchangeError::Rejected(_)) {
                        refused_closed.fetch_add(1, Ordering::Relaxed);
                    }
                    quiet_after(&e).await;
                }
            }
            3 => {
                // By order id: the lagging store may not show it by client id yet.
                let order_id = report.as_ref().map(|r| r.order_id).unwrap();
                if let Ok(found) = rest.query(&fil(), &OrderRef::Id(order_id)).await {
                    assert!(found.is_some(), "{} placed but not found", order.client_id);
                }
                resting.push(order);
            }
            4 => {
                let mut new = limit(i + 1, Slot::Buy(1), "3.500", "2");
                new.client_id = id(i + 1, Slot::Buy(1), 2);
                requests.fetch_add(1, Ordering::Relaxed);
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
        // Keep the book small (MAX_NUM_ORDERS is 200): cancel the oldest until the exchange
        // answers (cancelled, or unknown because it filled); an order left behind by a failed
        // cancel would crowd the book in a long soak.
        if resting.len() > 10 {
            let oldest = resting.remove(0);
            for _ in 0..20 {
                match rest.cancel(&fil(), &by_client(&oldest.client_id)).await {
                    Ok(_) | Err(ExchangeError::Rejected(_)) => break,
                    Err(e) => quiet_after(&e).await,
                }
            }
        }
    }
}

/// Every trade of the symbol, read through the client (retrying what the weather refuses).
async fn trades_through(rest: &BinanceRest) -> Vec<ExchangeTrade> {
    let mut trades: Vec<ExchangeTrade> = Vec::new();
    loop {
        let from = trades.last().map_or(0, |t| t.trade_id + 1);
        match rest.my_trades(&fil(), from).await {
            Ok(page) => {
                let n = page.len();
                trades.extend(page);
                if n < 1000 {
                    return trades;
                }
            }
            Err(e) => {
                quiet_after(&e).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_in_fault_mode_loses_and_duplicates_nothing() {
    let n: u32 = std::env::var("SOAK_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    // Buys fill (about one placement in ten) and are never sold: enough USDT for all of them,
    // so that "insufficient balance" does not crowd out the placements.
    let quote = (10_000 + 10 * u64::from(n)).to_string();
    let sim = spawn_funded(6_000, 1_000, 1_000, &quote).await;
    let mut config = test_config(&sim.base);
    config.unknown_grace_ms = GRACE_MS;
    let rest = Arc::new(sim.client_with(config, SECRET));
    rest.symbol_rules(&fil()).await.unwrap();

    // Candles every 5 s: fills, and a server clock that jumps ahead (→ -1021 → resync). Not
    // more often: a jump ages every order past the lag at once, and the client's verdict
    // needs recvWindow + grace (2.5 s) of server time without a jump for the lag to bite.
    let server = sim.server.clone();
    let stepper = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            server.step(1);
        }
    });
    let views: Views = Arc::default();
    let counters = Arc::new(Counters::default());
    // The weather: a new spell every 100 ms; the clock skewed from half way on.
    let calm = Arc::new(AtomicBool::new(false));
    let weather_task = {
        let server = sim.server.clone();
        let views = Arc::clone(&views);
        let calm = Arc::clone(&calm);
        tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(42);
            let mut spells = 0u64;
            let mut lag_ms = 0;
            while !calm.load(Ordering::Relaxed) {
                let skewed = views.lock().unwrap().len() >= (n / 2) as usize;
                if spells % 20 == 0 {
                    lag_ms = rng.random_range(GRACE_MS / 2..=GRACE_MS);
                }
                server.set_faults(weather(&mut rng, skewed, lag_ms));
                spells += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            server.set_faults(FaultConfig::default());
            spells
        })
    };
    let workers = 4;
    let mut tasks = Vec::new();
    for w in 0..workers {
        tasks.push(tokio::spawn(worker(
            Arc::clone(&rest),
            sim.server.clone(),
            Arc::clone(&views),
            Arc::clone(&counters),
            (w, workers, n),
        )));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // Every fill read back through the client while the weather still rages.
    let trades = trades_through(&rest).await;
    stepper.abort();
    calm.store(true, Ordering::Relaxed);
    let spells = weather_task.await.unwrap();

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
    let reasons: BTreeMap<String, usize> = views.values().fold(BTreeMap::new(), |mut m, v| {
        if let View::NotPlaced(why) = v {
            *m.entry(why.chars().take(60).collect::<String>())
                .or_default() += 1;
        }
        m
    });
    let requests = counters.requests.load(Ordering::Relaxed);
    let refused_closed = counters.refused_closed.load(Ordering::Relaxed);
    let stats = sim.server.limit_stats();
    eprintln!(
        "soak: {n} placements, {requests} order requests, {spells} spells of weather, client \
         views {counts:?}, not placed: {reasons:?}, {} trades, {refused_closed} cancels by \
         client id of a filled order refused, max used weight {} of {}",
        trades.len(),
        stats.max_used_weight,
        stats.weight_limit
    );
    let refused = counts.get("never placed").copied().unwrap_or(0)
        + counts.get("not placed").copied().unwrap_or(0);
    assert!(refused > 0, "the faults fired");

    let server_orders = sim.all_orders();
    let mut on_server: BTreeMap<ClientOrderId, usize> = BTreeMap::new();
    for r in &server_orders {
        *on_server.entry(r.client_id.clone()).or_default() += 1;
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

    // No lost fill: the trades read through the client are the server's, each once, each of
    // an order the client knows it placed.
    let engine_trades = {
        let ex = sim.server.exchange();
        let ex = ex.lock().unwrap();
        let mut all: Vec<ExchangeTrade> = Vec::new();
        loop {
            let from = all.last().map_or(0, |t| t.trade_id + 1);
            let page = ex.my_trades(&fil(), Some(from), 1000).unwrap();
            if page.is_empty() {
                break all;
            }
            all.extend(page);
        }
    };
    let ids = |ts: &[ExchangeTrade]| ts.iter().map(|t| t.trade_id).collect::<Vec<_>>();
    assert_eq!(
        ids(&trades),
        ids(&engine_trades),
        "trades through the client"
    );
    let client_of: BTreeMap<u64, &ClientOrderId> = server_orders
        .iter()
        .map(|o| (o.order_id, &o.client_id))
        .collect();
    let orphans: Vec<_> = trades
        .iter()
        .filter(|t| views.get(client_of[&t.order_id]) != Some(&View::Exists))
        .map(|t| t.trade_id)
        .collect();
    assert!(
        orphans.is_empty(),
        "fills of orders the client does not know: {orphans:?}"
    );
    assert!(!trades.is_empty(), "nothing filled: no fill could be lost");

    assert!(requests >= u64::from(n));
    assert!(counts.get("exists").copied().unwrap_or(0) > (n as usize) / 2);
    assert_eq!((stats.limited, stats.banned), (0, 0), "{stats:?}");
    assert!(stats.max_used_weight <= stats.weight_limit, "{stats:?}");
}
