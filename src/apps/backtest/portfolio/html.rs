//! The portfolio's HTML page: one self-contained file (inline CSS and SVG, no scripts),
//! rendered by askama from `templates/portfolio_report.html` with the backtest report's chart
//! geometry (`report::chart`). The with-limits and without-limits curves share one scale so
//! the page shows the limits' effect at a glance; grid names and limit names go through
//! askama's escaping, only numbers computed here reach SVG attributes. With the
//! correlated-group cap set, a section compares the replay with the file's limits against the
//! same limits without the cap: a table and both equity curves on one scale.

use super::report::{count_trips, PortfolioReport};
use super::run::PortfolioRecord;
use crate::apps::backtest::report::chart::{self, Chart, Scale};
use crate::apps::backtest::report::{downsample_indices, fixed, utc_minute, MAX_POINTS};
use askama::Template;
use rust_decimal::Decimal;

/// Most trip events listed (the JSON lists all).
const MAX_TRIP_ROWS: usize = 300;

struct SummaryRow {
    label: &'static str,
    with: String,
    without: String,
}

struct GridRow {
    name: String,
    symbol: String,
    budget: String,
    pnl_with: String,
    dd_with: String,
    trips: usize,
    closes: u64,
    pnl_without: String,
    dd_without: String,
    hold: String,
}

struct TripRow {
    time: String,
    grid: String,
    event: &'static str,
    limit: String,
    value: String,
    threshold: String,
    action: String,
}

/// The correlated-group cap's section: with the cap and without it.
struct GroupCapSection {
    note: String,
    rows: Vec<SummaryRow>,
    equity: Chart,
    equity_without: String,
}

#[derive(Template)]
#[template(path = "portfolio_report.html")]
struct Page {
    title: String,
    period: String,
    width: i64,
    height: i64,
    summary: Vec<SummaryRow>,
    equity: Chart,
    equity_without: String,
    hold: String,
    exposure: Chart,
    exposure_without: String,
    grids: Vec<GridRow>,
    trips: Vec<TripRow>,
    trips_note: Option<String>,
    group_cap: Option<GroupCapSection>,
}

fn money(d: Decimal) -> String {
    fixed(d, 2)
}

/// Points of one curve series at the shown indices.
fn series(
    r: &PortfolioRecord,
    idx: &[usize],
    f: impl Fn(&super::run::PortfolioPoint) -> Decimal,
) -> Vec<(i64, Decimal)> {
    idx.iter()
        .filter_map(|&i| r.curve.get(i))
        .map(|p| (p.time_ms, f(p)))
        .collect()
}

fn exposure_pct(p: &super::run::PortfolioPoint) -> Decimal {
    if p.equity.get().is_zero() {
        Decimal::ZERO
    } else {
        (p.exposure.get() * Decimal::ONE_HUNDRED / p.equity.get()).round_dp(2)
    }
}

