//! `backtest --portfolio` end to end on the bundled February 2026 month (five symbols falling
//! 27–32 % together): no grid spends beyond its budget, and each risk limit, crafted to trip
//! on that sell-off, trips and does what it is configured to do.

use binance_trader::apps::backtest::portfolio::load::{load, LoadedPortfolio};
use binance_trader::apps::backtest::portfolio::run::{run, PortfolioRecord, TripEvent};
use binance_trader::core::basket::BasketStatus;
use binance_trader::core::money::Quote;
use binance_trader::core::order::Side;
use binance_trader::core::portfolio::PortfolioConfig;
use binance_trader::core::risk::{LimitKind, RiskLimits, TripAction};
use rust_decimal_macros::dec;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped `config/portfolio.toml`'s grids with `risk` in place of its limits.
fn portfolio(dir: &Path, risk: &str) -> LoadedPortfolio {
    let shipped = std::fs::read_to_string(root().join("config/portfolio.toml")).unwrap();
    let grid = root().join("config/portfolio-grid.toml");
    portfolio_with_grid(dir, &shipped, risk, &grid)
}

/// The grids of the portfolio file `shipped` with `risk` in place of its limits, every grid
/// on the strategy file `grid`.
fn portfolio_with_grid(dir: &Path, shipped: &str, risk: &str, grid: &Path) -> LoadedPortfolio {
    let grids = shipped.split("[risk]").next().unwrap();
    let text = format!("{grids}\n[risk]\n{risk}\n")
        .replace("\"../data/", &format!("\"{}/data/", root().display()))
        .replace(
            "\"portfolio-grid.toml\"",
            &format!("\"{}\"", grid.display()),
        );
    let file = dir.join("portfolio.toml");
    std::fs::write(&file, text).unwrap();
    load(
        &file,
        &[],
        &root().join("data/exchange_info.json"),
        Quote::new(dec!(10000)),
        None,
    )
    .unwrap()
}

fn replay(risk: &str) -> (LoadedPortfolio, PortfolioRecord) {
    let dir = tempfile::tempdir().unwrap();
    let p = portfolio(dir.path(), risk);
    let r = run(&p, &p.limits).unwrap();
    (p, r)
}

/// As [`replay`], on the grid file's earlier stop: 25 % (NEAR's wider grid 35 %) and
/// `"follow"`, so grids hit their hard stops on 6 February, reopen lower and lose more — the
/// month the limits' tests were written for (the shipped 35 % never fires that month, and no
/// loss or exposure limit of theirs binds on it).
fn replay_following(risk: &str) -> (LoadedPortfolio, PortfolioRecord) {
    let dir = tempfile::tempdir().unwrap();
    let changed = |text: String, from: &str, to: &str| {
        assert!(text.contains(from), "`{from}` moved");
        text.replace(from, to)
    };
    let grid_file = std::fs::read_to_string(root().join("config/portfolio-grid.toml")).unwrap();
    let following = changed(
        grid_file,
        "hard_stop_pct = 35\ntrail_down = \"stop\"",
        "hard_stop_pct = 25\ntrail_down = \"follow\"",
    );
    let grid = dir.path().join("grid.toml");
    std::fs::write(&grid, following).unwrap();
    let shipped = std::fs::read_to_string(root().join("config/portfolio.toml")).unwrap();
    let shipped = changed(
        shipped,
        "overrides = { levels = { first_step_pct = 1.5 } }",
        "overrides = { hard_stop_pct = 35, levels = { first_step_pct = 1.5 } }",
    );
    let p = portfolio_with_grid(dir.path(), &shipped, risk, &grid);
    let r = run(&p, &p.limits).unwrap();
    (p, r)
}

/// `(grid, start, end)` of every stretch during which `limit` held for a grid (end =
/// `i64::MAX` when it never cleared).
fn stretches(r: &PortfolioRecord, limit: LimitKind) -> Vec<(String, i64, i64, TripAction)> {
    let mut out = Vec::new();
    let events: Vec<&TripEvent> = r.trips.iter().filter(|e| e.trip.limit == limit).collect();
    for (i, e) in events.iter().enumerate().filter(|(_, e)| e.tripped) {
        let end = events[i + 1..]
            .iter()
            .find(|c| !c.tripped && c.grid == e.grid)
            .map_or(i64::MAX, |c| c.time_ms);
        out.push((e.grid.clone(), e.time_ms, end, e.trip.action));
    }
    out
}

