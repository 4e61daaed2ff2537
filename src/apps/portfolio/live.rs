//! `run --portfolio FILE`: the portfolio's grids on the exchange `config/bot.toml` names (the
//! spot testnet by default; mainnet only as `run` allows it; or a local exchange-sim), with
//! the orchestrator `paper --portfolio` runs — the same code path, another client.
//!
//! Decisions:
//! - Start-up as `run`'s: configuration, credentials, journal and its instance lock; then the
//!   portfolio file, every grid's strategy validated against its symbol's live rules, last
//!   price and the grid's budget; then `check_market` per grid (trading status, orders of
//!   ours the journal lacks, balance). Only then does the first loop run.
//! - The bot file's `strategy` and `client_id_prefix` are not used: each grid has its own.
//!   Its interval, emergency margin and rules refresh apply to every grid.
//! - The starting equity (what `budget_pct` is a share of, the peak's floor) is the account's
//!   value in the quote asset at the first start — quote plus each grid symbol's base at its
//!   price — kept in the journal (`portfolio_initial_equity`): a restart keeps the budgets
//!   although the account moved.
//! - Notifications as `run`'s, from the one journal: a basket's events are titled with its
//!   grid's symbol, the others (start, stop, risk limits) with `portfolio`.
//! - The streams by default, as `run`'s: one user-data and one market connection for every
//!   grid, orders over the WebSocket API (REST while it is down); `--no-streams` polls.

use crate::adapters::binance::ws::orders::WsOrders;
use crate::adapters::binance::ws::WsConfig;
use crate::apps::backtest::portfolio::load::grid_strategy;
use crate::apps::bot::{runner, BotMetrics};
use crate::apps::dashboard::{self, DashboardState, Pair};
use crate::apps::notify::{compose::Origin, Notifier};
use crate::apps::portfolio::{run_portfolio, GridPlan, Portfolio, PortfolioMetrics, Setup};
use crate::apps::trade::{check_market, journal_stop, preflight, prepare, TradeArgs};
use crate::core::client_id::IdPrefix;
use crate::core::money::Quote;
use crate::core::portfolio::PortfolioConfig;
use crate::core::strategy::kind::validate_for_market;
use crate::core::symbol::Symbol;
use crate::ports::exchange::Exchange;
use crate::ports::store::Store;
use anyhow::{bail, Context};
use std::path::Path;
use std::sync::Arc;

/// `bot_config` key of the starting equity.
pub const INITIAL_EQUITY_KEY: &str = "portfolio_initial_equity";

/// Runs the portfolio in `file` until a signal.
pub fn run(args: &TradeArgs, file: &Path) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new().context("starting tokio")?;
    rt.block_on(run_async(args, file))
}

