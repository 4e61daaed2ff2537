//! Every fault of exchange-sim's fault mode, seen through the real client: how the client
//! classifies it and how it resolves unknown outcomes. The invariant checked each time: the
//! client's answer agrees with the server's book, and no client order id exists twice.

use crate::client_sim::harness::*;
use binance_trader::adapters::binance::request::CancelReplaceMode;
use binance_trader::adapters::binance::rest::Half;
use binance_trader::adapters::sim::server::{FaultConfig, FaultRate};
use binance_trader::core::order::{OrderStatus, Slot};
use binance_trader::ports::exchange::{ApiError, Exchange, ExchangeError};
use std::time::{Duration, Instant};

fn next(n: u32) -> FaultRate {
    FaultRate {
        next: n,
        per_mille: 0,
    }
}

#[tokio::test]
async fn latency_beyond_the_timeout_is_resolved_by_query_without_duplicate() {
    let sim = spawn().await;
    let mut cfg = test_config(&sim.base);
    cfg.request_timeout_ms = 150;
    let rest = sim.client_with(cfg, SECRET);
    rest.sync_time().await.unwrap();
    sim.faults(FaultConfig {
        latency_ms: 300,
        ..FaultConfig::default()
    });
    // A read times out: Unknown after its retries.
    let err = rest.ticker_price(&fil()).await.unwrap_err();
    assert!(matches!(err, ExchangeError::Unknown(_)), "{err:?}");

    // The placement times out but executes; lookups time out too until the latency goes.
    let server = sim.server.clone();
    let heal = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(600)).await;
        server.set_faults(FaultConfig::default());
    });
    let order = limit(3, Slot::Buy(1), "3.900", "10");
    let report = rest.place(&order).await.unwrap();
    heal.await.unwrap();
    assert_eq!(
        (report.status, report.spec.slot),
        (OrderStatus::New, Slot::Buy(1))
    );
    assert_eq!(
        sim.orders_with_id(&order.client_id).len(),
        1,
        "exactly once"
    );
}

#[tokio::test]
async fn dropped_answers_after_execution_are_resolved_before_any_retry() {
    let sim = spawn().await;
    let rest = sim.client();
    rest.sync_time().await.unwrap();
    sim.faults(FaultConfig {
        drop_after: next(1),
        ..FaultConfig::default()
    });
    let order = limit(4, Slot::Buy(1), "3.900", "10");
    let report = rest.place(&order).await.unwrap();
    assert_eq!(report.status, OrderStatus::New);
    assert_eq!(sim.orders_with_id(&order.client_id).len(), 1);

    // A dropped cancel: looked up, found cancelled.
    sim.faults(FaultConfig {
        drop_after: next(1),
        ..FaultConfig::default()
    });
    let c = rest
        .cancel(&fil(), &by_client(&order.client_id))
        .await
        .unwrap();
    assert_eq!(c.status, OrderStatus::Canceled);

    // A dropped cancel-replace: the new half is resolved by its id, the old one queried.
    let b2 = limit(4, Slot::Buy(2), "3.800", "10");
    rest.place(&b2).await.unwrap();
    let mut b2_2 = limit(4, Slot::Buy(2), "3.700", "10");
    b2_2.client_id = id(4, Slot::Buy(2), 2);
    sim.faults(FaultConfig {
        drop_after: next(1),
        ..FaultConfig::default()
    });
    let cr = rest
        .cancel_replace(&b2.client_id, &b2_2, CancelReplaceMode::StopOnFailure)
        .await
        .unwrap();
    assert!(matches!(cr.cancel, Half::Done(ref r) if r.status == OrderStatus::Canceled));
    assert!(matches!(cr.new_order, Half::Done(ref r) if r.status == OrderStatus::New));
    assert_eq!(sim.orders_with_id(&b2_2.client_id).len(), 1);
    assert_eq!(sim.all_orders().len(), 3);
}

#[tokio::test]
async fn server_errors_before_and_after_execution() {
    let sim = spawn().await;
    let rest = sim.client();
    rest.sync_time().await.unwrap();

    // 503 -1007 after execution: Unknown → found by its client id.
    sim.faults(FaultConfig {
        error_after: next(1),
        ..FaultConfig::default()
    });
    let placed = limit(5, Slot::Buy(1), "3.900", "10");
    let report = rest.place(&placed).await.unwrap();
    assert_eq!(report.status, OrderStatus::New);
    assert_eq!(sim.orders_with_id(&placed.client_id).len(), 1);

    // 500 -1006 before execution: Unknown → -2013 only believed after timestamp +
    // recvWindow + grace → "never placed", and indeed it is not on the server.
    sim.faults(FaultConfig {
        error_before: next(1),
        ..FaultConfig::default()
    });
    let lost = limit(5, Slot::Buy(2), "3.800", "10");
    let started = Instant::now();
    let err = rest.place(&lost).await.unwrap_err();
    assert!(
        matches!(err, ExchangeError::Rejected(ApiError { code: -2013, .. })),
        "{err:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(1_000),
        "waited the deadline"
    );
    assert!(sim.orders_with_id(&lost.client_id).is_empty());

    // A 5xx cancel that did execute: the lookup finds it cancelled.
    sim.faults(FaultConfig {
        error_after: next(1),
        ..FaultConfig::default()
    });
    let c = rest
        .cancel(&fil(), &by_client(&placed.client_id))
        .await
        .unwrap();
    assert_eq!(c.status, OrderStatus::Canceled);
}

