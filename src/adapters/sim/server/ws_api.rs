//! Binance's WebSocket API (`web-socket-api.md`) on `/ws-api/v3`: JSON requests
//! `{"id","method","params"}` in text frames, answered `{"id","status","result"}` or
//! `{"id","status","error":{"code","msg"}}` with `rateLimits`, each run through the REST
//! pipeline of its REST twin (`routes::ws_endpoint`: same handler, weight, limits, security, faults). Signed
//! methods carry `apiKey`, `timestamp` and `signature` in `params`; the signature is over the
//! parameters sorted by name (`signature` left out) joined as `name=value&…`.
//! `userDataStream.subscribe.signature` starts a subscription: the account's events then
//! arrive as `{"subscriptionId","event"}` (`user_stream.rs`). Framing, ping/pong and close
//! are axum's (tungstenite).

use super::link::{Link, Next};
use super::routes::ws_endpoint;
use super::SimServer;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use serde_json::{json, Map, Value};
use tokio::sync::broadcast;

/// `GET /ws-api/v3`: the WebSocket upgrade.
pub async fn upgrade(State(s): State<SimServer>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| connection(s, socket))
}

/// One connection's subscriptions (one account: every subscription sees every event).
#[derive(Default)]
struct Subscriptions {
    ids: Vec<u64>,
    next_id: u64,
    events: Option<broadcast::Receiver<Value>>,
    /// Subscriptions ended by the last request, told `eventStreamTerminated` after its answer.
    terminated: Vec<u64>,
}

async fn connection(s: SimServer, socket: WebSocket) {
    let mut link = Link::new(&s, socket);
    let mut subs = Subscriptions::default();
    loop {
        match link.next(&mut subs.events).await {
            Next::Closed => return,
            Next::Text(text) => {
                let Some(answer) = request(&s, &mut subs, &text) else {
                    // A fault dropped the answer: the connection goes with it.
                    return;
                };
                if !link.answer(answer.to_string()).await {
                    return;
                }
                for ended in std::mem::take(&mut subs.terminated) {
                    if !link.event_unfaulted(terminated(&s, ended)).await {
                        return;
                    }
                }
            }
            Next::Event(e) => {
                for id in subs.ids.clone() {
                    let framed = json!({"subscriptionId": id, "event": e});
                    if !link.event(framed.to_string()).await {
                        return;
                    }
                }
            }
            // Too slow a reader lost events: its subscriptions end, as Binance ends a
            // stream it cannot serve, so the client knows to heal over REST.
            Next::Lagged => {
                subs.events = None;
                for id in std::mem::take(&mut subs.ids) {
                    if !link.event_unfaulted(terminated(&s, id)).await {
                        return;
                    }
                }
            }
            Next::Shutdown => {
                let e = json!({"event": {"e": "serverShutdown", "E": s.now_ms()}});
                if !link.event_unfaulted(e.to_string()).await {
                    return;
                }
            }
        }
    }
}

/// The `eventStreamTerminated` frame of subscription `id`.
fn terminated(s: &SimServer, id: u64) -> String {
    json!({"subscriptionId": id, "event": {"e": "eventStreamTerminated", "E": s.now_ms()}})
        .to_string()
}

/// Handles one text frame; `None` when a fault drops the answer.
fn request(s: &SimServer, subs: &mut Subscriptions, text: &str) -> Option<Value> {
    let Ok(Value::Object(req)) = serde_json::from_str::<Value>(text) else {
        return Some(error(
            &Value::Null,
            400,
            -1000,
            "Malformed request: not a JSON object.",
        ));
    };
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = req.get("method").and_then(Value::as_str) else {
        return Some(error(
            &id,
            400,
            -1102,
            "Mandatory parameter 'method' was not sent, was empty/null, or malformed.",
        ));
    };
    let method = method.strip_prefix("v3/").unwrap_or(method);
    let params = match req.get("params") {
        None => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => {
            return Some(error(
                &id,
                400,
                -1000,
                "Malformed request: 'params' is not an object.",
            ))
        }
    };
    if method == "userDataStream.unsubscribe" {
        return Some(unsubscribe(subs, &id, &params));
    }
    if method == "session.subscriptions" {
        let list: Vec<Value> = subs
            .ids
            .iter()
            .map(|i| json!({"subscriptionId": i}))
            .collect();
        return Some(json!({"id": id, "status": 200, "result": list}));
    }
    let Some(ep) = ws_endpoint(method) else {
        return Some(error(&id, 400, -1020, "This operation is not supported."));
    };
    let query = match query_of(&params) {
        Ok(q) => q,
        Err(name) => {
            return Some(error(
                &id,
                400,
                -1100,
                &format!("Illegal characters found in parameter '{name}'."),
            ))
        }
    };
    let key = params.get("apiKey").and_then(Value::as_str);
    let out = s.handle(&ep, &query, "", key);
    if out.drop {
        return None;
    }
    let mut answer = match out.result {
        Ok(result) if method == "userDataStream.subscribe.signature" => {
            if subs.events.is_none() {
                subs.events = Some(s.subscribe_user_stream());
            }
            let sub = subs.next_id;
            subs.next_id += 1;
            subs.ids.push(sub);
            debug_assert_eq!(result, json!({}));
            json!({"id": id, "status": 200, "result": {"subscriptionId": sub}})
        }
        Ok(result) => json!({"id": id, "status": 200, "result": result}),
        Err(f) => {
            let mut v = json!({"id": id, "status": f.status.as_u16(), "error": f.body()});
            if let Some(secs) = f.retry_after_secs {
                let now = s.now_ms();
                let until = now.saturating_add(i64::try_from(secs * 1000).unwrap_or(i64::MAX));
                v["error"]["data"] = json!({"serverTime": now, "retryAfter": until});
            }
            v
        }
    };
    answer["rateLimits"] = Value::Array(out.rate_limits);
    Some(answer)
}

fn unsubscribe(subs: &mut Subscriptions, id: &Value, params: &Map<String, Value>) -> Value {
    let one = params.get("subscriptionId").and_then(Value::as_u64);
    let (ended, kept): (Vec<u64>, Vec<u64>) =
        subs.ids.iter().partition(|i| one.is_none_or(|o| o == **i));
    subs.ids = kept;
    subs.terminated.extend(ended);
    if subs.ids.is_empty() {
        subs.events = None;
    }
    json!({"id": id, "status": 200, "result": {}})
}

/// The parameters as the REST pipeline reads them: sorted by name, `name=value` joined by
/// `&`, values form-encoded (plain for Binance's symbol, decimal, id and enum alphabets, so
/// the signature over this string is the one the documentation describes). A nested value is
/// refused by name.
fn query_of(params: &Map<String, Value>) -> Result<String, String> {
    let mut pairs: Vec<(&str, String)> = Vec::with_capacity(params.len());
    for (name, v) in params {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null | Value::Array(_) | Value::Object(_) => return Err(name.clone()),
        };
        pairs.push((name.as_str(), text));
    }
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    serde_urlencoded::to_string(&pairs).map_err(|_| "params".to_string())
}

fn error(id: &Value, status: u16, code: i64, msg: &str) -> Value {
    json!({"id": id, "status": status, "error": {"code": code, "msg": msg}})
}
