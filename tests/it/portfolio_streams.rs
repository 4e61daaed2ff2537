//! The portfolio event-driven (`apps::portfolio::streams`): three grids on one user-data
//! connection and one market connection to the exchange server. Fills are pushed to the grid
//! they belong to and journalled at once; the streams cut (a proxy drops every connection) →
//! polling, the fills made meanwhile healed over REST, back up → event-driven; every trade is
//! one fill in the end. With both streams up, prices alone read no account, open orders,
//! trades or tickers for any grid.

use crate::harness::{client, KEY, SECRET};
use crate::portfolio_live::{path, rig, SYMBOLS};
use crate::streams::{eventually, Proxy};
use crate::ws_orders::Logged;
use binance_trader::adapters::binance::rest::{BinanceRest, RestConfig, TokioPause};
use binance_trader::adapters::binance::transport::ReqwestTransport;
use binance_trader::adapters::binance::ws::{spawn_streams, WsConfig};
use binance_trader::adapters::binance::Credentials;
use binance_trader::adapters::clock::SystemClock;
use binance_trader::adapters::sim::server::SimServer;
use binance_trader::apps::bot::live::LivePacing;
use binance_trader::apps::bot::BotMetrics;
use binance_trader::apps::portfolio::{run_with_events, Portfolio};
use binance_trader::core::risk::RiskLimits;
use binance_trader::core::symbol::Symbol;
use binance_trader::ports::exchange::Exchange;
use binance_trader::ports::store::{FillQuery, Store};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn credentials() -> Option<Arc<Credentials>> {
    Some(Arc::new(Credentials::hmac(KEY, SECRET).unwrap()))
}

fn ws_config(base: &str) -> WsConfig {
    let mut cfg = WsConfig::for_rest_base(base);
    cfg.reconnect_min = Duration::from_millis(20);
    cfg.reconnect_max = Duration::from_millis(200);
    cfg.timeout = Duration::from_secs(5);
    cfg
}

fn symbols() -> Vec<Symbol> {
    SYMBOLS.iter().map(|s| Symbol::parse(s).unwrap()).collect()
}

/// Every trade of the three symbols, read from the engine (the test's own requests must not
/// spend the account's weight).
fn trades(sim: &SimServer) -> usize {
    let engine = sim.exchange();
    let engine = engine.lock().unwrap();
    symbols()
        .iter()
        .map(|s| engine.my_trades(s, Some(0), 1000).unwrap().len())
        .sum()
}

async fn fills(store: &impl Store) -> usize {
    let query = FillQuery {
        limit: 10_000,
        ..Default::default()
    };
    store.fills(&query).await.unwrap().len()
}

