//! `binance-trader parity --journal J`: replays the market of a journalled session through the
//! backtester with the configuration the journal's baskets froze, and compares per basket the
//! orders, the fills and the realised P&L (`.spec/parity.md`).
//!
//! Entry point [`run`]; [`compare`] is the comparison on plain rows, [`report`] prints it.
//! The journal says which candles a paper session replayed (`apps::session`); a testnet or
//! mainnet journal needs the candles of its span from `--data`. The replay ends at the last
//! candle the bot can have seen (its latest journalled exchange time), so a session stopped
//! half-way compares with the same half of the backtest.
//!
//! A portfolio session (`paper --portfolio`) is compared grid by grid: each grid's baskets
//! (its symbol and prefix) against the backtest of its symbol's candles with its budget.
//!
//! Exit status: 0 no difference, 1 differences, 2 the comparison could not be made.

pub mod compare;
pub mod report;

use crate::adapters::klines::files::group_by_symbol;
use crate::adapters::klines::{load_candles, CandleFiles, DEFAULT_CACHE_DIR};
use crate::adapters::store::SqlStore;
use crate::apps::backtest::run::{run_with_orders, BacktestSpec};
use crate::apps::backtest::{BacktestRecord, Ledger, TradeMark};
use crate::apps::bot::QUIESCENT_KEY;
use crate::apps::mode::Mode;
use crate::apps::portfolio::PORTFOLIO_QUIESCENT_KEY;
use crate::apps::session::{self, Session};
use crate::core::client_id::IdPrefix;
use crate::core::fill::Fill;
use crate::core::filters::SymbolRules;
use crate::core::money::{Qty, Quote};
use crate::ports::exchange::OrderReport;
use crate::ports::store::{BasketRecord, Store};
use anyhow::{bail, Context};
use compare::{FillRow, OrderRow, RunRows};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Options of `parity`.
#[derive(Debug, Clone, clap::Args)]
pub struct ParityArgs {
    /// The journal: a SQLite file, or a sqlite:// or postgres:// URL.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub journal: String,
    /// Candle files of the session's span (needed when the journal does not name them:
    /// testnet and mainnet sessions); replaces the journalled ones.
    #[arg(long, num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// Starting quote balance of the backtest when the journal does not record one.
    #[arg(long, default_value = "10000")]
    pub quote: Quote,
    /// The symbols' rules (Binance's exchangeInfo).
    #[arg(long, default_value = "data/exchange_info.json")]
    pub exchange_info: PathBuf,
    /// Print one JSON document instead of the report.
    #[arg(long)]
    pub json: bool,
}

/// Everything one comparison found (one grid: the session's, or one of a portfolio's).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The journalled session (for a portfolio grid: narrowed to that grid — its symbol,
    /// candle files and budget).
    pub session: Session,
    /// The portfolio grid compared, `None` for a one-grid session.
    pub grid: Option<String>,
    /// Basket numbers of the comparison → the journal's basket ids, where they differ (a
    /// portfolio's grids share one journal's ids; the backtest of one grid counts from 1).
    pub basket_ids: BTreeMap<u32, u32>,
    /// Candles replayed, and the span they cover (first open, last close), Unix ms.
    pub candles: (u64, i64, i64),
    /// The journal's rows.
    pub journal: RunRows,
    /// The backtester's rows.
    pub backtest: RunRows,
    /// Every difference.
    pub differences: Vec<compare::Difference>,
}

/// Runs `parity`; `Ok(true)` when there are differences (exit status 1).
pub fn run(args: &ParityArgs) -> anyhow::Result<bool> {
    let rt = tokio::runtime::Runtime::new().context("starting tokio")?;
    let outcomes = rt.block_on(check(args))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report::json_all(&outcomes))?
        );
    } else {
        for o in &outcomes {
            print!("{}", report::text(o));
        }
    }
    Ok(outcomes.iter().any(|o| !o.differences.is_empty()))
}

/// Reads the journal, replays its market and compares: one outcome for a one-grid session,
/// one per grid for a portfolio session (each grid replayed alone with its budget).
pub async fn check(args: &ParityArgs) -> anyhow::Result<Vec<Outcome>> {
    let store = open(&args.journal).await?;
    let session = session::read(&store).await?.context(
        "the journal records no session (written at start by paper and run since parity exists); \
         nothing says what it traded against",
    )?;
    let baskets = store.baskets(false).await?;
    let end_ms = journal_end(&store).await?;
    if session.grids.is_empty() {
        return Ok(vec![
            check_grid(&store, args, session, None, baskets, end_ms).await?,
        ]);
    }
    let mut out = Vec::new();
    for g in &session.grids {
        let mine: Vec<BasketRecord> = baskets
            .iter()
            .filter(|b| b.symbol == g.symbol && b.prefix == g.prefix)
            .cloned()
            .collect();
        let view = Session {
            symbol: g.symbol.clone(),
            candle_files: g.candle_files.clone(),
            initial_quote: Some(g.budget),
            grids: Vec::new(),
            ..session.clone()
        };
        let o = check_grid(&store, args, view, Some(&g.name), mine, end_ms)
            .await
            .with_context(|| format!("grid {}", g.name))?;
        out.push(o);
    }
    Ok(out)
}

