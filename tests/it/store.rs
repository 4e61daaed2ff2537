//! The store contract, written once and run against SQLite (always) and PostgreSQL (when
//! `TEST_DATABASE_URL` is set; each test gets its own schema, dropped afterwards).

#[macro_use]
#[path = "store_fixtures.rs"]
pub(crate) mod fixtures;

use binance_trader::adapters::store::SqlStore;
use binance_trader::core::basket::BasketStatus;
use binance_trader::core::order::{OrderStatus, Side, Slot};
use binance_trader::core::strategy::config::TrailDown;
use binance_trader::ports::store::{EventLevel, FillQuery, IntentState, Store, StoreError};
use fixtures::*;
use std::time::Duration;

/// Writes and reads back every basket field; status updates and the active filter.
async fn baskets_round_trip_and_status(db: &TestDb) {
    let s = &db.store;
    assert_eq!(s.max_basket_id().await.unwrap(), 0);
    assert!(s.basket(1).await.unwrap().is_none());
    for id in 1..=3 {
        s.insert_basket(&basket(id)).await.unwrap();
    }
    let got = s.basket(2).await.unwrap().unwrap();
    assert_eq!(got, basket(2));
    // Normalized on the way back: "123.45000000" is read as 123.45.
    assert_eq!(got.basket.anchor.to_string(), "123.45");
    assert_eq!(got.basket.carried_qty.to_string(), "0.000000000000000123");
    assert!(matches!(
        s.insert_basket(&basket(2)).await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(s.max_basket_id().await.unwrap(), 3);

    s.set_basket_status(2, BasketStatus::Closed, Some(9_000), Some("take profit"))
        .await
        .unwrap();
    let closed = s.basket(2).await.unwrap().unwrap();
    assert_eq!(closed.basket.status, BasketStatus::Closed);
    assert_eq!(closed.closed_ms, Some(9_000));
    assert_eq!(closed.reason.as_deref(), Some("take profit"));
    let all: Vec<u32> = ids(&s.baskets(false).await.unwrap());
    assert_eq!(all, vec![3, 2, 1]);
    assert_eq!(ids(&s.baskets(true).await.unwrap()), vec![3, 1]);
    s.set_basket_status(1, BasketStatus::Error, None, Some("paused"))
        .await
        .unwrap();
    assert_eq!(
        ids(&s.open_baskets().await.unwrap()),
        vec![3, 1],
        "open = active or paused, newest first"
    );
    assert_eq!(ids(&s.baskets(true).await.unwrap()), vec![3]);
    s.set_basket_status(3, BasketStatus::Closing, None, Some("exit working"))
        .await
        .unwrap();
    assert_eq!(
        s.basket(3).await.unwrap().unwrap().basket.status,
        BasketStatus::Closing
    );
    assert_eq!(
        ids(&s.open_baskets().await.unwrap()),
        vec![3, 1],
        "a closing basket is still open"
    );
    assert!(s.baskets(true).await.unwrap().is_empty());
    assert!(matches!(
        s.set_basket_status(99, BasketStatus::Error, None, None)
            .await,
        Err(StoreError::NotFound(_))
    ));
}

/// Each basket keeps the grid (client-id prefix) it was written with, in every read.
async fn baskets_keep_their_grid(db: &TestDb) {
    let s = &db.store;
    let nb = binance_trader::core::client_id::IdPrefix::parse("nb").unwrap();
    let mut b2 = basket(2);
    b2.prefix = nb.clone();
    s.insert_basket(&basket(1)).await.unwrap();
    s.insert_basket(&b2).await.unwrap();
    assert_eq!(s.basket(2).await.unwrap().unwrap().prefix, nb);
    assert_eq!(s.basket(1).await.unwrap().unwrap().prefix.as_str(), "gb");
    let grids = |v: Vec<binance_trader::ports::store::BasketRecord>| {
        v.into_iter()
            .map(|b| (b.basket.id, b.prefix.as_str().to_string()))
            .collect::<Vec<_>>()
    };
    let want = vec![(2, "nb".to_string()), (1, "gb".to_string())];
    assert_eq!(grids(s.baskets(false).await.unwrap()), want);
    assert_eq!(grids(s.baskets(true).await.unwrap()), want);
    assert_eq!(grids(s.open_baskets().await.unwrap()), want);
    s.set_basket_status(2, BasketStatus::Error, None, Some("paused"))
        .await
        .unwrap();
    assert_eq!(s.basket(2).await.unwrap().unwrap().prefix, nb);
}

/// Intents: duplicates refused, pending list, resolution, revisions per slot.
async fn intents_pending_resolve_and_revisions(db: &TestDb) {
    let s = &db.store;
    s.insert_basket(&basket(1)).await.unwrap();
    s.insert_basket(&basket(2)).await.unwrap();
    let a = intent(1, Slot::Buy(1), 1, 1_000);
    let b = intent(1, Slot::Buy(1), 2, 1_001);
    let c = intent(1, Slot::Tp1, 5, 1_002);
    let d = intent(2, Slot::Buy(1), 7, 999);
    for i in [&a, &b, &c, &d] {
        s.insert_intent(i).await.unwrap();
    }
    assert!(matches!(
        s.insert_intent(&a).await,
        Err(StoreError::Duplicate(_))
    ));
    // Same (basket, slot, rev) under another id is refused too.
    let mut clash = a.clone();
    clash.client_id = binance_trader::core::client_id::ClientOrderId::parse("other-1").unwrap();
    assert!(matches!(
        s.insert_intent(&clash).await,
        Err(StoreError::Duplicate(_))
    ));
    // An intent needs its basket.
    assert!(s.insert_intent(&intent(42, Slot::Tr, 1, 1)).await.is_err());

    let pending = s.pending_intents().await.unwrap();
    assert_eq!(pending, vec![d.clone(), a.clone(), b.clone(), c.clone()]);
    s.resolve_intent(
        &b.client_id,
        IntentState::Rejected,
        Some("-2010 insufficient balance"),
    )
    .await
    .unwrap();
    let pending = s.pending_intents().await.unwrap();
    assert_eq!(pending, vec![d.clone(), a.clone(), c.clone()]);
    let of_one = s.intents(1).await.unwrap();
    assert_eq!(of_one.len(), 3);
    assert_eq!(of_one[1].state, IntentState::Rejected);
    assert_eq!(
        of_one[1].note.as_deref(),
        Some("-2010 insufficient balance")
    );
    assert_eq!(of_one[0], a);

    let revs = s.revisions(1).await.unwrap();
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[&Slot::Buy(1)], 2);
    assert_eq!(revs[&Slot::Tp1], 5);
    assert_eq!(s.revisions(2).await.unwrap()[&Slot::Buy(1)], 7);
    assert!(s.revisions(3).await.unwrap().is_empty());
    let unknown = binance_trader::core::client_id::ClientOrderId::parse("nope").unwrap();
    assert!(matches!(
        s.resolve_intent(&unknown, IntentState::Absent, None).await,
        Err(StoreError::NotFound(_))
    ));
}

/// An intent's streak of "does not exist" answers: empty at first, journalled as set, kept
/// per intent, `NotFound` for an unknown id.
async fn intent_miss_streak_is_journalled(db: &TestDb) {
    use binance_trader::core::missing_order::MissStreak;
    let s = &db.store;
    s.insert_basket(&basket(1)).await.unwrap();
    let a = intent(1, Slot::Buy(1), 1, 1_000);
    let b = intent(1, Slot::Buy(2), 1, 1_000);
    s.insert_intent(&a).await.unwrap();
    s.insert_intent(&b).await.unwrap();
    assert_eq!(
        s.intent_streak(&a.client_id).await.unwrap(),
        MissStreak::default()
    );
    let seen = MissStreak {
        first_ms: Some(12_000),
        misses: 2,
    };
    s.set_intent_streak(&a.client_id, &seen).await.unwrap();
    assert_eq!(s.intent_streak(&a.client_id).await.unwrap(), seen);
    assert_eq!(
        s.intent_streak(&b.client_id).await.unwrap(),
        MissStreak::default()
    );
    let more = MissStreak { misses: 3, ..seen };
    s.set_intent_streak(&a.client_id, &more).await.unwrap();
    assert_eq!(s.intent_streak(&a.client_id).await.unwrap(), more);
    let unknown = binance_trader::core::client_id::ClientOrderId::parse("nope").unwrap();
    assert!(matches!(
        s.intent_streak(&unknown).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.set_intent_streak(&unknown, &seen).await,
        Err(StoreError::NotFound(_))
    ));
}

/// upsert_order inserts, updates by client id, marks the intent placed, ignores stale reports.
async fn upsert_order_updates_and_marks_intent(db: &TestDb) {
    let s = &db.store;
    s.insert_basket(&basket(1)).await.unwrap();
    let i1 = intent(1, Slot::Buy(1), 1, 1_000);
    let i2 = intent(1, Slot::Buy(2), 1, 1_001);
    s.insert_intent(&i1).await.unwrap();
    s.insert_intent(&i2).await.unwrap();

    let new = report(&i1, 501, OrderStatus::New, "0", 1_000);
    s.upsert_order(1, &new).await.unwrap();
    let got = s
        .order_by_exchange_id(&symbol(), 501)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.report, new);
    assert_eq!((got.basket_id, got.slot), (1, Slot::Buy(1)));
    assert_eq!(s.pending_intents().await.unwrap(), vec![i2.clone()]);
    assert_eq!(s.intents(1).await.unwrap()[0].state, IntentState::Placed);

    let mut other = report(&i2, 502, OrderStatus::New, "0", 1_001);
    s.upsert_order(1, &other).await.unwrap();
    assert_eq!(s.open_orders().await.unwrap().len(), 2);
    // An amend reduces the quantity in place (same ids): the row follows it.
    other.spec.qty = qty("0.5");
    other.update_ms = 1_500;
    s.upsert_order(1, &other).await.unwrap();
    let got = s
        .order_by_exchange_id(&symbol(), 502)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.report, other, "the amended quantity is journalled");

    let partial = report(&i1, 501, OrderStatus::PartiallyFilled, "0.10000000", 2_000);
    s.upsert_order(1, &partial).await.unwrap();
    let filled = report(&i1, 501, OrderStatus::Filled, "1234.5678900000", 3_000);
    s.upsert_order(1, &filled).await.unwrap();
    // A late, older report must not undo the fill.
    s.upsert_order(1, &partial).await.unwrap();
    let got = s
        .order_by_exchange_id(&symbol(), 501)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.report, filled);
    assert_eq!(got.report.executed_qty.to_string(), "1234.56789");

    let open = s.open_orders().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].report, other);
    let of_basket = s.orders(1).await.unwrap();
    assert_eq!(of_basket.len(), 2);
    assert_eq!(of_basket[0].report.order_id, 501);
    assert_eq!(s.count_orders(None).await.unwrap(), 2);
    assert_eq!(s.count_orders(Some(OrderStatus::Filled)).await.unwrap(), 1);
    assert_eq!(
        s.count_orders(Some(OrderStatus::Canceled)).await.unwrap(),
        0
    );
    assert!(s
        .order_by_exchange_id(&symbol(), 999)
        .await
        .unwrap()
        .is_none());

    // The same exchange order under another client id is a duplicate.
    let mut clash = report(&i2, 501, OrderStatus::New, "0", 5_000);
    clash.client_id = binance_trader::core::client_id::ClientOrderId::parse("x-1").unwrap();
    assert!(matches!(
        s.upsert_order(1, &clash).await,
        Err(StoreError::Duplicate(_))
    ));
}

