//! Parameter sweeps: `key=v1,v2` flags over a strategy file expanded into every combination,
//! each run on the same candles in parallel on all cores, ranked, printed and saved.
//!
//! Decisions:
//! - A point that does not make a valid strategy (a `tp1_pct` above `tp2_pct`, a hard stop
//!   above the deepest level, a level below the symbol's minimum notional at the first
//!   candle's price, …) is **skipped and counted**, never fatal: the ranking shows how many
//!   and the saved JSON lists each with its reasons. A run that fails (a bookkeeping
//!   mismatch in the runner) is skipped the same way, with the error as the reason. Only a
//!   malformed flag, or a sweep where no point is valid, stops the command.
//! - Results are saved as `sweep.csv` (one row per ranked point, one column per swept key)
//!   and `sweep.json` (ranked points with full-precision metrics, then the skipped ones).
//! - Every row carries the buy-and-hold benchmark of the same candles, so "beats holding"
//!   is read off the table.

pub mod output;

use crate::adapters::klines::Candle;
use crate::apps::backtest::command::parse_config;
use crate::apps::backtest::metrics::Summary;
use crate::apps::backtest::run::{run, BacktestSpec};
use crate::core::filters::SymbolRules;
use crate::core::money::Quote;
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::kind::validate_for_market;
use anyhow::{bail, Context};
use rayon::prelude::*;
use rust_decimal::Decimal;

/// One point of a parameter grid: the `key=value` assignments and the config they make.
#[derive(Debug, Clone)]
pub struct SweepPoint {
    /// `key=value` assignments, in flag order.
    pub assignments: Vec<String>,
    /// The resulting configuration (statically validated).
    pub config: StrategyConfig,
}

/// A point that was not run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// `key=value` assignments, in flag order.
    pub assignments: Vec<String>,
    /// Every reason, one line each.
    pub reasons: Vec<String>,
}

/// The points of a grid: the valid ones, and the skipped ones with their reasons.
#[derive(Debug, Clone, Default)]
pub struct Expanded {
    /// Points that make a valid strategy.
    pub points: Vec<SweepPoint>,
    /// Points that do not.
    pub skipped: Vec<Skipped>,
}

/// One swept key and its values, from a `key=v1,v2,…` flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    /// Dotted key (`levels.first_step_pct`).
    pub key: String,
    /// Values as TOML text.
    pub values: Vec<String>,
}

/// Most values one `lo..hi/step` range may expand to.
const MAX_RANGE_VALUES: usize = 1000;

/// Parses `key=v1,v2,…` flags; a value may be a range `lo..hi/step` (inclusive, exact
/// decimals: `0.5..2/0.5` is 0.5, 1, 1.5, 2). A flag without `=` or without values is refused.
pub fn parse_axes(flags: &[String]) -> anyhow::Result<Vec<Axis>> {
    flags
        .iter()
        .map(|flag| {
            let (key, values) = flag
                .split_once('=')
                .with_context(|| format!("{flag}: expected key=v1,v2,… or key=lo..hi/step"))?;
            let mut expanded = Vec::new();
            for v in values.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                match v.split_once("..") {
                    Some((lo, rest)) => expanded
                        .extend(range(lo, rest).with_context(|| format!("{flag}: range {v}"))?),
                    None => expanded.push(v.to_string()),
                }
            }
            let values = expanded;
            if values.is_empty() {
                bail!("{flag}: no values");
            }
            Ok(Axis {
                key: key.trim().to_string(),
                values,
            })
        })
        .collect()
}

/// `lo..hi/step` → `lo, lo + step, …` up to `hi` inclusive.
fn range(lo: &str, rest: &str) -> anyhow::Result<Vec<String>> {
    let (hi, step) = rest
        .split_once('/')
        .context("expected lo..hi/step, e.g. 0.5..2/0.5")?;
    let num = |s: &str| {
        s.trim()
            .parse::<Decimal>()
            .with_context(|| format!("`{s}` is not a decimal"))
    };
    let (lo, hi, step) = (num(lo)?, num(hi)?, num(step)?);
    if step <= Decimal::ZERO || hi < lo {
        bail!("needs lo ≤ hi and a positive step");
    }
    let mut out = Vec::new();
    let mut v = lo;
    while v <= hi {
        if out.len() == MAX_RANGE_VALUES {
            bail!("more than {MAX_RANGE_VALUES} values");
        }
        out.push(v.normalize().to_string());
        v += step;
    }
    Ok(out)
}

/// Expands `key=v1,v2` flags over a base TOML text into every combination, in flag order
/// (the last flag varies fastest).
pub fn expand_sweep(base: &str, flags: &[String]) -> anyhow::Result<Expanded> {
    let axes = parse_axes(flags)?;
    let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for axis in &axes {
        combos = combos
            .into_iter()
            .flat_map(|done| {
                axis.values.iter().map(move |v| {
                    let mut next = done.clone();
                    next.push((axis.key.clone(), v.clone()));
                    next
                })
            })
            .collect();
    }
    points_from(base, combos)
}

