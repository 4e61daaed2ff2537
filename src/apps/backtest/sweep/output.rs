//! A sweep's ranking as a terminal table, a CSV file and a JSON file.
//!
//! The CSV has one column per swept key (its value as given), then the metrics at full
//! precision, so a spreadsheet can pivot on any key; the JSON adds the skipped points.

use super::{Scored, Skipped};
use crate::apps::backtest::report::canonical;
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt::Write;

fn opt(d: Option<Decimal>, dp: u32) -> String {
    d.map_or_else(|| "-".to_string(), |v| v.round_dp(dp).to_string())
}

/// The ranking, best first, with the buy-and-hold columns and the count of skipped points.
pub fn ranking_table(results: &[Scored], skipped: usize) -> String {
    let mut out = format!(
        "{:>4}  {:<40} {:>12} {:>9} {:>9} {:>8} {:>8} {:>8} {:>12} {:>8}\n",
        "rank",
        "parameters",
        "total P&L",
        "ROI %",
        "max DD %",
        "P&L/DD",
        "Sharpe",
        "baskets",
        "hold P&L",
        "hold P/DD"
    );
    for (i, r) in results.iter().enumerate() {
        let (s, h) = (&r.summary, &r.summary.buy_and_hold);
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "{:>4}  {:<40} {:>12} {:>9} {:>9} {:>8} {:>8} {:>8} {:>12} {:>8}",
            i + 1,
            r.point.assignments.join(" "),
            s.total_pnl.get().round_dp(2),
            s.roi_pct.round_dp(2),
            s.drawdown.pct.round_dp(2),
            opt(s.pnl_over_drawdown, 2),
            opt(s.sharpe, 2),
            s.baskets.closed + s.baskets.stopped,
            h.pnl.get().round_dp(2),
            opt(h.pnl_over_drawdown, 2),
        );
    }
    if skipped > 0 {
        let _ = writeln!(
            out,
            "{skipped} point(s) skipped as invalid (reasons in the JSON file)"
        );
    }
    out
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn value_of<'a>(assignments: &'a [String], key: &str) -> &'a str {
    assignments
        .iter()
        .find_map(|a| a.split_once('=').filter(|(k, _)| *k == key).map(|(_, v)| v))
        .unwrap_or("")
}

/// The ranking as CSV: `rank`, one column per key in `keys`, then the metrics.
pub fn csv(results: &[Scored], keys: &[String]) -> String {
    let mut out = String::from("rank");
    for k in keys {
        out.push(',');
        out.push_str(&field(k));
    }
    out.push_str(
        ",total_pnl,roi_pct,max_drawdown,max_drawdown_pct,pnl_over_max_drawdown,sharpe,calmar,\
         round_trips,fills,hold_pnl,hold_max_drawdown,hold_pnl_over_max_drawdown,\
         pnl_minus_hold\n",
    );
    let o = |d: Option<Decimal>| d.map(canonical).unwrap_or_default();
    for (i, r) in results.iter().enumerate() {
        let (s, h) = (&r.summary, &r.summary.buy_and_hold);
        let _ = write!(out, "{}", i + 1);
        for k in keys {
            let _ = write!(out, ",{}", field(value_of(&r.point.assignments, k)));
        }
        let _ = writeln!(
            out,
            ",{},{},{},{},{},{},{},{},{},{},{},{},{}",
            canonical(s.total_pnl.get()),
            canonical(s.roi_pct),
            canonical(s.drawdown.amount.get()),
            canonical(s.drawdown.pct),
            o(s.pnl_over_drawdown),
            o(s.sharpe),
            o(s.calmar),
            s.round_trips.count,
            s.fills,
            canonical(h.pnl.get()),
            canonical(h.drawdown.amount.get()),
            o(h.pnl_over_drawdown),
            canonical((s.total_pnl - h.pnl).get()),
        );
    }
    out
}

