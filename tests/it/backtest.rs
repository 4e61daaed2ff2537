//! The backtester end to end on the bundled real candles: deterministic and reconciled.

use binance_trader::adapters::klines::files::one_symbol;
use binance_trader::adapters::klines::load_candles;
use binance_trader::apps::backtest::command::{load_rules, parse_config};
use binance_trader::apps::backtest::metrics::Summary;
use binance_trader::apps::backtest::report::Report;
use binance_trader::apps::backtest::run::{run, BacktestSpec};
use binance_trader::apps::backtest::sweep::expand_sweep;
use binance_trader::core::money::Quote;
use rust_decimal_macros::dec;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn spec() -> BacktestSpec {
    let text = std::fs::read_to_string(root().join("config/backtest.toml")).unwrap();
    let config = parse_config(&text).unwrap();
    let rules = load_rules(&root().join("data/exchange_info.json"), &config).unwrap();
    BacktestSpec {
        config,
        rules,
        initial_quote: Quote::new(dec!(10000)),
    }
}

fn crash_month() -> Vec<binance_trader::adapters::klines::Candle> {
    let cache = tempfile::tempdir().unwrap();
    let file = root().join("data/klines/FILUSDT-1m-2023-06.csv.gz");
    load_candles(&one_symbol(&[file], None).unwrap(), Some(cache.path())).unwrap()
}

#[test]
fn backtest_on_real_candles_is_deterministic_and_its_pnl_reconciles() {
    let candles = crash_month();
    let spec = spec();
    let first = run(&spec, &candles, &|_| {}).unwrap();
    let second = run(&spec, &candles, &|_| {}).unwrap();
    let (a, b) = (
        Report::new(&first).unwrap().json(),
        Report::new(&second).unwrap().json(),
    );
    assert_eq!(a, b, "same input must give byte-identical JSON");

    // Summary::compute refuses a record whose P&L identity does not hold to the last unit.
    let s = Summary::compute(&first).unwrap();
    let equity = first.final_quote + first.final_base * first.final_price;
    assert_eq!(
        equity,
        first.initial_quote + s.realized_pnl + s.unrealized_pnl - s.fees,
        "final equity = initial + realised + unrealised − fees"
    );
    assert_eq!(first.candles, candles.len() as u64);
    assert!(
        s.buys > 0 && s.sells > 0,
        "a month of FIL must trade: {s:?}"
    );
    assert!(
        s.baskets.opened >= 2,
        "baskets must close and restart: {:?}",
        s.baskets
    );
    assert!(s.fees.is_positive());
}

#[test]
fn sweep_expands_every_combination_with_exact_values() {
    let text = std::fs::read_to_string(root().join("config/backtest.toml")).unwrap();
    let points = expand_sweep(
        &text,
        &[
            "tp1_pct=1,1.5".to_string(),
            "levels.first_step_pct=0.8,1".to_string(),
        ],
    )
    .unwrap()
    .points;
    let labels: Vec<String> = points.iter().map(|p| p.assignments.join(" ")).collect();
    assert_eq!(
        labels,
        [
            "tp1_pct=1 levels.first_step_pct=0.8",
            "tp1_pct=1 levels.first_step_pct=1",
            "tp1_pct=1.5 levels.first_step_pct=0.8",
            "tp1_pct=1.5 levels.first_step_pct=1",
        ]
    );
    assert_eq!(points[3].config.tp1_pct.get(), dec!(1.5));
    assert!(expand_sweep(&text, &["tp1_pct".to_string()]).is_err());
    assert!(expand_sweep(&text, &["tp1_pct=".to_string()]).is_err());
}

