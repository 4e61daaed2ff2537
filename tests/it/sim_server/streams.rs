//! Market streams (`web-socket-streams.md`) with a plain WebSocket client: raw `/ws/<stream>`
//! and combined `/stream?streams=…` connections, live SUBSCRIBE / UNSUBSCRIBE /
//! LIST_SUBSCRIPTIONS / properties with Binance's answers and error texts, and payloads that
//! agree field by field with the REST answers of the same moment, for two symbols on one
//! connection. Manual replay clock: events go out when the test feeds candles.

use super::*;
use binance_trader::core::symbol::Symbol;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// FILUSDT and NEARUSDT, four candles each at the same minutes.
async fn spawn_two() -> Sim {
    let mut cfg = crate::harness::fil_config(
        crate::harness::exchange_info_with_limits(6000, None),
        candles(),
        Speed::Manual,
        "10000",
        (KEY, SECRET),
    );
    let near: Vec<Candle> = candles()
        .into_iter()
        .map(|mut c| {
            c.open = Price::new(c.open.get() / rust_decimal::Decimal::TWO);
            c.high = Price::new(c.high.get() / rust_decimal::Decimal::TWO);
            c.low = Price::new(c.low.get() / rust_decimal::Decimal::TWO);
            c.close = Price::new(c.close.get() / rust_decimal::Decimal::TWO);
            c
        })
        .collect();
    cfg.markets.push((Symbol::parse("NEARUSDT").unwrap(), near));
    let server = SimServer::new(cfg).unwrap();
    let (base, tx) = crate::harness::serve_on_loopback(&server).await;
    Sim {
        base,
        http: reqwest::Client::new(),
        server,
        _stop: tx,
    }
}

/// A stream connection that keeps the frames it read.
pub(super) struct Streams {
    pub(super) socket: Socket,
    pub(super) seen: Vec<Value>,
}

impl Streams {
    pub(super) async fn connect(sim: &Sim, path: &str) -> Self {
        let url = format!("{}{path}", sim.base.replace("http://", "ws://"));
        let (socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Self {
            socket,
            seen: Vec::new(),
        }
    }

    /// Reads frames for `ms` (answering pings as tungstenite does while reading).
    pub(super) async fn drain(&mut self, ms: u64) {
        let until = tokio::time::Instant::now() + Duration::from_millis(ms);
        while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(until, self.socket.next()).await {
            if let Message::Text(t) = frame {
                self.seen.push(serde_json::from_str(t.as_str()).unwrap());
            }
        }
    }

    /// The first frame (read or next) that `pred` accepts, removed from `seen`.
    pub(super) async fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            if let Some(i) = self.seen.iter().position(&pred) {
                return self.seen.remove(i);
            }
            let frame = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("no frame for {what}; seen: {:#?}", self.seen))
                .expect("connection open")
                .unwrap();
            if let Message::Text(t) = frame {
                self.seen.push(serde_json::from_str(t.as_str()).unwrap());
            }
        }
    }

    pub(super) async fn send(&mut self, msg: Value) {
        self.socket
            .send(Message::Text(msg.to_string().into()))
            .await
            .unwrap();
    }

    /// Sends a control message and returns the answer with the same id.
    async fn control(&mut self, msg: Value) -> Value {
        let id = msg["id"].clone();
        self.send(msg).await;
        self.wait_for("answer", |v| v["id"] == id && v.get("stream").is_none())
            .await
    }

    /// Every combined frame of `stream` read so far (removed).
    fn take(&mut self, stream: &str) -> Vec<Value> {
        let (mine, rest): (Vec<Value>, Vec<Value>) =
            self.seen.drain(..).partition(|v| v["stream"] == stream);
        self.seen = rest;
        mine.into_iter().map(|v| v["data"].clone()).collect()
    }
}

