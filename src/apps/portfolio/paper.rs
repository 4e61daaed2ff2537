//! `paper --portfolio [FILE]`: every grid of a portfolio file on one simulated account — the
//! exchange replaying every grid symbol's bundled candles on loopback, one journal, one
//! client, one loop (`.spec/portfolio.md`, "The live orchestrator").
//!
//! Decisions:
//! - The candles are the portfolio file's `data` (or `--data`), the starting equity
//!   `--quote`: the same inputs as `backtest --portfolio`, so the two can be compared.
//! - The replay starts at the earliest candle of all symbols; the journal starts afresh as
//!   in single-symbol paper trading.
//! - Each grid steps once per loop. The loop's pause is `--interval-ms`, but at least
//!   [`MIN_PAUSE_PER_GRID`] per grid: a grid's step costs about 30 request weight, so five
//!   grids stay near half of the account's 6000 a minute, whatever the pause asked.
//! - The streams by default (`apps::portfolio::streams`): one user-data and one market
//!   connection for every grid, orders over the WebSocket API; `--no-streams` polls.
//! - `--speed step` is lock-step as for one grid (`apps::bot::lockstep`): the exchange feeds
//!   the next minute of every symbol only once every grid's step was quiescent, REST only,
//!   and the run ends with the candles. The journal records the session with its grids
//!   (`apps::session`), so `parity` replays each grid on its own.

use crate::adapters::binance::rest::{BinanceRest, RestConfig};
use crate::adapters::binance::ws::orders::WsOrders;
use crate::adapters::binance::ws::WsConfig;
use crate::adapters::binance::Credentials;
use crate::adapters::klines::DEFAULT_CACHE_DIR;
use crate::adapters::sim::server::{
    serve, ApiCredential, FaultConfig, SimServer, SimServerConfig, Speed,
};
use crate::apps::backtest::portfolio::load::load;
use crate::apps::bot::{runner, BotMetrics, BotSettings};
use crate::apps::dashboard::{self, DashboardState, Pair};
use crate::apps::exchange_sim::parse_speed;
use crate::apps::paper::{fresh_store, PaperArgs};
use crate::apps::portfolio::runner::run_lockstep;
use crate::apps::portfolio::{run_portfolio, GridPlan, Portfolio, PortfolioMetrics, Setup};
use crate::apps::session::{self, Session, SessionGrid};

use crate::apps::backtest::portfolio::load::LoadedPortfolio;
use crate::apps::trade::{announce, check_market, Mode};
use crate::core::money::Amount;
use anyhow::{bail, Context};
use rand::distr::{Alphanumeric, SampleString};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The shortest loop pause per grid.
pub const MIN_PAUSE_PER_GRID: Duration = Duration::from_millis(600);

/// Runs paper trading of the portfolio in `file` until Ctrl-C.
pub fn run(args: &PaperArgs, file: &Path) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new().context("starting tokio")?;
    rt.block_on(run_async(args, file))
}

