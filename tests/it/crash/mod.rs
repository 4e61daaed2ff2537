//! Crash safety: the bot binary (`binance-trader run` against the simulated exchange on
//! loopback) dies and is restarted, on SQLite and on PostgreSQL (when `TEST_DATABASE_URL` is
//! set; each test gets its own schema). Afterwards the journal must equal the exchange (no
//! duplicated order, no lost or double-counted fill) and the account must end exactly where an
//! uninterrupted run on the same candles ends.
//!
//! - `points`: the process aborts at each crash point (a journal boundary, `.spec/bot.md`).
//! - `random_kills`: SIGKILL at random moments spread over start-up and whole steps.
//!
//! Both run the basket grid (`config/backtest.toml`), and, shorter, the strategies that read
//! indicators ([`Traded`]): their restarts must rebuild the indicators from the closed candles
//! over REST and trade on as the uninterrupted run did.
//!
//! Lockstep: the next candle is fed only once the bot has recorded a quiescent step (nothing
//! left to do) at the current market time, in both runs, so both see the same candles with the
//! same orders resting.
//!
//! The bot runs `run` on the streams (fills and prices pushed, orders over the WebSocket API),
//! as in production; `random_kills` keeps one polling case (`--no-streams`). With the streams
//! only a full step (one that read the exchange) records quiescence, so a fill still on its way
//! over the user-data stream cannot let the next candle in early; a candle that fills nothing
//! is settled by the safety net's full step, brought down to [`FULL_EVERY_MS`].

mod points;
mod random_kills;
mod spent_weight;

use crate::harness::{client, fil_strategy, root, Sim};
use crate::store::fixtures::PgSchema;
use binance_trader::adapters::klines::Candle;
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::adapters::sim::server::{SimServer, Speed};
use binance_trader::adapters::store::SqlStore;
use binance_trader::apps::bot::{Bot, BotSettings, QUIESCENT_KEY};
use binance_trader::core::fill::Balance;
use binance_trader::ports::exchange::Exchange;
use binance_trader::ports::store::Store;
use std::collections::BTreeSet;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The simulated exchange for crash runs. Its replay clock stands still between candles, so
/// all the polling of a candle (and every restart's start-up reads) counts against one minute
/// of request weight: the limit is raised far out of the way, rate limits are not what these
/// tests are about (`client_soak` is).
async fn start_sim(candles: Vec<Candle>) -> Sim {
    let info = crate::harness::exchange_info_with_limits(100_000_000, None);
    let cfg = crate::harness::fil_config(
        info,
        candles,
        Speed::Manual,
        "10000",
        (crate::harness::KEY, crate::harness::SECRET),
    );
    let server = SimServer::new(cfg).unwrap();
    let (base, stop) = crate::harness::serve_on_loopback(&server).await;
    Sim::new(base, server, stop)
}

/// What a crash run trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Traded {
    /// The basket grid of `config/backtest.toml`.
    Basket,
    /// Mean reversion on a 5-candle window (`signal_bot::MEAN_REVERSION`).
    MeanReversion,
    /// Trend following on a 3-candle channel and an 8-candle ATR (`signal_bot::TREND`).
    Trend,
}

impl Traded {
    /// The strategy file's text.
    fn text(self) -> String {
        match self {
            Traded::Basket => std::fs::read_to_string(root().join("config/backtest.toml")).unwrap(),
            Traded::MeanReversion => crate::signal_bot::MEAN_REVERSION.to_string(),
            Traded::Trend => crate::signal_bot::TREND.to_string(),
        }
    }

    fn strategy(self) -> binance_trader::core::strategy::config::StrategyConfig {
        binance_trader::core::strategy::config::StrategyConfig::from_toml_str(&self.text()).unwrap()
    }

    /// Baskets and fills a run must have: the grid closes and reopens a basket every wave;
    /// the signal strategies trade their rounds in one, the trend one round a wave.
    fn min_baskets_and_fills(self) -> (usize, u64) {
        match self {
            Traded::Basket => (3, 10),
            Traded::MeanReversion => (1, 10),
            Traded::Trend => (1, 6),
        }
    }
}

/// An uninterrupted in-process run over `candles`, in lockstep.
struct Reference {
    /// The account at the end.
    balances: Vec<Balance>,
    /// Per candle fed (and once before the first), whether the bot placed or cancelled orders.
    busy: Vec<bool>,
}

