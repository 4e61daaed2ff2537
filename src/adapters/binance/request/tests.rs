use super::*;
use crate::adapters::binance::endpoints;
use crate::adapters::binance::transport::Method;
use crate::core::client_id::IdPrefix;
use crate::core::money::{Price, Qty};
use crate::core::order::{OrderSpec, Slot};
use crate::core::symbol::Symbol;
use base64::Engine as _;
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use ed25519_dalek::Verifier as _;
use rust_decimal_macros::dec;
use serde_json::Value;

fn vectors() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/binance-docs/hmac_signing_vectors.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn doc_credentials(fx: &Value) -> Credentials {
    Credentials::hmac(
        fx["apiKey"].as_str().unwrap(),
        fx["secretKey"].as_str().unwrap(),
    )
    .unwrap()
}

fn doc_params(symbol: &str) -> Params {
    Params::new()
        .push("symbol", symbol)
        .push("side", "BUY")
        .push("type", "LIMIT")
        .push("timeInForce", "GTC")
        .push("quantity", "1")
        .push("price", "0.1")
}

fn query_of(url: &str) -> &str {
    url.split_once('?').unwrap().1
}

#[test]
fn reproduces_the_documented_signed_request() {
    let fx = vectors();
    let creds = doc_credentials(&fx);
    let req = build(
        "https://api.binance.com/",
        &endpoints::ORDER_NEW,
        &doc_params("LTCBTC"),
        Some(Signing {
            credentials: &creds,
            timestamp_ms: 1_499_827_319_559,
            recv_window_ms: 5_000,
        }),
    );
    let example = fx["full_request_example"].as_str().unwrap();
    let documented_url = example.split_whitespace().nth(1).unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, documented_url);
    assert_eq!(
        req.headers,
        [(
            API_KEY_HEADER.to_string(),
            fx["apiKey"].as_str().unwrap().to_string()
        )]
    );
}

#[test]
fn non_ascii_values_are_signed_percent_encoded() {
    let fx = vectors();
    let creds = doc_credentials(&fx);
    let v = &fx["vectors"][1];
    let unencoded = v["payload_unencoded"].as_str().unwrap();
    let symbol = unencoded
        .strip_prefix("symbol=")
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let params = doc_params(symbol);
    assert_eq!(
        signed_payload(&params, 1_499_827_319_559, 5_000),
        v["payload"].as_str().unwrap()
    );
    let req = build(
        "http://127.0.0.1:9",
        &endpoints::ORDER_NEW,
        &params,
        Some(Signing {
            credentials: &creds,
            timestamp_ms: 1_499_827_319_559,
            recv_window_ms: 5_000,
        }),
    );
    let (payload, sig) = query_of(&req.url).rsplit_once("&signature=").unwrap();
    assert_eq!(payload, v["payload"].as_str().unwrap());
    assert_eq!(sig, v["hmac_sha256_hex"].as_str().unwrap());
}

#[test]
fn ed25519_signature_is_percent_encoded_and_verifies() {
    let key = ed25519_dalek::SigningKey::from_bytes(&[11u8; 32]);
    let pem = key.to_pkcs8_pem(Default::default()).unwrap();
    let creds = Credentials::ed25519("edkey123", &pem).unwrap();
    let params = Params::new().push("symbol", "BTCUSDT").push("side", "SELL");
    // Find a timestamp whose signature needs escaping, so the test proves the encoding.
    let (req, raw_sig) = (1_700_000_000_000i64..1_700_000_000_200)
        .map(|ts| {
            let req = build(
                "http://127.0.0.1:9",
                &endpoints::ORDER_NEW,
                &params,
                Some(Signing {
                    credentials: &creds,
                    timestamp_ms: ts,
                    recv_window_ms: 3_000,
                }),
            );
            let payload = signed_payload(&params, ts, 3_000);
            (req, creds.signer().sign(&payload))
        })
        .find(|(_, s)| s.contains('+') || s.contains('/'))
        .unwrap();
    let (payload, sig) = query_of(&req.url).rsplit_once("&signature=").unwrap();
    assert!(
        !sig.contains('+') && !sig.contains('/') && !sig.contains('='),
        "{sig}"
    );
    let decoded: Vec<(String, String)> =
        serde_urlencoded::from_str(&format!("signature={sig}")).unwrap();
    assert_eq!(decoded[0].1, raw_sig);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&raw_sig)
        .unwrap();
    let signature = ed25519_dalek::Signature::from_slice(&bytes).unwrap();
    key.verifying_key()
        .verify(payload.as_bytes(), &signature)
        .unwrap();
    assert!(
        payload.starts_with("symbol=BTCUSDT&side=SELL&recvWindow=3000&timestamp=1700000000"),
        "{payload}"
    );
}

