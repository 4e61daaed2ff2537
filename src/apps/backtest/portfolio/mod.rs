//! `backtest --portfolio FILE`: several grids on one account, replayed minute by minute in
//! time order, with the account-wide risk limits of `core::risk` applied before any grid's
//! reconciler creates orders (`.spec/portfolio.md`).
//!
//! Entry points: [`load::load`] (portfolio file → grids, limits, candles), [`run::run`]
//! (one replay), [`report::PortfolioReport`] (with and without limits, side by side),
//! [`sweep::execute`] (`--sweep` over portfolio and risk keys).

pub mod group_cap;
pub mod html;
pub mod load;
pub mod report;
pub mod run;
pub mod sweep;

use crate::apps::backtest::command::BacktestArgs;
use crate::core::risk::RiskLimits;
use anyhow::Context;
use std::path::Path;
use std::time::Instant;

/// Runs `backtest --portfolio FILE`: the replay with the file's limits and with every limit
/// off (and, when the file sets the correlated-group cap, with its limits but that cap off),
/// then the side-by-side report (terminal, `portfolio.json`, `portfolio.html`).
pub fn execute(file: &Path, args: &BacktestArgs) -> anyhow::Result<()> {
    let loaded = load::load(
        file,
        &args.data.data,
        &args.exchange_info,
        args.quote,
        Some(&args.cache_dir),
    )?;
    let started = Instant::now();
    let with = run::run(&loaded, &loaded.limits)?;
    let with_ms = started.elapsed().as_millis();
    let started = Instant::now();
    let without = run::run(&loaded, &Default::default())?;
    let without_ms = started.elapsed().as_millis();
    let mut report = report::PortfolioReport::new(&with, &without)?;
    let mut without_cap = None;
    if loaded.limits.correlated_exposure.is_some() {
        let no_cap = RiskLimits {
            correlated_exposure: None,
            ..loaded.limits.clone()
        };
        let record = run::run(&loaded, &no_cap)?;
        report = report.with_group_cap_effect(&record)?;
        without_cap = Some(record);
    }
    print!("{}", report.terminal());
    eprintln!("replay time: {with_ms} ms with limits, {without_ms} ms without");
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let json = args.out.join("portfolio.json");
    report.write_json(&json)?;
    let html = args.out.join("portfolio.html");
    std::fs::write(
        &html,
        html::render(&report, &with, &without, without_cap.as_ref())?,
    )
    .with_context(|| format!("writing {}", html.display()))?;
    println!("reports: {} {}", json.display(), html.display());
    Ok(())
}
