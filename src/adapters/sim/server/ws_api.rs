//! Binance's WebSocket API (`web-socket-api.md`) on `/ws-api/v3`: JSON requests
//! `{"id","method","params"}` in text frames, answered `{"id","status","result"}` or
//! `{"id","status","error":{"code","msg"}}` with `rateLimits`, each run through the REST
//! pipeline of its REST twin (`routes::ws_endpoint`: same handler, weight, limits, security, faults). Signed
//! methods carry `apiKey`, `timestamp` and `signature` in `params`; the signature is over the
//! parameters sorted by name (`signature` left out) joined as `name=value&…`.
//! `userDataStream.subscribe.signature` starts a subscription: the account's events then
//! arrive as `{"subscriptionId","event"}` (`user_stream.rs`). Framing, ping/pong and close
//! are axum's (tungstenite).

use super::auth::Auth;
use super::fail::Fail;
use super::link::{Link, Next};
use super::routes::ws_endpoint;
use super::SimServer;
use crate::ports::exchange::codes;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};
use tokio::sync::broadcast;

/// `GET /ws-api/v3`: the WebSocket upgrade.
pub async fn upgrade(State(s): State<SimServer>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| connection(s, socket))
}

/// One connection's session: the logged-on key and the subscriptions (one account: every
/// subscription sees every event).
#[derive(Default)]
struct Subscriptions {
    ids: Vec<u64>,
    next_id: u64,
    events: Option<broadcast::Receiver<Value>>,
    /// `session.logon`: the key and since when (server time).
    logon: Option<(String, i64)>,
    /// The subscription `userDataStream.subscribe` made (ends with `session.logout`).
    logon_subscription: Option<u64>,
    /// When the connection opened (server time).
    connected_since: i64,
    /// Subscriptions ended by the last request, told `eventStreamTerminated` after its answer.
    terminated: Vec<u64>,
}

async fn connection(s: SimServer, socket: WebSocket) {
    let mut link = Link::new(&s, socket);
    let mut subs = Subscriptions {
        connected_since: s.now_ms(),
        ..Subscriptions::default()
    };
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
    // A logged-on session signs nothing more: requests without their own `apiKey` and
    // `signature` run on the session's key (its timestamp still checked).
    let key = params.get("apiKey").and_then(Value::as_str);
    let auth = match (&subs.logon, key, params.contains_key("signature")) {
        (Some((k, _)), None, false) => Auth::Session(k),
        _ => Auth::Request(key),
    };
    if method == "userDataStream.subscribe" && !matches!(auth, Auth::Session(_)) {
        // Binance: this method needs a session logged on with an Ed25519 key.
        return Some(error(
            &id,
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        ));
    }
    let out = s.handle(&ep, &query, "", auth);
    if out.drop {
        return None;
    }
    let result = out
        .result
        .and_then(|result| session(s, subs, method, &params, result));
    let mut answer = match result {
        Ok(result) => {
            s.count_ws_api_call(method);
            json!({"id": id, "status": 200, "result": result})
        }
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

/// What the session and subscription methods do once the pipeline accepted them (weight,
/// limits and, for the signed ones, the signature): the connection's own state.
fn session(
    s: &SimServer,
    subs: &mut Subscriptions,
    method: &str,
    params: &Map<String, Value>,
    result: Value,
) -> Result<Value, Fail> {
    match method {
        "session.logon" => {
            let key = params.get("apiKey").and_then(Value::as_str).unwrap_or("");
            if !s.is_ed25519_key(key) {
                // Binance: session authentication takes Ed25519 keys only.
                return Err(Fail::with_status(
                    StatusCode::UNAUTHORIZED,
                    codes::REJECTED_MBX_KEY,
                    "Invalid API-key, IP, or permissions for action.",
                ));
            }
            subs.logon = Some((key.to_string(), s.now_ms()));
            Ok(status(s, subs))
        }
        "session.status" => Ok(status(s, subs)),
        "session.logout" => {
            subs.logon = None;
            // Only the subscription `userDataStream.subscribe` made ends with the session.
            if let Some(own) = subs.logon_subscription.take() {
                subs.end(Some(own));
            }
            Ok(status(s, subs))
        }
        "session.subscriptions" => Ok(subs
            .ids
            .iter()
            .map(|i| json!({"subscriptionId": i}))
            .collect()),
        "userDataStream.subscribe" | "userDataStream.subscribe.signature" => {
            debug_assert_eq!(result, json!({}));
            // One account: a connection has at most one subscription to it.
            if !subs.ids.is_empty() {
                return Err(Fail::bad(
                    -2035,
                    "User Data Stream subscription already active.",
                ));
            }
            if subs.next_id > u64::from(u16::MAX) {
                return Err(Fail::bad(
                    -2042,
                    "Maximum subscription ID reached for this connection.",
                ));
            }
            if subs.events.is_none() {
                subs.events = Some(s.subscribe_user_stream());
            }
            let sub = subs.next_id;
            subs.next_id += 1;
            subs.ids.push(sub);
            if method == "userDataStream.subscribe" {
                subs.logon_subscription = Some(sub);
            }
            Ok(json!({"subscriptionId": sub}))
        }
        "userDataStream.unsubscribe" => {
            let one = match params.get("subscriptionId") {
                None => None,
                Some(v) => Some(
                    v.as_u64()
                        .ok_or_else(|| Fail::illegal("subscriptionId", "an unsigned integer"))?,
                ),
            };
            subs.end(one);
            Ok(json!({}))
        }
        _ => Ok(result),
    }
}

/// The `session.*` answer.
fn status(s: &SimServer, subs: &Subscriptions) -> Value {
    let (key, since) = match &subs.logon {
        Some((k, t)) => (Value::from(k.as_str()), Value::from(*t)),
        None => (Value::Null, Value::Null),
    };
    json!({
        "apiKey": key,
        "authorizedSince": since,
        "connectedSince": subs.connected_since,
        "returnRateLimits": true,
        "serverTime": s.now_ms(),
        "userDataStream": !subs.ids.is_empty(),
    })
}

impl Subscriptions {
    /// Ends subscription `one` (all when `None`); each is told `eventStreamTerminated`.
    fn end(&mut self, one: Option<u64>) {
        let (ended, kept): (Vec<u64>, Vec<u64>) =
            self.ids.iter().partition(|i| one.is_none_or(|o| o == **i));
        self.ids = kept;
        self.terminated.extend(ended);
        if self
            .logon_subscription
            .is_some_and(|l| !self.ids.contains(&l))
        {
            self.logon_subscription = None;
        }
        if self.ids.is_empty() {
            self.events = None;
        }
    }
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
            // `symbols: ["A","B"]` is the REST twin's `symbols=["A","B"]`.
            Value::Array(_) => v.to_string(),
            Value::Null | Value::Object(_) => return Err(name.clone()),
        };
        pairs.push((name.as_str(), text));
    }
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    serde_urlencoded::to_string(&pairs).map_err(|_| "params".to_string())
}

fn error(id: &Value, status: u16, code: i64, msg: &str) -> Value {
    json!({"id": id, "status": status, "error": {"code": code, "msg": msg}})
}
