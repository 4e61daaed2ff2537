//! A single bot's journal written before the grid key (migration 0009) still opens and
//! trades: a bot runs on a journal, the journal is turned back into the schema before the
//! key (the `prefix` column dropped, the trade cursor under its old per-symbol key), and a
//! new bot on the migrated journal resumes its basket instead of opening another, with the
//! store equal to the exchange after more minutes. Run with the default prefix (`gb`, which
//! the migration gives every old basket) and with another (`xy`, read from the baskets'
//! intents; without that the bot would not find its own baskets and would open a new one
//! beside the old grid's resting orders), on SQLite and PostgreSQL.

use crate::bot::{settings, settle};
use crate::harness::{assert_store_matches_exchange, client, start_sim, wave_candles};
use crate::store::fixtures::{TestDb, PG_SKIPPED};
use binance_trader::adapters::store::SqlStore;
use binance_trader::apps::bot::{trade_cursor_key, Bot};
use binance_trader::core::basket::BasketStatus;
use binance_trader::core::client_id::IdPrefix;
use binance_trader::ports::store::Store;
use sqlx::Connection;

/// Runs `sql` on the database at `url` (SQLite or PostgreSQL), outside the store.
async fn raw(url: &str, sql: &str) {
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
}

/// The journal at `url` as the schema before the grid key had it.
async fn back_to_the_old_schema(url: &str, prefix: &IdPrefix) {
    let mut sql = "DROP INDEX idx_baskets_symbol_prefix; \
                   ALTER TABLE baskets DROP COLUMN prefix; \
                   DELETE FROM schema_migrations WHERE version = 9;"
        .to_string();
    if *prefix != IdPrefix::default() {
        // The old bot kept its cursor under the symbol alone, whatever its prefix.
        let p = prefix.as_str();
        sql.push_str(&format!(
            " UPDATE bot_config SET key = substr(key, 1, length(key) - {}) \
              WHERE key LIKE '%:{p}';",
            p.len() + 1
        ));
    }
    raw(url, &sql).await;
}

async fn an_old_journal_opens_and_trades(db: &TestDb, prefix: &str) {
    let prefix = IdPrefix::parse(prefix).unwrap();
    let candles = wave_candles(2);
    let n = candles.len();
    let sim = start_sim(candles).await;
    let ex = client(&sim.base).for_prefix(prefix.clone());
    let mut s = settings();
    s.prefix = prefix.clone();
    let mut bot = Bot::new(ex.for_prefix(prefix.clone()), db.store.clone(), s.clone())
        .await
        .unwrap();
    for _ in 0..n / 3 {
        settle(&mut bot).await;
        sim.server.step(1);
    }
    settle(&mut bot).await;
    let before = bot.store().baskets(false).await.unwrap();
    let active = before
        .iter()
        .find(|b| b.basket.status == BasketStatus::Active)
        .expect("an active basket")
        .basket
        .id;
    let cursor = bot
        .store()
        .config_value(&trade_cursor_key(&s.strategy.symbol, &prefix))
        .await
        .unwrap()
        .expect("the bot has read trades");
    drop(bot);
    db.store.close().await;

    back_to_the_old_schema(&db.url, &prefix).await;
    let store = SqlStore::connect(&db.url).await.unwrap();
    for b in store.baskets(false).await.unwrap() {
        assert_eq!(
            b.prefix, prefix,
            "basket {} read under another grid",
            b.basket.id
        );
    }
    assert_eq!(
        store
            .config_value(&trade_cursor_key(&s.strategy.symbol, &prefix))
            .await
            .unwrap(),
        Some(cursor),
        "the trade cursor is kept"
    );
    let mut bot = Bot::new(ex.for_prefix(prefix.clone()), store.clone(), s)
        .await
        .unwrap();
    settle(&mut bot).await;
    let after = bot.store().baskets(false).await.unwrap();
    assert_eq!(after.len(), before.len(), "a basket opened at the restart");
    assert_eq!(
        after
            .iter()
            .find(|b| b.basket.status == BasketStatus::Active)
            .map(|b| b.basket.id),
        Some(active),
        "the old basket trades on"
    );
    for _ in n / 3..n {
        sim.server.step(1);
        settle(&mut bot).await;
    }
    assert_store_matches_exchange(bot.store(), &ex).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_sqlite_journal_opens_and_trades_with_the_default_prefix() {
    let db = TestDb::sqlite().await;
    an_old_journal_opens_and_trades(&db, "gb").await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_sqlite_journal_opens_and_trades_with_another_prefix() {
    let db = TestDb::sqlite().await;
    an_old_journal_opens_and_trades(&db, "xy").await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_postgres_journal_opens_and_trades_with_another_prefix() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("{PG_SKIPPED}");
        return;
    };
    an_old_journal_opens_and_trades(&db, "xy").await;
    db.cleanup().await;
}