#[tokio::test]
async fn a_combined_connection_streams_two_symbols_as_rest_sees_them() {
    let sim = spawn_two().await;
    sim.server.step(2); // one candle of each symbol: a price to start from
    let mut ws = Streams::connect(
        &sim,
        "/stream?streams=filusdt@trade/nearusdt@kline_1m/filusdt@bookTicker",
    )
    .await;
    let sub = ws
        .control(json!({"method": "SUBSCRIBE", "params": ["nearusdt@bookTicker", "filusdt@ticker", "FILUSDT@aggTrade"], "id": 1}))
        .await;
    assert_eq!(sub, json!({"result": null, "id": 1}));
    let list = ws
        .control(json!({"method": "LIST_SUBSCRIPTIONS", "id": 2}))
        .await;
    assert_eq!(
        list["result"],
        json!([
            "filusdt@aggTrade",
            "filusdt@bookTicker",
            "filusdt@ticker",
            "filusdt@trade",
            "nearusdt@bookTicker",
            "nearusdt@kline_1m"
        ])
    );

    // A new subscriber gets the state streams' current state at once (Binance repeats them
    // every 1–2 s); trade streams have none.
    ws.drain(300).await;
    for stream in [
        "filusdt@bookTicker",
        "nearusdt@bookTicker",
        "nearusdt@kline_1m",
        "filusdt@ticker",
    ] {
        assert_eq!(ws.take(stream).len(), 1, "snapshot of {stream}");
    }
    assert!(ws.seen.is_empty(), "no trade snapshot: {:#?}", ws.seen);

    sim.server.step(2); // candle 1 of FILUSDT and of NEARUSDT
    ws.drain(300).await;

    let trades = ws.take("filusdt@trade");
    let rest = sim
        .get("/api/v3/trades", "symbol=FILUSDT&limit=4")
        .await
        .body;
    assert_eq!(trades.len(), 4, "the candle's four tape trades");
    for (t, r) in trades.iter().zip(rest.as_array().unwrap()) {
        assert_eq!(
            (&t["e"], &t["s"], &t["t"], &t["p"], &t["q"], &t["T"], &t["m"]),
            (
                &json!("trade"),
                &json!("FILUSDT"),
                &r["id"],
                &r["price"],
                &r["qty"],
                &r["time"],
                &r["isBuyerMaker"]
            )
        );
        assert_eq!(t["M"], true);
        assert_eq!(t["E"], sim.server.now_ms());
    }
    let agg = ws.take("filusdt@aggTrade");
    assert_eq!(agg.len(), 4);
    assert_eq!(
        (&agg[0]["e"], &agg[0]["a"], &agg[0]["f"], &agg[0]["l"]),
        (
            &json!("aggTrade"),
            &trades[0]["t"],
            &trades[0]["t"],
            &trades[0]["t"]
        )
    );

    let kline = ws.take("nearusdt@kline_1m");
    assert_eq!(kline.len(), 1);
    let k = &kline[0]["k"];
    let rest = sim
        .get("/api/v3/klines", "symbol=NEARUSDT&interval=1m&limit=1")
        .await
        .body[0]
        .clone();
    assert_eq!(kline[0]["e"], "kline");
    assert_eq!(kline[0]["s"], "NEARUSDT");
    assert_eq!(
        (
            &k["t"], &k["o"], &k["h"], &k["l"], &k["c"], &k["v"], &k["T"], &k["q"], &k["n"],
            &k["V"], &k["Q"]
        ),
        (
            &rest[0], &rest[1], &rest[2], &rest[3], &rest[4], &rest[5], &rest[6], &rest[7],
            &rest[8], &rest[9], &rest[10]
        )
    );
    assert_eq!(
        (&k["i"], &k["x"], &k["f"], &k["L"]),
        (&json!("1m"), &json!(true), &json!(5), &json!(8))
    );
    assert_eq!(k["c"], "1.92500000", "NEARUSDT's own price, not FILUSDT's");

    for symbol in ["FILUSDT", "NEARUSDT"] {
        let stream = format!("{}@bookTicker", symbol.to_lowercase());
        let bt = ws.take(&stream);
        assert_eq!(bt.len(), 1, "{stream}");
        let rest = sim
            .get("/api/v3/ticker/bookTicker", &format!("symbol={symbol}"))
            .await
            .body;
        assert_eq!(
            (
                &bt[0]["s"],
                &bt[0]["b"],
                &bt[0]["B"],
                &bt[0]["a"],
                &bt[0]["A"],
                &bt[0]["u"]
            ),
            (
                &rest["symbol"],
                &rest["bidPrice"],
                &rest["bidQty"],
                &rest["askPrice"],
                &rest["askQty"],
                &json!(8)
            )
        );
    }
    let ticker = ws.take("filusdt@ticker");
    assert_eq!(ticker.len(), 1);
    let t = &ticker[0];
    let rest = sim.get("/api/v3/ticker/24hr", "symbol=FILUSDT").await.body;
    for (short, long) in [
        ("p", "priceChange"),
        ("P", "priceChangePercent"),
        ("w", "weightedAvgPrice"),
        ("x", "prevClosePrice"),
        ("c", "lastPrice"),
        ("Q", "lastQty"),
        ("b", "bidPrice"),
        ("B", "bidQty"),
        ("a", "askPrice"),
        ("A", "askQty"),
        ("o", "openPrice"),
        ("h", "highPrice"),
        ("l", "lowPrice"),
        ("v", "volume"),
        ("q", "quoteVolume"),
        ("O", "openTime"),
        ("C", "closeTime"),
        ("F", "firstId"),
        ("L", "lastId"),
        ("n", "count"),
    ] {
        assert_eq!(t[short], rest[long], "{short} = {long}");
    }
    assert_eq!(t["e"], "24hrTicker");
    assert!(ws.seen.is_empty(), "nothing else: {:#?}", ws.seen);

    // Unsubscribed streams stop; the others go on.
    let un = ws
        .control(json!({"method": "UNSUBSCRIBE", "params": ["filusdt@trade", "filusdt@aggTrade", "filusdt@ticker"], "id": 3}))
        .await;
    assert_eq!(un, json!({"result": null, "id": 3}));
    sim.server.step(2);
    ws.drain(300).await;
    assert!(ws.take("filusdt@trade").is_empty());
    assert_eq!(ws.take("nearusdt@kline_1m").len(), 1);
}

