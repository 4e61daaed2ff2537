//! Raw HTTP against the exchange server: what a third-party client sends, signed by hand.

use binance_trader::adapters::sim::server::{sign, SimServer, Speed};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const KEY: &str = "todayKey0001";
pub const SECRET: &str = "todaySecret0001";

/// A running server with its HTTP client.
pub struct Raw {
    pub base: String,
    pub server: SimServer,
    http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// One answer.
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// A response header as text ("" when missing).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a Binance error.
    pub fn assert_error(&self, status: u16, code: i64, msg_start: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        let msg = self.body["msg"].as_str().unwrap_or("");
        assert!(msg.starts_with(msg_start), "{msg}");
    }
}

/// A FILUSDT server (manual clock, 8 swinging candles) with these limits and exchangeInfo
/// edits.
pub async fn spawn_with(weight: u64, orders_10s: u64, edit: impl FnOnce(&mut Value)) -> Raw {
    let text = crate::harness::exchange_info_with_limits(weight, Some(orders_10s));
    let mut info: Value = serde_json::from_str(&text).unwrap();
    edit(&mut info);
    let cfg = crate::harness::fil_config(
        info.to_string(),
        crate::client_sim::harness::candles(8),
        Speed::Manual,
        "10000",
        (KEY, SECRET),
    );
    let server = SimServer::new(cfg).unwrap();
    let (base, stop) = crate::harness::serve_on_loopback(&server).await;
    Raw {
        base,
        server,
        http: reqwest::Client::new(),
        _stop: stop,
    }
}

/// Binance's limits, exchangeInfo as bundled.
pub async fn spawn() -> Raw {
    spawn_with(6_000, 100, |_| {}).await
}

impl Raw {
    /// Sends `query` as is.
    pub async fn send(&self, method: Method, path: &str, query: &str) -> Answer {
        let url = format!("{}{path}?{query}", self.base);
        let resp = self
            .http
            .request(method, url)
            .header("X-MBX-APIKEY", KEY)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = serde_json::from_str(&resp.text().await.unwrap()).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    /// `params` (already percent-encoded) + `timestamp`, signed over exactly that.
    pub async fn signed(&self, method: Method, path: &str, params: &str) -> Answer {
        let q = format!("{params}&timestamp={}", self.server.now_ms());
        let q = format!("{q}&signature={}", sign(SECRET, &q));
        self.send(method, path, &q).await
    }

    /// A resting LIMIT GTC buy at 3.000 (the candles stay above 3.7).
    pub async fn rest_buy(&self, id: &str) -> Answer {
        let p = format!(
            "symbol=FILUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=5&price=3.000&newClientOrderId={id}&newOrderRespType=RESULT"
        );
        self.signed(Method::POST, "/api/v3/order", &p).await
    }
}
