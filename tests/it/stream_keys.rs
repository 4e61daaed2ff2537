//! The client's user-data feed and REST calls with each key type against exchange-sim, and
//! the feeds' own requests in the client's weight budget:
//! - RSA: REST signed calls and `userDataStream.subscribe.signature` signed RSASSA-PKCS1-v1_5;
//! - Ed25519: `session.logon` then `userDataStream.subscribe` on every connection (again after
//!   a reconnect and on the rotation `serverShutdown` starts), fills pushed;
//! - the feed's `time`, subscribe and `ping` requests counted in `BinanceRest`'s limiter, and
//!   a short budget keeps the feed from subscribing at all.

use crate::client_sim::harness::*;
use binance_trader::adapters::binance::rate_limit::{LimitKind, LimitSpec};
use binance_trader::adapters::binance::ws::{spawn_streams, WsConfig};
use binance_trader::adapters::binance::{BinanceRest, Credentials};
use binance_trader::adapters::sim::server::PublicKeyCredential;
use binance_trader::core::order::{OrderStatus, Slot};
use binance_trader::ports::events::{ChannelEvents, EventSource, ExchangeEvent, StreamState};
use binance_trader::ports::exchange::Exchange;
use ed25519_dalek::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
use std::sync::Arc;
use std::time::Duration;

const RSA_KEY: &str = "rsaClientKey0001";
const ED_KEY: &str = "edClientKey0001";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        crate::harness::root()
            .join("tests/fixtures/keys")
            .join(name),
    )
    .unwrap()
}

fn ed_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[11u8; 32])
}

/// The server with the RSA fixture key and an Ed25519 key registered (public halves).
async fn spawn_keys() -> Sim {
    let sim = spawn().await;
    let rsa = PublicKeyCredential::from_pem(RSA_KEY, &fixture("sim-rsa-test-public.pem"));
    sim.server.add_public_key(rsa.unwrap());
    let ed_pem = ed_key()
        .verifying_key()
        .to_public_key_pem(Default::default())
        .unwrap();
    let ed = PublicKeyCredential::from_pem(ED_KEY, &ed_pem).unwrap();
    sim.server.add_public_key(ed);
    sim
}

fn rsa_credentials() -> Credentials {
    Credentials::rsa(RSA_KEY, &fixture("sim-rsa-test-private.pem")).unwrap()
}

fn ed_credentials() -> Credentials {
    let pem = ed_key().to_pkcs8_pem(Default::default()).unwrap();
    Credentials::ed25519(ED_KEY, &pem).unwrap()
}

fn feed_config(sim: &Sim) -> WsConfig {
    let mut cfg = WsConfig::for_rest_base(&sim.base);
    cfg.reconnect_min = Duration::from_millis(20);
    cfg.reconnect_max = Duration::from_millis(200);
    cfg.timeout = Duration::from_secs(2);
    cfg
}

/// The next user-stream state, skipping other events.
async fn next_state(events: &mut ChannelEvents) -> StreamState {
    loop {
        let e = tokio::time::timeout(Duration::from_secs(10), events.next_event())
            .await
            .expect("a stream state in time")
            .expect("source open");
        if let ExchangeEvent::Stream { state, .. } = e {
            return state;
        }
    }
}

/// Places a BUY above the market (it fills at once) and waits for its trade on `events`.
async fn a_fill_is_pushed(rest: &BinanceRest, events: &mut ChannelEvents, basket: u32) {
    let order = limit(basket, Slot::Buy(1), "4.100", "5");
    let placed = rest.place(&order).await.unwrap();
    assert_eq!(placed.status, OrderStatus::Filled, "{placed:?}");
    loop {
        let e = tokio::time::timeout(Duration::from_secs(10), events.next_event())
            .await
            .expect("the fill pushed in time")
            .expect("source open");
        if let ExchangeEvent::Order(u) = e {
            if u.trade.is_some() && u.report.order_id == placed.order_id {
                return;
            }
        }
    }
}

#[tokio::test]
async fn an_rsa_key_signs_rest_calls_and_the_user_stream_subscription() {
    let sim = spawn_keys().await;
    let rest = BinanceRest::new(test_config(&sim.base), Some(rsa_credentials())).unwrap();
    // A signed read and a signed order over REST: the server verified the RSA signatures
    // (base64, URL-encoded in the query).
    let account = rest.account().await.unwrap();
    assert!(!account.balances.is_empty());
    let mut events = spawn_streams(
        &feed_config(&sim),
        Some(Arc::new(rsa_credentials())),
        vec![],
    );
    assert_eq!(next_state(&mut events).await, StreamState::Up);
    assert_eq!(
        sim.server
            .ws_api_calls("userDataStream.subscribe.signature"),
        1
    );
    assert_eq!(
        sim.server.ws_api_calls("session.logon"),
        0,
        "RSA keys cannot log on"
    );
    a_fill_is_pushed(&rest, &mut events, 1).await;
}

