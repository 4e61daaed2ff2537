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
//! - [`resolve`]: the pure rule that decides when an order of unknown outcome "was never placed".
//! - [`rest`]: [`BinanceRest`](rest::BinanceRest), which implements
//!   [`Exchange`](crate::ports::exchange::Exchange).
//!
//! The behaviour (endpoints, weights, the unknown-outcome algorithm, the rate-limit policy, key
//! handling, what is not done yet) is specified in `.spec/binance-client.md`.

/// API key and signing key, loaded without ever printing the secret.
pub mod credentials;
/// Endpoint table: paths, security, request weights, order counts.
pub mod endpoints;
/// Classification of failed requests into port errors and reject reasons.
pub mod error;
/// Wire structs → domain types.
pub mod parse;
/// Request-weight and order-count budget, Retry-After, backoff.
pub mod rate_limit;
/// Request building: parameters, timestamp, signature, headers.
pub mod request;
/// The unknown-outcome rule for orders (-2013 confirmation).
pub mod resolve;
/// The REST client implementing the exchange port.
pub mod rest;
/// HMAC-SHA256 and Ed25519 request signing.
pub mod sign;
/// The HTTP transport seam.
pub mod transport;
/// serde mirrors of Binance's JSON responses.
pub mod wire;

pub use credentials::{Credentials, CredentialsError};
pub use rest::{BinanceRest, RestConfig};
pub use sign::Signer;
