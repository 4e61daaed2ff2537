//! The correlated-group cap's effect in the portfolio report: the replay with the file's
//! limits against the same limits without `risk.correlated_exposure`, and the symbols'
//! correlation matrix at the last close.

use super::report::PortfolioSummary;
use crate::core::correlation::CorrelationMatrix;
use crate::core::risk::{LimitKind, RiskLimits};
use rust_decimal::Decimal;
use std::fmt::Write;

/// One row of the cap's effect in the JSON report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EffectRow {
    /// What is compared (`total P&L`, `max drawdown %`, `group cap trips`, …).
    pub metric: &'static str,
    /// With the file's limits, the cap included.
    pub with_cap: Decimal,
    /// With the same limits but the cap off.
    pub without_cap: Decimal,
}

/// The rows of the cap's effect: (label, with the cap, without it).
pub fn effect_rows(
    with: &PortfolioSummary,
    without: &PortfolioSummary,
) -> [(&'static str, Decimal, Decimal); 7] {
    let cap_trips = |s: &PortfolioSummary| {
        s.trips
            .iter()
            .filter(|e| e.tripped && e.trip.limit == LimitKind::CorrelatedExposure)
            .count()
    };
    [
        ("total P&L", with.total_pnl.get(), without.total_pnl.get()),
        ("ROI %", with.roi_pct, without.roi_pct),
        (
            "max drawdown %",
            with.max_drawdown_pct,
            without.max_drawdown_pct,
        ),
        (
            "max drawdown",
            with.max_drawdown.get(),
            without.max_drawdown.get(),
        ),
        (
            "max exposure %",
            with.max_exposure_pct,
            without.max_exposure_pct,
        ),
        (
            "mean exposure %",
            with.mean_exposure_pct,
            without.mean_exposure_pct,
        ),
        (
            "group cap trips",
            Decimal::from(cap_trips(with)),
            Decimal::from(cap_trips(without)),
        ),
    ]
}

/// The terminal section of the cap's effect.
pub fn terminal_effect(
    limits: &RiskLimits,
    with: &PortfolioSummary,
    without: &PortfolioSummary,
) -> String {
    let mut out = String::new();
    let Some(cap) = limits.correlated_exposure else {
        return out;
    };
    let _ = writeln!(
        out,
        "\ncorrelated-group cap (correlation ≥ {}: a group holds < {} % of equity), the other \
         limits as in the file:",
        cap.min_correlation, cap.max
    );
    let _ = writeln!(
        out,
        "{:<26} {:>16} {:>16}",
        "", "with the cap", "without it"
    );
    for (name, a, b) in effect_rows(with, without) {
        let _ = writeln!(
            out,
            "{name:<26} {:>16} {:>16}",
            a.round_dp(2),
            b.round_dp(2)
        );
    }
    out
}

/// The matrix as a small table (symbols shortened by their quote asset, `…` while warming,
/// `flat` for a series that did not move).
pub fn terminal_matrix(m: &CorrelationMatrix) -> String {
    let mut out = String::new();
    if m.symbols.len() < 2 {
        return out;
    }
    let _ = writeln!(
        out,
        "\ncorrelation of {}-minute returns over the last {} at the end (… warming: fewer than \
         {} joint returns):",
        m.return_minutes, m.window_returns, m.min_returns
    );
    let _ = write!(out, "{:<10}", "");
    for s in &m.symbols {
        let _ = write!(out, " {:>9}", s.as_str());
    }
    out.push('\n');
    for a in &m.symbols {
        let _ = write!(out, "{:<10}", a.as_str());
        for b in &m.symbols {
            let cell = if a == b {
                "1".to_string()
            } else {
                match m.pair(a, b) {
                    Some(p) => match p.correlation {
                        Some(c) => c.round_dp(2).to_string(),
                        None if p.returns < m.min_returns => "…".to_string(),
                        None => "flat".to_string(),
                    },
                    None => "–".to_string(),
                }
            };
            let _ = write!(out, " {cell:>9}");
        }
        out.push('\n');
    }
    out
}