#[test]
fn invalid_sweep_points_are_skipped_with_their_reasons_not_fatal() {
    let text = std::fs::read_to_string(root().join("config/backtest.toml")).unwrap();
    // tp1_pct 4 is above tp2_pct 3; hard_stop 10 is above the deepest level (22.324 %);
    // an unknown key is refused by the strict parser. Only tp1_pct=1 with hard stop 25 runs.
    let e = expand_sweep(
        &text,
        &["tp1_pct=1,4".to_string(), "hard_stop_pct=25,10".to_string()],
    )
    .unwrap();
    let ok: Vec<String> = e.points.iter().map(|p| p.assignments.join(" ")).collect();
    assert_eq!(ok, ["tp1_pct=1 hard_stop_pct=25"]);
    assert_eq!(e.skipped.len(), 3);
    assert!(e.skipped.iter().all(|s| !s.reasons.is_empty()));
    let unknown = expand_sweep(&text, &["no_such_key=1".to_string()]).unwrap();
    assert!(unknown.points.is_empty());
    assert_eq!(unknown.skipped.len(), 1);

    // Market-level problems (a level below the minimum notional) are skipped when run.
    let spec = spec();
    let tiny = expand_sweep(&text, &["quote_budget=1000,20".to_string()]).unwrap();
    let candles = crash_month();
    let (scored, skipped) = binance_trader::apps::backtest::sweep::evaluate(
        tiny.points,
        &spec.rules,
        spec.initial_quote,
        &candles[..2000],
        &|| {},
    );
    assert_eq!(scored.len(), 1);
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].assignments, ["quote_budget=20"]);
    let s = &scored[0].summary;
    assert!(s.buy_and_hold.qty.is_positive());
    assert_eq!(s.buy_and_hold.budget, Quote::new(dec!(1000)));
}

#[test]
fn walk_forward_never_shows_a_window_s_test_candles_to_its_training() {
    use binance_trader::apps::backtest::optimize::space::Objective;
    use binance_trader::apps::backtest::optimize::walk::{walk_forward, Phase};
    use binance_trader::apps::backtest::optimize::windows::{windows, WindowMode};
    use binance_trader::apps::backtest::sweep::{evaluate_one, SweepPoint};
    use std::sync::Mutex;

    let candles = crash_month();
    let text = std::fs::read_to_string(root().join("config/backtest.toml")).unwrap();
    let points = expand_sweep(&text, &["tp1_pct=1,1.5".to_string()])
        .unwrap()
        .points;
    let spec = spec();
    let end = candles.last().unwrap().close_time_ms + 1;
    for mode in [WindowMode::Rolling, WindowMode::Anchored] {
        let wins = windows(candles[0].open_time_ms, end, 10, 5, mode);
        assert_eq!(wins.len(), 4, "30 days, 10 train + 5 test, step 5");
        let seen = Mutex::new(Vec::new());
        let evaluate = |phase: Phase,
                        k: usize,
                        c: &[binance_trader::adapters::klines::Candle],
                        p: &SweepPoint| {
            let span = (c[0].open_time_ms, c[c.len() - 1].close_time_ms);
            seen.lock().unwrap().push((phase, k, span));
            evaluate_one(p, &spec.rules, spec.initial_quote, c)
        };
        let results = walk_forward(
            &candles,
            &wins,
            &points,
            Objective::PnlOverDrawdown,
            &evaluate,
            &|| {},
        );
        let seen = seen.into_inner().unwrap();
        for (k, w) in wins.iter().enumerate() {
            let train: Vec<_> = seen
                .iter()
                .filter(|(p, i, _)| *p == Phase::Train && *i == k)
                .collect();
            let test: Vec<_> = seen
                .iter()
                .filter(|(p, i, _)| *p == Phase::Test && *i == k)
                .collect();
            assert_eq!((train.len(), test.len()), (2, 1), "window {k}");
            let last_trained = train.iter().map(|(_, _, s)| s.1).max().unwrap();
            let (test_from, test_to) = test[0].2;
            assert!(
                last_trained < test_from,
                "window {k} trained on test candles"
            );
            assert!(last_trained < w.train_end_ms && test_from >= w.train_end_ms);
            assert!(test_to < w.test_end_ms);
            assert!(train.iter().all(|(_, _, s)| s.0 >= w.train_start_ms));
            let chosen = results[k].chosen.as_ref().expect("a point ran");
            assert!(chosen.out_of_sample.is_ok());
        }
        if mode == WindowMode::Anchored {
            assert!(wins
                .iter()
                .all(|w| w.train_start_ms == candles[0].open_time_ms));
        }
    }
}

