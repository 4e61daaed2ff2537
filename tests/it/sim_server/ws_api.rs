//! Binance's WebSocket API on `/ws-api/v3` with a plain WebSocket client (tokio-tungstenite):
//! request/response frames, signed `order.place` / `order.cancel`, and the User Data Stream
//! subscription (`userDataStream.subscribe.signature`) delivering `executionReport` and
//! `outboundAccountPosition` for orders placed over REST and over WebSocket and for fills
//! caused by candles. Manual replay clock: the server moves only when the test steps it.

use super::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket API connection that keeps every frame it read, in order.
pub(super) struct WsApi {
    pub(super) socket: Socket,
    pub(super) seen: Vec<Value>,
    next_id: u64,
}

impl WsApi {
    pub(super) async fn connect(sim: &Sim) -> Self {
        let url = format!("{}/ws-api/v3", sim.base.replace("http://", "ws://"));
        let (socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Self {
            socket,
            seen: Vec::new(),
            next_id: 0,
        }
    }

    /// The first frame (already read or next) that `pred` accepts; removes it from `seen`.
    /// The 10 s bound only keeps a broken server from hanging the test.
    pub(super) async fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            if let Some(i) = self.seen.iter().position(&pred) {
                return self.seen.remove(i);
            }
            let frame =
                tokio::time::timeout(std::time::Duration::from_secs(10), self.socket.next())
                    .await
                    .unwrap_or_else(|_| panic!("no frame for {what}; seen: {:#?}", self.seen))
                    .expect("connection open")
                    .unwrap();
            if let Message::Text(t) = frame {
                self.seen.push(serde_json::from_str(t.as_str()).unwrap());
            }
        }
    }

    /// Sends `method` with `params` and returns its response (matched by id).
    pub(super) async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = format!("req-{}", self.next_id);
        let req = json!({"id": id, "method": method, "params": params});
        self.socket
            .send(Message::Text(req.to_string().into()))
            .await
            .unwrap();
        self.wait_for(method, |v| v["id"] == id.as_str()).await
    }

    /// Like `call`, with `apiKey`, `timestamp` and the HMAC `signature` over the parameters
    /// sorted by name (Binance's WebSocket signing rule).
    pub(super) async fn signed(&mut self, sim: &Sim, method: &str, params: Value) -> Value {
        let mut p = params.as_object().unwrap().clone();
        p.insert("apiKey".into(), KEY.into());
        p.insert("timestamp".into(), sim.server.now_ms().into());
        let mut pairs: Vec<(String, String)> = p
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map_or(v.to_string(), str::to_string)))
            .collect();
        pairs.sort();
        let payload = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        p.insert("signature".into(), sign(SECRET, &payload).into());
        self.call(method, Value::Object(p)).await
    }

    /// The next event of `kind` for subscription `sub` matching `pred`.
    pub(super) async fn event(
        &mut self,
        sub: u64,
        kind: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let e = self
            .wait_for(kind, |v| {
                v["subscriptionId"] == sub && v["event"]["e"] == kind && pred(&v["event"])
            })
            .await;
        e["event"].clone()
    }
}

pub(super) fn position<'a>(event: &'a Value, asset: &str) -> &'a Value {
    event["B"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["a"] == asset)
        .unwrap_or_else(|| panic!("{asset} not in {event}"))
}

