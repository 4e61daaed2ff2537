//! `binance-trader status [--json]`: what the bot holds and did, read from its journal only —
//! open baskets with position and P&L, open orders, the profitability summary, balances and
//! price of the latest account snapshot, the last step, and anything paused, closing or
//! failing. It never takes the instance lock and never talks to the exchange, so it works the
//! same while the bot runs (SQLite WAL readers do not block the writer; PostgreSQL sessions
//! are independent) and when it does not (`.spec/operations.md` § Status).

use crate::adapters::store::SqlStore;
use crate::apps::bot::runner::{LastStep, LAST_STEP_KEY};
use crate::apps::bot::{close_pending_key, pair_key, precision_key};
use crate::apps::dashboard::format::Precision;
use crate::apps::dashboard::ledger::{Ledger, Pairs};
use crate::apps::dashboard::view::Summary;
use crate::apps::dashboard::view::{basket_view, open_row, summary, BasketView, OpenOrderRow};
use crate::apps::key_safety;
use crate::apps::settings_file::BotFile;
use crate::core::fill::Balance;
use crate::core::money::{Price, Quote};
use crate::core::risk::{Trip, TripAction};
use crate::core::symbol::{Asset, Symbol};
use crate::ports::store::{Event, EventLevel, Store};
use anyhow::Context;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Options of `status`.
#[derive(Debug, Clone, clap::Args)]
pub struct StatusArgs {
    /// The bot configuration file (its `database_url`, or DATABASE_URL, names the journal).
    #[arg(long, default_value = "config/bot.toml")]
    pub config: PathBuf,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// Warnings and errors among the latest events that `status` lists.
const RECENT_EVENTS: u64 = 200;
/// The latest account snapshots searched (newest first) for each pair's last price.
const SNAPSHOTS_SEARCHED: u64 = 200;
/// At most this many of them are shown.
const ALERTS_SHOWN: usize = 5;

/// Everything `status` shows (the `--json` document).
#[derive(Debug, Clone, Serialize)]
pub struct StatusView {
    /// `sqlite` or `postgres` (never the URL: it may hold a password).
    pub database: &'static str,
    /// False when the journal does not exist yet (the bot never ran with it).
    pub journal: bool,
    /// The pair of the newest basket.
    pub symbol: Option<String>,
    /// Every pair with an open basket (a portfolio's grids), the newest basket's first.
    pub symbols: Vec<String>,
    /// The bot's last step, if it recorded one.
    pub last_step: Option<LastStep>,
    /// Price P&L is measured at: the latest account snapshot's.
    pub last_price: Option<Price>,
    /// When that snapshot was taken, Unix ms (exchange time).
    pub snapshot_ms: Option<i64>,
    /// Realised, unrealised and combined P&L; trades, wins, losses.
    pub summary: Summary,
    /// Open baskets (active, paused, closing), newest first.
    pub baskets: Vec<BasketView>,
    /// Orders open on the exchange as last synced, oldest first.
    pub open_orders: Vec<OpenOrderRow>,
    /// Balances of the latest account snapshot.
    pub balances: Vec<Balance>,
    /// An emergency close waits for an unknown order outcome before it can finish.
    pub emergency_close_pending: bool,
    /// Paused or closing baskets and the portfolio's risk limits holding.
    pub alerts: Vec<String>,
    /// A portfolio's risk limits holding now, by grid (empty for a single bot).
    pub risk_holding: BTreeMap<String, Vec<Trip>>,
    /// The latest warning and error events.
    pub recent_problems: Vec<Event>,
}

/// Runs `status`.
pub fn run(args: &StatusArgs) -> anyhow::Result<()> {
    let cwd = std::env::current_dir().context("reading the working directory")?;
    key_safety::load_dotenv(&cwd)?;
    let file = BotFile::load_from_process(&args.config)?;
    let rt = tokio::runtime::Runtime::new().context("starting tokio")?;
    let view = rt.block_on(read(&file.database_url))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        print!("{}", super::status_table::render(&view));
    }
    Ok(())
}

