//! What every WebSocket connection of the server does besides its payload (market streams and
//! the WebSocket API alike), as Binance documents it: a ping frame every 20 s, the connection
//! dropped when no pong came within a minute, the cut after 24 hours, and `serverShutdown`
//! before maintenance. The times are knobs ([`WsTiming`], `POST /sim/ws-timing`, the CLI's
//! `--ws-*` flags) so that tests see a 24-hour cut after a second.
//!
//! Connection faults (`FaultConfig::ws_*`, `POST /sim/ws/drop`, `POST /sim/ws/shutdown`) act
//! here: a silent stall (nothing is sent, pings are still answered, so only a client that
//! watches its data notices), a dropped connection (no close frame), duplicated and reordered
//! events. Pongs to the client's pings are axum's (tungstenite answers them while reading).

use super::faults::Fault;
use super::{lock, SimServer};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::time::Instant;

/// Connection timing (Binance's values by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WsTiming {
    /// Interval of the server's ping frames, ms (Binance: 20 s).
    pub ping_interval_ms: u64,
    /// A connection with a ping unanswered this long is dropped, ms (Binance: a minute).
    pub pong_timeout_ms: u64,
    /// A connection is closed this long after it opened, ms (Binance: 24 hours).
    pub lifetime_ms: u64,
    /// After `serverShutdown`, the connection is closed this much later, ms.
    pub shutdown_grace_ms: u64,
}

impl Default for WsTiming {
    fn default() -> Self {
        Self {
            ping_interval_ms: 20_000,
            pong_timeout_ms: 60_000,
            lifetime_ms: 86_400_000,
            shutdown_grace_ms: 5_000,
        }
    }
}

/// An action on every open connection (admin endpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Abort the connection without a close frame.
    Drop,
    /// Send `serverShutdown`, close after the grace time.
    Shutdown,
}

/// The connections' shared switchboard: timing for new connections and the command channel.
#[derive(Debug)]
pub struct Hub {
    pub(super) timing: std::sync::Mutex<WsTiming>,
    commands: broadcast::Sender<Command>,
}

impl Hub {
    pub(super) fn new(timing: WsTiming) -> Self {
        Self {
            timing: std::sync::Mutex::new(timing),
            commands: broadcast::channel(16).0,
        }
    }

    /// Sends `cmd` to every open connection; how many got it.
    pub(super) fn command(&self, cmd: Command) -> usize {
        self.commands.send(cmd).unwrap_or(0)
    }

    /// How many WebSocket connections are open (each listens for commands).
    pub(super) fn connections(&self) -> usize {
        self.commands.receiver_count()
    }
}

/// What happened next on a connection.
pub enum Next<E> {
    /// The connection ended (by the client, a timeout, the lifetime or a drop).
    Closed,
    /// A text frame from the client.
    Text(String),
    /// An event to forward.
    Event(E),
    /// The event channel lost events for this connection.
    Lagged,
    /// The server is shutting down: tell the client.
    Shutdown,
}

/// One connection with its timers and faults.
pub struct Link {
    s: SimServer,
    socket: WebSocket,
    commands: broadcast::Receiver<Command>,
    timing: WsTiming,
    ping: tokio::time::Interval,
    unanswered_since: Option<Instant>,
    deadline: Instant,
    /// An event held back by the reorder fault, sent after the next one.
    held: Option<String>,
}

impl Link {
    /// Wraps a freshly upgraded socket.
    pub fn new(s: &SimServer, socket: WebSocket) -> Self {
        let timing = *lock(&s.hub.timing);
        let period = Duration::from_millis(timing.ping_interval_ms.max(1));
        let mut ping = tokio::time::interval_at(Instant::now() + period, period);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self {
            s: s.clone(),
            socket,
            commands: s.hub.commands.subscribe(),
            timing,
            ping,
            unanswered_since: None,
            deadline: Instant::now() + Duration::from_millis(timing.lifetime_ms),
            held: None,
        }
    }