/// Builds one config per list of `(key, value)` assignments over the base TOML text; the
/// invalid ones are skipped with their reasons.
pub fn points_from(base: &str, combos: Vec<Vec<(String, String)>>) -> anyhow::Result<Expanded> {
    let table = base
        .parse::<toml::Table>()
        .context("parsing the strategy file")?;
    let mut out = Expanded::default();
    for combo in combos {
        let assignments: Vec<String> = combo.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut t = table.clone();
        let built = combo
            .iter()
            .try_for_each(|(k, v)| set_key(&mut t, k, v))
            .and_then(|()| parse_config(&t.to_string()));
        match built {
            Ok(config) => out.points.push(SweepPoint {
                assignments,
                config,
            }),
            Err(e) => out.skipped.push(Skipped {
                assignments,
                reasons: reasons(&e),
            }),
        }
    }
    Ok(out)
}

/// The lines of an error chain, without the "invalid strategy configuration:" header.
fn reasons(e: &anyhow::Error) -> Vec<String> {
    format!("{e:#}")
        .lines()
        .map(|l| l.trim().trim_start_matches("- ").to_string())
        .filter(|l| !l.is_empty() && !l.ends_with("configuration:"))
        .collect()
}

/// Sets a dotted key to a TOML value written as text (kept as text, so decimals stay exact).
fn set_key(table: &mut toml::Table, key: &str, value: &str) -> anyhow::Result<()> {
    let parsed: toml::Table = format!("v = {value}")
        .parse()
        .or_else(|_| format!("v = \"{value}\"").parse())
        .with_context(|| format!("--sweep {key}: `{value}` is not a TOML value"))?;
    let value = parsed.get("v").cloned().context("sweep value vanished")?;
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().context("empty sweep key")?;
    let mut at = table;
    for part in parts {
        at = at
            .get_mut(part)
            .and_then(toml::Value::as_table_mut)
            .with_context(|| format!("no table `{part}` in the strategy file for {key}"))?;
    }
    at.insert(last.to_string(), value);
    Ok(())
}

/// A point that ran, with its metrics.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The point.
    pub point: SweepPoint,
    /// Its metrics on the candles.
    pub summary: Summary,
}

/// Runs every point on `candles` in parallel (rayon, all cores). Points that fail the market
/// checks at the first candle's price, or whose run fails, are skipped with the reason.
/// `tick` is called once per finished point (for a progress bar). Results keep input order.
pub fn evaluate(
    points: Vec<SweepPoint>,
    rules: &SymbolRules,
    quote: Quote,
    candles: &[Candle],
    tick: &(dyn Fn() + Sync),
) -> (Vec<Scored>, Vec<Skipped>) {
    let outcomes: Vec<Result<Scored, Skipped>> = points
        .into_par_iter()
        .map(|point| {
            let outcome = evaluate_one(&point, rules, quote, candles);
            tick();
            outcome
                .map(|summary| Scored {
                    point: point.clone(),
                    summary,
                })
                .map_err(|reasons| Skipped {
                    assignments: point.assignments,
                    reasons,
                })
        })
        .collect();
    let (mut scored, mut skipped) = (Vec::new(), Vec::new());
    for o in outcomes {
        match o {
            Ok(s) => scored.push(s),
            Err(s) => skipped.push(s),
        }
    }
    (scored, skipped)
}

/// Runs one point on `candles`: the market checks at the first candle's price, the backtest,
/// the metrics; the reasons when it cannot run.
pub fn evaluate_one(
    point: &SweepPoint,
    rules: &SymbolRules,
    quote: Quote,
    candles: &[Candle],
) -> Result<Summary, Vec<String>> {
    let first = candles.first().ok_or_else(|| vec!["no candles".into()])?;
    let anchor = rules.filters.round_price_down(first.open);
    validate_for_market(&point.config, Some(rules), anchor, Some(quote))
        .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    let spec = BacktestSpec {
        config: point.config.clone(),
        rules: rules.clone(),
        initial_quote: quote,
    };
    let record = run(&spec, candles, &|_| {}).map_err(|e| vec![format!("run failed: {e:#}")])?;
    Summary::compute(&record).map_err(|e| vec![format!("metrics refused the run: {e}")])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_expand_inclusively_in_exact_steps() {
        let axes = parse_axes(&["tp1_pct=0.5..2/0.5,3".to_string()]).unwrap();
        assert_eq!(axes[0].values, ["0.5", "1", "1.5", "2", "3"]);
        let odd = parse_axes(&["x=0.1..0.35/0.1".to_string()]).unwrap();
        assert_eq!(odd[0].values, ["0.1", "0.2", "0.3"]);
        for bad in [
            "x=1..0/1",
            "x=0..1/0",
            "x=0..1",
            "x=a..1/1",
            "x=0..100000/0.01",
        ] {
            assert!(parse_axes(&[bad.to_string()]).is_err(), "{bad}");
        }
    }
}
