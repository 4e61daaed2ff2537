//! The bot applies `trail_down` as the backtester does: after a hard stop, `stop` (or a
//! follow limit that refused the successor) leaves the grid idle; an unlimited follow reopens.

use crate::harness::{client, fil_strategy, start_sim, wave_candles};
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::apps::bot::{Bot, BotSettings};
use binance_trader::core::basket::{Basket, BasketStatus};
use binance_trader::core::money::{Pct, Price, Qty, Quote};
use binance_trader::core::strategy::trail::TrailDown;
use binance_trader::ports::store::{BasketRecord, Store};
use rust_decimal_macros::dec;

/// Active baskets after one bot step on a journal whose last basket ended by its hard stop.
async fn active_after_a_stop(trail_down: TrailDown, max_down: Option<Pct>) -> usize {
    let mut strategy = fil_strategy();
    strategy.trail_down = trail_down;
    strategy.trail_down_max_pct = max_down;
    let store = MemoryStore::new();
    store
        .insert_basket(&BasketRecord {
            symbol: strategy.symbol.clone(),
            prefix: Default::default(),
            basket: Basket {
                id: 1,
                anchor: Price::new(dec!(5.2)),
                config: strategy.clone(),
                status: BasketStatus::Stopped,
                carried_qty: Qty::ZERO,
                carried_cost: Quote::ZERO,
                created_ms: 1,
                trail_root: None,
            },
            closed_ms: Some(2),
            reason: None,
        })
        .await
        .unwrap();
    let sim = start_sim(wave_candles(1)).await;
    let settings = BotSettings::new(strategy).with_intent_grace(0);
    let mut bot = Bot::new(client(&sim.base), store, settings).await.unwrap();
    bot.step().await.unwrap();
    bot.store()
        .baskets(true)
        .await
        .unwrap()
        .iter()
        .filter(|b| b.basket.status == BasketStatus::Active)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grid_that_trail_down_stopped_stays_stopped_in_the_bot() {
    assert_eq!(active_after_a_stop(TrailDown::Follow, None).await, 1);
    assert_eq!(active_after_a_stop(TrailDown::Stop, None).await, 0);
    let limit = Some(Pct::new(dec!(30)));
    assert_eq!(active_after_a_stop(TrailDown::Follow, limit).await, 0);
}