async fn run_async(args: &PaperArgs, file: &Path) -> anyhow::Result<()> {
    let quote = Amount::parse_non_negative(&args.quote)
        .map_err(|e| anyhow::anyhow!("--quote {}: {e}", args.quote))?
        .as_quote();
    let info_path = Path::new("data/exchange_info.json");
    let loaded = load(
        file,
        &args.data.data,
        info_path,
        quote,
        Some(Path::new(DEFAULT_CACHE_DIR)),
    )?;
    dashboard::check_access(
        args.dashboard,
        args.password_hash()?,
        args.dashboard_access(),
    )?;
    let Some(start_ms) = loaded
        .candles
        .values()
        .filter_map(|c| c.first().map(|c| c.open_time_ms))
        .min()
    else {
        bail!("no candles to replay");
    };
    let quote_asset = loaded.grids[0].spec.rules.quote_asset.clone();
    let lockstep = args.speed == "step";
    let info = std::fs::read_to_string(info_path).context("reading data/exchange_info.json")?;
    let key = Alphanumeric.sample_string(&mut rand::rng(), 64);
    let secret = Alphanumeric.sample_string(&mut rand::rng(), 64);
    let server = SimServer::new(SimServerConfig {
        exchange_info_json: info,
        start_ms,
        markets: loaded.candles.clone().into_iter().collect(),
        balances: vec![(quote_asset, Amount::new(quote.get()))],
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
    record_session(&store, &loaded, start_ms, &args.speed).await?;
    let mut rest = RestConfig::new(&base);
    rest.time_resync_ms = 0;
    let market = BinanceRest::new(rest.clone(), None)?;
    let shared = BinanceRest::new(rest, Some(Credentials::hmac(&key, &secret)?))?;
    // With the streams, orders go over the WebSocket API too (REST while it is down): one
    // connection for every grid (each order names its own client id).
    let shared = match args.no_streams || lockstep {
        true => shared,
        false => shared.with_ws_orders(WsOrders::spawn(&WsConfig::for_rest_base(&base))),
    };
    announce(Mode::Paper);
    let lock = store.lock_instance().await?;
    let plans: Vec<GridPlan> = loaded
        .grids
        .iter()
        .map(|g| GridPlan {
            name: g.name.clone(),
            prefix: g.prefix.clone(),
            strategy: g.spec.config.clone(),
            budget: g.spec.initial_quote,
        })
        .collect();
    for plan in &plans {
        let mut s = BotSettings::new(plan.strategy.clone());
        s.prefix = plan.prefix.clone();
        check_market(&shared.for_prefix(plan.prefix.clone()), &store, &s)
            .await
            .with_context(|| format!("grid {}", plan.name))?;
    }
    let grids = plans.len();
    let interval = Duration::from_millis(args.interval_ms.max(1))
        .max(MIN_PAUSE_PER_GRID * u32::try_from(grids).unwrap_or(u32::MAX));
    let mut settings = BotSettings::new(plans[0].strategy.clone());
    settings.interval = interval;
    let metrics = PortfolioMetrics::default();
    let bot_metrics = Arc::new(BotMetrics::with_extra(|r| metrics.register(r)));
    let mut portfolio = Portfolio::new(
        plans,
        |p| shared.for_prefix(p.clone()),
        store.clone(),
        Setup {
            limits: loaded.limits.clone(),
            initial_equity: quote,
            settings,
            metrics,
            bot_metrics: bot_metrics.clone(),
        },
    )
    .await?
    .with_correlation(loaded.correlation);
    tracing::info!(
        exchange = %base,
        database = %args.database.display(),
        grids,
        interval_ms = interval.as_millis() as u64,
        "paper trading a portfolio"
    );
    let (commands, command_rx) = tokio::sync::mpsc::channel(8);
    let state = DashboardState::new(
        store,
        commands,
        Mode::Paper,
        Pair::from_rules(portfolio.first_bot().rules()),
        args.password_hash()?,
    )?
    .with_access(args.dashboard_access())?
    .with_metrics(bot_metrics)
    .with_grids(portfolio.dashboard_grids())
    .with_candles(Arc::new(market));
    let dashboard = dashboard::spawn(args.dashboard, state)
        .await
        .with_context(|| format!("starting the dashboard on {}", args.dashboard))?;
    let url = format!("http://{}", dashboard.addr);
    tracing::info!(%url, "dashboard listening");
    println!("dashboard: {url}");
    let (stop_tx, stop) = runner::stop_channel();
    let lock_guard = runner::guard_lock(lock, stop_tx);
    // One user-data and one market connection for every grid; the feeds' own requests
    // count against the IP's weight, as REST's do.
    let mut ws = WsConfig::for_rest_base(&base);
    ws.budget = Some(shared.weight_budget());
    let credentials = Arc::new(Credentials::hmac(&key, &secret)?);
    let streams = (!args.no_streams).then_some((&ws, credentials));
    let loops = if lockstep {
        let feed = || server.step_minute().stepped > 0;
        let loops = run_lockstep(&mut portfolio, feed, stop, command_rx).await?;
        println!("replay finished: {loops} loops");
        loops
    } else {
        run_portfolio(&mut portfolio, streams, interval, stop, command_rx).await?
    };
    lock_guard.abort();
    tracing::info!(loops, "portfolio paper trading stopped");
    dashboard.stop().await;
    let _ = stop_server.send(());
    let _ = served.await;
    Ok(())
}

/// Journals what this portfolio session replays (`apps::session`): the account's start and
/// equity, and per grid its symbol, prefix, budget and candle files, so `parity` can replay
/// each grid.
async fn record_session<S: crate::ports::store::Store>(
    store: &S,
    loaded: &LoadedPortfolio,
    start_ms: i64,
    speed: &str,
) -> anyhow::Result<()> {
    let absolute = |files: &[std::path::PathBuf]| {
        files
            .iter()
            .map(|f| std::path::absolute(f).with_context(|| format!("resolving {}", f.display())))
            .collect::<anyhow::Result<Vec<_>>>()
    };
    let mut grids = Vec::new();
    for g in &loaded.grids {
        let symbol = g.spec.config.symbol.clone();
        let files = loaded.files.get(&symbol).map_or(&[][..], Vec::as_slice);
        grids.push(SessionGrid {
            name: g.name.clone(),
            symbol,
            prefix: g.prefix.clone(),
            budget: g.spec.initial_quote,
            candle_files: absolute(files)?,
        });
    }
    let all: Vec<_> = loaded.files.values().flatten().cloned().collect();
    let session = Session {
        mode: Mode::Paper,
        symbol: grids[0].symbol.clone(),
        start_ms,
        candle_files: absolute(&all)?,
        initial_quote: Some(loaded.initial_equity),
        speed: Some(speed.to_string()),
        grids,
    };
    session::record(store, &session, start_ms)
        .await
        .context("journalling the portfolio paper session")
}
