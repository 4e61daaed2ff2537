//! Crash safety: the bot binary (`binance-trader run` against the simulated exchange on
//! loopback, journal in SQLite) is killed with SIGKILL at random points, at least 50 times
//! (`CRASH_KILLS` raises it), and restarted each time. Afterwards the journal must equal the
//! exchange (no duplicated order, no lost or double-counted fill) and the account must end
//! exactly where an uninterrupted run on the same candles ends.
//!
//! Lockstep: the next candle is fed only once the bot has recorded a quiescent step (nothing
//! left to do) at the current market time, in both runs, so both see the same candles with the
//! same orders resting.

use crate::harness::{
    assert_store_matches_exchange, client, fil_strategy, root, start_sim, wave_candles,
};
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::adapters::store::SqlStore;
use binance_trader::apps::bot::{Bot, BotSettings, QUIESCENT_KEY};
use binance_trader::core::fill::Balance;
use binance_trader::ports::exchange::Exchange;
use binance_trader::ports::store::Store;
use rand::{Rng, SeedableRng};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn kills_wanted() -> usize {
    std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

async fn reference_balances(
    candles: Vec<binance_trader::adapters::klines::Candle>,
) -> Vec<Balance> {
    let sim = start_sim(candles.clone()).await;
    let mut settings = BotSettings::new(fil_strategy());
    settings.intent_grace_ms = 0;
    let mut bot = Bot::new(client(&sim.base), MemoryStore::new(), settings)
        .await
        .unwrap();
    for _ in 0..=candles.len() {
        let mut settled = false;
        for _ in 0..12 {
            if bot.step().await.unwrap().quiescent() {
                settled = true;
                break;
            }
        }
        assert!(settled);
        sim.server.step(1);
    }
    client(&sim.base).account().await.unwrap().balances
}

struct BotProcess {
    dir: tempfile::TempDir,
    base: String,
    starts: usize,
}

impl BotProcess {
    fn spawn(&mut self) -> Child {
        self.starts += 1;
        let log = std::fs::File::create(self.dir.path().join(format!("bot-{}.log", self.starts)))
            .unwrap();
        Command::new(env!("CARGO_BIN_EXE_binance-trader"))
            .args([
                "run",
                "--config",
                "bot.toml",
                "--interval-ms",
                "5",
                "--intent-grace-ms",
                "0",
            ])
            .current_dir(self.dir.path())
            .env("BINANCE_API_KEY", crate::harness::KEY)
            .env("BINANCE_API_SECRET", crate::harness::SECRET)
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("bot-{}.log", self.starts)))
            .unwrap_or_default()
    }

    fn write_config(&self) {
        let text = format!(
            "strategy = \"{}\"\ndatabase_url = \"sqlite://{}\"\n\n[exchange]\nbase_url = \"{}\"\n\n[dashboard]\nlisten = \"127.0.0.1:0\"\n",
            root().join("config/backtest.toml").display(),
            self.dir.path().join("bot.sqlite").display(),
            self.base
        );
        std::fs::write(self.dir.path().join("bot.toml"), text).unwrap();
    }
}

/// Waits until the bot recorded a quiescent step at `market_ms` or later.
async fn wait_quiescent(store: &SqlStore, market_ms: i64, child: &mut Child, bot: &BotProcess) {
    let started = Instant::now();
    loop {
        if let Some(v) = store.config_value(QUIESCENT_KEY).await.unwrap() {
            if v.parse::<i64>().unwrap() >= market_ms {
                return;
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the bot exited ({status}):\n{}", bot.log());
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the bot did not settle at {market_ms}:\n{}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
}

fn sigkill(child: &mut Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_loses_nothing_and_ends_like_an_uninterrupted_run() {
    let candles = wave_candles(3);
    let expected = reference_balances(candles.clone()).await;

    let sim = start_sim(candles.clone()).await;
    let mut bot = BotProcess {
        dir: tempfile::tempdir().unwrap(),
        base: sim.base.clone(),
        starts: 0,
    };
    bot.write_config();
    let db = format!("sqlite://{}", bot.dir.path().join("bot.sqlite").display());
    let mut child = bot.spawn();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let wanted = kills_wanted();
    let per_candle = wanted.div_ceil(candles.len()).max(1);
    let mut kills = 0;
    let mut store: Option<SqlStore> = None;
    for _ in 0..=candles.len() {
        let market_ms = sim.server.now_ms();
        for _ in 0..per_candle {
            if kills >= wanted {
                break;
            }
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..60))).await;
            sigkill(&mut child);
            kills += 1;
            child = bot.spawn();
        }
        if store.is_none() {
            // The bot creates the database; open it for reading once it exists.
            let started = Instant::now();
            while !Path::new(&bot.dir.path().join("bot.sqlite")).exists() {
                if let Some(status) = child.try_wait().unwrap() {
                    panic!("the bot exited ({status}):\n{}", bot.log());
                }
                assert!(started.elapsed() < Duration::from_secs(30), "no database");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            store = Some(SqlStore::connect(&db).await.unwrap());
        }
        wait_quiescent(store.as_ref().unwrap(), market_ms, &mut child, &bot).await;
        sim.server.step(1);
    }
    let store = store.unwrap();
    wait_quiescent(&store, sim.server.now_ms(), &mut child, &bot).await;

    // SIGTERM finishes the step in progress and exits cleanly.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exited = child.wait().unwrap();
    assert!(
        exited.success(),
        "exit after SIGTERM: {exited}\n{}",
        bot.log()
    );

    assert!(kills >= wanted, "only {kills} kills");
    let ex = client(&sim.base);
    assert_store_matches_exchange(&store, &ex).await;
    let exchange_ids: Vec<String> = sim
        .server
        .exchange()
        .lock()
        .unwrap()
        .all_orders(&fil_strategy().symbol)
        .unwrap()
        .into_iter()
        .map(|o| o.client_id.to_string())
        .collect();
    let unique: BTreeSet<&String> = exchange_ids.iter().collect();
    assert_eq!(
        unique.len(),
        exchange_ids.len(),
        "a client order id was placed twice"
    );
    let stored = store.count_orders(None).await.unwrap();
    assert_eq!(
        stored as usize,
        exchange_ids.len(),
        "orders on the exchange vs journal"
    );
    let fills = store.count_fills(&Default::default()).await.unwrap();
    let baskets = store.baskets(false).await.unwrap();
    let events = store.events(100_000).await.unwrap();
    let recovered = events
        .iter()
        .filter(|e| e.kind.starts_with("intent_"))
        .count();
    eprintln!(
        "crash test: {kills} kills, {} orders, {fills} fills, {} baskets, {recovered} intents \
         recovered after a kill",
        exchange_ids.len(),
        baskets.len()
    );
    assert!(
        fills >= 10 && baskets.len() >= 3,
        "too little trading to prove anything"
    );
    let balances = ex.account().await.unwrap().balances;
    assert_eq!(
        balances, expected,
        "final balances differ from the uninterrupted run"
    );
}
