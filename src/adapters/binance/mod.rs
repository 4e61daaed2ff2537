//! The Binance spot REST client and its building blocks.
//!
//! Layers, from the wire up (each file is usable and tested on its own):
//!
//! - [`sign`]: HMAC-SHA256 (hex) and Ed25519 (base64) signatures over the exact query string.
//! - [`credentials`]: the API key and its secret/private key in `secrecy` types, loaded from the
//!   environment or a file; nothing here ever prints a secret.
//! - [`wire`]: serde structs that mirror Binance's JSON (decimals kept as `String`).
//! - [`parse`]: wire structs → port and core types (`OrderReport`, `ExchangeTrade`, …).
//! - [`error`]: HTTP status + headers + body → [`ExchangeError`](crate::ports::exchange::ExchangeError),
//!   and the [`RejectReason`](error::RejectReason) of a refusal.
//! - [`endpoints`]: the endpoints we use with their request weights and order counts.
//! - [`rate_limit`]: the local weight/order budget that keeps the account from being banned,
//!   plus backoff with jitter.
//! - [`request`]: building a request (query string, `timestamp`, `recvWindow`, `signature`,
//!   `X-MBX-APIKEY`) without any I/O.
//! - [`transport`]: the HTTP seam (reqwest + rustls in production, scripted in tests).
//! - [`rest`]: [`BinanceRest`], which implements
//!   [`Exchange`](crate::ports::exchange::Exchange).
//! - [`ws`]: the user-data and market streams (the
//!   [`EventSource`](crate::ports::events::EventSource) port) and orders over the WebSocket API.
//!
//! The behaviour (endpoints, weights, the unknown-outcome algorithm, the rate-limit policy, key
//! handling, what is not done yet) is specified in `.spec/binance-client.md`.

pub mod credentials;
pub mod endpoints;
pub mod error;
pub mod parse;
pub mod rate_limit;
pub mod request;
pub mod rest;
pub mod sign;
pub mod transport;
pub mod wire;
pub mod ws;

pub use credentials::{Credentials, CredentialsError};
pub use rest::{BinanceRest, RestConfig};
pub use sign::Signer;
