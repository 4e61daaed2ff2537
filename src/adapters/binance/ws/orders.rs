//! Order entry over the WebSocket API (`order.place`, `order.cancel`, `order.cancelReplace`,
//! `openOrders.cancelAll`): one connection kept open by a task, used by the REST client as a
//! second transport for those requests only ([`WsOrders::send`]).
//!
//! The REST client builds, signs, budgets and classifies the request as it always does; only
//! the wire differs. An answer is handed back as the [`HttpResponse`] its REST twin would have
//! given (the WebSocket `status`; `result`, or `error` with its `data`, as the body; the
//! `rateLimits` as `X-MBX-USED-WEIGHT-*` / `X-MBX-ORDER-COUNT-*` headers; an error's
//! `retryAfter` as `Retry-After`), so every unknown-outcome rule of `rest/orders.rs` holds
//! unchanged on this transport:
//! - not connected (never opened, reconnecting, rotating) → [`TransportError::NotSent`]
//!   before anything is written: the caller sends the same request over REST instead;
//! - written, then the connection drops or no answer comes in time →
//!   [`TransportError::MaybeSent`]: the caller looks the order up by client id before
//!   anything is re-sent (never a blind resend, on either transport).
//!
//! The task reads the connection all the time, so the server's pings are answered while no
//! order is being sent, and a lost connection is seen before the next order is written (it
//! then goes over REST while the task reconnects, backing off like the feeds). The connection
//! is replaced before Binance's 24-hour cut and on `serverShutdown`, at a moment no request is
//! in flight.

use super::conn::{Conn, ConnError};
use super::events::Frame;
use super::WsConfig;
use crate::adapters::binance::transport::{HttpResponse, TransportError};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep_until, Instant};

/// Parameters sent as JSON numbers (Binance documents them as integers; the rest travel as
/// the strings the REST client would have put in the query: decimals keep their exact text).
const INTEGER_PARAMS: [&str; 7] = [
    "orderId",
    "cancelOrderId",
    "recvWindow",
    "timestamp",
    "trailingDelta",
    "strategyId",
    "strategyType",
];

/// The WebSocket API method of a REST order-entry request, when it has one we send this way.
pub fn method_for(http_method: &str, path: &str) -> Option<&'static str> {
    Some(match (http_method, path) {
        ("POST", "/api/v3/order") => "order.place",
        ("DELETE", "/api/v3/order") => "order.cancel",
        ("POST", "/api/v3/order/cancelReplace") => "order.cancelReplace",
        ("DELETE", "/api/v3/openOrders") => "openOrders.cancelAll",
        _ => return None,
    })
}

/// A REST request's parameters as WebSocket `params` (before [`super::feed::signed`] adds
/// `apiKey`, `timestamp`, `recvWindow` and the signature over them all, sorted by name).
pub fn params_of<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Map<String, Value> {
    pairs
        .into_iter()
        .map(|(name, text)| {
            let value = match text.parse::<i64>() {
                Ok(n) if INTEGER_PARAMS.contains(&name) => Value::from(n),
                _ => Value::from(text),
            };
            (name.to_string(), value)
        })
        .collect()
}

struct Job {
    method: &'static str,
    params: Map<String, Value>,
    reply: oneshot::Sender<Result<Value, TransportError>>,
}

/// The order connection: a handle to the task that keeps it. Dropping the handle stops it.
#[derive(Clone)]
pub struct WsOrders {
    jobs: mpsc::UnboundedSender<Job>,
    up: Arc<AtomicBool>,
    answer_timeout: Duration,
}

impl std::fmt::Debug for WsOrders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsOrders")
            .field("up", &self.is_up())
            .finish_non_exhaustive()
    }
}

impl WsOrders {
    /// Starts the task that connects to `cfg.api_url` and keeps the connection (spawned on
    /// the current tokio runtime). Requests go over REST until it is up.
    pub fn spawn(cfg: &WsConfig) -> Self {
        let (jobs, rx) = mpsc::unbounded_channel();
        let up = Arc::new(AtomicBool::new(false));
        tokio::spawn(run(cfg.clone(), rx, up.clone()));
        Self {
            jobs,
            up,
            answer_timeout: cfg.timeout,
        }
    }

