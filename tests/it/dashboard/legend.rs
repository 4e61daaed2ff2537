//! The chart legend follows the strategy the chart draws: a range grid's page lists its
//! bounds, levels and stop loss, not the basket grid's TP1/TP2 and trailing; mean reversion
//! and trend say they have no levels. Fails with the one static basket legend.

use super::fixtures::{self, Http};
use binance_trader::apps::dashboard::GridInfo;

const BASKET: &str = "TP1, TP2, trailing";
const RANGE: &str = "range bounds, grid levels";
const SIGNAL: &str = "no grid levels";

/// A dashboard whose FILUSDT basket runs `strategy` (a file under `config/`, `None`: the
/// fixtures' basket grid); the chart legend's paragraph on `path`.
async fn legend(strategy: Option<&str>, path: &str, grids: Vec<GridInfo>) -> String {
    let running =
        fixtures::start_with_basket(strategy.map(fixtures::strategy_file), &[], grids).await;
    let body = Http::new(&running).get(path).await.body;
    running.stop().await;
    let at = body.find("id=\"chart-error\"").expect("the chart");
    let rest = &body[at..];
    let p = &rest[rest.find("<p class=\"muted text-xs").expect("the legend")..];
    p[..p.find("</p>").unwrap()].to_string()
}

#[tokio::test]
async fn the_chart_legend_lists_the_lines_of_the_strategy_on_the_chart() {
    let basket = legend(None, "/", Vec::new()).await;
    assert!(basket.contains(BASKET), "{basket}");
    let range = legend(Some("range.toml"), "/", Vec::new()).await;
    assert!(range.contains(RANGE) && !range.contains(BASKET), "{range}");
    for file in ["mean-reversion.toml", "trend.toml"] {
        let signal = legend(Some(file), "/", Vec::new()).await;
        assert!(
            signal.contains(SIGNAL) && !signal.contains(BASKET),
            "{file}: {signal}"
        );
    }
}

#[tokio::test]
async fn a_range_grids_page_has_the_range_legend() {
    let grids = vec![
        GridInfo {
            name: "fil".into(),
            prefix: Default::default(),
            pair: fixtures::pair(),
        },
        GridInfo {
            name: "other".into(),
            prefix: binance_trader::core::client_id::IdPrefix::parse("gb").unwrap(),
            pair: fixtures::pair(),
        },
    ];
    let range = legend(Some("range.toml"), "/grids/fil", grids).await;
    assert!(range.contains(RANGE) && !range.contains(BASKET), "{range}");
}
