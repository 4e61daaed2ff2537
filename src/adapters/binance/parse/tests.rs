use super::*;
use crate::adapters::binance::wire::*;
use rust_decimal_macros::dec;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/binance-docs/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn doc<T: DeserializeOwned>(name: &str) -> T {
    serde_json::from_str(&fixture_text(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn ccxt(method: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/ccxt/binance_spot_response_fixtures.json"
    ))
    .unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    all["methods"][method].as_array().unwrap().clone()
}

/// A ccxt `parsedResponse` number as an exact decimal.
fn num(v: &Value) -> Decimal {
    Decimal::from_str(&v.to_string())
        .or_else(|_| Decimal::from_scientific(&v.to_string()))
        .unwrap()
}

fn prefix() -> IdPrefix {
    IdPrefix::default()
}

#[test]
fn every_indexed_endpoint_we_use_is_covered() {
    // The endpoints this client calls; each must have its fixtures parsed by a test below.
    let used = [
        "GET /api/v3/time",
        "GET /api/v3/exchangeInfo",
        "GET /api/v3/klines",
        "GET /api/v3/ticker/price",
        "GET /api/v3/ticker/bookTicker",
        "POST /api/v3/order",
        "DELETE /api/v3/order",
        "DELETE /api/v3/openOrders",
        "POST /api/v3/order/cancelReplace",
        "GET /api/v3/account",
        "GET /api/v3/order",
        "GET /api/v3/openOrders",
        "GET /api/v3/myTrades",
        "GET /api/v3/account/commission",
    ];
    let index: Vec<Value> = doc("INDEX.json");
    for endpoint in used {
        assert!(
            index.iter().any(|e| e["endpoint"] == endpoint),
            "{endpoint} has no fixture"
        );
    }
}

#[test]
fn server_time_and_rate_limits() {
    let t: ServerTime = doc("time.json");
    assert_eq!(t.server_time, 1_499_827_319_559);
    // The documentation's exchangeInfo example has an empty rate-limit object.
    let info: ExchangeInfoLimits = doc("exchangeInfo.json");
    assert_eq!(info.rate_limits.len(), 1);
    assert_eq!(info.rate_limits[0].limit, None);
    let live: ExchangeInfoLimits = serde_json::from_str(
        r#"{"serverTime":1,"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000}],"symbols":[]}"#,
    )
    .unwrap();
    assert_eq!(live.rate_limits[0].limit, Some(6000));
    assert_eq!(live.rate_limits[0].interval.as_deref(), Some("MINUTE"));
}

#[test]
fn tickers() {
    let p: TickerPrice = doc("ticker_price.json");
    assert_eq!(ticker_price(&p).unwrap(), Price::new(dec!(4.00000200)));
    let many: Vec<TickerPrice> = doc("ticker_price_2.json");
    assert_eq!(ticker_price(&many[1]).unwrap(), Price::new(dec!(0.079466)));

    let b: BookTickerWire = doc("ticker_bookTicker.json");
    let bt = book_ticker(&b).unwrap();
    assert_eq!(bt.bid, Price::new(dec!(4)));
    assert_eq!(bt.ask, Price::new(dec!(4.000002)));
    let many: Vec<BookTickerWire> = doc("ticker_bookTicker_2.json");
    assert_eq!(book_ticker(&many[1]).unwrap().ask, Price::new(dec!(100000)));

    // ccxt's 24hr ticker carries the same bid/ask fields.
    let case = &ccxt("fetchTicker")[0];
    let w: BookTickerWire = serde_json::from_value(case["httpResponse"].clone()).unwrap();
    let bt = book_ticker(&w).unwrap();
    let parsed = &case["parsedResponse_without_info"];
    assert_eq!(bt.bid.get(), num(&parsed["bid"]));
    assert_eq!(bt.ask.get(), num(&parsed["ask"]));
}

#[test]
fn klines_docs_and_ccxt() {
    let rows: Vec<Kline> = doc("klines.json");
    let c = candle(&rows[0]).unwrap();
    assert_eq!(c.open_time_ms, 1_499_040_000_000);
    assert_eq!(c.open, Price::new(dec!(0.01634790)));
    assert_eq!(c.high, Price::new(dec!(0.8)));
    assert_eq!(c.low, Price::new(dec!(0.015758)));
    assert_eq!(c.close, Price::new(dec!(0.015771)));
    assert_eq!(c.volume, Qty::new(dec!(148976.11427815)));
    assert_eq!(c.close_time_ms, 1_499_644_799_999);
    assert_eq!(rows[0].trades, 308);

    let case = &ccxt("fetchOHLCV")[0];
    let rows: Vec<Kline> = serde_json::from_value(case["httpResponse"].clone()).unwrap();
    let expected = case["parsedResponse"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len());
    for (row, want) in rows.iter().zip(expected) {
        let c = candle(row).unwrap();
        assert_eq!(c.open_time_ms, want[0].as_i64().unwrap());
        assert_eq!(c.open.get(), num(&want[1]));
        assert_eq!(c.high.get(), num(&want[2]));
        assert_eq!(c.low.get(), num(&want[3]));
        assert_eq!(c.close.get(), num(&want[4]));
        assert_eq!(c.volume.get(), num(&want[5]));
    }
    let short: Result<Vec<Kline>, _> = serde_json::from_str("[[1,\"1\"]]");
    assert!(short.is_err());
}

#[test]
fn account_docs_and_ccxt() {
    let w: AccountWire = doc("account.json");
    let a = account(&w).unwrap();
    assert_eq!(a.maker_rate, dec!(0.0015));
    assert_eq!(a.taker_rate, dec!(0.0015));
    assert!(a.can_trade);
    assert!(a.can_withdraw, "the documented example key may withdraw");
    assert_eq!(a.balances.len(), 2);
    assert_eq!(a.balances[0].asset.as_str(), "BTC");
    assert_eq!(a.balances[0].free, Amount::new(dec!(4723846.89208129)));
    assert_eq!(a.balances[1].locked, Amount::ZERO);

    let case = &ccxt("fetchBalance")[0];
    let w: AccountWire = serde_json::from_value(case["httpResponse"].clone()).unwrap();
    let a = account(&w).unwrap();
    let want = &case["parsedResponse_without_info"];
    // The zero BTC balance is dropped.
    let assets: Vec<&str> = a.balances.iter().map(|b| b.asset.as_str()).collect();
    assert_eq!(assets, ["LTC", "ETH"]);
    for b in &a.balances {
        let w = &want[b.asset.as_str()];
        assert_eq!(b.free.get(), num(&w["free"]), "{}", b.asset);
        assert_eq!(b.locked.get(), num(&w["used"]));
        assert_eq!(b.total().get(), num(&w["total"]));
    }
    assert_eq!(a.maker_rate, dec!(0.001));
}

#[test]
fn account_commission() {
    let c: AccountCommission = doc("account_commission.json");
    assert_eq!(c.symbol, "BTCUSDT");
    assert_eq!(c.standard_commission.maker, "0.00000010");
    assert_eq!(c.tax_commission.seller, "0.00000116");
    assert_eq!(c.special_commission.unwrap().taker, "0.02000000");
    assert!(c.discount.enabled_for_symbol);
    assert_eq!(c.discount.discount_asset, "BNB");
    assert_eq!(c.discount.discount, "0.75000000");
}

#[test]
fn new_order_ack_result_full() {
    let ack: OrderAck = doc("order_new_ACK.json");
    assert_eq!(ack.order_id, 28);
    assert_eq!(ack.transact_time, 1_507_725_176_595);
    assert_eq!(ack.order_list_id, Some(-1));
    // The ACK shape has no status: it cannot become a report.
    let ack_as_order: OrderWire = doc("order_new_ACK.json");
    assert_eq!(
        order_report(&ack_as_order, Slot::Tp1).unwrap_err().field,
        "side"
    );

    for name in ["order_new_RESULT.json", "order_new_FULL.json"] {
        let w: OrderWire = doc(name);
        let r = order_report(&w, Slot::Exit).unwrap();
        assert_eq!(r.symbol.as_str(), "BTCUSDT", "{name}");
        assert_eq!(r.order_id, 28);
        assert_eq!(r.client_id.as_str(), "6gCrw2kRUAF9CvJDGP16IP");
        assert_eq!(r.side, Side::Sell);
        assert_eq!(r.spec.order_type, OrderType::Market);
        assert_eq!(r.spec.price, None, "market orders carry no limit price");
        assert_eq!(r.spec.time_in_force, None);
        assert_eq!(r.spec.qty, Qty::new(dec!(10)));
        assert_eq!(r.status, OrderStatus::Filled);
        assert_eq!(r.executed_qty, Qty::new(dec!(10)));
        assert_eq!(r.cumulative_quote, Quote::new(dec!(10)));
        assert_eq!(r.time_ms, 1_507_725_176_595);
        assert_eq!(r.update_ms, 1_507_725_176_595);
    }
    let full: OrderWire = doc("order_new_FULL.json");
    let f = fills(&full, Slot::Exit).unwrap();
    assert_eq!(f.len(), 5);
    assert_eq!(f[1].trade_id, 57);
    assert_eq!(f[1].price, Price::new(dec!(3999)));
    assert_eq!(f[1].qty, Qty::new(dec!(5)));
    assert_eq!(f[1].commission.amount, Amount::new(dec!(19.995)));
    assert_eq!(f[1].commission.asset.as_str(), "USDT");
    let total: Qty = f.iter().map(|x| x.qty).sum();
    assert_eq!(total, Qty::new(dec!(10)));
}

#[test]
fn query_open_and_all_orders() {
    for (name, w) in [
        ("order_query.json", doc::<OrderWire>("order_query.json")),
        (
            "openOrders.json",
            doc::<Vec<OrderWire>>("openOrders.json").remove(0),
        ),
        (
            "allOrders.json",
            doc::<Vec<OrderWire>>("allOrders.json").remove(0),
        ),
    ] {
        let r = order_report_ours(&w, &prefix()).unwrap();
        assert_eq!(r.symbol.as_str(), "LTCBTC", "{name}");
        assert_eq!(r.client_id.as_str(), "myOrder1");
        assert_eq!(r.side, Side::Buy);
        assert_eq!(r.spec.slot, Slot::Buy(u16::MAX), "foreign id → placeholder");
        assert_eq!(r.spec.order_type, OrderType::Limit);
        assert_eq!(r.spec.price, Some(Price::new(dec!(0.1))));
        assert_eq!(r.spec.stop_price, None, "stopPrice 0.0 means none");
        assert_eq!(r.spec.time_in_force, Some(TimeInForce::Gtc));
        assert_eq!(r.spec.qty, Qty::new(dec!(1)));
        assert_eq!(r.status, OrderStatus::New);
        assert_eq!(r.executed_qty, Qty::ZERO);
        assert_eq!(r.time_ms, 1_499_827_319_559);
    }
}

#[test]
fn our_client_ids_give_their_slot() {
    let mut w: OrderWire = doc("order_query.json");
    w.client_order_id = "gb42-TP1-3".into();
    w.side = Some("SELL".into());
    assert_eq!(
        order_report_ours(&w, &prefix()).unwrap().spec.slot,
        Slot::Tp1
    );
    w.client_order_id = "web_abc".into();
    assert_eq!(
        order_report_ours(&w, &prefix()).unwrap().spec.slot,
        Slot::Exit
    );
}

#[test]
fn cancel_order_reports_the_cancelled_order() {
    let w: OrderWire = doc("order_cancel.json");
    let r = order_report(&w, Slot::Buy(1)).unwrap();
    assert_eq!(
        r.client_id.as_str(),
        "myOrder1",
        "origClientOrderId, not the cancel's id"
    );
    assert_eq!(r.order_id, 4);
    assert_eq!(r.status, OrderStatus::Canceled);
    assert_eq!(r.spec.price, Some(Price::new(dec!(2))));
    assert_eq!(r.time_ms, 1_684_804_350_068);

    let e: ErrorBody = doc("order_cancel_2.json");
    assert_eq!(
        (e.code, e.msg.as_str()),
        (-1145, "Invalid cancelRestrictions")
    );
    let e: ErrorBody = doc("order_cancel_3.json");
    assert_eq!(e.code, -2011);
}

#[test]
fn cancel_all_mixes_orders_and_lists() {
    let items: Vec<CancelAllItem> = doc("openOrders_cancel_all.json");
    assert_eq!(items.len(), 3);
    let mut reports = Vec::new();
    for item in &items {
        match item {
            CancelAllItem::Order(o) => reports.push(order_report_ours(o, &prefix()).unwrap()),
            CancelAllItem::List(l) => {
                assert_eq!(l.contingency_type, "OCO");
                assert_eq!(l.order_list_id, 1929);
                for o in &l.order_reports {
                    reports.push(order_report_ours(o, &prefix()).unwrap());
                }
            }
        }
    }
    let ids: Vec<u64> = reports.iter().map(|r| r.order_id).collect();
    assert_eq!(ids, [11, 13, 20, 21]);
    assert!(reports.iter().all(|r| r.status == OrderStatus::Canceled));
    assert_eq!(reports[2].spec.order_type, OrderType::StopLossLimit);
    assert_eq!(reports[2].spec.stop_price, Some(Price::new(dec!(0.378131))));
    assert_eq!(
        reports[3].spec.time_in_force, None,
        "LIMIT_MAKER sends no timeInForce"
    );
    assert_eq!(reports[0].client_id.as_str(), "E6APeyTJvkMvLMYMqu1KQ4");
}

#[test]
fn cancel_replace_success_and_failures() {
    let ok: CancelReplaceData = doc("order_cancelReplace.json");
    assert_eq!(
        (ok.cancel_result.as_str(), ok.new_order_result.as_str()),
        ("SUCCESS", "SUCCESS")
    );
    let CancelReplaceHalf::Order(c) = &ok.cancel_response else {
        panic!("cancel half")
    };
    assert_eq!(
        order_report(c, Slot::Tp1).unwrap().status,
        OrderStatus::Canceled
    );
    let Some(CancelReplaceHalf::Order(n)) = &ok.new_order_response else {
        panic!("new half")
    };
    let n = order_report(n, Slot::Tp1).unwrap();
    assert_eq!((n.order_id, n.status), (10, OrderStatus::New));
    assert_eq!(n.spec.price, Some(Price::new(dec!(0.02))));

    // (file, code, cancel half is an error, new half: None = null, Some(true) = error)
    let cases = [
        ("order_cancelReplace_2.json", -2022, true, None),
        ("order_cancelReplace_3.json", -2021, false, Some(true)),
        ("order_cancelReplace_4.json", -2021, true, Some(false)),
        ("order_cancelReplace_5.json", -2022, true, Some(true)),
        ("order_cancelReplace_7.json", -2021, false, Some(true)),
    ];
    for (name, code, cancel_failed, new_failed) in cases {
        let f: CancelReplaceFailure = doc(name);
        assert_eq!(f.code, code, "{name}");
        assert_eq!(
            matches!(f.data.cancel_response, CancelReplaceHalf::Error(_)),
            cancel_failed,
            "{name}"
        );
        let new_is_error = f
            .data
            .new_order_response
            .as_ref()
            .map(|h| matches!(h, CancelReplaceHalf::Error(_)));
        assert_eq!(new_is_error, new_failed, "{name}");
    }
    let f: CancelReplaceFailure = doc("order_cancelReplace_3.json");
    let Some(CancelReplaceHalf::Error(e)) = f.data.new_order_response else {
        panic!()
    };
    assert_eq!(
        (e.code, e.msg.as_str()),
        (-2010, "Order would immediately match and take.")
    );
    // ACK-shaped new half (order_cancelReplace_4): an order id, no status.
    let f: CancelReplaceFailure = doc("order_cancelReplace_4.json");
    let Some(CancelReplaceHalf::Order(n)) = f.data.new_order_response else {
        panic!()
    };
    assert_eq!((n.order_id, n.status), (11, None));
    // order_cancelReplace_6 is a plain error body.
    let e: ErrorBody = doc("order_cancelReplace_6.json");
    assert_eq!(e.code, -1015);
}

#[test]
fn my_trades_docs_and_ccxt() {
    let rows: Vec<MyTrade> = doc("myTrades.json");
    let t = trade(&rows[0]).unwrap();
    assert_eq!(t.symbol.as_str(), "BNBBTC");
    assert_eq!((t.trade_id, t.order_id), (28457, 100234));
    assert_eq!(t.side, Side::Buy);
    assert_eq!(t.price, Price::new(dec!(4.000001)));
    assert_eq!(t.qty, Qty::new(dec!(12)));
    assert_eq!(t.quote_qty, Quote::new(dec!(48.000012)));
    assert_eq!(t.commission, Amount::new(dec!(10.1)));
    assert_eq!(t.commission_asset.as_str(), "BNB");
    assert!(!t.is_maker);
    assert_eq!(t.time_ms, 1_499_865_549_590);

    for case in ccxt("fetchMyTrades") {
        let rows: Vec<MyTrade> = serde_json::from_value(case["httpResponse"].clone()).unwrap();
        let want = case["parsedResponse"].as_array().unwrap();
        for (row, w) in rows.iter().zip(want) {
            let t = trade(row).unwrap();
            assert_eq!(t.trade_id.to_string(), w["id"].as_str().unwrap());
            assert_eq!(t.order_id.to_string(), w["order"].as_str().unwrap());
            assert_eq!(t.side.as_str().to_lowercase(), w["side"].as_str().unwrap());
            assert_eq!(t.price.get(), num(&w["price"]));
            assert_eq!(t.qty.get(), num(&w["amount"]));
            assert_eq!(t.quote_qty.get(), num(&w["cost"]));
            assert_eq!(t.commission.get(), num(&w["fee"]["cost"]));
            assert_eq!(
                t.commission_asset.as_str(),
                w["fee"]["currency"].as_str().unwrap()
            );
            assert_eq!(t.is_maker, w["takerOrMaker"] == "maker");
            assert_eq!(t.time_ms, w["timestamp"].as_i64().unwrap());
        }
    }
}

#[test]
fn ccxt_orders_parse_to_ccxt_values() {
    let mut cases = Vec::new();
    for method in [
        "createOrder",
        "fetchOrder",
        "fetchOpenOrders",
        "fetchOrders",
    ] {
        for case in ccxt(method) {
            match (&case["httpResponse"], &case["parsedResponse"]) {
                (Value::Array(raw), Value::Array(parsed)) => {
                    cases.extend(raw.iter().cloned().zip(parsed.iter().cloned()))
                }
                (raw, parsed) => cases.push((raw.clone(), parsed.clone())),
            }
        }
    }
    assert_eq!(cases.len(), 4);
    for (raw, want) in cases {
        let w: OrderWire = serde_json::from_value(raw).unwrap();
        let r = order_report_ours(&w, &prefix()).unwrap();
        let label = r.client_id.to_string();
        assert_eq!(
            r.order_id.to_string(),
            want["id"].as_str().unwrap(),
            "{label}"
        );
        assert_eq!(
            r.client_id.as_str(),
            want["clientOrderId"].as_str().unwrap()
        );
        assert_eq!(
            r.side.as_str().to_lowercase(),
            want["side"].as_str().unwrap()
        );
        assert_eq!(r.spec.qty.get(), num(&want["amount"]), "{label}");
        assert_eq!(r.executed_qty.get(), num(&want["filled"]), "{label}");
        assert_eq!(r.cumulative_quote.get(), num(&want["cost"]), "{label}");
        assert_eq!(r.time_ms, want["timestamp"].as_i64().unwrap(), "{label}");
        assert_eq!(
            r.update_ms,
            want["lastUpdateTimestamp"].as_i64().unwrap(),
            "{label}"
        );
        let open = want["status"] == "open";
        assert_eq!(r.status.is_open(), open, "{label}");
        if r.spec.order_type != OrderType::Market {
            assert_eq!(r.spec.price.unwrap().get(), num(&want["price"]), "{label}");
        }
        assert_eq!(
            r.spec.order_type == OrderType::LimitMaker,
            want["postOnly"] == true
        );
    }
}

#[test]
fn order_rows_are_sorted_by_whose_they_are() {
    let prefix = IdPrefix::default();
    let ours = serde_json::json!({
        "symbol": "FILUSDT", "orderId": 7, "clientOrderId": "gb3-B2-1", "price": "4.10",
        "origQty": "5", "executedQty": "0", "cummulativeQuoteQty": "0", "status": "NEW",
        "timeInForce": "GTC", "type": "LIMIT", "side": "BUY", "time": 1, "updateTime": 1
    });
    assert!(matches!(order_row(&ours, &prefix), Ok(OrderRow::Ours(r)) if r.order_id == 7));
    // A pending OTO leg of someone else's: kept, opaque, with why it was not read.
    let mut leg = ours.clone();
    leg["clientOrderId"] = "oto_pending".into();
    leg["status"] = "PENDING_NEW".into();
    let Ok(OrderRow::Foreign(f)) = order_row(&leg, &prefix) else {
        panic!("a foreign leg must not fail the list");
    };
    assert_eq!((f.order_id, f.status.as_str()), (Some(7), "PENDING_NEW"));
    assert!(f.note.contains("status"), "{}", f.note);
    // Readable but not ours: foreign too.
    let mut manual = ours.clone();
    manual["clientOrderId"] = "web_123".into();
    assert!(
        matches!(order_row(&manual, &prefix), Ok(OrderRow::Foreign(f)) if f.note == "not ours")
    );
    // Anything at all that is not ours never fails.
    for odd in [
        serde_json::json!(42),
        serde_json::json!({"orderId": "x"}),
        serde_json::json!([]),
    ] {
        assert!(
            matches!(order_row(&odd, &prefix), Ok(OrderRow::Foreign(_))),
            "{odd}"
        );
    }
    // Ours, unreadable: the error (never silently dropped).
    let mut broken = leg.clone();
    broken["clientOrderId"] = "gb3-B2-2".into();
    assert_eq!(order_row(&broken, &prefix).unwrap_err().field, "status");
}
