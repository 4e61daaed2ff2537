//! `backtest --portfolio FILE --sweep key=v1,v2 …`: every combination of portfolio and risk
//! keys, each replayed with its limits, ranked by total P&L with its max drawdown beside it.
//!
//! Decisions:
//! - Keys are dotted paths into the portfolio file: `risk.max_drawdown.pct=5,8,12`,
//!   `risk.hard_stop_cooldown_minutes=60,720`; `grids.NAME.KEY` reaches into the grid named
//!   `NAME` (case-insensitive, or the grid trading the symbol `NAME`), e.g.
//!   `grids.fil.budget_pct=10,18` or `grids.near.overrides.hard_stop_pct=30,35`. Missing
//!   tables are created, so a limit the file leaves off can be swept when all its keys are
//!   given (`risk.max_exposure.pct=50,60 risk.max_exposure.action=no_new_buys`).
//! - A point the file's rules refuse (a budget beyond the equity, a share over 100 %, a
//!   strategy the market refuses) is skipped and counted, with its reason on stderr: one bad
//!   corner of a grid never costs the others. Only a sweep where every point is invalid fails.

use super::load::{load_text, LoadedPortfolio};
use super::report::{count_trips, summarise};
use super::run::run;
use crate::apps::backtest::command::{cartesian, toml_value, BacktestArgs};
use anyhow::{bail, Context};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::path::Path;

/// One ranked point.
struct Ranked {
    assignments: Vec<String>,
    pnl: Decimal,
    roi_pct: Decimal,
    max_drawdown_pct: Decimal,
    max_exposure_pct: Decimal,
    trips: usize,
}

/// Runs the sweep and prints its ranking.
pub fn execute(file: &Path, args: &BacktestArgs) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let base: toml::Table = text
        .parse()
        .with_context(|| format!("parsing {}", file.display()))?;
    let points = cartesian(&args.sweep)?;
    let total = points.len();
    eprintln!(
        "portfolio sweep: {total} combinations on {} threads",
        rayon::current_num_threads()
    );
    let outcomes: Vec<Result<Ranked, (Vec<String>, String)>> = points
        .into_par_iter()
        .map(|assignments| {
            let loaded = point(&base, &assignments, file, args)
                .map_err(|e| (assignments.clone(), format!("{e:#}")))?;
            rank(&loaded, assignments.clone()).map_err(|e| (assignments, format!("{e:#}")))
        })
        .collect();
    let mut ranked = Vec::new();
    let mut skipped = 0;
    for o in outcomes {
        match o {
            Ok(r) => ranked.push(r),
            Err((assignments, why)) => {
                skipped += 1;
                eprintln!("skipped {}: {why}", assignments.join(" "));
            }
        }
    }
    if ranked.is_empty() {
        bail!("every one of the {total} sweep points is invalid (reasons above)");
    }
    ranked.sort_by(|a, b| b.pnl.cmp(&a.pnl).then(a.assignments.cmp(&b.assignments)));
    print!("{}", table(&ranked));
    println!("{} points run, {skipped} skipped as invalid", ranked.len());
    Ok(())
}

/// The portfolio of one point: the file with `assignments` set.
fn point(
    base: &toml::Table,
    assignments: &[String],
    file: &Path,
    args: &BacktestArgs,
) -> anyhow::Result<LoadedPortfolio> {
    let mut table = base.clone();
    for a in assignments {
        let (key, value) = a
            .split_once('=')
            .context("a sweep assignment lost its `=`")?;
        set_portfolio_key(&mut table, key, value)?;
    }
    load_text(
        &table.to_string(),
        file,
        &args.data.data,
        &args.exchange_info,
        args.quote,
        Some(&args.cache_dir),
    )
}

fn rank(p: &LoadedPortfolio, assignments: Vec<String>) -> anyhow::Result<Ranked> {
    let s = summarise(&run(p, &p.limits)?)?;
    Ok(Ranked {
        assignments,
        pnl: s.total_pnl.get(),
        roi_pct: s.roi_pct,
        max_drawdown_pct: s.max_drawdown_pct,
        max_exposure_pct: s.max_exposure_pct,
        trips: count_trips(&s.trips),
    })
}

