//! One WebSocket connection (tokio-tungstenite; rustls for `wss://`): JSON requests matched
//! to their answers by id, and every other text frame read as a [`Frame`].
//!
//! Ping frames are answered by tungstenite itself while we read (it queues the pong and
//! flushes it on the next read or write), so a connection that is read keeps answering.

use super::events::{self, Frame};
use crate::core::client_id::IdPrefix;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Map, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Why a connection is not usable (texts never carry secrets: requests are not echoed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnError {
    /// Connecting failed: nothing was sent.
    #[error("connect: {0}")]
    Connect(String),
    /// The connection ended or broke.
    #[error("closed: {0}")]
    Closed(String),
    /// No answer in time.
    #[error("no answer to {0} in time")]
    Timeout(String),
    /// The local request-weight budget is short: nothing was sent.
    #[error("local weight budget short for {0}")]
    Budget(String),
    /// The server answered with an error.
    #[error("{method} refused: {code} {msg}")]
    Refused {
        /// The method.
        method: String,
        /// Binance's code.
        code: i64,
        /// Binance's message.
        msg: String,
    },
}

/// A connection and what it read that nobody asked for yet.
pub struct Conn {
    socket: Socket,
    next_id: u64,
    prefix: IdPrefix,
    /// Frames read while waiting for an answer, in order.
    pub(super) backlog: std::collections::VecDeque<Frame>,
}

impl Conn {
    /// Opens `url` (`ws://` or `wss://`).
    pub async fn open(url: &str, prefix: IdPrefix, timeout: Duration) -> Result<Self, ConnError> {
        // No Nagle: an order request written right after another (cancels sent together)
        // must not wait for the first one's ACK, which a delayed ACK holds up to 40 ms.
        let connect = tokio_tungstenite::connect_async_with_config(url, None, true);
        let (socket, _) = tokio::time::timeout(timeout, connect)
            .await
            .map_err(|_| ConnError::Connect("timeout".into()))?
            .map_err(|e| ConnError::Connect(e.to_string()))?;
        Ok(Self {
            socket,
            next_id: 0,
            prefix,
            backlog: Default::default(),
        })
    }

    /// Sends `{"id","method","params"}`; returns the id.
    pub async fn send(
        &mut self,
        method: &str,
        params: Map<String, Value>,
    ) -> Result<String, ConnError> {
        self.next_id += 1;
        let id = format!("bt-{}", self.next_id);
        let req = json!({"id": id, "method": method, "params": params});
        self.socket
            .send(Message::Text(req.to_string().into()))
            .await
            .map_err(|e| ConnError::Closed(e.to_string()))?;
        Ok(id)
    }

    /// Sends a request and waits up to `timeout` for its answer's `result` (an error answer
    /// → [`ConnError::Refused`]). Other frames read meanwhile go to the backlog.
    pub async fn call(
        &mut self,
        method: &str,
        params: Map<String, Value>,
        timeout: Duration,
    ) -> Result<Value, ConnError> {
        let answer = self.request(method, params, timeout).await?;
        result_of(method, &answer)
    }

    /// Sends a request and waits up to `timeout` for its whole answer (`status`, `result` or
    /// `error`, `rateLimits`). Other frames read meanwhile go to the backlog.
    pub async fn request(
        &mut self,
        method: &str,
        params: Map<String, Value>,
        timeout: Duration,
    ) -> Result<Value, ConnError> {
        let id = self.send(method, params).await?;
        tokio::time::timeout(timeout, async {
            loop {
                match self.read().await? {
                    Frame::Response(v) if v["id"] == id.as_str() => return Ok(v),
                    other => self.backlog.push_back(other),
                }
            }
        })
        .await
        .map_err(|_| ConnError::Timeout(method.to_string()))?
    }

    /// The next frame: the backlog first, then the socket. Unreadable payloads are logged and
    /// skipped (the REST heal covers whatever they said).
    pub async fn next(&mut self) -> Result<Frame, ConnError> {
        if let Some(f) = self.backlog.pop_front() {
            return Ok(f);
        }
        self.read().await
    }

    async fn read(&mut self) -> Result<Frame, ConnError> {
        loop {
            let msg = match self.socket.next().await {
                Some(Ok(m)) => m,
                Some(Err(e)) => return Err(ConnError::Closed(e.to_string())),
                None => return Err(ConnError::Closed("end of stream".into())),
            };
            let text = match msg {
                Message::Text(t) => t,
                Message::Close(c) => {
                    let why = c
                        .map(|c| format!("{} {}", c.code, c.reason))
                        .unwrap_or_default();
                    return Err(ConnError::Closed(format!("close frame {why}")));
                }
                // Pings are answered by tungstenite; nothing else carries data for us.
                _ => continue,
            };
            match events::frame(text.as_str(), &self.prefix) {
                Ok(f) => return Ok(f),
                Err(e) => tracing::warn!(error = %e, "unreadable stream payload skipped"),
            }
        }
    }

    /// Closes politely (errors ignored: the connection is being dropped anyway).
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// An answer's `result`, or [`ConnError::Refused`] for an `error` answer.
pub fn result_of(method: &str, answer: &Value) -> Result<Value, ConnError> {
    if let Some(err) = answer.get("error") {
        return Err(ConnError::Refused {
            method: method.to_string(),
            code: err["code"].as_i64().unwrap_or(0),
            msg: err["msg"].as_str().unwrap_or_default().to_string(),
        });
    }
    Ok(answer.get("result").cloned().unwrap_or(Value::Null))
}
