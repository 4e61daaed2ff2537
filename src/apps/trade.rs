//! `binance-trader run` and `binance-trader close-all`: the bot against a Binance REST API
//! (spot testnet by default, mainnet only with `--live` and the confirmation phrase, or a
//! local `exchange-sim` on loopback), with its journal in SQLite or PostgreSQL.
//!
//! Start-up order, so bad input never reaches the exchange as an order: configuration and
//! strategy are read and validated, credentials loaded, the database opened and its
//! single-instance lock taken, the symbol's rules, last price and free balance fetched, and the
//! strategy validated against them. Only then does the first step run.

use crate::adapters::binance::rest::{BinanceRest, RestConfig};
use crate::adapters::binance::transport::ReqwestTransport;
use crate::adapters::binance::ws::{orders::WsOrders, spawn_streams, WsConfig};
use crate::adapters::binance::Credentials;
use crate::adapters::secret_env::SecretEnv;
use crate::adapters::store::SqlStore;
use crate::apps::backtest::command::parse_config;
use crate::apps::bot::emergency::CloseReceipt;
use crate::apps::bot::live::{self, LivePacing};
use crate::apps::bot::{runner, Bot, BotSettings};
use crate::apps::dashboard::ledger::Pairs;
use crate::apps::dashboard::{self, DashboardState, Pair};
use crate::apps::key_safety;
use crate::apps::notify::{self, compose::Origin, Notifier};
use crate::apps::settings_file::{BotFile, DashboardSection};
use crate::core::client_id::IdPrefix;
use crate::core::money::{Pct, Quote};
use crate::core::strategy::kind::validate_for_market;
use crate::core::strategy::volatility;
use crate::ports::exchange::Exchange;
use crate::ports::operator::{CommandKind, CommandState};
use crate::ports::store::{Store, StoreError};
use anyhow::{bail, Context};
use std::path::PathBuf;
use std::time::Duration;

pub use crate::apps::mode::Mode;

/// Options shared by `run` and `close-all`.
#[derive(Debug, Clone, clap::Args)]
pub struct TradeArgs {
    /// The bot configuration file (a missing file means the documented defaults).
    #[arg(long, default_value = "config/bot.toml")]
    pub config: PathBuf,
    /// Trade on Binance mainnet with real money (also needs use_testnet = false and the
    /// confirm_live phrase in the configuration).
    #[arg(long)]
    pub live: bool,
    /// Pause between steps in milliseconds (overrides check_interval_seconds; for tests).
    #[arg(long, hide = true)]
    pub interval_ms: Option<u64>,
    /// Where the dashboard listens (`run` only; overrides `[dashboard] listen`; port 0 picks
    /// a free port).
    #[arg(long)]
    pub dashboard: Option<std::net::SocketAddr>,
    /// Browsers reach the dashboard through a TLS-terminating reverse proxy (`run` only; sets
    /// `[dashboard] behind_tls_proxy`; required to listen on anything but loopback).
    #[arg(long)]
    pub behind_tls_proxy: bool,
    /// Grace before an unanswered order is believed never placed, in ms; also caps the send
    /// window (for tests against the simulated exchange, whose lookups never lag and whose
    /// clock may stand still: see `BotSettings::with_intent_grace`).
    #[arg(long, hide = true)]
    pub intent_grace_ms: Option<i64>,
    /// Run on mainnet even though the API key may withdraw funds (refused otherwise).
    #[arg(long)]
    pub allow_withdrawal_key: bool,
    /// `run` only: trade every grid of this portfolio file on the account, with its risk
    /// limits, instead of the configuration's one strategy (`.spec/portfolio.md`).
    #[arg(long)]
    pub portfolio: Option<PathBuf>,
    /// `run` only: poll over REST instead of reacting to the exchange's streams (user data,
    /// prices) and sending orders over the WebSocket API.
    #[arg(long)]
    pub no_streams: bool,
    /// `run` with the streams: the full step's period while they are up, in ms (the safety
    /// net, a minute by default; for the crash tests, whose replayed market stands still
    /// until the bot has settled and so pushes nothing that would wake it).
    #[arg(long, hide = true)]
    pub full_every_ms: Option<u64>,
}

