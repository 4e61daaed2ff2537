//! The HTML page: one self-contained file (inline CSS, inline SVG, the dashboard's price chart
//! with its library inlined, no external resources), rendered by askama from `templates/backtest_report.html`. Every text that
//! comes from the record (symbol, config, labels) goes through askama's HTML escaping; only
//! numbers computed here reach SVG attributes.

use super::chart::{self, Chart, Scale};
use super::price_chart;
use super::rows::{self, Group};
use super::{canonical, downsample_indices, utc_minute, Report, MAX_MARKERS};
use crate::core::order::Side;
use askama::Template;

/// Most baskets listed in the page's table (the JSON lists all).
const MAX_BASKET_ROWS: usize = 500;

/// One row of the baskets table.
struct BasketRow {
    id: u32,
    status: &'static str,
    opened: String,
    closed: String,
    anchor: String,
    depth: u16,
    net: String,
    /// `pos`, `neg` or empty (zero).
    class: &'static str,
}

#[derive(Template)]
#[template(path = "backtest_report.html")]
struct Page {
    title: String,
    groups: Vec<Group>,
    width: i64,
    height: i64,
    equity: Chart,
    price: Chart,
    markers_note: Option<String>,
    baskets: Vec<BasketRow>,
    baskets_note: Option<String>,
    config: String,
    chart_library: &'static str,
    chart_script: &'static str,
    chart_data: String,
}

/// Renders the page.
pub(super) fn render(report: &Report<'_>) -> Result<String, askama::Error> {
    let r = report.record;
    let idx = report.equity_indices();
    let (t0, t1) = (r.start_ms, r.end_ms.max(r.start_ms));
    let equity_points: Vec<_> = idx
        .iter()
        .map(|&i| (r.equity[i].time_ms, r.equity[i].equity.get()))
        .collect();
    let price_points: Vec<_> = idx
        .iter()
        .map(|&i| (r.equity[i].time_ms, r.equity[i].price.get()))
        .collect();
    let hold = &report.summary.buy_and_hold;
    let hold_points: Vec<_> = idx
        .iter()
        .map(|&i| {
            let p = &r.equity[i];
            (p.time_ms, hold.equity_at(r.initial_quote, p.price).get())
        })
        .collect();
    let equity_scale = Scale::new(
        t0,
        t1,
        equity_points.iter().chain(&hold_points).map(|p| p.1),
    );
    let mut equity = chart::line_chart(&equity_scale, &equity_points);
    equity.benchmark = chart::polyline(&equity_scale, &hold_points);

    let price_scale = Scale::new(
        t0,
        t1,
        price_points
            .iter()
            .map(|p| p.1)
            .chain(r.trades.iter().map(|t| t.price.get())),
    );
    let mut price = chart::line_chart(&price_scale, &price_points);
    let shown = downsample_indices(r.trades.len(), MAX_MARKERS, &[]);
    price.markers = shown
        .iter()
        .map(|&i| {
            let t = &r.trades[i];
            let title = format!(
                "{} {} basket {} {}: {} @ {} ({})",
                t.side.as_str(),
                t.slot,
                t.basket,
                utc_minute(t.time_ms),
                canonical(t.qty.get()),
                canonical(t.price.get()),
                r.quote_asset
            );
            chart::marker(
                &price_scale,
                t.time_ms,
                t.price.get(),
                t.side == Side::Buy,
                title,
            )
        })
        .collect();
    let markers_note = (shown.len() < r.trades.len()).then(|| {
        format!(
            "{} of {} fills marked (evenly spaced).",
            shown.len(),
            r.trades.len()
        )
    });

    let baskets = r
        .baskets
        .iter()
        .take(MAX_BASKET_ROWS)
        .map(|b| {
            let net = b.realized_pnl - b.fees;
            BasketRow {
                id: b.id,
                status: b.status.as_str(),
                opened: utc_minute(b.opened_ms),
                closed: b.closed_ms.map_or_else(|| "—".to_string(), utc_minute),
                anchor: canonical(b.anchor.get()),
                depth: b.max_depth,
                net: report.signed_money(net),
                class: if net.is_positive() {
                    "pos"
                } else if net.is_zero() {
                    ""
                } else {
                    "neg"
                },
            }
        })
        .collect();
    let baskets_note = (r.baskets.len() > MAX_BASKET_ROWS).then(|| {
        format!(
            "First {MAX_BASKET_ROWS} of {} baskets; the JSON report lists all.",
            r.baskets.len()
        )
    });
    let config = serde_json::to_string_pretty(&r.config).unwrap_or_else(|e| format!("({e})"));

    Page {
        title: format!("Backtest {}", r.symbol),
        groups: rows::groups(report),
        width: chart::WIDTH,
        height: chart::HEIGHT,
        equity,
        price,
        chart_library: price_chart::LIBRARY,
        chart_script: price_chart::SCRIPT,
        chart_data: price_chart::data(report),
        markers_note,
        baskets,
        baskets_note,
        config,
    }
    .render()
}
