//! Reaction time and request weight of the bot against exchange-sim on loopback (issue 14).
//!
//! **Latency**: from a fill on the server (the moment before the candle that fills one of
//! the bot's orders is fed to the engine) to the server accepting the next new order (its
//! own wall clock, `SimServer::record_accepts`), for three ways of running the bot:
//! REST polling (every `POLL_MS`), streams + REST orders, streams + WebSocket orders. The
//! market is a wave that fills a grid level, a take-profit or the trailing exit every few
//! candles; the bench feeds the next candle once the bot is quiet again (no new order for
//! `QUIET_MS`). A fill the bot answers with no new order (an amend, a basket closing) within
//! the timeout is counted apart. The store is SQLite in a temporary directory, as in
//! production (each placement is journalled before it is sent).
//!
//! **Weight per hour**: 1 and 5 bots (FILUSDT; then the five symbols of
//! `config/portfolio.toml` on their February 2026 candles), one candle a second per symbol so
//! that prices move every second (a busy market), default pacing (poll every 5 s with the
//! streams down; with them up a full step every 60 s, a price step at most every second, a
//! step per fill); the server clock then runs 60 times the wall's, so the bot's server-time
//! cadences (snapshot, rules) are stretched 60 times to keep their rate per wall hour. The
//! server's total request weight over the window (start-up excluded), scaled to an hour.
//!
//! `cargo bench --bench latency` (≥ 1,000 fills per way, a 120 s weight window: about half
//! an hour on a 2-core VM); `-- --short` (100 fills, a 20 s window; labelled).

use binance_trader::adapters::binance::rest::{BinanceRest, RestConfig};
use binance_trader::adapters::binance::ws::orders::WsOrders;
use binance_trader::adapters::binance::ws::{spawn_streams, WsConfig};
use binance_trader::adapters::binance::Credentials;
use binance_trader::adapters::klines::{csv, Candle};
use binance_trader::adapters::sim::server::{
    serve, ApiCredential, FaultConfig, SimServer, SimServerConfig, Speed,
};
use binance_trader::adapters::store::SqlStore;
use binance_trader::apps::bot::live::{run_with_events, LivePacing};
use binance_trader::apps::bot::{runner, Bot, BotSettings};
use binance_trader::core::money::{Amount, Price, Qty};
use binance_trader::core::strategy::config::StrategyConfig;
use binance_trader::core::symbol::{Asset, Symbol};
use rust_decimal::Decimal;
use std::path::Path;
use std::time::{Duration, Instant};

const KEY: &str = "benchKey0123456789";
const SECRET: &str = "benchSecret0123456789";
/// The polling bot's interval in the latency runs (the default is 5 s; its latency is a
/// uniform wait for the next poll plus one step, so it scales with the interval: 500 ms keeps
/// the run short).
const POLL_MS: u64 = 500;
/// The bot counts as quiet after this long without a new order.
const QUIET_MS: u64 = 60;
const T0: i64 = 1_699_999_980_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Polling,
    StreamsRest,
    StreamsWs,
}

impl Way {
    fn label(self) -> String {
        match self {
            Way::Polling => format!("REST polling ({POLL_MS} ms)"),
            Way::StreamsRest => "streams + REST orders".into(),
            Way::StreamsWs => "streams + WebSocket orders".into(),
        }
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn strategy(symbol: &Symbol) -> StrategyConfig {
    let text = std::fs::read_to_string(root().join("config/backtest.toml")).unwrap();
    let mut s = StrategyConfig::from_toml_str(&text).unwrap();
    s.symbol = symbol.clone();
    s
}

/// Waves of a 6 % slide (three grid levels), a 10 % rally (TP1, TP2, trailing activation)
/// and a 3 % pullback (the trailing exit), one candle a minute from `start`.
fn waves(n: usize, start: Decimal) -> Vec<Candle> {
    let mut moves: Vec<Decimal> = Vec::new();
    for _ in 0..n {
        moves.extend([Decimal::ZERO; 2]);
        moves.extend([Decimal::new(-12, 3); 5]);
        moves.extend([Decimal::new(10, 3); 10]);
        moves.extend([Decimal::new(-15, 3); 3]);
    }
    let mut last = start;
    let tiny = Decimal::new(1, 3);
    let price = |d: Decimal| Price::new(d.round_dp(3));
    moves
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let open = last;
            let close = (open * (Decimal::ONE + m)).round_dp(3);
            last = close;
            let t = T0 + i as i64 * 60_000;
            Candle {
                open_time_ms: t,
                open: price(open),
                high: price(open.max(close) + tiny),
                low: price(open.min(close) - tiny),
                close: price(close),
                volume: Qty::new(Decimal::from(100_000)),
                close_time_ms: t + 59_999,
            }
        })
        .collect()
}