#[test]
fn public_requests_are_unsigned_and_keyless() {
    let req = build(
        "http://127.0.0.1:8080",
        &endpoints::TICKER_PRICE,
        &Params::new().push("symbol", "SOLUSDC"),
        None,
    );
    assert_eq!(
        req.url,
        "http://127.0.0.1:8080/api/v3/ticker/price?symbol=SOLUSDC"
    );
    assert!(req.headers.is_empty());
    let time = build(
        "http://127.0.0.1:8080",
        &endpoints::TIME,
        &Params::new(),
        None,
    );
    assert_eq!(time.url, "http://127.0.0.1:8080/api/v3/time");
    assert_eq!(time.method, Method::Get);
}

fn order(spec: OrderSpec) -> NewOrder {
    NewOrder {
        symbol: Symbol::parse("SOLUSDC").unwrap(),
        client_id: ClientOrderId::ours(&IdPrefix::default(), 42, spec.slot, 1),
        spec,
    }
}

#[test]
fn order_parameters_per_type() {
    struct Case {
        label: &'static str,
        spec: OrderSpec,
        want: &'static str,
    }
    let limit = OrderSpec::limit(
        Slot::Buy(1),
        Price::new(dec!(120.350)),
        Qty::new(dec!(0.50)),
    );
    let maker = OrderSpec {
        order_type: OrderType::LimitMaker,
        slot: Slot::Tp1,
        side: crate::core::order::Side::Sell,
        ..limit.clone()
    };
    let market = OrderSpec {
        slot: Slot::Exit,
        side: crate::core::order::Side::Sell,
        order_type: OrderType::Market,
        price: Some(Price::new(dec!(1))),
        time_in_force: None,
        ..limit.clone()
    };
    let trailing = OrderSpec {
        slot: Slot::Tr,
        side: crate::core::order::Side::Sell,
        order_type: OrderType::StopLossLimit,
        price: Some(Price::new(dec!(110))),
        stop_price: Some(Price::new(dec!(112.5))),
        trailing_delta: Some(150),
        time_in_force: Some(TimeInForce::Gtc),
        qty: Qty::new(dec!(2)),
    };
    let cases = [
        Case { label: "limit", spec: limit, want: "symbol=SOLUSDC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.5&price=120.35&newClientOrderId=gb42-B1-1&newOrderRespType=RESULT" },
        Case { label: "limit maker sends no timeInForce", spec: maker, want: "symbol=SOLUSDC&side=SELL&type=LIMIT_MAKER&quantity=0.5&price=120.35&newClientOrderId=gb42-TP1-1&newOrderRespType=RESULT" },
        Case { label: "market sends no price", spec: market, want: "symbol=SOLUSDC&side=SELL&type=MARKET&quantity=0.5&newClientOrderId=gb42-EXIT-1&newOrderRespType=RESULT" },
        Case { label: "trailing stop limit", spec: trailing, want: "symbol=SOLUSDC&side=SELL&type=STOP_LOSS_LIMIT&timeInForce=GTC&quantity=2&price=110&stopPrice=112.5&trailingDelta=150&newClientOrderId=gb42-TR-1&newOrderRespType=RESULT" },
    ];
    for c in cases {
        assert_eq!(
            new_order_params(&order(c.spec)).encode(),
            c.want,
            "{}",
            c.label
        );
    }
}

#[test]
fn cancel_replace_parameters() {
    let spec = OrderSpec::limit(Slot::Tp1, Price::new(dec!(130)), Qty::new(dec!(1)));
    let spec = OrderSpec {
        side: crate::core::order::Side::Sell,
        ..spec
    };
    let old = ClientOrderId::parse("gb42-TP1-1").unwrap();
    let mut new = order(spec);
    new.client_id = ClientOrderId::parse("gb42-TP1-2").unwrap();
    assert_eq!(
        cancel_replace_params(&old, &new, CancelReplaceMode::StopOnFailure).encode(),
        "symbol=SOLUSDC&cancelReplaceMode=STOP_ON_FAILURE&cancelOrigClientOrderId=gb42-TP1-1&side=SELL&type=LIMIT&timeInForce=GTC&quantity=1&price=130&newClientOrderId=gb42-TP1-2&newOrderRespType=RESULT"
    );
}

#[test]
fn request_debug_hides_the_api_key() {
    let fx = vectors();
    let creds = doc_credentials(&fx);
    let req = build(
        "http://127.0.0.1:9",
        &endpoints::ACCOUNT,
        &Params::new(),
        Some(Signing {
            credentials: &creds,
            timestamp_ms: 1,
            recv_window_ms: 5_000,
        }),
    );
    let text = format!("{req:?}");
    assert!(!text.contains(fx["apiKey"].as_str().unwrap()), "{text}");
    assert!(text.contains(API_KEY_HEADER));
}
