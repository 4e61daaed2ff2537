//! Crash safety of the portfolio: `run --portfolio` with three grids (FILUSDT, AVAXUSDT,
//! LINKUSDT) against the exchange server on loopback, SIGKILLed at random moments and
//! restarted each time (20 kills by default, `PORTFOLIO_CRASH_KILLS` raises it). Afterwards
//! the journal must equal the exchange for every symbol — no order placed twice, every
//! exchange order journalled, every trade exactly once as a fill — and the account must end
//! where an uninterrupted in-process run of the same orchestrator on the same candles ends.
//!
//! Lockstep as in `crash`: the next minute is fed once the orchestrator recorded a loop in
//! which no grid acted (`PORTFOLIO_QUIESCENT_KEY`) at the current market time.

use crate::harness::{
    client, exchange_info_with_limits, root, serve_on_loopback, wave_candles, KEY, SECRET, T0,
};
use crate::notify::receivers::HttpReceiver;
use binance_trader::adapters::klines::Candle;
use binance_trader::adapters::sim::server::{
    ApiCredential, FaultConfig, SimServer, SimServerConfig, Speed,
};
use binance_trader::adapters::store::SqlStore;
use binance_trader::apps::backtest::portfolio::load::grid_strategy;
use binance_trader::apps::bot::{BotMetrics, BotSettings};
use binance_trader::apps::portfolio::{
    GridPlan, Portfolio, PortfolioMetrics, Setup, PORTFOLIO_QUIESCENT_KEY,
};
use binance_trader::core::client_id::IdPrefix;
use binance_trader::core::money::{Amount, Price, Quote};
use binance_trader::core::portfolio::PortfolioConfig;
use binance_trader::core::symbol::{Asset, Symbol};
use binance_trader::ports::exchange::{Exchange, OrderRef};
use binance_trader::ports::outbox::Outbox;
use binance_trader::ports::store::{FillQuery, Store};
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SYMBOLS: [&str; 3] = ["FILUSDT", "AVAXUSDT", "LINKUSDT"];

fn kills_wanted() -> usize {
    std::env::var("PORTFOLIO_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

/// The crash points sleep as long as real round trips take (see `crash::random_kills`).
const REAL_ROUND_TRIPS: &str = "bot::intent_written=sleep(40);bot::order_sent=sleep(40);\
     bot::cancel_sent=sleep(10);bot::fill_inserted=sleep(5);bot::successor_opened=sleep(5)";

/// `candles` with every price × `factor`.
fn scaled(candles: &[Candle], factor: Decimal) -> Vec<Candle> {
    let p = |x: Price| Price::new((x.get() * factor).round_dp(3));
    candles
        .iter()
        .map(|c| Candle {
            open: p(c.open),
            high: p(c.high),
            low: p(c.low),
            close: p(c.close),
            ..*c
        })
        .collect()
}

fn markets(waves: usize) -> Vec<(Symbol, Vec<Candle>)> {
    let base = wave_candles(waves);
    SYMBOLS
        .iter()
        .zip([Decimal::ONE, Decimal::new(15, 1), Decimal::TWO])
        .map(|(s, f)| (Symbol::parse(s).unwrap(), scaled(&base, f)))
        .collect()
}

async fn start_sim(
    markets: Vec<(Symbol, Vec<Candle>)>,
) -> (SimServer, String, tokio::sync::oneshot::Sender<()>) {
    let sim = SimServer::new(SimServerConfig {
        // The replay clock stands still between minutes: rate limits out of the way.
        exchange_info_json: exchange_info_with_limits(100_000_000, None),
        markets,
        balances: vec![(
            Asset::parse("USDT").unwrap(),
            Amount::parse("10000").unwrap(),
        )],
        speed: Speed::Manual,
        credentials: vec![ApiCredential {
            key: KEY.into(),
            secret: SECRET.to_string().into(),
        }],
        faults: FaultConfig::default(),
        start_ms: T0,
    })
    .unwrap();
    let (base, stop) = serve_on_loopback(&sim).await;
    (sim, base, stop)
}

fn portfolio_text() -> String {
    let grid = root().join("config/portfolio-grid.toml");
    let mut text = String::new();
    for s in SYMBOLS {
        text.push_str(&format!(
            "[[grid]]\nname = \"{}\"\nsymbol = \"{s}\"\nstrategy = \"{}\"\nbudget = 2500\n\n",
            s.trim_end_matches("USDT").to_lowercase(),
            grid.display()
        ));
    }
    text
}

/// The plans `run --portfolio` makes of the file (the same loader function).
fn plans() -> Vec<GridPlan> {
    let config = PortfolioConfig::from_toml_str(&portfolio_text()).unwrap();
    config
        .grids
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let budget = g.budget_for(Quote::ZERO);
            GridPlan {
                name: g.name.clone(),
                prefix: IdPrefix::default(),
                strategy: grid_strategy(Path::new("."), i, g, budget).unwrap(),
                budget,
            }
        })
        .collect()
}

