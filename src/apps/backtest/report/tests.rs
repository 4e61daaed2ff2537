use super::*;
use crate::apps::backtest::record::fixtures;
use crate::core::symbol::Symbol;
use std::path::PathBuf;

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/report_small.json")
}

#[test]
fn json_is_byte_identical_across_runs_and_matches_the_golden_file() {
    let (a, b) = (fixtures::small(), fixtures::small());
    let first = Report::new(&a).unwrap().json();
    let second = Report::new(&b).unwrap().json();
    assert_eq!(first, second);
    let path = golden_path();
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&path, &first).unwrap();
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create)",
            path.display()
        )
    });
    assert!(
        first == golden,
        "JSON differs from {}; diff it with UPDATE_GOLDEN=1",
        path.display()
    );
}

#[test]
fn json_keeps_full_precision_and_canonical_decimals() {
    let r = fixtures::small();
    let v: serde_json::Value = serde_json::from_str(&Report::new(&r).unwrap().json()).unwrap();
    let s = &v["summary"];
    assert_eq!(s["final_equity"], "1013.7952");
    assert_eq!(s["total_pnl"], "13.7952");
    assert_eq!(s["unrealized_pnl"], "10");
    assert_eq!(s["roi_pct"], "1.37952");
    assert_eq!(s["max_drawdown_trough_ms"], r.equity[2].time_ms);
    assert_eq!(v["trades"][1]["fee_base"], "0.002");
    assert_eq!(v["trades"][2]["slot"], "TP1");
    assert_eq!(v["baskets"][1]["status"], "stopped");
    assert_eq!(v["baskets"][1]["net_pnl"], "-15.205");
    assert_eq!(v["equity"]["points"].as_array().unwrap().len(), 8);
    assert_eq!(v["config"]["symbol"], "SOLUSDC");
}

#[test]
fn terminal_table_is_aligned_and_rounded_for_display() {
    let r = fixtures::small();
    let text = Report::new(&r).unwrap().terminal();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Backtest SOLUSDC");
    // Labels pad to the longest one, "Closed / stopped / emergency" (28 characters).
    for (label, value) in [
        (
            "Period",
            "2024-01-01 00:00 → 2024-01-04 23:59 UTC (4.0 days)",
        ),
        ("Total P&L", "+13.80 USDC"),
        ("Realised P&L (gross)", "+4.98 USDC"),
        ("Fees", "1.18 USDC"),
        ("ROI", "+1.38 %"),
        ("Max drawdown", "20.38 USDC"),
        ("Win rate", "50.00 % (1 of 2 round trips)"),
        ("Average loss (net)", "-15.21 USDC"),
        ("Time in market", "50.00 %"),
        ("Fills", "6 (4 buys, 2 sells)"),
        ("Closed / stopped / emergency", "1 / 1 / 0"),
        ("Reanchored / still open", "1 / 1"),
    ] {
        let want = format!("  {label:<28}  {value}");
        assert!(
            lines.contains(&want.as_str()),
            "missing `{want}` in\n{text}"
        );
    }
    let value_column = |l: &str| {
        l.find("  ")
            .and_then(|i| l[i + 2..].find(|c: char| c != ' ').map(|j| i + 2 + j))
    };
    let rows: Vec<_> = lines
        .iter()
        .filter(|l| l.starts_with("  "))
        .map(|l| l[2..].to_string())
        .collect();
    let cols: Vec<_> = rows.iter().filter_map(|l| value_column(l)).collect();
    assert!(
        cols.windows(2).all(|w| w[0] == w[1]),
        "values not aligned:\n{text}"
    );
}

