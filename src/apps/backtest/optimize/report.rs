//! The out-of-sample report of a walk-forward run: a terminal table, `optimize.json`,
//! `optimize.csv` (one row per window) and a self-contained `optimize.html`.
//!
//! Per window: the training and test spans, the chosen parameters, in-sample against
//! out-of-sample (P&L, max drawdown %, P&L / drawdown, the objective), buy-and-hold on the
//! test span, and a divergence flag. The totals add the out-of-sample P&L of every window
//! (each test span starts flat with the same cash) against buy-and-hold's on the same spans.

use super::walk::WindowResult;
use super::Settings;
use crate::apps::backtest::metrics::Summary;
use crate::apps::backtest::report::{canonical, utc_minute};
use crate::apps::backtest::sweep::output::JsonMetrics;
use crate::core::money::Quote;
use askama::Template;
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt::Write;

/// Sums over the test spans.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Windows with a chosen point that also ran out-of-sample.
    pub windows_tested: usize,
    /// Of those, the ones where out-of-sample diverged.
    pub divergent: usize,
    /// Of those, the ones whose P&L beat buy-and-hold's.
    pub beat_hold: usize,
    /// Out-of-sample P&L, summed.
    pub oos_pnl: Quote,
    /// Buy-and-hold P&L on the same spans, summed.
    pub hold_pnl: Quote,
}

/// Sums the tested windows.
pub fn totals(results: &[WindowResult]) -> Totals {
    let mut t = Totals::default();
    for c in results.iter().filter_map(|r| r.chosen.as_ref()) {
        t.divergent += usize::from(c.diverges);
        if let Ok(s) = &c.out_of_sample {
            t.windows_tested += 1;
            t.oos_pnl += s.total_pnl;
            t.hold_pnl += s.buy_and_hold.pnl;
            t.beat_hold += usize::from(s.total_pnl > s.buy_and_hold.pnl);
        }
    }
    t
}

fn day(ms: i64) -> String {
    utc_minute(ms)[..10].to_string()
}

fn r2(d: Decimal) -> String {
    d.round_dp(2).to_string()
}

fn opt2(d: Option<Decimal>) -> String {
    d.map_or_else(|| "-".into(), r2)
}

fn pnl_dd(s: &Summary) -> String {
    format!(
        "{} / {}% / {}",
        r2(s.total_pnl.get()),
        r2(s.drawdown.pct),
        opt2(s.pnl_over_drawdown)
    )
}

/// One window as display strings (terminal and HTML share them).
struct Line {
    n: usize,
    train: String,
    test: String,
    params: String,
    in_sample: String,
    out_sample: String,
    hold: String,
    scores: String,
    warning: String,
}

fn lines(results: &[WindowResult]) -> Vec<Line> {
    results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let w = &r.window;
            let mut line = Line {
                n: i + 1,
                train: format!("{}..{}", day(w.train_start_ms), day(w.train_end_ms - 1)),
                test: format!("{}..{}", day(w.train_end_ms), day(w.test_end_ms - 1)),
                params: "-".into(),
                in_sample: "-".into(),
                out_sample: "-".into(),
                hold: "-".into(),
                scores: "-".into(),
                warning: String::new(),
            };
            let Some(c) = &r.chosen else {
                line.warning = format!("no point ran ({} skipped)", r.skipped);
                return line;
            };
            line.params = c.assignments.join(" ");
            line.in_sample = pnl_dd(&c.in_sample);
            line.scores = format!("{} → {}", opt2(c.in_score), opt2(c.out_score));
            match &c.out_of_sample {
                Ok(s) => {
                    line.out_sample = pnl_dd(s);
                    let h = &s.buy_and_hold;
                    line.hold = format!(
                        "{} / {}% / {}",
                        r2(h.pnl.get()),
                        r2(h.drawdown.pct),
                        opt2(h.pnl_over_drawdown)
                    );
                }
                Err(reasons) => line.out_sample = format!("not run: {}", reasons.join("; ")),
            }
            if c.diverges {
                line.warning = "DIVERGES: out-of-sample below half of in-sample".into();
            }
            line
        })
        .collect()
}

/// The terminal report.
pub fn terminal(settings: &Settings, results: &[WindowResult]) -> String {
    let mut out = format!(
        "Walk-forward {}: {} windows ({:?}, train {} d, test {} d), objective {}, {} points \
         ({:?} search)\nP&L / max DD % / P&L÷DD per side; scores{} in-sample → out-of-sample\n\n",
        settings.symbol,
        results.len(),
        settings.mode,
        settings.train_days,
        settings.test_days,
        settings.objective.name(),
        settings.points,
        settings.search,
        if settings.objective.additive() {
            " per day,"
        } else {
            ""
        },
    );
    for l in lines(results) {
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "#{:<2} train {}  test {}\n    params  {}\n    in      {}\n    out     {}\n    \
             hold    {}\n    score   {}{}",
            l.n,
            l.train,
            l.test,
            l.params,
            l.in_sample,
            l.out_sample,
            l.hold,
            l.scores,
            if l.warning.is_empty() {
                String::new()
            } else {
                format!("\n    !! {}", l.warning)
            }
        );
    }
    let t = totals(results);
    let _ = writeln!(
        out,
        "\nOut-of-sample total: {} {q} over {} test spans; buy-and-hold {} {q}; beat holding in \
         {} of {}; {} window(s) diverged",
        r2(t.oos_pnl.get()),
        t.windows_tested,
        r2(t.hold_pnl.get()),
        t.beat_hold,
        t.windows_tested,
        t.divergent,
        q = settings.quote_asset,
    );
    out
}

