//! Two journals on one account: Binance keeps client ids unique only among open orders, so a
//! new database must not reuse the ids of an old one, must not take an old one's namesake
//! for its own order, and must not start while an old one's orders still work.

use crate::bot::{settings, settle};
use crate::harness::{
    assert_store_matches_exchange, client, fil_strategy, start_sim, wave_candles,
};
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::apps::bot::Bot;
use binance_trader::apps::trade::check_market;
use binance_trader::core::basket::BasketStatus;
use binance_trader::core::order::OrderStatus;
use binance_trader::ports::exchange::{Exchange, OrderRef, OrderReport};
use binance_trader::ports::store::{IntentState, OrderIntent, Store};
use std::collections::BTreeSet;

/// Journal A on a fresh exchange: basket 1's grid placed and resting.
async fn journal_a(sim: &crate::harness::Sim) -> Bot<impl Exchange, MemoryStore> {
    let mut a = Bot::new(client(&sim.base), MemoryStore::new(), settings())
        .await
        .unwrap();
    settle(&mut a).await;
    a
}

/// Every client id a store has journalled.
async fn journalled_ids<S: Store>(store: &S) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for b in store.baskets(false).await.unwrap() {
        for i in store.intents(b.basket.id).await.unwrap() {
            ids.insert(i.client_id.to_string());
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_journal_continues_the_basket_numbers_and_refuses_an_old_ones_open_orders() {
    let sim = start_sim(wave_candles(1)).await;
    let ex = client(&sim.base);
    let symbol = fil_strategy().symbol;

    // Journal A trades basket 1 and leaves its grid resting.
    let mut a = journal_a(&sim).await;
    assert!(!ex.open_orders(&symbol).await.unwrap().is_empty());

    // A new database while A's orders still work: refused before any order, naming them.
    let err = check_market(&ex, &MemoryStore::new(), &settings())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("another database") && err.contains("gb1-B1-1"),
        "{err}"
    );
    // A itself may restart.
    check_market(&ex, a.store(), &settings()).await.unwrap();

    // A closes out; a new journal B may start, and numbers its first basket after A's.
    a.close_all().await.unwrap();
    sim.server.step(2);
    check_market(&ex, &MemoryStore::new(), &settings())
        .await
        .unwrap();
    let mut b = Bot::new(client(&sim.base), MemoryStore::new(), settings())
        .await
        .unwrap();
    settle(&mut b).await;
    let baskets = b.store().baskets(false).await.unwrap();
    assert_eq!(baskets.len(), 1);
    assert_eq!(baskets[0].basket.id, 2, "B continues after A's basket 1");
    let (ids_a, ids_b) = (
        journalled_ids(a.store()).await,
        journalled_ids(b.store()).await,
    );
    assert!(!ids_b.is_empty());
    assert!(ids_a.is_disjoint(&ids_b), "{ids_a:?} / {ids_b:?}");
    assert_store_matches_exchange(b.store(), &ex).await;
}

/// Journal A's basket 1 grid, placed and cancelled (gb1-B1-1 is a closed order now); minutes
/// later journal B (as if written before basket numbers continued, or its numbering lost) has
/// basket 1 active and a pending intent with that very id, whose request never arrived.
/// Returns B's bot (with `grace_ms`), the intent and A's order.
async fn b_with_a_namesake_intent(
    sim: &crate::harness::Sim,
    grace_ms: i64,
) -> (Bot<impl Exchange, MemoryStore>, OrderIntent, OrderReport) {
    let ex = client(&sim.base);
    let symbol = fil_strategy().symbol;
    let mut a = journal_a(sim).await;
    a.close_all().await.unwrap();
    let old = a.store().intents(1).await.unwrap().remove(0);
    let old_order = ex
        .query(&symbol, &OrderRef::Client(old.client_id.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old_order.status, OrderStatus::Canceled);

    sim.server.step(3);
    let now = ex.server_time().await.unwrap();
    let b_store = MemoryStore::new();
    let mut basket = a.store().basket(1).await.unwrap().unwrap();
    basket.basket.status = BasketStatus::Active;
    b_store.insert_basket(&basket).await.unwrap();
    let pending = OrderIntent {
        created_ms: now,
        state: IntentState::Pending,
        note: None,
        ..old
    };
    b_store.insert_intent(&pending).await.unwrap();
    let mut b_settings = settings();
    b_settings = b_settings.with_intent_grace(grace_ms);
    let b = Bot::new(client(&sim.base), b_store, b_settings)
        .await
        .unwrap();
    (b, pending, old_order)
}

/// Journal A's order must not be in B's journal.
async fn assert_not_taken<S: Store>(b: &S, old_order: &OrderReport) {
    let taken = b
        .order_by_exchange_id(&old_order.symbol, old_order.order_id)
        .await
        .unwrap();
    assert!(taken.is_none(), "A's order was taken for B's: {taken:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_namesake_does_not_resolve_a_pending_intent() {
    let sim = start_sim(wave_candles(1)).await;
    let (mut b, old, old_order) = b_with_a_namesake_intent(&sim, 0).await;
    // Three "not found" answers in a row (the namesake is not taken for one).
    for _ in 0..3 {
        b.step().await.unwrap();
    }

    let intent = b
        .store()
        .intents(1)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.client_id == old.client_id)
        .unwrap();
    assert_eq!(intent.state, IntentState::Absent, "{intent:?}");
    assert_not_taken(b.store(), &old_order).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferred_emergency_close_does_not_take_a_namesake_for_the_unknown_order() {
    let sim = start_sim(wave_candles(1)).await;
    let (mut b, _, old_order) = b_with_a_namesake_intent(&sim, 3_600_000).await;
    let report = b.close_all().await.unwrap();
    assert_eq!(report.errors.len(), 1, "deferred: {}", report.summary());
    assert_not_taken(b.store(), &old_order).await;
}
