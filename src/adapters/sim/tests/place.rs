//! Placement: every rejection with Binance's code and text, locking, immediate matching,
//! IOC/FOK, client id reuse, cancel, query, cancel-replace.

use super::*;
use crate::adapters::sim::{CancelReplaceError, CancelReplaceFailure, OrderRef};
use crate::core::filters::{LotSize, NotionalKind, PercentPriceBySide};

struct Case {
    label: &'static str,
    tweak: fn(&mut SimConfig),
    before: Vec<NewOrder>,
    order: NewOrder,
    code: i32,
    msg: &'static str,
}

fn none(_: &mut SimConfig) {}

fn rejections() -> Vec<Case> {
    use OrderType::*;
    let mut no_price = limit("x", Side::Buy, "99", "1");
    no_price.spec.price = None;
    let mut no_tif = limit("x", Side::Buy, "99", "1");
    no_tif.spec.time_in_force = None;
    let mut market_with_price = market("x", Side::Buy, "1");
    market_with_price.spec.price = Some(p("100"));
    let mut other_symbol = limit("x", Side::Buy, "99", "1");
    other_symbol.symbol = Symbol::parse("BTCUSDC").unwrap();
    vec![
        Case {
            label: "unknown symbol",
            tweak: none,
            before: vec![],
            order: other_symbol,
            code: -1121,
            msg: "Invalid symbol.",
        },
        Case {
            label: "limit without price",
            tweak: none,
            before: vec![],
            order: no_price,
            code: -1102,
            msg: "Mandatory parameter 'price' was not sent, was empty/null, or malformed.",
        },
        Case {
            label: "limit without timeInForce",
            tweak: none,
            before: vec![],
            order: no_tif,
            code: -1102,
            msg: "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
        },
        Case {
            label: "market with price",
            tweak: none,
            before: vec![],
            order: market_with_price,
            code: -1106,
            msg: "Parameter 'price' sent when not required.",
        },
        Case {
            label: "stop without stopPrice or trailingDelta",
            tweak: none,
            before: vec![],
            order: stop_limit("x", Side::Sell, StopLossLimit, None, None, "90", "1"),
            code: -1102,
            msg: "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!",
        },
        Case {
            label: "symbol halted",
            tweak: |c| c.symbols[0].rules.status = SymbolStatus::Halt,
            before: vec![],
            order: limit("x", Side::Buy, "99", "1"),
            code: -2010,
            msg: "Market is closed.",
        },
        Case {
            label: "order type not allowed",
            tweak: |c| {
                c.symbols[0]
                    .rules
                    .order_types
                    .retain(|t| *t != OrderType::StopLossLimit)
            },
            before: vec![],
            order: stop_limit("x", Side::Sell, StopLossLimit, Some("95"), None, "94", "1"),
            code: -2010,
            msg: "Stop loss limit orders are not supported for this symbol.",
        },
        Case {
            label: "market not allowed",
            tweak: |c| {
                c.symbols[0]
                    .rules
                    .order_types
                    .retain(|t| *t != OrderType::Market)
            },
            before: vec![],
            order: market("x", Side::Buy, "1"),
            code: -2010,
            msg: "Market orders are not supported for this symbol.",
        },
        Case {
            label: "trailing not allowed",
            tweak: |c| c.symbols[0].rules.allow_trailing_stop = false,
            before: vec![],
            order: stop_limit("x", Side::Sell, StopLossLimit, None, Some(100), "94", "1"),
            code: -2010,
            msg: "Trailing stop orders are not supported for this symbol.",
        },
        Case {
            label: "duplicate open client id",
            tweak: none,
            before: vec![limit("x", Side::Buy, "99", "1")],
            order: limit("x", Side::Buy, "98", "1"),
            code: -2010,
            msg: "Duplicate order sent.",
        },
        Case {
            label: "price off tick",
            tweak: none,
            before: vec![],
            order: limit("x", Side::Buy, "99.995", "1"),
            code: -1013,
            msg: "Filter failure: PRICE_FILTER",
        },
        Case {
            label: "price above maxPrice",
            tweak: |c| c.symbols[0].rules.filters.price.max_price = p("1000"),
            before: vec![],
            order: limit("x", Side::Sell, "1000.01", "1"),
            code: -1013,
            msg: "Filter failure: PRICE_FILTER",
        },
        Case {
            label: "quantity below minQty",
            tweak: none,
            before: vec![],
            order: limit("x", Side::Buy, "99", "0.0005"),
            code: -1013,
            msg: "Filter failure: LOT_SIZE",
        },
        Case {
            label: "quantity off step",
            tweak: none,
            before: vec![],
            order: limit("x", Side::Buy, "99", "1.0005"),
            code: -1013,
            msg: "Filter failure: LOT_SIZE",
        },
        Case {
            label: "market quantity above MARKET_LOT_SIZE",
            tweak: |c| {
                c.symbols[0].rules.filters.market_lot = Some(LotSize {
                    min_qty: q("0.001"),
                    max_qty: q("1"),
                    step_size: q("0.001"),
                })
            },
            before: vec![],
            order: market("x", Side::Buy, "2"),
            code: -1013,
            msg: "Filter failure: MARKET_LOT_SIZE",
        },
        Case {
            label: "notional below NOTIONAL",
            tweak: none,
            before: vec![],
            order: limit("x", Side::Buy, "99", "0.05"),
            code: -1013,
            msg: "Filter failure: NOTIONAL",
        },
        Case {
            label: "notional below MIN_NOTIONAL",
            tweak: |c| {
                c.symbols[0].rules.filters.notional.as_mut().unwrap().kind =
                    NotionalKind::MinNotional
            },
            before: vec![],
            order: limit("x", Side::Buy, "99", "0.05"),
            code: -1013,
            msg: "Filter failure: MIN_NOTIONAL",
        },
        Case {
            label: "price outside PERCENT_PRICE_BY_SIDE",
            tweak: |c| {
                c.symbols[0].rules.filters.percent_price = Some(PercentPriceBySide {
                    bid_multiplier_up: d("1.2"),
                    bid_multiplier_down: d("0.2"),
                    ask_multiplier_up: d("5"),
                    ask_multiplier_down: d("0.8"),
                })
            },
            before: vec![],
            order: limit("x", Side::Buy, "121", "1"),
            code: -1013,
            msg: "Filter failure: PERCENT_PRICE_BY_SIDE",
        },
        Case {
            label: "trailingDelta outside TRAILING_DELTA",
            tweak: none,
            before: vec![],
            order: stop_limit("x", Side::Sell, StopLossLimit, None, Some(5), "94", "1"),
            code: -1013,
            msg: "Filter failure: TRAILING_DELTA",
        },
        Case {
            label: "MAX_NUM_ORDERS reached",
            tweak: |c| c.symbols[0].rules.filters.max_num_orders = Some(1),
            before: vec![limit("a", Side::Buy, "99", "1")],
            order: limit("x", Side::Buy, "98", "1"),
            code: -1013,
            msg: "Filter failure: MAX_NUM_ORDERS",
        },
        Case {
            label: "MAX_NUM_ALGO_ORDERS reached",
            tweak: |c| c.symbols[0].rules.filters.max_num_algo_orders = Some(1),
            before: vec![stop_limit(
                "a",
                Side::Sell,
                StopLossLimit,
                Some("95"),
                None,
                "94",
                "1",
            )],
            order: stop_limit("x", Side::Sell, StopLossLimit, Some("90"), None, "89", "1"),
            code: -1013,
            msg: "Filter failure: MAX_NUM_ALGO_ORDERS",
        },
        Case {
            label: "buy beyond free quote",
            tweak: none,
            before: vec![],
            order: limit("x", Side::Buy, "99", "102"),
            code: -2010,
            msg: "Account has insufficient balance for requested action.",
        },
        Case {
            label: "buy beyond quote left free by a lock",
            tweak: none,
            before: vec![limit("a", Side::Buy, "99", "100")],
            order: limit("x", Side::Buy, "90", "2"),
            code: -2010,
            msg: "Account has insufficient balance for requested action.",
        },
        Case {
            label: "sell beyond free base",
            tweak: none,
            before: vec![],
            order: limit("x", Side::Sell, "110", "10.001"),
            code: -2010,
            msg: "Account has insufficient balance for requested action.",
        },
        Case {
            label: "market buy beyond free quote",
            tweak: none,
            before: vec![],
            order: market("x", Side::Buy, "100.1"),
            code: -2010,
            msg: "Account has insufficient balance for requested action.",
        },
        Case {
            label: "stop-limit sell locks base at placement",
            tweak: none,
            before: vec![stop_limit(
                "a",
                Side::Sell,
                StopLossLimit,
                Some("95"),
                None,
                "94",
                "10",
            )],
            order: limit("x", Side::Sell, "110", "1"),
            code: -2010,
            msg: "Account has insufficient balance for requested action.",
        },
        Case {
            label: "LIMIT_MAKER buy at the market",
            tweak: none,
            before: vec![],
            order: limit_maker("x", Side::Buy, "100", "1"),
            code: -2010,
            msg: "Order would immediately match and take.",
        },
        Case {
            label: "LIMIT_MAKER sell below the market",
            tweak: none,
            before: vec![],
            order: limit_maker("x", Side::Sell, "99.5", "1"),
            code: -2010,
            msg: "Order would immediately match and take.",
        },
        Case {
            label: "SELL STOP_LOSS_LIMIT above the market",
            tweak: none,
            before: vec![],
            order: stop_limit(
                "x",
                Side::Sell,
                StopLossLimit,
                Some("101"),
                None,
                "100",
                "1",
            ),
            code: -2010,
            msg: "Order would trigger immediately.",
        },
        Case {
            label: "SELL TAKE_PROFIT_LIMIT below the market",
            tweak: none,
            before: vec![],
            order: stop_limit(
                "x",
                Side::Sell,
                TakeProfitLimit,
                Some("99"),
                None,
                "99",
                "1",
            ),
            code: -2010,
            msg: "Order would trigger immediately.",
        },
        Case {
            label: "BUY STOP_LOSS_LIMIT below the market",
            tweak: none,
            before: vec![],
            order: stop_limit("x", Side::Buy, StopLossLimit, Some("99"), None, "100", "1"),
            code: -2010,
            msg: "Order would trigger immediately.",
        },
        Case {
            label: "BUY TAKE_PROFIT_LIMIT above the market",
            tweak: none,
            before: vec![],
            order: stop_limit(
                "x",
                Side::Buy,
                TakeProfitLimit,
                Some("101"),
                None,
                "101",
                "1",
            ),
            code: -2010,
            msg: "Order would trigger immediately.",
        },
        Case {
            label: "trailing activation already met",
            tweak: none,
            before: vec![],
            order: stop_limit(
                "x",
                Side::Sell,
                TakeProfitLimit,
                Some("99"),
                Some(100),
                "98",
                "1",
            ),
            code: -2010,
            msg: "Order would trigger immediately.",
        },
    ]
}

