//! Mean reversion and trend following in the live bot (`.spec/bot.md`, "Indicators"): the
//! real Binance client against the simulated exchange replaying candles, the bot restarted
//! every few candles on a SQLite or PostgreSQL journal. Each restart rebuilds the indicators
//! from the closed candles over REST; the run must trade exactly as an uninterrupted one
//! does, and the journal must equal the exchange.

use crate::bot::settle;
use crate::harness::{assert_store_matches_exchange, client, start_sim, wave_candles};
use crate::store::fixtures::{TestDb, PG_SKIPPED};
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::apps::bot::{Bot, BotSettings};
use binance_trader::core::order::Side;
use binance_trader::core::strategy::config::StrategyConfig;
use binance_trader::ports::store::{FillQuery, Store};

/// Buys 1 deviation under the mean of 5 closes, sells back at the mean.
pub(crate) const MEAN_REVERSION: &str = r#"
    kind = "mean_reversion"
    symbol = "FILUSDT"
    quote_budget = 450
    [mean_reversion]
    window = 5
    entry_z = 1
    take_profit_pct = 3
    stop_loss_pct = 5
    cooldown_secs = 60
"#;

/// Buys a close above the 3-candle channel, sized on an 8-candle ATR (the longest window:
/// its first true range reads the close before the warm-up).
pub(crate) const TREND: &str = r#"
    kind = "trend"
    symbol = "FILUSDT"
    quote_budget = 450
    [trend]
    entry = "breakout"
    channel = 3
    risk_pct = 1
    atr = 8
    atr_stop = 2
"#;

pub(crate) fn strategy(text: &str) -> StrategyConfig {
    StrategyConfig::from_toml_str(text).unwrap()
}

/// The fills of a run: side, price, quantity, in order.
type Trades = Vec<(Side, String, String)>;

async fn trades<S: Store>(store: &S) -> Trades {
    let mut fills = store
        .fills(&FillQuery {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    fills.sort_by_key(|f| f.fill.trade_id);
    fills
        .iter()
        .map(|f| {
            (
                f.fill.side,
                f.fill.price.get().normalize().to_string(),
                f.fill.qty.get().normalize().to_string(),
            )
        })
        .collect()
}

/// Runs `text` over three waves in lockstep on `store`, restarting the bot every
/// `restart_every` candles (0: never); the fills, and the journal checked against the
/// exchange.
async fn run<S: Store>(text: &str, store: S, restart_every: usize) -> Trades {
    let settings = || BotSettings::new(strategy(text)).with_intent_grace(0);
    let candles = wave_candles(3);
    let n = candles.len();
    let sim = start_sim(candles).await;
    let mut bot = Bot::new(client(&sim.base), store, settings())
        .await
        .unwrap();
    for i in 0..n {
        if restart_every > 0 && i > 0 && i % restart_every == 0 {
            bot = Bot::new(client(&sim.base), bot.into_store(), settings())
                .await
                .unwrap();
        }
        settle(&mut bot).await;
        sim.server.step(1);
    }
    settle(&mut bot).await;
    assert_store_matches_exchange(bot.store(), &client(&sim.base)).await;
    trades(bot.store()).await
}

async fn trades_like_an_uninterrupted_run(text: &str, db: &TestDb) {
    let reference = run(text, MemoryStore::new(), 0).await;
    let buys = reference.iter().filter(|t| t.0 == Side::Buy).count();
    let sells = reference.iter().filter(|t| t.0 == Side::Sell).count();
    assert!(buys >= 2 && sells >= 2, "too little trading: {reference:?}");
    // Restarts land at every phase of the waves, warm-up included.
    let restarted = run(text, db.store.clone(), 5).await;
    assert_eq!(restarted, reference, "restarts changed the trading");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mean_reversion_trades_in_the_bot_across_restarts_on_sqlite() {
    let db = TestDb::sqlite().await;
    trades_like_an_uninterrupted_run(MEAN_REVERSION, &db).await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mean_reversion_trades_in_the_bot_across_restarts_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("{PG_SKIPPED}");
        return;
    };
    trades_like_an_uninterrupted_run(MEAN_REVERSION, &db).await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trend_trades_in_the_bot_across_restarts_on_sqlite() {
    let db = TestDb::sqlite().await;
    trades_like_an_uninterrupted_run(TREND, &db).await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trend_trades_in_the_bot_across_restarts_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("{PG_SKIPPED}");
        return;
    };
    trades_like_an_uninterrupted_run(TREND, &db).await;
    db.cleanup().await;
}
