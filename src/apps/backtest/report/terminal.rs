//! The terminal summary: one aligned two-column table, groups separated by a blank line.

use super::{rows, Report};
use std::fmt::Write;

/// Renders the table.
pub(super) fn render(report: &Report<'_>) -> String {
    let groups = rows::groups(report);
    let width = groups
        .iter()
        .flat_map(|g| &g.rows)
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = format!("Backtest {}\n", report.record.symbol);
    for g in &groups {
        out.push('\n');
        for r in &g.rows {
            // Writing to a String cannot fail.
            let _ = writeln!(out, "  {:<width$}  {}", r.label, r.value);
        }
    }
    out
}
