//! Binance's security checks for `SIGNED` endpoints, in Binance's order: the `X-MBX-APIKEY`
//! header (-2014 bad format, -2015 unknown key, both HTTP 401), `timestamp` and `signature`
//! present (-1102), the HMAC-SHA256 signature over the exact query string + body with the
//! `signature` parameter removed (-1022), then the time rule (-1021):
//! `timestamp < serverTime + 1000` and `serverTime − timestamp ≤ recvWindow` (default 5000,
//! at most 60000).

use super::fail::Fail;
use super::params::Params;
use crate::adapters::binance::sign::hmac_verify as verify;
use crate::ports::exchange::codes;
use axum::http::StatusCode;
use secrecy::{ExposeSecret, SecretString};

/// One accepted API key and its HMAC secret.
#[derive(Clone)]
pub struct ApiCredential {
    /// The key sent in `X-MBX-APIKEY`.
    pub key: String,
    /// The HMAC secret (never logged).
    pub secret: SecretString,
}

impl std::fmt::Debug for ApiCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiCredential")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// The largest `recvWindow` Binance accepts.
const MAX_RECV_WINDOW: i64 = 60_000;

/// Hex HMAC-SHA256 of `payload` under `secret` (what a client puts in `signature`).
pub fn sign(secret: &str, payload: &str) -> String {
    crate::adapters::binance::sign::hmac_hex(secret, payload)
}

/// `raw` without its `signature=` parameter, the rest byte for byte.
fn without_signature(raw: &str) -> String {
    raw.split('&')
        .filter(|p| !p.starts_with("signature="))
        .collect::<Vec<_>>()
        .join("&")
}

/// The signed payload: query string then body, concatenated as Binance does.
pub fn payload(query: &str, body: &str) -> String {
    without_signature(query) + &without_signature(body)
}

/// Runs every check of a `SIGNED` request at server time `now_ms`.
pub fn check_signed(
    credentials: &[ApiCredential],
    api_key: Option<&str>,
    query: &str,
    body: &str,
    params: &Params,
    now_ms: i64,
) -> Result<(), Fail> {
    let cred = check_key(credentials, api_key)?;
    let timestamp: i64 = params
        .opt_int("timestamp")?
        .ok_or_else(|| Fail::missing("timestamp"))?;
    let signature = params.req("signature")?;
    if !verify(
        cred.secret.expose_secret(),
        &payload(query, body),
        signature,
    ) {
        return Err(Fail::bad(
            codes::INVALID_SIGNATURE,
            "Signature for this request is not valid.",
        ));
    }
    let recv_window = recv_window_ms(params)?;
    // Saturating: `timestamp` is whatever the client sent (fuzzing found i64::MIN).
    if timestamp >= now_ms.saturating_add(1000) {
        return Err(Fail::bad(
            codes::INVALID_TIMESTAMP,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        ));
    }
    if now_ms.saturating_sub(timestamp) > recv_window {
        return Err(Fail::bad(
            codes::INVALID_TIMESTAMP,
            "Timestamp for this request is outside of the recvWindow.",
        ));
    }
    Ok(())
}

/// The API key checks alone (`MARKET_DATA` endpoints, and the first step of `SIGNED`).
pub fn check_key<'a>(
    credentials: &'a [ApiCredential],
    api_key: Option<&str>,
) -> Result<&'a ApiCredential, Fail> {
    let key = api_key.unwrap_or("");
    if let Some(c) = credentials.iter().find(|c| c.key == key) {
        return Ok(c);
    }
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Fail::with_status(
            StatusCode::UNAUTHORIZED,
            codes::BAD_API_KEY_FMT,
            "API-key format invalid.",
        ));
    }
    Err(Fail::with_status(
        StatusCode::UNAUTHORIZED,
        codes::REJECTED_MBX_KEY,
        "Invalid API-key, IP, or permissions for action.",
    ))
}

/// `recvWindow` in whole ms (default 5000; decimals are truncated; above 60000 is -1131).
fn recv_window_ms(params: &Params) -> Result<i64, Fail> {
    let Some(w) = params.opt_decimal("recvWindow")? else {
        return Ok(5000);
    };
    let ms = rust_decimal::prelude::ToPrimitive::to_i64(&w.trunc()).unwrap_or(i64::MAX);
    if ms > MAX_RECV_WINDOW {
        return Err(Fail::bad(-1131, "recvWindow must be less than 60000"));
    }
    Ok(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binance_documented_vector_verifies() {
        let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
        let q = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        let sig = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
        assert_eq!(sign(secret, q), sig);
        assert!(verify(
            secret,
            &payload(&format!("{q}&signature={sig}"), ""),
            sig
        ));
        assert!(!verify(secret, &payload(q, "x=1"), sig));
    }

    /// Since 2026-01-15 Binance signs the percent-encoded payload: the documented non-ASCII
    /// vector verifies over the encoded bytes as sent, and not over the decoded text.
    #[test]
    fn the_percent_encoded_vector_verifies_as_sent() {
        let fx: serde_json::Value = serde_json::from_str(include_str!(
            "../../../../tests/fixtures/binance-docs/hmac_signing_vectors.json"
        ))
        .unwrap();
        let secret = fx["secretKey"].as_str().unwrap();
        let v = &fx["vectors"][1];
        let (encoded, sig) = (
            v["payload"].as_str().unwrap(),
            v["hmac_sha256_hex"].as_str().unwrap(),
        );
        let sent = format!("{encoded}&signature={sig}");
        assert!(verify(secret, &payload(&sent, ""), sig));
        let unencoded = v["payload_unencoded"].as_str().unwrap();
        assert!(!verify(secret, unencoded, sig));
    }

    #[test]
    fn payload_is_query_then_body_without_signature() {
        assert_eq!(payload("a=1&signature=ff", "b=2"), "a=1b=2");
        assert_eq!(payload("", "b=2&signature=ff"), "b=2");
    }
}
