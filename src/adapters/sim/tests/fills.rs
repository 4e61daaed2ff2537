//! The candle-driven fill model: path order, touch rule, gaps, no look-ahead, stops that
//! trigger and rest, partial fills under the volume cap, the fast path.

use super::*;
use crate::adapters::sim::candle::path;
use crate::adapters::sim::TouchRule;

#[test]
fn path_goes_to_the_nearer_extreme_first_and_high_on_a_tie() {
    struct Row {
        label: &'static str,
        c: Candle,
        expect: [&'static str; 4],
    }
    let rows = [
        Row {
            label: "high nearer",
            c: candle(0, "100", "101", "95", "98", "1"),
            expect: ["100", "101", "95", "98"],
        },
        Row {
            label: "low nearer",
            c: candle(0, "100", "105", "99", "104", "1"),
            expect: ["100", "99", "105", "104"],
        },
        Row {
            label: "tie goes high first",
            c: candle(0, "100", "103", "97", "101", "1"),
            expect: ["100", "103", "97", "101"],
        },
    ];
    for r in rows {
        assert_eq!(path(&r.c), r.expect.map(p), "{}", r.label);
    }
}

#[test]
fn fills_follow_the_path_order() {
    struct Row {
        label: &'static str,
        c: Candle,
        sides: [Side; 2],
    }
    let rows = [
        Row {
            label: "low nearer: buy first",
            c: candle(1, "100", "106", "94.5", "100", "1000"),
            sides: [Side::Buy, Side::Sell],
        },
        Row {
            label: "tie: sell (high) first",
            c: candle(1, "100", "106", "94", "100", "1000"),
            sides: [Side::Sell, Side::Buy],
        },
    ];
    for r in rows {
        let mut ex = exchange("100");
        ex.place(&limit("b", Side::Buy, "95", "1"), 0).unwrap();
        ex.place(&limit("s", Side::Sell, "105", "1"), 0).unwrap();
        let t = feed(&mut ex, &r.c);
        assert_eq!(
            t.iter().map(|t| t.side).collect::<Vec<_>>(),
            r.sides,
            "{}",
            r.label
        );
        assert!(
            t[0].trade_id < t[1].trade_id && t[0].time_ms < t[1].time_ms,
            "{}",
            r.label
        );
        assert!(t.iter().all(|t| t.is_maker), "{}", r.label);
        assert_eq!(
            (t[0].time_ms, t[1].time_ms),
            (60_000 + 19_999, 60_000 + 39_999),
            "{}",
            r.label
        );
        assert_reconciles(&ex, &initial());
    }
}

#[test]
fn touch_rule_table() {
    struct Row {
        label: &'static str,
        rule: TouchRule,
        low: &'static str,
        fills: bool,
    }
    let rows = [
        Row {
            label: "trade-through: touch does not fill",
            rule: TouchRule::TradeThrough,
            low: "95",
            fills: false,
        },
        Row {
            label: "trade-through: through fills",
            rule: TouchRule::TradeThrough,
            low: "94.99",
            fills: true,
        },
        Row {
            label: "touch: touch fills",
            rule: TouchRule::Touch,
            low: "95",
            fills: true,
        },
        Row {
            label: "touch: above does not fill",
            rule: TouchRule::Touch,
            low: "95.01",
            fills: false,
        },
    ];
    for r in rows {
        let mut cfg = config("100");
        cfg.touch_rule = r.rule;
        let mut ex = SimExchange::new(cfg);
        ex.place(&limit("b", Side::Buy, "95", "1"), 0).unwrap();
        let t = feed(&mut ex, &candle(1, "100", "100", r.low, "99", "1000"));
        assert_eq!(t.len(), usize::from(r.fills), "{}", r.label);
        if r.fills {
            assert_eq!((t[0].price, t[0].is_maker), (p("95"), true), "{}", r.label);
        }
    }
}

#[test]
fn a_gap_through_a_resting_limit_fills_at_the_limit_at_the_open() {
    let mut ex = exchange("100");
    ex.place(&limit("b", Side::Buy, "95", "1"), 0).unwrap();
    let t = feed(&mut ex, &candle(1, "90", "91", "89", "90.5", "1000"));
    assert_eq!(
        (t[0].price, t[0].time_ms, t[0].is_maker),
        (p("95"), 60_000, true)
    );
    assert_eq!(status(&ex, "b"), OrderStatus::Filled);
    assert_eq!(ex.balances().free(&asset("USDC")), a("9905"));
}

#[test]
fn orders_never_see_candles_before_they_exist() {
    let mut ex = exchange("100");
    ex.place(&limit("b", Side::Buy, "95", "1"), 120_000)
        .unwrap();
    assert!(
        feed(&mut ex, &candle(1, "100", "100", "90", "99", "1000")).is_empty(),
        "older candle"
    );
    assert!(
        feed(&mut ex, &candle(2, "99", "99", "96", "97", "1000")).is_empty(),
        "not reached"
    );
    let t = feed(&mut ex, &candle(3, "97", "97", "94", "95", "1000"));
    assert_eq!(
        (t.len(), t[0].time_ms),
        (1, 180_000 + 39_999),
        "filled on the way down to the low"
    );
}

#[test]
fn a_triggered_stop_limit_takes_when_marketable_else_rests() {
    use OrderType::*;
    struct Row {
        label: &'static str,
        order: NewOrder,
        candles: Vec<Candle>,
        price: &'static str,
        maker: bool,
    }
    let rows = [
        Row {
            label: "sell stop crossed: takes at the stop",
            order: stop_limit("o", Side::Sell, StopLossLimit, Some("95"), None, "94", "1"),
            candles: vec![candle(1, "100", "100.5", "93", "93.5", "1000")],
            price: "95",
            maker: false,
        },
        Row {
            label: "sell stop gapped below the limit: rests, fills as maker on the way back",
            order: stop_limit("o", Side::Sell, StopLossLimit, Some("95"), None, "94", "1"),
            candles: vec![
                candle(1, "93", "93.5", "92", "93", "1000"),
                candle(2, "93", "94.5", "92.9", "94.2", "1000"),
            ],
            price: "94",
            maker: true,
        },
        Row {
            label: "sell stop gapped below the limit, back above in the same candle",
            order: stop_limit("o", Side::Sell, StopLossLimit, Some("95"), None, "94", "1"),
            candles: vec![candle(1, "93", "94.5", "92.9", "94.2", "1000")],
            price: "94",
            maker: true,
        },
        Row {
            label: "buy stop crossed: takes at the stop",
            order: stop_limit("o", Side::Buy, StopLossLimit, Some("105"), None, "106", "1"),
            candles: vec![candle(1, "100", "107", "99.5", "106", "1000")],
            price: "105",
            maker: false,
        },
        Row {
            label: "sell take-profit crossed: takes at the stop",
            order: stop_limit(
                "o",
                Side::Sell,
                TakeProfitLimit,
                Some("104"),
                None,
                "103",
                "1",
            ),
            candles: vec![candle(1, "100", "105", "99.9", "104.5", "1000")],
            price: "104",
            maker: false,
        },
        Row {
            label: "buy take-profit with limit below the trigger rests, then fills",
            order: stop_limit("o", Side::Buy, TakeProfitLimit, Some("96"), None, "95", "1"),
            candles: vec![
                candle(1, "100", "100", "95.5", "96", "1000"),
                candle(2, "96", "96", "94", "94.5", "1000"),
            ],
            price: "95",
            maker: true,
        },
    ];
    for r in rows {
        let mut ex = exchange("100");
        ex.place(&r.order, 0).unwrap();
        let mut trades = Vec::new();
        for (n, c) in r.candles.iter().enumerate() {
            trades.extend(feed(&mut ex, c));
            if n + 1 < r.candles.len() {
                assert!(
                    trades.is_empty(),
                    "{}: no fill before the last candle",
                    r.label
                );
                assert_eq!(status(&ex, "o"), OrderStatus::New, "{}", r.label);
            }
        }
        assert_eq!(trades.len(), 1, "{}", r.label);
        assert_eq!(
            (trades[0].price, trades[0].is_maker),
            (p(r.price), r.maker),
            "{}",
            r.label
        );
        assert_eq!(status(&ex, "o"), OrderStatus::Filled, "{}", r.label);
        assert_reconciles(&ex, &initial());
    }
}

#[test]
fn volume_cap_splits_fills_across_candles() {
    let mut cfg = config("100");
    cfg.max_fill_share = Some(d("0.1"));
    let mut ex = SimExchange::new(cfg);
    ex.place(&limit("b", Side::Buy, "95", "1"), 0).unwrap();
    let t1 = feed(&mut ex, &candle(1, "100", "100", "94", "96", "3"));
    assert_eq!(t1[0].qty, q("0.3"));
    assert_eq!(status(&ex, "b"), OrderStatus::PartiallyFilled);
    assert_eq!(ex.balances().locked(&asset("USDC")), a("66.5"));
    assert_reconciles(&ex, &initial());
    let t2 = feed(&mut ex, &candle(2, "96", "96", "94", "95", "100"));
    assert_eq!(t2[0].qty, q("0.7"));
    assert_eq!(status(&ex, "b"), OrderStatus::Filled);
    assert_eq!(ex.balances().locked(&asset("USDC")), Amount::ZERO);
    assert_reconciles(&ex, &initial());
}

#[test]
fn quiet_candles_take_the_fast_path_and_move_the_price() {
    let mut ex = exchange("100");
    ex.place(&limit("b", Side::Buy, "95", "1"), 0).unwrap();
    ex.place(&limit("s", Side::Sell, "105", "1"), 0).unwrap();
    let book = &ex.books[0];
    assert_eq!(
        (book.up, book.down, book.always_slow),
        (Some(p("105")), Some(p("95")), false)
    );
    assert!(feed(&mut ex, &candle(1, "100", "104.99", "95.01", "101", "1")).is_empty());
    assert_eq!(ex.last_price(&sol()).unwrap(), Some(p("101")));
    assert_eq!(ex.book_ticker(&sol()).unwrap().ask, p("101"));
}
