//! `exchange-sim` over HTTP on 127.0.0.1:0: Binance's paths, JSON shapes (key sets compared
//! with `tests/fixtures/binance-docs/`), security checks, weights and limits, faults, and
//! candle stepping. Requests are signed by a minimal signer written here (the real client
//! lives elsewhere). The replay clock is manual, so every answer is repeatable.

use binance_trader::adapters::klines::Candle;
use binance_trader::adapters::sim::server::{sign, FaultConfig, SimServer, Speed};
use binance_trader::core::money::{Price, Qty};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;

mod live;
mod market;
mod standin;
mod streams;
mod ws_api;
mod ws_auth;
mod ws_faults;

const KEY: &str = "testKey0123456789";
const SECRET: &str = "testSecret";
/// A minute boundary.
const T0: i64 = 1_699_999_980_000;

fn candle(i: i64, o: &str, h: &str, l: &str, c: &str) -> Candle {
    Candle {
        open_time_ms: T0 + i * 60_000,
        open: Price::parse(o).unwrap(),
        high: Price::parse(h).unwrap(),
        low: Price::parse(l).unwrap(),
        close: Price::parse(c).unwrap(),
        volume: Qty::parse("1000").unwrap(),
        close_time_ms: T0 + i * 60_000 + 59_999,
    }
}

fn candles() -> Vec<Candle> {
    vec![
        candle(0, "4.000", "4.010", "3.990", "4.000"),
        candle(1, "4.000", "4.000", "3.790", "3.850"),
        candle(2, "3.850", "3.900", "3.840", "3.880"),
        candle(3, "3.880", "3.950", "3.870", "3.940"),
    ]
}

