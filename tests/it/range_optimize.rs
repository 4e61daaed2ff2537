//! `--sweep` and `optimize` over the range grid's keys on `config/range.toml`: every key of
//! the `[range]` table reaches the configuration and changes the backtest, and `optimize`'s
//! default grid for a range file is made of range keys (a basket key is unknown there).

use binance_trader::adapters::klines::files::one_symbol;
use binance_trader::adapters::klines::{load_candles, Candle};
use binance_trader::apps::backtest::command::{load_rules, parse_config};
use binance_trader::apps::backtest::optimize::space::{combinations, Objective, Search};
use binance_trader::apps::backtest::optimize::walk::{walk_forward, Phase};
use binance_trader::apps::backtest::optimize::windows::{windows, WindowMode};
use binance_trader::apps::backtest::optimize::{default_params, DEFAULT_PARAMS};
use binance_trader::apps::backtest::sweep::{
    evaluate_one, expand_sweep, parse_axes, points_from, SweepPoint,
};
use binance_trader::core::filters::SymbolRules;
use binance_trader::core::money::{Price, Quote};
use binance_trader::core::strategy::config::range::{RangeConfig, Spacing};
use binance_trader::core::strategy::kind::StrategyKind;
use rust_decimal_macros::dec;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn range_text() -> String {
    std::fs::read_to_string(root().join("config/range.toml")).unwrap()
}

fn rules() -> SymbolRules {
    let config = parse_config(&range_text()).unwrap();
    load_rules(&root().join("data/exchange_info.json"), &config).unwrap()
}

/// FILUSDT June 2023: 5.3 down to 2.54, through every level and the stop loss.
fn june() -> Vec<Candle> {
    let cache = tempfile::tempdir().unwrap();
    let file = root().join("data/klines/FILUSDT-1m-2023-06.csv.gz");
    load_candles(&one_symbol(&[file], None).unwrap(), Some(cache.path())).unwrap()
}

fn range_of(p: &SweepPoint) -> &RangeConfig {
    match &p.config.kind {
        StrategyKind::Range(r) => r,
        other => panic!("a range file swept into {}", other.name()),
    }
}

fn price(v: rust_decimal::Decimal) -> Price {
    Price::new(v)
}

/// For each `[range]` key, two values: both points carry the value in their configuration,
/// and their backtests on June 2023 differ. A key the sweep dropped or parsed into the wrong
/// field would give two identical runs (or the shipped value) and fail here.
#[test]
fn every_range_key_is_applied_by_the_sweep() {
    type Check = fn(&RangeConfig) -> bool;
    let cases: [(&str, Check, Check); 6] = [
        (
            "range.lower=3.8,4",
            |r| r.lower == price(dec!(3.8)),
            |r| r.lower == price(dec!(4)),
        ),
        (
            "range.upper=6,6.5",
            |r| r.upper == price(dec!(6)),
            |r| r.upper == price(dec!(6.5)),
        ),
        ("range.levels=11,21", |r| r.levels == 11, |r| r.levels == 21),
        (
            "range.spacing=geometric,arithmetic",
            |r| r.spacing == Spacing::Geometric,
            |r| r.spacing == Spacing::Arithmetic,
        ),
        ("range.reinvest=false,true", |r| !r.reinvest, |r| r.reinvest),
        (
            "range.stop_loss=3,3.5",
            |r| r.stop_loss == Some(price(dec!(3))),
            |r| r.stop_loss == Some(price(dec!(3.5))),
        ),
    ];
    let (text, rules, candles) = (range_text(), rules(), june());
    let quote = Quote::new(dec!(10000));
    for (flag, first, second) in cases {
        let e = expand_sweep(&text, &[flag.to_string()]).unwrap();
        assert!(e.skipped.is_empty(), "{flag}: {:?}", e.skipped);
        assert_eq!(e.points.len(), 2, "{flag}");
        assert!(first(range_of(&e.points[0])), "{flag}: first value not set");
        assert!(
            second(range_of(&e.points[1])),
            "{flag}: second value not set"
        );
        let runs: Vec<_> = e
            .points
            .iter()
            .map(|p| evaluate_one(p, &rules, quote, &candles).unwrap())
            .collect();
        assert_ne!(
            (runs[0].total_pnl, runs[0].buys, runs[0].sells),
            (runs[1].total_pnl, runs[1].buys, runs[1].sells),
            "{flag}: both values gave the same backtest"
        );
    }
    // A misspelt range key is an unknown key: skipped with the reason, never ignored.
    let typo = expand_sweep(&text, &["range.lowr=3.8".to_string()]).unwrap();
    assert!(typo.points.is_empty());
    assert!(typo.skipped[0].reasons[0].contains("lowr"), "{typo:?}");
}

/// `optimize` without `--param` on a range file searches range keys (every point valid), and
/// the walk-forward runs them: each window chooses a range point that traded out of sample.
#[test]
fn optimize_defaults_to_the_range_keys_for_a_range_file() {
    let text = range_text();
    let config = parse_config(&text).unwrap();
    let params = default_params(&config).unwrap();
    assert!(params.iter().all(|p| p.starts_with("range.")), "{params:?}");
    let basket =
        parse_config(&std::fs::read_to_string(root().join("config/backtest.toml")).unwrap())
            .unwrap();
    assert_eq!(
        default_params(&basket).unwrap(),
        DEFAULT_PARAMS[0].1,
        "the basket grid keeps its default grid"
    );

    let axes = parse_axes(&params).unwrap();
    let expanded = points_from(&text, combinations(&axes, Search::Grid, 0, 0)).unwrap();
    assert_eq!(expanded.points.len(), 12);
    assert!(expanded.skipped.is_empty(), "{:?}", expanded.skipped);

    let (rules, candles) = (rules(), june());
    let quote = Quote::new(dec!(10000));
    let end = candles.last().unwrap().close_time_ms + 1;
    let wins = windows(candles[0].open_time_ms, end, 10, 5, WindowMode::Rolling);
    let evaluate =
        |_: Phase, _: usize, c: &[Candle], p: &SweepPoint| evaluate_one(p, &rules, quote, c);
    let results = walk_forward(
        &candles,
        &wins,
        &expanded.points,
        Objective::PnlVsHold,
        &evaluate,
        &|| {},
    );
    assert_eq!(results.len(), 4);
    for (k, w) in results.iter().enumerate() {
        assert_eq!(w.evaluated, 12, "window {k}: {w:?}");
        let chosen = w.chosen.as_ref().expect("a point ran");
        assert!(chosen.assignments.iter().all(|a| a.starts_with("range.")));
        assert!(chosen.out_of_sample.is_ok(), "window {k}: {chosen:?}");
    }
}