/// No grid bought (a buy fill) strictly inside a stretch: the gate cancelled its resting
/// buys at the stretch's first close and placed none until it cleared.
fn assert_no_buys_inside(r: &PortfolioRecord, stretches: &[(String, i64, i64, TripAction)]) {
    assert!(!stretches.is_empty(), "the limit never tripped");
    for (grid, start, end, _) in stretches {
        let g = r.grids.iter().find(|g| &g.name == grid).unwrap();
        let inside = g
            .record
            .trades
            .iter()
            .filter(|t| t.side == Side::Buy && t.time_ms > *start && t.time_ms < *end)
            .count();
        assert_eq!(
            inside, 0,
            "{grid} bought {inside} times between {start} and {end}"
        );
    }
}

fn buys(r: &PortfolioRecord) -> usize {
    r.grids
        .iter()
        .flat_map(|g| &g.record.trades)
        .filter(|t| t.side == Side::Buy)
        .count()
}

#[test]
fn the_shipped_portfolio_is_valid_and_no_grid_spends_beyond_its_budget() {
    let text = std::fs::read_to_string(root().join("config/portfolio.toml")).unwrap();
    let config = PortfolioConfig::from_toml_str(&text).unwrap();
    config.validate(Some(Quote::new(dec!(10000)))).unwrap();
    let (p, r) = replay("");
    assert!(p.candles.len() >= 3, "at least three symbols");
    assert_eq!(r.limits, RiskLimits::default());
    assert!(r.trips.is_empty());
    for g in &r.grids {
        assert!(
            g.min_quote >= Quote::ZERO,
            "{} overdrew: {}",
            g.name,
            g.min_quote
        );
        assert!(g.max_invested <= g.budget, "{}", g.name);
        assert!(g.max_invested.is_positive(), "{} never traded", g.name);
        let ext = g
            .record
            .config
            .extension
            .as_ref()
            .map_or(dec!(0), |e| e.budget_pct.get());
        let needs = g.record.config.quote_budget.get() * (dec!(1) + ext / dec!(100));
        assert!(
            needs <= g.budget.get(),
            "{}: ladder + reserve {needs} > budget",
            g.name
        );
    }
    // One account: the grids' cash and positions plus the unallocated quote are its equity.
    let last = r.curve.last().unwrap();
    let sum: Quote = r
        .grids
        .iter()
        .map(|g| g.record.final_quote + g.record.final_price * g.record.final_base)
        .sum();
    assert_eq!(last.equity, sum + r.unallocated);
    assert_eq!(r.unallocated, Quote::new(dec!(1000)));
    // The budget rule keeps every buy within its grid's cash: the shared account, which
    // would pay for it, never has to refuse one.
    assert_eq!(r.grids.iter().map(|g| g.rejections).sum::<usize>(), 0);
}