/// Fills: exactly once by (symbol, trade id), listing, filters, pagination, counts.
async fn fills_once_query_and_count(db: &TestDb) {
    let s = &db.store;
    s.insert_basket(&basket(1)).await.unwrap();
    s.insert_basket(&basket(2)).await.unwrap();
    let f1 = fill_record(1, 11, Side::Buy, 1_000);
    assert!(s.insert_fill(&f1).await.unwrap());
    assert!(!s.insert_fill(&f1).await.unwrap());
    let mut changed = f1.clone();
    changed.fill.qty = qty("9");
    assert!(
        !s.insert_fill(&changed).await.unwrap(),
        "a known trade id changes nothing"
    );
    for (basket_id, trade, side, t) in [
        (1, 12, Side::Buy, 2_000),
        (1, 13, Side::Sell, 3_000),
        (2, 14, Side::Buy, 4_000),
        (1, 15, Side::Sell, 5_000),
    ] {
        assert!(s
            .insert_fill(&fill_record(basket_id, trade, side, t))
            .await
            .unwrap());
    }
    let all = FillQuery::default();
    assert_eq!(s.count_fills(&all).await.unwrap(), 5);
    assert_eq!(
        s.fill_counts().await.unwrap(),
        std::collections::BTreeMap::from([(1, 4), (2, 1)]),
        "per-basket counts; duplicates not counted"
    );
    let b1 = s.basket_fills(1).await.unwrap();
    assert_eq!(
        b1.iter().map(|f| f.trade_id).collect::<Vec<_>>(),
        vec![11, 12, 13, 15]
    );
    assert_eq!(b1[0], f1.fill, "first write wins");

    let newest = s.fills(&all).await.unwrap();
    assert_eq!(trades(&newest), vec![15, 14, 13, 12, 11]);
    assert_eq!(newest[4], f1);
    let page = FillQuery {
        offset: 1,
        limit: 2,
        ..FillQuery::default()
    };
    assert_eq!(trades(&s.fills(&page).await.unwrap()), vec![14, 13]);
    assert_eq!(
        s.count_fills(&page).await.unwrap(),
        5,
        "count ignores paging"
    );
    let sells = FillQuery {
        basket_id: Some(1),
        side: Some(Side::Sell),
        ..FillQuery::default()
    };
    assert_eq!(trades(&s.fills(&sells).await.unwrap()), vec![15, 13]);
    assert_eq!(s.count_fills(&sells).await.unwrap(), 2);
    let two = FillQuery {
        basket_id: Some(2),
        ..FillQuery::default()
    };
    assert_eq!(s.count_fills(&two).await.unwrap(), 1);
    let past_end = FillQuery {
        offset: 10,
        limit: 5,
        ..FillQuery::default()
    };
    assert!(s.fills(&past_end).await.unwrap().is_empty());
}

