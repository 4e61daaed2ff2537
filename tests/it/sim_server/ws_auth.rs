//! The WebSocket API with Binance's three key types: `session.logon` with an Ed25519 key,
//! then `userDataStream.subscribe` and signed requests without a signature;
//! `userDataStream.subscribe.signature` and REST orders signed with RSA and Ed25519 keys
//! (base64 signatures); the order methods added with them (`order.test`,
//! `order.cancelReplace`, `openOrders.cancelAll`) and `eventStreamTerminated`.

use super::ws_api::WsApi;
use super::*;
use base64::Engine as _;
use binance_trader::adapters::sim::server::PublicKeyCredential;
use ed25519_dalek::pkcs8::EncodePublicKey as _;
use ed25519_dalek::Signer as _;

const ED_KEY: &str = "edKey0123456789";
const RSA_KEY: &str = "rsaKey0123456789";

fn ed_signing_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[7u8; 32])
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn ed_sign(payload: &str) -> String {
    b64(&ed_signing_key().sign(payload.as_bytes()).to_bytes())
}

fn rsa_sign(payload: &str) -> String {
    use rsa::pkcs8::DecodePrivateKey as _;
    use rsa::signature::{SignatureEncoding as _, Signer as _};
    let pem = std::fs::read_to_string(
        crate::harness::root().join("tests/fixtures/keys/sim-rsa-test-private.pem"),
    )
    .unwrap();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).unwrap();
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key);
    b64(&signer.sign(payload.as_bytes()).to_vec())
}

/// The server with an Ed25519 and an RSA key besides the HMAC one.
async fn spawn_keys() -> Sim {
    let sim = spawn().await;
    let ed_pem = ed_signing_key()
        .verifying_key()
        .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .unwrap();
    sim.server
        .add_public_key(PublicKeyCredential::from_pem(ED_KEY, &ed_pem).unwrap());
    let rsa_pem = std::fs::read_to_string(
        crate::harness::root().join("tests/fixtures/keys/sim-rsa-test-public.pem"),
    )
    .unwrap();
    sim.server
        .add_public_key(PublicKeyCredential::from_pem(RSA_KEY, &rsa_pem).unwrap());
    sim
}

/// `params` + `apiKey` + `timestamp` signed by `sign` over Binance's sorted payload.
fn signed_params(sim: &Sim, key: &str, params: Value, sign: impl Fn(&str) -> String) -> Value {
    let mut p = params.as_object().unwrap().clone();
    p.insert("apiKey".into(), key.into());
    p.insert("timestamp".into(), sim.server.now_ms().into());
    let mut pairs: Vec<(String, String)> = p
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().map_or(v.to_string(), str::to_string)))
        .collect();
    pairs.sort();
    let payload = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    p.insert("signature".into(), sign(&payload).into());
    Value::Object(p)
}

#[tokio::test]
async fn an_ed25519_session_subscribes_and_trades_without_signatures() {
    let sim = spawn_keys().await;
    sim.server.step(1);
    let mut ws = WsApi::connect(&sim).await;
    let before = ws.call("session.status", json!({})).await;
    assert_eq!(
        (
            &before["result"]["apiKey"],
            &before["result"]["authorizedSince"],
            &before["result"]["userDataStream"]
        ),
        (&Value::Null, &Value::Null, &json!(false))
    );
    assert_eq!(before["rateLimits"][0]["count"], 2, "weight 2");
    let anonymous = ws.call("userDataStream.subscribe", json!({})).await;
    assert_eq!(
        (&anonymous["status"], &anonymous["error"]["code"]),
        (&json!(401), &json!(-2015))
    );
    let hmac_logon = ws.signed(&sim, "session.logon", json!({})).await;
    assert_eq!(
        hmac_logon["error"]["code"], -2015,
        "only Ed25519 keys log on: {hmac_logon}"
    );

    let logon = ws
        .call(
            "session.logon",
            signed_params(&sim, ED_KEY, json!({}), ed_sign),
        )
        .await;
    assert_eq!(logon["status"], 200, "{logon}");
    assert_eq!(logon["result"]["apiKey"], ED_KEY);
    assert_eq!(logon["result"]["authorizedSince"], sim.server.now_ms());
    let sub = ws.call("userDataStream.subscribe", json!({})).await;
    assert_eq!(sub["result"], json!({"subscriptionId": 0}), "{sub}");
    let again = ws.call("userDataStream.subscribe", json!({})).await;
    assert_eq!(
        again["error"],
        json!({"code": -2035, "msg": "User Data Stream subscription already active."})
    );

    // Signed requests carry a timestamp only.
    let placed = ws
        .call(
            "order.place",
            json!({"symbol": "FILUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                   "quantity": "10", "price": "3.000", "newClientOrderId": "ed-1",
                   "timestamp": sim.server.now_ms()}),
        )
        .await;
    assert_eq!(placed["status"], 200, "{placed}");
    let new = ws.event(0, "executionReport", |e| e["c"] == "ed-1").await;
    assert_eq!(new["x"], "NEW");
    let stale = ws
        .call(
            "openOrders.status",
            json!({"symbol": "FILUSDT", "timestamp": 1}),
        )
        .await;
    assert_eq!(
        stale["error"]["code"], -1021,
        "the timestamp is still checked"
    );
    let status = ws.call("session.status", json!({})).await;
    assert_eq!(status["result"]["userDataStream"], true);

    // Logging out ends the logon subscription (told so) and the unsigned requests.
    let out = ws.call("session.logout", json!({})).await;
    assert_eq!(
        (&out["result"]["apiKey"], &out["result"]["userDataStream"]),
        (&Value::Null, &json!(false))
    );
    let end = ws.event(0, "eventStreamTerminated", |_| true).await;
    assert_eq!(end["E"], sim.server.now_ms());
    let unsigned = ws
        .call(
            "openOrders.status",
            json!({"symbol": "FILUSDT", "timestamp": sim.server.now_ms()}),
        )
        .await;
    assert_eq!(unsigned["status"], 401, "{unsigned}");
}