async fn reference_run(candles: Vec<Candle>, traded: Traded) -> Reference {
    let sim = start_sim(candles.clone()).await;
    let settings = BotSettings::new(traded.strategy()).with_intent_grace(0);
    let mut bot = Bot::new(client(&sim.base), MemoryStore::new(), settings)
        .await
        .unwrap();
    let mut busy = Vec::new();
    for _ in 0..=candles.len() {
        let mut acted = false;
        let mut settled = false;
        for _ in 0..12 {
            let step = bot.step().await.unwrap();
            acted |= step.actions > 0;
            if step.quiescent() {
                settled = true;
                break;
            }
        }
        assert!(settled);
        busy.push(acted);
        sim.server.step(1);
    }
    let balances = limits_known_client(&sim)
        .await
        .account()
        .await
        .unwrap()
        .balances;
    Reference { balances, busy }
}

/// The harness client, having read the raised limits (until then its own limiter holds to
/// the default weight limit, which the bot's polling passes).
async fn limits_known_client(
    sim: &Sim,
) -> binance_trader::adapters::binance::BinanceRest<
    binance_trader::adapters::binance::transport::ReqwestTransport,
> {
    let ex = client(&sim.base);
    ex.symbol_rules(&fil_strategy().symbol).await.unwrap();
    ex
}

/// Which store a crash test journals in.
#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// The journal of one crash test: a fresh SQLite file or a fresh PostgreSQL schema, opened
/// (and migrated) by the test before the bot first starts.
struct Journal {
    url: String,
    store: SqlStore,
    schema: Option<PgSchema>,
}

impl Journal {
    /// `None` for PostgreSQL when `TEST_DATABASE_URL` is not set.
    async fn open(backend: Backend, dir: &std::path::Path) -> Option<Self> {
        let (url, schema) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}", dir.join("bot.sqlite").display()),
                None,
            ),
            Backend::Postgres => {
                let schema = PgSchema::create().await?;
                (schema.url.clone(), Some(schema))
            }
        };
        let store = SqlStore::connect(&url).await.unwrap();
        Some(Self { url, store, schema })
    }

    async fn cleanup(self) {
        self.store.close().await;
        if let Some(schema) = self.schema {
            schema.drop().await;
        }
    }
}

/// The full step's period with the streams up (`run --full-every-ms`): what a candle that
/// fills nothing waits for before the lock-step may feed the next one.
const FULL_EVERY_MS: &str = "50";

/// The bot binary, started and restarted in its own directory.
struct BotProcess {
    dir: tempfile::TempDir,
    starts: usize,
    child: Option<Child>,
    failpoints: String,
    /// Starts refused because the killed process's PostgreSQL session still held the
    /// instance lock (the server ends it a moment after the client's socket closes).
    lock_refusals: usize,
    /// `run` on the streams (the default) or `--no-streams` (polling).
    streams: bool,
}

impl BotProcess {
    fn new(dir: tempfile::TempDir, base: &str, database_url: &str, traded: Traded) -> Self {
        let strategy = dir.path().join("strategy.toml");
        std::fs::write(&strategy, traded.text()).unwrap();
        let text = format!(
            "strategy = \"{}\"\ndatabase_url = \"{}\"\n\n[exchange]\nbase_url = \"{}\"\n\n[dashboard]\nlisten = \"127.0.0.1:0\"\n",
            strategy.display(),
            database_url,
            base
        );
        std::fs::write(dir.path().join("bot.toml"), text).unwrap();
        Self {
            dir,
            starts: 0,
            child: None,
            failpoints: String::new(),
            lock_refusals: 0,
            streams: true,
        }
    }

    /// The bot polls (`run --no-streams`) instead of trading on the streams.
    fn polling(mut self) -> Self {
        self.streams = false;
        self
    }

