//! `binance-trader optimize`: walk-forward optimisation of a strategy's parameters.
//!
//! The candles are cut into train/test windows ([`windows`]); in each window every point of
//! the parameter space ([`space`]) is backtested on the training candles in parallel on all
//! cores, the best by the objective is kept, and only that point is run on the test candles
//! that follow ([`walk`]). The report ([`report`]) puts in-sample next to out-of-sample per
//! window, warns where they diverge, and sums the out-of-sample results against
//! buy-and-hold. Ranking on the candles a configuration was tuned on is how a sweep
//! overfits; the out-of-sample column is the honest one.
//!
//! Decisions:
//! - Each span (training or test) is a fresh backtest: flat, with `--quote` cash, the grid
//!   anchored at the span's first open. Nothing carries over between windows, so test
//!   results are comparable and no position bought in training leaks into the test.
//! - Points invalid for the strategy file are skipped before the run; points invalid at a
//!   span's prices (a level under the minimum notional) are skipped in that span. Both are
//!   counted, never fatal.
//! - Defaults work on the bundled data: `config/backtest.toml` on the FILUSDT crash quarter,
//!   rolling 30-day training and 15-day test spans (four windows), P&L over max drawdown,
//!   and a small grid of the strategy's own keys (`DEFAULT_PARAMS`).

pub mod report;
pub mod space;
pub mod walk;
pub mod windows;

use crate::adapters::klines;
use crate::apps::backtest::command::{count_bar, load_rules, parse_config};
use crate::apps::backtest::sweep::{self, parse_axes, points_from};
use crate::apps::candle_data::{ensure_trades_candles, files_for, DataArgs, StrategyFile};
use crate::core::money::Quote;
use crate::core::strategy::config::StrategyConfig;
use crate::core::symbol::{Asset, Symbol};
use anyhow::{bail, Context};
use clap::Args;
use serde::Serialize;
use space::{Objective, Search};
use std::path::PathBuf;
use windows::WindowMode;

/// The parameter grid `optimize` searches when no `--param` is given, per strategy kind
/// (`StrategyKind::name`): each strategy's own keys, since another kind's keys are unknown
/// keys in its file and every point would be skipped.
pub const DEFAULT_PARAMS: [(&str, &[&str]); 2] = [
    (
        "basket",
        &[
            "levels.first_step_pct=0.8,1,1.5",
            "levels.step_scale=1.2,1.4",
            "tp1_pct=1,1.5,2",
        ],
    ),
    // Not `lower`/`upper`/`stop_loss`: they are prices, meaningful for one symbol only.
    (
        "range",
        &[
            "range.levels=11,21,41",
            "range.spacing=arithmetic,geometric",
            "range.reinvest=false,true",
        ],
    ),
];

/// The default `--param` axes for a strategy file's kind.
pub fn default_params(config: &StrategyConfig) -> anyhow::Result<Vec<String>> {
    let kind = config.kind.name();
    DEFAULT_PARAMS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, axes)| axes.iter().map(|s| s.to_string()).collect())
        .with_context(|| format!("no default parameter grid for a {kind} strategy: pass --param"))
}

/// Flags of `optimize`.
#[derive(Debug, Clone, Args)]
pub struct OptimizeArgs {
    /// Strategy configuration (TOML): the base every point changes.
    #[arg(long, default_value = "config/backtest.toml")]
    pub config: PathBuf,
    /// The candles and their symbol.
    #[command(flatten)]
    pub data: DataArgs,
    /// exchangeInfo document with the symbol's rules.
    #[arg(long, default_value = "data/exchange_info.json")]
    pub exchange_info: PathBuf,
    /// Starting quote balance of every span.
    #[arg(long, default_value = "10000")]
    pub quote: Quote,
    /// A parameter axis: `key=v1,v2,…` or `key=lo..hi/step` (dotted keys reach into tables).
    /// Repeat for more keys. Default: a small grid of the strategy's own keys (basket: first
    /// step, spacing and TP1; range: levels, spacing, reinvest).
    #[arg(long = "param")]
    pub params: Vec<String>,
    /// Grid (every combination) or random (`--samples` of them).
    #[arg(long, value_enum, default_value = "grid")]
    pub search: Search,
    /// Combinations drawn by random search.
    #[arg(long, default_value = "50")]
    pub samples: usize,
    /// Seed of random search.
    #[arg(long, default_value = "1")]
    pub seed: u64,
    /// What the training spans maximise.
    #[arg(long, value_enum, default_value = "pnl-over-drawdown")]
    pub objective: Objective,
    /// Rolling (fixed-length training) or anchored (growing from the first candle).
    #[arg(long, value_enum, default_value = "rolling")]
    pub windows: WindowMode,
    /// Days of each training span.
    #[arg(long, default_value = "30")]
    pub train_days: u32,
    /// Days of each test span (and the step between windows).
    #[arg(long, default_value = "15")]
    pub test_days: u32,
    /// Directory for `optimize.json`, `optimize.csv` and `optimize.html`.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Directory for the binary candle cache.
    #[arg(long, default_value = klines::DEFAULT_CACHE_DIR)]
    pub cache_dir: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// What a run was, for the reports.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// Traded symbol.
    pub symbol: Symbol,
    /// Quote asset.
    pub quote_asset: Asset,
    /// Starting cash of every span.
    pub quote: Quote,
    /// Window mode.
    pub mode: WindowMode,
    /// Training days.
    pub train_days: u32,
    /// Test days.
    pub test_days: u32,
    /// Number of windows.
    pub windows: usize,
    /// The objective.
    pub objective: Objective,
    /// Grid or random.
    pub search: Search,
    /// Points that make a valid strategy (run in each window).
    pub points: usize,
    /// Points skipped as invalid for the strategy file, with their reasons.
    pub skipped: Vec<String>,
    /// The parameter axes as given.
    pub params: Vec<String>,
}

