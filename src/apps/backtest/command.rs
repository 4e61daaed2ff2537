//! `binance-trader backtest`: check that the candles are of the strategy's symbol, load them
//! (through the binary cache), validate the strategy against the symbol's rules, run, and
//! write the three reports; `--sweep` runs a parameter grid in parallel on all cores, ranks
//! the results and saves them ([`crate::apps::backtest::sweep`]).

use crate::adapters::klines::{self, CandleFiles, DEFAULT_CACHE_DIR};
use crate::apps::backtest::report::Report;
use crate::apps::backtest::run::{run, BacktestSpec, PROGRESS_EVERY};
use crate::apps::backtest::sweep::output;
use crate::apps::backtest::sweep::{self, expand_sweep, parse_axes, Expanded, Skipped, SweepPoint};
use crate::apps::candle_data::{ensure_trades_candles, files_for, DataArgs, StrategyFile};
use crate::core::filters::parse::exchange_info;
use crate::core::filters::SymbolRules;
use crate::core::money::Quote;
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::kind::{validate, validate_for_market};
use anyhow::{bail, Context};
use clap::Args;
use std::path::{Path, PathBuf};

/// Flags of `backtest`.
#[derive(Debug, Clone, Args)]
pub struct BacktestArgs {
    /// Strategy configuration (TOML).
    #[arg(long, default_value = "config/backtest.toml")]
    pub config: PathBuf,
    /// Portfolio file (TOML, `.spec/portfolio.md`): replay its grids on one account with its
    /// risk limits and without them, side by side. `--config` is then ignored; `--data`
    /// replaces the file's `data` list; `--quote` is the starting equity.
    /// With `--sweep`, the keys are the portfolio file's (`risk.max_drawdown.pct=5,8`,
    /// `grids.fil.budget_pct=10,18`); invalid points are skipped and counted.
    #[arg(long)]
    pub portfolio: Option<PathBuf>,
    /// The candles and their symbol.
    #[command(flatten)]
    pub data: DataArgs,
    /// exchangeInfo document with the symbol's rules.
    #[arg(long, default_value = "data/exchange_info.json")]
    pub exchange_info: PathBuf,
    /// Starting quote balance.
    #[arg(long, default_value = "10000")]
    pub quote: Quote,
    /// Directory for the reports (`backtest.json`, `backtest.html`).
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Directory for the binary candle cache.
    #[arg(long, default_value = DEFAULT_CACHE_DIR)]
    pub cache_dir: PathBuf,
    /// Parameter grid: `key=v1,v2,…` (dotted keys reach into tables, e.g.
    /// `levels.first_step_pct=0.5,1`). Repeat for more keys; every combination runs.
    #[arg(long = "sweep")]
    pub sweep: Vec<String>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs `backtest`.
pub fn execute(args: &BacktestArgs) -> anyhow::Result<()> {
    if let Some(file) = &args.portfolio {
        if !args.sweep.is_empty() {
            return crate::apps::backtest::portfolio::sweep::execute(file, args);
        }
        return crate::apps::backtest::portfolio::execute(file, args);
    }
    let text = std::fs::read_to_string(&args.config)
        .with_context(|| format!("reading {}", args.config.display()))?;
    let config = parse_config(&text)?;
    let strategy = StrategyFile {
        flag: "--config",
        path: &args.config,
    };
    let set = files_for(&config.symbol, strategy, &args.data)?;
    let points = sweep_points(&text, &args.sweep, &set)?;
    let rules = load_rules(&args.exchange_info, &config)?;
    let candles = klines::load_candles(&set, Some(&args.cache_dir)).context("loading candles")?;
    let first = candles.first().context("the data files hold no candle")?;
    let anchor = rules.filters.round_price_down(first.open);
    if let Err(errors) = validate_for_market(&config, Some(&rules), anchor, Some(args.quote)) {
        bail!("{}", join(&errors));
    }
    if !args.sweep.is_empty() {
        return sweep(args, points.points, points.skipped, &rules, &candles);
    }
    let spec = BacktestSpec {
        config,
        rules,
        initial_quote: args.quote,
    };
    let bar = progress_bar(args.quiet, candles.len() as u64);
    let record = run(&spec, &candles, &|done| bar.set_position(done))?;
    bar.finish_and_clear();
    let report = Report::new(&record)?.with_rules(&spec.rules);
    print!("{}", report.terminal());
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let (json, html) = (
        args.out.join("backtest.json"),
        args.out.join("backtest.html"),
    );
    report.write_json(&json)?;
    report.write_html(&html)?;
    println!("reports: {} and {}", json.display(), html.display());
    Ok(())
}

/// Parses and statically validates a strategy file.
pub fn parse_config(text: &str) -> anyhow::Result<StrategyConfig> {
    let config = StrategyConfig::from_toml_str(text)?;
    if let Err(errors) = validate(&config) {
        bail!("{}", join(&errors));
    }
    Ok(config)
}

/// The rules of the config's symbol from an exchangeInfo file.
pub fn load_rules(path: &Path, config: &StrategyConfig) -> anyhow::Result<SymbolRules> {
    let json =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let info = exchange_info(&json).with_context(|| format!("parsing {}", path.display()))?;
    info.symbols
        .get(&config.symbol)
        .cloned()
        .with_context(|| format!("{} has no symbol {}", path.display(), config.symbol))
}

fn join(errors: &[impl std::fmt::Display]) -> String {
    let lines: Vec<String> = errors.iter().map(|e| format!("  - {e}")).collect();
    format!("invalid strategy configuration:\n{}", lines.join("\n"))
}

fn progress_bar(quiet: bool, len: u64) -> indicatif::ProgressBar {
    if quiet || len < PROGRESS_EVERY * 4 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} candles ({per_sec}, eta {eta})",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Every combination of `key=v1,v2,…` flags, each as its `key=value` assignments in flag
/// order (the strategy sweep and the portfolio sweep share it).
pub fn cartesian(flags: &[String]) -> anyhow::Result<Vec<Vec<String>>> {
    let mut points = vec![Vec::new()];
    for flag in flags {
        let (key, values) = flag
            .split_once('=')
            .with_context(|| format!("--sweep {flag}: expected key=v1,v2,…"))?;
        let values: Vec<&str> = values
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            bail!("--sweep {flag}: no values");
        }
        points = points
            .iter()
            .flat_map(|p: &Vec<String>| {
                values.iter().map(move |v| {
                    let mut p = p.clone();
                    p.push(format!("{}={v}", key.trim()));
                    p
                })
            })
            .collect();
    }
    Ok(points)
}

