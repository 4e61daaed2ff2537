//! The dashboard over HTTP on loopback: every route, P&L against hand-computed values (see
//! `fixtures.rs`), pagination and filters, CSRF, the password rules, the banner, and Close all
//! against a running bot.

mod actions;
mod auth;
mod cache;
pub(crate) mod fixtures;
mod german;
mod legend;
mod live;
mod pages;
mod portfolio;
mod strategies;

use serde_json::Value;

/// A JSON decimal string as a decimal.
fn dec_of(v: &Value) -> rust_decimal::Decimal {
    fixtures::d(
        v.as_str()
            .unwrap_or_else(|| panic!("a decimal string, got {v}")),
    )
}