/// Runs `optimize`.
pub fn execute(args: &OptimizeArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.config)
        .with_context(|| format!("reading {}", args.config.display()))?;
    let base = parse_config(&text)?;
    let strategy = StrategyFile {
        flag: "--config",
        path: &args.config,
    };
    let set = files_for(&base.symbol, strategy, &args.data)?;
    let params: Vec<String> = if args.params.is_empty() {
        default_params(&base)?
    } else {
        args.params.clone()
    };
    let axes = parse_axes(&params)?;
    let combos = space::combinations(&axes, args.search, args.samples, args.seed);
    let expanded = points_from(&text, combos)?;
    for p in &expanded.points {
        ensure_trades_candles(&set, &p.config.symbol, &p.assignments.join(" "))?;
    }
    if expanded.points.is_empty() {
        bail!(
            "no parameter point makes a valid strategy (e.g. {:?})",
            expanded.skipped.first()
        );
    }
    let rules = load_rules(&args.exchange_info, &base)?;
    let candles = klines::load_candles(&set, Some(&args.cache_dir)).context("loading candles")?;
    let (first, last) = match (candles.first(), candles.last()) {
        (Some(f), Some(l)) => (f, l),
        _ => bail!("the data files hold no candle"),
    };
    let wins = windows::windows(
        first.open_time_ms,
        last.close_time_ms + 1,
        args.train_days,
        args.test_days,
        args.windows,
    );
    if wins.is_empty() {
        bail!(
            "the candles cover {} days; one window needs --train-days {} + --test-days {}",
            (last.close_time_ms + 1 - first.open_time_ms) / 86_400_000,
            args.train_days,
            args.test_days
        );
    }
    let settings = Settings {
        symbol: rules.symbol.clone(),
        quote_asset: rules.quote_asset.clone(),
        quote: args.quote,
        mode: args.windows,
        train_days: args.train_days,
        test_days: args.test_days,
        windows: wins.len(),
        objective: args.objective,
        search: args.search,
        points: expanded.points.len(),
        skipped: expanded
            .skipped
            .iter()
            .map(|s| format!("{}: {}", s.assignments.join(" "), s.reasons.join("; ")))
            .collect(),
        params,
    };
    eprintln!(
        "optimize: {} points × {} windows on {} threads ({} points skipped as invalid)",
        settings.points,
        wins.len(),
        rayon::current_num_threads(),
        expanded.skipped.len()
    );
    let total = (wins.len() * (expanded.points.len() + 1)) as u64;
    let bar = count_bar(args.quiet, total, "backtests");
    let quote = args.quote;
    let evaluate = |_: walk::Phase, _: usize, c: &[klines::Candle], p: &sweep::SweepPoint| {
        sweep::evaluate_one(p, &rules, quote, c)
    };
    let results = walk::walk_forward(
        &candles,
        &wins,
        &expanded.points,
        args.objective,
        &evaluate,
        &|| bar.inc(1),
    );
    bar.finish_and_clear();
    print!("{}", report::terminal(&settings, &results));
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let files = [
        ("optimize.json", report::json(&settings, &results)),
        ("optimize.csv", report::csv(&results)),
        (
            "optimize.html",
            report::html(&settings, &results).context("rendering the HTML report")?,
        ),
    ];
    for (name, body) in &files {
        let path = args.out.join(name);
        std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "reports: {} (json, csv, html)",
        args.out.join("optimize.*").display()
    );
    Ok(())
}