/// A steady rally: 3000 one-minute candles rising 0.05 % each from 4.000, each dipping `dip`
/// below its open before closing higher.
fn rising(dip: rust_decimal::Decimal) -> Vec<binance_trader::adapters::klines::Candle> {
    use binance_trader::adapters::klines::Candle;
    use binance_trader::core::money::{Price, Qty};
    let mut price = dec!(4.000);
    (0..3000i64)
        .map(|i| {
            let open = price;
            price = (price * dec!(1.0005)).round_dp(3);
            let t = 1_700_000_000_000 + i * 60_000;
            Candle {
                open_time_ms: t,
                open: Price::new(open),
                high: Price::new(price),
                low: Price::new((open * (dec!(1) - dip)).round_dp(3)),
                close: Price::new(price),
                volume: Qty::new(dec!(1000)),
                close_time_ms: t + 59_999,
            }
        })
        .collect()
}

fn trailing_spec(max_up: Option<rust_decimal::Decimal>) -> BacktestSpec {
    let mut spec = spec();
    spec.config.trail_up_max_pct = max_up.map(binance_trader::core::money::Pct::new);
    spec
}

#[test]
fn trailing_up_keeps_a_grid_in_a_rally_that_a_plain_reanchor_misses() {
    let candles = rising(dec!(0.002));
    let off = Summary::compute(&run(&trailing_spec(None), &candles, &|_| {}).unwrap()).unwrap();
    let on = run(&trailing_spec(Some(dec!(1000))), &candles, &|_| {}).unwrap();
    let on_summary = Summary::compute(&on).unwrap();
    // Reanchored at the price, the first level sits 1 % below it and a 0.2 % dip never
    // reaches it; trailed, the first level is at the price and the dips fill it.
    assert_eq!(off.buys, 0, "{off:?}");
    assert!(
        on_summary.buys > 0 && on_summary.sells > 0,
        "{on_summary:?}"
    );
    assert!(on_summary.total_pnl > off.total_pnl, "{on_summary:?}");
}

#[test]
fn trailing_up_stops_at_its_limit_above_the_root() {
    // No dips: nothing fills, so every basket belongs to the first basket's chain.
    let candles = rising(dec!(0));
    let limited = run(&trailing_spec(Some(dec!(5))), &candles, &|_| {}).unwrap();
    let root = limited.baskets[0].anchor.get();
    let ceiling = (root * dec!(1.05)).round_dp(3);
    assert!(limited.baskets.len() > 2, "{:?}", limited.baskets);
    assert!(limited.baskets.iter().all(|b| b.anchor.get() <= ceiling));
    assert_eq!(limited.baskets.last().unwrap().anchor.get(), ceiling);
    assert!(
        limited.final_price.get() > root * dec!(2),
        "the rally doubles"
    );
    let free = run(&trailing_spec(Some(dec!(1000))), &candles, &|_| {}).unwrap();
    assert!(free.baskets.last().unwrap().anchor.get() > root * dec!(2));
}

fn range_spec() -> BacktestSpec {
    let text = std::fs::read_to_string(root().join("config/range.toml")).unwrap();
    let config = parse_config(&text).unwrap();
    assert_eq!(config.kind.name(), "range");
    let rules = load_rules(&root().join("data/exchange_info.json"), &config).unwrap();
    BacktestSpec {
        config,
        rules,
        initial_quote: Quote::new(dec!(10000)),
    }
}

fn fil_months(months: &[&str]) -> Vec<binance_trader::adapters::klines::Candle> {
    let cache = tempfile::tempdir().unwrap();
    let files: Vec<_> = months
        .iter()
        .map(|m| root().join(format!("data/klines/FILUSDT-1m-2023-{m}.csv.gz")))
        .collect();
    load_candles(&one_symbol(&files, None).unwrap(), Some(cache.path())).unwrap()
}