#[test]
fn html_has_every_section_and_is_self_contained() {
    let r = fixtures::small();
    let page = Report::new(&r).unwrap().html().unwrap();
    for id in [
        "summary",
        "equity-chart",
        "price-chart",
        "baskets",
        "config",
    ] {
        assert!(
            page.contains(&format!("<section id=\"{id}\">")),
            "missing section {id}"
        );
    }
    assert!(page.contains("prefers-color-scheme: dark"));
    assert_eq!(page.matches("<polygon class=\"buy\"").count(), 4);
    assert_eq!(page.matches("<polygon class=\"sell\"").count(), 2);
    // The inlined chart library and script are ours; outside them nothing is loaded.
    let outside: String = page
        .split("<script")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part
            } else {
                part.split_once("</script>").map_or("", |(_, rest)| rest)
            }
        })
        .collect();
    assert_eq!(
        page.matches("<script").count(),
        3,
        "data, library, chart script"
    );
    assert!(!page.contains("<script src"));
    for external in ["src=", "href=", "@import", "url("] {
        assert!(
            !outside.contains(external),
            "page refers to something outside: {external}"
        );
    }
    assert!(page.contains("data-price-chart"), "the interactive chart");
    assert!(page.contains("2024-01-01"), "time axis has dates");
}

#[test]
fn html_escapes_a_hostile_symbol_and_config() {
    let mut r = fixtures::small();
    let hostile = Symbol::parse("<script>x</script>").unwrap();
    r.symbol = hostile.clone();
    r.config.symbol = hostile;
    let page = Report::new(&r).unwrap().html().unwrap();
    assert!(!page.contains("<script>x"), "raw markup leaked");
    assert!(page.contains("&#60;script&#62;x&#60;/script&#62;") || page.contains("&lt;script&gt;"));
}

#[test]
fn downsampling_keeps_the_ends_and_the_required_points_within_the_bound() {
    struct Case {
        label: &'static str,
        len: usize,
        max: usize,
        must: &'static [usize],
    }
    let cases = [
        Case {
            label: "short series is kept whole",
            len: 10,
            max: 2000,
            must: &[3],
        },
        Case {
            label: "long series",
            len: 100_000,
            max: 2000,
            must: &[],
        },
        Case {
            label: "required points",
            len: 12_345,
            max: 2000,
            must: &[7, 12_000, 5_001, 7],
        },
        Case {
            label: "markers",
            len: 12_000,
            max: 5000,
            must: &[],
        },
        Case {
            label: "one over the bound",
            len: 2001,
            max: 2000,
            must: &[1999],
        },
    ];
    for c in cases {
        let idx = downsample_indices(c.len, c.max, c.must);
        assert!(idx.len() <= c.max, "{}: {} > {}", c.label, idx.len(), c.max);
        assert_eq!(idx.first(), Some(&0), "{}", c.label);
        assert_eq!(idx.last(), Some(&(c.len - 1)), "{}", c.label);
        assert!(
            idx.windows(2).all(|w| w[0] < w[1]),
            "{}: sorted, no repeats",
            c.label
        );
        for m in c.must {
            assert!(idx.contains(m), "{}: lost required {m}", c.label);
        }
        if c.len > c.max {
            assert!(
                idx.len() + 4 >= c.max,
                "{}: uses the budget ({})",
                c.label,
                idx.len()
            );
        } else {
            assert_eq!(idx.len(), c.len, "{}", c.label);
        }
    }
    assert!(downsample_indices(0, 2000, &[]).is_empty());
}

#[test]
fn long_run_report_is_bounded_and_keeps_the_drawdown_points() {
    let r = fixtures::synthetic(20_000);
    let report = Report::new(&r).unwrap();
    let v: serde_json::Value = serde_json::from_str(&report.json()).unwrap();
    let points = v["equity"]["points"].as_array().unwrap();
    assert!(points.len() <= MAX_POINTS);
    assert_eq!(v["equity"]["points_total"], 20_000);
    let times: Vec<i64> = points
        .iter()
        .map(|p| p["time_ms"].as_i64().unwrap())
        .collect();
    let dd = report.summary.drawdown;
    for i in [
        Some(0),
        Some(r.equity.len() - 1),
        dd.peak_index,
        dd.trough_index,
    ] {
        assert!(times.contains(&r.equity[i.unwrap()].time_ms));
    }
    let page = report.html().unwrap();
    let polylines: Vec<&str> = page.split("<polyline").skip(1).collect();
    assert_eq!(polylines.len(), 3, "buy-and-hold, equity and price lines");
    assert!(polylines[0].starts_with(" class=\"hold\""));
    for pl in polylines {
        let points = pl
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let n = points.split(' ').count();
        assert!(n > 1000 && n <= MAX_POINTS, "a polyline has {n} points");
    }
    assert!(page.matches("<polygon").count() <= MAX_MARKERS);
}

