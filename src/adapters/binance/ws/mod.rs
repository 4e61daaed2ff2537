//! Binance over WebSocket: the user-data stream and the market streams, on tokio-tungstenite
//! (rustls for `wss://`); framing, ping and pong are the crate's; and order entry over the
//! WebSocket API as a second transport of the REST client.
//!
//! - [`events`]: payloads → [`ExchangeEvent`](crate::ports::events::ExchangeEvent)s.
//! - [`conn`]: one connection, requests matched to answers by id.
//! - [`feed`]: a stream kept alive — reconnect, 24-hour rotation with overlap, stall
//!   detection, de-duplication, Up/Down/Gap.
//! - [`orders`]: `order.place` / `order.cancel` / `order.cancelReplace` on a kept connection,
//!   used by [`BinanceRest`](crate::adapters::binance::rest::BinanceRest) when it is up.
//!
//! Entry point: [`spawn_streams`]. Behaviour and decisions: `.spec/binance-client.md`,
//! "Streams".

pub mod conn;
pub mod events;
pub mod feed;
pub mod orders;

use crate::adapters::binance::rest::WeightBudget;
use crate::adapters::binance::Credentials;
use crate::core::client_id::IdPrefix;
use crate::core::symbol::Symbol;
use crate::ports::events::ChannelEvents;
use std::sync::Arc;
use std::time::Duration;

/// Production WebSocket API.
pub const PRODUCTION_API_URL: &str = "wss://ws-api.binance.com:443/ws-api/v3";
/// Production market streams.
pub const PRODUCTION_STREAM_URL: &str = "wss://stream.binance.com:9443";
/// The spot testnet's WebSocket API (its own host, not the REST one's).
pub const TESTNET_API_URL: &str = "wss://ws-api.testnet.binance.vision/ws-api/v3";
/// The spot testnet's market streams.
pub const TESTNET_STREAM_URL: &str = "wss://stream.testnet.binance.vision";

/// Where and how the streams connect.
#[derive(Debug, Clone)]
pub struct WsConfig {
    /// The WebSocket API (`…/ws-api/v3`).
    pub api_url: String,
    /// The market-stream base (`/stream?streams=` is appended).
    pub stream_url: String,
    /// Our client-id prefix (to read our slots from client ids).
    pub id_prefix: IdPrefix,
    /// `recvWindow` of signed requests, ms.
    pub recv_window_ms: u64,
    /// Connect and answer timeout.
    pub timeout: Duration,
    /// Open a new connection after this long (Binance cuts at 24 h).
    pub rotate_after: Duration,
    /// How long the old connection is still read after the new one is subscribed.
    pub overlap: Duration,
    /// Send a `ping` request after this long without a text frame.
    pub probe_every: Duration,
    /// Treat the connection as lost after this long without a text frame.
    pub stall_after: Duration,
    /// First reconnect delay (doubles per failure).
    pub reconnect_min: Duration,
    /// Longest reconnect delay.
    pub reconnect_max: Duration,
    /// The REST client's weight budget: the feeds' own requests (`time`, `session.logon`,
    /// subscribe, `ping`) take their weight from it and report the answers' `rateLimits` to it
    /// (Binance counts WebSocket API requests against the IP's REST weight). `None`: not
    /// counted (tests, tools without a client).
    pub budget: Option<WeightBudget>,
}

impl WsConfig {
    /// Defaults for an exchange whose REST API is at `rest_base` (`http://127.0.0.1:port`
    /// → `ws://127.0.0.1:port/ws-api/v3` and `ws://127.0.0.1:port`; production or testnet
    /// REST → that network's WebSocket hosts, which differ from its REST host).
    pub fn for_rest_base(rest_base: &str) -> Self {
        let base = rest_base.trim_end_matches('/');
        let (api_url, stream_url) = if base == crate::adapters::binance::rest::PRODUCTION_URL {
            (
                PRODUCTION_API_URL.to_string(),
                PRODUCTION_STREAM_URL.to_string(),
            )
        } else if base == crate::adapters::binance::rest::TESTNET_URL {
            (TESTNET_API_URL.to_string(), TESTNET_STREAM_URL.to_string())
        } else {
            let ws = base
                .replacen("https://", "wss://", 1)
                .replacen("http://", "ws://", 1);
            (format!("{ws}/ws-api/v3"), ws)
        };
        Self {
            api_url,
            stream_url,
            id_prefix: IdPrefix::default(),
            recv_window_ms: 5_000,
            timeout: Duration::from_secs(10),
            rotate_after: Duration::from_secs(23 * 3600),
            overlap: Duration::from_secs(2),
            probe_every: Duration::from_secs(30),
            stall_after: Duration::from_secs(60),
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(10),
            budget: None,
        }
    }
}

/// Starts the user-data feed (when `credentials` are given) and the market feed of
/// `symbols` (when not empty), both pushing into one event source. The feeds stop when the
/// returned source is dropped.
pub fn spawn_streams(
    cfg: &WsConfig,
    credentials: Option<Arc<Credentials>>,
    symbols: Vec<Symbol>,
) -> ChannelEvents {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    if let Some(c) = credentials {
        tokio::spawn(feed::run(
            cfg.clone(),
            feed::Subscription::User(c),
            tx.clone(),
        ));
    }
    if !symbols.is_empty() {
        tokio::spawn(feed::run(
            cfg.clone(),
            feed::Subscription::Market(symbols),
            tx,
        ));
    }
    ChannelEvents(rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::binance::rest::{PRODUCTION_URL, TESTNET_URL};

    #[test]
    fn each_network_gets_its_own_websocket_hosts() {
        let cases = [
            (PRODUCTION_URL, PRODUCTION_API_URL, PRODUCTION_STREAM_URL),
            (TESTNET_URL, TESTNET_API_URL, TESTNET_STREAM_URL),
            (
                "http://127.0.0.1:8080/",
                "ws://127.0.0.1:8080/ws-api/v3",
                "ws://127.0.0.1:8080",
            ),
        ];
        for (rest, api, stream) in cases {
            let c = WsConfig::for_rest_base(rest);
            assert_eq!(
                (c.api_url.as_str(), c.stream_url.as_str()),
                (api, stream),
                "{rest}"
            );
        }
    }
}
