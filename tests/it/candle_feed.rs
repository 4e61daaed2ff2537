//! The live bot's candles (`apps::bot::candles`) on the simulated exchange: filled over REST
//! at the first step, one read once a new minute has closed while polling, appended from the
//! kline stream without any REST read while it is up, and refilled identically on a restart.

use crate::bot::settings;
use crate::harness::{client, start_sim, wave_candles, KEY, SECRET};
use crate::streams::eventually;
use binance_trader::adapters::binance::rest::{BinanceRest, RestConfig, TokioPause};
use binance_trader::adapters::binance::transport::ReqwestTransport;
use binance_trader::adapters::binance::ws::{spawn_streams, WsConfig};
use binance_trader::adapters::binance::Credentials;
use binance_trader::adapters::clock::SystemClock;
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::apps::bot::live::{run_with_events, LivePacing};
use binance_trader::apps::bot::Bot;
use binance_trader::core::symbol::Symbol;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test]
async fn polling_keeps_the_last_closed_minutes_and_hands_each_new_one_once() {
    let candles = wave_candles(2);
    let sim = start_sim(candles.clone()).await;
    sim.server.step(8);
    let mut settings = settings();
    settings.candle_window = 5;
    let mut bot = Bot::new(client(&sim.base), MemoryStore::new(), settings.clone())
        .await
        .unwrap();
    assert_eq!(
        bot.candles(),
        Some(&[][..]),
        "nothing read before the first step"
    );
    bot.step().await.unwrap();
    assert_eq!(bot.candles().unwrap(), &candles[3..8]);
    let fresh = bot.take_fresh_candles();
    assert!(fresh.reloaded, "the start: indicators begin with these");
    assert_eq!(fresh.candles, candles[3..8]);

    bot.step().await.unwrap();
    assert!(
        bot.take_fresh_candles().candles.is_empty(),
        "no new minute has closed"
    );
    sim.server.step(2);
    bot.step().await.unwrap();
    let fresh = bot.take_fresh_candles();
    assert!(!fresh.reloaded);
    assert_eq!(fresh.candles, candles[8..10], "both new minutes, in order");
    assert_eq!(bot.candles().unwrap(), &candles[5..10]);

    let mut restarted = Bot::new(client(&sim.base), bot.into_store(), settings)
        .await
        .unwrap();
    restarted.step().await.unwrap();
    assert_eq!(
        restarted.candles().unwrap(),
        &candles[5..10],
        "a restart refills"
    );
}

#[tokio::test]
async fn a_bot_without_a_candle_window_reads_no_candle() {
    let sim = start_sim(wave_candles(1)).await;
    sim.server.step(3);
    let mut bot = Bot::new(client(&sim.base), MemoryStore::new(), settings())
        .await
        .unwrap();
    bot.step().await.unwrap();
    assert_eq!(bot.candles(), None);
    assert_eq!(bot.take_fresh_candles().candles, []);
}

#[tokio::test]
async fn with_the_kline_stream_up_closed_candles_come_without_rest_reads() {
    use crate::ws_orders::Logged;
    let candles = wave_candles(2);
    let sim = start_sim(candles.clone()).await;
    sim.server.step(6);
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let transport = Logged {
        inner: ReqwestTransport::new(Duration::from_secs(5), Duration::from_secs(5)).unwrap(),
        log: log.clone(),
    };
    let rest = BinanceRest::with_parts(
        RestConfig::new(&sim.base),
        Some(Credentials::hmac(KEY, SECRET).unwrap()),
        transport,
        Arc::new(SystemClock),
        Arc::new(TokioPause),
    );
    let mut settings = settings();
    settings.candle_window = 4;
    let mut bot = Bot::new(rest, MemoryStore::new(), settings).await.unwrap();
    bot.step().await.unwrap();
    assert_eq!(bot.candles().unwrap(), &candles[2..6]);
    let metrics = bot.metrics().clone();
    let mut cfg = WsConfig::for_rest_base(&sim.base);
    cfg.reconnect_min = Duration::from_millis(20);
    let credentials = Some(Arc::new(Credentials::hmac(KEY, SECRET).unwrap()));
    let events = spawn_streams(&cfg, credentials, vec![Symbol::parse("FILUSDT").unwrap()]);
    let pacing = LivePacing {
        full_every: Duration::from_secs(60),
        price_replan: Duration::from_millis(100),
    };
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let (_commands, command_rx) = tokio::sync::mpsc::channel(1);
    let running = tokio::spawn(async move {
        run_with_events(&mut bot, events, pacing, stop, command_rx)
            .await
            .unwrap();
        bot
    });
    eventually("streams up", 10, || async {
        metrics
            .stream_status()
            .unwrap_or_default()
            .contains("event-driven")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    log.lock().unwrap().clear();
    for _ in 0..3 {
        sim.server.step(1);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    stop_tx.send(true).unwrap();
    let bot = running.await.unwrap();
    assert_eq!(bot.candles().unwrap(), &candles[5..9]);
    let log = log.lock().unwrap().clone();
    assert!(
        !log.iter().any(|l| l == "GET /api/v3/klines"),
        "the stream delivered every close: {log:?}"
    );
}
