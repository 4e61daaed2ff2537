//! `binance-trader check-config`: parse and validate a strategy file, then print the grid it
//! plans (or every error).
//!
//! Without `--anchor` only the static rules run and the table shows drops and quotes. With
//! `--anchor` the market rules run too, against `SymbolFilters::basic(tick, step,
//! min_notional)` built from the flags, and the table shows prices, quantities and notionals.
//! With `[volatility]`, a grid's table at each factor it may freeze (`volatility.rs`).

mod volatility;

use crate::core::filters::{SymbolFilters, SymbolRules};
use crate::core::indicators::Indicators;
use crate::core::money::{Price, Qty, Quote};
use crate::core::strategy::config::{ConfigError, StrategyConfig};
use crate::core::strategy::kind::{indicator_spec, validate, validate_for_market, StrategyKind};
use crate::core::strategy::levels::{drops_and_weights, extension_levels, planned_levels, Level};
use crate::core::strategy::range::{level_prices, RangeConfig};
use crate::core::symbol::{Asset, Symbol};
use anyhow::Context;
use rust_decimal::Decimal;
use std::fmt::Write;
use std::path::Path;

/// The market a config is checked against (from the command-line flags).
#[derive(Debug, Clone)]
pub struct Market {
    /// Anchor price P0.
    pub anchor: Price,
    /// `PRICE_FILTER` tick size.
    pub tick: Price,
    /// `LOT_SIZE` step size (also `minQty`).
    pub step: Qty,
    /// `NOTIONAL` minimum.
    pub min_notional: Quote,
    /// Free quote balance, when known.
    pub free_quote: Option<Quote>,
}

impl Market {
    /// Exchange rules for `symbol` with only the basic filters; everything else allowed.
    pub fn rules(&self, symbol: &Symbol) -> SymbolRules {
        let (base, quote) = split_symbol(symbol.as_str());
        SymbolRules::basic(
            symbol.clone(),
            Asset::parse(base).unwrap_or_else(|_| Asset::parse("BASE").unwrap()),
            Asset::parse(quote).unwrap_or_else(|_| Asset::parse("QUOTE").unwrap()),
            SymbolFilters::basic(self.tick.get(), self.step.get(), self.min_notional.get()),
        )
    }
}

/// Splits `SOLUSDC` into (`SOL`, `USDC`) by the common quote assets; used for messages only.
fn split_symbol(symbol: &str) -> (&str, &str) {
    const QUOTES: [&str; 9] = [
        "FDUSD", "USDC", "USDT", "TUSD", "EUR", "TRY", "BTC", "ETH", "BNB",
    ];
    QUOTES
        .iter()
        .find(|q| symbol.len() > q.len() && symbol.ends_with(*q))
        .map_or((symbol, "QUOTE"), |q| {
            symbol.split_at(symbol.len() - q.len())
        })
}

/// Reads, parses and validates the file at `path`; prints the level table or every error.
/// Fails (non-zero exit) when the file is unreadable or the config has errors.
pub fn run(path: &Path, market: Option<&Market>) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading strategy file {}", path.display()))?;
    match check(&text, market) {
        Ok(report) => {
            print!("{report}");
            Ok(())
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            anyhow::bail!(
                "{}: {} configuration error(s)",
                path.display(),
                errors.len()
            )
        }
    }
}

