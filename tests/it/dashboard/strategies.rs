//! The pages of a running bot for every strategy kind: `/`, a portfolio's grid page and the
//! basket page answer 200, name the strategy and list its resting orders, and `/api/chart`
//! draws them (mean reversion and trend have no levels: their orders are what they plan).
//! With `[volatility]` on a grid, the pages show the factor frozen in the basket and the
//! chart the levels planned at it, not the file's.

use super::fixtures::{self, client_id, order, start_with_basket, strategy_file, Http};
use binance_trader::apps::dashboard::GridInfo;
use binance_trader::core::indicators::VolMeasure;
use binance_trader::core::money::Pct;
use binance_trader::core::order::{OrderStatus, Slot};
use binance_trader::core::strategy::config::volatility::VolatilityConfig;
use binance_trader::core::strategy::config::StrategyConfig;
use rust_decimal_macros::dec;

/// One grid, `fil`, on the fixtures' pair: its page is `/grids/fil`.
fn one_grid() -> Vec<GridInfo> {
    vec![GridInfo {
        name: "fil".into(),
        prefix: Default::default(),
        pair: fixtures::pair(),
    }]
}

/// The page at `path` (200), with the strategy named as `kind` in words `name`, no
/// "unknown" anywhere, and the open `B1` listed.
async fn page(http: &mut Http, path: &str, kind: &str, name: &str) -> String {
    let answer = http.get(path).await;
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    let body = answer.body;
    let tag = format!("data-strategy=\"{kind}\">{name}");
    assert!(body.contains(&tag), "{path}: no {tag}");
    assert!(!body.to_lowercase().contains("unknown"), "{path}: {body}");
    assert!(body.contains("B1"), "{path}: the entry B1 is not listed");
    body
}

#[tokio::test]
async fn every_page_renders_and_names_the_strategy_of_a_running_basket() {
    for (file, kind, name) in [
        (
            Some("mean-reversion.toml"),
            "mean_reversion",
            "mean reversion",
        ),
        (Some("trend.toml"), "trend", "trend following"),
        (Some("range.toml"), "range", "range grid"),
        (None, "basket", "basket grid"),
    ] {
        let entry = order(1, 31, Slot::Buy(1), "4.2", "100", OrderStatus::New, "0");
        let running = start_with_basket(file.map(strategy_file), &[entry], one_grid()).await;
        let mut http = Http::new(&running);
        let index = page(&mut http, "/", kind, name).await;
        let id = client_id(1, Slot::Buy(1)).to_string();
        assert!(
            index.contains(&format!("data-client-id=\"{id}\"")),
            "{kind}"
        );
        page(&mut http, "/grids/fil", kind, name).await;
        page(&mut http, "/baskets/1", kind, name).await;
        // No volatility table: no factor shown.
        assert!(!index.contains("vol. factor"), "{kind}");
        let chart = http.get("/api/chart").await;
        assert_eq!(chart.status, 200, "{kind}");
        let b1 = chart.json()["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["label"] == "B1")
            .cloned();
        if kind == "mean_reversion" || kind == "trend" {
            let b1 = b1.unwrap_or_else(|| panic!("{kind}: no B1 on the chart"));
            assert_eq!(
                (&b1["price"], &b1["state"]),
                (&"4.200".into(), &"resting".into())
            );
        }
        running.stop().await;
    }
}

/// `config/range.toml` (4.0..6.5, 21 levels 0.125 apart) with factor 2 frozen in its
/// basket: 10 steps of 0.25 — what the plan trades.
fn range_frozen_at_2() -> StrategyConfig {
    let mut config = strategy_file("range.toml");
    config.volatility = Some(VolatilityConfig {
        measure: VolMeasure::Atr,
        window: 60,
        reference_pct: Pct::new(dec!(0.2)),
        min_factor: dec!(0.5),
        max_factor: dec!(2),
        factor: Some(dec!(2)),
    });
    config
}

#[tokio::test]
async fn a_grid_with_volatility_shows_its_frozen_factor_and_the_levels_planned_at_it() {
    let running = start_with_basket(Some(range_frozen_at_2()), &[], one_grid()).await;
    let mut http = Http::new(&running);
    let index = http.get("/").await.body;
    assert!(
        index.contains("range grid · vol. factor 2</span>"),
        "{index}"
    );
    let basket = http.get("/baskets/1").await.body;
    assert!(
        basket.contains("data-field=\"vol-factor\">2</div>"),
        "{basket}"
    );
    // At 4.50 the chart's lines sit on the thinned levels 4.00, 4.25 … 6.50 only.
    let chart = http.get("/api/chart").await.json();
    let prices: Vec<String> = chart["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] != "stop")
        .map(|l| l["price"].as_str().unwrap().to_string())
        .collect();
    let thinned: Vec<String> = (0..=10)
        .map(|k| {
            format!(
                "{:.3}",
                dec!(4.0) + dec!(0.25) * rust_decimal::Decimal::from(k)
            )
        })
        .collect();
    assert!(prices.iter().all(|p| thinned.contains(p)), "{prices:?}");
    // Lower, Upper, then one line per level below the top (B1 4.00, B2 4.25, L3 … L10).
    assert_eq!(prices.len(), 12, "{prices:?}");
    assert!(!prices.contains(&"4.125".to_string()), "{prices:?}");
    running.stop().await;
}