/// The uninterrupted run: final balances, and per minute whether any grid acted.
async fn reference_run(waves: usize) -> (Vec<binance_trader::core::fill::Balance>, Vec<bool>) {
    let (sim, base, _stop) = start_sim(markets(waves)).await;
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!(
        "sqlite://{}",
        dir.path().join("r.sqlite").display()
    ))
    .await
    .unwrap();
    let shared = client(&base);
    let plans = plans();
    let mut settings = BotSettings::new(plans[0].strategy.clone()).with_intent_grace(0);
    settings.interval = Duration::from_millis(15);
    let mut p = Portfolio::new(
        plans,
        |x| shared.for_prefix(x.clone()),
        store,
        Setup {
            limits: Default::default(),
            initial_equity: Quote::new(Decimal::from(10_000)),
            settings,
            metrics: PortfolioMetrics::default(),
            bot_metrics: Arc::new(BotMetrics::new()),
        },
    )
    .await
    .unwrap();
    let minutes = wave_candles(waves).len();
    let mut busy = Vec::new();
    for _ in 0..=minutes {
        let mut acted = false;
        let mut settled = false;
        for _ in 0..12 {
            let r = p.step().await.unwrap();
            acted |= r.steps.iter().flatten().any(|s| s.actions > 0);
            if r.quiescent() {
                settled = true;
                break;
            }
        }
        assert!(settled, "the reference run did not settle");
        busy.push(acted);
        sim.step(SYMBOLS.len());
    }
    let ex = client(&base);
    ex.symbol_rules(&Symbol::parse("FILUSDT").unwrap())
        .await
        .unwrap();
    (ex.account().await.unwrap().balances, busy)
}

struct Process {
    dir: tempfile::TempDir,
    webhook: String,
    starts: usize,
    child: Option<Child>,
}

impl Process {
    fn new(base: &str, database_url: &str, dir: tempfile::TempDir, webhook: &str) -> Self {
        let bot = format!(
            "strategy = \"{}\"\ndatabase_url = \"{database_url}\"\n\n[exchange]\nbase_url = \"{base}\"\n\n[dashboard]\nlisten = \"127.0.0.1:0\"\n\n[notify.webhook]\nmax_per_minute = 600\n",
            root().join("config/backtest.toml").display(),
        );
        std::fs::write(dir.path().join("bot.toml"), bot).unwrap();
        std::fs::write(dir.path().join("portfolio.toml"), portfolio_text()).unwrap();
        Self {
            dir,
            webhook: format!("{webhook}/hook"),
            starts: 0,
            child: None,
        }
    }

