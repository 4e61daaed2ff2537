//! Every response the client parses, and every error answer it classifies, under arbitrary
//! and mutated bodies: a result or a clear error, never a panic (see `crate::fuzzing`).

use super::{core_rules, decode};
use crate::adapters::binance::error::{api_error, banned_until_ms, classify, reject_reason};
use crate::adapters::binance::parse;
use crate::adapters::binance::rate_limit::LimitSpec;
use crate::adapters::binance::transport::HttpResponse;
use crate::adapters::binance::wire;
use crate::core::client_id::IdPrefix;
use crate::core::order::Slot;
use crate::core::symbol::Symbol;
use crate::fuzzing::{assert_clear, config, input, repo_file};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn seeds() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/binance-docs");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    let mut seeds: Vec<Vec<u8>> = names
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .filter(|b| b.len() < 64 * 1024)
        .collect();
    let ccxt: Value = serde_json::from_slice(&repo_file(
        "tests/fixtures/ccxt/binance_spot_response_fixtures.json",
    ))
    .unwrap();
    for cases in ccxt["methods"].as_object().unwrap().values() {
        for case in cases.as_array().unwrap() {
            seeds.push(serde_json::to_vec(&case["httpResponse"]).unwrap());
        }
    }
    seeds.push(repo_file("data/exchange_info.json"));
    seeds
}

/// Decodes like the client; an error must say something.
fn read<W: DeserializeOwned>(resp: &HttpResponse) -> Option<W> {
    decode::<W>(resp, "/fuzz")
        .map_err(|e| assert_clear(&e))
        .ok()
}

fn ok_or_clear<T, E: std::fmt::Display>(r: Result<T, E>) {
    if let Err(e) = r {
        assert_clear(&e);
    }
}

/// Every parser the client runs on a 2xx body.
fn parse_everything(body: &str) {
    let resp = HttpResponse::new(200, body);
    let prefix = IdPrefix::default();
    let symbol = Symbol::parse("BTCUSDT").unwrap();
    read::<wire::ServerTime>(&resp);
    if let Some(limits) = read::<wire::ExchangeInfoLimits>(&resp) {
        for l in &limits.rate_limits {
            let _ = LimitSpec::from_wire(l);
        }
    }
    ok_or_clear(core_rules(body, &symbol));
    ok_or_clear(crate::core::filters::parse::exchange_info(body));
    if let Some(w) = read::<wire::TickerPrice>(&resp) {
        ok_or_clear(parse::ticker_price(&w));
    }
    if let Some(w) = read::<wire::BookTickerWire>(&resp) {
        ok_or_clear(parse::book_ticker(&w));
    }
    if let Some(rows) = read::<Vec<wire::Kline>>(&resp) {
        rows.iter().for_each(|k| ok_or_clear(parse::candle(k)));
    }
    if let Some(w) = read::<wire::AccountWire>(&resp) {
        ok_or_clear(parse::account(&w));
    }
    read::<wire::AccountCommission>(&resp);
    read::<wire::OrderAck>(&resp);
    if let Some(w) = read::<wire::OrderWire>(&resp) {
        ok_or_clear(parse::order_report(&w, Slot::Buy(1)));
        ok_or_clear(parse::order_report_ours(&w, &prefix));
        ok_or_clear(parse::fills(&w, Slot::Exit));
    }
    if let Some(rows) = read::<Vec<Value>>(&resp) {
        rows.iter()
            .for_each(|r| ok_or_clear(parse::order_row(r, &prefix)));
    }
    if let Some(items) = read::<Vec<wire::CancelAllItem>>(&resp) {
        for item in &items {
            match item {
                wire::CancelAllItem::Order(w) => ok_or_clear(parse::order_report_ours(w, &prefix)),
                wire::CancelAllItem::List(l) => l
                    .order_reports
                    .iter()
                    .for_each(|w| ok_or_clear(parse::order_report_ours(w, &prefix))),
            }
        }
    }
    read::<wire::CancelReplaceData>(&resp);
    ok_or_clear(serde_json::from_str::<wire::CancelReplaceFailure>(body));
    if let Some(rows) = read::<Vec<wire::MyTrade>>(&resp) {
        rows.iter().for_each(|t| ok_or_clear(parse::trade(t)));
    }
}

/// Every way the client reads a non-2xx answer.
fn classify_everything(body: &str, retry_after: &str) {
    for status in [400, 401, 403, 404, 408, 409, 418, 429, 499, 500, 503, 504] {
        let resp = HttpResponse::new(status, body).with_header("Retry-After", retry_after);
        let _ = classify(&resp, 1_700_000_000_000);
        let _ = classify(&HttpResponse::new(status, body), i64::MIN);
        let _ = classify(&HttpResponse::new(status, body), i64::MAX);
    }
    if let Some(api) = api_error(body) {
        let _ = reject_reason(&api);
        let _ = api.filter_failure();
        let _ = api.is_insufficient_balance();
    }
    let _ = banned_until_ms(body);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_exchange_responses(bytes in input(seeds())) {
        let body = String::from_utf8_lossy(&bytes);
        parse_everything(&body);
        let retry: String = body.chars().take(24).collect();
        classify_everything(&body, &retry);
    }
}