#[test]
fn every_rejection_carries_binance_code_and_message() {
    for case in rejections() {
        let mut cfg = config("100");
        (case.tweak)(&mut cfg);
        let mut ex = SimExchange::new(cfg);
        for o in &case.before {
            ex.place(o, 0)
                .unwrap_or_else(|e| panic!("{}: setup {e}", case.label));
        }
        let before = ex.account();
        let err = ex.place(&case.order, 0).expect_err(case.label);
        assert_eq!(
            (err.code, err.msg.as_str()),
            (case.code, case.msg),
            "{}",
            case.label
        );
        assert_eq!(
            ex.account(),
            before,
            "{}: a rejection changes nothing",
            case.label
        );
    }
}

#[test]
fn resting_limits_lock_exactly_what_binance_locks() {
    let mut ex = exchange("100");
    let buy = ex.place(&limit("b", Side::Buy, "99.5", "2"), 0).unwrap();
    let sell = ex.place(&limit("s", Side::Sell, "105", "3"), 0).unwrap();
    let stop = ex
        .place(
            &stop_limit(
                "t",
                Side::Sell,
                OrderType::StopLossLimit,
                Some("95"),
                None,
                "94",
                "1.5",
            ),
            0,
        )
        .unwrap();
    for r in [&buy, &sell, &stop] {
        assert_eq!(r.status, OrderStatus::New);
    }
    let b = ex.balances();
    assert_eq!(
        (b.free(&asset("USDC")), b.locked(&asset("USDC"))),
        (a("9801"), a("199"))
    );
    assert_eq!(
        (b.free(&asset("SOL")), b.locked(&asset("SOL"))),
        (a("5.5"), a("4.5"))
    );
    assert_reconciles(&ex, &initial());
}

