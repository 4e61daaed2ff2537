//! A feed: one stream kept alive for the life of the process — the account's user data
//! (WebSocket API) or the market data of the traded symbols (one combined `/stream?streams=`
//! connection) — pushing [`ExchangeEvent`]s into a channel.
//!
//! Rules (`.spec/binance-client.md`, "Streams"):
//! - **Subscribing**: `time` (the exchange's clock signs the requests), then for an Ed25519
//!   key `session.logon` (signed) and `userDataStream.subscribe` (unsigned, on the session);
//!   for HMAC and RSA keys `userDataStream.subscribe.signature` (Binance takes only Ed25519
//!   keys for `session.logon`). Every new connection does this: reconnects and rotations too.
//! - **Weight**: these requests and the idle `ping` cost weight of the IP's `REQUEST_WEIGHT`,
//!   shared with REST: with a [`WeightBudget`](crate::adapters::binance::rest::WeightBudget)
//!   in the config they are taken from it before anything is written (the whole subscription
//!   at once, before connecting) and every answer's `rateLimits` is reported back. A short
//!   budget is a failed open (backoff, retry) or a skipped probe (the stall rule still holds).
//! - **Up / Down / Gap**: `Up` after the first subscription, `Down` when a connection is lost
//!   (poll meanwhile), `Gap` when subscribed again after a loss (heal over REST now).
//! - **Rotation with overlap**: before the 24-hour cut (`rotate_after`) and on
//!   `serverShutdown`, a second connection is opened and subscribed *first*; the old one is
//!   read for `overlap` more, then closed. Events both deliver are passed on once
//!   ([`Dedup`]: by (order id, trade id)), so nothing is lost and nothing doubled: no `Gap`.
//! - **Stall**: Binance pings every 20 s, but a connection can answer pings and deliver
//!   nothing. With no text frame for `probe_every` we send a `ping` request (weight 1); with no
//!   text frame for `stall_after` the connection is treated as lost.
//! - **eventStreamTerminated** ends the subscription: treated as a loss (reconnect, `Gap`).
//! - Reconnects back off exponentially (`reconnect_min` doubling up to `reconnect_max`).

use super::conn::{self, Conn, ConnError};
use super::events::Frame;
use super::WsConfig;
use crate::adapters::binance::sign::KeyKind;
use crate::adapters::binance::Credentials;
use crate::core::symbol::Symbol;
use crate::ports::events::{Dedup, ExchangeEvent, StreamKind, StreamState};
use serde_json::{Map, Value};
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::{sleep_until, Instant};

/// What a feed subscribes to.
#[derive(Clone)]
pub enum Subscription {
    /// The account's user data, signed with these credentials.
    User(Arc<Credentials>),
    /// `bookTicker` and `kline_1m` of these symbols.
    Market(Vec<Symbol>),
}

impl Subscription {
    fn kind(&self) -> StreamKind {
        match self {
            Subscription::User(_) => StreamKind::User,
            Subscription::Market(_) => StreamKind::Market,
        }
    }
}

/// Why a served connection ended.
enum End {
    /// Lost; reconnect and heal.
    Lost(String),
    /// The consumer went away: stop.
    Stopped,
}

/// Runs a feed until the receiver of `tx` is dropped. Spawn it.
pub async fn run(cfg: WsConfig, sub: Subscription, tx: UnboundedSender<ExchangeEvent>) {
    let kind = sub.kind();
    let mut dedup = Dedup::default();
    let mut was_up = false;
    let mut attempt: u32 = 0;
    loop {
        match open(&cfg, &sub).await {
            Ok(conn) => {
                attempt = 0;
                let state = if was_up {
                    StreamState::Gap {
                        reason: "subscribed again after a loss".into(),
                    }
                } else {
                    StreamState::Up
                };
                was_up = true;
                if tx.send(ExchangeEvent::Stream { kind, state }).is_err() {
                    return;
                }
                match serve(&cfg, &sub, conn, &mut dedup, &tx).await {
                    End::Stopped => return,
                    End::Lost(reason) => {
                        tracing::warn!(?kind, %reason, "stream lost; reconnecting");
                        let state = StreamState::Down { reason };
                        if tx.send(ExchangeEvent::Stream { kind, state }).is_err() {
                            return;
                        }
                    }
                }
            }
            Err(e) => {
                if attempt == 0 {
                    tracing::warn!(?kind, error = %e, "stream not opened; retrying with backoff");
                } else {
                    tracing::debug!(?kind, error = %e, attempt, "stream not opened");
                }
                if attempt == 0 && !was_up {
                    let state = StreamState::Down {
                        reason: e.to_string(),
                    };
                    if tx.send(ExchangeEvent::Stream { kind, state }).is_err() {
                        return;
                    }
                }
                attempt = attempt.saturating_add(1);
            }
        }
        if tx.is_closed() {
            return;
        }
        let wait = cfg
            .reconnect_min
            .saturating_mul(1 << attempt.min(10))
            .min(cfg.reconnect_max);
        tokio::time::sleep(wait).await;
    }
}

