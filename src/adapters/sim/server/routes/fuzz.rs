//! The exchange server's request parsing under arbitrary and mutated input: the parameter
//! parser and signature check on raw query strings, then every endpoint with mutated
//! parameters behind a valid signature (so the handlers, not only the signature check, see
//! them). A result or a Binance error, never a panic (see `crate::fuzzing`).

use super::super::auth::{check_signed, sign, ApiCredential, Auth, Keys};
use super::super::params::Params;
use super::super::{SimServer, SimServerConfig, Speed};
use super::{endpoint, render};
use crate::adapters::klines::Candle;
use crate::core::money::{Amount, Price, Qty};
use crate::core::symbol::{Asset, Symbol};
use crate::fuzzing::{config, input, repo_file};
use axum::http::Method;
use proptest::prelude::*;
use proptest::sample::Index;
use rust_decimal::Decimal;
use std::cell::RefCell;

const KEY: &str = "fuzzKey0123456789";
const SECRET: &str = "fuzzSecret";
const T0: i64 = 1_700_000_040_000;

/// Every endpoint with a request that works.
const REQUESTS: &[(&str, &str, &str)] = &[
    ("GET", "/api/v3/ping", ""),
    ("GET", "/api/v3/time", ""),
    ("GET", "/api/v3/exchangeInfo", "symbol=FILUSDT"),
    ("GET", "/api/v3/exchangeInfo", "symbols=%5B%22FILUSDT%22%5D"),
    ("GET", "/api/v3/ticker/price", "symbol=FILUSDT"),
    ("GET", "/api/v3/ticker/bookTicker", "symbol=FILUSDT"),
    ("GET", "/api/v3/klines", "symbol=FILUSDT&interval=1m&limit=5&startTime=1700000000000"),
    ("GET", "/api/v3/avgPrice", "symbol=FILUSDT"),
    ("GET", "/api/v3/account", "omitZeroBalances=true"),
    ("GET", "/api/v3/account/commission", "symbol=FILUSDT"),
    ("GET", "/api/v3/openOrders", "symbol=FILUSDT"),
    ("GET", "/api/v3/order", "symbol=FILUSDT&origClientOrderId=gb1-B1-1"),
    ("GET", "/api/v3/order", "symbol=FILUSDT&orderId=1"),
    ("GET", "/api/v3/allOrders", "symbol=FILUSDT&startTime=1700000000000&endTime=1700000100000&limit=1000"),
    ("GET", "/api/v3/myTrades", "symbol=FILUSDT&fromId=0&limit=1000"),
    ("POST", "/api/v3/order", "symbol=FILUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=10.00&price=3.900&newClientOrderId=gb1-B1-1&newOrderRespType=RESULT"),
    ("POST", "/api/v3/order", "symbol=FILUSDT&side=SELL&type=TAKE_PROFIT_LIMIT&timeInForce=GTC&quantity=1.00&price=4.500&stopPrice=4.400&trailingDelta=100&newOrderRespType=FULL"),
    ("POST", "/api/v3/order", "symbol=FILUSDT&side=BUY&type=MARKET&quoteOrderQty=20"),
    ("POST", "/api/v3/order", "symbol=FILUSDT&side=SELL&type=LIMIT_MAKER&quantity=1.00&price=4.100"),
    ("DELETE", "/api/v3/order", "symbol=FILUSDT&origClientOrderId=gb1-B1-1"),
    ("DELETE", "/api/v3/openOrders", "symbol=FILUSDT"),
    ("POST", "/api/v3/order/cancelReplace", "symbol=FILUSDT&side=BUY&type=LIMIT&cancelReplaceMode=STOP_ON_FAILURE&cancelOrigClientOrderId=gb1-B1-1&timeInForce=GTC&quantity=10.00&price=3.800&newClientOrderId=gb1-B1-2"),
];

/// Values that break parameter readers.
const VALUES: &[&str] = &[
    "",
    "-1",
    "0",
    "1e400",
    "NaN",
    "-0",
    "0.0000000000000000000000000001",
    "79228162514264337593543950336",
    "18446744073709551616",
    "%FF",
    "%",
    "%zz",
    "+",
    "%2B",
    "BUY",
    "SELL",
    "LIMIT",
    "MARKET",
    "LIMIT_MAKER",
    "STOP_LOSS",
    "TAKE_PROFIT_LIMIT",
    "IOC",
    "FOK",
    "GTC",
    "ACK",
    "FULL",
    "ALLOW_FAILURE",
    "FILUSDT",
    "BTCUSDT",
    "fil",
    "é",
    "a%00b",
    "[]",
    "%5B%5D",
    "1.",
    ".5",
    " 1",
    "60001",
    "4.0000000001",
    "9999999999999",
];

fn server() -> SimServer {
    let text = String::from_utf8(repo_file("data/exchange_info.json")).unwrap();
    let mut info: serde_json::Value = serde_json::from_str(&text).unwrap();
    for rl in info["rateLimits"].as_array_mut().unwrap() {
        rl["limit"] = 1_000_000_000_000u64.into();
    }
    let price = |d: i64| Price::new(Decimal::new(d, 3));
    let candles = (0..3)
        .map(|i| Candle {
            open_time_ms: T0 + i * 60_000,
            open: price(4_000),
            high: price(4_100),
            low: price(3_900),
            close: price(4_000),
            volume: Qty::new(Decimal::from(1_000_000)),
            close_time_ms: T0 + i * 60_000 + 59_999,
        })
        .collect();
    SimServer::new(SimServerConfig {
        exchange_info_json: info.to_string(),
        markets: vec![(Symbol::parse("FILUSDT").unwrap(), candles)],
        balances: vec![
            (
                Asset::parse("USDT").unwrap(),
                Amount::parse("1000000").unwrap(),
            ),
            (
                Asset::parse("FIL").unwrap(),
                Amount::parse("1000000").unwrap(),
            ),
        ],
        speed: Speed::Manual,
        credentials: vec![ApiCredential {
            key: KEY.into(),
            secret: SECRET.to_string().into(),
        }],
        faults: Default::default(),
        start_ms: T0,
    })
    .unwrap()
}