/// Everything `run` and `close-all` start from.
pub struct Prepared {
    /// The client.
    pub exchange: BinanceRest<ReqwestTransport>,
    /// A keyless client to the same exchange: the dashboard's candles (public klines).
    pub market: BinanceRest<ReqwestTransport>,
    /// The journal (its lock not yet taken).
    pub store: SqlStore,
    /// The bot settings.
    pub settings: BotSettings,
    /// Where orders go.
    pub mode: Mode,
    /// Dashboard settings (listen address after `--dashboard`, password hash).
    pub dashboard: DashboardSection,
    /// Notification channels that are on (checked before anything trades).
    pub notify: crate::apps::notify::config::Channels,
    /// The delivery timeout of every channel.
    pub notify_timeout: Duration,
    /// Snapshot thinning.
    pub retention: crate::apps::backup::RetentionSection,
    /// The exchange's REST base (the streams' hosts are derived from it).
    pub rest_base: String,
    /// The credentials again, for the user-data stream (they are not `Clone`: secrets).
    pub stream_credentials: std::sync::Arc<Credentials>,
}

/// Reads `.env`, the configuration, the strategy and the credentials; opens the database.
pub async fn prepare(args: &TradeArgs) -> anyhow::Result<Prepared> {
    let cwd = std::env::current_dir().context("reading the working directory")?;
    key_safety::load_dotenv(&cwd)?;
    let secrets = SecretEnv::process()?;
    let env = |k: &str| secrets.get(k);
    let file = BotFile::load(&args.config, &env)?;
    file.check_live(args.live)?;
    let notify = file
        .notify
        .channels(&env)
        .with_context(|| format!("{}: [notify]", args.config.display()))?;
    file.retention
        .check()
        .with_context(|| format!("{}: [retention]", args.config.display()))?;
    let (rest, mode) = match &file.exchange.base_url {
        Some(url) => {
            let parsed = reqwest::Url::parse(url).with_context(|| format!("base_url {url}"))?;
            let host = parsed.host_str().unwrap_or_default();
            let loopback = host == "localhost"
                || host
                    .trim_matches(|c| c == '[' || c == ']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                bail!("base_url {url}: only a local exchange-sim on a loopback address may replace Binance's hosts");
            }
            (RestConfig::new(url), Mode::Paper)
        }
        None if file.exchange.use_testnet => (RestConfig::testnet(), Mode::Testnet),
        None => (RestConfig::production(), Mode::Mainnet),
    };
    let strategy_text = std::fs::read_to_string(&file.strategy)
        .with_context(|| format!("reading the strategy {}", file.strategy.display()))?;
    let strategy = parse_config(&strategy_text)
        .with_context(|| format!("strategy {}", file.strategy.display()))?;
    let load = || match &file.exchange.key_file {
        Some(path) => Credentials::from_file(path),
        None => Credentials::from_lookup(env),
    };
    let credentials = load()?;
    let stream_credentials = std::sync::Arc::new(load()?);
    let mut rest = rest;
    rest.id_prefix = IdPrefix::parse(&file.client_id_prefix)
        .with_context(|| format!("client_id_prefix {}", file.client_id_prefix))?;
    let rest_base = rest.base_url.clone();
    let market = BinanceRest::new(rest.clone(), None)?;
    let exchange = BinanceRest::new(rest, Some(credentials))?;
    let store = SqlStore::connect(&file.database_url)
        .await
        .with_context(|| "opening the database (DATABASE_URL / database_url)".to_string())?;
    let mut settings = BotSettings::new(strategy);
    settings.prefix = IdPrefix::parse(&file.client_id_prefix)?;
    settings.interval = match args.interval_ms {
        Some(ms) => Duration::from_millis(ms.max(1)),
        None => Duration::from_secs(file.check_interval_seconds),
    };
    if let Some(ms) = args.intent_grace_ms {
        settings = settings.with_intent_grace(ms);
    }
    settings.emergency_margin = Pct::new(file.emergency_margin_pct);
    settings.rules_refresh_ms = i64::try_from(file.rules_refresh_minutes)
        .unwrap_or(i64::MAX)
        .saturating_mul(60_000);
    let mut dashboard = file.dashboard.clone();
    if let Some(addr) = args.dashboard {
        dashboard.listen = addr;
    }
    dashboard.behind_tls_proxy |= args.behind_tls_proxy;
    Ok(Prepared {
        exchange,
        market,
        store,
        settings,
        mode,
        dashboard,
        notify,
        notify_timeout: file.notify.timeout(),
        retention: file.retention.clone(),
        rest_base,
        stream_credentials,
    })
}