#[test]
fn cancel_releases_the_lock_and_unknown_orders_are_rejected() {
    let mut ex = exchange("100");
    ex.place(&limit("b", Side::Buy, "99.5", "2"), 0).unwrap();
    let r = ex.cancel(&sol(), &OrderRef::Client(cid("b")), 5).unwrap();
    assert_eq!((r.status, r.update_ms), (OrderStatus::Canceled, 5));
    assert_eq!(ex.balances().locked(&asset("USDC")), Amount::ZERO);
    assert_eq!(ex.balances().free(&asset("USDC")), a("10000"));
    for (label, r) in [
        ("already cancelled", OrderRef::Client(cid("b"))),
        ("never placed", OrderRef::Client(cid("nope"))),
        ("unknown id", OrderRef::Id(999)),
    ] {
        let e = ex.cancel(&sol(), &r, 6).expect_err(label);
        assert_eq!(
            (e.code, e.msg.as_str()),
            (-2011, "Unknown order sent."),
            "{label}"
        );
    }
    let e = ex.query(&sol(), &OrderRef::Id(999)).unwrap_err();
    assert_eq!((e.code, e.msg.as_str()), (-2013, "Order does not exist."));
    assert_eq!(
        ex.query(&sol(), &OrderRef::Client(cid("b")))
            .unwrap()
            .status,
        OrderStatus::Canceled
    );
}