/// Compares one grid: its baskets in the journal against the backtest of its symbol's
/// candles with the configuration they froze.
async fn check_grid(
    store: &SqlStore,
    args: &ParityArgs,
    session: Session,
    grid: Option<&str>,
    mut baskets: Vec<BasketRecord>,
    end_ms: i64,
) -> anyhow::Result<Outcome> {
    baskets.sort_by_key(|b| b.basket.id);
    let Some(first) = baskets.first() else {
        bail!("the journal has no basket: nothing to compare");
    };
    let config = first.basket.config.clone();
    if let Some(other) = baskets.iter().find(|b| b.basket.config != config) {
        bail!(
            "basket {} froze another strategy configuration than basket {}: parity replays one",
            other.basket.id,
            first.basket.id
        );
    }
    let info = std::fs::read_to_string(&args.exchange_info)
        .with_context(|| format!("reading {}", args.exchange_info.display()))?;
    let rules =
        crate::core::filters::parse::symbol_rules(&info, &session.symbol).with_context(|| {
            format!(
                "symbol {} in {}",
                session.symbol,
                args.exchange_info.display()
            )
        })?;
    let given = match grid {
        // A portfolio's --data holds every symbol's files: this grid's are its symbol's.
        Some(_) if !args.data.is_empty() => group_by_symbol(&args.data, None)
            .context("grouping the --data files by symbol")?
            .remove(&session.symbol)
            .unwrap_or_default(),
        _ => args.data.clone(),
    };
    let files = match (&given[..], &session.candle_files[..]) {
        ([], []) => bail!(
            "a {} journal does not name its candles: pass --data with the {} candles of its span",
            mode_name(session.mode),
            session.symbol
        ),
        ([], named) => named.to_vec(),
        (given, _) => given.to_vec(),
    };
    let set = CandleFiles {
        symbol: session.symbol.clone(),
        files,
    };
    let all = load_candles(&set, Some(std::path::Path::new(DEFAULT_CACHE_DIR)))
        .context("loading the session's candles")?;
    let candles: Vec<_> = all
        .into_iter()
        .filter(|c| c.open_time_ms >= session.start_ms && c.close_time_ms <= end_ms)
        .collect();
    let (Some(c0), Some(cn)) = (candles.first(), candles.last()) else {
        bail!(
            "no candle between the session's start ({}) and its last journalled time ({end_ms})",
            session.start_ms
        );
    };
    let span = (candles.len() as u64, c0.open_time_ms, cn.close_time_ms);
    let spec = BacktestSpec {
        config,
        rules: rules.clone(),
        initial_quote: session.initial_quote.unwrap_or(args.quote),
    };
    let (record, orders) = run_with_orders(&spec, &candles, &|_| {})?;
    let mut journal = journal_rows(store, &baskets, &rules).await?;
    // The backtest of one grid numbers its baskets from 1; a portfolio journal's ids are
    // shared by its grids, so the grid's baskets are numbered 1, 2, … in id order.
    let basket_ids: BTreeMap<u32, u32> = match grid {
        None => BTreeMap::new(),
        Some(_) => (1..)
            .zip(baskets.iter().map(|b| b.basket.id))
            .filter(|(n, id)| n != id)
            .collect(),
    };
    if !basket_ids.is_empty() {
        renumber(&mut journal, &basket_ids);
    }
    let backtest = backtest_rows(&record, &orders);
    let differences = compare::compare(&journal, &backtest);
    Ok(Outcome {
        session,
        grid: grid.map(str::to_string),
        basket_ids,
        candles: span,
        journal,
        backtest,
        differences,
    })
}

/// Renames the journal rows' basket ids to the comparison's numbers (`number → id`).
fn renumber(rows: &mut RunRows, numbers: &BTreeMap<u32, u32>) {
    let of: BTreeMap<u32, u32> = numbers.iter().map(|(n, id)| (*id, *n)).collect();
    let map = |id: u32| of.get(&id).copied().unwrap_or(id);
    for o in &mut rows.orders {
        o.basket = map(o.basket);
    }
    for f in &mut rows.fills {
        f.basket = map(f.basket);
    }
    rows.pnl = rows.pnl.iter().map(|(id, q)| (map(*id), *q)).collect();
}

/// The session's mode as the report names it.
pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Paper => "paper",
        Mode::Testnet => "testnet",
        Mode::Mainnet => "mainnet",
    }
}

async fn open(journal: &str) -> anyhow::Result<SqlStore> {
    let url = if journal.contains("://") {
        journal.to_string()
    } else {
        if !std::path::Path::new(journal).is_file() {
            bail!("{journal}: no such journal file");
        }
        format!("sqlite://{journal}")
    };
    SqlStore::connect(&url)
        .await
        .context("opening the journal (--journal / DATABASE_URL)")
}