struct Running {
    sim: SimServer,
    _stop_server: tokio::sync::oneshot::Sender<()>,
    stop_bots: tokio::sync::watch::Sender<bool>,
    bots: Vec<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Running {
    async fn stop(self) {
        let _ = self.stop_bots.send(true);
        for b in self.bots {
            let _ = b.await;
        }
    }
}

/// exchange-sim with `markets` (manual clock) and one bot per market, run `way`.
/// `clock_x`: how much faster than the wall the server clock runs; the bot's server-time
/// cadences (account snapshot a minute, rules every 10 minutes) are stretched by it so that
/// they keep their production rate per wall hour.
async fn start(
    markets: Vec<(Symbol, Vec<Candle>)>,
    way: Way,
    poll: Duration,
    clock_x: i64,
) -> Running {
    let info = std::fs::read_to_string(root().join("data/exchange_info.json")).unwrap();
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
    let (stop_bots, stop) = tokio::sync::watch::channel(false);
    let mut bots = Vec::new();
    for (i, (symbol, _)) in markets.iter().enumerate() {
        let credentials = Credentials::hmac(KEY, SECRET).unwrap();
        let mut client = BinanceRest::new(RestConfig::new(&base), Some(credentials)).unwrap();
        let ws = WsConfig::for_rest_base(&base);
        if way == Way::StreamsWs {
            client = client.with_ws_orders(WsOrders::spawn(&ws));
        }
        let url = format!(
            "sqlite://{}",
            dir.path().join(format!("bot{i}.sqlite")).display()
        );
        let store = SqlStore::connect(&url).await.unwrap();
        let mut settings = BotSettings::new(strategy(symbol)).with_intent_grace(0);
        settings.interval = poll;
        settings.snapshot_every_ms *= clock_x;
        settings.rules_refresh_ms *= clock_x;
        let mut bot = Bot::new(client, store, settings).await.unwrap();
        let stop = stop.clone();
        let (_commands, command_rx) = tokio::sync::mpsc::channel(1);
        let symbols = vec![symbol.clone()];
        bots.push(tokio::spawn(async move {
            let _commands = _commands;
            match way {
                Way::Polling => {
                    runner::run_with_commands(&mut bot, stop, command_rx)
                        .await
                        .unwrap();
                }
                Way::StreamsRest | Way::StreamsWs => {
                    let mut ws = ws;
                    ws.id_prefix = bot.settings().prefix.clone();
                    let creds = std::sync::Arc::new(Credentials::hmac(KEY, SECRET).unwrap());
                    let events = spawn_streams(&ws, Some(creds), symbols);
                    run_with_events(&mut bot, events, LivePacing::default(), stop, command_rx)
                        .await
                        .unwrap();
                }
            }
        }));
    }
    Running {
        sim,
        _stop_server: stop_server,
        stop_bots,
        bots,
        _dir: dir,
    }
}

/// Collects accepts until none came for `QUIET_MS`; returns them.
async fn quiet(sim: &SimServer, limit: Duration) -> Vec<Instant> {
    let mut all = Vec::new();
    let end = Instant::now() + limit;
    let mut last = Instant::now();
    while Instant::now() < end {
        let got = sim.take_accepts();
        if !got.is_empty() {
            last = Instant::now();
            all.extend(got);
        } else if last.elapsed() >= Duration::from_millis(QUIET_MS) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    all
}

struct Latencies {
    ms: Vec<f64>,
    fills: usize,
    unanswered: usize,
}

async fn latency(way: Way, wanted: usize) -> Latencies {
    let symbol = Symbol::parse("FILUSDT").unwrap();
    let candles = waves(wanted / 2 + 20, Decimal::new(4, 0));
    let poll = match way {
        Way::Polling => Duration::from_millis(POLL_MS),
        _ => Duration::from_secs(5),
    };
    let run = start(vec![(symbol, candles)], way, poll, 1).await;
    let sim = run.sim.clone();
    sim.record_accepts();
    // The first grid, and the streams up.
    let _ = quiet(&sim, Duration::from_secs(3)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = quiet(&sim, Duration::from_secs(3)).await;
    let timeout = match way {
        Way::Polling => Duration::from_millis(POLL_MS + 500),
        _ => Duration::from_millis(500),
    };
    let mut out = Latencies {
        ms: Vec::new(),
        fills: 0,
        unanswered: 0,
    };
    while out.ms.len() < wanted {
        let t0 = Instant::now();
        tracing::debug!("bench: next candle (t0)");
        let step = sim.step(1);
        tracing::debug!(trades = step.trades, "bench: candle fed");
        if step.stepped == 0 {
            break;
        }
        if step.trades == 0 {
            // Let the price events pass; nothing to measure.
            let _ = quiet(&sim, Duration::from_millis(200)).await;
            continue;
        }
        out.fills += step.trades;
        let mut first = None;
        let end = Instant::now() + timeout;
        while first.is_none() && Instant::now() < end {
            first = sim.take_accepts().into_iter().find(|t| *t >= t0);
            if first.is_none() {
                tokio::time::sleep(Duration::from_micros(500)).await;
            }
        }
        match first {
            Some(t) => out.ms.push((t - t0).as_secs_f64() * 1e3),
            None => out.unanswered += 1,
        }
        let _ = quiet(&sim, Duration::from_secs(3)).await;
        if way == Way::Polling {
            // The next fill at a random point of the poll cycle, not right after a poll.
            let phase = rand::random_range(0..POLL_MS);
            tokio::time::sleep(Duration::from_millis(phase)).await;
        }
    }
    run.stop().await;
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The February 2026 candles of `symbol` (`data/klines/`).
fn month(symbol: &str) -> Vec<Candle> {
    let path = root().join(format!("data/klines/{symbol}-1m-2026-02.csv.gz"));
    csv::parse(&std::fs::read(&path).unwrap(), &path).unwrap()
}

/// Request weight per hour of `symbols` bots run `way` for `window`.
async fn weight_per_hour(symbols: &[&str], way: Way, window: Duration) -> f64 {
    let markets: Vec<(Symbol, Vec<Candle>)> = symbols
        .iter()
        .map(|s| (Symbol::parse(s).unwrap(), month(s)))
        .collect();
    let n = markets.len();
    // A one-minute candle a second: the server clock runs 60 times the wall's.
    let run = start(markets, way, Duration::from_secs(5), 60).await;
    // Start-up (rules, account, the first grid) is not the steady state.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = run.sim.limit_stats().total_weight;
    let started = Instant::now();
    while started.elapsed() < window {
        run.sim.step(n);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let spent = run.sim.limit_stats().total_weight - before;
    let secs = started.elapsed().as_secs_f64();
    run.stop().await;
    spent as f64 * 3600.0 / secs
}

/// `BENCH_ONLY=streamsws,streamsrest,polling,weight` (any of them) runs those parts only.
fn wanted_part(only: &Option<String>, part: &str) -> bool {
    only.as_deref()
        .is_none_or(|o| o.split(',').any(|p| p.trim().eq_ignore_ascii_case(part)))
}

fn main() {
    if std::env::var_os("BENCH_TRACE").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .init();
    }
    let short = std::env::args().any(|a| a == "--short");
    let only = std::env::var("BENCH_ONLY").ok();
    let (wanted, window) = match short {
        true => (100, Duration::from_secs(20)),
        false => (1_000, Duration::from_secs(120)),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let label = if short { " (--short)" } else { "" };
    println!("fill → replacement accepted, server side, loopback{label}:");
    for way in [Way::StreamsWs, Way::StreamsRest, Way::Polling] {
        if !wanted_part(&only, &format!("{way:?}")) {
            continue;
        }
        let started = Instant::now();
        let mut l = rt.block_on(latency(way, wanted));
        l.ms.sort_by(f64::total_cmp);
        println!(
            "  {:<28} p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms  over {} fills \
             ({} trades; {} answered by no new order)  [{:.0} s]",
            way.label(),
            percentile(&l.ms, 0.50),
            percentile(&l.ms, 0.99),
            l.ms.last().copied().unwrap_or(f64::NAN),
            l.ms.len(),
            l.fills,
            l.unanswered,
            started.elapsed().as_secs_f64(),
        );
    }
    if !wanted_part(&only, "weight") {
        return;
    }
    println!(
        "request weight per hour (default pacing, one candle a second per symbol, {} s window{label}):",
        window.as_secs()
    );
    let five = ["AVAXUSDT", "FILUSDT", "LINKUSDT", "LTCUSDT", "NEARUSDT"];
    // The four runs side by side (weight does not depend on the machine's speed).
    let (one_up, one_down, five_up, five_down) = rt.block_on(async {
        tokio::join!(
            weight_per_hour(&five[1..2], Way::StreamsWs, window),
            weight_per_hour(&five[1..2], Way::Polling, window),
            weight_per_hour(&five, Way::StreamsWs, window),
            weight_per_hour(&five, Way::Polling, window),
        )
    });
    for (what, up, down) in [
        ("1 symbol ", one_up, one_down),
        ("5 symbols", five_up, five_down),
    ] {
        println!("  {what}: streams up {up:>8.0}   streams down (polling) {down:>8.0}");
    }
}
