//! Dashboard load: `GET /` against a SQLite store holding 100,000 orders and 50,000 fills,
//! served on 127.0.0.1 and hit by a Rust client with 16 concurrent connections for 10 s.
//! Prints requests per second and latency percentiles (the bound: p99 under 10 ms),
//! the latency of a page whose live view is read again from the store (it is shared for
//! `LIVE_TTL`, 500 ms) and of a page after a change (read again and rendered anew: the shared
//! parts of `/` are rendered once per change and language).
//! `-- --short` seeds a tenth and runs 3 s (CI).
//!
//! Then the push stream: 50 clients on `GET /events`, the store changed 20 times (a new
//! account snapshot each, as the bot writes them); prints the p50/p99 delay from the moment
//! the dashboard published an update to the moment each client had it.

#[path = "dashboard_seed.rs"]
mod dashboard_seed;

use binance_trader::adapters::store::SqlStore;
use binance_trader::apps::dashboard::{spawn, DashboardState, Pair};
use binance_trader::apps::trade::Mode;
use binance_trader::core::strategy::config::StrategyConfig;
use binance_trader::core::symbol::Asset;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 16;
/// Browsers on the push stream.
const STREAMS: usize = 50;
/// Store changes pushed to them.
const CHANGES: usize = 20;

fn main() -> anyhow::Result<()> {
    let short = std::env::args().any(|a| a == "--short");
    let (orders, run_for) = if short {
        (10_000, Duration::from_secs(3))
    } else {
        (100_000, Duration::from_secs(10))
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(bench(orders, run_for))
}

async fn bench(orders: u64, run_for: Duration) -> anyhow::Result<()> {
    // tmpfs when there is one: seeding is 150,000 synchronous transactions.
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm)?
    } else {
        tempfile::tempdir()?
    };
    let url = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
    let store = SqlStore::connect(&url).await?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = StrategyConfig::from_toml_str(&std::fs::read_to_string(
        root.join("config/backtest.toml"),
    )?)?;
    let started = Instant::now();
    dashboard_seed::seed(&store, &config, orders).await;
    println!(
        "seeded {orders} orders and {} fills in {:.1} s",
        orders / 2,
        started.elapsed().as_secs_f64()
    );

    let (commands, _receiver) = tokio::sync::mpsc::channel(1);
    let pair = Pair {
        symbol: config.symbol.clone(),
        base: Asset::parse("FIL")?,
        quote: Asset::parse("USDT")?,
        rules: None,
    };
    let state = DashboardState::new(store, commands, Mode::Paper, pair, None)?;
    let writer = state.clone();
    let running = spawn("127.0.0.1:0".parse()?, state).await?;
    let url = format!("http://{}/", running.addr);

    let client = reqwest::Client::new();
    let first = client.get(&url).send().await?;
    anyhow::ensure!(
        first.status().is_success(),
        "GET / answered {}",
        first.status()
    );
    let body = first.text().await?;
    println!("GET / = {} bytes", body.len());

    // Uncached: the live view is recomputed when older than LIVE_TTL; space requests out.
    let mut cold = Vec::new();
    for _ in 0..10 {
        tokio::time::sleep(binance_trader::apps::dashboard::view::LIVE_TTL).await;
        let t = Instant::now();
        client.get(&url).send().await?.bytes().await?;
        cold.push(t.elapsed());
    }
    cold.sort();
    println!(
        "GET / uncached (view recomputed from the store): median {:.1} ms, max {:.1} ms",
        cold[cold.len() / 2].as_secs_f64() * 1e3,
        cold[cold.len() - 1].as_secs_f64() * 1e3
    );
    // After a change: a new snapshot each time, so the page is rendered anew.
    let mut changed = Vec::new();
    {
        use binance_trader::ports::store::Store;
        let mut latest = writer
            .store()
            .snapshots(1)
            .await?
            .pop()
            .expect("a snapshot");
        for _ in 0..10 {
            latest.time_ms += 60_000;
            latest.total_value += binance_trader::core::money::Quote::new(1.into());
            writer.store().insert_snapshot(&latest).await?;
            tokio::time::sleep(binance_trader::apps::dashboard::view::LIVE_TTL).await;
            let t = Instant::now();
            client.get(&url).send().await?.bytes().await?;
            changed.push(t.elapsed());
        }
    }
    changed.sort();
    println!(
        "GET / after a change (view re-read, page rendered anew): median {:.1} ms, max {:.1} ms",
        changed[changed.len() / 2].as_secs_f64() * 1e3,
        changed[changed.len() - 1].as_secs_f64() * 1e3
    );

    let deadline = Instant::now() + run_for;
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (client, url, latencies) = (client.clone(), url.clone(), Arc::clone(&latencies));
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let resp = client.get(&url).send().await.expect("request");
                assert!(resp.status().is_success());
                resp.bytes().await.expect("body");
                mine.push(t.elapsed());
            }
            latencies.lock().unwrap().extend(mine);
        }));
    }
    for t in tasks {
        t.await?;
    }
    let mut all = latencies.lock().unwrap().clone();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "GET / with {orders} orders, {} fills: {} requests in {:.1} s = {:.0} req/s; \
         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({CONNECTIONS} connections)",
        orders / 2,
        all.len(),
        run_for.as_secs_f64(),
        all.len() as f64 / run_for.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        all.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    );
    sse_fan_out(&running, writer.store()).await?;
    running.stop().await;
    Ok(())
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// 50 streams, 20 changes: publish-to-receipt delay of every update at every client.
async fn sse_fan_out(
    running: &binance_trader::apps::dashboard::Running,
    store: &SqlStore,
) -> anyhow::Result<()> {
    use binance_trader::ports::store::Store;
    let url = format!("http://{}/events", running.addr);
    let client = reqwest::Client::new();
    let delays = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut streams = Vec::new();
    for _ in 0..STREAMS {
        let mut resp = client.get(&url).send().await?;
        anyhow::ensure!(resp.status().is_success(), "GET /events: {}", resp.status());
        let delays = Arc::clone(&delays);
        streams.push(tokio::spawn(async move {
            let mut buf = String::new();
            let mut seen = 0;
            while seen < CHANGES {
                let Ok(Ok(Some(chunk))) =
                    tokio::time::timeout(Duration::from_secs(10), resp.chunk()).await
                else {
                    break;
                };
                let at = now_us();
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let event: String = buf.drain(..end + 2).collect();
                    let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) else {
                        continue;
                    };
                    if let Ok(push) = serde_json::from_str::<serde_json::Value>(data) {
                        if let Some(sent) = push["sent_us"].as_i64() {
                            delays.lock().unwrap().push(at - sent);
                            seen += 1;
                        }
                    }
                }
            }
        }));
    }
    // Let every stream say hello before the first change.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut latest = store.snapshots(1).await?.pop().expect("a seeded snapshot");
    for i in 0..CHANGES {
        latest.time_ms += 60_000;
        latest.price = binance_trader::core::money::Price::new(
            latest.price.get() + rust_decimal::Decimal::new(i as i64 + 1, 3),
        );
        store.insert_snapshot(&latest).await?;
        // The watcher compares every 250 ms over a view shared for 500 ms.
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    for s in streams {
        s.await?;
    }
    let mut all = delays.lock().unwrap().clone();
    anyhow::ensure!(!all.is_empty(), "no update reached a stream");
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)] as f64 / 1e3;
    println!(
        "SSE fan-out to {STREAMS} clients: {} deliveries of {CHANGES} updates; \
         publish→client p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        all.len(),
        pct(0.50),
        pct(0.99),
        *all.last().unwrap() as f64 / 1e3,
    );
    Ok(())
}
