//! The range grid in the bot (the `paper`/`run` loop) through the strategy seam: the real
//! Binance client against the simulated exchange, a restart of the bot half-way on a SQLite
//! or PostgreSQL journal (the range config round-trips through it), then the store checked
//! against the exchange.

use crate::bot::settle;
use crate::harness::{assert_store_matches_exchange, client, start_sim, wave_candles};
use crate::store::fixtures::{TestDb, PG_SKIPPED};
use binance_trader::apps::bot::{Bot, BotSettings};
use binance_trader::core::basket::BasketStatus;
use binance_trader::core::order::{Side, Slot};
use binance_trader::core::strategy::config::StrategyConfig;
use binance_trader::ports::store::{FillQuery, Store};

/// 3.6..4.4 in 9 levels (0.10 apart), 450 USDT: the waves (4.00, a slide to about 3.76, a
/// rally to about 4.15) buy at 3.9 and 3.8 and sell one level up, wave after wave.
fn range_strategy() -> StrategyConfig {
    StrategyConfig::from_toml_str(
        r#"
        kind = "range"
        symbol = "FILUSDT"
        quote_budget = 450
        [range]
        lower = 3.6
        upper = 4.4
        levels = 9
        reinvest = true
        "#,
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_grid_buys_and_sells_level_by_level_in_the_bot_across_a_restart() {
    let db = TestDb::sqlite().await;
    level_by_level_across_a_restart(&db).await;
    db.cleanup().await;
}

/// The same on PostgreSQL (`TEST_DATABASE_URL`; skipped without it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_grid_buys_and_sells_level_by_level_on_postgres_across_a_restart() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("{PG_SKIPPED}");
        return;
    };
    level_by_level_across_a_restart(&db).await;
    db.cleanup().await;
}

async fn level_by_level_across_a_restart(db: &TestDb) {
    let settings = || BotSettings::new(range_strategy()).with_intent_grace(0);
    let candles = wave_candles(3);
    let n = candles.len();
    let sim = start_sim(candles).await;
    let mut bot = Bot::new(client(&sim.base), db.store.clone(), settings())
        .await
        .unwrap();
    for i in 0..n {
        if i == n / 2 {
            bot = Bot::new(client(&sim.base), bot.into_store(), settings())
                .await
                .unwrap();
        }
        settle(&mut bot).await;
        sim.server.step(1);
    }
    settle(&mut bot).await;
    let store = bot.store();

    // One grid, still running: a range grid never closes or restarts on its own.
    let baskets = store.baskets(false).await.unwrap();
    assert_eq!(baskets.len(), 1);
    assert_eq!(baskets[0].basket.status, BasketStatus::Active);
    assert_eq!(baskets[0].basket.config, range_strategy());

    let fills = store
        .fills(&FillQuery {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let count = |slot: Slot| fills.iter().filter(|f| f.fill.slot == slot).count();
    for f in &fills {
        let ok = matches!(
            (f.fill.slot, f.fill.side),
            (Slot::Buy(_), Side::Buy) | (Slot::Sell(_), Side::Sell)
        );
        assert!(ok, "{:?}", f.fill);
    }
    // B4 (3.9) bought and S5 (4.0) sold in every wave: the buy is re-placed after each sell;
    // B3 (3.8) sells at S4 (3.9).
    assert!(
        count(Slot::Buy(4)) >= 3,
        "B4 fills: {}",
        count(Slot::Buy(4))
    );
    assert!(
        count(Slot::Sell(5)) >= 3,
        "S5 fills: {}",
        count(Slot::Sell(5))
    );
    assert!(
        count(Slot::Sell(4)) >= 1,
        "S4 fills: {}",
        count(Slot::Sell(4))
    );
    assert_eq!(
        count(Slot::Buy(5)),
        0,
        "4.0 is the start: nothing bought at or above it"
    );
    // Each re-placement is a new client id revision (`gb1-B4-2`, …), never a reused one.
    let events = store.events(10_000).await.unwrap();
    assert!(
        events.iter().any(|e| e.message.contains("-B4-3")),
        "no third revision of B4"
    );
    assert_store_matches_exchange(store, &client(&sim.base)).await;
}