/// Snapshots come back as the latest N, oldest first, exactly.
async fn snapshots_latest_oldest_first(db: &TestDb) {
    let s = &db.store;
    for t in [5_000, 1_000, 3_000, 4_000, 2_000] {
        s.insert_snapshot(&snapshot(t)).await.unwrap();
    }
    let got = s.snapshots(3).await.unwrap();
    assert_eq!(
        got.iter().map(|x| x.time_ms).collect::<Vec<_>>(),
        vec![3_000, 4_000, 5_000]
    );
    assert_eq!(got[2], snapshot(5_000));
    assert_eq!(s.snapshots(100).await.unwrap().len(), 5);
}

/// Configuration values: missing, set, replaced.
async fn config_get_set(db: &TestDb) {
    let s = &db.store;
    assert_eq!(s.config_value("paused").await.unwrap(), None);
    s.set_config_value("paused", "true", 1).await.unwrap();
    s.set_config_value("other", "{\"a\":1}", 1).await.unwrap();
    assert_eq!(
        s.config_value("paused").await.unwrap().as_deref(),
        Some("true")
    );
    s.set_config_value("paused", "false", 2).await.unwrap();
    assert_eq!(
        s.config_value("paused").await.unwrap().as_deref(),
        Some("false")
    );
    assert_eq!(
        s.config_value("other").await.unwrap().as_deref(),
        Some("{\"a\":1}")
    );
}

