//! Request weight per minute of one portfolio process with 1, 5 and 20 grids (issue 15),
//! against the account's limit (`REQUEST_WEIGHT` 6000 a minute), polling and on the streams.
//!
//! The portfolio is `run --portfolio`'s orchestrator on exchange-sim over loopback: one client
//! (one weight budget), one store (SQLite in a temporary directory), one grid per symbol with
//! `config/portfolio-grid.toml` and a 1,000 USDT budget on a 100,000 USDT account, default
//! pacing (poll every 5 s with the streams down; with them up a full loop every 60 s, price
//! loops at most every second per grid, a loop per fill). The market moves every second: one
//! February 2026 one-minute candle a second per symbol, so the server clock runs 60 times the
//! wall's and the bots' server-time cadences (balance snapshot, rules refresh) are stretched 60
//! times to keep their rate per wall minute. Twenty symbols: the five bundled coins' candles,
//! each under four names (`G01USDT`…, exchangeInfo entries copied from the coin's).
//!
//! The figure is the server's total charged weight over the window (start-up excluded; an
//! order request's weight is given back as Binance charges none), per minute. The client's
//! own limiter keeps it under the limit whatever the grid count: a figure near the limit means
//! the polling loop was throttled (and each grid stepped less often than asked).
//!
//! `cargo bench --bench portfolio_weight` (60 s per run, six runs: about 7 minutes);
//! `-- --short` (15 s per run; labelled).

use binance_trader::adapters::binance::rest::{BinanceRest, RestConfig};
use binance_trader::adapters::binance::ws::orders::WsOrders;
use binance_trader::adapters::binance::ws::{spawn_streams, WsConfig};
use binance_trader::adapters::binance::Credentials;
use binance_trader::adapters::klines::{csv, Candle};
use binance_trader::adapters::sim::server::{
    serve, ApiCredential, FaultConfig, SimServer, SimServerConfig, Speed,
};
use binance_trader::adapters::store::SqlStore;
use binance_trader::apps::bot::live::LivePacing;
use binance_trader::apps::bot::{BotMetrics, BotSettings};
use binance_trader::apps::portfolio::{
    run_until_stopped, run_with_events, GridPlan, Portfolio, PortfolioMetrics, Setup,
};
use binance_trader::core::client_id::IdPrefix;
use binance_trader::core::money::{Amount, Quote};
use binance_trader::core::risk::RiskLimits;
use binance_trader::core::strategy::config::StrategyConfig;
use binance_trader::core::symbol::{Asset, Symbol};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "benchKey0123456789";
const SECRET: &str = "benchSecret0123456789";
const COINS: [&str; 5] = ["AVAX", "FIL", "LINK", "LTC", "NEAR"];
/// The account's `REQUEST_WEIGHT` a minute (`data/exchange_info.json`).
const LIMIT: u64 = 6000;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The February 2026 candles of `coin`USDT (`data/klines/`).
fn month(coin: &str) -> Vec<Candle> {
    let path = root().join(format!("data/klines/{coin}USDT-1m-2026-02.csv.gz"));
    csv::parse(&std::fs::read(&path).unwrap(), &path).unwrap()
}

/// `n` grid symbols: the five coins themselves up to five, then `G01USDT`… each a copy of a
/// coin (its candles, its exchangeInfo entry under the new name). Returns the exchangeInfo
/// JSON and the markets.
fn markets(n: usize) -> (String, Vec<(Symbol, Vec<Candle>)>) {
    let text = std::fs::read_to_string(root().join("data/exchange_info.json")).unwrap();
    let mut info: Value = serde_json::from_str(&text).unwrap();
    let entries = info["symbols"].as_array().unwrap().clone();
    let mut out = Vec::new();
    for i in 0..n {
        let coin = COINS[i % COINS.len()];
        let candles = month(coin);
        let name = match n <= COINS.len() {
            true => format!("{coin}USDT"),
            false => format!("G{:02}USDT", i + 1),
        };
        if n > COINS.len() {
            let mut entry = entries
                .iter()
                .find(|e| e["symbol"] == format!("{coin}USDT").as_str())
                .unwrap()
                .clone();
            entry["symbol"] = Value::from(name.clone());
            entry["baseAsset"] = Value::from(format!("G{:02}", i + 1));
            info["symbols"].as_array_mut().unwrap().push(entry);
        }
        out.push((Symbol::parse(&name).unwrap(), candles));
    }
    (info.to_string(), out)
}