#[tokio::test]
async fn a_raw_connection_subscribes_live_and_answers_binance_errors() {
    let sim = spawn().await;
    sim.server.step(1);
    let mut ws = Streams::connect(&sim, "/ws/filusdt@aggTrade").await;
    let prop = ws
        .control(json!({"method": "GET_PROPERTY", "params": ["combined"], "id": 1}))
        .await;
    assert_eq!(prop, json!({"result": false, "id": 1}));
    sim.server.step(1);
    let agg = ws.wait_for("aggTrade", |v| v["e"] == "aggTrade").await;
    assert_eq!(
        (&agg["s"], &agg["a"]),
        (&json!("FILUSDT"), &json!(5)),
        "raw payload, no wrapper"
    );

    for (msg, want) in [
        (
            json!({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 2}),
            json!({"error": {"code": 2, "msg": "Invalid request: invalid stream"}, "id": 2}),
        ),
        (
            json!({"method": "SUBSCRIBE", "params": ["filusdt@kline_1s"], "id": 3}),
            json!({"error": {"code": 2, "msg": "Invalid request: invalid stream"}, "id": 3}),
        ),
        (
            json!({"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 4}),
            json!({"error": {"code": 1, "msg": "Invalid value type: expected Boolean"}, "id": 4}),
        ),
        (
            json!({"method": "GET_PROPERTY", "params": ["colour"], "id": 5}),
            json!({"error": {"code": 0, "msg": "Unknown property"}, "id": 5}),
        ),
    ] {
        assert_eq!(ws.control(msg).await, want);
    }
    ws.send(json!({"method": "SUBSCRIBE", "params": [], "id": {"a": 1}}))
        .await;
    let bad_id = ws.wait_for("bad id", |v| v.get("error").is_some()).await;
    assert_eq!(
        bad_id["error"]["msg"],
        "Invalid request: request ID must be an unsigned integer"
    );
    let unknown = ws.control(json!({"method": "SUBSCRIB", "id": 6})).await;
    assert_eq!(unknown["error"]["code"], 2);
    assert!(unknown["error"]["msg"]
        .as_str()
        .unwrap()
        .starts_with("Invalid request: unknown variant `SUBSCRIB`"));

    // Switched to combined: frames are wrapped from now on.
    let set = ws
        .control(json!({"method": "SET_PROPERTY", "params": ["combined", true], "id": 7}))
        .await;
    assert_eq!(set, json!({"result": null, "id": 7}));
    ws.control(json!({"method": "SUBSCRIBE", "params": ["filusdt@kline_5m", "filusdt@depth5", "filusdt@miniTicker"], "id": 8}))
        .await;
    let snapshot = ws
        .wait_for("5m snapshot", |v| v["stream"] == "filusdt@kline_5m")
        .await;
    assert_eq!(
        snapshot["data"]["k"]["x"], true,
        "candle 1 ended its 5-minute interval"
    );
    ws.drain(200).await;
    ws.seen.clear();
    sim.server.step(1);
    let five = ws
        .wait_for("5m kline", |v| v["stream"] == "filusdt@kline_5m")
        .await;
    assert_eq!(
        five["data"]["k"]["x"], false,
        "the 5-minute kline is still open"
    );
    assert_eq!(five["data"]["k"]["i"], "5m");
    let depth = ws
        .wait_for("depth5", |v| v["stream"] == "filusdt@depth5")
        .await;
    let rest = sim
        .get("/api/v3/depth", "symbol=FILUSDT&limit=5")
        .await
        .body;
    assert_eq!(depth["data"], rest, "the partial book is the REST book");
    let mini = ws
        .wait_for("miniTicker", |v| v["stream"] == "filusdt@miniTicker")
        .await;
    assert_eq!(mini["data"]["e"], "24hrMiniTicker");
    assert_eq!(mini["data"]["c"], "3.88000000");

    // Path segments that are not served streams are ignored, as Binance does (ccxt connects
    // to `/ws/0` and subscribes live).
    let mut label = Streams::connect(&sim, "/ws/0").await;
    let list = label
        .control(json!({"method": "LIST_SUBSCRIPTIONS", "id": 9}))
        .await;
    assert_eq!(list, json!({"result": [], "id": 9}));
}