/// WebSocket API weights (`web-socket-api.md`): `time` and `ping` 1, `session.logon` and
/// either subscribe 2.
const TIME_WEIGHT: u32 = 1;
const PING_WEIGHT: u32 = 1;
const LOGON_WEIGHT: u32 = 2;
const SUBSCRIBE_WEIGHT: u32 = 2;

/// Whether `credentials` log the session on (Ed25519) rather than sign the subscription.
fn logs_on(credentials: &Credentials) -> bool {
    credentials.kind() == KeyKind::Ed25519
}

/// The weight of opening a feed: its requests, taken together before connecting.
fn open_weight(sub: &Subscription) -> u32 {
    match sub {
        Subscription::User(c) if logs_on(c) => TIME_WEIGHT + LOGON_WEIGHT + SUBSCRIBE_WEIGHT,
        Subscription::User(_) => TIME_WEIGHT + SUBSCRIBE_WEIGHT,
        Subscription::Market(_) => 0,
    }
}

/// Takes `weight` from the shared budget, if there is one.
fn take_weight(cfg: &WsConfig, weight: u32, what: &str) -> Result<(), ConnError> {
    match &cfg.budget {
        Some(budget) if weight > 0 => budget
            .try_acquire(weight)
            .map_err(|_| ConnError::Budget(what.to_string())),
        _ => Ok(()),
    }
}

/// Sends one request and reads its `result`, reporting the answer's `rateLimits` to the
/// budget (refusals included: they carry the counts and a 429's `retryAfter`).
async fn call(
    cfg: &WsConfig,
    conn: &mut Conn,
    method: &str,
    params: Map<String, Value>,
) -> Result<Value, ConnError> {
    let answer = conn.request(method, params, cfg.timeout).await?;
    if let Some(budget) = &cfg.budget {
        budget.observe(&answer);
    }
    conn::result_of(method, &answer)
}

/// Connects and subscribes.
async fn open(cfg: &WsConfig, sub: &Subscription) -> Result<Conn, ConnError> {
    take_weight(cfg, open_weight(sub), "subscribing")?;
    match sub {
        Subscription::User(credentials) => {
            let mut conn = Conn::open(&cfg.api_url, cfg.id_prefix.clone(), cfg.timeout).await?;
            // The exchange's own clock: a replay clock may run far ahead of ours.
            let time = call(cfg, &mut conn, "time", Map::new()).await?;
            let now = time["serverTime"].as_i64().unwrap_or_default();
            let params = signed(credentials, Map::new(), now, cfg.recv_window_ms);
            if logs_on(credentials) {
                call(cfg, &mut conn, "session.logon", params).await?;
                call(cfg, &mut conn, "userDataStream.subscribe", Map::new()).await?;
            } else {
                call(cfg, &mut conn, "userDataStream.subscribe.signature", params).await?;
            }
            Ok(conn)
        }
        Subscription::Market(symbols) => {
            let url = market_url(&cfg.stream_url, symbols);
            Conn::open(&url, cfg.id_prefix.clone(), cfg.timeout).await
        }
    }
}

/// `<base>/stream?streams=<s>@bookTicker/<s>@kline_1m/…` (lowercase names, as Binance wants).
pub fn market_url(base: &str, symbols: &[Symbol]) -> String {
    let streams: Vec<String> = symbols
        .iter()
        .flat_map(|s| {
            let s = s.as_str().to_lowercase();
            [format!("{s}@bookTicker"), format!("{s}@kline_1m")]
        })
        .collect();
    format!(
        "{}/stream?streams={}",
        base.trim_end_matches('/'),
        streams.join("/")
    )
}