/// Checks the strategy against the live symbol rules, last price and quote balance. A bot
/// resuming an active basket counts the quote its own resting buys lock (free + locked):
/// otherwise a restart with the budget already on the book would be refused.
pub async fn check_market<E: Exchange, S: Store>(
    exchange: &E,
    store: &S,
    settings: &BotSettings,
) -> anyhow::Result<()> {
    let symbol = &settings.strategy.symbol;
    let resuming = store
        .baskets(true)
        .await?
        .iter()
        .any(|b| &b.symbol == symbol && b.prefix == settings.prefix);
    // The rules first: exchangeInfo also carries the rate limits, which the client holds to
    // from then on. Until it is read, the client holds to Binance's default limits against
    // the used weight the exchange reports, which a previous run may have spent past them
    // where the limits are higher (a local exchange-sim; the crash test's restarts).
    let rules = exchange.symbol_rules(symbol).await?;
    check_no_strays(exchange, store, settings).await?;
    let last = exchange.ticker_price(symbol).await?;
    let account = exchange.account().await?;
    let quote = account
        .balances
        .iter()
        .find(|b| b.asset == rules.quote_asset)
        .map_or(Quote::ZERO, |b| {
            if resuming {
                b.total().as_quote()
            } else {
                b.free.as_quote()
            }
        });
    let anchor = rules.filters.round_price_down(last);
    if let Err(errors) = validate_for_market(&settings.strategy, Some(&rules), anchor, Some(quote))
    {
        let lines: Vec<String> = errors.iter().map(|e| format!("  - {e}")).collect();
        bail!(
            "the strategy does not fit {symbol} at {anchor} with {quote} {} {}:\n{}",
            rules.quote_asset,
            if resuming { "free and locked" } else { "free" },
            lines.join("\n")
        );
    }
    check_max_asset(exchange, settings, &rules, anchor).await
}

/// Refuses a grid whose biggest buy or whose exit (the whole position in one order) the
/// account's `MAX_ASSET` limits (`GET /api/v3/myFilters`) would refuse: the exit must work in
/// a crash, so this is a refusal, not a warning. With volatility sizing, at every factor a
/// basket may freeze (`volatility::possible_configs`).
async fn check_max_asset<E: Exchange>(
    exchange: &E,
    settings: &BotSettings,
    rules: &crate::core::filters::SymbolRules,
    anchor: crate::core::money::Price,
) -> anyhow::Result<()> {
    use crate::core::strategy::levels::{extension_levels, planned_levels};
    let symbol = &settings.strategy.symbol;
    let filters = exchange.account_filters(symbol).await?;
    let mut problems = Vec::new();
    for config in volatility::possible_configs(&settings.strategy) {
        let mut levels = planned_levels(&config, anchor, &rules.filters);
        levels.extend(extension_levels(&config, anchor, &rules.filters));
        for p in crate::core::filters::account::grid_violations(&filters, rules, &levels, anchor) {
            if !problems.contains(&p) {
                problems.push(p);
            }
        }
    }
    if !problems.is_empty() {
        let lines: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
        bail!(
            "the account's MAX_ASSET limits on {symbol} (myFilters) do not allow this grid at \
             anchor {anchor}:\n{}\nlower quote_budget or ask Binance about the limit",
            lines.join("\n")
        );
    }
    Ok(())
}

