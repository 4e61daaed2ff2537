//! Mean reversion and trend following (`.spec/strategies.md` §7–8) in the backtester on real
//! candles: they trade through the seam with only their own slots, deterministically, with
//! the P&L reconciled by the runner; and no decision reads a candle that had not closed.

use binance_trader::adapters::klines::files::one_symbol;
use binance_trader::adapters::klines::{load_candles, Candle};
use binance_trader::apps::backtest::command::{load_rules, parse_config};
use binance_trader::apps::backtest::metrics::Summary;
use binance_trader::apps::backtest::record::BacktestRecord;
use binance_trader::apps::backtest::run::{run, BacktestSpec};
use binance_trader::core::money::{Price, Quote};
use binance_trader::core::order::Slot;
use rust_decimal_macros::dec;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn spec(file: &str) -> BacktestSpec {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let config = parse_config(&text).unwrap();
    let rules = load_rules(&root().join("data/exchange_info.json"), &config).unwrap();
    BacktestSpec {
        config,
        rules,
        initial_quote: Quote::new(dec!(10000)),
    }
}

/// FILUSDT, May 2023 (1-minute candles).
fn may() -> Vec<Candle> {
    let cache = tempfile::tempdir().unwrap();
    let file = root().join("data/klines/FILUSDT-1m-2023-05.csv.gz");
    load_candles(&one_symbol(&[file], None).unwrap(), Some(cache.path())).unwrap()
}

fn trades_and_slots(spec: &BacktestSpec, candles: &[Candle], slots: &[Slot]) -> BacktestRecord {
    let first = run(spec, candles, &|_| {}).unwrap();
    let again = run(spec, candles, &|_| {}).unwrap();
    assert_eq!(first.trades, again.trades, "deterministic");
    let s = Summary::compute(&first).unwrap();
    assert!(s.buys >= 1 && s.sells >= 1, "it must trade: {s:?}");
    for t in &first.trades {
        assert!(slots.contains(&t.slot), "unexpected slot {t:?}");
    }
    first
}

#[test]
fn mean_reversion_buys_its_band_and_sells_at_the_mean_or_its_stop() {
    let spec = spec("config/mean-reversion.toml");
    let record = trades_and_slots(&spec, &may(), &[Slot::Buy(1), Slot::Sell(2), Slot::Exit]);
    assert_eq!(
        record.baskets.len(),
        1,
        "one basket trades round after round"
    );
}

#[test]
fn trend_buys_breakouts_and_sells_on_its_trailing_stop() {
    let spec = spec("config/trend.toml");
    trades_and_slots(&spec, &may(), &[Slot::Buy(1), Slot::Exit]);
}

/// Every candle from `k` on is replaced (prices × 0.7 for even ones, × 1.3 for odd ones):
/// the trades and equity before candle `k` must not change.
fn assert_no_look_ahead(file: &str) {
    let spec = spec(file);
    let candles = may();
    let k = candles.len() / 2;
    let mut mutated = candles.clone();
    for (i, c) in mutated.iter_mut().enumerate().skip(k) {
        let f = if i % 2 == 0 { dec!(0.7) } else { dec!(1.3) };
        let p = |x: Price| spec.rules.filters.round_price_down(x.scale(f));
        (c.open, c.high, c.low, c.close) = (p(c.open), p(c.high), p(c.low), p(c.close));
    }
    let cut = candles[k].open_time_ms;
    let a = run(&spec, &candles, &|_| {}).unwrap();
    let b = run(&spec, &mutated, &|_| {}).unwrap();
    let before = |r: &BacktestRecord| {
        let trades: Vec<_> = r
            .trades
            .iter()
            .filter(|t| t.time_ms < cut)
            .cloned()
            .collect();
        let equity: Vec<_> = r
            .equity
            .iter()
            .filter(|e| e.time_ms < cut)
            .cloned()
            .collect();
        (trades, equity)
    };
    let (ta, ea) = before(&a);
    assert!(
        !ta.is_empty(),
        "{file}: trades before the cut make the test meaningful"
    );
    assert_eq!(
        (ta, ea),
        before(&b),
        "{file}: a decision read a later candle"
    );
    assert_ne!(
        a.trades, b.trades,
        "{file}: the mutation must change what follows"
    );
}

#[test]
fn no_decision_of_either_strategy_reads_a_later_candle() {
    assert_no_look_ahead("config/mean-reversion.toml");
    assert_no_look_ahead("config/trend.toml");
}