#[test]
fn client_id_is_reusable_once_the_first_order_closed() {
    let mut ex = exchange("100");
    let first = ex.place(&limit("b", Side::Buy, "99", "1"), 0).unwrap();
    ex.cancel(&sol(), &OrderRef::Id(first.order_id), 1).unwrap();
    let second = ex.place(&limit("b", Side::Buy, "98", "1"), 2).unwrap();
    assert_ne!(first.order_id, second.order_id);
    let by_client = ex.query(&sol(), &OrderRef::Client(cid("b"))).unwrap();
    assert_eq!(
        by_client.order_id, second.order_id,
        "client id finds the open order"
    );
    let old = ex.query(&sol(), &OrderRef::Id(first.order_id)).unwrap();
    assert_eq!(
        old.status,
        OrderStatus::Canceled,
        "closed orders stay queryable"
    );
}

#[test]
fn marketable_limit_takes_at_the_market_price() {
    let mut ex = exchange("100");
    let (r, fills) = ex
        .place_with_fills(&limit("b", Side::Buy, "101", "1"), 7)
        .unwrap();
    assert_eq!(
        (r.status, r.executed_qty, r.cumulative_quote),
        (OrderStatus::Filled, q("1"), Quote::new(d("100")))
    );
    assert_eq!(fills.len(), 1);
    let f = &fills[0];
    assert_eq!((f.price, f.is_maker, f.time_ms), (p("100"), false, 7));
    assert_eq!(
        (f.commission, f.commission_asset.as_str()),
        (a("0.001"), "SOL")
    );
    let b = ex.balances();
    assert_eq!(
        (b.free(&asset("USDC")), b.locked(&asset("USDC"))),
        (a("9900"), Amount::ZERO)
    );
    assert_eq!(b.free(&asset("SOL")), a("10.999"));
    assert_reconciles(&ex, &initial());
    let t = ex.my_trades(&sol(), None, 10).unwrap();
    assert_eq!(t, fills);
}

#[test]
fn market_orders_fill_at_the_last_price_and_need_one() {
    let mut ex = exchange("100");
    let r = ex.place(&market("m", Side::Sell, "2"), 0).unwrap();
    assert_eq!(
        (r.status, r.cumulative_quote),
        (OrderStatus::Filled, Quote::new(d("200")))
    );
    assert_eq!(ex.balances().free(&asset("USDC")), a("10199.8"));
    let mut cfg = config("100");
    cfg.symbols[0].initial_price = None;
    let mut ex = SimExchange::new(cfg);
    let e = ex.place(&market("m", Side::Buy, "1"), 0).unwrap_err();
    assert_eq!(e.code, -2010);
    assert_eq!(ex.book_ticker(&sol()).unwrap().bid, Price::ZERO);
}

#[test]
fn time_in_force_table() {
    struct Row {
        label: &'static str,
        tif: TimeInForce,
        price: &'static str,
        cap: bool,
        status: OrderStatus,
        executed: &'static str,
        locked_usdc: &'static str,
    }
    use OrderStatus::*;
    use TimeInForce::*;
    let rows = [
        Row {
            label: "IOC not marketable expires",
            tif: Ioc,
            price: "99",
            cap: false,
            status: Expired,
            executed: "0",
            locked_usdc: "0",
        },
        Row {
            label: "FOK not marketable expires",
            tif: Fok,
            price: "99",
            cap: false,
            status: Expired,
            executed: "0",
            locked_usdc: "0",
        },
        Row {
            label: "GTC not marketable rests",
            tif: Gtc,
            price: "99",
            cap: false,
            status: New,
            executed: "0",
            locked_usdc: "99",
        },
        Row {
            label: "IOC marketable fills",
            tif: Ioc,
            price: "101",
            cap: false,
            status: Filled,
            executed: "1",
            locked_usdc: "0",
        },
        Row {
            label: "IOC beyond liquidity fills part, expires rest",
            tif: Ioc,
            price: "101",
            cap: true,
            status: Expired,
            executed: "0.5",
            locked_usdc: "0",
        },
        Row {
            label: "FOK beyond liquidity kills",
            tif: Fok,
            price: "101",
            cap: true,
            status: Expired,
            executed: "0",
            locked_usdc: "0",
        },
        Row {
            label: "GTC beyond liquidity rests the rest",
            tif: Gtc,
            price: "101",
            cap: true,
            status: PartiallyFilled,
            executed: "0.5",
            locked_usdc: "50.5",
        },
    ];
    for row in rows {
        let mut cfg = config("100");
        if row.cap {
            cfg.max_fill_share = Some(d("0.1"));
        }
        let mut ex = SimExchange::new(cfg);
        if row.cap {
            feed(&mut ex, &candle(0, "100", "100", "100", "100", "5"));
        }
        let r = ex
            .place(&limit_tif("o", Side::Buy, row.price, "1", row.tif), 60_000)
            .unwrap();
        assert_eq!(
            (r.status, r.executed_qty),
            (row.status, q(row.executed)),
            "{}",
            row.label
        );
        assert_eq!(
            ex.balances().locked(&asset("USDC")),
            a(row.locked_usdc),
            "{}",
            row.label
        );
        assert_reconciles(&ex, &initial());
    }
}