/// Refuses to start while open orders carry our prefix but belong to no basket of this
/// journal: they were placed with another database, whose fills this one cannot account for,
/// and the bot would otherwise leave them working unseen (or adopt them into a basket of the
/// same number).
async fn check_no_strays<E: Exchange, S: Store>(
    exchange: &E,
    store: &S,
    settings: &BotSettings,
) -> anyhow::Result<()> {
    let symbol = &settings.strategy.symbol;
    let mut strays = Vec::new();
    for order in exchange.open_orders(symbol).await? {
        if let Some(ours) = order.client_id.parse_ours(&settings.prefix) {
            let basket = store.basket(ours.basket).await?;
            // A basket of another grid (prefix) would not hold an order of ours either.
            if basket.is_none_or(|b| &b.symbol != symbol || b.prefix != settings.prefix) {
                strays.push(order.client_id.to_string());
            }
        }
    }
    if !strays.is_empty() {
        bail!(
            "{} open order(s) on {symbol} carry this bot's client-id prefix `{}` but belong to no \
             basket in this database ({}): they were placed with another database. Run with \
             that database, or cancel them (or set another `prefix`) before starting",
            strays.len(),
            settings.prefix.as_str(),
            strays.join(", ")
        );
    }
    Ok(())
}

/// What `run` checks before it trades, for one bot or a portfolio: a dashboard that may
/// not listen where asked stops it; the mode is announced; `symbol`'s rules (and with them
/// the account's rate limits) are read before anything else, since until then the client
/// holds to Binance's default limits, which a previous run against a more generous exchange
/// may have spent past (see `check_market`); a key that may withdraw is refused unless
/// allowed.
pub async fn preflight(
    p: &Prepared,
    symbol: &crate::core::symbol::Symbol,
    allow_withdrawal_key: bool,
) -> anyhow::Result<()> {
    dashboard::check_access(
        p.dashboard.listen,
        p.dashboard.password_hash.clone(),
        p.dashboard.access(),
    )?;
    announce(p.mode);
    p.exchange.symbol_rules(symbol).await?;
    let account = p.exchange.account().await?;
    key_safety::check_withdrawal(account.can_withdraw, p.mode, allow_withdrawal_key)?;
    Ok(())
}

/// `run`: the bot until SIGINT/SIGTERM.
pub fn run(args: &TradeArgs) -> anyhow::Result<()> {
    if let Some(file) = &args.portfolio {
        return crate::apps::portfolio::live::run(args, file);
    }
    let rt = tokio::runtime::Runtime::new().context("starting tokio")?;
    rt.block_on(async {
        let p = prepare(args).await?;
        preflight(&p, &p.settings.strategy.symbol, args.allow_withdrawal_key).await?;
        let lock = p.store.lock_instance().await?;
        check_market(&p.exchange, &p.store, &p.settings).await?;
        let mut ws = WsConfig::for_rest_base(&p.rest_base);
        ws.id_prefix = p.settings.prefix.clone();
        // The feeds' own requests count against the IP's weight, as REST's do.
        ws.budget = Some(p.exchange.weight_budget());
        // With the streams, orders go over the WebSocket API too (REST while it is down).
        let exchange = match args.no_streams {
            true => p.exchange,
            false => p.exchange.with_ws_orders(WsOrders::spawn(&ws)),
        };
        let mut bot = Bot::new(exchange, p.store.clone(), p.settings).await?;
        let pair = Pair::from_rules(bot.rules());
        let notifier = Notifier::start(
            p.store.clone(),
            p.notify,
            Origin::of(p.mode, &pair.symbol),
            Pairs::one(pair.symbol.clone(), pair.base.clone(), pair.quote.clone()),
            p.notify_timeout,
        )
        .await
        .context("starting the notifier")?;
        let started = bot
            .exchange()
            .server_time()
            .await
            .unwrap_or_else(|_| notify::wall_ms());
        p.store
            .append_event(&notify::lifecycle_event(
                started,
                true,
                &lifecycle_detail(p.mode),
            ))
            .await?;
        let session = crate::apps::session::Session {
            mode: p.mode,
            symbol: pair.symbol.clone(),
            start_ms: started,
            candle_files: Vec::new(),
            initial_quote: None,
            speed: None,
            grids: Vec::new(),
        };
        crate::apps::session::record_first(&p.store, &session, started).await?;
        let upkeep = crate::apps::backup::spawn_retention(p.store.clone(), p.retention.clone());
        let (commands, command_rx) = tokio::sync::mpsc::channel(8);
        let state = DashboardState::new(
            p.store,
            commands,
            p.mode,
            Pair::from_rules(bot.rules()),
            p.dashboard.password_hash.clone(),
        )?
        .with_access(p.dashboard.access())?
        .with_metrics(bot.metrics().clone())
        .with_candles(std::sync::Arc::new(p.market));
        let listen = p.dashboard.listen;
        let dashboard = dashboard::spawn(listen, state)
            .await
            .with_context(|| format!("starting the dashboard on {listen}"))?;
        tracing::info!(url = %format!("http://{}", dashboard.addr), "dashboard listening");
        let (stop_tx, stop) = runner::stop_channel();
        let lock_guard = runner::guard_lock(lock, stop_tx);
        let steps = match args.no_streams {
            true => runner::run_with_commands(&mut bot, stop, command_rx).await,
            false => {
                let symbols = vec![bot.settings().strategy.symbol.clone()];
                let events = spawn_streams(&ws, Some(p.stream_credentials), symbols);
                let mut pacing = LivePacing::default();
                if let Some(ms) = args.full_every_ms {
                    pacing.full_every = Duration::from_millis(ms.max(1));
                }
                live::run_with_events(&mut bot, events, pacing, stop, command_rx).await
            }
        };
        let lock_lost = lock_guard.is_finished();
        upkeep.abort();
        dashboard.stop().await;
        tracing::info!(steps = steps.as_ref().ok(), "bot stopped");
        let error = steps.as_ref().err().map(ToString::to_string);
        journal_stop(bot.exchange(), bot.store(), error, lock_lost, notifier).await;
        lock_guard.abort();
        steps?;
        if lock_lost {
            bail!("stopped: the database's instance lock was lost (see the log)");
        }
        Ok(())
    })
}

