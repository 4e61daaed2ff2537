//! `binance-trader paper`: the whole product on one machine with no money and no internet —
//! the simulated exchange replaying bundled real candles, served over Binance's REST API on
//! loopback; the bot trading it through the real Binance client; its journal in SQLite.
//!
//! Decisions:
//! - The exchange starts from the first candle with a fresh account every time, so the paper
//!   database is started afresh too (the previous one is moved aside to `*.previous`): a journal
//!   of another replay would not match this exchange.
//! - API key and secret are random per run and never printed.
//! - The candles must be of the strategy's symbol (checked from the file names before anything
//!   is read or the journal touched, `candle_data`); the default is `config/backtest.toml` on
//!   the bundled FILUSDT quarter, the same pair the backtester uses.

use crate::adapters::binance::rest::{BinanceRest, RestConfig};
use crate::adapters::binance::ws::orders::WsOrders;
use crate::adapters::binance::ws::{spawn_streams, WsConfig};
use crate::adapters::binance::Credentials;
use crate::adapters::klines::{load_candles, DEFAULT_CACHE_DIR};
use crate::adapters::sim::server::{
    serve, ApiCredential, FaultConfig, SimServer, SimServerConfig, Speed,
};
use crate::adapters::store::SqlStore;
use crate::apps::backtest::command::parse_config;
use crate::apps::bot::live::{self, LivePacing};
use crate::apps::bot::lockstep;
use crate::apps::bot::{runner, Bot, BotSettings};
use crate::apps::candle_data::{files_for, DataArgs, StrategyFile};
use crate::apps::dashboard::auth::Access;
use crate::apps::dashboard::{self, DashboardState, Pair};
use crate::apps::exchange_sim::parse_speed;
use crate::apps::session::{self, Session};
use crate::apps::trade::{announce, check_market, Mode};
use crate::core::money::Amount;
use anyhow::{bail, Context};
use rand::distr::{Alphanumeric, SampleString};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Options of `paper`.
#[derive(Debug, Clone, clap::Args)]
pub struct PaperArgs {
    /// Trade every grid of a portfolio file on one account instead of one strategy
    /// (default file: config/portfolio.toml; its `data` are the candles, --data replaces
    /// them; --strategy is not read).
    #[arg(long, num_args = 0..=1, default_missing_value = "config/portfolio.toml")]
    pub portfolio: Option<PathBuf>,
    /// Strategy file; the candles must be of its symbol.
    #[arg(long, default_value = "config/backtest.toml")]
    pub strategy: PathBuf,
    /// The candles to replay and their symbol.
    #[command(flatten)]
    pub data: DataArgs,
    /// Replay speed: candles per second, `max`, or `step` (the next candle only once the bot
    /// has settled on the last: the backtester's timing, reproducible; ends with the candles).
    #[arg(long, default_value = "20")]
    pub speed: String,
    /// Starting quote balance.
    #[arg(long, default_value = "10000")]
    pub quote: String,
    /// SQLite file of the paper journal (started afresh).
    #[arg(long, default_value = "data/paper.sqlite")]
    pub database: PathBuf,
    /// Pause between bot steps, in milliseconds.
    #[arg(long, default_value = "500")]
    pub interval_ms: u64,
    /// Poll only: no user-data or market streams (by default the bot is event-driven over
    /// the exchange's WebSocket streams and polls only as a safety net).
    #[arg(long)]
    pub no_streams: bool,
    /// Where the dashboard listens (port 0 picks a free port; the URL is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub dashboard: std::net::SocketAddr,
    /// Argon2 PHC string of the dashboard password (needed for a non-loopback address).
    #[arg(long, env = "DASHBOARD_PASSWORD_HASH", hide_env_values = true)]
    pub dashboard_password_hash: Option<String>,
    /// Browsers reach the dashboard through a TLS-terminating reverse proxy (required for a
    /// non-loopback address; makes the session cookie Secure and __Host- prefixed).
    #[arg(long)]
    pub behind_tls_proxy: bool,
    /// The header in which that proxy passes the client's address (X-Forwarded-For,
    /// X-Real-IP), for the login limiter; only with --behind-tls-proxy.
    #[arg(long, requires = "behind_tls_proxy")]
    pub client_ip_header: Option<String>,
}