/// The latest exchange time the bot journalled: its last quiet step, order update, fill or
/// account snapshot. Candles closing after it were never seen by the bot.
async fn journal_end<S: Store>(store: &S) -> anyhow::Result<i64> {
    let mut end = i64::MIN;
    // The single bot's quiet step, or a portfolio's quiet loop.
    for key in [QUIESCENT_KEY, PORTFOLIO_QUIESCENT_KEY] {
        if let Some(v) = store.config_value(key).await? {
            end = end.max(v.parse::<i64>().unwrap_or(i64::MIN));
        }
    }
    for b in store.baskets(false).await? {
        for o in store.orders(b.basket.id).await? {
            end = end.max(o.report.update_ms).max(o.report.time_ms);
        }
        for f in store.basket_fills(b.basket.id).await? {
            end = end.max(f.time_ms);
        }
    }
    if let Some(s) = store.snapshots(1).await?.last() {
        end = end.max(s.time_ms);
    }
    Ok(end)
}

async fn journal_rows<S: Store>(
    store: &S,
    baskets: &[BasketRecord],
    rules: &SymbolRules,
) -> anyhow::Result<RunRows> {
    let mut rows = RunRows::default();
    for b in baskets {
        let id = b.basket.id;
        let orders = store.orders(id).await?;
        let by_id: BTreeMap<u64, &OrderReport> = orders
            .iter()
            .map(|o| (o.report.order_id, &o.report))
            .collect();
        let placed: BTreeMap<_, _> = store
            .intents(id)
            .await?
            .into_iter()
            .map(|i| (i.client_id.clone(), i))
            .collect();
        for o in &orders {
            // An amend reduced this order in place; the backtester replaces instead (cancel
            // and a new order), so the journal's order counts as both requests.
            if let Some(intent) = placed.get(&o.report.client_id) {
                if intent.spec.qty != o.report.spec.qty {
                    let mut before = o.report.clone();
                    before.spec.qty = intent.spec.qty;
                    rows.orders.push(order_row(id, o.slot, &before));
                }
            }
            rows.orders.push(order_row(id, o.slot, &o.report));
        }
        let mut ledger = Ledger::default();
        for f in store.basket_fills(id).await? {
            let (fee, fee_base) = fee_of(&f, rules);
            let order = by_id.get(&f.order_id);
            rows.fills.push(FillRow {
                basket: id,
                slot: f.slot,
                side: f.side,
                price: f.price,
                qty: f.qty,
                fee,
                time_ms: f.time_ms,
                order_price: order.and_then(|o| o.spec.price),
                order_qty: order.map_or(f.qty, |o| o.spec.qty),
            });
            ledger.apply(&TradeMark {
                time_ms: f.time_ms,
                basket: id,
                slot: f.slot,
                side: f.side,
                price: f.price,
                qty: f.qty,
                fee: fee.unwrap_or(Quote::ZERO),
                fee_base,
            });
        }
        rows.pnl.insert(id, ledger.realized_pnl);
    }
    Ok(rows)
}

/// A fill's commission valued in quote and the part of it paid in base, as the backtester
/// books them (`backtest::run`); a third-asset fee counts at the value the bot journalled.
fn fee_of(f: &Fill, rules: &SymbolRules) -> (Option<Quote>, Qty) {
    let c = &f.commission;
    if c.asset == rules.quote_asset {
        (Some(c.amount.as_quote()), Qty::ZERO)
    } else if c.asset == rules.base_asset {
        (Some(f.price * c.amount.as_qty()), c.amount.as_qty())
    } else {
        (c.quote_value, Qty::ZERO)
    }
}

fn order_row(basket: u32, slot: crate::core::order::Slot, r: &OrderReport) -> OrderRow {
    OrderRow {
        basket,
        slot,
        side: r.side,
        order_type: r.spec.order_type,
        price: r.spec.price,
        stop_price: r.spec.stop_price,
        qty: r.spec.qty,
        time_ms: r.time_ms,
    }
}

fn backtest_rows(record: &BacktestRecord, orders: &[OrderReport]) -> RunRows {
    let prefix = IdPrefix::default();
    let mut rows = RunRows::default();
    for o in orders {
        if let Some(id) = o.client_id.parse_ours(&prefix) {
            rows.orders.push(order_row(id.basket, id.slot, o));
        }
    }
    rows.fills = record
        .trades
        .iter()
        .map(|t| FillRow {
            basket: t.basket,
            slot: t.slot,
            side: t.side,
            price: t.price,
            qty: t.qty,
            fee: Some(t.fee),
            time_ms: t.time_ms,
            order_price: None,
            order_qty: t.qty,
        })
        .collect();
    rows.pnl = record
        .baskets
        .iter()
        .map(|b| (b.id, b.realized_pnl))
        .collect();
    rows
}
