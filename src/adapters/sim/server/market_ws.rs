//! Market stream connections (`web-socket-streams.md`): raw streams on `/ws/<stream>` (also
//! `/ws/<a>/<b>` and a bare `/ws`), combined ones on `/stream?streams=<a>/<b>` whose frames
//! are `{"stream","data"}`, and the live control messages `SUBSCRIBE`, `UNSUBSCRIBE`,
//! `LIST_SUBSCRIPTIONS`, `SET_PROPERTY` / `GET_PROPERTY` (`combined`) with Binance's answers
//! and error texts. Payloads come from `streams.rs`; pings, the lifetime cut and the
//! connection faults from `link.rs`.

use super::link::{Link, Next};
use super::streams::{self, StreamEvent, INVALID_STREAM};
use super::{lock, SimServer};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Binance's limit of streams on one connection.
const MAX_STREAMS: usize = 1024;

/// `GET /ws/<streams>`: raw payloads.
pub async fn raw(
    State(s): State<SimServer>,
    Path(streams): Path<String>,
    ws: WebSocketUpgrade,
) -> Response {
    open(s, ws, &streams, false)
}

/// `GET /ws`: raw payloads, nothing subscribed yet.
pub async fn raw_bare(State(s): State<SimServer>, ws: WebSocketUpgrade) -> Response {
    open(s, ws, "", false)
}

/// `GET /stream?streams=<a>/<b>`: combined payloads.
pub async fn combined(
    State(s): State<SimServer>,
    Query(q): Query<BTreeMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    open(s, ws, q.get("streams").map_or("", String::as_str), true)
}