impl PaperArgs {
    /// `--dashboard-password-hash` / `DASHBOARD_PASSWORD_HASH`, else the content of
    /// `DASHBOARD_PASSWORD_HASH_FILE` (a Docker secret).
    pub(crate) fn password_hash(&self) -> anyhow::Result<Option<String>> {
        let secrets = crate::adapters::secret_env::SecretEnv::process()?;
        Ok(self
            .dashboard_password_hash
            .clone()
            .or_else(|| secrets.get("DASHBOARD_PASSWORD_HASH")))
    }

    pub(crate) fn dashboard_access(&self) -> Access {
        Access {
            behind_tls_proxy: self.behind_tls_proxy,
            client_ip_header: self.client_ip_header.clone(),
            ..Access::default()
        }
    }
}

/// Runs paper trading until Ctrl-C.
pub fn run(args: &PaperArgs) -> anyhow::Result<()> {
    if let Some(file) = &args.portfolio {
        return crate::apps::portfolio::paper::run(args, file);
    }
    let rt = tokio::runtime::Runtime::new().context("starting tokio")?;
    rt.block_on(run_async(args))
}

async fn run_async(args: &PaperArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.strategy)
        .with_context(|| format!("reading {}", args.strategy.display()))?;
    let strategy =
        parse_config(&text).with_context(|| format!("strategy {}", args.strategy.display()))?;
    dashboard::check_access(
        args.dashboard,
        args.password_hash()?,
        args.dashboard_access(),
    )?;
    let source = StrategyFile {
        flag: "--strategy",
        path: &args.strategy,
    };
    let files = files_for(&strategy.symbol, source, &args.data)?;
    let candles =
        load_candles(&files, Some(Path::new(DEFAULT_CACHE_DIR))).context("loading candles")?;
    let Some(first) = candles.first() else {
        bail!("no candles to replay");
    };
    let start_ms = first.open_time_ms;
    let info = std::fs::read_to_string("data/exchange_info.json")
        .context("reading data/exchange_info.json")?;
    let rules = crate::core::filters::parse::symbol_rules(&info, &strategy.symbol)
        .with_context(|| format!("symbol {} in data/exchange_info.json", strategy.symbol))?;
    let quote = Amount::parse_non_negative(&args.quote)
        .map_err(|e| anyhow::anyhow!("--quote {}: {e}", args.quote))?;
    let lockstep = args.speed == "step";
    let key = Alphanumeric.sample_string(&mut rand::rng(), 64);
    let secret = Alphanumeric.sample_string(&mut rand::rng(), 64);
    let server = SimServer::new(SimServerConfig {
        exchange_info_json: info,
        start_ms,
        markets: vec![(strategy.symbol.clone(), candles)],
        balances: vec![(rules.quote_asset.clone(), quote)],
        speed: match lockstep {
            true => Speed::Manual,
            false => parse_speed(&args.speed)?,
        },
        credentials: vec![ApiCredential {
            key: key.clone(),
            secret: secret.clone().into(),
        }],
        faults: FaultConfig::default(),
    })
    .context("building the simulated exchange")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(serve(listener, server.clone(), async {
        let _ = server_stopped.await;
    }));

    let store = fresh_store(&args.database).await?;
    let start = (start_ms, quote, args.speed.as_str());
    record_session(&store, &strategy.symbol, &files.files, start).await?;
    // The replay clock runs many times faster than the wall clock, so an offset learnt a
    // moment ago is already stale: resync before every signed request (loopback, cheap).
    let mut rest = RestConfig::new(&base);
    rest.time_resync_ms = 0;
    let market = BinanceRest::new(rest.clone(), None)?;
    let exchange = BinanceRest::new(rest, Some(Credentials::hmac(&key, &secret)?))?;
    // With the streams, order entry goes over the WebSocket API too (REST while it is down).
    let exchange = match args.no_streams || lockstep {
        true => exchange,
        false => exchange.with_ws_orders(WsOrders::spawn(&WsConfig::for_rest_base(&base))),
    };
    let mut settings = BotSettings::new(strategy);
    settings.interval = Duration::from_millis(args.interval_ms.max(1));
    announce(Mode::Paper);
    tracing::info!(exchange = %base, database = %args.database.display(), "paper trading");
    let lock = store.lock_instance().await?;
    check_market(&exchange, &store, &settings).await?;
    let mut bot = Bot::new(exchange, store.clone(), settings).await?;
    let (commands, command_rx) = tokio::sync::mpsc::channel(8);
    let state = DashboardState::new(
        store,
        commands,
        Mode::Paper,
        Pair::from_rules(bot.rules()),
        args.password_hash()?,
    )?
    .with_access(args.dashboard_access())?
    .with_metrics(bot.metrics().clone())
    .with_candles(std::sync::Arc::new(market));
    let dashboard = dashboard::spawn(args.dashboard, state)
        .await
        .with_context(|| format!("starting the dashboard on {}", args.dashboard))?;
    let url = format!("http://{}", dashboard.addr);
    tracing::info!(%url, "dashboard listening");
    println!("dashboard: {url}");
    let (stop_tx, stop) = runner::stop_channel();
    let lock_guard = runner::guard_lock(lock, stop_tx);
    let steps = if lockstep {
        let feed = || server.step(1).stepped > 0;
        let steps = lockstep::run(&mut bot, feed, stop, command_rx).await?;
        println!("replay finished: {steps} steps");
        steps
    } else if args.no_streams {
        runner::run_with_commands(&mut bot, stop, command_rx).await?
    } else {
        let mut ws = WsConfig::for_rest_base(&base);
        ws.id_prefix = bot.settings().prefix.clone();
        // The feeds' own requests count against the IP's weight, as REST's do.
        ws.budget = Some(bot.exchange().weight_budget());
        let credentials = Arc::new(Credentials::hmac(&key, &secret)?);
        let symbols = vec![bot.settings().strategy.symbol.clone()];
        let events = spawn_streams(&ws, Some(credentials), symbols);
        live::run_with_events(&mut bot, events, LivePacing::default(), stop, command_rx).await?
    };
    lock_guard.abort();
    tracing::info!(steps, "paper trading stopped");
    dashboard.stop().await;
    let _ = stop_server.send(());
    let _ = served.await;
    Ok(())
}