    fn spawn(&mut self) {
        self.starts += 1;
        let log = std::fs::File::create(self.log_path()).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_binance-trader"))
            .args([
                "run",
                "--config",
                "bot.toml",
                "--portfolio",
                "portfolio.toml",
                "--interval-ms",
                "15",
                "--intent-grace-ms",
                "0",
                // Lock-step on the polling loop's quiescent loops (as `crash::`'s polling
                // case): the streams would move the grids between the test's candles.
                "--no-streams",
            ])
            .current_dir(self.dir.path())
            .env("BINANCE_API_KEY", KEY)
            .env("BINANCE_API_SECRET", SECRET)
            .env("NOTIFY_WEBHOOK_URL", &self.webhook)
            .env_remove("DATABASE_URL")
            .env("FAILPOINTS", REAL_ROUND_TRIPS)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    fn log_path(&self) -> std::path::PathBuf {
        self.dir.path().join(format!("run-{}.log", self.starts))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Panics with the log if the process exited (a restart refused for a lingering lock is
    /// retried, as a supervisor would).
    fn check_running(&mut self) {
        let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) else {
            return;
        };
        self.child = None;
        if self.log().contains("another bot instance is running") {
            std::thread::sleep(Duration::from_millis(20));
            self.spawn();
            return;
        }
        panic!("run --portfolio exited ({status}):\n{}", self.log());
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

impl Drop for Process {
    fn drop(&mut self) {
        crate::harness::reap(&mut self.child);
    }
}

async fn wait_quiescent(store: &SqlStore, market_ms: i64, p: &mut Process) {
    let started = Instant::now();
    loop {
        if let Some(v) = store.config_value(PORTFOLIO_QUIESCENT_KEY).await.unwrap() {
            if v.parse::<i64>().unwrap_or(0) >= market_ms {
                return;
            }
        }
        p.check_running();
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the portfolio did not settle at {market_ms}:\n{}",
            p.log()
        );
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_grids_sigkilled_at_random_moments_lose_and_duplicate_nothing() {
    let waves = 2;
    let (expected, busy) = reference_run(waves).await;
    let (sim, base, _stop) = start_sim(markets(waves)).await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bot.sqlite").display());
    let store = SqlStore::connect(&url).await.unwrap();
    let webhook = HttpReceiver::start().await;
    let mut p = Process::new(&base, &url, dir, &webhook.base);
    p.spawn();
    let wanted = kills_wanted();
    let busy_rounds: Vec<usize> = (0..busy.len()).filter(|&r| busy[r]).collect();
    assert!(!busy_rounds.is_empty(), "the grids never acted");
    let mut kills_at = vec![0; busy.len()];
    for i in 0..wanted {
        kills_at[busy_rounds[i * busy_rounds.len() / wanted]] += 1;
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x9f0_11e);
    let mut span = Duration::from_millis(150);
    let (mut kills, mut inside_intent) = (0, 0);
    for (round, here) in kills_at.into_iter().enumerate() {
        let market_ms = sim.now_ms();
        let mut since = Instant::now();
        for _ in 0..here {
            let ms = rng.random_range(0..span.as_millis().max(1) as u64);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            p.check_running();
            p.sigkill();
            store
                .set_config_value(PORTFOLIO_QUIESCENT_KEY, "0", 0)
                .await
                .unwrap();
            kills += 1;
            if !store.pending_intents().await.unwrap().is_empty() {
                inside_intent += 1;
            }
            p.spawn();
            since = Instant::now();
        }
        wait_quiescent(&store, market_ms, &mut p).await;
        if busy[round] {
            span = (span * 9 / 10)
                .max(since.elapsed())
                .max(Duration::from_millis(20));
        }
        sim.step(SYMBOLS.len());
    }
    let market_ms = sim.now_ms();
    wait_quiescent(&store, market_ms, &mut p).await;
    p.terminate();

    assert!(
        store.pending_intents().await.unwrap().is_empty(),
        "an intent is still pending"
    );
    let ex = client(&base);
    ex.symbol_rules(&Symbol::parse("FILUSDT").unwrap())
        .await
        .unwrap();
    let fills = store
        .fills(&FillQuery {
            limit: 1_000_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let by_trade: BTreeMap<(String, u64), _> = fills
        .iter()
        .map(|f| ((f.symbol.to_string(), f.fill.trade_id), f))
        .collect();
    assert_eq!(by_trade.len(), fills.len(), "a trade journalled twice");
    let mut exchange_orders = 0;
    let mut trades = 0;
    for s in SYMBOLS {
        let symbol = Symbol::parse(s).unwrap();
        let all = sim.exchange().lock().unwrap().all_orders(&symbol).unwrap();
        let ids: Vec<String> = all.iter().map(|o| o.client_id.to_string()).collect();
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(
            unique.len(),
            ids.len(),
            "{s}: a client order id placed twice"
        );
        exchange_orders += ids.len();
        for o in &all {
            let journalled = store
                .order_by_exchange_id(&symbol, o.order_id)
                .await
                .unwrap();
            let j =
                journalled.unwrap_or_else(|| panic!("{s}: order {} not journalled", o.client_id));
            let there = ex
                .query(&symbol, &OrderRef::Id(o.order_id))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                (j.report.status, j.report.executed_qty),
                (there.status, there.executed_qty),
                "{}",
                o.client_id
            );
        }
        let mut from = 0;
        loop {
            let page = ex.my_trades(&symbol, from).await.unwrap();
            let n = page.len();
            for t in &page {
                let f = by_trade
                    .get(&(s.to_string(), t.trade_id))
                    .unwrap_or_else(|| panic!("{s}: trade {} lost", t.trade_id));
                assert_eq!((f.fill.price, f.fill.qty), (t.price, t.qty));
                trades += 1;
            }
            from = page.last().map_or(from, |t| t.trade_id + 1);
            if n < 1000 {
                break;
            }
        }
    }
    assert_eq!(trades, fills.len(), "fills vs trades");
    assert_eq!(
        store.count_orders(None).await.unwrap() as usize,
        exchange_orders,
        "journal vs exchange orders"
    );
    let baskets = store.baskets(false).await.unwrap();
    for s in SYMBOLS {
        let n = baskets.iter().filter(|b| b.symbol.as_str() == s).count();
        assert!(
            n >= 2,
            "{s}: {n} baskets: too little trading to prove anything"
        );
    }
    assert_eq!(
        ex.account().await.unwrap().balances,
        expected,
        "final balances differ from the uninterrupted run"
    );
    eprintln!(
        "portfolio crash test: {kills} kills ({inside_intent} inside an open intent), \
         {exchange_orders} orders, {} fills, {} starts",
        fills.len(),
        p.starts
    );
    assert!(kills >= wanted);
    assert!(inside_intent > 0, "no kill landed inside an open intent");
    notifications_survive_the_kills(&store, &webhook).await;
}

/// The notifier ran in every process: each journalled fill was queued exactly once across
/// the kills (one outbox row each) and titled with its own grid's symbol, and everything
/// queued reached the receiver (a row whose delivery a kill interrupted may arrive twice,
/// under the same id, which is how the webhook's receiver de-duplicates).
async fn notifications_survive_the_kills(store: &SqlStore, webhook: &HttpReceiver) {
    let fills = store
        .events(1_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "fill")
        .count();
    let rows = store.deliveries(1_000_000).await.unwrap();
    let fill_rows: Vec<_> = rows.iter().filter(|n| n.item.kind == "fill").collect();
    assert_eq!(
        fill_rows.len(),
        fills,
        "fill events vs queued fill notifications"
    );
    for s in SYMBOLS {
        assert!(
            fill_rows
                .iter()
                .any(|n| n.item.title.contains(&format!("{s} fill:"))),
            "no fill notification titled {s}"
        );
    }
    assert!(
        fill_rows
            .iter()
            .all(|n| SYMBOLS.iter().any(|s| n.item.title.contains(s))),
        "a fill titled without its symbol"
    );
    let started = Instant::now();
    loop {
        let got: BTreeSet<String> = webhook
            .webhook_items()
            .iter()
            .map(|n| n["id"].as_str().unwrap_or_default().to_string())
            .collect();
        let sent = store.deliveries(1_000_000).await.unwrap();
        if got.len() == sent.len() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{} of {} notifications reached the receiver",
            got.len(),
            sent.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