/// Reads the status of the journal at `url`. A SQLite journal that does not exist is reported
/// as such and not created.
pub async fn read(url: &str) -> anyhow::Result<StatusView> {
    if SqlStore::sqlite_file(url).is_some_and(|f| !f.exists()) {
        return Ok(StatusView::empty("sqlite"));
    }
    let store = SqlStore::connect(url)
        .await
        .context("opening the database (DATABASE_URL / database_url)")?;
    let view = read_store(&store, store.backend_name()).await;
    store.close().await;
    view
}

impl StatusView {
    fn empty(database: &'static str) -> Self {
        Self {
            database,
            journal: false,
            symbol: None,
            symbols: Vec::new(),
            last_step: None,
            last_price: None,
            snapshot_ms: None,
            summary: Summary::default(),
            baskets: Vec::new(),
            open_orders: Vec::new(),
            balances: Vec::new(),
            emergency_close_pending: false,
            alerts: Vec::new(),
            risk_holding: BTreeMap::new(),
            recent_problems: Vec::new(),
        }
    }
}

/// The status of any store (the bot's journal).
pub async fn read_store<S: Store>(store: &S, database: &'static str) -> anyhow::Result<StatusView> {
    let mut view = StatusView::empty(database);
    view.journal = true;
    let open = store.open_baskets().await?;
    let newest = match open.first() {
        Some(r) => Some(r.clone()),
        None => store.basket(store.max_basket_id().await?).await?,
    };
    let latest = store.snapshots(1).await?.pop();
    view.last_price = latest.as_ref().map(|s| s.price);
    view.snapshot_ms = latest.as_ref().map(|s| s.time_ms);
    view.balances = latest.map(|s| s.balances).unwrap_or_default();
    view.last_step = store
        .config_value(LAST_STEP_KEY)
        .await?
        .and_then(|v| serde_json::from_str(&v).ok());
    let Some(newest) = newest else {
        return Ok(view);
    };
    // A portfolio's journal holds several pairs: each basket and order is shown at its own
    // symbol's price and precision, and booked by its own pair's assets.
    let mut symbols: Vec<Symbol> = vec![newest.symbol.clone()];
    for r in &open {
        if !symbols.contains(&r.symbol) {
            symbols.push(r.symbol.clone());
        }
    }
    let mut pairs: Option<Pairs> = None;
    let mut shown: BTreeMap<Symbol, (Precision, Option<Price>)> = BTreeMap::new();
    let recent = store.snapshots(SNAPSHOTS_SEARCHED).await?;
    for symbol in &symbols {
        let (base, quote) = pair_assets(store, symbol).await?;
        // The newest basket's pair comes first: its quote is the one totals are in.
        match pairs.as_mut() {
            Some(p) => p.add(symbol.clone(), base, quote),
            None => pairs = Some(Pairs::one(symbol.clone(), base, quote)),
        }
        let price = recent
            .iter()
            .rev()
            .find(|s| &s.symbol == symbol)
            .map(|s| s.price);
        shown.insert(symbol.clone(), (precision(store, symbol).await?, price));
    }
    let orders = store.open_orders().await?;
    for o in &orders {
        if !shown.contains_key(&o.report.symbol) {
            let p = precision(store, &o.report.symbol).await?;
            shown.insert(o.report.symbol.clone(), (p, None));
        }
    }
    let at = |symbol: &Symbol| shown.get(symbol).copied().unwrap_or_default();
    view.last_price = at(&newest.symbol).1.or(view.last_price);
    let Some(pairs) = pairs else {
        return Ok(view); // unreachable: `symbols` starts with the newest basket's
    };
    let ledger = Ledger::new(pairs);
    let books = ledger.refresh(store).await?;
    view.baskets = open
        .iter()
        .map(|r| {
            let (precision, price) = at(&r.symbol);
            basket_view(r, &books.book(r, &ledger), &orders, price, precision)
        })
        .collect();
    let unrealised = view.baskets.iter().map(|b| b.unrealised).sum();
    // The budget at stake: the newest basket's of each pair traded.
    let mut budget = Quote::ZERO;
    for symbol in &symbols {
        let newest_of = open.iter().find(|r| &r.symbol == symbol).unwrap_or(&newest);
        budget += newest_of.basket.config.quote_budget;
    }
    view.summary = summary(&books, unrealised, Some(budget));
    view.open_orders = orders
        .iter()
        .map(|o| {
            let (precision, price) = at(&o.report.symbol);
            open_row(o, price, precision)
        })
        .collect();
    // A pending close is kept per grid (symbol and prefix): read each grid's baskets name.
    let mut grids = std::collections::BTreeSet::new();
    for r in std::iter::once(&newest).chain(open.iter()) {
        grids.insert(close_pending_key(&r.symbol, &r.prefix));
    }
    for key in grids {
        view.emergency_close_pending |= store
            .config_value(&key)
            .await?
            .is_some_and(|v| !v.is_empty());
    }
    view.symbol = Some(newest.symbol.to_string());
    view.symbols = symbols.iter().map(ToString::to_string).collect();
    view.recent_problems = store
        .events(RECENT_EVENTS)
        .await?
        .into_iter()
        .filter(|e| e.level != EventLevel::Info)
        .take(ALERTS_SHOWN)
        .collect();
    view.risk_holding = crate::apps::portfolio::load_held(store).await?;
    view.alerts = alerts(&view);
    Ok(view)
}