/// Journals what this paper session replays (`apps::session`), so `parity` can replay it.
pub async fn record_session<S: crate::ports::store::Store>(
    store: &S,
    symbol: &crate::core::symbol::Symbol,
    files: &[PathBuf],
    (start_ms, quote, speed): (i64, Amount, &str),
) -> anyhow::Result<()> {
    let candle_files = files
        .iter()
        .map(|f| std::path::absolute(f).with_context(|| format!("resolving {}", f.display())))
        .collect::<anyhow::Result<_>>()?;
    let session = Session {
        mode: Mode::Paper,
        symbol: symbol.clone(),
        start_ms,
        candle_files,
        initial_quote: Some(quote.as_quote()),
        speed: Some(speed.to_string()),
        grids: Vec::new(),
    };
    session::record(store, &session, start_ms)
        .await
        .context("journalling the paper session")
}

/// Moves an earlier paper journal aside and opens a new one.
pub(crate) async fn fresh_store(path: &Path) -> anyhow::Result<SqlStore> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    if path.exists() {
        let old = SqlStore::connect(&format!("sqlite://{}", path.display())).await?;
        let lock = old
            .lock_instance()
            .await
            .context("another paper bot is running on this journal; stop it or pass --database")?;
        drop(lock);
        // Closing the last connection checkpoints the WAL into the file; whatever is left in
        // `-wal`/`-shm` moves along with it, so the previous journal stays whole.
        old.close().await;
        let aside = path.with_extension("sqlite.previous");
        for suffix in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", path.display()));
            let to = PathBuf::from(format!("{}{suffix}", aside.display()));
            if from.exists() {
                std::fs::rename(&from, &to)
                    .with_context(|| format!("moving {} aside", from.display()))?;
            } else {
                let _ = std::fs::remove_file(&to);
            }
        }
    }
    let url = format!("sqlite://{}", path.display());
    SqlStore::connect(&url)
        .await
        .with_context(|| format!("opening {url}"))
}