/// Parses and validates `text`; returns the report to print, or every error.
pub fn check(text: &str, market: Option<&Market>) -> Result<String, Vec<ConfigError>> {
    let config = StrategyConfig::from_toml_str(text).map_err(|e| vec![e])?;
    let mut errors = validate(&config).err().unwrap_or_default();
    if let Some(m) = market {
        let rules = m.rules(&config.symbol);
        // Market checks on a grid that failed the static rules would only repeat them.
        if errors.is_empty() {
            if let Err(more) = validate_for_market(&config, Some(&rules), m.anchor, m.free_quote) {
                errors.extend(more);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let table = |c: &StrategyConfig| match (&c.kind, market) {
        (StrategyKind::Range(range), _) => range_report(c, range, market),
        (StrategyKind::MeanReversion(_) | StrategyKind::Trend(_), _) => {
            let spec = indicator_spec(c).unwrap_or_default();
            signal_report(c, &Indicators::new(spec))
        }
        (StrategyKind::Basket, Some(m)) => market_report(c, m),
        (StrategyKind::Basket, None) => static_report(c),
    };
    Ok(match &config.volatility {
        Some(v) => volatility::report(&config, v, table),
        None => table(&config),
    })
}

/// A strategy that trades on indicators has no levels to show: its table and the candles it
/// needs before its first entry.
fn signal_report(config: &StrategyConfig, indicators: &Indicators) -> String {
    format!(
        "{}: {} strategy, budget {}, fee {} %\n{:?}\nneeds {} closed candles before its first entry\n",
        config.symbol,
        config.kind.name(),
        config.quote_budget,
        config.fee_pct,
        config.kind,
        indicators.warmup_candles(),
    )
}

/// A range grid's levels: price, and with `--anchor` the slice each buy level holds at start
/// (buys only below the anchor) and its notional.
fn range_report(config: &StrategyConfig, range: &RangeConfig, market: Option<&Market>) -> String {
    let filters = market.map_or_else(
        || SymbolFilters::basic(Decimal::new(1, 8), Decimal::new(1, 8), Decimal::ZERO),
        |m| m.rules(&config.symbol).filters,
    );
    let prices = level_prices(range, &filters);
    let per_level = config.quote_budget.get() / Decimal::from(prices.len().max(2) as u64 - 1);
    let mut out = format!(
        "{}: range grid {}..{}, {} levels ({:?}), budget {} ({} per level){}{}\n\n",
        config.symbol,
        range.lower,
        range.upper,
        range.levels,
        range.spacing,
        shown(config.quote_budget),
        per_level.round_dp(8).normalize(),
        if range.reinvest {
            ", profit reinvested"
        } else {
            ""
        },
        range
            .stop_loss
            .map_or(String::new(), |s| format!(", stop loss at {s}")),
    );
    let _ = writeln!(
        out,
        "{:<6} {:>14} {:>14} {:>14}",
        "level", "price", "buy qty", "notional"
    );
    let top = prices.len().saturating_sub(1);
    for (i, price) in prices.iter().enumerate() {
        let buys = i < top && market.is_none_or(|m| *price < m.anchor);
        let qty = filters.round_qty_down(Qty::new(per_level / price.get()));
        let (q, n) = if buys {
            (
                qty.to_string(),
                (*price * qty).get().normalize().to_string(),
            )
        } else {
            ("-".into(), "-".into())
        };
        let _ = writeln!(out, "{:<6} {:>14} {:>14} {:>14}", i + 1, price, q, n);
    }
    if market.is_none() {
        out.push_str("\n(pass --anchor P to see the buys at start with the symbol's filters)\n");
    }
    out
}

/// A budget at 8 decimals at most (a budget scaled by `1 / max_factor` has 28).
fn shown(q: Quote) -> Decimal {
    q.get().round_dp(8).normalize()
}

fn pct(fraction: Decimal) -> String {
    (fraction * Decimal::ONE_HUNDRED).normalize().to_string()
}

fn static_report(config: &StrategyConfig) -> String {
    let dw = drops_and_weights(&config.levels);
    let total: Decimal = dw.iter().map(|(_, w)| *w).sum();
    let mut out = header(config);
    let _ = writeln!(
        out,
        "{:<6} {:>10} {:>10} {:>14}",
        "slot", "drop %", "weight", "quote"
    );
    for (i, (drop, weight)) in dw.iter().enumerate() {
        let quote = config.quote_budget.scale(*weight / total);
        let _ = writeln!(
            out,
            "{:<6} {:>10} {:>10} {:>14}",
            format!("B{}", i + 1),
            pct(*drop),
            weight.normalize(),
            quote.get().round_dp(8).normalize()
        );
    }
    out.push_str("\n(pass --anchor P to check prices, quantities and notionals)\n");
    out
}

fn market_report(config: &StrategyConfig, m: &Market) -> String {
    let filters = m.rules(&config.symbol).filters;
    let planned = planned_levels(config, m.anchor, &filters);
    let ext = extension_levels(config, m.anchor, &filters);
    let dp = m.tick.get().scale() + m.step.get().scale();
    let mut out = header(config);
    let _ = writeln!(
        out,
        "anchor {}, tick {}, step {}, min notional {}\n",
        m.anchor, m.tick, m.step, m.min_notional
    );
    let _ = writeln!(
        out,
        "{:<6} {:>10} {:>14} {:>14} {:>14} {:>14}",
        "slot", "drop %", "price", "quote", "qty", "notional"
    );
    let row = |out: &mut String, l: &Level| {
        let _ = writeln!(
            out,
            "{:<6} {:>10} {:>14} {:>14} {:>14} {:>14}",
            l.slot.to_string(),
            pct(l.drop),
            l.price,
            l.quote.get().round_dp(dp).normalize(),
            l.qty,
            (l.price * l.qty).get().normalize()
        );
    };
    planned.iter().for_each(|l| row(&mut out, l));
    if !ext.is_empty() {
        out.push_str("extension (opens once every planned level filled):\n");
        ext.iter().for_each(|l| row(&mut out, l));
    }
    let spent: Quote = planned.iter().chain(&ext).map(|l| l.price * l.qty).sum();
    let stop = m.anchor.scale(config.hard_stop_pct.down_factor());
    let _ = writeln!(
        out,
        "\ntotal notional {} {}; hard stop below {}",
        spent.get().normalize(),
        split_symbol(config.symbol.as_str()).1,
        stop.get().normalize()
    );
    out
}

fn header(config: &StrategyConfig) -> String {
    let ext = config.extension.as_ref().map_or(String::new(), |e| {
        format!(
            ", extension {} levels with {} % reserve",
            e.levels, e.budget_pct
        )
    });
    format!(
        "{}: budget {}, hard stop {} %{ext}\n\n",
        config.symbol,
        shown(config.quote_budget),
        config.hard_stop_pct
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_signal_strategy_is_reported_with_its_warm_up() {
        let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/config/trend.toml"));
        let poor = Market {
            free_quote: Some(Quote::new(dec!(10))),
            ..sol_market()
        };
        let errors = check(text, Some(&poor)).unwrap_err();
        assert!(errors[0].to_string().contains("free 10"), "{errors:?}");
        let report = check(text, None).unwrap();
        assert!(
            report.starts_with("FILUSDT: trend strategy, budget 1000"),
            "{report}"
        );
        assert!(report.contains("needs 1441 closed candles"), "{report}");
    }

    #[test]
    fn a_range_grid_is_reported_level_by_level_with_its_buys_below_the_anchor() {
        let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/config/range.toml"));
        let m = Market {
            anchor: Price::new(dec!(5.0)),
            tick: Price::new(dec!(0.001)),
            step: Qty::new(dec!(0.01)),
            min_notional: Quote::new(dec!(5)),
            free_quote: None,
        };
        let report = check(text, Some(&m)).unwrap();
        assert!(
            report.contains("range grid 4.0..6.5, 21 levels"),
            "{report}"
        );
        // Level 8 (4.875) buys 50 / 4.875 = 10.25; level 9 (5.0) is the anchor: no buy.
        assert!(report.contains("4.875          10.25"), "{report}");
        assert!(
            report
                .lines()
                .any(|l| l.starts_with("9 ") && l.ends_with('-')),
            "{report}"
        );
        assert!(check(text, None).unwrap().contains("pass --anchor"));
    }

    const EXAMPLE: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/strategy.example.toml"
    ));

    fn sol_market() -> Market {
        Market {
            anchor: Price::new(dec!(150.00)),
            tick: Price::new(dec!(0.01)),
            step: Qty::new(dec!(0.001)),
            min_notional: Quote::new(dec!(5)),
            free_quote: None,
        }
    }

    #[test]
    fn market_report_lists_every_level_of_the_worked_example() {
        let report = check(EXAMPLE, Some(&sol_market())).unwrap();
        let rows: Vec<Vec<&str>> = report
            .lines()
            .filter(|l| l.starts_with('B'))
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(
            rows,
            [
                ["B1", "1", "148.50", "110.58155", "0.744", "110.484"],
                ["B2", "2.5", "146.25", "143.75601", "0.982", "143.6175"],
                ["B3", "4.75", "142.87", "186.88282", "1.308", "186.87396"],
                ["B4", "8.125", "137.81", "242.94766", "1.762", "242.82122"],
                ["B5", "13.1875", "130.21", "315.83196", "2.425", "315.75925"],
            ]
        );
        assert!(report.contains("hard stop below 97.5"), "{report}");
    }

    #[test]
    fn static_report_shows_drops_and_quotes() {
        let report = check(EXAMPLE, None).unwrap();
        assert!(report
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["B5", "13.1875", "2.8561", "315.83196028"]));
    }

    #[test]
    fn every_error_is_returned() {
        let bad = EXAMPLE
            .replace("tp1_share = 50", "tp1_share = 80")
            .replace("hard_stop_pct = 35", "hard_stop_pct = 10");
        let errors = check(&bad, Some(&sol_market())).unwrap_err();
        let keys: Vec<_> = errors.iter().map(|e| e.key().to_string()).collect();
        assert_eq!(keys, ["hard_stop_pct", "tp2_share"]);
    }

    #[test]
    fn market_errors_come_from_the_flags() {
        let mut market = sol_market();
        market.min_notional = Quote::new(dec!(120));
        let errors = check(EXAMPLE, Some(&market)).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].to_string().starts_with("B1 "), "{}", errors[0]);
    }

    #[test]
    fn symbol_split_for_messages() {
        assert_eq!(split_symbol("SOLUSDC"), ("SOL", "USDC"));
        assert_eq!(split_symbol("ETHBTC"), ("ETH", "BTC"));
        assert_eq!(split_symbol("USDC"), ("USDC", "QUOTE"));
    }
}
