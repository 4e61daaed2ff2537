//! SIGKILL at random moments, at least 50 times (`CRASH_KILLS` raises it), restarted each
//! time. Each kill comes a random time after the candle was fed or the bot (re)started, drawn
//! over the whole of the recent steps' span (start-up, reads, placements, fills, basket ends),
//! not only over start-up. A kill that leaves a pending intent landed inside an open intent:
//! they are counted, and there must be some.
//!
//! The bot trades on the streams (`run`'s default: fills pushed, orders over the WebSocket
//! API, prices pushed), on both stores; one SQLite case polls (`run --no-streams`, still a
//! supported mode).

use super::start_sim;
use super::{
    assert_recovered, forget_quiescent, pushed_fills, reference_run, wait_quiescent, Backend,
    BotProcess, Journal, Traded,
};
use crate::harness::wave_candles;
use binance_trader::ports::store::Store;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

/// `CRASH_KILLS`, else `default`.
fn kills_wanted(default: usize) -> usize {
    std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// On loopback a placement's round trip takes well under a millisecond; on Binance it takes
/// tens to hundreds. The crash points sleep that long (the `fail` crate's `sleep` action), so
/// that the journal's windows are as wide, relative to the rest of a step, as in real trading.
const REAL_ROUND_TRIPS: &str = "bot::intent_written=sleep(40);bot::order_sent=sleep(40);\
     bot::cancel_sent=sleep(10);bot::fill_inserted=sleep(5);bot::successor_opened=sleep(5)";

/// Kills per round (candle): three quarters over the rounds in which the bot places or
/// cancels orders (the uninterrupted run tells which), the rest over all rounds (start-up and
/// quiet steps must be safe too).
fn spread(wanted: usize, busy: &[bool]) -> Vec<usize> {
    let busy_rounds: Vec<usize> = (0..busy.len()).filter(|&r| busy[r]).collect();
    assert!(!busy_rounds.is_empty(), "the bot never acted");
    let mut kills = vec![0; busy.len()];
    let on_busy = wanted * 3 / 4;
    for i in 0..on_busy {
        kills[busy_rounds[i * busy_rounds.len() / on_busy]] += 1;
    }
    let rest = wanted - on_busy;
    for i in 0..rest {
        kills[i * busy.len() / rest] += 1;
    }
    kills
}

/// How the bot learns of the exchange's changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    /// `run`: the user-data and price streams, orders over the WebSocket API.
    Streams,
    /// `run --no-streams`: REST polling.
    Polling,
}

/// Kills `traded`'s bot at least `default_kills` times (`CRASH_KILLS` overrides).
async fn sigkill_at_random_moments(
    backend: Backend,
    feed: Feed,
    traded: Traded,
    default_kills: usize,
) {
    let dir = tempfile::tempdir().unwrap();
    let Some(journal) = Journal::open(backend, dir.path()).await else {
        eprintln!("{}", crate::store::fixtures::PG_SKIPPED);
        return;
    };
    let wanted = kills_wanted(default_kills);
    // About 30 kills a wave: more waves for more kills, so that the restarts of one candle
    // stay within its minute of request weight.
    let candles = wave_candles(wanted.div_ceil(30).max(3));
    let reference = reference_run(candles.clone(), traded).await;
    let expected = reference.balances;
    let sim = start_sim(candles.clone()).await;
    let mut bot = BotProcess::new(dir, &sim.base, &journal.url, traded);
    if feed == Feed::Polling {
        bot = bot.polling();
    }
    bot.spawn(REAL_ROUND_TRIPS);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let kills_per_round = spread(wanted, &reference.busy);
    let (mut kills, mut inside_intent) = (0, 0);
    // The span kills are drawn over: the longest recent time from a candle (or a restart) to
    // the quiescent step in a round with orders to send, decaying so that one slow start-up
    // does not dominate.
    let mut span = Duration::from_millis(100);
    for (round, here) in kills_per_round.into_iter().enumerate() {
        let market_ms = sim.server.now_ms();
        let mut since = Instant::now();
        for _ in 0..here {
            let ms = rng.random_range(0..span.as_millis().max(1) as u64);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            if let Some(status) = bot.exited() {
                panic!("the bot exited ({status}):\n{}", bot.log());
            }
            bot.sigkill();
            forget_quiescent(&journal.store).await;
            kills += 1;
            if !journal.store.pending_intents().await.unwrap().is_empty() {
                inside_intent += 1;
            }
            bot.spawn(REAL_ROUND_TRIPS);
            since = Instant::now();
        }
        let settled = wait_quiescent(&journal.store, market_ms, &mut bot)
            .await
            .unwrap_or_else(|s| panic!("the bot exited ({s}):\n{}", bot.log()));
        if reference.busy[round] {
            span = (span * 9 / 10)
                .max(settled.duration_since(since))
                .max(Duration::from_millis(20));
        }
        sim.server.step(1);
    }
    let market_ms = sim.server.now_ms();
    wait_quiescent(&journal.store, market_ms, &mut bot)
        .await
        .unwrap_or_else(|s| panic!("the bot exited ({s}):\n{}", bot.log()));
    bot.terminate();

    let (orders, fills) = assert_recovered(&journal, &sim, &expected, traded).await;
    let recovered = journal
        .store
        .events(100_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind.starts_with("intent_"))
        .count();
    let pushed = pushed_fills(&journal.store).await;
    eprintln!(
        "crash test on {backend:?}, {feed:?}, {traded:?}: {kills} kills, {inside_intent} inside an open \
         intent, {recovered} intents recovered after a kill, {orders} orders, {fills} fills \
         ({pushed} pushed), {} restarts refused while the killed session's lock lingered",
        bot.lock_refusals
    );
    match feed {
        Feed::Streams => assert!(pushed > 0, "no fill came over the user-data stream"),
        Feed::Polling => assert_eq!(pushed, 0, "a polling bot journalled a pushed fill"),
    }
    assert!(kills >= wanted, "only {kills} kills");
    assert!(inside_intent > 0, "no kill landed inside an open intent");
    assert!(recovered > 0, "no intent recovered after a kill");
    journal.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_sigkill_at_random_moments_loses_nothing_and_ends_like_an_uninterrupted_run() {
    sigkill_at_random_moments(Backend::Sqlite, Feed::Streams, Traded::Basket, 50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sigkill_at_random_moments_loses_nothing_and_ends_like_an_uninterrupted_run() {
    sigkill_at_random_moments(Backend::Postgres, Feed::Streams, Traded::Basket, 50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_sqlite_sigkill_at_random_moments_loses_nothing_and_ends_like_an_uninterrupted_run()
{
    sigkill_at_random_moments(Backend::Sqlite, Feed::Polling, Traded::Basket, 50).await;
}

/// The strategies that read indicators, with fewer kills (the suite's time): every restart
/// rebuilds them from the closed candles over REST, and the run must end as the
/// uninterrupted one did.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mean_reversion_sigkill_at_random_moments_ends_like_an_uninterrupted_run() {
    sigkill_at_random_moments(Backend::Sqlite, Feed::Streams, Traded::MeanReversion, 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_trend_sigkill_at_random_moments_ends_like_an_uninterrupted_run() {
    sigkill_at_random_moments(Backend::Postgres, Feed::Streams, Traded::Trend, 20).await;
}