/// `config/range.toml` on April and May 2023 (FIL 4.19..6.45, inside its 4.0..6.5 range):
/// the grid buys and sells level by level, each sell one level above a buy, deterministic and
/// reconciled to the last unit; the June crash through its stop loss at 3.5 sells everything.
#[test]
fn a_range_grid_trades_level_by_level_on_real_candles_and_stops_below_its_floor() {
    use binance_trader::core::basket::BasketStatus;
    use binance_trader::core::order::{Side, Slot};
    use binance_trader::core::strategy::range::level_prices;
    let spec = range_spec();
    let candles = fil_months(&["04", "05"]);
    let first = run(&spec, &candles, &|_| {}).unwrap();
    let second = run(&spec, &candles, &|_| {}).unwrap();
    assert_eq!(
        Report::new(&first).unwrap().json(),
        Report::new(&second).unwrap().json()
    );
    let s = Summary::compute(&first).unwrap();
    assert!(
        s.buys >= 10 && s.sells >= 10,
        "a range grid must cycle: {s:?}"
    );
    let binance_trader::core::strategy::kind::StrategyKind::Range(range) = &spec.config.kind else {
        unreachable!()
    };
    let levels = level_prices(range, &spec.rules.filters);
    for t in &first.trades {
        let k = match (t.slot, t.side) {
            (Slot::Buy(k), Side::Buy) => k,
            (Slot::Sell(k), Side::Sell) => k,
            other => panic!("a range grid without its stop only buys Bk and sells Sk: {other:?}"),
        };
        // Limit orders fill at their level or better (a sell placed below the market).
        let level = levels[usize::from(k) - 1];
        match t.side {
            Side::Buy => assert!(t.price <= level, "{t:?}"),
            Side::Sell => assert!(t.price >= level && k >= 2, "{t:?}"),
        }
    }
    assert!(first.realized_pnl.is_positive(), "{:?}", first.realized_pnl);
    assert_eq!(first.baskets.len(), 1);
    assert_eq!(first.baskets[0].status, BasketStatus::Active);

    let crash = run(&spec, &fil_months(&["06"]), &|_| {}).unwrap();
    assert_eq!(
        crash.baskets.len(),
        1,
        "a stopped range grid does not restart"
    );
    assert_eq!(crash.baskets[0].status, BasketStatus::Stopped);
    assert!(crash.trades.iter().any(|t| t.slot == Slot::Exit));
    let lot = spec.rules.filters.lot.step_size;
    assert!(crash.final_base < binance_trader::core::money::Qty::new(lot.get()));
}

/// `config/backtest.toml` with volatility sizing: hourly ATR against 0.2 % a minute, a widest
/// factor its 25 % hard stop leaves room for.
fn with_volatility() -> String {
    let text = std::fs::read_to_string(root().join("config/backtest.toml")).unwrap();
    text + "\n[volatility]\nwindow = 60\nreference_pct = 0.2\nmax_factor = 1.1\n"
}

#[test]
fn a_volatility_grid_anchors_once_its_window_is_full_and_trades_differently() {
    let candles = crash_month();
    let plain = spec();
    let sized = BacktestSpec {
        config: parse_config(&with_volatility()).unwrap(),
        ..spec()
    };
    let off = run(&plain, &candles, &|_| {}).unwrap();
    let on = run(&sized, &candles, &|_| {}).unwrap();
    assert_eq!(off.baskets[0].opened_ms, candles[0].open_time_ms);
    // No look-ahead: the first factor reads the first 60 closed candles, so the grid opens
    // at the 60th close.
    assert_eq!(on.baskets[0].opened_ms, candles[59].close_time_ms);
    assert_ne!(off.trades, on.trades);
    assert_eq!(on, run(&sized, &candles, &|_| {}).unwrap());
}

#[test]
fn sweep_and_optimize_keys_reach_the_volatility_table() {
    let points = expand_sweep(
        &with_volatility(),
        &[
            "volatility.max_factor=1,1.1".to_string(),
            "volatility.window=30".to_string(),
        ],
    )
    .unwrap()
    .points;
    let got: Vec<_> = points
        .iter()
        .map(|p| {
            let v = p.config.volatility.as_ref().unwrap();
            (v.max_factor, v.window)
        })
        .collect();
    assert_eq!(got, [(dec!(1), 30), (dec!(1.1), 30)]);
    // A point whose widest spacing crosses the hard stop is skipped with its reason.
    let skipped = expand_sweep(&with_volatility(), &["volatility.max_factor=3".to_string()])
        .unwrap()
        .skipped;
    assert!(
        skipped[0].reasons[0].contains("volatility.max_factor = 3"),
        "{:?}",
        skipped
    );
}