#[tokio::test]
async fn bursts_of_429_are_waited_out_and_never_become_418() {
    let sim = spawn().await;
    let rest = sim.client();
    rest.sync_time().await.unwrap();
    sim.faults(FaultConfig {
        burst_429: next(2),
        ..FaultConfig::default()
    });
    let err = rest.ticker_price(&fil()).await.unwrap_err();
    assert_eq!(
        err,
        ExchangeError::RateLimited {
            retry_after_ms: 1_000,
            banned: false
        }
    );
    // The client stays quiet for Retry-After, then the next (429-ed) order is refused
    // without being placed; the one after goes through.
    let started = Instant::now();
    let refused = limit(6, Slot::Buy(1), "3.900", "10");
    let err = rest.place(&refused).await.unwrap_err();
    assert!(
        matches!(err, ExchangeError::RateLimited { banned: false, .. }),
        "{err:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After honoured"
    );
    assert!(sim.orders_with_id(&refused.client_id).is_empty());
    let ok = limit(6, Slot::Buy(2), "3.900", "10");
    rest.place(&ok).await.unwrap();
    let stats = sim.server.limit_stats();
    assert_eq!((stats.banned, stats.limited), (0, 0), "{stats:?}");
}

#[tokio::test]
async fn clock_skew_is_healed_by_one_resync() {
    let sim = spawn().await;
    let rest = sim.client();
    let before = rest.sync_time().await.unwrap();
    for skew in [-4_000, 8_000] {
        sim.faults(FaultConfig {
            clock_skew_ms: skew,
            ..FaultConfig::default()
        });
        let order = limit(7, Slot::Buy(1), "3.900", "10");
        let order = if skew > 0 {
            limit(7, Slot::Buy(2), "3.900", "10")
        } else {
            order
        };
        let report = rest.place(&order).await.unwrap();
        assert_eq!(report.status, OrderStatus::New);
        let moved = rest.time_offset_ms().unwrap() - before;
        assert!(
            (moved - skew).abs() < 500,
            "offset moved {moved} for skew {skew}"
        );
        assert_eq!(sim.orders_with_id(&order.client_id).len(), 1);
        // Reads signed after the resync pass at once.
        assert!(rest.account().await.unwrap().can_trade);
    }
}

#[tokio::test]
async fn the_client_budget_keeps_under_the_server_limit() {
    // A tiny weight limit read from exchangeInfo: the client refuses locally before the
    // server would answer 429, and never gets near a 418.
    let sim = spawn_with(120, 100, 8).await;
    let mut cfg = test_config(&sim.base);
    cfg.max_local_wait_ms = 0;
    let rest = sim.client_with(cfg, SECRET);
    rest.symbol_rules(&fil()).await.unwrap();
    let mut refused = 0;
    for _ in 0..60 {
        match rest.ticker_price(&fil()).await {
            Ok(_) => {}
            Err(ExchangeError::RateLimited { banned: false, .. }) => refused += 1,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(refused > 0, "the budget ran out");
    let stats = sim.server.limit_stats();
    assert_eq!((stats.limited, stats.banned), (0, 0), "{stats:?}");
    assert!(stats.max_used_weight <= 120 * 9 / 10, "{stats:?}");
    let admin: serde_json::Value = reqwest::get(format!("{}/sim/stats", sim.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admin["maxUsedWeight"], stats.max_used_weight);
    assert_eq!(
        (admin["weightLimit"].as_u64(), admin["banned"].as_u64()),
        (Some(120), Some(0))
    );
}

#[tokio::test]
async fn a_reused_id_resolves_to_the_new_order_even_when_lookups_answer_with_the_old_one() {
    let sim = spawn().await;
    let rest = sim.client();
    rest.sync_time().await.unwrap();
    // An older order with the id, closed: ids are unique only among open orders.
    let order = limit(6, Slot::Buy(1), "3.900", "10");
    let old = rest.place(&order).await.unwrap();
    rest.cancel(&fil(), &by_client(&order.client_id))
        .await
        .unwrap();
    sim.server.step(1);
    rest.sync_time().await.unwrap();

    // The same id again, marketable (it fills at once, so it is closed too); its answer is
    // lost, and lookups by id answer with the old order.
    sim.faults(FaultConfig {
        drop_after: next(1),
        oldest_namesake: true,
        ..FaultConfig::default()
    });
    let mut again = order.clone();
    again.spec.price = Some(binance_trader::core::money::Price::parse("4.200").unwrap());
    let report = rest.place(&again).await.unwrap();
    let both = sim.orders_with_id(&order.client_id);
    assert_eq!(both.len(), 2);
    assert_ne!(report.order_id, old.order_id, "the namesake was taken");
    assert_eq!(report.order_id, both[1].order_id);
    assert_eq!(report.status, OrderStatus::Filled);
}

#[tokio::test]
async fn a_lookup_lagging_beyond_the_grace_does_not_hide_a_resting_order() {
    let sim = spawn().await;
    let rest = sim.client();
    rest.sync_time().await.unwrap();
    // The answer is lost and lookups by client id (and allOrders) lag for an hour: a minute
    // of -2013 is no proof; the book shows the order.
    sim.faults(FaultConfig {
        drop_after: next(1),
        lookup_lag_ms: 3_600_000,
        ..FaultConfig::default()
    });
    let order = limit(7, Slot::Buy(1), "3.900", "10");
    let report = rest.place(&order).await.unwrap();
    assert_eq!(
        (report.status, report.spec.slot),
        (OrderStatus::New, Slot::Buy(1))
    );
    assert_eq!(sim.orders_with_id(&order.client_id).len(), 1);
}