#[tokio::test]
async fn requests_answer_in_binance_frames() {
    let sim = spawn().await;
    let mut ws = WsApi::connect(&sim).await;
    let ping = ws.call("ping", json!({})).await;
    assert_eq!(
        (&ping["id"], &ping["status"], &ping["result"]),
        (&json!("req-1"), &json!(200), &json!({}))
    );
    assert_eq!(
        ping["rateLimits"],
        json!([{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                "limit": 6000, "count": 1}]),
        "the ping's weight, counted with REST's"
    );
    let time = ws.call("v3/time", json!({})).await;
    assert_eq!(time["result"]["serverTime"], sim.server.now_ms());
    let unknown = ws.call("order.amend", json!({})).await;
    assert_eq!(unknown["status"], 400);
    assert_eq!(unknown["error"]["code"], -1020);
    let unsigned = ws
        .call("order.place", json!({"symbol": "FILUSDT", "apiKey": KEY}))
        .await;
    assert_eq!(unsigned["status"], 400, "{unsigned}");
    assert_eq!(unsigned["error"]["code"], -1102);
    let no_key = ws
        .call(
            "userDataStream.subscribe.signature",
            json!({"timestamp": 1, "signature": "00"}),
        )
        .await;
    assert_eq!(
        (no_key["status"].clone(), no_key["error"]["code"].clone()),
        (json!(401), json!(-2014))
    );
    let mut forged = ws
        .signed(&sim, "userDataStream.subscribe.signature", json!({}))
        .await;
    assert_eq!(forged["result"]["subscriptionId"], 0, "{forged}");
    forged = ws
        .call(
            "userDataStream.subscribe.signature",
            json!({"apiKey": KEY, "timestamp": sim.server.now_ms(), "signature": "0".repeat(64)}),
        )
        .await;
    assert_eq!(forged["error"]["code"], -1022, "{forged}");
    let subs = ws.call("session.subscriptions", json!({})).await;
    assert_eq!(subs["result"], json!([{"subscriptionId": 0}]));
    let gone = ws.call("userDataStream.unsubscribe", json!({})).await;
    assert_eq!(gone["result"], json!({}));
    let subs = ws.call("session.subscriptions", json!({})).await;
    assert_eq!(subs["result"], json!([]));
}

