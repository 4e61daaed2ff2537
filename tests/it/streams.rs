//! The bot event-driven over the exchange's WebSocket user-data stream, on loopback: fills
//! pushed and journalled at once, the stream cut (a TCP proxy in front of the server drops
//! every connection and refuses new ones) → polling, fills made meanwhile healed over REST,
//! the stream back → event-driven again; in the end the store equals the exchange and every
//! trade is one fill.

use crate::bot::{settings, settle};
use crate::harness::{assert_store_matches_exchange, client, start_sim, wave_candles, KEY, SECRET};
use binance_trader::adapters::binance::ws::{spawn_streams, WsConfig};
use binance_trader::adapters::binance::Credentials;
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::apps::bot::live::{run_with_events, LivePacing};
use binance_trader::apps::bot::{Bot, QUIESCENT_KEY};
use binance_trader::core::symbol::Symbol;
use binance_trader::ports::events::{EventSource, ExchangeEvent, StreamKind, StreamState};
use binance_trader::ports::exchange::Exchange;
use binance_trader::ports::store::{FillQuery, Store};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// A TCP forwarder that can cut every connection and refuse new ones.
pub(crate) struct Proxy {
    pub(crate) base: String,
    open: Arc<AtomicBool>,
    cut: broadcast::Sender<()>,
}

impl Proxy {
    pub(crate) async fn start(upstream_base: &str) -> Self {
        let upstream: SocketAddr = upstream_base.trim_start_matches("http://").parse().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let open = Arc::new(AtomicBool::new(true));
        let (cut, _) = broadcast::channel(4);
        let (gate, cuts) = (open.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !gate.load(Ordering::SeqCst) {
                    continue; // dropped: connection refused in effect
                }
                let mut cut_rx = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut out) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut out) => {}
                        _ = cut_rx.recv() => {}
                    }
                });
            }
        });
        Self { base, open, cut }
    }

    pub(crate) fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        let _ = self.cut.send(());
    }

    pub(crate) fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

fn ws_config(proxy: &Proxy) -> WsConfig {
    let mut cfg = WsConfig::for_rest_base(&proxy.base);
    cfg.reconnect_min = Duration::from_millis(20);
    cfg.reconnect_max = Duration::from_millis(200);
    cfg.timeout = Duration::from_secs(5);
    cfg
}

fn credentials() -> Option<Arc<Credentials>> {
    Some(Arc::new(Credentials::hmac(KEY, SECRET).unwrap()))
}