/// Renders the page for `report` and the replays it summarises (`without_cap`: the file's
/// limits without the correlated-group cap, when the file sets it).
pub fn render(
    report: &PortfolioReport,
    with: &PortfolioRecord,
    without: &PortfolioRecord,
    without_cap: Option<&PortfolioRecord>,
) -> anyhow::Result<String> {
    let idx = downsample_indices(with.curve.len().min(without.curve.len()), MAX_POINTS, &[]);
    let (t0, t1) = report.period_ms;
    let eq_with = series(with, &idx, |p| p.equity.get());
    let eq_without = series(without, &idx, |p| p.equity.get());
    let hold = series(with, &idx, |p| p.buy_and_hold.get());
    let scale = Scale::new(
        t0,
        t1,
        eq_with.iter().chain(&eq_without).chain(&hold).map(|p| p.1),
    );
    let ex_with = series(with, &idx, exposure_pct);
    let ex_without = series(without, &idx, exposure_pct);
    let ex_scale = Scale::new(
        t0,
        t1,
        ex_with
            .iter()
            .chain(&ex_without)
            .map(|p| p.1)
            .chain([Decimal::ZERO]),
    );
    let (w, o) = (&report.with_limits, &report.without_limits);
    let grids = w
        .grids
        .iter()
        .zip(&o.grids)
        .map(|(g, h)| GridRow {
            name: g.name.clone(),
            symbol: g.symbol.to_string(),
            budget: money(g.budget.get()),
            pnl_with: money(g.total_pnl.get()),
            dd_with: fixed(g.max_drawdown_pct, 2),
            trips: g.trips,
            closes: g.baskets_emergency_closed,
            pnl_without: money(h.total_pnl.get()),
            dd_without: fixed(h.max_drawdown_pct, 2),
            hold: money(g.buy_and_hold.pnl.get()),
        })
        .collect();
    let trips = w
        .trips
        .iter()
        .take(MAX_TRIP_ROWS)
        .map(|e| TripRow {
            time: utc_minute(e.time_ms),
            grid: e.grid.clone(),
            event: if e.tripped { "tripped" } else { "cleared" },
            limit: format!("{:?}", e.trip.limit),
            value: fixed(e.trip.value, 2),
            threshold: e.trip.threshold.to_string(),
            action: format!("{:?}", e.trip.action),
        })
        .collect();
    let page = Page {
        title: format!("Portfolio backtest: {} grids", w.grids.len()),
        period: format!(
            "{} → {} UTC, starting equity {}; {} limit trips with limits",
            utc_minute(t0),
            utc_minute(t1),
            money(w.initial_equity.get()),
            count_trips(&w.trips)
        ),
        width: chart::WIDTH,
        height: chart::HEIGHT,
        summary: report
            .side_by_side()
            .into_iter()
            .map(|(label, a, b)| SummaryRow {
                label,
                with: fixed(a, 2),
                without: fixed(b, 2),
            })
            .collect(),
        equity: chart::line_chart(&scale, &eq_with),
        equity_without: chart::line_chart(&scale, &eq_without).line,
        hold: chart::line_chart(&scale, &hold).line,
        exposure: chart::line_chart(&ex_scale, &ex_with),
        exposure_without: chart::line_chart(&ex_scale, &ex_without).line,
        grids,
        trips_note: (w.trips.len() > MAX_TRIP_ROWS).then(|| {
            format!(
                "First {MAX_TRIP_ROWS} of {} events; portfolio.json lists all.",
                w.trips.len()
            )
        }),
        trips,
        group_cap: group_cap_section(report, with, without_cap),
    };
    Ok(page.render()?)
}

/// The cap's section, when the report has the replay without the cap.
fn group_cap_section(
    report: &PortfolioReport,
    with: &PortfolioRecord,
    without_cap: Option<&PortfolioRecord>,
) -> Option<GroupCapSection> {
    let (no_cap, rows) = (without_cap?, report.group_cap_effect.as_ref()?);
    let cap = report.with_limits.limits.correlated_exposure?;
    let idx = downsample_indices(with.curve.len().min(no_cap.curve.len()), MAX_POINTS, &[]);
    let eq_with = series(with, &idx, |p| p.equity.get());
    let eq_without = series(no_cap, &idx, |p| p.equity.get());
    let (t0, t1) = report.period_ms;
    let scale = Scale::new(t0, t1, eq_with.iter().chain(&eq_without).map(|p| p.1));
    Some(GroupCapSection {
        note: format!(
            "Symbols whose correlation reaches {} form a group; a group holds less than {} % of \
             the equity. The other limits are as in the file in both replays.",
            cap.min_correlation, cap.max
        ),
        rows: rows
            .iter()
            .map(|r| SummaryRow {
                label: r.metric,
                with: fixed(r.with_cap, 2),
                without: fixed(r.without_cap, 2),
            })
            .collect(),
        equity: chart::line_chart(&scale, &eq_with),
        equity_without: chart::line_chart(&scale, &eq_without).line,
    })
}