/// One line for each thing an operator must look at.
fn alerts(view: &StatusView) -> Vec<String> {
    let mut out = Vec::new();
    if view.emergency_close_pending {
        out.push("emergency close pending: it finishes once every order outcome is known".into());
    }
    for (grid, trips) in &view.risk_holding {
        for t in trips {
            let action = match t.action {
                TripAction::NoNewBuys => "no new buys",
                TripAction::Close => "closed",
            };
            out.push(format!(
                "grid {grid}: risk limit {} holds (last {} against {}): {action}",
                crate::apps::portfolio::limit_name(t.limit),
                t.value.normalize(),
                t.threshold.normalize()
            ));
        }
    }
    for b in &view.baskets {
        match b.status {
            "error" => out.push(format!(
                "basket {} paused: {}",
                b.id,
                b.reason.as_deref().unwrap_or("no reason recorded")
            )),
            "closing" => out.push(format!(
                "basket {} closing: its emergency exit sell has not filled yet",
                b.id
            )),
            _ => {}
        }
    }
    out
}

/// The decimals of the symbol's tick and step: recorded by the bot at start; for an older
/// journal, from the bundled `data/exchange_info.json`; else Binance's widest, 8.
async fn precision<S: Store>(store: &S, symbol: &Symbol) -> anyhow::Result<Precision> {
    if let Some(text) = store.config_value(&precision_key(symbol)).await? {
        if let Some((p, q)) = text.split_once(' ') {
            if let (Ok(price_dp), Ok(qty_dp)) = (p.parse(), q.parse()) {
                return Ok(Precision { price_dp, qty_dp });
            }
        }
    }
    if let Ok(info) = std::fs::read_to_string("data/exchange_info.json") {
        if let Ok(rules) = crate::core::filters::parse::symbol_rules(&info, symbol) {
            return Ok(Precision::of(&rules.filters));
        }
    }
    Ok(Precision::default())
}

/// The pair's base and quote assets: recorded by the bot at start; for an older journal, from
/// the bundled `data/exchange_info.json`; else split at a known quote asset.
async fn pair_assets<S: Store>(store: &S, symbol: &Symbol) -> anyhow::Result<(Asset, Asset)> {
    if let Some(text) = store.config_value(&pair_key(symbol)).await? {
        if let Some((b, q)) = text.split_once('/') {
            if let (Ok(b), Ok(q)) = (Asset::parse(b), Asset::parse(q)) {
                return Ok((b, q));
            }
        }
    }
    if let Ok(info) = std::fs::read_to_string("data/exchange_info.json") {
        if let Ok(rules) = crate::core::filters::parse::symbol_rules(&info, symbol) {
            return Ok((rules.base_asset, rules.quote_asset));
        }
    }
    const QUOTES: &[&str] = &[
        "USDT", "USDC", "FDUSD", "TUSD", "BUSD", "EUR", "TRY", "BTC", "ETH", "BNB",
    ];
    let name = symbol.as_str();
    for q in QUOTES {
        if let Some(b) = name.strip_suffix(q).filter(|b| !b.is_empty()) {
            return Ok((Asset::parse(b)?, Asset::parse(q)?));
        }
    }
    anyhow::bail!(
        "cannot tell the base and quote assets of {symbol}: start the bot once to record them"
    )
}