/// Events: newest first, limited, with and without a basket.
async fn events_newest_first(db: &TestDb) {
    let s = &db.store;
    let e1 = event(1_000, None, EventLevel::Info, "started");
    let e2 = event(2_000, Some(4), EventLevel::Warn, "order_rejected");
    let e3 = event(2_000, Some(4), EventLevel::Error, "basket_paused");
    for e in [&e1, &e2, &e3] {
        s.append_event(e).await.unwrap();
    }
    assert_eq!(s.events(2).await.unwrap(), vec![e3.clone(), e2.clone()]);
    assert_eq!(s.events(10).await.unwrap(), vec![e3, e2, e1]);
}

/// One holder at a time; the lock frees when its guard is dropped.
async fn instance_lock_single_holder(db: &TestDb) {
    let first = db.store.lock_instance().await.unwrap();
    assert!(matches!(
        db.store.lock_instance().await,
        Err(StoreError::Locked(_))
    ));
    let other = SqlStore::connect(&db.url).await.unwrap();
    assert!(matches!(
        other.lock_instance().await,
        Err(StoreError::Locked(_))
    ));
    drop(first);
    // PostgreSQL frees a session lock once it sees the connection close: allow it a moment.
    let mut again = other.lock_instance().await;
    for _ in 0..50 {
        if again.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        again = other.lock_instance().await;
    }
    let again = again.expect("lock is free after the holder dropped it");
    assert!(matches!(
        db.store.lock_instance().await,
        Err(StoreError::Locked(_))
    ));
    again.release().await.unwrap();
    db.store
        .lock_instance()
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
    other.close().await;
}