#[tokio::test]
async fn rsa_and_ed25519_keys_sign_subscriptions_and_rest_requests() {
    let sim = spawn_keys().await;
    sim.server.step(1);
    let mut ws = WsApi::connect(&sim).await;
    let sub = ws
        .call(
            "userDataStream.subscribe.signature",
            signed_params(&sim, RSA_KEY, json!({}), rsa_sign),
        )
        .await;
    assert_eq!(sub["result"], json!({"subscriptionId": 0}), "{sub}");
    let forged = ws
        .call(
            "userDataStream.subscribe.signature",
            signed_params(&sim, RSA_KEY, json!({}), ed_sign),
        )
        .await;
    assert_eq!(forged["error"]["code"], -1022);

    // REST with an Ed25519 key: the base64 signature percent-encoded in the query.
    let q = format!(
        "symbol=FILUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=10&price=3.000&newClientOrderId=rest-ed&timestamp={}",
        sim.server.now_ms()
    );
    let sig = ed_sign(&q);
    let encoded = sig
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let placed = sim
        .send(
            Method::POST,
            "/api/v3/order",
            &format!("{q}&signature={encoded}"),
            Some(ED_KEY),
        )
        .await;
    assert_eq!(placed.status, 200, "{}", placed.body);
    let new = ws
        .event(0, "executionReport", |e| e["c"] == "rest-ed")
        .await;
    assert_eq!(new["X"], "NEW");

    // The order methods of the WebSocket API, signed with RSA.
    let test = ws
        .call(
            "order.test",
            signed_params(
                &sim,
                RSA_KEY,
                json!({"symbol": "FILUSDT", "side": "BUY", "type": "LIMIT",
                "timeInForce": "GTC", "quantity": "10", "price": "3.000"}),
                rsa_sign,
            ),
        )
        .await;
    assert_eq!(test["result"], json!({}), "{test}");
    let replaced = ws
        .call(
            "order.cancelReplace",
            signed_params(&sim, RSA_KEY, json!({"symbol": "FILUSDT", "cancelReplaceMode": "STOP_ON_FAILURE",
                "cancelOrigClientOrderId": "rest-ed", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                "quantity": "10", "price": "3.100", "newClientOrderId": "ws-replaced"}), rsa_sign),
        )
        .await;
    assert_eq!(replaced["result"]["cancelResult"], "SUCCESS", "{replaced}");
    assert_eq!(
        replaced["result"]["newOrderResponse"]["clientOrderId"],
        "ws-replaced"
    );
    let cancelled = ws
        .event(0, "executionReport", |e| {
            e["c"] == "rest-ed" && e["x"] == "CANCELED"
        })
        .await;
    assert_eq!(cancelled["X"], "CANCELED");
    let all = ws
        .call(
            "openOrders.cancelAll",
            signed_params(&sim, RSA_KEY, json!({"symbol": "FILUSDT"}), rsa_sign),
        )
        .await;
    assert_eq!(
        all["result"][0]["origClientOrderId"], "ws-replaced",
        "{all}"
    );
    ws.event(0, "executionReport", |e| {
        e["c"] == "ws-replaced" && e["x"] == "CANCELED"
    })
    .await;
    let gone = ws
        .call("userDataStream.unsubscribe", json!({"subscriptionId": 0}))
        .await;
    assert_eq!(gone["result"], json!({}));
    ws.event(0, "eventStreamTerminated", |_| true).await;
}

#[tokio::test]
async fn a_deposit_is_a_balance_update_then_an_account_position() {
    let sim = spawn().await;
    let mut ws = WsApi::connect(&sim).await;
    ws.signed(&sim, "userDataStream.subscribe.signature", json!({}))
        .await;
    let resp = sim
        .http
        .post(format!("{}/sim/deposit", sim.base))
        .json(&json!({"asset": "USDT", "amount": "250.5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let update = ws.event(0, "balanceUpdate", |_| true).await;
    assert_eq!(
        (&update["a"], &update["d"], &update["T"]),
        (
            &json!("USDT"),
            &json!("250.50000000"),
            &json!(sim.server.now_ms())
        )
    );
    assert!(
        ws.seen.is_empty(),
        "balanceUpdate comes first: {:?}",
        ws.seen
    );
    let position = ws.event(0, "outboundAccountPosition", |_| true).await;
    assert_eq!(
        super::ws_api::position(&position, "USDT")["f"],
        "10250.50000000"
    );
}
