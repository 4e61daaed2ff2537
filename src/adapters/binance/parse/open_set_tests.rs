//! Binance's open sets (2025–2026): self-trade-prevention modes, `EXPIRED_IN_MATCH`, and
//! `expiryReason` read without failing on values added later.

use super::*;
use serde_json::{json, Value};

fn query_with(edit: impl FnOnce(&mut Value)) -> wire::OrderWire {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/binance-docs/order_query.json"
    ))
    .unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    edit(&mut v);
    serde_json::from_value(v).unwrap()
}

#[test]
fn every_stp_mode_and_an_unknown_one_parse() {
    for mode in [
        "NONE",
        "EXPIRE_TAKER",
        "EXPIRE_MAKER",
        "EXPIRE_BOTH",
        "DECREMENT",
        "TRANSFER",
        "A_MODE_BINANCE_ADDS_IN_2027",
    ] {
        let w = query_with(|v| v["selfTradePreventionMode"] = json!(mode));
        assert_eq!(w.self_trade_prevention_mode.as_deref(), Some(mode));
        let r = order_report(&w, Slot::Buy(1)).unwrap();
        assert_eq!(r.status, OrderStatus::New, "{mode}");
    }
}

#[test]
fn expired_in_match_and_expiry_reasons_are_read() {
    let w = query_with(|v| {
        v["status"] = json!("EXPIRED_IN_MATCH");
        v["selfTradePreventionMode"] = json!("DECREMENT");
    });
    let r = order_report(&w, Slot::Buy(1)).unwrap();
    assert_eq!(r.status, OrderStatus::ExpiredInMatch);
    assert_eq!(r.expiry_reason, None);
    let w = query_with(|v| {
        v["status"] = json!("EXPIRED");
        v["expiryReason"] = json!("EXECUTION_RULE_PRICE_RANGE_EXCEEDED");
    });
    let r = order_report(&w, Slot::Buy(1)).unwrap();
    assert_eq!(r.status, OrderStatus::Expired);
    assert!(r.expiry_reason.as_ref().unwrap().is_price_range());
    let w = query_with(|v| {
        v["status"] = json!("EXPIRED");
        v["expiryReason"] = json!("A_REASON_BINANCE_ADDS_LATER");
    });
    let r = order_report(&w, Slot::Buy(1)).unwrap();
    assert_eq!(
        r.expiry_reason.map(|e| e.as_str().to_string()).as_deref(),
        Some("A_REASON_BINANCE_ADDS_LATER")
    );
    let none = query_with(|v| v["expiryReason"] = json!("NONE"));
    assert_eq!(
        order_report(&none, Slot::Buy(1)).unwrap().expiry_reason,
        None
    );
}