#[test]
fn utc_dates_are_right() {
    assert_eq!(utc_minute(0), "1970-01-01 00:00");
    assert_eq!(utc_minute(951_782_400_000), "2000-02-29 00:00");
    assert_eq!(utc_minute(1_704_067_200_000 - 60_000), "2023-12-31 23:59");
    assert_eq!(utc_minute(-86_400_000), "1969-12-31 00:00");
}

/// Writes a synthetic report for a look in a browser: `REPORT_HTML_OUT=/tmp/r.html cargo
/// test --lib write_synthetic_html -- --ignored`.
#[test]
#[ignore = "writes a file for manual review"]
fn write_synthetic_html() {
    let r = fixtures::synthetic(14 * 1440);
    let out =
        std::env::var("REPORT_HTML_OUT").unwrap_or_else(|_| "/tmp/backtest_report.html".into());
    let report = Report::new(&r).unwrap();
    report.write_html(std::path::Path::new(&out)).unwrap();
    print!("{}", report.terminal());
}

/// The JSON the report's price chart draws (`#chart-data`).
fn chart_data(page: &str) -> serde_json::Value {
    let start = page.find("id=\"chart-data\">").expect("the chart's data") + 16;
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end]).unwrap()
}

#[test]
fn the_price_chart_carries_the_last_basket_s_grid_and_every_fill() {
    use crate::core::filters::{SymbolFilters, SymbolRules};
    use rust_decimal_macros::dec;
    let r = fixtures::small();
    let rules = SymbolRules::basic(
        r.symbol.clone(),
        r.base_asset.clone(),
        r.quote_asset.clone(),
        SymbolFilters::basic(dec!(0.01), dec!(0.001), dec!(5)),
    );
    let page = Report::new(&r).unwrap().with_rules(&rules).html().unwrap();
    let data = chart_data(&page);
    assert_eq!(data["basket_id"], 4, "the last basket");
    let lines = data["lines"].as_array().unwrap();
    let of = |kind: &str| -> Vec<&serde_json::Value> {
        lines.iter().filter(|l| l["kind"] == kind).collect()
    };
    let anchor = of("anchor");
    assert_eq!(anchor.len(), 1);
    assert_eq!(
        anchor[0]["price"], "101.00",
        "basket 4's anchor at the tick"
    );
    let stop = &of("stop")[0];
    assert_eq!(stop["label"], "Hard stop");
    let buys = of("buy");
    let planned = crate::core::strategy::levels::planned_levels(
        &r.config,
        crate::core::money::Price::new(dec!(101)),
        &rules.filters,
    );
    assert_eq!(buys.len(), planned.len(), "every buy level: {lines:?}");
    assert_eq!(buys[0]["label"], "B1");
    assert_ne!(
        buys[0]["state"], "planned",
        "B1 bought 2 at 100: {:?}",
        buys[0]
    );
    assert!(
        buys[1..].iter().all(|b| b["state"] == "planned"),
        "{buys:?}"
    );
    assert!(
        !of("tp1").is_empty(),
        "TP1 over the held position: {lines:?}"
    );
    assert!(!of("tp2").is_empty(), "TP2: {lines:?}");
    // Every fill of the run is a marker, with its price, quantity and fee.
    let markers = data["markers"].as_array().unwrap();
    assert_eq!(markers.len(), r.trades.len());
    assert_eq!(markers[5]["slot"], "B1");
    assert_eq!(markers[5]["price"], "100");
    assert_eq!(markers[5]["qty"], "2");
    // Without the rules the report still draws candles and fills.
    let plain = chart_data(&Report::new(&r).unwrap().html().unwrap());
    assert!(plain["lines"].as_array().unwrap().is_empty());
    assert_eq!(plain["markers"].as_array().unwrap().len(), r.trades.len());
}
