//! A restart into a minute whose request weight is already spent past Binance's default
//! limit, on an exchange whose real limit is higher (the replay clock stands still between
//! candles, so every restart's start-up reads count against one minute). The bot must read
//! the account's limits before anything else; it used to read the account first, learn the
//! used weight from the answer's header, and then refuse its own `exchangeInfo` for a
//! minute against the default limit: "rate limited for 59998 ms", and exit.

use super::{
    forget_quiescent, limits_known_client, start_sim, wait_quiescent, Backend, BotProcess, Journal,
};
use crate::harness::wave_candles;

/// Binance's default `REQUEST_WEIGHT` limit per minute.
const DEFAULT_WEIGHT_LIMIT: u64 = 6_000;
/// `GET /api/v3/account`'s weight.
const ACCOUNT_WEIGHT: u64 = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_after_the_default_limit_was_spent_reads_the_raised_limit_first() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(Backend::Sqlite, dir.path()).await.unwrap();
    let sim = start_sim(wave_candles(1)).await;
    let ex = limits_known_client(&sim).await;
    use binance_trader::ports::exchange::Exchange;
    for _ in 0..=DEFAULT_WEIGHT_LIMIT / ACCOUNT_WEIGHT {
        ex.account().await.unwrap();
    }
    let mut bot = BotProcess::new(dir, &sim.base, &journal.url, super::Traded::Basket);
    forget_quiescent(&journal.store).await;
    bot.spawn("");
    let market_ms = sim.server.now_ms();
    wait_quiescent(&journal.store, market_ms, &mut bot)
        .await
        .unwrap_or_else(|s| panic!("the bot exited ({s}):\n{}", bot.log()));
    bot.terminate();
    journal.cleanup().await;
}