/// Polls `cond` every 10 ms for up to `secs` seconds.
pub(crate) async fn eventually<F: std::future::Future<Output = bool>>(
    what: &str,
    secs: u64,
    mut cond: impl FnMut() -> F,
) {
    let end = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < end {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn fill_count(store: &impl Store) -> usize {
    let query = FillQuery {
        limit: 10_000,
        ..Default::default()
    };
    store.fills(&query).await.unwrap().len()
}

async fn next_stream_state(events: &mut impl EventSource) -> StreamState {
    loop {
        let e = tokio::time::timeout(Duration::from_secs(10), events.next_event())
            .await
            .expect("an event in time")
            .expect("source open");
        if let ExchangeEvent::Stream {
            kind: StreamKind::User,
            state,
        } = e
        {
            return state;
        }
    }
}

#[tokio::test]
async fn the_user_stream_reconnects_after_a_cut_and_repeats_no_trade() {
    let candles = wave_candles(1);
    let n = candles.len();
    let sim = start_sim(candles).await;
    let proxy = Proxy::start(&sim.base).await;
    // A polling bot places the grid; the feed then reports what the candles do to it.
    let mut bot = Bot::new(client(&sim.base), MemoryStore::new(), settings())
        .await
        .unwrap();
    settle(&mut bot).await;
    let mut events = spawn_streams(&ws_config(&proxy), credentials(), vec![]);
    assert_eq!(next_stream_state(&mut events).await, StreamState::Up);

    let mut trades = BTreeSet::new();
    fn record(trades: &mut BTreeSet<(u64, u64)>, e: &ExchangeEvent) {
        if let ExchangeEvent::Order(u) = e {
            if let Some(t) = &u.trade {
                assert!(trades.insert((t.order_id, t.trade_id)), "trade {t:?} twice");
            }
        }
    }
    for _ in 0..n / 2 {
        sim.server.step(1);
        settle(&mut bot).await;
    }
    proxy.cut();
    loop {
        let e = tokio::time::timeout(Duration::from_secs(10), events.next_event())
            .await
            .unwrap()
            .unwrap();
        record(&mut trades, &e);
        if let ExchangeEvent::Stream { state, .. } = &e {
            assert!(matches!(state, StreamState::Down { .. }), "{state:?}");
            break;
        }
    }
    let seen_before_cut = trades.len();
    assert!(seen_before_cut > 0, "fills pushed before the cut");
    proxy.restore();
    match next_stream_state(&mut events).await {
        StreamState::Gap { .. } => {}
        other => panic!("expected a gap after the reconnect, got {other:?}"),
    }
    for _ in n / 2..n {
        sim.server.step(1);
        settle(&mut bot).await;
    }
    // Drain what the rest of the candles pushed.
    while let Ok(Some(e)) =
        tokio::time::timeout(Duration::from_millis(300), events.next_event()).await
    {
        record(&mut trades, &e);
    }
    let symbol = Symbol::parse("FILUSDT").unwrap();
    let all = bot.exchange().my_trades(&symbol, 0).await.unwrap();
    assert!(trades.len() <= all.len());
    assert!(
        trades.len() > seen_before_cut,
        "fills pushed after the reconnect"
    );
}

#[tokio::test]
async fn the_bot_trades_on_pushed_fills_falls_back_to_polling_and_heals() {
    let candles = wave_candles(2);
    let n = candles.len();
    let sim = start_sim(candles).await;
    let proxy = Proxy::start(&sim.base).await;
    let mut s = settings();
    // A slow poll: fills seen within it come from the stream.
    s.interval = Duration::from_secs(2);
    let db = crate::store::fixtures::TestDb::sqlite().await;
    let journal = db.store.clone();
    let mut bot = Bot::new(client(&sim.base), db.store.clone(), s)
        .await
        .unwrap();
    let metrics = bot.metrics().clone();
    let events = spawn_streams(&ws_config(&proxy), credentials(), vec![]);
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let (_commands, command_rx) = tokio::sync::mpsc::channel(1);
    let running = tokio::spawn(async move {
        run_with_events(&mut bot, events, LivePacing::default(), stop, command_rx)
            .await
            .unwrap();
        bot
    });
    let rest = client(&sim.base);
    let symbol = Symbol::parse("FILUSDT").unwrap();
    let status = || metrics.stream_status().unwrap_or_default();
    eventually("streams up", 10, || async {
        status().contains("event-driven")
    })
    .await;
    // The stream may come up before the first step has placed the grid.
    eventually("the grid placed", 10, || async {
        !journal.open_orders().await.unwrap().is_empty()
    })
    .await;
    for i in 0..n {
        if i == n / 3 {
            proxy.cut();
            eventually("polling", 10, || async { status().contains("polling") }).await;
        }
        if i == 2 * n / 3 {
            proxy.restore();
            eventually("streams up again", 10, || async {
                status().contains("up again")
            })
            .await;
        }
        sim.server.step(1);
        // Every trade becomes a fill: pushed while the stream is up, polled while it is down.
        // The trades are re-read each time: the bot's reaction to this candle may trade too
        // (an order that crosses fills at once).
        let end = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            // Read from the engine: the test's own requests must not spend the account's weight.
            let trades = sim
                .server
                .exchange()
                .lock()
                .unwrap()
                .my_trades(&symbol, Some(0), 1000)
                .unwrap()
                .len();
            let fills = fill_count(&journal).await;
            if fills == trades {
                break;
            }
            assert!(
                tokio::time::Instant::now() < end,
                "after candle {i} of {n}: {fills} fills journalled of {trades} trades ({})",
                status()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    stop_tx.send(true).unwrap();
    let mut bot = running.await.unwrap();
    settle(&mut bot).await;
    assert_store_matches_exchange(bot.store(), bot.exchange()).await;
    let events = bot.store().events(10_000).await.unwrap();
    let pushed = events
        .iter()
        .filter(|e| e.kind == "fill" && e.message.contains("pushed"))
        .count();
    assert!(pushed > 0, "some fills were journalled from the stream");
    assert_eq!(
        fill_count(bot.store()).await,
        rest.my_trades(&symbol, 0).await.unwrap().len(),
        "every trade once"
    );
}

/// FILUSDT creeping up 0.05 % a candle from 4.000: every candle moves the price, none fills
/// (the grid's buys are below, nothing is held to sell).
fn creeping_candles(n: usize) -> Vec<binance_trader::adapters::klines::Candle> {
    use binance_trader::core::money::{Price, Qty};
    use rust_decimal::Decimal;
    let mut last = Decimal::new(4_000, 3);
    (0..n)
        .map(|i| {
            let open = last;
            last = (open * Decimal::new(10_005, 4)).round_dp(3);
            let t = crate::harness::T0 + i as i64 * 60_000;
            binance_trader::adapters::klines::Candle {
                open_time_ms: t,
                open: Price::new(open),
                high: Price::new(last),
                low: Price::new(open),
                close: Price::new(last),
                volume: Qty::new(Decimal::from(100_000)),
                close_time_ms: t + 59_999,
            }
        })
        .collect()
}

/// A settled bot whose REST requests are logged ("GET /api/v3/time", …), running on the
/// streams of `sim` with `pacing`.
struct LoggedRun {
    log: Arc<std::sync::Mutex<Vec<String>>>,
    metrics: Arc<binance_trader::apps::bot::metrics::BotMetrics>,
    symbol: Symbol,
    stop_tx: tokio::sync::watch::Sender<bool>,
    running: tokio::task::JoinHandle<Bot<LoggedRest, MemoryStore>>,
}

type LoggedRest = binance_trader::adapters::binance::rest::BinanceRest<crate::ws_orders::Logged>;

async fn logged_run(sim: &crate::harness::Sim, pacing: LivePacing) -> LoggedRun {
    use crate::ws_orders::Logged;
    use binance_trader::adapters::binance::rest::{BinanceRest, RestConfig, TokioPause};
    use binance_trader::adapters::binance::transport::ReqwestTransport;
    use binance_trader::adapters::clock::SystemClock;

    let log = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
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
    let mut bot = Bot::new(rest, MemoryStore::new(), settings())
        .await
        .unwrap();
    settle(&mut bot).await;
    let metrics = bot.metrics().clone();
    let symbol = Symbol::parse("FILUSDT").unwrap();
    let mut cfg = WsConfig::for_rest_base(&sim.base);
    cfg.reconnect_min = Duration::from_millis(20);
    let events = spawn_streams(&cfg, credentials(), vec![symbol.clone()]);
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(async move {
        let (_commands, command_rx) = tokio::sync::mpsc::channel(1);
        run_with_events(&mut bot, events, pacing, stop, command_rx)
            .await
            .unwrap();
        bot
    });
    LoggedRun {
        log,
        metrics,
        symbol,
        stop_tx,
        running,
    }
}

/// Nor does such a step record quiescence (`QUIESCENT_KEY`): it did not read the exchange,
/// so a fill still on its way over the user-data stream may be waiting (the crash tests'
/// lock-step would feed the next candle on it and the run would drift from the reference).
#[tokio::test]
async fn with_both_streams_up_a_price_alone_reads_neither_open_orders_nor_trades() {
    let sim = start_sim(creeping_candles(12)).await;
    let pacing = LivePacing {
        full_every: Duration::from_secs(60),
        price_replan: Duration::from_millis(100),
    };
    let LoggedRun {
        log,
        metrics,
        symbol,
        stop_tx,
        running,
    } = logged_run(&sim, pacing).await;
    let status = || metrics.stream_status().unwrap_or_default();
    eventually("streams up", 10, || async {
        status().contains("event-driven")
    })
    .await;
    // The heal on `Up` (one per stream) is a full step; then only prices come.
    tokio::time::sleep(Duration::from_millis(500)).await;
    log.lock().unwrap().clear();
    let healed_at = sim.server.now_ms();
    let count = |log: &[String], what: &str| log.iter().filter(|l| l.as_str() == what).count();
    for _ in 0..6 {
        sim.server.step(1);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stop_tx.send(true).unwrap();
    let bot = running.await.unwrap();
    let log = log.lock().unwrap().clone();
    assert!(
        count(&log, "GET /api/v3/time") >= 3,
        "price steps ran (each reads the server time): {log:?}"
    );
    assert_eq!(count(&log, "GET /api/v3/openOrders"), 0, "{log:?}");
    assert_eq!(count(&log, "GET /api/v3/myTrades"), 0, "{log:?}");
    assert_eq!(count(&log, "GET /api/v3/ticker/price"), 0, "{log:?}");
    let quiescent: i64 = bot
        .store()
        .config_value(QUIESCENT_KEY)
        .await
        .unwrap()
        .expect("the heal on `Up` was quiescent")
        .parse()
        .unwrap();
    assert!(sim.server.now_ms() > healed_at);
    assert_eq!(
        quiescent, healed_at,
        "a step on the journal recorded quiescence"
    );
    assert!(bot
        .exchange()
        .my_trades(&symbol, 0)
        .await
        .unwrap()
        .is_empty());
}

/// A pushed fill is answered on the journal: the replacement order goes out after a ticker
/// read alone, before the full step (open orders, trades) that confirms it — the way from a
/// fill to its replacement holds no REST read of the account (issue 14's latency).
#[tokio::test]
async fn with_both_streams_up_a_pushed_fill_is_answered_before_the_rest_sync() {
    let sim = start_sim(wave_candles(1)).await;
    let LoggedRun {
        log,
        metrics,
        symbol,
        stop_tx,
        running,
    } = logged_run(&sim, LivePacing::default()).await;
    eventually("streams up", 10, || async {
        metrics
            .stream_status()
            .unwrap_or_default()
            .contains("event-driven")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let watcher = client(&sim.base);
    let mut filled = false;
    for _ in 0..60 {
        log.lock().unwrap().clear();
        sim.server.step(1);
        tokio::time::sleep(Duration::from_millis(400)).await;
        if !watcher.my_trades(&symbol, 0).await.unwrap().is_empty() {
            filled = true;
            break;
        }
    }
    assert!(filled, "no candle filled an order");
    stop_tx.send(true).unwrap();
    running.await.unwrap();
    let log = log.lock().unwrap().clone();
    let first = |what: &str| log.iter().position(|l| l.as_str() == what);
    let placed = first("POST /api/v3/order").expect("no replacement order");
    let synced = first("GET /api/v3/openOrders").expect("no confirming full step");
    assert!(
        placed < synced,
        "the replacement waited for the REST sync: {log:?}"
    );
    let before: Vec<&String> = log[..placed]
        .iter()
        .filter(|l| l.starts_with("GET"))
        .collect();
    assert_eq!(
        before,
        ["GET /api/v3/ticker/price"],
        "reads before the replacement: {log:?}"
    );
    assert!(first("GET /api/v3/myTrades").is_some_and(|t| t > placed));
}

/// The event-driven loop is operable as the polling one is: it records each step and the
/// pair for `status`, and runs a `close-all` queued in the store by another process.
#[tokio::test]
async fn the_event_driven_loop_records_its_steps_and_serves_a_queued_close_all() {
    use binance_trader::apps::bot::runner::{wall_ms, LAST_STEP_KEY};
    use binance_trader::core::basket::BasketStatus;
    use binance_trader::ports::operator::{CommandKind, CommandState};

    let sim = start_sim(wave_candles(1)).await;
    let db = crate::store::fixtures::TestDb::sqlite().await;
    let journal = db.store.clone();
    let mut s = settings();
    s.interval = Duration::from_secs(2);
    let mut bot = Bot::new(client(&sim.base), db.store.clone(), s)
        .await
        .unwrap();
    let metrics = bot.metrics().clone();
    let events = spawn_streams(&WsConfig::for_rest_base(&sim.base), credentials(), vec![]);
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let (_commands, command_rx) = tokio::sync::mpsc::channel(1);
    let running = tokio::spawn(async move {
        run_with_events(&mut bot, events, LivePacing::default(), stop, command_rx)
            .await
            .unwrap();
    });
    eventually("streams up", 10, || async {
        metrics
            .stream_status()
            .unwrap_or_default()
            .contains("event-driven")
    })
    .await;
    eventually("the grid placed and the step recorded", 10, || async {
        journal.config_value(LAST_STEP_KEY).await.unwrap().is_some()
            && !journal.open_orders().await.unwrap().is_empty()
    })
    .await;
    assert_eq!(
        journal
            .config_value("pair:FILUSDT")
            .await
            .unwrap()
            .as_deref(),
        Some("FIL/USDT")
    );
    let id = journal
        .enqueue_command(CommandKind::CloseAll, wall_ms())
        .await
        .unwrap();
    eventually("the queued close-all done", 10, || async {
        journal
            .command(id)
            .await
            .unwrap()
            .is_some_and(|c| c.state == CommandState::Done)
    })
    .await;
    let receipt = journal.command(id).await.unwrap().unwrap().receipt.unwrap();
    assert!(!receipt.is_empty());
    let baskets = journal.baskets(false).await.unwrap();
    assert!(
        baskets
            .iter()
            .all(|b| b.basket.status == BasketStatus::EmergencyClosed),
        "{baskets:?}"
    );
    stop_tx.send(true).unwrap();
    running.await.unwrap();
}

/// How the user-data feed's connection is replaced mid-run in [`a_replaced_connection`].
#[derive(Clone, Copy)]
enum Replacement {
    /// The server sends `serverShutdown` and closes a moment later.
    ServerShutdown,
    /// The client's own rotation before the server's lifetime (Binance: 24 h; here 400 ms).
    Rotation,
}

/// Runs the wave with the feed's connection replaced half-way (`how`); returns the stream
/// states seen after the replacement started, the trades pushed (each must be unique) and
/// every trade on the exchange.
async fn a_replaced_connection(how: Replacement) -> (Vec<StreamState>, usize, usize) {
    let candles = wave_candles(1);
    let n = candles.len();
    let sim = start_sim(candles).await;
    // The server's lifetime of a connection is cut to 700 ms for the rotation: a client that
    // did not rotate (at 400 ms) would lose its connection, a gap.
    let lifetime_ms = match how {
        Replacement::Rotation => 700,
        Replacement::ServerShutdown => 86_400_000,
    };
    sim.server
        .set_ws_timing(binance_trader::adapters::sim::server::WsTiming {
            shutdown_grace_ms: 1_000,
            lifetime_ms,
            ..Default::default()
        });
    let mut bot = Bot::new(client(&sim.base), MemoryStore::new(), settings())
        .await
        .unwrap();
    settle(&mut bot).await;
    let mut cfg = WsConfig::for_rest_base(&sim.base);
    if matches!(how, Replacement::Rotation) {
        cfg.rotate_after = Duration::from_millis(400);
    }
    let mut events = spawn_streams(&cfg, credentials(), vec![]);
    assert_eq!(next_stream_state(&mut events).await, StreamState::Up);
    let mut trades = BTreeSet::new();
    let mut states = Vec::new();
    let drain = |e: ExchangeEvent, trades: &mut BTreeSet<(u64, u64)>, states: &mut Vec<_>| match e {
        ExchangeEvent::Order(u) => {
            if let Some(t) = &u.trade {
                assert!(trades.insert((t.order_id, t.trade_id)), "trade {t:?} twice");
            }
        }
        ExchangeEvent::Stream { state, .. } => states.push(state),
        _ => {}
    };
    for i in 0..n {
        if i == n / 2 && matches!(how, Replacement::ServerShutdown) {
            assert!(sim.server.shut_down_ws_connections() >= 1);
        }
        sim.server.step(1);
        settle(&mut bot).await;
        // Spread the candles over the rotation period and the shutdown's grace.
        tokio::time::sleep(Duration::from_millis(60)).await;
        while let Ok(Some(e)) =
            tokio::time::timeout(Duration::from_millis(5), events.next_event()).await
        {
            drain(e, &mut trades, &mut states);
        }
    }
    while let Ok(Some(e)) =
        tokio::time::timeout(Duration::from_millis(500), events.next_event()).await
    {
        drain(e, &mut trades, &mut states);
    }
    let symbol = Symbol::parse("FILUSDT").unwrap();
    let all = bot.exchange().my_trades(&symbol, 0).await.unwrap().len();
    (states, trades.len(), all)
}

/// `serverShutdown`: the feed subscribes a second connection before the first closes, so no
/// trade is lost or doubled and the bot sees no gap (it would heal over REST for nothing).
#[tokio::test]
async fn a_server_shutdown_is_bridged_without_a_gap() {
    let (states, pushed, all) = a_replaced_connection(Replacement::ServerShutdown).await;
    assert!(
        states
            .iter()
            .all(|s| !matches!(s, StreamState::Down { .. } | StreamState::Gap { .. })),
        "{states:?}"
    );
    assert_eq!(pushed, all, "every trade pushed once across the shutdown");
}

/// The rotation before the server's 24-hour cut (here the cut is at 700 ms and the rotation
/// at 400 ms, several times over the run): overlapping connections, every trade once, no gap.
#[tokio::test]
async fn the_rotation_before_the_daily_cut_loses_and_doubles_nothing() {
    let (states, pushed, all) = a_replaced_connection(Replacement::Rotation).await;
    assert!(
        states
            .iter()
            .all(|s| !matches!(s, StreamState::Down { .. } | StreamState::Gap { .. })),
        "{states:?}"
    );
    assert!(all > 0);
    assert_eq!(pushed, all, "every trade pushed once across the rotations");
}

/// A stall (exchange-sim's `ws_stall`: nothing sent, pings answered) is seen by the feed
/// through its silence: no frame, not even the `ping` probe's answer, for `stall_after` →
/// `Down`, the bot polls; once the stall is lifted the feed subscribes again → `Gap`, the bot
/// heals. The fills made during the stall, whose events the server never sent, are all
/// journalled once, and the store equals the exchange.
#[tokio::test]
async fn a_stalled_user_stream_is_detected_replaced_and_its_fills_healed() {
    use binance_trader::adapters::sim::server::FaultConfig;
    let candles = wave_candles(2);
    let n = candles.len();
    let sim = start_sim(candles).await;
    let mut s = settings();
    // A slow poll: fills seen within it come from the stream.
    s.interval = Duration::from_secs(2);
    let db = crate::store::fixtures::TestDb::sqlite().await;
    let journal = db.store.clone();
    let mut bot = Bot::new(client(&sim.base), db.store.clone(), s)
        .await
        .unwrap();
    let metrics = bot.metrics().clone();
    let mut cfg = WsConfig::for_rest_base(&sim.base);
    cfg.reconnect_min = Duration::from_millis(20);
    cfg.reconnect_max = Duration::from_millis(200);
    cfg.timeout = Duration::from_millis(500);
    cfg.probe_every = Duration::from_millis(200);
    cfg.stall_after = Duration::from_millis(800);
    let events = spawn_streams(&cfg, credentials(), vec![]);
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let (_commands, command_rx) = tokio::sync::mpsc::channel(1);
    let running = tokio::spawn(async move {
        run_with_events(&mut bot, events, LivePacing::default(), stop, command_rx)
            .await
            .unwrap();
        bot
    });
    let symbol = Symbol::parse("FILUSDT").unwrap();
    let status = || metrics.stream_status().unwrap_or_default();
    let engine_trades = || {
        sim.server
            .exchange()
            .lock()
            .unwrap()
            .my_trades(&symbol, Some(0), 1000)
            .unwrap()
            .len()
    };
    eventually("streams up", 10, || async {
        status().contains("event-driven")
    })
    .await;
    // Healthy and idle for several probe periods: the probes' answers keep it up.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(status().contains("event-driven"), "{}", status());
    let mut stalled_trades = (0, 0);
    for i in 0..n {
        if i == n / 3 {
            sim.server.set_faults(FaultConfig {
                ws_stall: true,
                ..FaultConfig::default()
            });
            stalled_trades.0 = engine_trades();
        }
        if i == n / 3 + 1 {
            // Detected by silence alone: the server still answers WebSocket pings.
            eventually("the stall seen (polling)", 10, || async {
                status().contains("polling")
            })
            .await;
        }
        if i == 2 * n / 3 {
            stalled_trades.1 = engine_trades();
            sim.server.set_faults(FaultConfig::default());
            eventually("streams up again", 10, || async {
                status().contains("up again")
            })
            .await;
        }
        sim.server.step(1);
        // Every trade becomes one fill: pushed while the stream is up, polled or healed
        // while it is stalled.
        let end = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let (trades, fills) = (engine_trades(), fill_count(&journal).await);
            if fills == trades {
                break;
            }
            assert!(
                tokio::time::Instant::now() < end,
                "after candle {i} of {n}: {fills} fills journalled of {trades} trades ({})",
                status()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Let the bot finish reacting (its next orders rest before the next candle), so that
        // the stalled window trades however loaded the machine is.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(
        stalled_trades.1 > stalled_trades.0,
        "trades were made during the stall: {stalled_trades:?}"
    );
    stop_tx.send(true).unwrap();
    let mut bot = running.await.unwrap();
    settle(&mut bot).await;
    assert_store_matches_exchange(bot.store(), bot.exchange()).await;
    assert_eq!(
        fill_count(bot.store()).await,
        engine_trades(),
        "every trade once"
    );
}

/// The server duplicates every other user-data event and reorders some: the feed passes each
/// trade on exactly once (de-duplicated by order and trade id), none is lost, and the bot's
/// journal holds each trade as one fill.
#[tokio::test]
async fn duplicated_and_reordered_user_events_are_applied_once() {
    use binance_trader::adapters::sim::server::{FaultConfig, FaultRate};
    let candles = wave_candles(1);
    let n = candles.len();
    let sim = start_sim(candles).await;
    let mut bot = Bot::new(client(&sim.base), MemoryStore::new(), settings())
        .await
        .unwrap();
    settle(&mut bot).await;
    let cfg = WsConfig::for_rest_base(&sim.base);
    let mut events = spawn_streams(&cfg, credentials(), vec![]);
    assert_eq!(next_stream_state(&mut events).await, StreamState::Up);
    sim.server.set_faults(FaultConfig {
        ws_duplicate: FaultRate {
            next: 0,
            per_mille: 500,
        },
        ws_reorder: FaultRate {
            next: 0,
            per_mille: 300,
        },
        ..FaultConfig::default()
    });
    let mut trades = BTreeSet::new();
    let mut pushed = 0;
    let mut drain = |e: ExchangeEvent| {
        if let ExchangeEvent::Order(u) = e {
            if let Some(t) = &u.trade {
                pushed += 1;
                assert!(trades.insert((t.order_id, t.trade_id)), "trade {t:?} twice");
            }
        }
    };
    for _ in 0..n {
        sim.server.step(1);
        settle(&mut bot).await;
        while let Ok(Some(e)) =
            tokio::time::timeout(Duration::from_millis(20), events.next_event()).await
        {
            drain(e);
        }
    }
    while let Ok(Some(e)) =
        tokio::time::timeout(Duration::from_millis(300), events.next_event()).await
    {
        drain(e);
    }
    let symbol = Symbol::parse("FILUSDT").unwrap();
    let all = bot.exchange().my_trades(&symbol, 0).await.unwrap().len();
    assert!(all >= 5, "too few trades to mean anything: {all}");
    assert_eq!(pushed, all, "each trade pushed once, none lost");
    assert_eq!(fill_count(bot.store()).await, all, "each trade one fill");
}