/// Journals why the bot (or the portfolio) stopped — `error`, a lost instance lock, or a
/// signal — at the exchange's time, then gives the notifier its grace to send it.
pub async fn journal_stop<E: Exchange, S: Store>(
    exchange: &E,
    store: &S,
    error: Option<String>,
    lock_lost: bool,
    notifier: Option<Notifier>,
) {
    let why = match (error, lock_lost) {
        (Some(e), _) => format!("stopped by an error: {e}"),
        (None, true) => "stopped: the database's instance lock was lost".to_string(),
        (None, false) => "stopped on request (signal)".to_string(),
    };
    let stopped = exchange
        .server_time()
        .await
        .unwrap_or_else(|_| notify::wall_ms());
    if let Err(e) = store
        .append_event(&notify::lifecycle_event(stopped, false, &why))
        .await
    {
        tracing::warn!(error = %e, "could not journal the stop");
    }
    if let Some(n) = notifier {
        n.stop(NOTIFY_GRACE).await;
    }
}

/// How long `close-all` waits for a running bot to take its queued command, and then again
/// for the receipt.
pub const CLOSE_ALL_WAIT: Duration = Duration::from_secs(60);

/// `close-all`: the emergency close, once, then exit. While a bot runs on the same database
/// (it holds the instance lock) the close is queued in the store for that bot, which runs it
/// at once with the dashboard button's code; otherwise this process runs it. Either way the
/// receipt printed is the dashboard's.
pub fn close_all(args: &TradeArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new().context("starting tokio")?;
    let receipt = rt.block_on(async {
        if let Some(store) = running_bot_store(args).await? {
            return close_through_running_bot(&store).await;
        }
        if let Some(file) = &args.portfolio {
            bail!(
                "close-all --portfolio {}: no bot runs on this journal; a portfolio is closed by \
                 its running bot (`run --portfolio`), which takes the queued close-all for every grid",
                file.display()
            );
        }
        let p = prepare(args).await?;
        announce(p.mode);
        // The rate limits first, as in `run`.
        p.exchange.symbol_rules(&p.settings.strategy.symbol).await?;
        // Never blocks an emergency exit: only warns about a key that may withdraw.
        if let Ok(account) = p.exchange.account().await {
            key_safety::check_withdrawal(account.can_withdraw, p.mode, true)?;
        }
        let _lock = match p.store.lock_instance().await {
            Ok(lock) => lock,
            // A bot started in between: it takes the command.
            Err(StoreError::Locked(_)) => return close_through_running_bot(&p.store).await,
            Err(e) => return Err(e.into()),
        };
        let mut bot = Bot::new(p.exchange, p.store, p.settings).await?;
        Ok(CloseReceipt::of(
            &bot.close_all().await.map_err(|e| e.to_string()),
        ))
    })?;
    println!("{}", receipt.text);
    if !receipt.ok {
        bail!("the emergency close did not finish; run it again");
    }
    Ok(())
}