#[test]
fn two_grids_on_one_symbol_share_the_account_by_prefix_and_keep_their_budgets() {
    let dir = tempfile::tempdir().unwrap();
    let data = |s: &str| format!("\"{}/data/klines/{s}-1m-2026-02.csv.gz\"", root().display());
    let grid = format!("{}/config/portfolio-grid.toml", root().display());
    let text = format!(
        "data = [{}, {}, {}]\n\
         [[grid]]\nname = \"fil\"\nsymbol = \"FILUSDT\"\nstrategy = \"{grid}\"\nbudget = 2000\n\
         [[grid]]\nname = \"fil-wide\"\nsymbol = \"FILUSDT\"\nstrategy = \"{grid}\"\n\
         budget = 1500\nclient_id_prefix = \"fw\"\n\
         overrides = {{ levels = {{ first_step_pct = 1.5 }}, hard_stop_pct = 35 }}\n\
         [[grid]]\nname = \"link\"\nsymbol = \"LINKUSDT\"\nstrategy = \"{grid}\"\nbudget = 2000\n\
         [[grid]]\nname = \"ltc\"\nsymbol = \"LTCUSDT\"\nstrategy = \"{grid}\"\nbudget = 2000\n",
        data("FILUSDT"),
        data("LINKUSDT"),
        data("LTCUSDT")
    );
    let file = dir.path().join("portfolio.toml");
    std::fs::write(&file, text).unwrap();
    let p = load(
        &file,
        &[],
        &root().join("data/exchange_info.json"),
        Quote::new(dec!(10000)),
        None,
    )
    .unwrap();
    // `run` fails on any fill no grid placed and on any balance the grids did not book.
    let r = run(&p, &RiskLimits::default()).unwrap();
    for g in &r.grids {
        assert!(
            g.min_quote >= Quote::ZERO,
            "{} overdrew: {}",
            g.name,
            g.min_quote
        );
        assert!(g.max_invested <= g.budget, "{}", g.name);
        assert!(!g.record.trades.is_empty(), "{} never traded", g.name);
        assert_eq!(g.rejections, 0, "{}", g.name);
    }
    let (fil, wide) = (&r.grids[0].record, &r.grids[1].record);
    assert_ne!(
        fil.trades.iter().map(|t| t.price).collect::<Vec<_>>(),
        wide.trades.iter().map(|t| t.price).collect::<Vec<_>>(),
        "the two FIL grids trade their own ladders"
    );
}

