//! Request signatures: HMAC-SHA256 (hex), Ed25519 (base64) and RSA (RSASSA-PKCS1-v1_5 over
//! SHA-256, base64), Binance's three key types.
//!
//! Binance signs `totalParams`: the query string exactly as sent, concatenated with the request
//! body (we always send an empty body, see [`super::request`]). Non-ASCII values are signed in
//! their percent-encoded form, which is what travels on the wire (second documented vector).
//!
//! Entry point: [`Signer::sign`]. Invariant: a [`Signer`]'s `Debug` never shows key material;
//! the HMAC secret lives in a [`SecretString`], the Ed25519 and RSA keys zeroise themselves on
//! drop (`ed25519_dalek::SigningKey` and `rsa::RsaPrivateKey` both implement `ZeroizeOnDrop`).
//!
//! RSA signing uses the `rsa` crate, whose private-key operations are not constant-time
//! (RUSTSEC-2023-0071, "Marvin"): the attack needs many timed private-key operations observed
//! over a network. We sign our own requests locally, a few per second at most, and the
//! signing time is buried in the request's network latency; Ed25519 stays the recommended key.

use base64::Engine as _;
use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use ed25519_dalek::{Signer as _, SigningKey};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::fmt;

/// Why a signing key could not be built. Texts never contain key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The HMAC secret is empty.
    #[error("the API secret is empty")]
    EmptySecret,
    /// The PEM text is neither a PKCS#8 Ed25519 nor a PKCS#8 RSA private key.
    #[error("the private key is not a PKCS#8 PEM Ed25519 or RSA key")]
    BadPrivateKey,
}

/// Which kind of key signs requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// HMAC-SHA256 with a shared secret (hex signature).
    Hmac,
    /// Ed25519 private key (base64 signature).
    Ed25519,
    /// RSA private key (RSASSA-PKCS1-v1_5 with SHA-256, base64 signature).
    Rsa,
}

/// Signs request payloads with the account's key.
pub enum Signer {
    /// HMAC-SHA256 with the API secret.
    Hmac(SecretString),
    /// Ed25519 with the private key (zeroised on drop).
    Ed25519(Box<SigningKey>),
    /// RSA PKCS#1 v1.5 / SHA-256 with the private key (zeroised on drop).
    Rsa(Box<rsa::pkcs1v15::SigningKey<Sha256>>),
}

impl Signer {
    /// An HMAC signer from the API secret.
    pub fn hmac(secret: SecretString) -> Result<Self, SignError> {
        if secret.expose_secret().is_empty() {
            return Err(SignError::EmptySecret);
        }
        Ok(Self::Hmac(secret))
    }

    /// An Ed25519 signer from a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    pub fn ed25519_from_pem(pem: &str) -> Result<Self, SignError> {
        SigningKey::from_pkcs8_pem(pem)
            .map(|k| Self::Ed25519(Box::new(k)))
            .map_err(|_| SignError::BadPrivateKey)
    }

    /// An RSA signer from a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    pub fn rsa_from_pem(pem: &str) -> Result<Self, SignError> {
        use rsa::pkcs8::DecodePrivateKey as _;
        rsa::RsaPrivateKey::from_pkcs8_pem(pem)
            .map(|k| Self::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(k))))
            .map_err(|_| SignError::BadPrivateKey)
    }

    /// A signer from a PKCS#8 PEM private key of either kind Binance takes as a file: the
    /// document says which (its algorithm identifier), so one setting serves both.
    pub fn from_private_pem(pem: &str) -> Result<Self, SignError> {
        Self::ed25519_from_pem(pem).or_else(|_| Self::rsa_from_pem(pem))
    }

    /// The key kind.
    pub fn kind(&self) -> KeyKind {
        match self {
            Signer::Hmac(_) => KeyKind::Hmac,
            Signer::Ed25519(_) => KeyKind::Ed25519,
            Signer::Rsa(_) => KeyKind::Rsa,
        }
    }

    /// The `signature` value for `payload` (query string + body): lowercase hex for HMAC,
    /// standard base64 for Ed25519 and RSA (percent-encode it before putting it in a query
    /// string).
    pub fn sign(&self, payload: &str) -> String {
        match self {
            Signer::Hmac(secret) => hmac_hex(secret.expose_secret(), payload),
            Signer::Ed25519(key) => {
                let sig = key.sign(payload.as_bytes());
                base64::engine::general_purpose::STANDARD.encode(sig.to_bytes())
            }
            Signer::Rsa(key) => {
                use rsa::signature::{SignatureEncoding as _, Signer as _};
                let sig = key.sign(payload.as_bytes());
                base64::engine::general_purpose::STANDARD.encode(sig.to_bytes())
            }
        }
    }
}

/// Lowercase hex HMAC-SHA256 of `payload` under `secret`: Binance's HMAC signature.
pub fn hmac_hex(secret: &str, payload: &str) -> String {
    hex::encode(hmac(secret, payload).finalize().into_bytes())
}

/// Whether `signature_hex` is the HMAC-SHA256 of `payload` under `secret`, compared in
/// constant time (the exchange-sim's check).
pub fn hmac_verify(secret: &str, payload: &str, signature_hex: &str) -> bool {
    hex::decode(signature_hex).is_ok_and(|sig| hmac(secret, payload).verify_slice(&sig).is_ok())
}

