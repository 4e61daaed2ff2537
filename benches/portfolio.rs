//! Portfolio backtest speed: the bundled February 2026 month, five grids on one account
//! (`config/portfolio.toml`), replayed with its risk limits and with every limit off. The
//! candle cache is warmed first; the figures are printed, never asserted.
//!
//! `PORTFOLIO_EXCHANGE_INFO` names another exchangeInfo file (default
//! `data/exchange_info.json`, which holds the five symbols).

use binance_trader::apps::backtest::portfolio::load::load;
use binance_trader::apps::backtest::portfolio::run::run;
use binance_trader::core::money::Quote;
use binance_trader::core::risk::RiskLimits;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let info = std::env::var_os("PORTFOLIO_EXCHANGE_INFO")
        .map_or_else(|| root.join("data/exchange_info.json"), PathBuf::from);
    let cache = root.join("data/cache");
    let file = root.join("config/portfolio.toml");
    let equity = Quote::new(10_000.into());
    load(&file, &[], &info, equity, Some(&cache))?;
    let started = Instant::now();
    let p = load(&file, &[], &info, equity, Some(&cache))?;
    let candles: usize = p.candles.values().map(Vec::len).sum();
    println!(
        "loaded {} grids, {candles} candles (warm cache) in {:.3} s",
        p.grids.len(),
        started.elapsed().as_secs_f64()
    );
    for (what, limits) in [
        ("with limits", p.limits.clone()),
        ("limits off", RiskLimits::default()),
    ] {
        let started = Instant::now();
        let r = run(&p, &limits)?;
        let secs = started.elapsed().as_secs_f64();
        let fills: usize = r.grids.iter().map(|g| g.record.trades.len()).sum();
        println!(
            "portfolio replay {what}: {} minutes × {} grids, {fills} fills in {secs:.3} s \
             ({:.0} candles/s, one core)",
            r.curve.len(),
            r.grids.len(),
            candles as f64 / secs
        );
    }
    Ok(())
}
