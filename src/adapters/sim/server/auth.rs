//! Binance's security checks for `SIGNED` endpoints, in Binance's order: the `X-MBX-APIKEY`
//! header (-2014 bad format, -2015 unknown key, both HTTP 401), `timestamp` and `signature`
//! present (-1102), the HMAC-SHA256 signature over the exact query string + body with the
//! `signature` parameter removed (-1022), then the time rule (-1021):
//! `timestamp < serverTime + 1000` and `serverTime − timestamp ≤ recvWindow` (default 5000,
//! at most 60000).
//!
//! Keys are HMAC keys ([`ApiCredential`]) or public keys ([`PublicKeyCredential`], Ed25519
//! or RSA, given as PEM): for those the signature is base64 of Ed25519 / RSASSA-PKCS1-v1_5
//! with SHA-256 over the same payload. A WebSocket session logged on with an Ed25519 key
//! (`session.logon`) signs nothing more: [`Auth::Session`] skips the signature check and
//! keeps the timestamp rule.

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

/// An API key registered with a public key: Binance's Ed25519 and RSA keys.
#[derive(Clone)]
pub struct PublicKeyCredential {
    /// The key sent in `X-MBX-APIKEY` / `apiKey`.
    pub key: String,
    verifier: Verifier,
}

#[derive(Clone)]
enum Verifier {
    Ed25519(ed25519_dalek::VerifyingKey),
    Rsa(rsa::pkcs1v15::VerifyingKey<sha2::Sha256>),
}

impl std::fmt::Debug for PublicKeyCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.is_ed25519() { "Ed25519" } else { "RSA" };
        f.debug_struct("PublicKeyCredential")
            .field("key", &self.key)
            .field("kind", &kind)
            .finish()
    }
}

impl PublicKeyCredential {
    /// `key` with the public key in `pem` (`-----BEGIN PUBLIC KEY-----`, SPKI): Ed25519 or
    /// RSA, told apart by the document itself.
    pub fn from_pem(key: &str, pem: &str) -> Result<Self, String> {
        use ed25519_dalek::pkcs8::DecodePublicKey as _;
        let verifier = if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
            Verifier::Ed25519(k)
        } else if let Ok(k) = rsa::RsaPublicKey::from_public_key_pem(pem) {
            Verifier::Rsa(rsa::pkcs1v15::VerifyingKey::new(k))
        } else {
            return Err("not an Ed25519 or RSA public key in PEM (SPKI) form".into());
        };
        Ok(Self {
            key: key.to_string(),
            verifier,
        })
    }

    /// Whether this is an Ed25519 key (the only kind `session.logon` accepts).
    pub fn is_ed25519(&self) -> bool {
        matches!(self.verifier, Verifier::Ed25519(_))
    }

    /// Whether `signature` (base64) signs `payload`.
    fn verifies(&self, payload: &str, signature: &str) -> bool {
        use base64::Engine as _;
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(signature) else {
            return false;
        };
        match &self.verifier {
            Verifier::Ed25519(k) => ed25519_dalek::Signature::from_slice(&bytes)
                .is_ok_and(|sig| k.verify_strict(payload.as_bytes(), &sig).is_ok()),
            Verifier::Rsa(k) => {
                use rsa::signature::Verifier as _;
                rsa::pkcs1v15::Signature::try_from(bytes.as_slice())
                    .is_ok_and(|sig| k.verify(payload.as_bytes(), &sig).is_ok())
            }
        }
    }
}

/// Every accepted key.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    /// HMAC keys.
    pub hmac: Vec<ApiCredential>,
    /// Ed25519 and RSA keys.
    pub public: Vec<PublicKeyCredential>,
}

/// One accepted key, whichever kind.
#[derive(Clone, Copy)]
pub enum KeyRef<'a> {
    /// An HMAC key.
    Hmac(&'a ApiCredential),
    /// An Ed25519 or RSA key.
    Public(&'a PublicKeyCredential),
}

impl KeyRef<'_> {
    fn verifies(self, payload: &str, signature: &str) -> bool {
        match self {
            Self::Hmac(c) => verify(c.secret.expose_secret(), payload, signature),
            Self::Public(c) => c.verifies(payload, signature),
        }
    }
}

/// How a request proves who sends it.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// Its own API key (header or `apiKey`) and signature.
    Request(Option<&'a str>),
    /// The key a WebSocket session logged on with: no signature, the timestamp still
    /// checked.
    Session(&'a str),
}

impl<'a> Auth<'a> {
    /// The API key the request is made with.
    pub fn key(self) -> Option<&'a str> {
        match self {
            Self::Request(k) => k,
            Self::Session(k) => Some(k),
        }
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
    keys: &Keys,
    auth: Auth,
    query: &str,
    body: &str,
    params: &Params,
    now_ms: i64,
) -> Result<(), Fail> {
    let cred = check_key(keys, auth.key())?;
    let timestamp: i64 = params
        .opt_int("timestamp")?
        .ok_or_else(|| Fail::missing("timestamp"))?;
    if let Auth::Request(_) = auth {
        let signature = params.req("signature")?;
        if !cred.verifies(&payload(query, body), signature) {
            return Err(Fail::bad(
                codes::INVALID_SIGNATURE,
                "Signature for this request is not valid.",
            ));
        }
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
pub fn check_key<'a>(keys: &'a Keys, api_key: Option<&str>) -> Result<KeyRef<'a>, Fail> {
    let key = api_key.unwrap_or("");
    if let Some(c) = keys.hmac.iter().find(|c| c.key == key) {
        return Ok(KeyRef::Hmac(c));
    }
    if let Some(c) = keys.public.iter().find(|c| c.key == key) {
        return Ok(KeyRef::Public(c));
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