/// Sets a dotted portfolio key (see the module doc), creating missing tables.
pub fn set_portfolio_key(table: &mut toml::Table, key: &str, value: &str) -> anyhow::Result<()> {
    let value = toml_value(key, value)?;
    let parts: Vec<&str> = key.split('.').map(str::trim).collect();
    let (at, rest) = match parts.as_slice() {
        ["grids" | "grid", name, rest @ ..] if !rest.is_empty() => {
            let grids = table
                .get_mut("grid")
                .and_then(toml::Value::as_array_mut)
                .with_context(|| format!("--sweep {key}: the file has no [[grid]]"))?;
            let grid = grids
                .iter_mut()
                .filter_map(toml::Value::as_table_mut)
                .find(|g| {
                    ["name", "symbol"].iter().any(|k| {
                        g.get(*k)
                            .and_then(toml::Value::as_str)
                            .is_some_and(|v| v.eq_ignore_ascii_case(name))
                    })
                })
                .with_context(|| format!("--sweep {key}: no grid named {name}"))?;
            (grid, rest)
        }
        [] | [""] => bail!("--sweep: an empty key"),
        all => (table, all),
    };
    let (last, path) = rest.split_last().context("empty sweep key")?;
    let mut at = at;
    for part in path {
        at = at
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .with_context(|| format!("--sweep {key}: `{part}` is not a table"))?;
    }
    at.insert(last.to_string(), value);
    Ok(())
}

fn table(ranked: &[Ranked]) -> String {
    let mut out = format!(
        "{:>4}  {:<48} {:>12} {:>9} {:>10} {:>10} {:>6}\n",
        "rank", "parameters", "total P&L", "ROI %", "max DD %", "max exp %", "trips"
    );
    for (i, r) in ranked.iter().enumerate() {
        out.push_str(&format!(
            "{:>4}  {:<48} {:>12} {:>9} {:>10} {:>10} {:>6}\n",
            i + 1,
            r.assignments.join(" "),
            r.pnl.round_dp(2),
            r.roi_pct.round_dp(2),
            r.max_drawdown_pct.round_dp(2),
            r.max_exposure_pct.round_dp(2),
            r.trips
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> toml::Table {
        "[[grid]]\nname = \"fil\"\nsymbol = \"FILUSDT\"\nbudget = 100\n\
         [[grid]]\nname = \"near\"\nsymbol = \"NEARUSDT\"\nbudget = 100\n\
         [risk]\nmax_drawdown = { pct = 8, action = \"close\" }\n"
            .parse()
            .unwrap()
    }

    #[test]
    fn grid_keys_reach_the_grid_by_name_or_symbol_and_risk_keys_create_tables() {
        let mut t = file();
        set_portfolio_key(&mut t, "grids.FIL.budget", "250.5").unwrap();
        set_portfolio_key(&mut t, "grids.NEARUSDT.overrides.hard_stop_pct", "35").unwrap();
        set_portfolio_key(&mut t, "risk.max_drawdown.pct", "12").unwrap();
        let text = t.to_string();
        let parsed = crate::core::portfolio::PortfolioConfig::from_toml_str(&text).unwrap();
        assert_eq!(parsed.grids[0].budget.unwrap().get().to_string(), "250.5");
        assert_eq!(
            parsed.grids[1].overrides["hard_stop_pct"].as_integer(),
            Some(35)
        );
        assert_eq!(
            parsed.risk.max_drawdown.unwrap().pct.get().to_string(),
            "12"
        );
        set_portfolio_key(&mut t, "risk.max_exposure.pct", "60").unwrap();
        // Half a limit is an invalid point: the sweep skips it, the file's rules say why.
        assert!(crate::core::portfolio::PortfolioConfig::from_toml_str(&t.to_string()).is_err());
        assert!(set_portfolio_key(&mut t, "grids.ltc.budget", "1").is_err());
    }
}