/// One ranked point in the JSON file.
#[derive(Debug, Serialize)]
pub struct JsonScored {
    /// 1 = best.
    pub rank: usize,
    /// `key=value` assignments.
    pub parameters: Vec<String>,
    /// Metrics of the run.
    pub metrics: JsonMetrics,
}

/// The metrics a sweep or optimisation row saves (canonical decimal strings).
#[derive(Debug, Clone, Serialize)]
pub struct JsonMetrics {
    /// Total P&L in quote.
    pub total_pnl: String,
    /// ROI, percent.
    pub roi_pct: String,
    /// Largest fall of equity, quote.
    pub max_drawdown: String,
    /// Largest relative fall, percent.
    pub max_drawdown_pct: String,
    /// Total P&L over max drawdown.
    pub pnl_over_max_drawdown: Option<String>,
    /// Annualised Sharpe of daily returns.
    pub sharpe: Option<String>,
    /// Linearly annualised ROI over max drawdown percent.
    pub calmar: Option<String>,
    /// Basket round trips.
    pub round_trips: u32,
    /// Fills.
    pub fills: u64,
    /// Buy-and-hold P&L of the same budget.
    pub hold_pnl: String,
    /// Buy-and-hold max drawdown, quote.
    pub hold_max_drawdown: String,
    /// Buy-and-hold P&L over its max drawdown.
    pub hold_pnl_over_max_drawdown: Option<String>,
}

impl JsonMetrics {
    /// From a run's summary.
    pub fn of(s: &crate::apps::backtest::metrics::Summary) -> Self {
        let h = &s.buy_and_hold;
        Self {
            total_pnl: canonical(s.total_pnl.get()),
            roi_pct: canonical(s.roi_pct),
            max_drawdown: canonical(s.drawdown.amount.get()),
            max_drawdown_pct: canonical(s.drawdown.pct),
            pnl_over_max_drawdown: s.pnl_over_drawdown.map(canonical),
            sharpe: s.sharpe.map(canonical),
            calmar: s.calmar.map(canonical),
            round_trips: s.round_trips.count,
            fills: s.fills,
            hold_pnl: canonical(h.pnl.get()),
            hold_max_drawdown: canonical(h.drawdown.amount.get()),
            hold_pnl_over_max_drawdown: h.pnl_over_drawdown.map(canonical),
        }
    }
}

#[derive(Serialize)]
struct JsonSkipped<'a> {
    parameters: &'a [String],
    reasons: &'a [String],
}

#[derive(Serialize)]
struct Doc<'a> {
    format: &'static str,
    ranked_by: &'static str,
    ranked: Vec<JsonScored>,
    skipped: Vec<JsonSkipped<'a>>,
}

/// The sweep as JSON (pretty, newline-terminated).
pub fn json(results: &[Scored], skipped: &[Skipped], ranked_by: &'static str) -> String {
    let doc = Doc {
        format: "binance-trader/sweep/1",
        ranked_by,
        ranked: results
            .iter()
            .enumerate()
            .map(|(i, r)| JsonScored {
                rank: i + 1,
                parameters: r.point.assignments.clone(),
                metrics: JsonMetrics::of(&r.summary),
            })
            .collect(),
        skipped: skipped
            .iter()
            .map(|s| JsonSkipped {
                parameters: &s.assignments,
                reasons: &s.reasons,
            })
            .collect(),
    };
    // Strings and integers always serialize.
    let mut text = serde_json::to_string_pretty(&doc).expect("sweep JSON serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_with_commas_or_quotes_are_quoted() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(field("1.5"), "1.5");
    }

    #[test]
    fn a_key_s_value_is_read_from_the_assignments() {
        let a = vec!["tp1_pct=1.5".to_string(), "levels.count=6".to_string()];
        assert_eq!(value_of(&a, "levels.count"), "6");
        assert_eq!(value_of(&a, "tp2_pct"), "");
    }
}