contract_tests!(
    baskets_round_trip_and_status,
    intents_pending_resolve_and_revisions,
    intent_miss_streak_is_journalled,
    upsert_order_updates_and_marks_intent,
    fills_once_query_and_count,
    snapshots_latest_oldest_first,
    config_get_set,
    events_newest_first,
    instance_lock_single_holder,
    baskets_keep_their_grid,
);

/// SQLite: a plain path creates its directory, and data survives closing and reopening.
#[tokio::test]
async fn sqlite_data_persists_across_reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/bot.db");
    let store = SqlStore::connect(path.to_str().unwrap()).await.unwrap();
    assert_eq!(store.backend_name(), "sqlite");
    store.insert_basket(&basket(1)).await.unwrap();
    store
        .insert_fill(&fill_record(1, 7, Side::Buy, 1))
        .await
        .unwrap();
    store.close().await;
    drop(store);

    let url = format!("sqlite://{}?mode=rwc", path.display());
    let reopened = SqlStore::connect(&url).await.unwrap();
    assert_eq!(reopened.basket(1).await.unwrap(), Some(basket(1)));
    assert!(!reopened
        .insert_fill(&fill_record(1, 7, Side::Buy, 1))
        .await
        .unwrap());
    assert_eq!(
        reopened.count_fills(&FillQuery::default()).await.unwrap(),
        1
    );
    let _lock = reopened.lock_instance().await.unwrap();
    assert!(path.with_file_name("bot.db.lock").exists());
}

/// Makes the PostgreSQL half's status visible in every test run.
#[allow(non_snake_case)]
#[tokio::test]
async fn postgres_store_contract_SKIPPED_set_TEST_DATABASE_URL() {
    match PgSchema::create().await {
        None => eprintln!("{PG_SKIPPED}"),
        Some(schema) => {
            let store = SqlStore::connect(&schema.url).await.unwrap();
            assert_eq!(store.backend_name(), "postgres");
            store.close().await;
            schema.drop().await;
            eprintln!("PostgreSQL store tests ran against TEST_DATABASE_URL");
        }
    }
}

