//! Volatility sizing on the bundled regimes (`.spec/strategies.md` §12, the README's table):
//! each strategy's P&L, max drawdown and P&L per drawdown without and with `[volatility]`,
//! against buy-and-hold, printed as one markdown table. Every run is a full backtest of the
//! shipped strategy file (the symbol replaced; the range grid's bounds ±25 % around each
//! regime's first open, since a fixed range fits one market only).
//!
//! `cargo bench --bench volatility` (release build); the figures are printed, never asserted.

use binance_trader::adapters::klines::files::one_symbol;
use binance_trader::adapters::klines::load_candles;
use binance_trader::apps::backtest::command::{load_rules, parse_config};
use binance_trader::apps::backtest::metrics::Summary;
use binance_trader::apps::backtest::run::{run, BacktestSpec};
use binance_trader::core::money::Quote;
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

/// `[volatility]` as measured: hourly ATR of 1-minute candles against 0.2 % a minute. The
/// basket grid's widest factor is what its 35 % hard stop leaves room for (its deepest
/// level, 22.3 % with the extension, × 1.5 = 33.5 %).
fn volatility(max_factor: &str) -> String {
    format!(
        "\n[volatility]\nmeasure = \"atr\"\nwindow = 60\nreference_pct = 0.2\n\
         min_factor = 0.5\nmax_factor = {max_factor}\n"
    )
}

const REGIMES: [(&str, &str, &[&str]); 8] = [
    (
        "FILUSDT 2023-04..06 (crash)",
        "FILUSDT",
        &["2023-04", "2023-05", "2023-06"],
    ),
    (
        "FILUSDT 2024-09..11 (rally)",
        "FILUSDT",
        &["2024-09", "2024-10", "2024-11"],
    ),
    (
        "NEARUSDT 2023-08..10 (range)",
        "NEARUSDT",
        &["2023-08", "2023-09", "2023-10"],
    ),
    ("AVAXUSDT 2026-02", "AVAXUSDT", &["2026-02"]),
    ("FILUSDT 2026-02", "FILUSDT", &["2026-02"]),
    ("LINKUSDT 2026-02", "LINKUSDT", &["2026-02"]),
    ("LTCUSDT 2026-02", "LTCUSDT", &["2026-02"]),
    ("NEARUSDT 2026-02", "NEARUSDT", &["2026-02"]),
];

const STRATEGIES: [(&str, &str); 4] = [
    ("basket grid", "config/backtest.toml"),
    ("range grid", "config/range.toml"),
    ("mean reversion", "config/mean-reversion.toml"),
    ("trend", "config/trend.toml"),
];

fn cell(pnl: Quote, dd: Quote, ratio: Option<Decimal>) -> String {
    let ratio = ratio.map_or("—".into(), |r| format!("{:.2}", r.round_dp(2)));
    format!(
        "{:+.2} / {:.2} / {ratio}",
        pnl.get().round_dp(2),
        dd.get().round_dp(2)
    )
}

/// The range grid of `text` with its bounds ±25 % around `open` (stop 10 % under `lower`).
fn range_around(text: &str, open: Decimal) -> String {
    let at = |f: Decimal| (open * f).round_dp(4).normalize();
    let mut out = String::new();
    for line in text.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        match key {
            "lower" => out.push_str(&format!("lower = {}\n", at(Decimal::new(75, 2)))),
            "upper" => out.push_str(&format!("upper = {}\n", at(Decimal::new(125, 2)))),
            "stop_loss" => out.push_str(&format!("stop_loss = {}\n", at(Decimal::new(675, 3)))),
            _ => out.push_str(&format!("{line}\n")),
        }
    }
    out
}

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cache = root.join("data/cache");
    let info = root.join("data/exchange_info.json");
    let mut rows = Vec::new();
    for (name, symbol, months) in REGIMES {
        let files: Vec<PathBuf> = months
            .iter()
            .map(|m| root.join(format!("data/klines/{symbol}-1m-{m}.csv.gz")))
            .collect();
        let candles = load_candles(&one_symbol(&files, None)?, Some(&cache))?;
        let open = candles[0].open.get();
        let runs: Vec<(usize, bool)> = (0..STRATEGIES.len())
            .flat_map(|i| [(i, false), (i, true)])
            .collect();
        let results: Vec<anyhow::Result<Summary>> = runs
            .par_iter()
            .map(|&(i, with)| {
                let (label, file) = STRATEGIES[i];
                let mut text = std::fs::read_to_string(root.join(file))?.replace("FILUSDT", symbol);
                if label == "range grid" {
                    text = range_around(&text, open);
                }
                if with {
                    text.push_str(&volatility(if label == "basket grid" {
                        "1.5"
                    } else {
                        "2"
                    }));
                }
                let config = parse_config(&text)?;
                let rules = load_rules(&info, &config)?;
                let spec = BacktestSpec {
                    config,
                    rules,
                    initial_quote: Quote::new(10_000.into()),
                };
                Ok(Summary::compute(&run(&spec, &candles, &|_| {})?)?)
            })
            .collect();
        let mut hold = None;
        for (&(i, with), r) in runs.iter().zip(results) {
            let s = r?;
            let b = s.buy_and_hold;
            hold = Some(cell(b.pnl, b.drawdown.amount, b.pnl_over_drawdown));
            let this = cell(s.total_pnl, s.drawdown.amount, s.pnl_over_drawdown);
            if with {
                let row: &mut (String, String, String, String) = rows.last_mut().unwrap();
                row.3 = this;
            } else {
                rows.push((
                    name.to_string(),
                    STRATEGIES[i].0.to_string(),
                    this,
                    String::new(),
                ));
            }
        }
        let hold = hold.unwrap_or_default();
        for row in rows.iter_mut().rev().take(STRATEGIES.len()) {
            row.0 = format!("{} | {}", row.0, hold);
        }
    }
    println!("| data | buy-and-hold P&L / max DD / P&L÷DD | strategy | without: P&L / max DD / P&L÷DD | with volatility sizing |");
    println!("|---|---:|---|---:|---:|");
    for (data, strategy, without, with) in rows {
        println!("| {data} | {strategy} | {without} | {with} |");
    }
    Ok(())
}