/// The journal, when a bot holds its instance lock right now; `None` when no bot runs (or
/// there is no journal yet, which nothing then opens or creates).
async fn running_bot_store(args: &TradeArgs) -> anyhow::Result<Option<SqlStore>> {
    let cwd = std::env::current_dir().context("reading the working directory")?;
    key_safety::load_dotenv(&cwd)?;
    let file = BotFile::load_from_process(&args.config)?;
    if SqlStore::sqlite_file(&file.database_url).is_some_and(|f| !f.exists()) {
        return Ok(None);
    }
    let store = SqlStore::connect(&file.database_url)
        .await
        .context("opening the database (DATABASE_URL / database_url)")?;
    match store.lock_instance().await {
        Ok(lock) => {
            lock.release().await?;
            Ok(None)
        }
        Err(StoreError::Locked(_)) => Ok(Some(store)),
        Err(e) => Err(e.into()),
    }
}

/// Queues the emergency close for the bot holding the lock and waits for its receipt. A
/// command no bot took in [`CLOSE_ALL_WAIT`] is withdrawn, so it never fires later.
async fn close_through_running_bot(store: &SqlStore) -> anyhow::Result<CloseReceipt> {
    let id = store
        .enqueue_command(CommandKind::CloseAll, runner::wall_ms())
        .await?;
    tracing::warn!(
        command = id,
        "a bot is running on this database: the emergency close is queued for it"
    );
    let mut deadline = tokio::time::Instant::now() + CLOSE_ALL_WAIT;
    let mut taken = false;
    loop {
        let command = store
            .command(id)
            .await?
            .with_context(|| format!("command {id} vanished from the database"))?;
        match command.state {
            CommandState::Done | CommandState::Failed => {
                return Ok(CloseReceipt {
                    ok: command.state == CommandState::Done,
                    text: command.receipt.unwrap_or_default(),
                })
            }
            CommandState::Withdrawn => bail!(
                "command {id} was withdrawn before a bot ran it: {}",
                command.receipt.unwrap_or_default()
            ),
            CommandState::Taken if !taken => {
                taken = true;
                deadline = tokio::time::Instant::now() + CLOSE_ALL_WAIT;
            }
            _ => {}
        }
        if tokio::time::Instant::now() >= deadline {
            if !taken && store.withdraw_command(id, runner::wall_ms()).await? {
                bail!(
                    "the running bot did not take the emergency close within {} s (is it                      stuck? see its log); the command is withdrawn and nothing was done",
                    CLOSE_ALL_WAIT.as_secs()
                );
            }
            if taken {
                bail!(
                    "the bot took the emergency close (command {id}) but has not answered in {}                      s; see the dashboard's events, or run close-all again",
                    CLOSE_ALL_WAIT.as_secs()
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How long a stopping bot waits for queued notifications (the stop itself among them).
const NOTIFY_GRACE: Duration = Duration::from_secs(5);

/// What the start and stop notifications say besides the mode.
fn lifecycle_detail(mode: Mode) -> String {
    format!(
        "binance-trader {} on {}",
        env!("CARGO_PKG_VERSION"),
        mode.banner()
    )
}

/// Logs the mode, loudly for mainnet.
pub fn announce(mode: Mode) {
    match mode {
        Mode::Mainnet => {
            tracing::warn!("*** {} ***", mode.banner());
            eprintln!("\n*** {} ***\n", mode.banner());
        }
        _ => tracing::info!("{}", mode.banner()),
    }
}
