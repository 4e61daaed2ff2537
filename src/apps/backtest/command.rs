//! `binance-trader backtest`: check that the candles are of the strategy's symbol, load them
//! (through the binary cache), validate the strategy against the symbol's rules, run, and
//! write the three reports; `--sweep` runs a parameter grid in parallel on all cores and
//! ranks the results.

use crate::adapters::klines::{self, CandleFiles, DEFAULT_CACHE_DIR};
use crate::apps::backtest::metrics::Summary;
use crate::apps::backtest::report::Report;
use crate::apps::backtest::run::{run, BacktestSpec, PROGRESS_EVERY};
use crate::apps::candle_data::{ensure_trades_candles, files_for, DataArgs, StrategyFile};
use crate::core::filters::parse::exchange_info;
use crate::core::filters::SymbolRules;
use crate::core::money::Quote;
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::validate::{validate, validate_for_market};
use anyhow::{bail, Context};
use clap::Args;
use rayon::prelude::*;
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
    if !points.is_empty() {
        return sweep(args, points, &rules, &candles);
    }
    let spec = BacktestSpec {
        config,
        rules,
        initial_quote: args.quote,
    };
    let bar = progress_bar(args.quiet, candles.len() as u64);
    let record = run(&spec, &candles, &|done| bar.set_position(done))?;
    bar.finish_and_clear();
    let report = Report::new(&record)?;
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

/// One point of a parameter grid: the `key=value` assignments and the config they make.
#[derive(Debug, Clone)]
pub struct SweepPoint {
    /// `key=value` assignments, in flag order.
    pub assignments: Vec<String>,
    /// The resulting configuration (validated).
    pub config: StrategyConfig,
}

/// Expands `key=v1,v2` flags over a base TOML text into every combination.
pub fn expand_sweep(base: &str, flags: &[String]) -> anyhow::Result<Vec<SweepPoint>> {
    let base: toml::Table = base.parse().context("parsing the strategy file")?;
    cartesian(flags)?
        .into_iter()
        .map(|assignments| {
            let mut table = base.clone();
            for a in &assignments {
                let (key, value) = a
                    .split_once('=')
                    .context("a sweep assignment lost its `=`")?;
                set_key(&mut table, key, value)?;
            }
            let config = parse_config(&table.to_string())
                .with_context(|| format!("sweep point {}", assignments.join(" ")))?;
            Ok(SweepPoint {
                assignments,
                config,
            })
        })
        .collect()
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

/// Sets a dotted key to a TOML value written as text (kept as text, so decimals stay exact).
fn set_key(table: &mut toml::Table, key: &str, value: &str) -> anyhow::Result<()> {
    let value = toml_value(key, value)?;
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().context("empty sweep key")?;
    let mut at = table;
    for part in parts {
        at = at
            .get_mut(part)
            .and_then(toml::Value::as_table_mut)
            .with_context(|| format!("--sweep {key}: no table `{part}` in the strategy file"))?;
    }
    at.insert(last.to_string(), value);
    Ok(())
}

/// The sweep's points (none without `--sweep`), each checked to trade the candles' symbol.
fn sweep_points(
    text: &str,
    flags: &[String],
    set: &CandleFiles,
) -> anyhow::Result<Vec<SweepPoint>> {
    if flags.is_empty() {
        return Ok(Vec::new());
    }
    let points = expand_sweep(text, flags)?;
    for point in &points {
        let what = format!("sweep point {}", point.assignments.join(" "));
        ensure_trades_candles(set, &point.config.symbol, &what)?;
    }
    Ok(points)
}

fn sweep(
    args: &BacktestArgs,
    points: Vec<SweepPoint>,
    rules: &SymbolRules,
    candles: &[crate::adapters::klines::Candle],
) -> anyhow::Result<()> {
    eprintln!(
        "sweep: {} combinations on {} threads",
        points.len(),
        rayon::current_num_threads()
    );
    let mut results: Vec<(SweepPoint, Summary)> = points
        .into_par_iter()
        .map(|point| {
            let spec = BacktestSpec {
                config: point.config.clone(),
                rules: rules.clone(),
                initial_quote: args.quote,
            };
            let record = run(&spec, candles, &|_| {})?;
            let summary = Summary::compute(&record)?;
            Ok((point, summary))
        })
        .collect::<anyhow::Result<_>>()?;
    results.sort_by(|a, b| {
        b.1.total_pnl
            .cmp(&a.1.total_pnl)
            .then(a.0.assignments.cmp(&b.0.assignments))
    });
    println!("{}", ranking_table(&results));
    Ok(())
}

/// The ranking of a sweep, best total P&L first.
pub fn ranking_table(results: &[(SweepPoint, Summary)]) -> String {
    let mut out = format!(
        "{:>4}  {:<40} {:>14} {:>10} {:>10} {:>9} {:>8}\n",
        "rank", "parameters", "total P&L", "ROI %", "max DD %", "Sharpe", "baskets"
    );
    for (i, (point, s)) in results.iter().enumerate() {
        let sharpe = s
            .sharpe
            .map_or_else(|| "-".to_string(), |v| v.round_dp(2).to_string());
        out.push_str(&format!(
            "{:>4}  {:<40} {:>14} {:>10} {:>10} {:>9} {:>8}\n",
            i + 1,
            point.assignments.join(" "),
            s.total_pnl.get().round_dp(2),
            s.roi_pct.round_dp(2),
            s.drawdown.pct.round_dp(2),
            sharpe,
            s.baskets.closed + s.baskets.stopped,
        ));
    }
    out
}