#[derive(Serialize)]
struct JsonWindow<'a> {
    train_start_ms: i64,
    train_end_ms: i64,
    test_end_ms: i64,
    train_candles: usize,
    test_candles: usize,
    evaluated: usize,
    skipped: usize,
    chosen: Option<&'a [String]>,
    in_sample: Option<JsonMetrics>,
    out_of_sample: Option<JsonMetrics>,
    out_of_sample_error: Option<&'a [String]>,
    in_score: Option<String>,
    out_score: Option<String>,
    diverges: bool,
}

#[derive(Serialize)]
struct Doc<'a> {
    format: &'static str,
    settings: &'a Settings,
    windows: Vec<JsonWindow<'a>>,
    totals: JsonTotals,
}

#[derive(Serialize)]
struct JsonTotals {
    windows_tested: usize,
    divergent: usize,
    beat_hold: usize,
    oos_pnl: String,
    hold_pnl: String,
}

/// The JSON report (pretty, newline-terminated).
pub fn json(settings: &Settings, results: &[WindowResult]) -> String {
    let windows = results
        .iter()
        .map(|r| {
            let c = r.chosen.as_ref();
            JsonWindow {
                train_start_ms: r.window.train_start_ms,
                train_end_ms: r.window.train_end_ms,
                test_end_ms: r.window.test_end_ms,
                train_candles: r.train_candles,
                test_candles: r.test_candles,
                evaluated: r.evaluated,
                skipped: r.skipped,
                chosen: c.map(|c| c.assignments.as_slice()),
                in_sample: c.map(|c| JsonMetrics::of(&c.in_sample)),
                out_of_sample: c.and_then(|c| c.out_of_sample.as_ref().ok().map(JsonMetrics::of)),
                out_of_sample_error: c
                    .and_then(|c| c.out_of_sample.as_ref().err().map(Vec::as_slice)),
                in_score: c.and_then(|c| c.in_score.map(canonical)),
                out_score: c.and_then(|c| c.out_score.map(canonical)),
                diverges: c.is_some_and(|c| c.diverges),
            }
        })
        .collect();
    let t = totals(results);
    let doc = Doc {
        format: "binance-trader/optimize/1",
        settings,
        windows,
        totals: JsonTotals {
            windows_tested: t.windows_tested,
            divergent: t.divergent,
            beat_hold: t.beat_hold,
            oos_pnl: canonical(t.oos_pnl.get()),
            hold_pnl: canonical(t.hold_pnl.get()),
        },
    };
    // Strings, integers and enums always serialize.
    let mut text = serde_json::to_string_pretty(&doc).expect("optimize JSON serializes");
    text.push('\n');
    text
}

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One row per window.
pub fn csv(results: &[WindowResult]) -> String {
    let mut out = String::from(
        "window,train_start,train_end,test_end,parameters,is_pnl,is_max_dd_pct,\
         is_pnl_over_dd,oos_pnl,oos_max_dd_pct,oos_pnl_over_dd,hold_pnl,hold_max_dd_pct,\
         hold_pnl_over_dd,is_score,oos_score,diverges\n",
    );
    let o = |d: Option<Decimal>| d.map(canonical).unwrap_or_default();
    for (i, r) in results.iter().enumerate() {
        let w = &r.window;
        let _ = write!(
            out,
            "{},{},{},{}",
            i + 1,
            day(w.train_start_ms),
            day(w.train_end_ms),
            day(w.test_end_ms)
        );
        let Some(c) = &r.chosen else {
            out.push_str(",,,,,,,,,,,,,\n");
            continue;
        };
        let s = &c.in_sample;
        let _ = write!(
            out,
            ",{},{},{},{}",
            field(&c.assignments.join(" ")),
            canonical(s.total_pnl.get()),
            canonical(s.drawdown.pct),
            o(s.pnl_over_drawdown)
        );
        match &c.out_of_sample {
            Ok(s) => {
                let h = &s.buy_and_hold;
                let _ = write!(
                    out,
                    ",{},{},{},{},{},{}",
                    canonical(s.total_pnl.get()),
                    canonical(s.drawdown.pct),
                    o(s.pnl_over_drawdown),
                    canonical(h.pnl.get()),
                    canonical(h.drawdown.pct),
                    o(h.pnl_over_drawdown)
                );
            }
            Err(_) => out.push_str(",,,,,,"),
        }
        let _ = writeln!(out, ",{},{},{}", o(c.in_score), o(c.out_score), c.diverges);
    }
    out
}

#[derive(Template)]
#[template(path = "optimize_report.html")]
struct Page<'a> {
    title: String,
    settings: &'a Settings,
    objective: &'static str,
    lines: Vec<Line>,
    total_oos: String,
    total_hold: String,
    totals: Totals,
}

/// The HTML page.
pub fn html(settings: &Settings, results: &[WindowResult]) -> Result<String, askama::Error> {
    let t = totals(results);
    Page {
        title: format!("Walk-forward {}", settings.symbol),
        settings,
        objective: settings.objective.name(),
        lines: lines(results),
        total_oos: r2(t.oos_pnl.get()),
        total_hold: r2(t.hold_pnl.get()),
        totals: t,
    }
    .render()
}