    /// Waits for the next client frame, event or command, sending pings and enforcing the
    /// pong timeout and the lifetime meanwhile.
    pub async fn next<E: Clone>(&mut self, events: &mut Option<broadcast::Receiver<E>>) -> Next<E> {
        loop {
            tokio::select! {
                incoming = self.socket.recv() => match incoming {
                    Some(Ok(Message::Text(t))) => return Next::Text(t.as_str().to_string()),
                    Some(Ok(Message::Pong(_))) => self.unanswered_since = None,
                    Some(Ok(Message::Ping(_) | Message::Binary(_))) => {}
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return Next::Closed,
                },
                event = recv(events) => match event {
                    Ok(e) => return Next::Event(e),
                    Err(broadcast::error::RecvError::Lagged(_)) => return Next::Lagged,
                    Err(broadcast::error::RecvError::Closed) => *events = None,
                },
                _ = self.ping.tick() => {
                    let timeout = Duration::from_millis(self.timing.pong_timeout_ms);
                    if self.unanswered_since.is_some_and(|t| t.elapsed() >= timeout) {
                        tracing::info!("websocket: no pong in time, connection dropped");
                        return Next::Closed;
                    }
                    self.unanswered_since.get_or_insert_with(Instant::now);
                    if self.socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                        return Next::Closed;
                    }
                }
                () = tokio::time::sleep_until(self.deadline) => {
                    let close = CloseFrame { code: 1000, reason: "connection lifetime reached".into() };
                    let _ = self.socket.send(Message::Close(Some(close))).await;
                    return Next::Closed;
                }
                cmd = self.commands.recv() => match cmd {
                    Ok(Command::Drop) => return Next::Closed,
                    Ok(Command::Shutdown) => {
                        let grace = Instant::now() + Duration::from_millis(self.timing.shutdown_grace_ms);
                        self.deadline = self.deadline.min(grace);
                        return Next::Shutdown;
                    }
                    Err(_) => {}
                },
            }
        }
    }

    fn stalled(&self) -> bool {
        lock(&self.s.control).faults.config.ws_stall
    }

    fn fires(&self, fault: Fault) -> bool {
        lock(&self.s.control).faults.fires(fault)
    }

    async fn send(&mut self, text: String) -> bool {
        self.socket.send(Message::Text(text.into())).await.is_ok()
    }

    /// Sends an answer to a request (withheld during a stall); false when the socket is gone.
    pub async fn answer(&mut self, text: String) -> bool {
        if self.stalled() {
            return true;
        }
        self.send(text).await
    }

    /// Sends an event through the stall, duplicate and reorder faults.
    pub async fn event(&mut self, text: String) -> bool {
        if self.stalled() {
            return true;
        }
        if let Some(held) = self.held.take() {
            return self.send(text).await && self.send(held).await;
        }
        if self.fires(Fault::WsReorder) {
            self.held = Some(text);
            return true;
        }
        if self.fires(Fault::WsDuplicate) && !self.send(text.clone()).await {
            return false;
        }
        self.send(text).await
    }

    /// Sends an event no fault touches (`serverShutdown`, `eventStreamTerminated`).
    pub async fn event_unfaulted(&mut self, text: String) -> bool {
        self.send(text).await
    }
}

async fn recv<E: Clone>(
    rx: &mut Option<broadcast::Receiver<E>>,
) -> Result<E, broadcast::error::RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// `POST /sim/ws-timing` (JSON [`WsTiming`], missing fields at Binance's values): timing of
/// the WebSocket connections opened from now on. Answers 204.
pub async fn set_timing(
    axum::extract::State(s): axum::extract::State<SimServer>,
    axum::Json(t): axum::Json<WsTiming>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    s.set_ws_timing(t);
    axum::http::StatusCode::NO_CONTENT.into_response()
}

/// `POST /sim/ws/drop`: every open WebSocket connection is aborted; answers
/// `{"connections": n}`.
pub async fn drop_all(
    axum::extract::State(s): axum::extract::State<SimServer>,
) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"connections": s.drop_ws_connections()}))
}

/// `POST /sim/ws/shutdown`: `serverShutdown` on every open WebSocket connection; answers
/// `{"connections": n}`.
pub async fn shutdown_all(
    axum::extract::State(s): axum::extract::State<SimServer>,
) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"connections": s.shut_down_ws_connections()}))
}
