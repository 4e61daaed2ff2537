//! Order entry over the WebSocket API (`order.place`, `order.cancel`, `order.cancelReplace`)
//! through the real client against exchange-sim on loopback. The client's HTTP transport is
//! wrapped to log what went over REST, so each test can tell which transport carried what:
//! - while the connection is up, order entry goes over it and nothing order-like over REST;
//! - an answer lost with the connection (the order executed, then the connection dropped) is
//!   looked up by client id over REST, never re-sent on either transport;
//! - with the WebSocket API unreachable, order entry goes over REST.

use crate::client_sim::harness::*;
use binance_trader::adapters::binance::request::CancelReplaceMode;
use binance_trader::adapters::binance::rest::{BinanceRest, Half, TokioPause};
use binance_trader::adapters::binance::transport::{
    HttpRequest, HttpResponse, HttpTransport, ReqwestTransport, TransportError,
};
use binance_trader::adapters::binance::ws::orders::WsOrders;
use binance_trader::adapters::binance::ws::WsConfig;
use binance_trader::adapters::binance::Credentials;
use binance_trader::adapters::clock::SystemClock;
use binance_trader::adapters::sim::server::{FaultConfig, FaultRate};
use binance_trader::core::order::{OrderStatus, Slot};
use binance_trader::ports::exchange::Exchange;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Reqwest, logging `METHOD path` of every request.
#[derive(Clone)]
pub(crate) struct Logged {
    pub(crate) inner: ReqwestTransport,
    pub(crate) log: Arc<Mutex<Vec<String>>>,
}

impl HttpTransport for Logged {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let path = req.url.split('?').next().unwrap_or_default();
        let path = path.splitn(4, '/').nth(3).unwrap_or_default();
        self.log
            .lock()
            .unwrap()
            .push(format!("{} /{path}", req.method.as_str()));
        self.inner.send(req).await
    }
}