struct Sim {
    base: String,
    http: reqwest::Client,
    server: SimServer,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Starts the server with `weight_limit` as the REQUEST_WEIGHT per minute.
async fn spawn_with(weight_limit: u64) -> Sim {
    let cfg = crate::harness::fil_config(
        crate::harness::exchange_info_with_limits(weight_limit, None),
        candles(),
        Speed::Manual,
        "10000",
        (KEY, SECRET),
    );
    let server = SimServer::new(cfg).unwrap();
    let (base, tx) = crate::harness::serve_on_loopback(&server).await;
    Sim {
        base,
        http: reqwest::Client::new(),
        server,
        _stop: tx,
    }
}

async fn spawn() -> Sim {
    spawn_with(6000).await
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Sim {
    async fn send(&self, method: Method, path: &str, query: &str, key: Option<&str>) -> Answer {
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{query}", self.base)
        };
        let mut req = self.http.request(method, url);
        if let Some(k) = key {
            req = req.header("X-MBX-APIKEY", k);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, path: &str, query: &str) -> Answer {
        self.send(Method::GET, path, query, None).await
    }

    /// `params` + `timestamp` (server time) + HMAC `signature`, in the query string.
    fn signed_query(&self, params: &str, ts_offset: i64) -> String {
        let ts = self.server.now_ms() + ts_offset;
        let q = if params.is_empty() {
            format!("timestamp={ts}")
        } else {
            format!("{params}&timestamp={ts}")
        };
        format!("{q}&signature={}", sign(SECRET, &q))
    }

    async fn signed(&self, method: Method, path: &str, params: &str) -> Answer {
        let q = self.signed_query(params, 0);
        self.send(method, path, &q, Some(KEY)).await
    }

    /// POST with the parameters in a form body (signature over the body).
    async fn post_form(&self, path: &str, params: &str) -> Answer {
        let body = self.signed_query(params, 0);
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("X-MBX-APIKEY", KEY)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.json().await.unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn step(&self, n: usize) -> Value {
        self.http
            .post(format!("{}/sim/step?n={n}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn limit_buy(&self, id: &str, price: &str, qty: &str, resp: &str) -> Answer {
        let p = format!("symbol=FILUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity={qty}&price={price}&newClientOrderId={id}&newOrderRespType={resp}");
        self.signed(Method::POST, "/api/v3/order", &p).await
    }
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/binance-docs/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The `balances` row of `asset` in an account answer.
fn balance<'a>(account: &'a Value, asset: &str) -> &'a Value {
    account["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == asset)
        .unwrap_or_else(|| panic!("no {asset} in {account}"))
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn assert_shape(ours: &Value, fixture_name: &str) {
    let f = fixture(fixture_name);
    let f = if f.is_array() { &f[0] } else { &f };
    assert_eq!(keys(ours), keys(f), "key set of {fixture_name}");
}

fn assert_error(a: &Answer, status: u16, code: i64, msg_start: &str) {
    assert_eq!(a.status.as_u16(), status, "{}", a.body);
    assert_eq!(a.body["code"], code, "{}", a.body);
    let msg = a.body["msg"].as_str().unwrap();
    assert!(msg.starts_with(msg_start), "{msg}");
}

#[tokio::test]
async fn public_endpoints_answer_binance_shapes() {
    let sim = spawn().await;
    assert_eq!(sim.get("/api/v3/ping", "").await.body, json!({}));
    let t = sim.get("/api/v3/time", "").await.body;
    assert_shape(&t, "time");
    assert_eq!(t["serverTime"], T0);
    let info = sim.get("/api/v3/exchangeInfo", "symbol=FILUSDT").await.body;
    assert_eq!(info["symbols"].as_array().unwrap().len(), 1);
    for k in [
        "timezone",
        "serverTime",
        "rateLimits",
        "exchangeFilters",
        "symbols",
    ] {
        assert!(info.get(k).is_some(), "{k}");
    }
    let two = sim
        .get(
            "/api/v3/exchangeInfo",
            "symbols=%5B%22FILUSDT%22,%22SOLUSDC%22%5D",
        )
        .await
        .body;
    assert_eq!(two["symbols"].as_array().unwrap().len(), 2);
    let bad = sim.get("/api/v3/exchangeInfo", "symbol=NOPEUSDT").await;
    assert_error(&bad, 400, -1121, "Invalid symbol.");

    sim.step(2).await;
    let p = sim.get("/api/v3/ticker/price", "symbol=FILUSDT").await.body;
    assert_shape(&p, "ticker_price");
    assert_eq!(p["price"], "3.85000000");
    let all = sim.get("/api/v3/ticker/price", "").await.body;
    assert_eq!(
        all.as_array().unwrap().len(),
        6,
        "every symbol of exchangeInfo"
    );
    let bt = sim
        .get("/api/v3/ticker/bookTicker", "symbol=FILUSDT")
        .await
        .body;
    assert_shape(&bt, "ticker_bookTicker");
    let k = sim
        .get("/api/v3/klines", "symbol=FILUSDT&interval=1m")
        .await
        .body;
    let rows = k.as_array().unwrap();
    assert_eq!(rows.len(), 2, "only the candles replayed so far");
    assert_eq!(rows[0].as_array().unwrap().len(), 12);
    assert_eq!(rows[1][0], T0 + 60_000);
    assert_eq!(rows[1][4], "3.85000000");
    let avg = sim.get("/api/v3/avgPrice", "symbol=FILUSDT").await.body;
    assert_shape(&avg, "avgPrice");
    assert_eq!(
        avg["price"], "3.92500000",
        "volume-weighted closes 4.000 and 3.850"
    );
    let bad = sim
        .get("/api/v3/klines", "symbol=FILUSDT&interval=7m")
        .await;
    assert_error(&bad, 400, -1120, "Invalid interval.");
    assert_eq!(sim.get("/api/v3/nothing", "").await.status, 404);
}

#[tokio::test]
async fn order_lifecycle_over_http_matches_fixture_shapes() {
    let sim = spawn().await;
    let ack = sim.limit_buy("b-ack", "3.900", "10", "ACK").await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    assert_shape(&ack.body, "order_new_ACK");
    let result = sim.limit_buy("b-res", "3.800", "10", "RESULT").await.body;
    assert_shape(&result, "order_new_RESULT");
    assert_eq!(result["status"], "NEW");
    assert_eq!(result["price"], "3.80000000");
    let full = sim.limit_buy("b-full", "3.700", "10", "FULL").await.body;
    assert_shape(&full, "order_new_FULL");

    let q = sim
        .signed(
            Method::GET,
            "/api/v3/order",
            "symbol=FILUSDT&origClientOrderId=b-ack",
        )
        .await
        .body;
    assert_shape(&q, "order_query");
    assert_eq!(q["orderId"], ack.body["orderId"]);
    let by_id = sim
        .signed(
            Method::GET,
            "/api/v3/order",
            &format!("symbol=FILUSDT&orderId={}", q["orderId"]),
        )
        .await
        .body;
    assert_eq!(by_id["clientOrderId"], "b-ack");
    let open = sim
        .signed(Method::GET, "/api/v3/openOrders", "symbol=FILUSDT")
        .await
        .body;
    assert_eq!(open.as_array().unwrap().len(), 3);
    assert_shape(&open[0], "openOrders");
    let all = sim
        .signed(Method::GET, "/api/v3/allOrders", "symbol=FILUSDT&limit=2")
        .await
        .body;
    assert_shape(&all[0], "allOrders");
    let newest: Vec<&Value> = open.as_array().unwrap().iter().skip(1).collect();
    let ids = |v: &[&Value]| v.iter().map(|o| o["orderId"].clone()).collect::<Vec<_>>();
    let all_rows: Vec<&Value> = all.as_array().unwrap().iter().collect();
    assert_eq!(ids(&all_rows), ids(&newest), "limit keeps the most recent");
    let too_long = sim
        .signed(
            Method::GET,
            "/api/v3/allOrders",
            "symbol=FILUSDT&startTime=0&endTime=86400001",
        )
        .await;
    assert_error(&too_long, 400, -1127, "More than 24 hours");

    let account = sim.signed(Method::GET, "/api/v3/account", "").await.body;
    assert_shape(&account, "account");
    let usdt = balance(&account, "USDT");
    assert_eq!(usdt["locked"], "114.00000000", "39 + 38 + 37 locked");
    let fee = sim
        .signed(Method::GET, "/api/v3/account/commission", "symbol=FILUSDT")
        .await
        .body;
    assert_shape(&fee, "account_commission");
    assert_eq!(fee["standardCommission"]["maker"], "0.00100000");

    let c = sim
        .signed(
            Method::DELETE,
            "/api/v3/order",
            "symbol=FILUSDT&origClientOrderId=b-full&newClientOrderId=c-1",
        )
        .await
        .body;
    assert_shape(&c, "order_cancel");
    assert_eq!(
        (c["status"].as_str(), c["clientOrderId"].as_str()),
        (Some("CANCELED"), Some("c-1"))
    );

    let cr = sim
        .post_form(
            "/api/v3/order/cancelReplace",
            "symbol=FILUSDT&cancelReplaceMode=STOP_ON_FAILURE&cancelOrigClientOrderId=b-res&side=BUY&type=LIMIT&timeInForce=GTC&quantity=5&price=3.810&newClientOrderId=b-res2",
        )
        .await;
    assert_eq!(cr.status, 200, "{}", cr.body);
    assert_shape(&cr.body, "order_cancelReplace");
    assert_eq!(cr.body["newOrderResponse"]["clientOrderId"], "b-res2");

    let all = sim
        .signed(Method::DELETE, "/api/v3/openOrders", "symbol=FILUSDT")
        .await
        .body;
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_shape(&all[0], "order_cancel");
    let none = sim
        .signed(Method::DELETE, "/api/v3/openOrders", "symbol=FILUSDT")
        .await;
    assert_error(&none, 400, -2011, "Unknown order sent.");
}

#[tokio::test]
async fn stepping_candles_fills_a_resting_order_and_my_trades_shows_it() {
    let sim = spawn().await;
    let placed = sim.limit_buy("grid-b1", "3.900", "10", "RESULT").await.body;
    assert_eq!(placed["status"], "NEW");
    let first = sim.step(1).await;
    assert_eq!(first["trades"], 0, "candle 0 stays above 3.900");
    let second = sim.step(1).await;
    assert_eq!(second["trades"], 1);
    assert_eq!(
        second["serverTime"],
        T0 + 120_000,
        "clock at the next candle's open"
    );
    let q = sim
        .signed(
            Method::GET,
            "/api/v3/order",
            "symbol=FILUSDT&origClientOrderId=grid-b1",
        )
        .await
        .body;
    assert_eq!(
        (q["status"].as_str(), q["executedQty"].as_str()),
        (Some("FILLED"), Some("10.00000000"))
    );
    let trades = sim
        .signed(Method::GET, "/api/v3/myTrades", "symbol=FILUSDT")
        .await
        .body;
    let t = &trades[0];
    assert_shape(t, "myTrades");
    assert_eq!(t["orderId"], placed["orderId"]);
    assert_eq!(
        (t["price"].as_str(), t["qty"].as_str()),
        (Some("3.90000000"), Some("10.00000000"))
    );
    assert_eq!(
        (t["isBuyer"].as_bool(), t["isMaker"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(t["commission"], "0.01000000", "0.1 % of 10 FIL");
    let from = sim
        .signed(
            Method::GET,
            "/api/v3/myTrades",
            &format!("symbol=FILUSDT&fromId={}", t["id"].as_u64().unwrap() + 1),
        )
        .await
        .body;
    assert_eq!(from, json!([]));
    let too_many = sim
        .signed(Method::GET, "/api/v3/myTrades", "symbol=FILUSDT&limit=1001")
        .await;
    assert_eq!(too_many.body["code"], -1100);
}

#[tokio::test]
async fn security_checks_answer_binance_codes() {
    let sim = spawn().await;
    let q = "symbol=FILUSDT";
    let good = sim.signed_query(q, 0);
    let tampered = good.replace("FILUSDT", "SOLUSDC");
    let a = sim
        .send(Method::GET, "/api/v3/openOrders", &tampered, Some(KEY))
        .await;
    assert_error(&a, 400, -1022, "Signature for this request is not valid.");
    let old = sim.signed_query(&format!("{q}&recvWindow=5000"), -5001);
    let a = sim
        .send(Method::GET, "/api/v3/openOrders", &old, Some(KEY))
        .await;
    assert_error(
        &a,
        400,
        -1021,
        "Timestamp for this request is outside of the recvWindow.",
    );
    let inside = sim.signed_query(&format!("{q}&recvWindow=5000"), -5000);
    let a = sim
        .send(Method::GET, "/api/v3/openOrders", &inside, Some(KEY))
        .await;
    assert_eq!(a.status, 200, "exactly recvWindow old is accepted");
    let ahead = sim.signed_query(q, 1000);
    let a = sim
        .send(Method::GET, "/api/v3/openOrders", &ahead, Some(KEY))
        .await;
    assert_error(
        &a,
        400,
        -1021,
        "Timestamp for this request was 1000ms ahead",
    );
    let a = sim
        .send(Method::GET, "/api/v3/openOrders", &good, Some("unknownKey"))
        .await;
    assert_error(
        &a,
        401,
        -2015,
        "Invalid API-key, IP, or permissions for action.",
    );
    let a = sim
        .send(Method::GET, "/api/v3/openOrders", &good, None)
        .await;
    assert_error(&a, 401, -2014, "API-key format invalid.");
    let unsigned = sim
        .send(
            Method::GET,
            "/api/v3/openOrders",
            "symbol=FILUSDT&timestamp=1",
            Some(KEY),
        )
        .await;
    assert_error(&unsigned, 400, -1102, "Mandatory parameter 'signature'");
}

#[tokio::test]
async fn order_rejections_carry_engine_codes() {
    let sim = spawn().await;
    let missing = sim
        .signed(
            Method::POST,
            "/api/v3/order",
            "symbol=FILUSDT&side=BUY&type=LIMIT&timeInForce=GTC&price=3.9",
        )
        .await;
    assert_error(
        &missing,
        400,
        -1102,
        "Mandatory parameter 'quantity' was not sent",
    );
    let malformed = sim.limit_buy("x", "3.9", "1e3", "ACK").await;
    assert_error(
        &malformed,
        400,
        -1100,
        "Illegal characters found in parameter 'quantity'",
    );
    let tick = sim.limit_buy("x", "3.9001", "10", "ACK").await;
    assert_error(&tick, 400, -1013, "Filter failure: PRICE_FILTER");
    let broke = sim.limit_buy("x", "3.900", "100000", "ACK").await;
    assert_error(
        &broke,
        400,
        -2010,
        "Account has insufficient balance for requested action.",
    );
    let unknown = sim
        .signed(
            Method::GET,
            "/api/v3/order",
            "symbol=FILUSDT&origClientOrderId=never",
        )
        .await;
    assert_error(&unknown, 400, -2013, "Order does not exist.");
    let cancel = sim
        .signed(
            Method::DELETE,
            "/api/v3/order",
            "symbol=FILUSDT&orderId=999",
        )
        .await;
    assert_error(&cancel, 400, -2011, "Unknown order sent.");
    let neither = sim
        .signed(Method::DELETE, "/api/v3/order", "symbol=FILUSDT")
        .await;
    assert_error(
        &neither,
        400,
        -1102,
        "Param 'origClientOrderId' or 'orderId' must be sent",
    );
    let cr = sim
        .signed(
            Method::POST,
            "/api/v3/order/cancelReplace",
            "symbol=FILUSDT&cancelReplaceMode=STOP_ON_FAILURE&cancelOrderId=999&side=BUY&type=LIMIT&timeInForce=GTC&quantity=5&price=3.810",
        )
        .await;
    assert_error(&cr, 409, -2022, "Order cancel-replace failed.");
    assert_eq!(keys(&cr.body), keys(&fixture("order_cancelReplace_2")));
    assert_eq!(cr.body["data"], fixture("order_cancelReplace_2")["data"]);
}

#[tokio::test]
async fn weight_headers_count_up_and_429_then_418() {
    let sim = spawn_with(10).await;
    let w = |a: &Answer| {
        a.headers["x-mbx-used-weight-1m"]
            .to_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(w(&sim.get("/api/v3/ping", "").await), "1");
    assert_eq!(
        w(&sim.get("/api/v3/ticker/price", "symbol=FILUSDT").await),
        "3"
    );
    for _ in 0..7 {
        assert_eq!(sim.get("/api/v3/ping", "").await.status, 200);
    }
    let limited = sim.get("/api/v3/ping", "").await;
    assert_error(
        &limited,
        429,
        -1003,
        "Too much request weight used; current limit is 10",
    );
    assert_eq!(
        limited.headers["retry-after"], "60",
        "frozen clock at a minute start"
    );
    let banned = sim.get("/api/v3/ping", "").await;
    assert_error(
        &banned,
        418,
        -1003,
        "Way too much request weight used; IP banned until",
    );
    assert!(banned.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn order_requests_show_order_count_headers_and_are_free_when_they_succeed() {
    let sim = spawn().await;
    let a = sim.limit_buy("h-1", "3.900", "10", "ACK").await;
    assert_eq!(a.headers["x-mbx-order-count-10s"], "1");
    assert_eq!(a.headers["x-mbx-order-count-1d"], "1");
    assert_eq!(a.headers["x-mbx-used-weight-1m"], "0");
    let failed = sim.limit_buy("h-2", "3.9001", "10", "ACK").await;
    assert_eq!(failed.headers["x-mbx-used-weight-1m"], "1");
}

#[tokio::test]
async fn dropped_response_after_execution_leaves_the_order_in_place() {
    let sim = spawn().await;
    let set = sim
        .http
        .post(format!("{}/sim/faults", sim.base))
        .json(&json!({"drop_after": {"next": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 204);
    let q = sim.signed_query(
        "symbol=FILUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=10&price=3.900&newClientOrderId=lost-1",
        0,
    );
    let sent = sim
        .http
        .post(format!("{}/api/v3/order?{q}", sim.base))
        .header("X-MBX-APIKEY", KEY)
        .send()
        .await;
    let got_answer = match sent {
        Ok(resp) => resp.bytes().await.is_ok(),
        Err(_) => false,
    };
    assert!(!got_answer, "the client must not see a complete answer");
    let found = sim
        .signed(
            Method::GET,
            "/api/v3/order",
            "symbol=FILUSDT&origClientOrderId=lost-1",
        )
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.body["status"], "NEW");
}

#[tokio::test]
async fn error_after_execution_is_503_1007_and_skew_moves_server_time() {
    let sim = spawn().await;
    sim.server.set_faults(FaultConfig {
        error_after: binance_trader::adapters::sim::server::FaultRate {
            next: 1,
            per_mille: 0,
        },
        clock_skew_ms: 2500,
        ..FaultConfig::default()
    });
    let a = sim.limit_buy("e-1", "3.900", "10", "ACK").await;
    assert_error(
        &a,
        503,
        -1007,
        "Timeout waiting for response from backend server.",
    );
    let found = sim
        .signed(
            Method::GET,
            "/api/v3/order",
            "symbol=FILUSDT&origClientOrderId=e-1",
        )
        .await;
    assert_eq!(found.body["status"], "NEW", "executed despite the 5xx");
    assert_eq!(
        sim.get("/api/v3/time", "").await.body["serverTime"],
        T0 + 2500
    );
}

#[tokio::test]
async fn lagging_store_hides_a_young_order_from_client_id_lookups_and_all_orders_only() {
    let sim = spawn().await;
    let set = sim
        .http
        .post(format!("{}/sim/faults", sim.base))
        .json(&json!({"lookup_lag_ms": 180_000}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 204);
    let placed = sim.limit_buy("lag-1", "3.900", "10", "RESULT").await.body;
    let order_id = placed["orderId"].as_u64().unwrap();
    let by_client = "symbol=FILUSDT&origClientOrderId=lag-1";
    let by_id = format!("symbol=FILUSDT&orderId={order_id}");
    let lookup = sim.signed(Method::GET, "/api/v3/order", by_client).await;
    assert_error(&lookup, 400, -2013, "Order does not exist.");
    let all = sim.signed(Method::GET, "/api/v3/allOrders", "symbol=FILUSDT");
    assert_eq!(all.await.body, json!([]));
    let open = sim.signed(Method::GET, "/api/v3/openOrders", "symbol=FILUSDT");
    assert_eq!(open.await.body[0]["orderId"], order_id, "on the book");
    sim.step(2).await;
    let lookup = sim.signed(Method::GET, "/api/v3/order", by_client).await;
    assert_error(&lookup, 400, -2013, "Order does not exist.");
    let found = sim.signed(Method::GET, "/api/v3/order", &by_id).await;
    assert_eq!(found.body["status"], "FILLED", "filled during the lag");
    let trades = sim.signed(Method::GET, "/api/v3/myTrades", "symbol=FILUSDT");
    assert_eq!(trades.await.body[0]["orderId"], order_id);
    sim.step(1).await;
    let lookup = sim.signed(Method::GET, "/api/v3/order", by_client).await;
    assert_eq!(lookup.body["status"], "FILLED", "stored once 180 s old");
    let all = sim.signed(Method::GET, "/api/v3/allOrders", "symbol=FILUSDT");
    assert_eq!(all.await.body[0]["orderId"], order_id);
}
