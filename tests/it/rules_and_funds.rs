//! The exchange changes under a running bot (issue 12, items 5 and 6): a filter changes
//! mid-run, the quote balance runs short.

use crate::bot::{settings, settle};
use crate::harness::{
    assert_store_matches_exchange, client, root, start_sim, start_sim_with_quote, wave_candles,
};
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::apps::bot::Bot;
use binance_trader::core::money::{Amount, Price};
use binance_trader::core::order::{Side, Slot};
use binance_trader::core::symbol::Asset;
use binance_trader::ports::exchange::Exchange;
use binance_trader::ports::store::{IntentState, Store};
use rust_decimal::Decimal;
use serde_json::Value;

/// The bundled exchangeInfo with FILUSDT's tick size set to `tick`.
fn info_with_tick(tick: &str) -> String {
    let text = std::fs::read_to_string(root().join("data/exchange_info.json")).unwrap();
    let mut info: Value = serde_json::from_str(&text).unwrap();
    for s in info["symbols"].as_array_mut().unwrap() {
        if s["symbol"] == "FILUSDT" {
            for f in s["filters"].as_array_mut().unwrap() {
                if f["filterType"] == "PRICE_FILTER" {
                    f["tickSize"] = tick.into();
                    f["minPrice"] = tick.into();
                }
            }
        }
    }
    info.to_string()
}

fn is_on_tick(price: Price, tick: Decimal) -> bool {
    (price.get() % tick).is_zero()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coarser_tick_is_picked_up_after_the_first_rejection() {
    let sim = start_sim(wave_candles(1)).await;
    let mut s = settings();
    s.rules_refresh_ms = i64::MAX; // only a rejection may trigger the re-read here
    let mut bot = Bot::new(client(&sim.base), MemoryStore::new(), s)
        .await
        .unwrap();
    settle(&mut bot).await;
    let tick = Decimal::new(1, 2);
    sim.server
        .set_exchange_info(&info_with_tick("0.01"))
        .unwrap();
    // Into the slide: buys fill, the bot places take-profits and new levels on the new tick.
    for _ in 0..6 {
        sim.server.step(1);
        settle(&mut bot).await;
    }
    assert_eq!(bot.rules().filters.price.tick_size.get(), tick);
    let events = bot.store().events(500).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "rules_changed"));
    assert!(
        events
            .iter()
            .any(|e| e.kind == "action_failed" && e.message.contains("PRICE_FILTER")),
        "the change was not noticed through a rejection"
    );
    let open = client(&sim.base)
        .open_orders(&bot.settings().strategy.symbol)
        .await
        .unwrap();
    let placed_after: Vec<_> = open
        .iter()
        .filter(|o| o.time_ms > sim.server.now_ms() - 6 * 60_000)
        .collect();
    assert!(!placed_after.is_empty());
    for o in placed_after {
        let p = o.spec.price.or(o.spec.stop_price).unwrap();
        assert!(is_on_tick(p, tick), "{} at {p}", o.client_id);
    }
    assert_store_matches_exchange(bot.store(), &client(&sim.base)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_rules_are_read_again_after_the_interval() {
    let sim = start_sim(wave_candles(1)).await;
    let mut s = settings();
    s.rules_refresh_ms = 5 * 60_000;
    let mut bot = Bot::new(client(&sim.base), MemoryStore::new(), s)
        .await
        .unwrap();
    settle(&mut bot).await;
    // A finer tick never causes a rejection: only the interval can reveal it.
    sim.server
        .set_exchange_info(&info_with_tick("0.0001"))
        .unwrap();
    for _ in 0..2 {
        sim.server.step(1);
        settle(&mut bot).await;
    }
    assert_eq!(
        bot.rules().filters.price.tick_size.get(),
        Decimal::new(1, 3),
        "read again before the interval"
    );
    for _ in 0..3 {
        sim.server.step(1);
        settle(&mut bot).await;
    }
    assert_eq!(
        bot.rules().filters.price.tick_size.get(),
        Decimal::new(1, 4)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insufficient_balance_pauses_the_buys_until_funds_return() {
    // Enough for the first two levels of the grid only.
    let sim = start_sim_with_quote(wave_candles(1), "200").await;
    let mut bot = Bot::new(client(&sim.base), MemoryStore::new(), settings())
        .await
        .unwrap();
    let refused_buys = |intents: &[binance_trader::ports::store::OrderIntent]| {
        intents
            .iter()
            .filter(|i| i.spec.side == Side::Buy && i.state == IntentState::Rejected)
            .count()
    };
    for _ in 0..5 {
        bot.step().await.unwrap();
    }
    let id = bot.store().baskets(true).await.unwrap()[0].basket.id;
    let intents = bot.store().intents(id).await.unwrap();
    assert_eq!(refused_buys(&intents), 1, "the refused buy was sent again");
    let events = bot.store().events(100).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "buys_paused"));

    // Funds arrive: within a minute of server time the grid is completed.
    sim.server.exchange().lock().unwrap().deposit(
        &Asset::parse("USDT").unwrap(),
        Amount::parse("5000").unwrap(),
    );
    sim.server.step(1);
    settle(&mut bot).await;
    let events = bot.store().events(100).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "buys_resumed"));
    let open = client(&sim.base)
        .open_orders(&bot.settings().strategy.symbol)
        .await
        .unwrap();
    let buys = open
        .iter()
        .filter(|o| matches!(o.spec.slot, Slot::Buy(_)))
        .count();
    assert!(buys > 2, "only {buys} buys on the book after the deposit");
    assert_eq!(refused_buys(&bot.store().intents(id).await.unwrap()), 1);
    assert_store_matches_exchange(bot.store(), &client(&sim.base)).await;
}