/// PostgreSQL: a lock whose session the server ended is reported lost by `verify`.
#[tokio::test]
async fn postgres_lock_lost_with_its_session_is_noticed() {
    use sqlx::Connection;
    let Some(db) = TestDb::postgres().await else {
        eprintln!("{PG_SKIPPED}");
        return;
    };
    let mut lock = db.store.lock_instance().await.unwrap();
    lock.verify().await.unwrap();
    let admin_url = std::env::var("TEST_DATABASE_URL").unwrap();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    // End the session holding this schema's lock (other tests' schemas are left alone).
    let schema = db.url.rsplit("search_path]=").next().unwrap().to_string();
    sqlx::raw_sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_locks \
         WHERE locktype = 'advisory' AND granted AND classid = x'62747264'::int::oid \
           AND objid::bigint = (hashtext('{schema}')::bigint & 4294967295)"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
    let mut lost = false;
    for _ in 0..50 {
        if matches!(lock.verify().await, Err(StoreError::Locked(_))) {
            lost = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(lost, "a terminated lock session was not noticed");
    drop(lock);
    db.cleanup().await;
}

/// SQLite: a journal written by the first schema upgrades in place (intent streak, fee value,
/// the `closing` status, whose table rebuild must keep every row and every foreign key).
#[tokio::test]
async fn sqlite_journal_of_the_first_schema_upgrades_in_place() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let init =
            std::fs::read_to_string(crate::harness::root().join("migrations/sqlite/0001_init.sql"))
                .unwrap();
        sqlx::raw_sql(&init).execute(&mut conn).await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, \
             applied_ms BIGINT NOT NULL); \
             INSERT INTO schema_migrations VALUES (1, 'init', 0);",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    {
        // Rows of the first schema: a basket, a pending intent, a fill with a BNB fee. Its
        // config has no `trail_down`: the key did not exist yet.
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let mut config = serde_json::to_value(&basket(1).basket.config).unwrap();
        config
            .as_object_mut()
            .unwrap()
            .remove("trail_down")
            .unwrap();
        let config = config.to_string();
        sqlx::query(
            "INSERT INTO baskets VALUES (1, 'SOLUSDC', '100', 'active', $1, '0', '0', 5, NULL, NULL)",
        )
        .bind(config)
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::raw_sql(
            "INSERT INTO order_intents (client_id, basket_id, symbol, slot, rev, side, \
             order_type, price, qty, stop_price, trailing_delta, time_in_force, created_ms, \
             state, note) VALUES ('gb1-B1-1', 1, 'SOLUSDC', 'B1', 1, 'BUY', 'LIMIT', '99', \
             '1', NULL, NULL, 'GTC', 1000, 'pending', NULL); \
             INSERT INTO fills (symbol, trade_id, basket_id, exchange_order_id, slot, side, \
             price, qty, quote, commission, commission_asset, is_maker, time_ms) VALUES \
             ('SOLUSDC', 7, 1, 70, 'B1', 'BUY', '99', '1', '99', '0.0001', 'BNB', 1, 2000); \
             INSERT INTO baskets SELECT 12, symbol, anchor, 'closed', config, carried_qty, \
             carried_cost, 6, 7, NULL FROM baskets WHERE id = 1; \
             INSERT INTO baskets SELECT 13, symbol, anchor, 'closed', config, carried_qty, \
             carried_cost, 8, 9, NULL FROM baskets WHERE id = 1; \
             INSERT INTO order_intents (client_id, basket_id, symbol, slot, rev, side, \
             order_type, price, qty, stop_price, trailing_delta, time_in_force, created_ms, \
             state, note) VALUES ('xy12-TP1-3', 12, 'SOLUSDC', 'TP1', 3, 'SELL', 'LIMIT', \
             '101', '1', NULL, NULL, 'GTC', 1000, 'absent', NULL); \
             INSERT INTO bot_config VALUES ('trade_cursor:SOLUSDC', '57', 3);",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }

    let store = SqlStore::connect(&url).await.unwrap();
    let pending = store.pending_intents().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        store.intent_streak(&pending[0].client_id).await.unwrap(),
        binance_trader::core::missing_order::MissStreak::default()
    );
    let fills = store.basket_fills(1).await.unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!(fills[0].commission.asset.as_str(), "BNB");
    assert_eq!(fills[0].commission.quote_value, None);
    store
        .set_basket_status(1, BasketStatus::Closing, None, Some("exit working"))
        .await
        .unwrap();
    let b = store.basket(1).await.unwrap().unwrap();
    assert_eq!(b.basket.status, BasketStatus::Closing);
    // Such a grid followed the price down after a hard stop, and still does: the key's
    // default (`"stop"`) is for strategy files, not for configs frozen before it existed.
    assert_eq!(b.basket.config.trail_down, TrailDown::Follow);
    assert_eq!(store.open_baskets().await.unwrap().len(), 1);
    assert_eq!(store.intents(1).await.unwrap(), pending);
    // Foreign keys still hold after the rebuild.
    assert!(store
        .insert_intent(&intent(99, Slot::Tr, 1, 1))
        .await
        .is_err());
    let versions: Vec<i64> = {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap()
    };
    assert_eq!(versions, vec![1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The grid key: each basket takes the prefix its intents carry (basket 12's `xy12-…`,
    // not fooled by the digits), else the default; the cursor is copied to that grid's key.
    let prefixes: Vec<(u32, String)> = store
        .baskets(false)
        .await
        .unwrap()
        .iter()
        .map(|b| (b.basket.id, b.prefix.as_str().to_string()))
        .collect();
    assert_eq!(
        prefixes,
        vec![(13, "gb".into()), (12, "xy".into()), (1, "gb".into())]
    );
    let sol = symbol();
    let xy = binance_trader::core::client_id::IdPrefix::parse("xy").unwrap();
    let key = binance_trader::apps::bot::trade_cursor_key(&sol, &xy);
    assert_eq!(key, "trade_cursor:SOLUSDC:xy");
    assert_eq!(
        store.config_value(&key).await.unwrap().as_deref(),
        Some("57")
    );
    let gb = binance_trader::apps::bot::trade_cursor_key(&sol, &Default::default());
    assert_eq!(
        store.config_value(&gb).await.unwrap().as_deref(),
        Some("57")
    );
}
