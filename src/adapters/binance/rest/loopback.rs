//! The production transport (reqwest) against a tiny axum stub on 127.0.0.1: real sockets,
//! no internet. The stub checks what a Binance server checks: the key header and the HMAC
//! signature over the query string before `&signature=`.

use super::*;
use crate::adapters::binance::sign::Signer;
use crate::adapters::binance::transport::{HttpRequest, Method, TransportError};
use axum::extract::RawQuery;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::Router;

const KEY: &str = "loopbackkey0001";
const SECRET: &str = "loopbacksecret0001";

async fn time() -> String {
    let now = SystemClock.now_ms() + 250;
    format!("{{\"serverTime\":{now}}}")
}

async fn account(headers: HeaderMap, RawQuery(query): RawQuery) -> (StatusCode, String) {
    let query = query.unwrap_or_default();
    let key_ok = headers.get("x-mbx-apikey").and_then(|v| v.to_str().ok()) == Some(KEY);
    let signer = Signer::hmac(SECRET.to_string().into()).unwrap();
    let sig_ok = query
        .rsplit_once("&signature=")
        .is_some_and(|(payload, sig)| signer.sign(payload) == sig);
    if !key_ok || !sig_ok {
        return (
            StatusCode::UNAUTHORIZED,
            r#"{"code":-1022,"msg":"Signature for this request is not valid."}"#.into(),
        );
    }
    let body = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/binance-docs/account.json"
    ))
    .unwrap();
    (StatusCode::OK, body)
}

async fn serve() -> (String, tokio::sync::oneshot::Sender<()>) {
    let app = Router::new()
        .route("/api/v3/time", get(time))
        .route("/api/v3/account", get(account));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    (format!("http://{addr}"), stop)
}

#[tokio::test]
async fn signed_account_request_over_loopback() {
    let (url, stop) = serve().await;
    let rest = BinanceRest::new(
        RestConfig::new(&url),
        Some(Credentials::hmac(KEY, SECRET).unwrap()),
    )
    .unwrap();
    let account = rest.account().await.unwrap();
    assert_eq!(account.balances.len(), 2);
    assert!(account.can_trade);
    let offset = rest.time_offset_ms().unwrap();
    assert!((0..=1_000).contains(&offset), "offset {offset}");

    let wrong = BinanceRest::new(
        RestConfig::new(&url),
        Some(Credentials::hmac(KEY, "another-secret").unwrap()),
    )
    .unwrap();
    let err = wrong.account().await.unwrap_err();
    assert!(
        matches!(err, ExchangeError::Rejected(ApiError { code: -1022, .. })),
        "{err:?}"
    );
    let _ = stop.send(());
}

#[tokio::test]
async fn refused_connection_is_not_sent() {
    // Bind, note the port, close: nothing listens there any more.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let transport = ReqwestTransport::new(Duration::from_secs(5), Duration::from_secs(5)).unwrap();
    let err = transport
        .send(HttpRequest {
            method: Method::Get,
            url: format!("http://{addr}/api/v3/time"),
            headers: Vec::new(),
        })
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::NotSent(_)), "{err:?}");
}