/// `params` with `apiKey`, `timestamp`, `recvWindow` and the `signature` over all of them
/// sorted by name and joined as `name=value&…` (the WebSocket API's signing rule).
pub fn signed(
    credentials: &Credentials,
    mut params: Map<String, Value>,
    timestamp_ms: i64,
    recv_window_ms: u64,
) -> Map<String, Value> {
    params.insert("apiKey".into(), credentials.api_key().into());
    params.insert("timestamp".into(), timestamp_ms.into());
    params.insert("recvWindow".into(), recv_window_ms.into());
    let mut pairs: Vec<(&str, String)> = params
        .iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.as_str(), text)
        })
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let payload = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let signature = credentials.signer().sign(&payload);
    params.insert("signature".into(), signature.into());
    params
}

/// Reads `conn` (and, during a rotation, the connection it replaces) until it is lost.
async fn serve(
    cfg: &WsConfig,
    sub: &Subscription,
    mut conn: Conn,
    dedup: &mut Dedup,
    tx: &UnboundedSender<ExchangeEvent>,
) -> End {
    let mut rotate_at = Instant::now() + cfg.rotate_after;
    let mut old: Option<(Conn, Instant)> = None;
    let mut last_text = Instant::now();
    let mut probed = false;
    loop {
        let probe_at = last_text + cfg.probe_every;
        let stall_at = last_text + cfg.stall_after;
        let old_until = old.as_ref().map(|o| o.1);
        let mut rotate_now = false;
        tokio::select! {
            frame = conn.next() => {
                let frame = match frame {
                    Ok(f) => f,
                    Err(e) => return End::Lost(e.to_string()),
                };
                last_text = Instant::now();
                probed = false;
                match frame {
                    Frame::Event(e) => {
                        if dedup.first_time(&e) && tx.send(e).is_err() {
                            return End::Stopped;
                        }
                    }
                    Frame::Terminated => return End::Lost("eventStreamTerminated".into()),
                    Frame::ServerShutdown => rotate_now = true,
                    // The probe's answer: its counts go to the shared budget.
                    Frame::Response(v) => {
                        if let Some(budget) = &cfg.budget {
                            budget.observe(&v);
                        }
                    }
                    Frame::Ignored => {}
                }
            }
            frame = next_old(&mut old) => {
                match frame {
                    Ok(Frame::Event(e)) => {
                        if dedup.first_time(&e) && tx.send(e).is_err() {
                            return End::Stopped;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => old = None,
                }
            }
            _ = sleep_until(old_until.unwrap_or_else(far)), if old_until.is_some() => {
                if let Some((c, _)) = old.take() {
                    c.close().await;
                }
            }
            _ = sleep_until(rotate_at) => rotate_now = true,
            _ = sleep_until(probe_at), if !probed => {
                probed = true;
                // A short budget skips the probe: the stall rule still ends a dead connection.
                match take_weight(cfg, PING_WEIGHT, "ping") {
                    Ok(()) => {
                        if let Err(e) = conn.send("ping", Map::new()).await {
                            return End::Lost(e.to_string());
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "stream probe skipped"),
                }
            }
            _ = sleep_until(stall_at) => return End::Lost("stalled: no frame in time".into()),
            _ = tx.closed() => return End::Stopped,
        }
        if rotate_now {
            match open(cfg, sub).await {
                Ok(new) => {
                    tracing::info!(kind = ?sub.kind(), "stream rotated (old kept for the overlap)");
                    if let Some((c, _)) = old.take() {
                        c.close().await;
                    }
                    let previous = std::mem::replace(&mut conn, new);
                    old = Some((previous, Instant::now() + cfg.overlap));
                    rotate_at = Instant::now() + cfg.rotate_after;
                    last_text = Instant::now();
                }
                Err(e) => {
                    // Keep the old one while it lasts; try again shortly.
                    tracing::warn!(error = %e, "rotation failed; keeping the current connection");
                    rotate_at = Instant::now() + cfg.reconnect_max;
                }
            }
        }
    }
}

async fn next_old(old: &mut Option<(Conn, Instant)>) -> Result<Frame, ConnError> {
    match old {
        Some((c, _)) => c.next().await,
        None => std::future::pending().await,
    }
}

fn far() -> Instant {
    Instant::now() + std::time::Duration::from_secs(86_400 * 365)
}