fn hmac(secret: &str, payload: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length: new_from_slice cannot fail for Hmac<Sha256>.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(payload.as_bytes());
    mac
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signer::Hmac(_) => f.write_str("Signer::Hmac([REDACTED])"),
            Signer::Ed25519(_) => f.write_str("Signer::Ed25519([REDACTED])"),
            Signer::Rsa(_) => f.write_str("Signer::Rsa([REDACTED])"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;
    use ed25519_dalek::{Signature, Verifier as _};

    fn fixture() -> serde_json::Value {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/binance-docs/hmac_signing_vectors.json"
        ))
        .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn hmac_matches_the_documented_vectors() {
        let fx = fixture();
        let secret = fx["secretKey"].as_str().unwrap().to_string();
        let signer = Signer::hmac(SecretString::from(secret)).unwrap();
        let vectors = fx["vectors"].as_array().unwrap();
        assert_eq!(vectors.len(), 2);
        for v in vectors {
            let payload = v["payload"].as_str().unwrap();
            assert_eq!(
                signer.sign(payload),
                v["hmac_sha256_hex"].as_str().unwrap(),
                "{payload}"
            );
        }
    }

    #[test]
    fn ed25519_signature_verifies_with_the_public_key() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let pem = key.to_pkcs8_pem(Default::default()).unwrap();
        let signer = Signer::ed25519_from_pem(&pem).unwrap();
        assert_eq!(signer.kind(), KeyKind::Ed25519);
        let payload = "symbol=BTCUSDT&side=SELL&type=LIMIT&timestamp=1668481559918";
        let b64 = signer.sign(payload);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&b64)
            .unwrap();
        let sig = Signature::from_slice(&bytes).unwrap();
        key.verifying_key()
            .verify(payload.as_bytes(), &sig)
            .unwrap();
        assert!(key
            .verifying_key()
            .verify(b"symbol=BTCUSDT&side=BUY", &sig)
            .is_err());
    }

    fn rsa_fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/keys/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn rsa_signature_verifies_with_the_public_key() {
        use rsa::pkcs8::DecodePublicKey as _;
        use rsa::signature::Verifier as _;
        let signer = Signer::rsa_from_pem(&rsa_fixture("sim-rsa-test-private.pem")).unwrap();
        assert_eq!(signer.kind(), KeyKind::Rsa);
        let payload = "apiKey=k&recvWindow=5000&timestamp=1668481559918";
        let b64 = signer.sign(payload);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&b64)
            .unwrap();
        let public =
            rsa::RsaPublicKey::from_public_key_pem(&rsa_fixture("sim-rsa-test-public.pem"))
                .unwrap();
        let verifier = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public);
        let sig = rsa::pkcs1v15::Signature::try_from(bytes.as_slice()).unwrap();
        verifier.verify(payload.as_bytes(), &sig).unwrap();
        assert!(verifier.verify(b"apiKey=k&recvWindow=5000", &sig).is_err());
        // PKCS#1 v1.5 is deterministic: the same payload, the same signature.
        assert_eq!(signer.sign(payload), b64);
    }

    #[test]
    fn a_private_key_file_is_read_as_whichever_kind_it_holds() {
        let rsa = Signer::from_private_pem(&rsa_fixture("sim-rsa-test-private.pem")).unwrap();
        assert_eq!(rsa.kind(), KeyKind::Rsa);
        let ed_pem = SigningKey::from_bytes(&[5u8; 32])
            .to_pkcs8_pem(Default::default())
            .unwrap();
        assert_eq!(
            Signer::from_private_pem(&ed_pem).unwrap().kind(),
            KeyKind::Ed25519
        );
        // A public key is not a private key of either kind.
        assert_eq!(
            Signer::from_private_pem(&rsa_fixture("sim-rsa-test-public.pem")).unwrap_err(),
            SignError::BadPrivateKey
        );
    }

    #[test]
    fn bad_keys_are_refused_without_echoing_them() {
        let err =
            Signer::ed25519_from_pem("-----BEGIN PRIVATE KEY-----\nSECRETSTUFF\n").unwrap_err();
        assert!(!err.to_string().contains("SECRETSTUFF"));
        assert_eq!(
            Signer::hmac(SecretString::from(String::new())).unwrap_err(),
            SignError::EmptySecret
        );
    }

    #[test]
    fn debug_redacts_key_material() {
        let signer = Signer::hmac(SecretString::from("topsecretvalue".to_string())).unwrap();
        let text = format!("{signer:?}");
        assert!(!text.contains("topsecretvalue"), "{text}");
        let key = SigningKey::from_bytes(&[9u8; 32]);
        let pem = key.to_pkcs8_pem(Default::default()).unwrap();
        let ed = Signer::ed25519_from_pem(&pem).unwrap();
        let text = format!("{ed:?}");
        assert!(text.contains("REDACTED"), "{text}");
        assert!(!text.contains(&hex::encode([9u8; 32])), "{text}");
        let rsa = Signer::rsa_from_pem(&rsa_fixture("sim-rsa-test-private.pem")).unwrap();
        let text = format!("{rsa:?}");
        assert_eq!(text, "Signer::Rsa([REDACTED])");
    }
}
