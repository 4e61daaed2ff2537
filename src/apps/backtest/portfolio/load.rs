//! Portfolio file → validated grids (strategy file + overrides, budget, prefix), the risk
//! limits and each symbol's candles.

use crate::adapters::klines::{self, files::group_by_symbol, Candle, CandleFiles};
use crate::apps::backtest::command::parse_config;
use crate::apps::backtest::run::BacktestSpec;
use crate::core::client_id::IdPrefix;
use crate::core::correlation::CorrelationWindow;
use crate::core::filters::parse::exchange_info;
use crate::core::money::Quote;
use crate::core::portfolio::{GridConfig, PortfolioConfig};
use crate::core::risk::RiskLimits;
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::kind::validate_for_market;
use crate::core::symbol::Symbol;
use anyhow::{bail, Context};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One grid ready to replay.
#[derive(Debug, Clone)]
pub struct GridSpec {
    /// Its name in the portfolio file.
    pub name: String,
    /// Its client-id prefix.
    pub prefix: IdPrefix,
    /// Strategy (with `quote_budget` = the grid's budget), rules, and the budget as balance.
    pub spec: BacktestSpec,
}

/// A portfolio ready to replay.
#[derive(Debug, Clone)]
pub struct LoadedPortfolio {
    /// The grids, in file order.
    pub grids: Vec<GridSpec>,
    /// The file's risk limits.
    pub limits: RiskLimits,
    /// How the symbols' correlation is measured (`[correlation]`).
    pub correlation: CorrelationWindow,
    /// Each traded symbol's candles.
    pub candles: BTreeMap<Symbol, Vec<Candle>>,
    /// Starting equity, all in the quote asset.
    pub initial_equity: Quote,
    /// The candle files each symbol's candles came from (as given), for the session journal.
    pub files: BTreeMap<Symbol, Vec<PathBuf>>,
}

/// Reads and validates the portfolio file at `path`. `data` overrides the file's `data`
/// list; `equity` is the starting quote balance the budgets are shares of.
pub fn load(
    path: &Path,
    data: &[PathBuf],
    exchange_info_path: &Path,
    equity: Quote,
    cache_dir: Option<&Path>,
) -> anyhow::Result<LoadedPortfolio> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    load_text(&text, path, data, exchange_info_path, equity, cache_dir)
}

/// [`load`] of a portfolio `text` standing for the file at `path` (its relative paths are
/// read from `path`'s directory): a sweep point is the file with some keys changed.
pub fn load_text(
    text: &str,
    path: &Path,
    data: &[PathBuf],
    exchange_info_path: &Path,
    equity: Quote,
    cache_dir: Option<&Path>,
) -> anyhow::Result<LoadedPortfolio> {
    let config = PortfolioConfig::from_toml_str(text)
        .with_context(|| format!("parsing {}", path.display()))?;
    if let Err(errors) = config.validate(Some(equity)) {
        let lines: Vec<String> = errors.iter().map(|e| format!("  - {e}")).collect();
        bail!(
            "invalid portfolio {}:\n{}",
            path.display(),
            lines.join("\n")
        );
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let files: Vec<PathBuf> = if data.is_empty() {
        config.data.iter().map(|f| dir.join(f)).collect()
    } else {
        data.to_vec()
    };
    let mut groups = group_by_symbol(&files, None).context("grouping the candle files")?;
    let json = std::fs::read_to_string(exchange_info_path)
        .with_context(|| format!("reading {}", exchange_info_path.display()))?;
    let info = exchange_info(&json)
        .with_context(|| format!("parsing {}", exchange_info_path.display()))?;
    let mut candles = BTreeMap::new();
    let mut symbol_files = BTreeMap::new();
    let mut grids = Vec::new();
    for (i, g) in config.grids.iter().enumerate() {
        let symbol = Symbol::parse(&g.symbol).context("symbol validated")?;
        if !candles.contains_key(&symbol) {
            let Some(files) = groups.remove(&symbol) else {
                bail!(
                    "grid[{i}] ({}) trades {symbol}, but no candle file of {symbol} was given \
                     (files are named SYMBOL-1m-YYYY-MM.csv.gz)",
                    g.name
                );
            };
            symbol_files.insert(symbol.clone(), files.clone());
            let set = CandleFiles {
                symbol: symbol.clone(),
                files,
            };
            let series = klines::load_candles(&set, cache_dir)
                .with_context(|| format!("loading the candles of {symbol}"))?;
            candles.insert(symbol.clone(), series);
        }
        let series = &candles[&symbol];
        let first = series
            .first()
            .with_context(|| format!("no candle of {symbol}"))?;
        let rules = info.symbols.get(&symbol).cloned().with_context(|| {
            format!(
                "{} has no symbol {symbol} (grid[{i}] {})",
                exchange_info_path.display(),
                g.name
            )
        })?;
        let budget = g.budget_for(equity);
        let strategy = grid_strategy(dir, i, g, budget)?;
        let anchor = rules.filters.round_price_down(first.open);
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
        grids.push(GridSpec {
            name: g.name.clone(),
            prefix,
            spec: BacktestSpec {
                config: strategy,
                rules,
                initial_quote: budget,
            },
        });
    }
    Ok(LoadedPortfolio {
        grids,
        limits: config.risk.limits(),
        correlation: config.correlation.window(),
        candles,
        initial_equity: equity,
        files: symbol_files,
    })
}

/// The grid's strategy: its file (relative to the portfolio file), the overrides on top,
/// the grid's symbol and its budget as `quote_budget` (the live orchestrator's too).
pub fn grid_strategy(
    dir: &Path,
    i: usize,
    g: &GridConfig,
    budget: Quote,
) -> anyhow::Result<StrategyConfig> {
    let what = format!("grid[{i}] ({})", g.name);
    let mut table = match &g.strategy {
        Some(file) => {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("{what}: reading {}", path.display()))?;
            text.parse::<toml::Table>()
                .with_context(|| format!("{what}: parsing {}", path.display()))?
        }
        None => toml::Table::new(),
    };
    merge(&mut table, &g.overrides);
    if let Some(s) = table.get("symbol") {
        if s.as_str() != Some(g.symbol.as_str()) {
            bail!(
                "{what}: its strategy trades {s}, the grid {}; leave `symbol` out of a \
                 portfolio's strategy or make them agree",
                g.symbol
            );
        }
    }
    table.insert("symbol".into(), toml::Value::String(g.symbol.clone()));
    table.insert(
        "quote_budget".into(),
        toml::Value::String(budget.get().normalize().to_string()),
    );
    let mut config =
        parse_config(&table.to_string()).with_context(|| format!("{what}: strategy"))?;
    config.quote_budget = ladder_budget(budget, &config);
    Ok(config)
}

/// The strategy's `quote_budget` for a grid `budget` that must also hold the extension's
/// reserve (`quote_budget × extension.budget_pct`): `budget / (1 + pct)`, rounded down.
fn ladder_budget(budget: Quote, config: &StrategyConfig) -> Quote {
    let Some(ext) = &config.extension else {
        return budget;
    };
    let factor = Decimal::ONE + ext.budget_pct.fraction();
    budget.get().checked_div(factor).map_or(budget, |b| {
        Quote::new(b.round_dp_with_strategy(8, RoundingStrategy::ToZero))
    })
}

/// Sets every key of `over` in `base`, descending into tables present in both.
fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (key, value) in over {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}
