//! Today's Binance (changelog 2025–2026), on both sides: the exchange server (`raw` HTTP
//! requests, as any third-party client sends them) and our client against it.

mod amend;
mod bot;
mod client;
pub mod raw;
mod server;
