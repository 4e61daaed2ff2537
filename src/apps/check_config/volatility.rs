//! `check-config` on a file with `[volatility]` (`.spec/strategies.md` §12): a grid plans its
//! levels at the factor it freezes when a basket opens, which needs candles this command does
//! not have, so it prints the level table at each factor the grid may freeze: `min_factor`
//! (calm), 1 (as configured; also the factor before the window is full) and `max_factor`
//! (wild), each scaled by `volatility::scaled`, exactly what the plan would read.
//! Mean reversion and trend scale only their entry's budget, by the live factor: one line.

use crate::core::money::Quote;
use crate::core::strategy::config::volatility::VolatilityConfig;
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::volatility::{freezes, scaled};
use rust_decimal::Decimal;
use std::fmt::Write;

/// The factors a grid may freeze, each once: `min_factor`, 1, `max_factor`, with their name.
fn factors(v: &VolatilityConfig) -> Vec<(Decimal, &'static str)> {
    let mut out = vec![
        (v.min_factor, "min_factor, calm"),
        (Decimal::ONE, "as configured"),
    ];
    out.push((v.max_factor, "max_factor, wild"));
    out.dedup_by(|b, a| a.0 == b.0);
    out
}

/// The report of `config` with `[volatility]` `v`: for a grid, `table` of the config scaled
/// at each factor it may freeze; for the others, `table` of the config and its entry budget
/// at the extreme factors.
pub(super) fn report(
    config: &StrategyConfig,
    v: &VolatilityConfig,
    table: impl Fn(&StrategyConfig) -> String,
) -> String {
    let measure = format!(
        "{:?} of {} candles against {} %, factor {}..{}",
        v.measure, v.window, v.reference_pct, v.min_factor, v.max_factor
    )
    .to_lowercase();
    if !freezes(&config.kind) {
        let budget = |f: Decimal| Quote::new(scaled(config, f).quote_budget.get().normalize());
        return format!(
            "{}volatility sizing ({measure}): entry budget {} at factor <= 1, {} at max_factor {}\n",
            table(config),
            budget(v.min_factor),
            budget(v.max_factor),
            v.max_factor,
        );
    }
    let mut out = format!(
        "volatility sizing ({measure}): a basket freezes its factor when it opens; \
         its levels are one of these\n"
    );
    for (f, what) in factors(v) {
        let _ = write!(out, "\n== at volatility factor {f} ({what}) ==\n");
        out.push_str(&table(&scaled(config, f)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{check, Market};
    use crate::core::money::{Price, Qty, Quote};
    use rust_decimal_macros::dec;

    /// The rows of the table under `== at volatility factor {f}`, split on whitespace, that
    /// start with `first`.
    fn rows_at(report: &str, f: &str, first: &str) -> Vec<Vec<String>> {
        let head = format!("== at volatility factor {f} ");
        let at = report
            .find(&head)
            .unwrap_or_else(|| panic!("no {head} in {report}"));
        let rest = &report[at + head.len()..];
        let section = &rest[..rest.find("== at").unwrap_or(rest.len())];
        section
            .lines()
            .filter(|l| l.starts_with(first))
            .map(|l| l.split_whitespace().map(str::to_string).collect())
            .collect()
    }

    const EXAMPLE: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/strategy.example.toml"
    ));

    /// The worked example (drops 1, 2.5, 4.75 … %, budget 1000) with factors 0.5..1.1.
    fn basket_text() -> String {
        format!(
            "{EXAMPLE}\n[volatility]\nwindow = 60\nreference_pct = 0.2\nmin_factor = 0.5\nmax_factor = 1.1\n"
        )
    }

    #[test]
    fn a_basket_grid_with_volatility_shows_its_levels_at_each_factor_it_may_freeze() {
        let m = Market {
            anchor: Price::new(dec!(150.00)),
            tick: Price::new(dec!(0.01)),
            step: Qty::new(dec!(0.001)),
            min_notional: Quote::new(dec!(5)),
            free_quote: None,
        };
        let report = check(&basket_text(), Some(&m)).unwrap();
        // Factor 1: the worked example as configured.
        let b1 = |f: &str| rows_at(&report, f, "B1")[0][..3].join(" ");
        assert_eq!(b1("1"), "B1 1 148.50", "{report}");
        // Calm: drops halved, budget kept; wild: drops × 1.1, budget ÷ 1.1.
        assert_eq!(b1("0.5"), "B1 0.5 149.25", "{report}");
        assert_eq!(b1("1.1"), "B1 1.1 148.35", "{report}");
        assert_eq!(rows_at(&report, "1.1", "B5")[0][1], "14.50625");
        assert!(report.contains("budget 909.09090909,"), "{report}");
        // The hard stop is the trader's, not scaled.
        assert_eq!(
            report.matches("hard stop below 97.5").count(),
            3,
            "{report}"
        );
        // Without `--anchor`, the drops at each factor.
        let report = check(&basket_text(), None).unwrap();
        assert_eq!(rows_at(&report, "1.1", "B2")[0][1], "2.75", "{report}");
        assert_eq!(rows_at(&report, "0.5", "B2")[0][1], "1.25", "{report}");
    }

    #[test]
    fn a_range_grid_with_volatility_shows_its_thinned_levels_at_the_wild_factor() {
        let text = format!(
            "{}\n[volatility]\nwindow = 60\nreference_pct = 0.2\n",
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/config/range.toml"))
        );
        let report = check(&text, None).unwrap();
        // 20 steps ÷ 2 = 10: 11 levels 0.25 apart, 50 per level (capital 500).
        assert!(report.contains("4.0..6.5, 11 levels"), "{report}");
        assert!(report.contains("budget 500 (50 per level)"), "{report}");
        assert_eq!(rows_at(&report, "2", "2 ")[0][1], "4.25000000", "{report}");
        // Factors 0.5 and 1 keep the configured 21 levels, 0.125 apart.
        for f in ["0.5", "1"] {
            assert_eq!(rows_at(&report, f, "2 ")[0][1], "4.12500000", "{report}");
        }
    }

    #[test]
    fn a_signal_strategy_with_volatility_shows_its_entry_budget_at_the_extremes() {
        let text = format!(
            "{}\n[volatility]\nwindow = 60\nreference_pct = 0.2\nmax_factor = 4\n",
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/config/trend.toml"))
        );
        let report = check(&text, None).unwrap();
        assert!(report.starts_with("FILUSDT: trend strategy"), "{report}");
        assert!(
            report.contains("entry budget 1000 at factor <= 1, 250 at max_factor 4"),
            "{report}"
        );
    }
}