#[tokio::test]
async fn user_data_stream_reports_rest_and_websocket_orders_and_candle_fills() {
    let sim = spawn().await;
    let mut ws = WsApi::connect(&sim).await;
    let sub = ws
        .signed(&sim, "userDataStream.subscribe.signature", json!({}))
        .await["result"]["subscriptionId"]
        .as_u64()
        .unwrap();

    // An order over REST: NEW, then the quote locked.
    let placed = sim.limit_buy("rest-b1", "3.500", "10", "ACK").await;
    assert_eq!(placed.status, 200, "{}", placed.body);
    let new = ws
        .event(sub, "executionReport", |e| e["c"] == "rest-b1")
        .await;
    assert_eq!(
        (new["x"].as_str(), new["X"].as_str()),
        (Some("NEW"), Some("NEW"))
    );
    assert_eq!(
        (new["s"].as_str(), new["S"].as_str(), new["o"].as_str()),
        (Some("FILUSDT"), Some("BUY"), Some("LIMIT"))
    );
    assert_eq!(
        (new["q"].as_str(), new["p"].as_str()),
        (Some("10.00000000"), Some("3.50000000"))
    );
    assert_eq!(new["i"], placed.body["orderId"]);
    assert_eq!(
        (new["t"].clone(), new["w"].clone()),
        (json!(-1), json!(true))
    );
    let pos = ws.event(sub, "outboundAccountPosition", |_| true).await;
    assert_eq!(position(&pos, "USDT")["f"], "9965.00000000");
    assert_eq!(position(&pos, "USDT")["l"], "35.00000000");

    // An order over the WebSocket API: Binance's RESULT/FULL shape, then its events.
    let order = ws
        .signed(
            &sim,
            "order.place",
            json!({"symbol": "FILUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                   "quantity": "10", "price": "3.900", "newClientOrderId": "ws-b1"}),
        )
        .await;
    assert_eq!(order["status"], 200, "{order}");
    let r = &order["result"];
    assert_eq!(
        (r["clientOrderId"].as_str(), r["status"].as_str()),
        (Some("ws-b1"), Some("NEW"))
    );
    assert_eq!(r["fills"], json!([]), "FULL is the default for LIMIT");
    let orders: Vec<&Value> = order["rateLimits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["rateLimitType"] == "ORDERS")
        .collect();
    assert!(
        !orders.is_empty() && orders.iter().all(|l| l["count"] == 2),
        "{order}"
    );
    let ws_order_id = r["orderId"].clone();
    let new = ws
        .event(sub, "executionReport", |e| e["c"] == "ws-b1")
        .await;
    assert_eq!(
        (new["x"].as_str(), new["i"].clone()),
        (Some("NEW"), ws_order_id.clone())
    );
    let pos = ws.event(sub, "outboundAccountPosition", |_| true).await;
    assert_eq!(position(&pos, "USDT")["l"], "74.00000000");

    // The next candle dips to 3.79: the 3.900 bid fills, reported as TRADE / FILLED.
    sim.step(2).await;
    let fill = ws
        .event(sub, "executionReport", |e| e["x"] == "TRADE")
        .await;
    assert_eq!(
        (fill["c"].as_str(), fill["X"].as_str()),
        (Some("ws-b1"), Some("FILLED"))
    );
    assert_eq!(
        (fill["l"].as_str(), fill["z"].as_str()),
        (Some("10.00000000"), Some("10.00000000"))
    );
    assert_eq!(
        (fill["L"].as_str(), fill["Z"].as_str()),
        (Some("3.90000000"), Some("39.00000000"))
    );
    assert_eq!(
        (fill["n"].as_str(), fill["N"].as_str()),
        (Some("0.01000000"), Some("FIL"))
    );
    let trades = sim
        .signed(Method::GET, "/api/v3/myTrades", "symbol=FILUSDT")
        .await
        .body;
    assert_eq!(
        fill["t"], trades[0]["id"],
        "the event names the trade myTrades lists"
    );
    assert_eq!(fill["w"], false);
    let pos = ws
        .event(sub, "outboundAccountPosition", |e| {
            e["B"].as_array().unwrap().iter().any(|b| b["a"] == "FIL")
        })
        .await;
    assert_eq!(position(&pos, "FIL")["f"], "9.99000000");
    assert_eq!(position(&pos, "USDT")["l"], "35.00000000");

    // Cancel over the WebSocket API: Binance's cancel shape, then CANCELED and the unlock.
    let cancel = ws
        .signed(
            &sim,
            "order.cancel",
            json!({"symbol": "FILUSDT", "origClientOrderId": "rest-b1"}),
        )
        .await;
    assert_eq!(cancel["result"]["status"], "CANCELED", "{cancel}");
    assert_eq!(cancel["result"]["origClientOrderId"], "rest-b1");
    let canceled = ws
        .event(sub, "executionReport", |e| e["x"] == "CANCELED")
        .await;
    assert_eq!(
        (canceled["C"].as_str(), canceled["X"].as_str()),
        (Some("rest-b1"), Some("CANCELED"))
    );
    let pos = ws.event(sub, "outboundAccountPosition", |_| true).await;
    assert_eq!(position(&pos, "USDT")["l"], "0.00000000");
    assert_eq!(position(&pos, "USDT")["f"], "9961.00000000");
}

#[tokio::test]
async fn weight_limit_answers_429_with_retry_after() {
    let sim = spawn_with(2).await;
    let mut ws = WsApi::connect(&sim).await;
    assert_eq!(ws.call("ping", json!({})).await["status"], 200);
    assert_eq!(ws.call("ping", json!({})).await["status"], 200);
    let limited = ws.call("ping", json!({})).await;
    assert_eq!(limited["status"], 429, "{limited}");
    assert_eq!(limited["error"]["code"], -1003);
    let data = &limited["error"]["data"];
    assert_eq!(data["serverTime"], sim.server.now_ms());
    assert!(
        data["retryAfter"].as_i64().unwrap() > sim.server.now_ms(),
        "{data}"
    );
}
