//! Payloads as `user-data-stream.md` and `web-socket-streams.md` document them.

use super::*;
use crate::core::order::{OrderStatus, Side, Slot};
use serde_json::json;

fn prefix() -> IdPrefix {
    IdPrefix::default()
}

fn execution(x: &str, status: &str, trade: i64) -> Value {
    json!({"subscriptionId": 0, "event": {
        "e": "executionReport", "E": 1_499_405_658_658_i64, "s": "FILUSDT",
        "c": "foreign1", "S": "BUY", "o": "LIMIT", "f": "GTC", "q": "10.00", "p": "4.000",
        "P": "0.000", "F": "0.00", "g": -1, "C": "", "x": x, "X": status, "r": "NONE",
        "i": 4293153_u64, "l": "4.00", "z": "4.00", "L": "3.990", "n": "0.004",
        "N": "FIL", "T": 1_499_405_658_657_i64, "t": trade, "v": 3, "I": 8641984,
        "w": true, "m": true, "M": false, "O": 1_499_405_658_000_i64, "Z": "15.960",
        "Y": "15.960", "Q": "0.0", "W": 1_499_405_658_000_i64, "V": "NONE"}})
}

#[test]
fn a_trade_report_carries_the_order_and_the_trade() {
    let f = frame(
        &execution("TRADE", "PARTIALLY_FILLED", 77).to_string(),
        &prefix(),
    )
    .unwrap();
    let Frame::Event(ExchangeEvent::Order(u)) = f else {
        panic!("{f:?}")
    };
    assert_eq!(u.report.order_id, 4293153);
    assert_eq!(u.report.status, OrderStatus::PartiallyFilled);
    assert_eq!(u.report.executed_qty.to_string(), "4.00");
    assert_eq!(u.report.spec.slot, Slot::Buy(u16::MAX), "foreign client id");
    let t = u.trade.unwrap();
    assert_eq!((t.trade_id, t.order_id, t.side), (77, 4293153, Side::Buy));
    assert_eq!(t.price.to_string(), "3.990");
    assert_eq!(t.commission_asset.as_str(), "FIL");
    assert!(t.is_maker);
}

#[test]
fn a_new_or_cancel_report_has_no_trade_and_a_cancel_names_the_order() {
    let mut v = execution("CANCELED", "CANCELED", -1);
    v["event"]["c"] = "cancelReq".into();
    v["event"]["C"] = "origOrder".into();
    v["event"]["N"] = Value::Null;
    let Frame::Event(ExchangeEvent::Order(u)) = frame(&v.to_string(), &prefix()).unwrap() else {
        panic!()
    };
    assert!(u.trade.is_none());
    assert_eq!(u.report.client_id.as_str(), "origOrder");
    assert_eq!(u.report.status, OrderStatus::Canceled);
}

#[test]
fn balances_lists_and_connection_events_are_read() {
    let pos = json!({"subscriptionId": 0, "event": {"e": "outboundAccountPosition",
        "E": 1, "u": 1, "B": [{"a": "ETH", "f": "10000.000000", "l": "0.000000"}]}});
    let Frame::Event(ExchangeEvent::Balances { balances, .. }) =
        frame(&pos.to_string(), &prefix()).unwrap()
    else {
        panic!()
    };
    assert_eq!(balances[0].asset.as_str(), "ETH");
    let delta =
        json!({"event": {"e": "balanceUpdate", "E": 2, "a": "BTC", "d": "-100.00", "T": 3}});
    assert!(matches!(
        frame(&delta.to_string(), &prefix()).unwrap(),
        Frame::Event(ExchangeEvent::BalanceDelta { delta, .. }) if delta.to_string() == "-100.00"
    ));
    let list = json!({"event": {"e": "listStatus", "E": 1, "s": "ETHBTC", "g": 2, "c": "OCO",
        "l": "EXEC_STARTED", "L": "EXECUTING", "r": "NONE", "C": "x", "T": 1, "O": []}});
    assert!(matches!(
        frame(&list.to_string(), &prefix()).unwrap(),
        Frame::Event(ExchangeEvent::OrderList { list_id: 2, .. })
    ));
    let end = json!({"subscriptionId": 0, "event": {"e": "eventStreamTerminated", "E": 1}});
    assert_eq!(
        frame(&end.to_string(), &prefix()).unwrap(),
        Frame::Terminated
    );
    let shutdown = json!({"event": {"e": "serverShutdown", "E": 1}});
    assert_eq!(
        frame(&shutdown.to_string(), &prefix()).unwrap(),
        Frame::ServerShutdown
    );
    let answer = json!({"id": "bt-1", "status": 200, "result": {}});
    assert!(matches!(
        frame(&answer.to_string(), &prefix()).unwrap(),
        Frame::Response(_)
    ));
}

#[test]
fn market_streams_give_book_tickers_and_closed_candles_only() {
    let book = json!({"stream": "filusdt@bookTicker", "data": {"u": 400900217, "s": "FILUSDT",
        "b": "4.001", "B": "31.2", "a": "4.002", "A": "40.6"}});
    let Frame::Event(ExchangeEvent::Price(p)) = frame(&book.to_string(), &prefix()).unwrap() else {
        panic!()
    };
    assert_eq!(p.price(), Price::parse("4.0015").unwrap(), "the mid");
    let kline = |closed: bool| {
        json!({"stream": "filusdt@kline_1m", "data": {"e": "kline",
        "E": 1, "s": "FILUSDT", "k": {"t": 60000, "T": 119999, "s": "FILUSDT", "i": "1m",
        "o": "4.0", "c": "4.1", "h": "4.2", "l": "3.9", "v": "1", "x": closed}}})
    };
    assert_eq!(
        frame(&kline(false).to_string(), &prefix()).unwrap(),
        Frame::Ignored
    );
    let Frame::Event(ExchangeEvent::Price(PriceUpdate::KlineClosed { symbol, candle })) =
        frame(&kline(true).to_string(), &prefix()).unwrap()
    else {
        panic!("a closed 1m kline is an event")
    };
    let p = |s: &str| Price::parse(s).unwrap();
    assert_eq!(symbol.as_str(), "FILUSDT");
    assert_eq!(
        candle,
        crate::core::candle::Candle {
            open_time_ms: 60000,
            open: p("4.0"),
            high: p("4.2"),
            low: p("3.9"),
            close: p("4.1"),
            volume: crate::core::money::Qty::parse("1").unwrap(),
            close_time_ms: 119999,
        },
        "the whole candle, as a klines row gives it"
    );
    let mut five = kline(true);
    five["stream"] = "filusdt@kline_5m".into();
    five["data"]["k"]["i"] = "5m".into();
    assert_eq!(
        frame(&five.to_string(), &prefix()).unwrap(),
        Frame::Ignored,
        "the candle feed keeps one-minute candles only"
    );
}

#[test]
fn a_broken_field_is_an_error_naming_it() {
    let mut v = execution("TRADE", "FILLED", 1);
    v["event"]["L"] = "abc".into();
    let e = frame(&v.to_string(), &prefix()).unwrap_err();
    assert!(e.to_string().contains("`L`"), "{e}");
}