/// A sweep value written as text, as TOML (a bare word is a string); decimals stay exact
/// because the strategy and portfolio readers take numbers from their text.
pub fn toml_value(key: &str, value: &str) -> anyhow::Result<toml::Value> {
    let parsed: toml::Table = format!("v = {value}")
        .parse()
        .or_else(|_| format!("v = \"{value}\"").parse())
        .with_context(|| format!("--sweep {key}: `{value}` is not a TOML value"))?;
    parsed.get("v").cloned().context("sweep value vanished")
}

/// The sweep's points (none without `--sweep`), each checked to trade the candles' symbol.
fn sweep_points(text: &str, flags: &[String], set: &CandleFiles) -> anyhow::Result<Expanded> {
    if flags.is_empty() {
        return Ok(Expanded::default());
    }
    let points = expand_sweep(text, flags)?;
    for point in &points.points {
        let what = format!("sweep point {}", point.assignments.join(" "));
        ensure_trades_candles(set, &point.config.symbol, &what)?;
    }
    Ok(points)
}

fn sweep(
    args: &BacktestArgs,
    points: Vec<SweepPoint>,
    mut skipped: Vec<Skipped>,
    rules: &SymbolRules,
    candles: &[crate::adapters::klines::Candle],
) -> anyhow::Result<()> {
    eprintln!(
        "sweep: {} combinations on {} threads ({} skipped as invalid)",
        points.len(),
        rayon::current_num_threads(),
        skipped.len()
    );
    let bar = count_bar(args.quiet, points.len() as u64, "backtests");
    let (mut results, failed) = sweep::evaluate(points, rules, args.quote, candles, &|| bar.inc(1));
    bar.finish_and_clear();
    skipped.extend(failed);
    if results.is_empty() {
        bail!(
            "no sweep point could run; the first skipped: {} ({})",
            skipped[0].assignments.join(" "),
            skipped[0].reasons.join("; ")
        );
    }
    results.sort_by(|a, b| {
        b.summary
            .total_pnl
            .cmp(&a.summary.total_pnl)
            .then(a.point.assignments.cmp(&b.point.assignments))
    });
    print!("{}", output::ranking_table(&results, skipped.len()));
    let keys: Vec<String> = parse_axes(&args.sweep)?
        .into_iter()
        .map(|a| a.key)
        .collect();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let (csv, json) = (args.out.join("sweep.csv"), args.out.join("sweep.json"));
    std::fs::write(&csv, output::csv(&results, &keys))
        .with_context(|| format!("writing {}", csv.display()))?;
    std::fs::write(&json, output::json(&results, &skipped, "total_pnl"))
        .with_context(|| format!("writing {}", json.display()))?;
    println!("results: {} and {}", csv.display(), json.display());
    Ok(())
}

/// A progress bar over `len` units of work (hidden with `quiet`).
pub fn count_bar(quiet: bool, len: u64, what: &str) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {what} ({{elapsed}}, eta {{eta}})");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}