#[test]
fn the_drawdown_kill_switch_closes_every_grid_and_keeps_it_closed() {
    let (p, r) = replay(r#"max_drawdown = { pct = 1, action = "close" }"#);
    let s = stretches(&r, LimitKind::MaxDrawdown);
    assert_eq!(s.len(), r.grids.len(), "one trip per grid, at once: {s:?}");
    assert!(s
        .iter()
        .all(|(_, start, end, a)| *start == s[0].1 && *end == i64::MAX && *a == TripAction::Close));
    let at = s[0].1;
    for (g, spec) in r.grids.iter().zip(&p.grids) {
        let rec = &g.record;
        let closed: Vec<_> = rec
            .baskets
            .iter()
            .filter(|b| b.status == BasketStatus::EmergencyClosed)
            .collect();
        assert_eq!(closed.len(), 1, "{}", g.name);
        assert_eq!(closed[0].closed_ms, Some(at));
        assert!(
            rec.baskets.iter().all(|b| b.opened_ms <= at),
            "{} reopened",
            g.name
        );
        assert!(
            rec.trades.iter().all(|t| t.time_ms <= at),
            "{} traded after the kill switch",
            g.name
        );
        // Sold at market: what is left is below one lot step.
        let filters = &spec.spec.rules.filters;
        assert!(
            filters.round_qty_down(rec.final_base).is_zero(),
            "{}",
            g.name
        );
    }
    assert_eq!(r.curve.last().unwrap().exposure.get().round_dp(0), dec!(0));
}

#[test]
fn the_daily_loss_limit_stops_buys_until_the_next_utc_day() {
    let (_, r) = replay_following(
        r#"daily_loss = { quote = 60, window = "utc_day", action = "no_new_buys" }"#,
    );
    let s = stretches(&r, LimitKind::DailyLoss);
    assert_no_buys_inside(&r, &s);
    assert!(s.iter().all(|x| x.3 == TripAction::NoNewBuys));
    let day = 86_400_000;
    assert!(
        s.iter()
            .any(|(_, start, end, _)| *end != i64::MAX && end / day > start / day),
        "a UTC-day trip clears on a later day: {s:?}"
    );
    let (_, off) = replay_following("");
    assert!(buys(&r) < buys(&off));
}

#[test]
fn a_rolling_daily_loss_with_close_emergency_closes_and_reopens() {
    let (_, r) = replay(r#"daily_loss = { quote = 60, window = "rolling_24h", action = "close" }"#);
    let s = stretches(&r, LimitKind::DailyLoss);
    assert_no_buys_inside(&r, &s);
    let reopened = s.iter().filter(|(_, _, end, _)| *end != i64::MAX).count();
    assert!(reopened > 0, "{s:?}");
    for (grid, start, end, _) in &s {
        let g = r.grids.iter().find(|g| &g.name == grid).unwrap();
        let b = &g.record.baskets;
        if let Some(i) = b.iter().position(|b| b.closed_ms == Some(*start)) {
            assert_eq!(b[i].status, BasketStatus::EmergencyClosed, "{grid}");
            if *end != i64::MAX {
                assert_eq!(
                    b.get(i + 1).map(|n| n.opened_ms),
                    Some(*end),
                    "{grid} reopens"
                );
            }
        }
    }
}

#[test]
fn the_hard_stop_cooldown_keeps_that_symbol_from_buying() {
    // Only a grid that reopens after its hard stop can buy in the cool-down: one that follows.
    let (_, r) = replay_following("hard_stop_cooldown_minutes = 720");
    let s = stretches(&r, LimitKind::HardStopCooldown);
    assert_no_buys_inside(&r, &s);
    for (grid, start, end, _) in &s {
        let g = r.grids.iter().find(|g| &g.name == grid).unwrap();
        let stop = g
            .record
            .baskets
            .iter()
            .filter(|b| b.status == BasketStatus::Stopped && b.closed_ms <= Some(*start))
            .filter_map(|b| b.closed_ms)
            .max()
            .unwrap();
        assert!(
            *end - stop >= 720 * 60_000 && *end - stop < 721 * 60_000,
            "{grid}"
        );
    }
    // Without the cool-down the same grids buy inside those stretches.
    let (_, off) = replay_following("");
    let bought = s.iter().any(|(grid, start, end, _)| {
        off.grids
            .iter()
            .find(|g| &g.name == grid)
            .unwrap()
            .record
            .trades
            .iter()
            .any(|t| t.side == Side::Buy && t.time_ms > *start && t.time_ms < *end)
    });
    assert!(bought, "the cool-down made no difference: {s:?}");
}

#[test]
fn the_position_value_cap_stops_buys_on_that_symbol() {
    let (_, r) = replay(r#"max_position_value = { quote = 150, action = "no_new_buys" }"#);
    let s = stretches(&r, LimitKind::MaxPositionValue);
    assert_no_buys_inside(&r, &s);
    let (_, off) = replay("");
    assert!(buys(&r) < buys(&off));
}

#[test]
fn the_exposure_cap_stops_every_grid_at_once() {
    let (_, r) = replay(r#"max_exposure = { pct = 5, action = "no_new_buys" }"#);
    let s = stretches(&r, LimitKind::MaxExposure);
    assert_no_buys_inside(&r, &s);
    // Account-wide: every grid trips at the first trip's close.
    let first = s.iter().map(|x| x.1).min().unwrap();
    assert_eq!(s.iter().filter(|x| x.1 == first).count(), r.grids.len());
    let (_, off) = replay("");
    let max = |r: &PortfolioRecord| {
        r.curve
            .iter()
            .map(|p| p.exposure.get() / p.equity.get())
            .max()
            .unwrap()
    };
    assert!(max(&r) < max(&off));
}

#[test]
fn the_open_order_cap_stops_new_buys_across_the_account() {
    let (_, r) = replay(r#"max_open_orders = { count = 12, action = "no_new_buys" }"#);
    let s = stretches(&r, LimitKind::MaxOpenOrders);
    assert_no_buys_inside(&r, &s);
}

#[test]
fn the_html_report_shows_both_replays_side_by_side_without_scripts() {
    use binance_trader::apps::backtest::portfolio::{html, report::PortfolioReport};
    let (p, with) = replay("max_drawdown = { pct = 1, action = \"close\" }");
    let without = run(&p, &RiskLimits::default()).unwrap();
    let report = PortfolioReport::new(&with, &without).unwrap();
    let page = html::render(&report, &with, &without, None).unwrap();
    for part in [
        "id=\"summary-table\"",
        "with limits",
        "without limits",
        "max drawdown %",
        "buy-and-hold P&amp;L",
        "id=\"grids-table\"",
        "MaxDrawdown",
        "tripped",
    ] {
        assert!(page.contains(part), "no {part} in the page");
    }
    for g in &p.grids {
        assert!(page.contains(&format!("<td>{}</td>", g.name)), "{}", g.name);
    }
    // Three curves on the equity chart, two on the exposure chart; no cap, no cap section.
    assert_eq!(page.matches("<polyline").count(), 5);
    assert!(!page.contains("id=\"group-cap\""));
    assert!(!page.contains("<script"));
}

#[test]
fn the_correlated_group_cap_holds_the_groups_buys_and_lowers_the_peak_exposure() {
    let cap = r#"correlated_exposure = { threshold = 0.8, max_pct = 10 }"#;
    let (p, r) = replay_following(cap);
    assert_eq!(
        p.limits.correlated_exposure.map(|c| c.action),
        Some(TripAction::NoNewBuys)
    );
    let s = stretches(&r, LimitKind::CorrelatedExposure);
    assert_no_buys_inside(&r, &s);
    let (_, off) = replay_following("");
    assert!(buys(&r) < buys(&off));
    let max = |r: &PortfolioRecord| {
        r.curve
            .iter()
            .map(|p| p.exposure.get() / p.equity.get())
            .max()
            .unwrap()
    };
    assert!(max(&r) < max(&off), "{} vs {}", max(&r), max(&off));
    // The February coins move together: at the end every pair is measured, none warming.
    let m = &r.correlation;
    assert_eq!(m.symbols.len(), 5);
    assert!(m
        .pairs
        .iter()
        .all(|x| x.returns == 168 && x.correlation.is_some()));
}

#[test]
fn the_report_shows_the_group_caps_effect_against_the_same_limits_without_it() {
    use binance_trader::apps::backtest::portfolio::{html, report::PortfolioReport};
    let (p, with) = replay_following(r#"correlated_exposure = { threshold = 0.8, max_pct = 10 }"#);
    let without = run(&p, &RiskLimits::default()).unwrap();
    let no_cap = run(
        &p,
        &RiskLimits {
            correlated_exposure: None,
            ..p.limits.clone()
        },
    )
    .unwrap();
    let report = PortfolioReport::new(&with, &without)
        .unwrap()
        .with_group_cap_effect(&no_cap)
        .unwrap();
    let text = report.terminal();
    assert!(
        text.contains("correlated-group cap (correlation ≥ 0.8"),
        "{text}"
    );
    assert!(text.contains("correlation of 60-minute returns"), "{text}");
    let n = report.without_group_cap.as_ref().unwrap();
    assert!(n.trips.is_empty());
    assert_ne!(n.max_drawdown, report.with_limits.max_drawdown);

    // The HTML page: the cap's table and both equity curves (3 + 2 + 2 polylines).
    let page = html::render(&report, &with, &without, Some(&no_cap)).unwrap();
    let section = &page[page.find("id=\"group-cap\"").expect("the cap's section")..];
    let section = &section[..section.find("</section>").unwrap()];
    let dd = |s: &binance_trader::apps::backtest::portfolio::report::PortfolioSummary| {
        let mut r = s
            .max_drawdown_pct
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        r.rescale(2);
        r.to_string()
    };
    for part in [
        "id=\"group-cap-table\"".to_string(),
        "with the cap".into(),
        "without the cap".into(),
        "max drawdown %".into(),
        "ROI %".into(),
        "group cap trips".into(),
        format!("<td class=\"num\">{}</td>", dd(&report.with_limits)),
        format!("<td class=\"num\">{}</td>", dd(n)),
    ] {
        assert!(section.contains(&part), "no {part} in the cap's section");
    }
    assert_eq!(section.matches("<polyline").count(), 2);
    assert_eq!(page.matches("<polyline").count(), 7);
    // The JSON: the same comparison, row by row.
    let json = serde_json::to_value(&report).unwrap();
    let rows = json["group_cap_effect"].as_array().unwrap();
    let row = |m: &str| rows.iter().find(|r| r["metric"] == m).unwrap().clone();
    assert_eq!(
        row("max drawdown %")["without_cap"],
        serde_json::to_value(n.max_drawdown_pct).unwrap()
    );
    assert!(row("group cap trips")["with_cap"] != serde_json::json!("0"));
}
