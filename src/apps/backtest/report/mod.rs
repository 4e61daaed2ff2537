//! Backtest reports: a terminal table, a deterministic JSON file and a self-contained HTML page,
//! all from one [`Report`] (a record plus its [`Summary`]).
//!
//! Entry points: [`Report::new`], then [`Report::terminal`], [`Report::json`] /
//! [`Report::write_json`], [`Report::html`] / [`Report::write_html`].
//!
//! Invariants:
//! - Same record, same bytes: no clock, no floating point, no hash maps; decimals are
//!   canonical strings in JSON (full precision) and rounded for display only (money to 2
//!   decimal places when the starting capital is at least 100 quote units, else 8).
//! - Series are downsampled by [`downsample_indices`] to at most [`MAX_POINTS`] points
//!   (always keeping the first and last points, the peak and trough of the largest drawdown
//!   and the price and equity extremes); the HTML page draws at most [`MAX_MARKERS`] fill
//!   markers, the JSON keeps every fill.

pub(crate) mod chart;
mod html;
mod json;
mod price_chart;
mod rows;
mod terminal;
#[cfg(test)]
mod tests;

use crate::apps::backtest::metrics::{MetricsError, Summary};
use crate::apps::backtest::record::{BacktestRecord, EquityPoint};
use crate::core::filters::SymbolRules;
use crate::core::money::Quote;
use anyhow::Context;
use rust_decimal::{Decimal, RoundingStrategy};
use std::path::Path;

/// Most points of any series in the JSON file or the HTML charts.
pub const MAX_POINTS: usize = 2000;
/// Most fill markers drawn on the HTML price chart.
pub const MAX_MARKERS: usize = 5000;

/// A record with its metrics, ready to render.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    /// What the run produced.
    pub record: &'a BacktestRecord,
    /// Its metrics.
    pub summary: Summary,
    /// The symbol's rules, which place the last basket's levels on the price chart (without
    /// them the chart shows candles and fills only).
    pub rules: Option<&'a SymbolRules>,
}

impl<'a> Report<'a> {
    /// Computes the metrics (checking the P&L identity).
    pub fn new(record: &'a BacktestRecord) -> Result<Self, MetricsError> {
        Ok(Self {
            record,
            summary: Summary::compute(record)?,
            rules: None,
        })
    }

    /// Draws the last basket's grid on the price chart, with the levels at `rules`' tick
    /// and step as the run placed them.
    pub fn with_rules(mut self, rules: &'a SymbolRules) -> Self {
        self.rules = Some(rules);
        self
    }

    /// The terminal summary table.
    pub fn terminal(&self) -> String {
        terminal::render(self)
    }

    /// The JSON report (pretty-printed, newline-terminated).
    pub fn json(&self) -> String {
        json::render(self)
    }

    /// Writes the JSON report to `path`.
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::write(path, self.json())
            .with_context(|| format!("writing the JSON report to {}", path.display()))
    }

    /// The self-contained HTML page.
    pub fn html(&self) -> anyhow::Result<String> {
        html::render(self).context("rendering the HTML report")
    }

    /// Writes the HTML page to `path`.
    pub fn write_html(&self, path: &Path) -> anyhow::Result<()> {
        let page = self.html()?;
        std::fs::write(path, page)
            .with_context(|| format!("writing the HTML report to {}", path.display()))
    }

    /// Indices of the equity points the JSON and the charts keep.
    fn equity_indices(&self) -> Vec<usize> {
        let curve = &self.record.equity;
        let dd = &self.summary.drawdown;
        let mut must: Vec<usize> = [dd.peak_index, dd.trough_index]
            .into_iter()
            .flatten()
            .collect();
        must.extend(extremes(curve, |p| p.price.get()));
        must.extend(extremes(curve, |p| p.equity.get()));
        downsample_indices(curve.len(), MAX_POINTS, &must)
    }

    /// Money for display, with the quote asset.
    fn money(&self, q: Quote) -> String {
        format!(
            "{} {}",
            fixed(q.get(), self.money_dp()),
            self.record.quote_asset
        )
    }

    /// Signed money for display (`+1.50 USDC`).
    fn signed_money(&self, q: Quote) -> String {
        let sign = if q.is_positive() { "+" } else { "" };
        format!("{sign}{}", self.money(q))
    }

    fn money_dp(&self) -> u32 {
        if self.record.initial_quote.get() >= Decimal::ONE_HUNDRED {
            2
        } else {
            8
        }
    }
}

/// Indices of a minimum and a maximum of `key` over the curve.
fn extremes(curve: &[EquityPoint], key: impl Fn(&EquityPoint) -> Decimal) -> Vec<usize> {
    let lo = curve.iter().enumerate().min_by_key(|(_, p)| key(p));
    let hi = curve.iter().enumerate().max_by_key(|(_, p)| key(p));
    lo.into_iter().chain(hi).map(|(i, _)| i).collect()
}

/// Picks at most `max` indices out of `0..len`, evenly spaced, plus `must` (and always the
/// first and last), sorted and without repeats. `max` must leave room for `must` and the ends.
pub fn downsample_indices(len: usize, max: usize, must: &[usize]) -> Vec<usize> {
    if len <= max {
        return (0..len).collect();
    }
    let mut keep: Vec<usize> = must.iter().copied().filter(|&i| i < len).collect();
    keep.extend([0, len - 1]);
    keep.sort_unstable();
    keep.dedup();
    let spaced = max.saturating_sub(keep.len()).max(2);
    keep.extend((0..spaced).map(|j| j * (len - 1) / (spaced - 1)));
    keep.sort_unstable();
    keep.dedup();
    keep
}

/// A decimal rounded to `dp` places with exactly `dp` digits (`1.5` → `"1.50"`).
pub(crate) fn fixed(d: Decimal, dp: u32) -> String {
    let mut r = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    if r.is_zero() {
        r = Decimal::ZERO;
    }
    r.rescale(dp);
    r.to_string()
}

/// Canonical text of a decimal: no trailing zeros, no negative zero.
pub(crate) fn canonical(d: Decimal) -> String {
    if d.is_zero() {
        "0".to_string()
    } else {
        d.normalize().to_string()
    }
}

/// `(year, month, day, hour, minute)` of a Unix-ms time, UTC (proleptic Gregorian).
pub(crate) fn utc_parts(ms: i64) -> (i64, u32, u32, u32, u32) {
    let days = ms.div_euclid(86_400_000);
    let secs = ms.rem_euclid(86_400_000) / 1000;
    // Howard Hinnant's `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (secs / 3600) as u32,
        (secs % 3600 / 60) as u32,
    )
}

/// `2024-01-31 23:59` (UTC).
pub(crate) fn utc_minute(ms: i64) -> String {
    let (y, mo, d, h, mi) = utc_parts(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}")
}
