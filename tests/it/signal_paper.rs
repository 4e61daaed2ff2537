//! `paper --strategy config/mean-reversion.toml` (and `config/trend.toml`) end to end: the
//! binary replays the bundled FILUSDT candles in lock-step, warms the strategy's indicators
//! up from the simulated exchange's closed candles, and only then places orders, every one of
//! them accepted by the exchange's filters.

use crate::fresh_clone::root;
use crate::parity::{first_candles, paper_session, session_dir};

/// Runs `paper --speed step` with `strategy` over the first `candles` candles to their end;
/// the journal's intents as (created_ms, state), oldest first.
async fn paper(strategy: &str, candles: usize) -> Vec<(i64, String)> {
    let dir = session_dir();
    let data = first_candles(dir.path(), candles);
    let journal = paper_session(dir.path(), &data, &root().join(strategy));
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", journal.display()))
        .await
        .unwrap();
    sqlx::query_as("SELECT created_ms, state FROM order_intents ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap()
}

/// The first candle's open (2023-04-01 00:00 UTC).
const START_MS: i64 = 1_680_307_200_000;

/// Asserts orders were placed, none before `warmup` candles had closed, none refused.
fn warmed_up_then_traded(intents: &[(i64, String)], warmup: i64) {
    let first = intents.first().map(|i| i.0);
    assert!(
        first.is_some_and(|t| t >= START_MS + warmup * 60_000),
        "the first order at {first:?}, before {warmup} candles had closed"
    );
    let refused: Vec<_> = intents.iter().filter(|i| i.1 == "rejected").collect();
    assert!(refused.is_empty(), "the exchange refused {refused:?}");
    assert!(
        intents.iter().any(|i| i.1 == "placed"),
        "nothing placed: {intents:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn paper_mean_reversion_warms_up_then_places_orders() {
    // A 720-candle window: its first entry can come at the 720th close.
    let intents = paper("config/mean-reversion.toml", 900).await;
    warmed_up_then_traded(&intents, 720);
}

#[tokio::test(flavor = "multi_thread")]
async fn paper_trend_warms_up_then_places_orders() {
    // A 1440-candle channel and its breakout level: 1441 closes first.
    let intents = paper("config/trend.toml", 3 * 1440).await;
    warmed_up_then_traded(&intents, 1441);
}