#[tokio::test]
async fn an_ed25519_feed_logs_the_session_on_and_receives_fills_after_a_reconnect_too() {
    let sim = spawn_keys().await;
    let rest = BinanceRest::new(test_config(&sim.base), Some(ed_credentials())).unwrap();
    let mut events = spawn_streams(&feed_config(&sim), Some(Arc::new(ed_credentials())), vec![]);
    assert_eq!(next_state(&mut events).await, StreamState::Up);
    let calls = |m: &str| sim.server.ws_api_calls(m);
    assert_eq!(
        (
            calls("session.logon"),
            calls("userDataStream.subscribe"),
            calls("userDataStream.subscribe.signature")
        ),
        (1, 1, 0)
    );
    a_fill_is_pushed(&rest, &mut events, 1).await;

    assert!(sim.server.drop_ws_connections() >= 1);
    assert!(matches!(
        next_state(&mut events).await,
        StreamState::Down { .. }
    ));
    assert!(matches!(
        next_state(&mut events).await,
        StreamState::Gap { .. }
    ));
    assert_eq!(
        (calls("session.logon"), calls("userDataStream.subscribe")),
        (2, 2),
        "the new connection logged on again"
    );
    a_fill_is_pushed(&rest, &mut events, 2).await;

    // `serverShutdown`: the replacement connection logs on too, before the old one closes.
    assert!(sim.server.shut_down_ws_connections() >= 1);
    let end = tokio::time::Instant::now() + Duration::from_secs(5);
    while calls("userDataStream.subscribe") < 3 {
        assert!(tokio::time::Instant::now() < end, "no rotation");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(calls("session.logon"), 3);
    assert_eq!(calls("userDataStream.subscribe.signature"), 0);
    a_fill_is_pushed(&rest, &mut events, 3).await;
}

/// The request-weight count of the client's current minute.
fn used_weight(rest: &BinanceRest) -> u64 {
    rest.limiter()
        .used(LimitKind::RequestWeight, 60_000, rest.server_now_ms())
        .unwrap()
}

#[tokio::test]
async fn the_feeds_requests_are_counted_in_the_clients_weight_budget() {
    let sim = spawn_keys().await;
    let rest = sim.client();
    rest.sync_time().await.unwrap();
    let before = used_weight(&rest);
    let mut cfg = feed_config(&sim);
    cfg.budget = Some(rest.weight_budget());
    // Probe often, so the idle `ping` requests show too.
    cfg.probe_every = Duration::from_millis(200);
    cfg.stall_after = Duration::from_secs(5);
    let mut events = spawn_streams(&cfg, Some(Arc::new(sim_credentials())), vec![]);
    assert_eq!(next_state(&mut events).await, StreamState::Up);
    // `time` (1) + `userDataStream.subscribe.signature` (2).
    let subscribed = used_weight(&rest);
    assert!(subscribed >= before + 3, "{before} → {subscribed}");
    let wait_for = |target: u64, what: &'static str| {
        let rest = &rest;
        async move {
            let end = tokio::time::Instant::now() + Duration::from_secs(5);
            while used_weight(rest) < target {
                assert!(
                    tokio::time::Instant::now() < end,
                    "{what}: {} < {target}",
                    used_weight(rest)
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for(subscribed + 2, "the idle pings counted").await;
    // Another client on the same IP spends weight this one never saw (3 × `account`, 20
    // each); the feed's next answer (a ping's `rateLimits`) brings the server's count.
    let other = sim.client();
    for _ in 0..3 {
        other.account().await.unwrap();
    }
    let server = sim.server.limit_stats().max_used_weight;
    assert!(server >= subscribed + 60, "{server}");
    wait_for(
        server,
        "the server's count observed from the feed's answers",
    )
    .await;
}

fn sim_credentials() -> Credentials {
    Credentials::hmac(KEY, SECRET).unwrap()
}

#[tokio::test]
async fn a_short_weight_budget_keeps_the_feed_from_subscribing() {
    let sim = spawn_keys().await;
    let mut config = test_config(&sim.base);
    // 90 % of 3 is 2: the subscription's 3 never fits.
    config.default_limits = vec![LimitSpec {
        kind: LimitKind::RequestWeight,
        interval_ms: 60_000,
        limit: 3,
    }];
    let rest = BinanceRest::new(config, Some(sim_credentials())).unwrap();
    let mut cfg = feed_config(&sim);
    cfg.budget = Some(rest.weight_budget());
    let mut events = spawn_streams(&cfg, Some(Arc::new(sim_credentials())), vec![]);
    match next_state(&mut events).await {
        StreamState::Down { reason } => assert!(reason.contains("budget"), "{reason}"),
        other => panic!("expected Down, got {other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sim.server.ws_api_calls("time"), 0, "nothing was sent");
    assert_eq!(
        sim.server
            .ws_api_calls("userDataStream.subscribe.signature"),
        0
    );
}