    /// Starts the bot; `failpoints` is the `FAILPOINTS` value (crash points, `.spec/bot.md`).
    fn spawn(&mut self, failpoints: &str) {
        assert!(self.child.is_none(), "already running");
        self.starts += 1;
        self.failpoints = failpoints.to_string();
        let log = std::fs::File::create(self.log_path()).unwrap();
        let mut args = vec![
            "run",
            "--config",
            "bot.toml",
            // Polling, or the streams still connecting: every idle step polls the exchange,
            // and the replay clock stands still between candles: a short interval would spend
            // a candle's minute of request weight on polling (the limit the client keeps to
            // until its start-up has read the raised one).
            "--interval-ms",
            "15",
            "--intent-grace-ms",
            "0",
        ];
        if self.streams {
            // The lock-step waits for a quiescent step, which only a full step records (a
            // step on the journal cannot know of a fill still on its way). A candle that
            // fills nothing pushes a price only (a step on the journal): the safety net's
            // full step, a minute apart in production, settles it.
            args.extend(["--full-every-ms", FULL_EVERY_MS]);
        } else {
            args.push("--no-streams");
        }
        let child = Command::new(env!("CARGO_BIN_EXE_binance-trader"))
            .args(args)
            .current_dir(self.dir.path())
            .env("BINANCE_API_KEY", crate::harness::KEY)
            .env("BINANCE_API_SECRET", crate::harness::SECRET)
            .env_remove("DATABASE_URL")
            .env("FAILPOINTS", failpoints)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    fn log_path(&self) -> std::path::PathBuf {
        self.dir.path().join(format!("bot-{}.log", self.starts))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The exit status if the bot has exited. A start refused because the previous,
    /// killed process's database session still held the instance lock is retried (as a
    /// supervisor would) and does not count as an exit.
    fn exited(&mut self) -> Option<ExitStatus> {
        let status = self.child.as_mut()?.try_wait().unwrap()?;
        self.child = None;
        if self.log().contains("another bot instance is running") {
            self.lock_refusals += 1;
            assert!(self.lock_refusals < 1_000, "the lock is never released");
            std::thread::sleep(Duration::from_millis(20));
            let failpoints = self.failpoints.clone();
            self.spawn(&failpoints);
            return None;
        }
        Some(status)
    }

    fn sigkill(&mut self) {
        crate::harness::sigkill(&mut self.child);
    }

    /// SIGTERM finishes the step in progress and exits cleanly.
    fn terminate(&mut self) {
        let log = self.log_path();
        crate::harness::terminate(&mut self.child, &log);
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        crate::harness::reap(&mut self.child);
    }
}

/// Forgets the dead process's last quiescent step, so that the next wait is for a step of
/// the restarted one (a SIGTERM before its start-up installed the handler would kill it).
async fn forget_quiescent(store: &SqlStore) {
    store.set_config_value(QUIESCENT_KEY, "0", 0).await.unwrap();
}

/// Waits until the bot has settled at `market_ms` (`Ok` with when its first quiescent step
/// was seen: the end of its work on the candle), or exited (`Err` with its status).
///
/// Polling, that is a quiescent step at `market_ms` or later. With the streams, two in a row:
/// the candle's pushed price can still be on its way when the first is written (the step a
/// fill triggered may run before the price is read), and the bot keeps a pushed price for its
/// next step, which would then plan on the next candle with this candle's price: a new
/// basket anchored a candle late, the run no longer the reference's (seen once in three runs
/// with `CRASH_KILLS=200`). The second is a later full step (the safety net's, about
/// [`FULL_EVERY_MS`] after the first), which has taken that price.
async fn wait_quiescent(
    store: &SqlStore,
    market_ms: i64,
    bot: &mut BotProcess,
) -> Result<Instant, ExitStatus> {
    wait_quiescent_step(store, market_ms, bot).await?;
    let settled = Instant::now();
    if bot.streams {
        forget_quiescent(store).await;
        wait_quiescent_step(store, market_ms, bot).await?;
    }
    Ok(settled)
}

/// Waits until the bot recorded a quiescent step at `market_ms` or later (`Ok`), or exited
/// (`Err` with its status).
async fn wait_quiescent_step(
    store: &SqlStore,
    market_ms: i64,
    bot: &mut BotProcess,
) -> Result<(), ExitStatus> {
    let started = Instant::now();
    loop {
        if let Some(v) = store.config_value(QUIESCENT_KEY).await.unwrap() {
            if v.parse::<i64>().unwrap() >= market_ms {
                return Ok(());
            }
        }
        if let Some(status) = bot.exited() {
            return Err(status);
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the bot did not settle at {market_ms}:\n{}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
}

/// Fills journalled from the user-data stream (their `fill` event says `pushed`), not by a
/// step's REST sweep: above 0 proves the run traded on the streams.
async fn pushed_fills(store: &SqlStore) -> usize {
    store
        .events(100_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == "fill" && e.message.ends_with(", pushed)"))
        .count()
}

/// The end of every crash run: nothing pending, the journal equal to the exchange, no client
/// order id placed twice, every exchange order journalled, and the account where the
/// uninterrupted run left it. Returns the count of orders and fills for the summary.
async fn assert_recovered(
    journal: &Journal,
    sim: &Sim,
    expected: &[Balance],
    traded: Traded,
) -> (usize, u64) {
    let store = &journal.store;
    assert!(
        store.pending_intents().await.unwrap().is_empty(),
        "an intent is still pending"
    );
    let ex = limits_known_client(sim).await;
    crate::harness::assert_store_matches_exchange(store, &ex).await;
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
    assert!(
        baskets.len() >= traded.min_baskets_and_fills().0
            && fills >= traded.min_baskets_and_fills().1,
        "too little trading to prove anything: {fills} fills"
    );
    let balances = ex.account().await.unwrap().balances;
    assert_eq!(
        balances, expected,
        "final balances differ from the uninterrupted run"
    );
    (exchange_ids.len(), fills)
}
