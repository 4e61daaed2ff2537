//! The summary as labelled rows, shared by the terminal table and the HTML page.

use super::{fixed, utc_minute, Report};
use rust_decimal::Decimal;

/// One labelled value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    /// What the value is.
    pub label: &'static str,
    /// The value, formatted for display.
    pub value: String,
}

/// A titled block of rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    /// Block title.
    pub title: &'static str,
    /// Its rows.
    pub rows: Vec<Row>,
}

fn row(label: &'static str, value: String) -> Row {
    Row { label, value }
}

fn pct(d: Decimal) -> String {
    format!("{} %", fixed(d, 2))
}

fn signed_pct(d: Decimal) -> String {
    let sign = if d > Decimal::ZERO { "+" } else { "" };
    format!("{sign}{}", pct(d))
}

fn opt_ratio(d: Option<Decimal>) -> String {
    d.map_or("n/a".to_string(), |v| fixed(v, 2))
}

/// The summary in display order.
pub(crate) fn groups(report: &Report<'_>) -> Vec<Group> {
    let (r, s) = (report.record, &report.summary);
    let days = Decimal::from(r.end_ms - r.start_ms + 1) / Decimal::from(86_400_000);
    let rt = &s.round_trips;
    let b = &s.baskets;
    let h = &s.buy_and_hold;
    let opt_money = |q: Option<_>| q.map_or("n/a".to_string(), |q| report.signed_money(q));
    vec![
        Group {
            title: "Run",
            rows: vec![
                row(
                    "Symbol",
                    format!("{} ({}/{})", r.symbol, r.base_asset, r.quote_asset),
                ),
                row(
                    "Period",
                    format!(
                        "{} → {} UTC ({} days)",
                        utc_minute(r.start_ms),
                        utc_minute(r.end_ms),
                        fixed(days, 1)
                    ),
                ),
                row("Candles", r.candles.to_string()),
            ],
        },
        Group {
            title: "Profit and loss",
            rows: vec![
                row("Initial equity", report.money(s.initial_equity)),
                row("Final equity", report.money(s.final_equity)),
                row("Realised P&L (gross)", report.signed_money(s.realized_pnl)),
                row("Unrealised P&L", report.signed_money(s.unrealized_pnl)),
                row("Fees", report.money(s.fees)),
                row("Total P&L", report.signed_money(s.total_pnl)),
                row("ROI", signed_pct(s.roi_pct)),
            ],
        },
        Group {
            title: "Risk",
            rows: vec![
                row("Max drawdown", report.money(s.drawdown.amount)),
                row("Max drawdown %", pct(s.drawdown.pct)),
                row(
                    "Sharpe (daily, ann.)",
                    match s.sharpe {
                        Some(v) => format!("{} ({} daily returns)", fixed(v, 2), s.daily_returns),
                        None => format!("n/a ({} daily returns)", s.daily_returns),
                    },
                ),
                row("Time in market", pct(s.time_in_market_pct)),
                row("P&L / max drawdown", opt_ratio(s.pnl_over_drawdown)),
                row("Calmar (linear ann.)", opt_ratio(s.calmar)),
            ],
        },
        Group {
            title: "Buy-and-hold (same budget)",
            rows: vec![
                row(
                    "Held from first open",
                    format!(
                        "{} → {} {} at {}",
                        report.money(h.budget),
                        h.qty.get().round_dp(8).normalize(),
                        r.base_asset,
                        h.entry
                    ),
                ),
                row("Buy-and-hold P&L", report.signed_money(h.pnl)),
                row(
                    "Buy-and-hold max drawdown",
                    format!(
                        "{} ({})",
                        report.money(h.drawdown.amount),
                        pct(h.drawdown.pct)
                    ),
                ),
                row("Buy-and-hold P&L / max DD", opt_ratio(h.pnl_over_drawdown)),
                row(
                    "Strategy minus buy-and-hold",
                    report.signed_money(s.total_pnl - h.pnl),
                ),
            ],
        },
        Group {
            title: "Baskets",
            rows: vec![
                row("Baskets opened", b.opened.to_string()),
                row(
                    "Closed / stopped / emergency",
                    format!("{} / {} / {}", b.closed, b.stopped, b.emergency_closed),
                ),
                row(
                    "Reanchored / still open",
                    if b.error > 0 {
                        format!("{} / {} ({} in error)", b.reanchored, b.active, b.error)
                    } else {
                        format!("{} / {}", b.reanchored, b.active)
                    },
                ),
                row(
                    "Win rate",
                    match rt.win_rate_pct {
                        Some(w) => format!("{} ({} of {} round trips)", pct(w), rt.wins, rt.count),
                        None => "n/a (no round trips)".to_string(),
                    },
                ),
                row("Average win (net)", opt_money(rt.avg_win)),
                row("Average loss (net)", opt_money(rt.avg_loss)),
                row(
                    "Fills",
                    format!("{} ({} buys, {} sells)", s.fills, s.buys, s.sells),
                ),
            ],
        },
    ]
}