async fn run_async(args: &TradeArgs, file: &Path) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let config = PortfolioConfig::from_toml_str(&text)
        .with_context(|| format!("parsing {}", file.display()))?;
    let p = prepare(args).await?;
    let first = config.grids.first().with_context(|| {
        format!(
            "invalid portfolio {}: a portfolio needs at least one [[grid]]",
            file.display()
        )
    })?;
    let symbol =
        Symbol::parse(&first.symbol).with_context(|| format!("grid symbol {}", first.symbol))?;
    preflight(&p, &symbol, args.allow_withdrawal_key).await?;
    let lock = p.store.lock_instance().await?;
    let equity = initial_equity(&p.exchange, &p.store, &config).await?;
    if let Err(errors) = config.validate(Some(equity)) {
        let lines: Vec<String> = errors.iter().map(|e| format!("  - {e}")).collect();
        bail!(
            "invalid portfolio {}:\n{}",
            file.display(),
            lines.join("\n")
        );
    }
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut plans = Vec::new();
    for (i, g) in config.grids.iter().enumerate() {
        let symbol = Symbol::parse(&g.symbol).context("symbol validated")?;
        let rules = p.exchange.symbol_rules(&symbol).await?;
        let last = p.exchange.ticker_price(&symbol).await?;
        let budget = g.budget_for(equity);
        let strategy = grid_strategy(dir, i, g, budget)?;
        let anchor = rules.filters.round_price_down(last);
        if let Err(errors) = validate_for_market(&strategy, Some(&rules), anchor, Some(budget)) {
            let lines: Vec<String> = errors.iter().map(|e| format!("  - {e}")).collect();
            bail!(
                "grid[{i}] ({}): invalid strategy for {symbol}:\n{}",
                g.name,
                lines.join("\n")
            );
        }
        let prefix = match &g.client_id_prefix {
            Some(p) => IdPrefix::parse(p).context("prefix validated")?,
            None => IdPrefix::default(),
        };
        plans.push(GridPlan {
            name: g.name.clone(),
            prefix,
            strategy,
            budget,
        });
    }
    for plan in &plans {
        let mut s = p.settings.clone();
        s.strategy = plan.strategy.clone();
        s.prefix = plan.prefix.clone();
        check_market(&p.exchange.for_prefix(plan.prefix.clone()), &p.store, &s)
            .await
            .with_context(|| format!("grid {}", plan.name))?;
    }
    let interval = p.settings.interval;
    let metrics = PortfolioMetrics::default();
    let bot_metrics = Arc::new(BotMetrics::with_extra(|r| metrics.register(r)));
    let mut ws = WsConfig::for_rest_base(&p.rest_base);
    // The feeds' own requests count against the IP's weight, as REST's do.
    ws.budget = Some(p.exchange.weight_budget());
    // With the streams, orders go over the WebSocket API too (REST while it is down): one
    // connection for every grid.
    let exchange = p.exchange.for_prefix(p.settings.prefix.clone());
    let exchange = match args.no_streams {
        true => exchange,
        false => exchange.with_ws_orders(WsOrders::spawn(&ws)),
    };
    let shared = &exchange;
    let mut portfolio = Portfolio::new(
        plans,
        |prefix| shared.for_prefix(prefix.clone()),
        p.store.clone(),
        Setup {
            limits: config.risk.limits(),
            initial_equity: equity,
            settings: p.settings.clone(),
            metrics,
            bot_metrics: bot_metrics.clone(),
        },
    )
    .await?
    .with_correlation(config.correlation.window());
    let notifier = Notifier::start(
        p.store.clone(),
        p.notify,
        Origin::labelled(p.mode, "portfolio"),
        portfolio.pairs(),
        p.notify_timeout,
    )
    .await
    .context("starting the notifier")?;
    let started = p
        .exchange
        .server_time()
        .await
        .unwrap_or_else(|_| crate::apps::bot::runner::wall_ms());
    p.store
        .append_event(&crate::apps::notify::lifecycle_event(
            started,
            true,
            &format!(
                "portfolio {} ({} grids)",
                file.display(),
                config.grids.len()
            ),
        ))
        .await?;
    let (commands, command_rx) = tokio::sync::mpsc::channel(8);
    let state = DashboardState::new(
        p.store.clone(),
        commands,
        p.mode,
        Pair::from_rules(portfolio.first_bot().rules()),
        p.dashboard.password_hash.clone(),
    )?
    .with_access(p.dashboard.access())?
    .with_metrics(bot_metrics)
    .with_grids(portfolio.dashboard_grids())
    .with_candles(Arc::new(p.market));
    let listen = p.dashboard.listen;
    let dashboard = dashboard::spawn(listen, state)
        .await
        .with_context(|| format!("starting the dashboard on {listen}"))?;
    tracing::info!(url = %format!("http://{}", dashboard.addr), "dashboard listening");
    let (stop_tx, stop) = runner::stop_channel();
    let lock_guard = runner::guard_lock(lock, stop_tx);
    let streams = (!args.no_streams).then(|| (&ws, p.stream_credentials.clone()));
    let loops = run_portfolio(&mut portfolio, streams, interval, stop, command_rx).await;
    let lock_lost = lock_guard.is_finished();
    dashboard.stop().await;
    tracing::info!(loops = loops.as_ref().ok(), "portfolio stopped");
    let error = loops.as_ref().err().map(ToString::to_string);
    journal_stop(&p.exchange, &p.store, error, lock_lost, notifier).await;
    lock_guard.abort();
    loops?;
    if lock_lost {
        bail!("stopped: the database's instance lock was lost (see the log)");
    }
    Ok(())
}

/// The starting equity kept in the journal, or (first start) the account's value now in the
/// quote asset of the first grid: quote + every grid symbol's base at its last price.
async fn initial_equity<E: Exchange, S: Store>(
    exchange: &E,
    store: &S,
    config: &PortfolioConfig,
) -> anyhow::Result<Quote> {
    if let Some(v) = store.config_value(INITIAL_EQUITY_KEY).await? {
        if let Ok(q) = v.parse() {
            return Ok(Quote::new(q));
        }
    }
    let account = exchange.account().await?;
    let total = |asset: &crate::core::symbol::Asset| {
        account
            .balances
            .iter()
            .find(|b| &b.asset == asset)
            .map(|b| b.total())
            .unwrap_or_default()
    };
    let Some(first) = config.grids.first() else {
        bail!("a portfolio needs at least one grid");
    };
    let first = exchange
        .symbol_rules(&Symbol::parse(&first.symbol).context("grid symbol")?)
        .await?;
    let mut equity = total(&first.quote_asset).as_quote();
    let mut seen = std::collections::BTreeSet::new();
    for g in &config.grids {
        let symbol = Symbol::parse(&g.symbol).context("grid symbol")?;
        if !seen.insert(symbol.clone()) {
            continue;
        }
        let rules = exchange.symbol_rules(&symbol).await?;
        let held = total(&rules.base_asset).as_qty();
        if held.is_positive() {
            equity += exchange.ticker_price(&symbol).await? * held;
        }
    }
    store
        .set_config_value(
            INITIAL_EQUITY_KEY,
            &equity.get().to_string(),
            crate::apps::bot::runner::wall_ms(),
        )
        .await?;
    Ok(equity)
}