struct Client {
    rest: BinanceRest<Logged>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Client {
    /// The client with order entry over the WebSocket API at `ws_api_url`.
    fn new(sim: &Sim, ws_api_url: Option<String>) -> Self {
        let config = test_config(&sim.base);
        let log = Arc::new(Mutex::new(Vec::new()));
        let inner = ReqwestTransport::new(Duration::from_secs(1), Duration::from_secs(1)).unwrap();
        let rest = BinanceRest::with_parts(
            config,
            Some(Credentials::hmac(KEY, SECRET).unwrap()),
            Logged {
                inner,
                log: log.clone(),
            },
            Arc::new(SystemClock),
            Arc::new(TokioPause),
        );
        let mut ws = WsConfig::for_rest_base(&sim.base);
        ws.reconnect_min = Duration::from_millis(10);
        ws.reconnect_max = Duration::from_millis(50);
        ws.timeout = Duration::from_secs(1);
        if let Some(url) = ws_api_url {
            ws.api_url = url;
        }
        let rest = rest.with_ws_orders(WsOrders::spawn(&ws));
        Self { rest, log }
    }

    async fn wait_up(&self) {
        for _ in 0..500 {
            if self.rest.orders_over_ws() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the WebSocket API order connection did not come up");
    }

    /// The REST requests so far, emptied.
    fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

fn order_entry_over_rest(log: &[String]) -> Vec<&String> {
    log.iter()
        .filter(|l| {
            l.starts_with("POST /api/v3/order")
                || l.starts_with("DELETE /api/v3/order")
                || l.starts_with("DELETE /api/v3/openOrders")
        })
        .collect()
}

fn drop_next() -> FaultConfig {
    FaultConfig {
        drop_after: FaultRate {
            next: 1,
            per_mille: 0,
        },
        ..FaultConfig::default()
    }
}

#[tokio::test]
async fn place_cancel_and_cancel_replace_go_over_the_websocket_api() {
    let sim = spawn().await;
    let c = Client::new(&sim, None);
    c.rest.sync_time().await.unwrap();
    c.wait_up().await;

    let b1 = limit(1, Slot::Buy(1), "3.900", "10");
    let placed = c.rest.place(&b1).await.unwrap();
    assert_eq!(
        (placed.status, placed.spec.slot),
        (OrderStatus::New, Slot::Buy(1))
    );
    let cancelled = c
        .rest
        .cancel(&fil(), &by_client(&b1.client_id))
        .await
        .unwrap();
    assert_eq!(cancelled.status, OrderStatus::Canceled);

    let b2 = limit(1, Slot::Buy(2), "3.800", "10");
    c.rest.place(&b2).await.unwrap();
    let mut b2_2 = limit(1, Slot::Buy(2), "3.700", "10");
    b2_2.client_id = id(1, Slot::Buy(2), 2);
    let cr = c
        .rest
        .cancel_replace(&b2.client_id, &b2_2, CancelReplaceMode::StopOnFailure)
        .await
        .unwrap();
    assert!(matches!(cr.cancel, Half::Done(ref r) if r.status == OrderStatus::Canceled));
    assert!(matches!(cr.new_order, Half::Done(ref r) if r.status == OrderStatus::New));

    // A cancel that fails (the order is gone): Binance's 409 with both halves in `data`.
    let mut b2_3 = limit(1, Slot::Buy(2), "3.600", "10");
    b2_3.client_id = id(1, Slot::Buy(2), 3);
    let cr = c
        .rest
        .cancel_replace(&b2.client_id, &b2_3, CancelReplaceMode::StopOnFailure)
        .await
        .unwrap();
    assert!(
        matches!(cr.cancel, Half::Failed(ref e) if e.code == -2011),
        "{cr:?}"
    );
    assert_eq!(cr.new_order, Half::NotAttempted);

    let log = c.take_log();
    assert!(
        order_entry_over_rest(&log).is_empty(),
        "order entry went over REST: {log:?}"
    );
    let open: Vec<_> = sim
        .all_orders()
        .into_iter()
        .filter(|o| o.status == OrderStatus::New)
        .map(|o| o.client_id)
        .collect();
    assert_eq!(open, [b2_2.client_id.clone()], "the server's book");
    assert!(sim.orders_with_id(&b2_3.client_id).is_empty());
}

#[tokio::test]
async fn an_answer_lost_with_the_connection_is_looked_up_never_resent() {
    let sim = spawn().await;
    let c = Client::new(&sim, None);
    c.rest.sync_time().await.unwrap();
    c.wait_up().await;

    // Placed, then the connection drops before the answer: found by its client id.
    sim.faults(drop_next());
    let b1 = limit(2, Slot::Buy(1), "3.900", "10");
    let report = c.rest.place(&b1).await.unwrap();
    assert_eq!(report.status, OrderStatus::New);
    assert_eq!(sim.orders_with_id(&b1.client_id).len(), 1, "exactly once");
    let log = c.take_log();
    assert!(order_entry_over_rest(&log).is_empty(), "no resend: {log:?}");
    assert!(
        log.iter().any(|l| l == "GET /api/v3/order"),
        "looked up by client id: {log:?}"
    );

    // A cancel whose answer is lost: looked up, found cancelled, not sent again.
    c.wait_up().await;
    sim.faults(drop_next());
    let cancelled = c
        .rest
        .cancel(&fil(), &by_client(&b1.client_id))
        .await
        .unwrap();
    assert_eq!(cancelled.status, OrderStatus::Canceled);
    let log = c.take_log();
    assert!(order_entry_over_rest(&log).is_empty(), "no resend: {log:?}");

    // A cancel-replace whose answer is lost: the new half by its id, the old one queried.
    c.wait_up().await;
    let b2 = limit(2, Slot::Buy(2), "3.800", "10");
    c.rest.place(&b2).await.unwrap();
    let mut b2_2 = limit(2, Slot::Buy(2), "3.700", "10");
    b2_2.client_id = id(2, Slot::Buy(2), 2);
    sim.faults(drop_next());
    let cr = c
        .rest
        .cancel_replace(&b2.client_id, &b2_2, CancelReplaceMode::StopOnFailure)
        .await
        .unwrap();
    assert!(matches!(cr.cancel, Half::Done(ref r) if r.status == OrderStatus::Canceled));
    assert!(matches!(cr.new_order, Half::Done(ref r) if r.status == OrderStatus::New));
    assert_eq!(sim.orders_with_id(&b2_2.client_id).len(), 1, "exactly once");
    assert_eq!(sim.all_orders().len(), 3);
    let log = c.take_log();
    assert!(order_entry_over_rest(&log).is_empty(), "no resend: {log:?}");

    // And the connection comes back for the next order.
    c.wait_up().await;
}

#[tokio::test]
async fn orders_go_over_rest_while_the_websocket_api_is_unreachable() {
    let sim = spawn().await;
    // A port nothing listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws-api/v3", closed.local_addr().unwrap());
    drop(closed);
    let c = Client::new(&sim, Some(url));
    c.rest.sync_time().await.unwrap();
    let b1 = limit(3, Slot::Buy(1), "3.900", "10");
    assert_eq!(c.rest.place(&b1).await.unwrap().status, OrderStatus::New);
    assert!(!c.rest.orders_over_ws());
    let log = c.take_log();
    assert_eq!(order_entry_over_rest(&log), ["POST /api/v3/order"]);
    assert_eq!(sim.orders_with_id(&b1.client_id).len(), 1);
}
