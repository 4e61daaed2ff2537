//! The bot under today's Binance: a symbol in `CANCEL_ONLY`.

use crate::bot::{settings, settle};
use crate::harness::{client, start_sim, wave_candles};
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::apps::bot::Bot;
use binance_trader::core::filters::SymbolStatus;
use binance_trader::core::symbol::Symbol;
use binance_trader::ports::exchange::Exchange;
use binance_trader::ports::store::Store;

fn fil() -> Symbol {
    Symbol::parse("FILUSDT").unwrap()
}

/// `CANCEL_ONLY` while the bot runs: nothing is placed and the change is journalled; once
/// the symbol trades again the grid is placed without the operator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_only_holds_the_grid_until_the_symbol_trades_again() {
    let sim = start_sim(wave_candles(1)).await;
    let mut bot = Bot::new(client(&sim.base), MemoryStore::new(), settings())
        .await
        .unwrap();
    sim.server
        .set_symbol_status(&fil(), SymbolStatus::CancelOnly)
        .unwrap();
    settle(&mut bot).await;
    let ex = client(&sim.base);
    assert!(ex.open_orders(&fil()).await.unwrap().is_empty());
    let events = bot.store().events(20).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "symbol_status" && e.message.contains("CancelOnly")),
        "{events:?}"
    );
    let baskets = bot.store().baskets(true).await.unwrap();
    assert_eq!(baskets.len(), 1);
    let tried = bot.store().intents(baskets[0].basket.id).await.unwrap();
    assert!(tried.is_empty(), "nothing is even sent: {tried:?}");
    sim.server
        .set_symbol_status(&fil(), SymbolStatus::Trading)
        .unwrap();
    // The status is re-read once a minute of server time: one candle.
    sim.server.step(1);
    settle(&mut bot).await;
    assert!(!ex.open_orders(&fil()).await.unwrap().is_empty());
}
