//! Against a real bot on the simulated exchange, and a latency smoke test on a big journal.

use super::dec_of;
use super::fixtures::*;
use binance_trader::apps::dashboard::{self, DashboardState};
use binance_trader::apps::trade::Mode;

/// The real thing: bot and dashboard on one SQLite journal, the bot trading the simulated
/// exchange; Close all over HTTP cancels the open orders and sells the position.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_all_over_http_closes_a_running_bots_basket() {
    use crate::harness::{client, fil_strategy, start_sim, wave_candles};
    use binance_trader::adapters::store::SqlStore;
    use binance_trader::apps::bot::{runner, Bot, BotSettings};
    let sim = start_sim(wave_candles(1)).await;
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(dir.path().join("bot.sqlite").to_str().unwrap())
        .await
        .unwrap();
    let mut settings = BotSettings::new(fil_strategy());
    settings.intent_grace_ms = 0;
    settings.interval = std::time::Duration::from_millis(20);
    let mut bot = Bot::new(client(&sim.base), store.clone(), settings)
        .await
        .unwrap();
    // Into the slide: some buys filled, others resting.
    for _ in 0..6 {
        while !bot.step().await.unwrap().quiescent() {}
        sim.server.step(1);
    }
    while !bot.step().await.unwrap().quiescent() {}
    let (commands, command_rx) = tokio::sync::mpsc::channel(4);
    let state = DashboardState::new(
        store,
        commands,
        Mode::Paper,
        dashboard::Pair::from_rules(bot.rules()),
        None,
    )
    .unwrap()
    .with_metrics(bot.metrics().clone());
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let runner =
        tokio::spawn(async move { runner::run_with_commands(&mut bot, stop_rx, command_rx).await });
    let running = dashboard::spawn("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap();
    let mut http = Http::new(&running);

    let before = http.get("/api/state").await.json();
    let open = before["open_orders"].as_array().unwrap().len();
    assert!(open > 0, "{before}");
    assert_eq!(before["baskets"].as_array().unwrap().len(), 1);
    assert!(
        dec_of(&before["baskets"][0]["position"]) > d("0"),
        "some buys filled"
    );
    let metrics = http.get("/metrics").await.body;
    assert!(
        !metrics.contains("bot_orders_placed_total 0\n"),
        "{metrics}"
    );

    let token = http.get("/").await.csrf();
    assert_eq!(
        http.post("/trading/close-all", &[("_csrf", &token)])
            .await
            .status,
        303
    );
    let page = http.get("/").await.body;
    let expected = format!("closed 1 basket(s): cancelled {open} order(s), placed 1 exit sell(s)");
    assert!(
        page.contains(&expected),
        "flash: {}",
        page.split("id=\"flash\"").nth(1).unwrap_or("none")
    );
    let after = http.get("/api/state").await.json();
    assert!(after["baskets"].as_array().unwrap().is_empty(), "{after}");
    assert!(
        after["open_orders"].as_array().unwrap().is_empty(),
        "the exit filled: {after}"
    );

    stop.send(true).unwrap();
    runner.await.unwrap().unwrap();
    running.stop().await;
}

/// Rough latency of `/` over a SQLite journal with many orders and fills (run by hand:
/// `cargo test --test it dashboard::live::latency -- --ignored --nocapture`; the load benchmark
/// proper is separate).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow; prints timings"]
async fn latency_of_index_with_a_big_journal() {
    use binance_trader::adapters::store::SqlStore;
    let baskets: u32 = 1_000;
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(dir.path().join("big.sqlite").to_str().unwrap())
        .await
        .unwrap();
    let t = std::time::Instant::now();
    seed_bulk(&store, baskets, 20, 10).await;
    eprintln!(
        "seeded {} orders, {} fills in {:?}",
        baskets * 20,
        baskets * 10,
        t.elapsed()
    );
    let (tx, _) = fake_bot();
    let state = DashboardState::new(store, tx, Mode::Paper, pair(), None).unwrap();
    let running = dashboard::spawn("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap();
    let mut http = Http::new(&running);
    let t = std::time::Instant::now();
    assert_eq!(http.get("/").await.status, 200);
    eprintln!("first / (books replayed): {:?}", t.elapsed());
    let mut times = Vec::new();
    for _ in 0..200 {
        let t = std::time::Instant::now();
        assert_eq!(http.get("/").await.status, 200);
        times.push(t.elapsed());
    }
    times.sort();
    eprintln!("/ warm: p50 {:?} p99 {:?}", times[100], times[197]);
    // 16 clients at once: no request waits for another's store reads.
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let mut http = Http::new(&running);
            tokio::spawn(async move {
                let mut times = Vec::new();
                for _ in 0..25 {
                    let t = std::time::Instant::now();
                    assert_eq!(http.get("/").await.status, 200);
                    times.push(t.elapsed());
                }
                times
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    eprintln!(
        "/ x16 concurrent: {:.0} req/s, p50 {:?} p99 {:?}",
        all.len() as f64 / started.elapsed().as_secs_f64(),
        all[all.len() / 2],
        all[all.len() * 99 / 100]
    );
    running.stop().await;
}