/// Runs `portfolio` on the streams of the server at `stream_base` (a full loop a minute,
/// price loops at most every 100 ms per grid, polling every `interval` while a stream is
/// down) until the returned sender says stop; returns once the streams are up.
async fn on_streams<E, S>(
    mut portfolio: Portfolio<E, S>,
    metrics: &BotMetrics,
    stream_base: &str,
    interval: Duration,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<u64>,
)
where
    E: Exchange + 'static,
    S: Store + 'static,
{
    let events = spawn_streams(&ws_config(stream_base), credentials(), symbols());
    let pacing = LivePacing {
        full_every: Duration::from_secs(60),
        price_replan: Duration::from_millis(100),
    };
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(async move {
        let (_commands, command_rx) = tokio::sync::mpsc::channel(1);
        run_with_events(&mut portfolio, events, interval, pacing, stop, command_rx)
            .await
            .unwrap()
    });
    eventually("streams up", 10, || async {
        metrics
            .stream_status()
            .unwrap_or_default()
            .contains("event-driven")
    })
    .await;
    (stop_tx, running)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_grid_trades_on_pushed_fills_over_one_connection_and_heals_a_cut() {
    let wave = || {
        let mut pieces = Vec::new();
        for _ in 0..2 {
            pieces.extend([(2, 0), (5, -12), (10, 10), (3, -15)]);
        }
        path(&pieces)
    };
    let rig = rig(
        [wave(), wave(), wave()],
        "3000",
        "1000",
        "1000",
        RiskLimits::default(),
    )
    .await;
    let n = wave().len();
    let proxy = Proxy::start(&rig.base).await;
    let (sim, store) = (rig.sim.clone(), rig.store.clone());
    let (portfolio, metrics) = rig.setup.start_on(client(&rig.base), &store).await;
    // A slow poll: what is journalled within it while the streams are up was pushed.
    let (stop_tx, running) =
        on_streams(portfolio, &metrics, &proxy.base, Duration::from_secs(2)).await;
    let status = || metrics.stream_status().unwrap_or_default();
    assert_eq!(
        sim.ws_connections(),
        2,
        "one user-data and one market connection for the three grids"
    );
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
        sim.step(SYMBOLS.len());
        let end = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let (t, f) = (trades(&sim), fills(&store).await);
            if t == f {
                break;
            }
            assert!(
                tokio::time::Instant::now() < end,
                "after minute {i} of {n}: {f} fills journalled of {t} trades ({})",
                status()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Let the grids finish reacting (their follow-up steps sync over REST): the next
        // minute's trades then meet an idle loop, and their events are what it acts on.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    stop_tx.send(true).unwrap();
    running.await.unwrap();
    // Each grid's fills came pushed (journalled by that grid's bot, tagged by the stream).
    let baskets: BTreeMap<u32, Symbol> = store
        .baskets(false)
        .await
        .unwrap()
        .into_iter()
        .map(|b| (b.basket.id, b.symbol))
        .collect();
    let pushed: BTreeSet<Symbol> = store
        .events(100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "fill" && e.message.contains("pushed"))
        .filter_map(|e| e.basket_id.and_then(|id| baskets.get(&id).cloned()))
        .collect();
    assert_eq!(
        pushed,
        symbols().into_iter().collect(),
        "every grid traded on pushed fills"
    );
    let total = trades(&sim);
    assert!(total >= 9, "too few trades to mean anything: {total}");
    assert_eq!(fills(&store).await, total, "every trade exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_both_streams_up_prices_alone_read_nothing_but_the_time() {
    // A creep up: every minute moves every price, nothing fills.
    let creep = || path(&[(30, 1)]);
    let rig = rig(
        [creep(), creep(), creep()],
        "3000",
        "1000",
        "1000",
        RiskLimits::default(),
    )
    .await;
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let transport = Logged {
        inner: ReqwestTransport::new(Duration::from_secs(5), Duration::from_secs(5)).unwrap(),
        log: log.clone(),
    };
    let shared = BinanceRest::with_parts(
        RestConfig::new(&rig.base),
        Some(Credentials::hmac(KEY, SECRET).unwrap()),
        transport,
        Arc::new(SystemClock),
        Arc::new(TokioPause),
    );
    let (portfolio, metrics) = rig.setup.start_on(shared, &rig.store).await;
    let (stop_tx, running) =
        on_streams(portfolio, &metrics, &rig.base, Duration::from_secs(60)).await;
    // The heal on `Up` is a full loop (and the baskets' first ladders follow it); then only
    // prices come.
    tokio::time::sleep(Duration::from_millis(800)).await;
    log.lock().unwrap().clear();
    for _ in 0..6 {
        rig.sim.step(SYMBOLS.len());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stop_tx.send(true).unwrap();
    running.await.unwrap();
    let log = log.lock().unwrap().clone();
    let count = |what: &str| log.iter().filter(|l| l.as_str() == what).count();
    let times = count("GET /api/v3/time");
    assert!(
        times >= 6,
        "price loops ran (each reads the server time): {log:?}"
    );
    // One time read per loop, handed to the grids (at most a loop per symbol and minute);
    // a read per grid would be at least four a minute (the loop's and three grids').
    assert!(
        times <= 3 * 6,
        "{times} time reads for 6 minutes: the grids read their own: {log:?}"
    );
    for read in [
        "GET /api/v3/account",
        "GET /api/v3/openOrders",
        "GET /api/v3/myTrades",
        "GET /api/v3/ticker/price",
    ] {
        assert_eq!(count(read), 0, "{read}: {log:?}");
    }
}
