//! Connection behaviour and faults of the WebSocket endpoints, on loopback with short timings
//! (`SimServer::set_ws_timing`): server pings and the drop of a client that does not pong,
//! the lifetime cut (Binance's 24 hours, here 300 ms), `serverShutdown` on the WebSocket API
//! and on a combined stream, a dropped connection, a silent stall with pings still answered,
//! duplicated and reordered events.

use super::streams::Streams;
use super::ws_api::WsApi;
use super::*;
use binance_trader::adapters::sim::server::{FaultRate, WsTiming};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

fn fast(ping_ms: u64, pong_ms: u64, life_ms: u64, grace_ms: u64) -> WsTiming {
    WsTiming {
        ping_interval_ms: ping_ms,
        pong_timeout_ms: pong_ms,
        lifetime_ms: life_ms,
        shutdown_grace_ms: grace_ms,
    }
}

/// How a connection ended within `ms`: `Some(true)` with a close frame, `Some(false)`
/// without one (reset or EOF), `None` still open. Text frames read meanwhile are returned.
async fn ending(
    socket: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
    ms: u64,
) -> (Option<bool>, Vec<Value>) {
    let until = tokio::time::Instant::now() + Duration::from_millis(ms);
    let mut texts = Vec::new();
    loop {
        match tokio::time::timeout_at(until, socket.next()).await {
            Err(_) => return (None, texts),
            Ok(Some(Ok(Message::Close(_)))) => return (Some(true), texts),
            Ok(Some(Ok(Message::Text(t)))) => texts.push(serde_json::from_str(t.as_str()).unwrap()),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => return (Some(false), texts),
        }
    }
}

#[tokio::test]
async fn the_server_pings_and_drops_a_client_that_does_not_pong() {
    let sim = spawn().await;
    sim.server.set_ws_timing(fast(100, 300, 60_000, 1_000));
    let mut quiet = Streams::connect(&sim, "/ws/filusdt@trade").await;
    let mut alive = Streams::connect(&sim, "/ws/filusdt@trade").await;
    // The live client sees pings (and answers them by reading).
    let mut pings = 0;
    let until = tokio::time::Instant::now() + Duration::from_millis(700);
    while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(until, alive.socket.next()).await {
        if matches!(frame, Message::Ping(_)) {
            pings += 1;
        }
    }
    assert!(pings >= 4, "a ping every 100 ms, saw {pings}");
    // The quiet one read nothing, so it answered nothing: it is gone.
    let (end, _) = ending(&mut quiet.socket, 2_000).await;
    assert!(end.is_some(), "a client without pongs is disconnected");
    let (end, _) = ending(&mut alive.socket, 200).await;
    assert_eq!(end, None, "a client that pongs stays");
    sim.server.step(1);
    alive.wait_for("trade", |v| v["e"] == "trade").await;
}

#[tokio::test]
async fn connections_are_cut_at_their_lifetime() {
    let sim = spawn().await;
    sim.server.set_ws_timing(fast(20_000, 60_000, 300, 1_000));
    let mut stream = Streams::connect(&sim, "/ws/filusdt@trade").await;
    let mut api = WsApi::connect(&sim).await;
    let (end, _) = ending(&mut stream.socket, 2_000).await;
    assert_eq!(end, Some(true), "closed with a close frame at the lifetime");
    let (end, _) = ending(&mut api.socket, 2_000).await;
    assert_eq!(end, Some(true));
}

#[tokio::test]
async fn server_shutdown_is_announced_then_the_connection_closes() {
    let sim = spawn().await;
    sim.server.set_ws_timing(fast(20_000, 60_000, 60_000, 200));
    let mut stream = Streams::connect(&sim, "/stream?streams=filusdt@trade").await;
    let mut api = WsApi::connect(&sim).await;
    let sub = api
        .signed(&sim, "userDataStream.subscribe.signature", json!({}))
        .await;
    assert_eq!(sub["result"]["subscriptionId"], 0);
    assert_eq!(sim.server.shut_down_ws_connections(), 2);
    let e = stream
        .wait_for("serverShutdown", |v| v["stream"] == "!serverShutdown")
        .await;
    assert_eq!(
        e["data"],
        json!({"e": "serverShutdown", "E": sim.server.now_ms()})
    );
    let e = api
        .wait_for("serverShutdown", |v| v["event"]["e"] == "serverShutdown")
        .await;
    assert_eq!(
        e,
        json!({"event": {"e": "serverShutdown", "E": sim.server.now_ms()}})
    );
    assert_eq!(ending(&mut stream.socket, 2_000).await.0, Some(true));
    assert_eq!(ending(&mut api.socket, 2_000).await.0, Some(true));
}

#[tokio::test]
async fn a_dropped_connection_ends_without_a_close_frame() {
    let sim = spawn().await;
    let mut stream = Streams::connect(&sim, "/ws/filusdt@trade").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(sim.server.drop_ws_connections(), 1);
    assert_eq!(ending(&mut stream.socket, 2_000).await.0, Some(false));
}

#[tokio::test]
async fn a_stall_sends_nothing_but_still_answers_pings() {
    let sim = spawn().await;
    sim.server.step(1);
    let mut ws = Streams::connect(&sim, "/ws/filusdt@trade").await;
    sim.server.set_faults(FaultConfig {
        ws_stall: true,
        ..FaultConfig::default()
    });
    sim.server.step(1);
    ws.socket
        .send(Message::Ping(b"still there?".to_vec().into()))
        .await
        .unwrap();
    let mut pong = false;
    let mut texts = 0;
    let until = tokio::time::Instant::now() + Duration::from_millis(400);
    while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(until, ws.socket.next()).await {
        match frame {
            Message::Pong(p) => pong = p.as_ref() == b"still there?",
            Message::Text(_) => texts += 1,
            _ => {}
        }
    }
    assert!(pong, "pings are answered during a stall");
    assert_eq!(texts, 0, "no event during a stall");
    sim.server.set_faults(FaultConfig::default());
    sim.server.step(1);
    let t = ws
        .wait_for("trade after the stall", |v| v["e"] == "trade")
        .await;
    assert_eq!(
        t["t"], 9,
        "the stalled candle's trades are lost, the next ones arrive"
    );
}

#[tokio::test]
async fn duplicated_and_reordered_events() {
    let sim = spawn().await;
    sim.server.step(1);
    let mut ws = Streams::connect(&sim, "/ws/filusdt@trade").await;
    sim.server.set_faults(FaultConfig {
        ws_duplicate: FaultRate {
            next: 1,
            per_mille: 0,
        },
        ..FaultConfig::default()
    });
    sim.server.step(1);
    ws.drain(300).await;
    let ids = |ws: &mut Streams| -> Vec<u64> {
        let mut out = Vec::new();
        while let Some(i) = ws.seen.iter().position(|v| v["e"] == "trade") {
            out.push(ws.seen.remove(i)["t"].as_u64().unwrap());
        }
        out
    };
    assert_eq!(ids(&mut ws), [5, 5, 6, 7, 8]);
    sim.server.set_faults(FaultConfig {
        ws_reorder: FaultRate {
            next: 1,
            per_mille: 0,
        },
        ..FaultConfig::default()
    });
    sim.server.step(1);
    ws.drain(300).await;
    assert_eq!(ids(&mut ws), [10, 9, 11, 12]);
}