thread_local! {
    /// One server per thread, rebuilt every 5000 requests so its books stay small.
    static SERVER: RefCell<(u32, Option<SimServer>)> = const { RefCell::new((0, None)) };
}

fn with_server(f: impl FnOnce(&SimServer)) {
    SERVER.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.1.is_none() || cell.0 >= 5_000 {
            let s = server();
            s.step(1);
            *cell = (0, Some(s));
        }
        cell.0 += 1;
        f(cell.1.as_ref().expect("built above"));
    });
}

/// `query` with the value of its `n`-th parameter replaced, or a parameter dropped, or one
/// added twice.
fn edit_params(query: &str, what: u8, n: &Index, v: &Index) -> String {
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect();
    if pairs.is_empty() {
        pairs.push(format!("symbol={}", VALUES[v.index(VALUES.len())]));
        return pairs.join("&");
    }
    let i = n.index(pairs.len());
    let key = pairs[i].split('=').next().unwrap_or("").to_string();
    match what % 4 {
        0 => pairs[i] = format!("{key}={}", VALUES[v.index(VALUES.len())]),
        1 => {
            pairs.remove(i);
        }
        2 => pairs.push(pairs[i].clone()),
        _ => pairs.push(format!("recvWindow={}", VALUES[v.index(VALUES.len())])),
    }
    pairs.join("&")
}

fn seeds() -> Vec<Vec<u8>> {
    REQUESTS
        .iter()
        .map(|(_, _, q)| {
            let signed = format!("{q}&recvWindow=5000&timestamp={T0}");
            let signature = sign(SECRET, &signed);
            format!("{signed}&signature={signature}").into_bytes()
        })
        .collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_request_params_and_signature(
        query in input(seeds()),
        body in input(vec![Vec::new(), b"symbol=FILUSDT&side=BUY".to_vec()]),
        key in prop_oneof![Just(Some(KEY.to_string())), Just(None), "[ -~]{0,20}".prop_map(Some)],
    ) {
        let query = String::from_utf8_lossy(&query);
        let body = String::from_utf8_lossy(&body);
        let credentials = Keys { hmac: vec![ApiCredential { key: KEY.into(), secret: SECRET.to_string().into() }], public: Vec::new() };
        if let Ok(params) = Params::parse(&query, &body) {
            let _ = check_signed(&credentials, Auth::Request(key.as_deref()), &query, &body, &params, T0);
            let _ = check_signed(&credentials, Auth::Request(key.as_deref()), &query, &body, &params, i64::MAX);
            let _ = check_signed(&credentials, Auth::Request(key.as_deref()), &query, &body, &params, i64::MIN);
        }
    }

    #[test]
    fn fuzz_every_endpoint_behind_a_valid_signature(
        which in any::<Index>(),
        edits in proptest::collection::vec((any::<u8>(), any::<Index>(), any::<Index>()), 0..4),
        bytes in proptest::collection::vec(any::<u8>(), 0..3),
        signed in prop::bool::weighted(0.9),
    ) {
        let (method, path, base) = REQUESTS[which.index(REQUESTS.len())];
        let mut query = base.to_string();
        for (what, n, v) in &edits {
            query = edit_params(&query, *what, n, v);
        }
        if !bytes.is_empty() {
            // A raw byte or two, percent-encoded as a client would send it.
            let enc: String = bytes.iter().map(|b| format!("%{b:02X}")).collect();
            query.push_str(&format!("&newClientOrderId={enc}"));
        }
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let ep = endpoint(&method, path).expect("listed endpoint");
        with_server(|s| {
            let now = s.now_ms();
            let query = if signed && matches!(ep.security, super::Security::Signed) {
                let q = format!("{query}&timestamp={now}");
                let signature = sign(SECRET, &q);
                format!("{q}&signature={signature}")
            } else {
                query.clone()
            };
            let out = s.handle(&ep, &query, "", Auth::Request(Some(KEY)));
            let _ = render(out);
        });
    }
}

/// Found by `fuzz_request_params_and_signature`: `now − timestamp` overflowed.
#[test]
fn an_extreme_timestamp_is_refused_not_a_panic() {
    let credentials = Keys {
        hmac: vec![ApiCredential {
            key: KEY.into(),
            secret: SECRET.to_string().into(),
        }],
        public: Vec::new(),
    };
    for ts in [i64::MIN, i64::MAX] {
        let q = format!("symbol=FILUSDT&timestamp={ts}");
        let query = format!("{q}&signature={}", sign(SECRET, &q));
        let params = Params::parse(&query, "").unwrap();
        let err = check_signed(
            &credentials,
            Auth::Request(Some(KEY)),
            &query,
            "",
            &params,
            T0,
        )
        .unwrap_err();
        assert_eq!(err.body()["code"], -1021, "{ts}");
    }
}