#[test]
fn cancel_replace_moves_the_lock_and_reports_half_failures() {
    let mut ex = exchange("100");
    ex.place(&limit("b1", Side::Buy, "99", "1"), 0).unwrap();
    let ok = ex
        .cancel_replace(
            &sol(),
            &OrderRef::Client(cid("b1")),
            &limit("b2", Side::Buy, "98", "2"),
            1,
        )
        .unwrap();
    assert_eq!(
        (ok.cancel.status, ok.new_order.status),
        (OrderStatus::Canceled, OrderStatus::New)
    );
    assert_eq!(ex.balances().locked(&asset("USDC")), a("196"));

    match ex.cancel_replace(
        &sol(),
        &OrderRef::Client(cid("zz")),
        &limit("b3", Side::Buy, "97", "1"),
        2,
    ) {
        Err(CancelReplaceError::Failed(f)) => {
            let CancelReplaceFailure {
                error,
                cancel,
                new_order,
            } = *f;
            assert_eq!(
                (error.code, error.msg.as_str()),
                (-2022, "Order cancel-replace failed.")
            );
            assert_eq!(cancel.unwrap_err().code, -2011);
            assert!(
                new_order.is_none(),
                "STOP_ON_FAILURE: new order not attempted"
            );
        }
        other => panic!("expected -2022, got {other:?}"),
    }
    match ex.cancel_replace(
        &sol(),
        &OrderRef::Client(cid("b2")),
        &limit_maker("b4", Side::Buy, "100", "1"),
        3,
    ) {
        Err(CancelReplaceError::Failed(f)) => {
            let CancelReplaceFailure {
                error,
                cancel,
                new_order,
            } = *f;
            assert_eq!(
                (error.code, error.msg.as_str()),
                (-2021, "Order cancel-replace partially failed.")
            );
            assert_eq!(cancel.unwrap().status, OrderStatus::Canceled);
            assert_eq!(
                new_order.unwrap().unwrap_err().msg,
                "Order would immediately match and take."
            );
        }
        other => panic!("expected -2021, got {other:?}"),
    }
    assert_eq!(ex.balances().locked(&asset("USDC")), Amount::ZERO);
    assert!(ex.open_orders(&sol()).unwrap().is_empty());
}

use crate::core::money::Quote;

/// `orders_since` returns what may have changed — the open orders, the watched ones (open
/// when the observer looked) and the new ones — and not the rest of the history.
#[test]
fn orders_since_skips_the_settled_history() {
    let mut ex = exchange("100");
    for i in 0..5 {
        ex.place(&limit(&format!("o{i}"), Side::Buy, "99", "1"), 0)
            .unwrap();
    }
    let ids: Vec<u64> = ex
        .all_orders(&sol())
        .unwrap()
        .iter()
        .map(|r| r.order_id)
        .collect();
    // Two settled before the observer looked (not watched), one after (watched).
    for id in &ids[..3] {
        ex.cancel(&sol(), &OrderRef::Id(*id), 1).unwrap();
    }
    let after = ids[4];
    ex.place(&limit("new", Side::Buy, "99", "1"), 2).unwrap();
    ex.place(&limit("gone", Side::Buy, "99", "1"), 2).unwrap();
    let gone = ex.all_orders(&sol()).unwrap().last().unwrap().order_id;
    ex.cancel(&sol(), &OrderRef::Id(gone), 3).unwrap();
    let got: Vec<String> = ex
        .orders_since(&sol(), &[ids[2]], after)
        .unwrap()
        .iter()
        .map(|r| r.client_id.to_string())
        .collect();
    assert_eq!(got, ["o2", "o3", "o4", "new", "gone"]);
}