    /// Whether orders go over the WebSocket API now.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::SeqCst)
    }

    /// Sends one request and waits for its answer, as the REST response it stands for.
    pub async fn send(
        &self,
        method: &'static str,
        params: Map<String, Value>,
    ) -> Result<HttpResponse, TransportError> {
        if !self.is_up() {
            return Err(TransportError::NotSent(
                "WebSocket API not connected".into(),
            ));
        }
        let (reply, answer) = oneshot::channel();
        let job = Job {
            method,
            params,
            reply,
        };
        if self.jobs.send(job).is_err() {
            return Err(TransportError::NotSent("WebSocket API task ended".into()));
        }
        match tokio::time::timeout(self.answer_timeout, answer).await {
            Ok(Ok(result)) => result.map(|v| as_http(&v)),
            // The task dropped the job: it never wrote it (it writes or answers every job).
            Ok(Err(_)) => Err(TransportError::NotSent("WebSocket API task ended".into())),
            Err(_) => Err(TransportError::MaybeSent(format!(
                "no answer to {method} over the WebSocket API in time"
            ))),
        }
    }
}

/// A WebSocket API answer as the REST response of its twin.
pub fn as_http(answer: &Value) -> HttpResponse {
    let status = answer["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(500);
    let body = match answer.get("error") {
        Some(error) => {
            let mut body = error.clone();
            // `data` of a rate-limit error is `{serverTime, retryAfter}`: a header on REST.
            if let Some(data) = body.as_object_mut().and_then(|o| o.get("data").cloned()) {
                if data.get("retryAfter").is_some() {
                    if let Some(o) = body.as_object_mut() {
                        o.remove("data");
                    }
                }
            }
            body
        }
        None => answer.get("result").cloned().unwrap_or(Value::Null),
    };
    let mut response = HttpResponse::new(status, body.to_string());
    for limit in answer["rateLimits"].as_array().into_iter().flatten() {
        let name = match limit["rateLimitType"].as_str() {
            Some("REQUEST_WEIGHT") => "x-mbx-used-weight-",
            Some("ORDERS") => "x-mbx-order-count-",
            _ => continue,
        };
        let unit = match limit["interval"].as_str() {
            Some("SECOND") => "s",
            Some("MINUTE") => "m",
            Some("HOUR") => "h",
            Some("DAY") => "d",
            _ => continue,
        };
        if let (Some(num), Some(count)) = (limit["intervalNum"].as_u64(), limit["count"].as_u64()) {
            response = response.with_header(&format!("{name}{num}{unit}"), count.to_string());
        }
    }
    let data = &answer["error"]["data"];
    if let (Some(until), Some(now)) = (data["retryAfter"].as_i64(), data["serverTime"].as_i64()) {
        let secs = (until.saturating_sub(now).max(0) + 999) / 1000;
        response = response.with_header("retry-after", secs.to_string());
    }
    response
}

/// Why a served connection ended.
enum End {
    Lost(String),
    Rotate,
    Stopped,
}

async fn run(cfg: WsConfig, mut jobs: mpsc::UnboundedReceiver<Job>, up: Arc<AtomicBool>) {
    let mut attempt: u32 = 0;
    loop {
        let opened = tokio::select! {
            c = Conn::open(&cfg.api_url, cfg.id_prefix.clone(), cfg.timeout) => c,
            // While connecting, a request that slipped past `is_up` goes over REST.
            job = jobs.recv() => match job {
                Some(job) => { not_sent(job); continue; }
                None => return,
            },
        };
        match opened {
            Ok(conn) => {
                attempt = 0;
                up.store(true, Ordering::SeqCst);
                let end = serve(&cfg, conn, &mut jobs, &up).await;
                up.store(false, Ordering::SeqCst);
                match end {
                    End::Stopped => return,
                    End::Rotate => continue,
                    End::Lost(reason) => {
                        tracing::warn!(%reason, "WebSocket API order connection lost; orders over REST meanwhile");
                    }
                }
            }
            Err(e) => {
                if attempt == 0 {
                    tracing::warn!(error = %e, "WebSocket API order connection not opened; orders over REST meanwhile");
                }
                attempt = attempt.saturating_add(1);
            }
        }
        let wait = cfg
            .reconnect_min
            .saturating_mul(1 << attempt.min(10))
            .min(cfg.reconnect_max);
        let until = Instant::now() + wait;
        loop {
            tokio::select! {
                _ = sleep_until(until) => break,
                job = jobs.recv() => match job {
                    Some(job) => not_sent(job),
                    None => return,
                },
            }
        }
    }
}

fn not_sent(job: Job) {
    let _ = job.reply.send(Err(TransportError::NotSent(
        "WebSocket API not connected".into(),
    )));
}

/// Writes jobs and routes answers by id until the connection is lost, due for rotation with
/// nothing in flight, or the handle is dropped.
async fn serve(
    cfg: &WsConfig,
    mut conn: Conn,
    jobs: &mut mpsc::UnboundedReceiver<Job>,
    up: &AtomicBool,
) -> End {
    let mut pending: HashMap<String, oneshot::Sender<Result<Value, TransportError>>> =
        HashMap::new();
    let rotate_at = Instant::now() + cfg.rotate_after;
    let mut rotating = false;
    let lost = |pending: &mut HashMap<_, oneshot::Sender<_>>, why: &str| {
        for (_, reply) in pending.drain() {
            let _ = reply.send(Err(TransportError::MaybeSent(format!(
                "WebSocket API connection lost after sending: {why}"
            ))));
        }
    };
    loop {
        if rotating && pending.is_empty() {
            conn.close().await;
            return End::Rotate;
        }
        tokio::select! {
            job = jobs.recv(), if !rotating => {
                let Some(job) = job else {
                    conn.close().await;
                    return End::Stopped;
                };
                match conn.send(job.method, job.params).await {
                    Ok(id) => {
                        pending.insert(id, job.reply);
                    }
                    Err(e) => {
                        // A failed write may have put part of the frame on the wire.
                        let why = e.to_string();
                        let _ = job.reply.send(Err(TransportError::MaybeSent(why.clone())));
                        lost(&mut pending, &why);
                        return End::Lost(why);
                    }
                }
            }
            frame = conn.next() => match frame {
                Ok(Frame::Response(v)) => {
                    let id = v["id"].as_str().unwrap_or_default().to_string();
                    if let Some(reply) = pending.remove(&id) {
                        let _ = reply.send(Ok(v));
                    }
                }
                Ok(Frame::ServerShutdown) => {
                    // New orders go over REST until the new connection is up.
                    up.store(false, Ordering::SeqCst);
                    rotating = true;
                }
                Ok(_) => {}
                Err(e) => {
                    let why = match e {
                        ConnError::Closed(m) => m,
                        other => other.to_string(),
                    };
                    lost(&mut pending, &why);
                    return End::Lost(why);
                }
            },
            _ = sleep_until(rotate_at), if !rotating => {
                up.store(false, Ordering::SeqCst);
                rotating = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_answer_reads_as_its_rest_twin() {
        let ok = json!({"id": "bt-1", "status": 200, "result": {"orderId": 7},
        "rateLimits": [
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50, "count": 1},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 160000, "count": 3},
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000, "count": 12}
        ]});
        let r = as_http(&ok);
        assert_eq!(r.status, 200);
        assert_eq!(r.body, r#"{"orderId":7}"#);
        assert_eq!(r.header("X-MBX-USED-WEIGHT-1M"), Some("12"));
        assert_eq!(r.header("X-MBX-ORDER-COUNT-10S"), Some("1"));
        assert_eq!(r.header("X-MBX-ORDER-COUNT-1D"), Some("3"));

        let partial = json!({"id": "bt-2", "status": 409, "error": {"code": -2021,
            "msg": "Order cancel-replace partially failed.",
            "data": {"cancelResult": "SUCCESS", "newOrderResult": "FAILURE"}}});
        let r = as_http(&partial);
        assert_eq!(r.status, 409);
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            body["data"]["cancelResult"], "SUCCESS",
            "cancelReplace data kept"
        );

        let limited = json!({"id": "bt-3", "status": 429, "error": {"code": -1003,
            "msg": "Too many requests.", "data": {"serverTime": 1_000, "retryAfter": 3_500}}});
        let r = as_http(&limited);
        assert_eq!(r.header("retry-after"), Some("3"));
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body, json!({"code": -1003, "msg": "Too many requests."}));
    }

    #[test]
    fn integers_travel_as_numbers_decimals_as_text() {
        let p = params_of([
            ("symbol", "FILUSDT"),
            ("price", "5.10"),
            ("quantity", "3"),
            ("orderId", "42"),
            ("timestamp", "1700000000000"),
            ("newClientOrderId", "123"),
        ]);
        assert_eq!(p["price"], json!("5.10"));
        assert_eq!(p["quantity"], json!("3"), "a decimal keeps its text");
        assert_eq!(p["newClientOrderId"], json!("123"));
        assert_eq!(p["orderId"], json!(42));
        assert_eq!(p["timestamp"], json!(1_700_000_000_000_i64));
    }

    #[test]
    fn only_order_entry_has_a_websocket_twin_here() {
        assert_eq!(method_for("POST", "/api/v3/order"), Some("order.place"));
        assert_eq!(method_for("DELETE", "/api/v3/order"), Some("order.cancel"));
        assert_eq!(
            method_for("POST", "/api/v3/order/cancelReplace"),
            Some("order.cancelReplace")
        );
        assert_eq!(method_for("GET", "/api/v3/order"), None);
    }
}