fn strategy(symbol: &Symbol) -> StrategyConfig {
    let text = std::fs::read_to_string(root().join("config/portfolio-grid.toml")).unwrap();
    let text = format!("symbol = \"{symbol}\"\nquote_budget = 1000\n{text}");
    StrategyConfig::from_toml_str(&text).unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Polling,
    Streams,
}

/// Weight per minute of a portfolio of `grids` grids run `way` for `window`.
async fn weight_per_minute(grids: usize, way: Way, window: Duration) -> (f64, u64) {
    let (info, markets) = markets(grids);
    let start_ms = markets[0].1[0].open_time_ms;
    let sim = SimServer::new(SimServerConfig {
        exchange_info_json: info,
        start_ms,
        markets: markets.clone(),
        balances: vec![(
            Asset::parse("USDT").unwrap(),
            Amount::parse("100000").unwrap(),
        )],
        speed: Speed::Manual,
        credentials: vec![ApiCredential {
            key: KEY.into(),
            secret: SECRET.to_string().into(),
        }],
        faults: FaultConfig::default(),
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop_server, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, sim.clone(), async {
        let _ = stopped.await;
    }));
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("p.sqlite").display());
    let store = SqlStore::connect(&url).await.unwrap();
    let credentials = Credentials::hmac(KEY, SECRET).unwrap();
    let mut shared = BinanceRest::new(RestConfig::new(&base), Some(credentials)).unwrap();
    let mut ws = WsConfig::for_rest_base(&base);
    ws.budget = Some(shared.weight_budget());
    if way == Way::Streams {
        shared = shared.with_ws_orders(WsOrders::spawn(&ws));
    }
    let plans: Vec<GridPlan> = markets
        .iter()
        .map(|(s, _)| GridPlan {
            name: s.as_str().to_lowercase(),
            prefix: IdPrefix::default(),
            strategy: strategy(s),
            budget: Quote::new(1000.into()),
        })
        .collect();
    let mut settings = BotSettings::new(plans[0].strategy.clone()).with_intent_grace(0);
    settings.snapshot_every_ms *= 60;
    settings.rules_refresh_ms *= 60;
    let interval = settings.interval;
    let metrics = PortfolioMetrics::default();
    let bot_metrics = Arc::new(BotMetrics::with_extra(|r| metrics.register(r)));
    let mut portfolio = Portfolio::new(
        plans,
        |p| shared.for_prefix(p.clone()),
        store,
        Setup {
            limits: RiskLimits::default(),
            initial_equity: Quote::new(100_000.into()),
            settings,
            metrics,
            bot_metrics,
        },
    )
    .await
    .unwrap();
    let symbols = portfolio.symbols();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(async move {
        let (_commands, command_rx) = tokio::sync::mpsc::channel(1);
        match way {
            Way::Polling => run_until_stopped(&mut portfolio, interval, stop, command_rx)
                .await
                .unwrap(),
            Way::Streams => {
                let creds = Arc::new(Credentials::hmac(KEY, SECRET).unwrap());
                let events = spawn_streams(&ws, Some(creds), symbols);
                let pacing = LivePacing::default();
                run_with_events(&mut portfolio, events, interval, pacing, stop, command_rx)
                    .await
                    .unwrap()
            }
        }
    });
    // Start-up (rules, account, the first ladders, the streams' heal) is not the steady state.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let before = sim.limit_stats().total_weight;
    let started = Instant::now();
    while started.elapsed() < window {
        sim.step(grids);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let stats = sim.limit_stats();
    let secs = started.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    let _ = running.await;
    let _ = stop_server.send(());
    (
        (stats.total_weight - before) as f64 * 60.0 / secs,
        stats.limited,
    )
}

fn main() {
    let short = std::env::args().any(|a| a == "--short");
    let window = Duration::from_secs(if short { 15 } else { 60 });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let label = if short { " (--short)" } else { "" };
    println!(
        "request weight per minute of one portfolio process (limit {LIMIT}; one candle a \
         second per symbol, default pacing, {} s window per run{label}):",
        window.as_secs()
    );
    for grids in [1, 5, 20] {
        let mut line = format!("  {grids:>2} grid(s):");
        for way in [Way::Streams, Way::Polling] {
            let (per_min, limited) = rt.block_on(weight_per_minute(grids, way, window));
            let what = match way {
                Way::Streams => "streams up",
                Way::Polling => "polling (streams down)",
            };
            line.push_str(&format!(
                "  {what} {per_min:>6.0} ({:>3.0} % of the limit{})",
                per_min * 100.0 / LIMIT as f64,
                match limited {
                    0 => String::new(),
                    n => format!(", {n} × 429"),
                }
            ));
        }
        println!("{line}");
    }
}