/// Subscribes the served streams the URL names, then upgrades. Other path segments are
/// ignored, as Binance does: ccxt connects to `/ws/0`, `/ws/1`, … (a label of its own) and
/// subscribes with `SUBSCRIBE`; only a live `SUBSCRIBE` of an unknown stream is an error.
fn open(s: SimServer, ws: WebSocketUpgrade, list: &str, combined: bool) -> Response {
    let symbols = lock(&s.control).symbols.clone();
    let subs: BTreeSet<String> = list
        .split('/')
        .filter_map(|name| streams::canonical(name, &symbols))
        .collect();
    if subs.len() > MAX_STREAMS {
        let body = json!({"code": 2, "msg": "Invalid request: too many streams (at most 1024)"});
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    ws.on_upgrade(move |socket| async move {
        let mut conn = Conn {
            s: s.clone(),
            subs: BTreeSet::new(),
            combined,
            fresh: Vec::new(),
        };
        for c in subs {
            conn.add(c);
        }
        let mut events = Some(lock(&s.control).market.receiver());
        let mut link = Link::new(&s, socket);
        conn.run(&mut link, &mut events).await;
        conn.release();
    })
}

/// One connection's state.
struct Conn {
    s: SimServer,
    subs: BTreeSet<String>,
    combined: bool,
    /// Streams subscribed since the last snapshot was sent.
    fresh: Vec<String>,
}

impl Conn {
    fn add(&mut self, stream: String) {
        if !self.subs.contains(&stream) {
            lock(&self.s.control).market.want(&stream);
            self.fresh.push(stream.clone());
            self.subs.insert(stream);
        }
    }

    /// Sends the current state of the streams subscribed since the last call.
    async fn snapshots(&mut self, link: &mut Link) -> bool {
        for stream in std::mem::take(&mut self.fresh) {
            for data in self.s.stream_snapshot(&stream) {
                if !link.event(self.frame(&stream, data).to_string()).await {
                    return false;
                }
            }
        }
        true
    }

    fn frame(&self, stream: &str, data: Value) -> Value {
        if self.combined {
            json!({"stream": stream, "data": data})
        } else {
            data
        }
    }

    fn remove(&mut self, stream: &str) {
        if self.subs.remove(stream) {
            lock(&self.s.control).market.unwant(stream);
        }
    }

    /// Gives the connection's subscriptions back (it ended).
    fn release(&mut self) {
        for stream in std::mem::take(&mut self.subs) {
            lock(&self.s.control).market.unwant(&stream);
        }
    }

    async fn run(
        &mut self,
        link: &mut Link,
        events: &mut Option<tokio::sync::broadcast::Receiver<Arc<StreamEvent>>>,
    ) {
        if !self.snapshots(link).await {
            return;
        }
        loop {
            match link.next(events).await {
                Next::Closed => return,
                Next::Text(text) => {
                    let answer = self.control(&text);
                    if !link.answer(answer.to_string()).await || !self.snapshots(link).await {
                        return;
                    }
                }
                Next::Event(e) => {
                    if !self.subs.contains(&e.stream) {
                        continue;
                    }
                    let frame = self.frame(&e.stream, e.data.clone());
                    if !link.event(frame.to_string()).await {
                        return;
                    }
                }
                Next::Lagged => {
                    // Too slow a reader lost events: it is cut off, as Binance drops a
                    // connection it cannot serve, so the client reconnects and heals.
                    return;
                }
                Next::Shutdown => {
                    let e = json!({"e": "serverShutdown", "E": self.s.now_ms()});
                    let frame = if self.combined {
                        json!({"stream": "!serverShutdown", "data": e})
                    } else {
                        e
                    };
                    if !link.event_unfaulted(frame.to_string()).await {
                        return;
                    }
                }
            }
        }
    }

    /// Answers one control message (Binance's shapes and error texts).
    fn control(&mut self, text: &str) -> Value {
        let Ok(msg) = serde_json::from_str::<Value>(text) else {
            return json!({"error": {"code": 3, "msg": "Invalid JSON: expected value at line 1 column 1"}, "id": null});
        };
        let Some(obj) = msg.as_object() else {
            return json!({"error": {"code": 3, "msg": "Invalid JSON: expected an object"}, "id": null});
        };
        let id = obj.get("id").cloned().unwrap_or(Value::Null);
        if !valid_id(&id) {
            return error(
                &Value::Null,
                2,
                "Invalid request: request ID must be an unsigned integer",
            );
        }
        let Some(method) = obj.get("method") else {
            return error(&id, 2, "Invalid request: missing field `method`");
        };
        let params: Vec<Value> = match obj.get("params") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return error(&id, 2, "Invalid request: params must be an array"),
        };
        let names = || -> Option<Vec<&str>> { params.iter().map(Value::as_str).collect() };
        match method.as_str().unwrap_or("") {
            "SUBSCRIBE" => {
                let Some(names) = names() else {
                    return error(&id, 2, INVALID_STREAM);
                };
                let symbols = lock(&self.s.control).symbols.clone();
                let mut canon = Vec::with_capacity(names.len());
                for n in names {
                    match streams::canonical(n, &symbols) {
                        Some(c) => canon.push(c),
                        None => return error(&id, 2, INVALID_STREAM),
                    }
                }
                let new = canon.iter().filter(|c| !self.subs.contains(*c)).count();
                if self.subs.len() + new > MAX_STREAMS {
                    return error(&id, 2, "Invalid request: too many streams (at most 1024)");
                }
                for c in canon {
                    self.add(c);
                }
                json!({"result": null, "id": id})
            }
            "UNSUBSCRIBE" => {
                let Some(names) = names() else {
                    return error(&id, 2, INVALID_STREAM);
                };
                let symbols = lock(&self.s.control).symbols.clone();
                for n in names {
                    if let Some(c) = streams::canonical(n, &symbols) {
                        self.remove(&c);
                    }
                }
                json!({"result": null, "id": id})
            }
            "LIST_SUBSCRIPTIONS" => {
                json!({"result": self.subs.iter().collect::<Vec<_>>(), "id": id})
            }
            "SET_PROPERTY" => match params.as_slice() {
                [Value::String(p), v] if p == "combined" => match v.as_bool() {
                    Some(b) => {
                        self.combined = b;
                        json!({"result": null, "id": id})
                    }
                    None => error(&id, 1, "Invalid value type: expected Boolean"),
                },
                [Value::String(_), _] => error(&id, 0, "Unknown property"),
                [_, _] => error(&id, 2, "Invalid request: property name must be a string"),
                _ => error(&id, 2, "Invalid request: too many parameters"),
            },
            "GET_PROPERTY" => match params.as_slice() {
                [Value::String(p)] if p == "combined" => json!({"result": self.combined, "id": id}),
                [Value::String(_)] => error(&id, 0, "Unknown property"),
                [_] => error(&id, 2, "Invalid request: property name must be a string"),
                _ => error(&id, 2, "Invalid request: too many parameters"),
            },
            other => error(
                &id,
                2,
                &format!(
                    "Invalid request: unknown variant `{other}`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`"
                ),
            ),
        }
    }
}

/// Binance's accepted ids: a 64-bit integer, an alphanumeric string of at most 36, or null.
fn valid_id(id: &Value) -> bool {
    match id {
        Value::Null => true,
        Value::Number(n) => n.is_i64() || n.is_u64(),
        Value::String(s) => s.len() <= 36 && s.bytes().all(|b| b.is_ascii_alphanumeric()),
        _ => false,
    }
}

fn error(id: &Value, code: i64, msg: &str) -> Value {
    json!({"error": {"code": code, "msg": msg}, "id": id})
}
