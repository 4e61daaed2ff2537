//! The client against a scripted transport and a manual clock: no network, no sleeps.

use super::*;
use crate::adapters::binance::request::CancelReplaceMode;
use crate::adapters::binance::transport::{HttpRequest, Method, TransportError};
use crate::adapters::clock::ManualClock;
use crate::core::client_id::{ClientOrderId, IdPrefix};
use crate::core::filters::{SymbolFilters, SymbolStatus};
use crate::core::money::{Price, Qty};
use crate::core::order::{OrderRef, OrderSpec, OrderStatus, OrderType, Slot};
use crate::core::symbol::Asset;
use rust_decimal_macros::dec;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;

const KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
/// A minute boundary plus one second, so weight windows are easy to reason about.
const T0: i64 = 1_700_000_040_000 + 1_000;

type Reply = Result<HttpResponse, TransportError>;

/// Answers requests from a queue, in order, and records them.
#[derive(Default)]
struct Script {
    queue: Mutex<VecDeque<Reply>>,
    log: Mutex<Vec<HttpRequest>>,
}

impl Script {
    fn push(&self, reply: Reply) {
        self.queue.lock().unwrap().push_back(reply);
    }
    fn requests(&self) -> Vec<HttpRequest> {
        self.log.lock().unwrap().clone()
    }
    fn count(&self, method: Method, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && path_of(&r.url) == path)
            .count()
    }
    fn left(&self) -> usize {
        self.queue.lock().unwrap().len()
    }
}

impl HttpTransport for Script {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.log.lock().unwrap().push(req.clone());
        let next = self.queue.lock().unwrap().pop_front();
        next.unwrap_or_else(|| panic!("unscripted request {req:?}"))
    }
}

/// Waiting advances the manual clock.
struct Advance(Arc<ManualClock>);

impl Pause for Advance {
    fn pause(&self, ms: u64) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        self.0.advance(i64::try_from(ms).unwrap());
        Box::pin(std::future::ready(()))
    }
}

fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").unwrap().1;
    let path = &rest[rest.find('/').unwrap()..];
    path.split('?').next().unwrap()
}

fn query_param<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    let query = req.url.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

struct Harness {
    clock: Arc<ManualClock>,
    rest: BinanceRest<Script>,
}

impl Harness {
    fn new() -> Self {
        Self::with_config(|_| {})
    }

    fn with_config(tweak: impl FnOnce(&mut RestConfig)) -> Self {
        let clock = Arc::new(ManualClock::new(T0));
        let mut config = RestConfig::new("http://127.0.0.1:1");
        config.unknown_grace_ms = 3_000;
        config.resolve_poll_ms = 1_000;
        config.resolve_budget_ms = 20_000;
        tweak(&mut config);
        let rest = BinanceRest::with_parts(
            config,
            Some(Credentials::hmac(KEY, SECRET).unwrap()),
            Script::default(),
            clock.clone(),
            Arc::new(Advance(clock.clone())),
        );
        Self { clock, rest }
    }

    fn script(&self) -> &Script {
        self.rest.transport()
    }

    fn reply(&self, status: u16, body: &str) {
        self.script().push(Ok(HttpResponse::new(status, body)));
    }

    fn server_time(&self, offset_ms: i64) {
        let now = self.clock.now_ms() + offset_ms;
        self.reply(200, &format!("{{\"serverTime\":{now}}}"));
    }

    fn error(&self, status: u16, code: i32, msg: &str) {
        self.reply(
            status,
            &serde_json::json!({"code": code, "msg": msg}).to_string(),
        );
    }
}

fn symbol() -> Symbol {
    Symbol::parse("SOLUSDC").unwrap()
}

fn new_order(slot: Slot) -> NewOrder {
    NewOrder {
        symbol: symbol(),
        client_id: ClientOrderId::ours(&IdPrefix::default(), 7, slot, 1),
        spec: OrderSpec::limit(slot, Price::new(dec!(100)), Qty::new(dec!(1))),
    }
}

fn order_body(client_id: &str, status: &str, executed: &str) -> String {
    serde_json::json!({
        "symbol": "SOLUSDC", "orderId": 991, "orderListId": -1, "clientOrderId": client_id,
        "price": "100.00", "origQty": "1.000", "executedQty": executed,
        "cummulativeQuoteQty": "0", "status": status, "timeInForce": "GTC", "type": "LIMIT",
        "side": "BUY", "stopPrice": "0.00", "time": T0, "updateTime": T0 + 5, "isWorking": true
    })
    .to_string()
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/binance-docs/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[tokio::test]
async fn signed_requests_carry_timestamp_window_signature_and_key() {
    let h = Harness::new();
    h.server_time(1_500);
    h.reply(200, &fixture("account.json"));
    let account = h.rest.account().await.unwrap();
    assert_eq!(account.balances.len(), 2);

    let reqs = h.script().requests();
    assert_eq!(path_of(&reqs[0].url), "/api/v3/time");
    assert!(reqs[0].headers.is_empty(), "public requests carry no key");
    let acct = &reqs[1];
    assert_eq!(
        (acct.method, path_of(&acct.url)),
        (Method::Get, "/api/v3/account")
    );
    assert_eq!(
        acct.headers,
        [("X-MBX-APIKEY".to_string(), KEY.to_string())]
    );
    assert_eq!(
        query_param(acct, "timestamp"),
        Some((T0 + 1_500).to_string().as_str())
    );
    assert_eq!(query_param(acct, "recvWindow"), Some("5000"));
    let query = acct.url.split_once('?').unwrap().1;
    let (payload, sig) = query.rsplit_once("&signature=").unwrap();
    assert!(payload.starts_with("omitZeroBalances=true&recvWindow=5000&timestamp="));
    let signer = crate::adapters::binance::sign::Signer::hmac(SECRET.to_string().into()).unwrap();
    assert_eq!(sig, signer.sign(payload));
    assert_eq!(h.rest.time_offset_ms(), Some(1_500));
}

#[tokio::test]
async fn clock_skew_resyncs_and_retries_once() {
    let h = Harness::new();
    h.server_time(0);
    h.error(
        400,
        -1021,
        "Timestamp for this request was 1000ms ahead of the server's time.",
    );
    h.server_time(-2_000);
    h.reply(200, &order_body("gb7-B1-1", "NEW", "0"));
    let report = h.rest.place(&new_order(Slot::Buy(1))).await.unwrap();
    assert_eq!(report.status, OrderStatus::New);
    assert_eq!(report.spec.slot, Slot::Buy(1));
    let posts: Vec<HttpRequest> = h
        .script()
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::Post)
        .collect();
    assert_eq!(posts.len(), 2);
    assert_eq!(
        query_param(&posts[0], "timestamp"),
        Some(T0.to_string().as_str())
    );
    assert_eq!(
        query_param(&posts[1], "timestamp"),
        Some((T0 - 2_000).to_string().as_str())
    );
    assert_eq!(
        query_param(&posts[1], "newClientOrderId"),
        Some("gb7-B1-1"),
        "same id"
    );

    // A second -1021 in a row is returned, not retried again.
    h.error(
        400,
        -1021,
        "Timestamp for this request is outside of the recvWindow.",
    );
    h.server_time(0);
    h.error(
        400,
        -1021,
        "Timestamp for this request is outside of the recvWindow.",
    );
    let err = h.rest.place(&new_order(Slot::Buy(2))).await.unwrap_err();
    assert!(matches!(err, ExchangeError::ClockSkew(_)), "{err:?}");
    assert_eq!(h.script().left(), 0);
}

#[tokio::test]
async fn timeout_on_place_is_resolved_by_querying_the_client_id() {
    let h = Harness::new();
    h.server_time(0);
    h.script()
        .push(Err(TransportError::MaybeSent("timeout".into())));
    h.reply(200, &order_body("gb7-B1-1", "PARTIALLY_FILLED", "0.400"));
    let report = h.rest.place(&new_order(Slot::Buy(1))).await.unwrap();
    assert_eq!(report.status, OrderStatus::PartiallyFilled);
    assert_eq!(report.executed_qty, Qty::new(dec!(0.4)));
    assert_eq!(report.spec.slot, Slot::Buy(1));
    assert_eq!(
        h.script().count(Method::Post, "/api/v3/order"),
        1,
        "never re-sent"
    );
    let query = h.script().requests().pop().unwrap();
    assert_eq!(
        (query.method, path_of(&query.url)),
        (Method::Get, "/api/v3/order")
    );
    assert_eq!(query_param(&query, "origClientOrderId"), Some("gb7-B1-1"));
}

/// An order body with its own exchange id and creation time.
fn order_body_at(client_id: &str, status: &str, order_id: u64, time: i64) -> String {
    let mut body: serde_json::Value =
        serde_json::from_str(&order_body(client_id, status, "0")).unwrap();
    body["orderId"] = order_id.into();
    body["time"] = time.into();
    body["updateTime"] = time.into();
    body.to_string()
}

#[tokio::test]
async fn an_older_namesake_is_not_taken_for_the_placement() {
    let h = Harness::new();
    h.server_time(0);
    h.script()
        .push(Err(TransportError::MaybeSent("timeout".into())));
    // The lookup by client id answers with a closed order of the same id from a day ago …
    h.reply(
        200,
        &order_body_at("gb7-B1-1", "FILLED", 17, T0 - 86_400_000),
    );
    // … so the client looks among the orders created when ours could have been.
    let ours = order_body_at("gb7-B1-1", "NEW", 991, T0 + 40);
    h.reply(200, &format!("[{ours}]"));
    let report = h.rest.place(&new_order(Slot::Buy(1))).await.unwrap();
    assert_eq!((report.order_id, report.status), (991, OrderStatus::New));
    let window = h.script().requests().pop().unwrap();
    assert_eq!(path_of(&window.url), "/api/v3/allOrders");
    let from = query_param(&window, "startTime")
        .unwrap()
        .parse::<i64>()
        .unwrap();
    let to = query_param(&window, "endTime")
        .unwrap()
        .parse::<i64>()
        .unwrap();
    let sent = h
        .script()
        .requests()
        .iter()
        .find(|r| r.method == Method::Post)
        .and_then(|r| query_param(r, "timestamp").map(str::to_string))
        .unwrap()
        .parse::<i64>()
        .unwrap();
    assert_eq!((from, to), (sent - 5_000, sent + 5_000));
}

#[tokio::test]
async fn a_namesake_alone_means_never_placed_after_the_grace() {
    let h = Harness::new();
    h.server_time(0);
    h.reply(503, "<html>Service Unavailable</html>");
    // The same schedule as a plain -2013 (ten lookups), each finding only the old namesake.
    for _ in 0..10 {
        h.reply(
            200,
            &order_body_at("gb7-B1-1", "CANCELED", 17, T0 - 600_000),
        );
        h.reply(200, "[]");
    }
    // The last look: not on the book, not in allOrders.
    h.reply(200, "[]");
    h.reply(200, "[]");
    let err = h.rest.place(&new_order(Slot::Buy(1))).await.unwrap_err();
    assert!(
        matches!(err, ExchangeError::Rejected(ref api) if api.code == -2013),
        "{err:?}"
    );
    assert_eq!(h.script().count(Method::Get, "/api/v3/allOrders"), 11);
    assert_eq!(h.script().count(Method::Get, "/api/v3/openOrders"), 1);
    assert_eq!(h.script().left(), 0);
}

#[tokio::test]
async fn minus_2013_means_never_placed_only_after_deadline_and_grace() {
    let h = Harness::new();
    h.server_time(0);
    h.reply(503, "<html>Service Unavailable</html>");
    // Queries every 1 s from T0: deadline T0+5000, first conclusive streak start T0+6000,
    // grace 3000 → conclusion at T0+9000: ten queries.
    for _ in 0..10 {
        h.error(400, -2013, "Order does not exist.");
    }
    // The last look: not on the book, not in allOrders.
    h.reply(200, "[]");
    h.reply(200, "[]");
    let err = h.rest.place(&new_order(Slot::Buy(1))).await.unwrap_err();
    assert_eq!(
        err,
        ExchangeError::Rejected(ApiError {
            code: -2013,
            msg: "Order does not exist.".into()
        })
    );
    assert_eq!(h.script().count(Method::Get, "/api/v3/order"), 10);
    assert_eq!(h.script().count(Method::Get, "/api/v3/openOrders"), 1);
    assert_eq!(h.script().left(), 0);
    assert_eq!(h.clock.now_ms(), T0 + 9_000);
    assert_eq!(
        h.script().count(Method::Post, "/api/v3/order"),
        1,
        "never re-sent"
    );
}

#[tokio::test]
async fn a_lagging_store_is_waited_out() {
    let h = Harness::new();
    h.server_time(0);
    h.error(500, -1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown.");
    h.error(400, -2013, "Order does not exist.");
    h.script()
        .push(Err(TransportError::MaybeSent("reset".into())));
    h.error(400, -2013, "Order does not exist.");
    h.reply(200, &order_body("gb7-B1-1", "FILLED", "1.000"));
    let report = h.rest.place(&new_order(Slot::Buy(1))).await.unwrap();
    assert_eq!(report.status, OrderStatus::Filled);
    assert_eq!(h.script().left(), 0);
}

#[tokio::test]
async fn resolution_gives_up_as_unknown_never_as_rejected() {
    let h = Harness::with_config(|c| c.resolve_budget_ms = 2_500);
    h.server_time(0);
    h.error(
        500,
        -1006,
        "An unexpected response was received from the message bus. Execution status unknown.",
    );
    for _ in 0..4 {
        h.error(400, -2013, "Order does not exist.");
    }
    let err = h.rest.place(&new_order(Slot::Buy(1))).await.unwrap_err();
    assert!(
        matches!(err, ExchangeError::Unknown(ref m) if m.contains("gb7-B1-1")),
        "{err:?}"
    );
    assert_eq!(h.script().count(Method::Get, "/api/v3/order"), 4);
    assert_eq!(h.script().count(Method::Post, "/api/v3/order"), 1);
}

#[tokio::test]
async fn failed_time_sync_means_the_order_was_not_sent() {
    let h = Harness::new();
    h.reply(503, "unavailable");
    let err = h.rest.place(&new_order(Slot::Buy(1))).await.unwrap_err();
    assert!(matches!(err, ExchangeError::Transport(_)), "{err:?}");
    assert_eq!(h.script().count(Method::Post, "/api/v3/order"), 0);
}

#[tokio::test]
async fn duplicate_order_means_it_exists() {
    let h = Harness::new();
    h.server_time(0);
    h.error(400, -2010, "Duplicate order sent.");
    h.reply(200, &order_body("gb7-B1-1", "NEW", "0"));
    let report = h.rest.place(&new_order(Slot::Buy(1))).await.unwrap();
    assert_eq!(report.order_id, 991);
}

#[tokio::test]
async fn a_duplicate_of_an_older_open_order_is_a_refusal() {
    let h = Harness::new();
    h.server_time(0);
    h.error(400, -2010, "Duplicate order sent.");
    // The open order with our id is an hour older than the request: not ours.
    h.reply(200, &order_body_at("gb7-B1-1", "NEW", 17, T0 - 3_600_000));
    let err = h.rest.place(&new_order(Slot::Buy(1))).await.unwrap_err();
    assert!(
        matches!(err, ExchangeError::Rejected(ref api) if api.code == -2010),
        "{err:?}"
    );
}

#[tokio::test]
async fn plain_rejections_are_returned_as_is() {
    let h = Harness::new();
    h.server_time(0);
    h.error(
        400,
        -2010,
        "Account has insufficient balance for requested action.",
    );
    let err = h.rest.place(&new_order(Slot::Buy(1))).await.unwrap_err();
    assert!(matches!(
        err,
        ExchangeError::Rejected(ApiError { code: -2010, .. })
    ));
    assert_eq!(h.script().left(), 0, "no query after a definite rejection");
}

#[tokio::test]
async fn retry_after_silences_normal_requests() {
    let h = Harness::new();
    h.script().push(Ok(
        HttpResponse::new(429, "").with_header("Retry-After", "30")
    ));
    let err = h.rest.ticker_price(&symbol()).await.unwrap_err();
    assert_eq!(
        err,
        ExchangeError::RateLimited {
            retry_after_ms: 30_000,
            banned: false
        }
    );
    let sent = h.script().requests().len();
    let err = h.rest.ticker_price(&symbol()).await.unwrap_err();
    assert!(matches!(
        err,
        ExchangeError::RateLimited { banned: false, .. }
    ));
    assert_eq!(
        h.script().requests().len(),
        sent,
        "nothing sent while quiet"
    );
    h.clock.advance(30_000);
    h.reply(200, &fixture("ticker_price.json"));
    assert_eq!(
        h.rest.ticker_price(&symbol()).await.unwrap(),
        Price::new(dec!(4.000002))
    );
}

#[tokio::test]
async fn used_weight_header_stops_requests_before_the_limit() {
    let h = Harness::new();
    h.script()
        .push(Ok(HttpResponse::new(200, fixture("ticker_price.json"))
            .with_header("X-MBX-USED-WEIGHT-1M", "1079")));
    h.rest.ticker_price(&symbol()).await.unwrap();
    // 1079 + 2 > 90 % of 1200: wait for the next minute (59 s > max_local_wait) → refused.
    let err = h.rest.ticker_price(&symbol()).await.unwrap_err();
    assert!(
        matches!(
            err,
            ExchangeError::RateLimited {
                retry_after_ms: 59_000,
                banned: false
            }
        ),
        "{err:?}"
    );
    assert_eq!(h.script().requests().len(), 1);
}

#[tokio::test]
async fn reads_retry_server_errors_with_backoff() {
    let h = Harness::new();
    h.reply(502, "Bad Gateway");
    h.script()
        .push(Err(TransportError::MaybeSent("reset".into())));
    h.reply(200, &fixture("ticker_price.json"));
    h.rest.ticker_price(&symbol()).await.unwrap();
    let waited = h.clock.now_ms() - T0;
    // Backoff 250 ms base: [125, 250] then [250, 500].
    assert!((375..=750).contains(&waited), "waited {waited}");

    for _ in 0..4 {
        h.script()
            .push(Err(TransportError::NotSent("connect: refused".into())));
    }
    let err = h.rest.ticker_price(&symbol()).await.unwrap_err();
    assert!(matches!(err, ExchangeError::Transport(_)));
    assert_eq!(h.script().left(), 0, "three retries, then the error");
}

#[tokio::test]
async fn cancel_of_an_order_that_already_filled_reports_the_fill() {
    let h = Harness::new();
    h.server_time(0);
    h.error(400, -2011, "Unknown order sent.");
    h.reply(200, &order_body("gb7-B1-1", "FILLED", "1.000"));
    let report = h
        .rest
        .cancel(
            &symbol(),
            &OrderRef::Client(new_order(Slot::Buy(1)).client_id),
        )
        .await
        .unwrap();
    assert_eq!(report.status, OrderStatus::Filled);
    assert_eq!(
        report.spec.slot,
        Slot::Buy(1),
        "slot read from our client id"
    );
}

#[tokio::test]
async fn cancel_with_unknown_outcome_checks_before_concluding() {
    let h = Harness::new();
    h.server_time(0);
    h.script()
        .push(Err(TransportError::MaybeSent("timeout".into())));
    h.reply(200, &order_body("gb7-B1-1", "NEW", "0"));
    h.reply(200, &order_body("gb7-B1-1", "CANCELED", "0"));
    let report = h
        .rest
        .cancel(
            &symbol(),
            &OrderRef::Client(new_order(Slot::Buy(1)).client_id),
        )
        .await
        .unwrap();
    assert_eq!(report.status, OrderStatus::Canceled);
    assert_eq!(
        h.script().count(Method::Delete, "/api/v3/order"),
        2,
        "re-sent once while open"
    );
}

#[tokio::test]
async fn cancel_all_flattens_lists_and_accepts_an_empty_book() {
    let h = Harness::new();
    h.server_time(0);
    h.reply(200, &fixture("openOrders_cancel_all.json"));
    let reports = h.rest.cancel_all(&symbol()).await.unwrap();
    assert_eq!(reports.len(), 4);
    h.error(400, -2011, "Unknown order sent.");
    assert!(h.rest.cancel_all(&symbol()).await.unwrap().is_empty());
}

#[tokio::test]
async fn cancel_replace_409_reports_each_half() {
    let h = Harness::new();
    h.server_time(0);
    h.reply(409, &fixture("order_cancelReplace_3.json"));
    let old = ClientOrderId::parse("gb7-TP1-1").unwrap();
    let mut new = new_order(Slot::Tp1);
    new.client_id = ClientOrderId::parse("gb7-TP1-2").unwrap();
    let report = h
        .rest
        .cancel_replace(&old, &new, CancelReplaceMode::StopOnFailure)
        .await
        .unwrap();
    let Half::Done(cancelled) = &report.cancel else {
        panic!("{report:?}")
    };
    assert_eq!(cancelled.status, OrderStatus::Canceled);
    assert_eq!(cancelled.spec.order_type, OrderType::LimitMaker);
    assert_eq!(
        report.new_order,
        Half::Failed(ApiError {
            code: -2010,
            msg: "Order would immediately match and take.".into()
        })
    );

    h.reply(200, &fixture("order_cancelReplace.json"));
    let report = h
        .rest
        .cancel_replace(&old, &new, CancelReplaceMode::StopOnFailure)
        .await
        .unwrap();
    let Half::Done(placed) = &report.new_order else {
        panic!("{report:?}")
    };
    assert_eq!((placed.order_id, placed.spec.slot), (10, Slot::Tp1));

    h.reply(409, &fixture("order_cancelReplace_2.json"));
    let report = h
        .rest
        .cancel_replace(&old, &new, CancelReplaceMode::StopOnFailure)
        .await
        .unwrap();
    assert_eq!(report.new_order, Half::NotAttempted);
}

#[tokio::test]
async fn a_failed_lookup_of_the_cancelled_half_does_not_hide_the_placed_one() {
    let h = Harness::new();
    h.server_time(0);
    h.script()
        .push(Err(TransportError::MaybeSent("timeout".into())));
    // The new half is found; the lookup of the old one is rate limited.
    h.reply(200, &order_body("gb7-B1-1", "NEW", "0"));
    h.script().push(Ok(
        HttpResponse::new(429, "").with_header("Retry-After", "1")
    ));
    let old = ClientOrderId::parse("gb7-B1-0").unwrap();
    let report = h
        .rest
        .cancel_replace(
            &old,
            &new_order(Slot::Buy(1)),
            CancelReplaceMode::StopOnFailure,
        )
        .await
        .unwrap();
    assert!(
        matches!(report.new_order, Half::Done(ref r) if r.order_id == 991),
        "{report:?}"
    );
    assert!(
        matches!(report.cancel, Half::Unknown(ref why) if why.contains("gb7-B1-0")),
        "{report:?}"
    );
}

#[tokio::test]
async fn the_core_parser_is_the_default() {
    let h = Harness::new();
    let info = include_str!("../../../../data/exchange_info.json");
    h.reply(200, info);
    let fil = Symbol::parse("FILUSDT").unwrap();
    let rules = h.rest.symbol_rules(&fil).await.unwrap();
    assert_eq!(
        rules,
        crate::core::filters::parse::symbol_rules(info, &fil).unwrap()
    );
    // A document without the symbol is an unreadable answer, not a rejection.
    h.reply(200, info);
    let absent = Symbol::parse("NOPEUSDT").unwrap();
    let err = h.rest.symbol_rules(&absent).await.unwrap_err();
    assert!(
        matches!(err, ExchangeError::Unknown(ref m) if m.contains("NOPEUSDT")),
        "{err:?}"
    );
}

fn fake_rules(json: &str, symbol: &Symbol) -> Result<SymbolRules, String> {
    if !json.contains(symbol.as_str()) {
        return Err(format!("{symbol} not in exchangeInfo"));
    }
    Ok(SymbolRules {
        symbol: symbol.clone(),
        status: SymbolStatus::Trading,
        base_asset: Asset::parse("SOL").unwrap(),
        quote_asset: Asset::parse("USDC").unwrap(),
        order_types: vec![OrderType::Limit],
        allow_trailing_stop: true,
        cancel_replace_allowed: true,
        amend_allowed: false,
        filters: SymbolFilters::basic(dec!(0.01), dec!(0.001), dec!(5)),
    })
}

#[tokio::test]
async fn exchange_info_is_cached_daily_and_sets_the_limits() {
    let h = Harness::new();
    let rest = BinanceRest::with_parts(
        h.rest.config().clone(),
        None,
        Script::default(),
        h.clock.clone(),
        Arc::new(Advance(h.clock.clone())),
    )
    .with_rules_parser(fake_rules);
    let info = r#"{"timezone":"UTC","serverTime":1,"rateLimits":[
        {"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000},
        {"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":100}],
        "symbols":[{"symbol":"SOLUSDC"}]}"#;
    rest.transport().push(Ok(HttpResponse::new(200, info)));
    let rules = rest.symbol_rules(&symbol()).await.unwrap();
    assert_eq!(rules.symbol, symbol());
    rest.symbol_rules(&symbol()).await.unwrap();
    assert_eq!(
        rest.transport().requests().len(),
        1,
        "second read from the cache"
    );
    let limits = rest.limiter().limits();
    assert_eq!(limits.len(), 2);
    assert_eq!(limits[0].limit, 6_000);
    let req = &rest.transport().requests()[0];
    assert_eq!(
        req.url,
        "http://127.0.0.1:1/api/v3/exchangeInfo?symbol=SOLUSDC"
    );

    h.clock.advance(24 * 3_600_000);
    rest.transport().push(Ok(HttpResponse::new(200, info)));
    rest.symbol_rules(&symbol()).await.unwrap();
    assert_eq!(
        rest.transport().requests().len(),
        2,
        "refreshed after a day"
    );
}

#[tokio::test]
async fn signed_calls_without_credentials_are_refused_locally() {
    let clock = Arc::new(ManualClock::new(T0));
    let rest = BinanceRest::with_parts(
        RestConfig::new("http://127.0.0.1:1"),
        None,
        Script::default(),
        clock.clone(),
        Arc::new(Advance(clock)),
    );
    rest.transport()
        .push(Ok(HttpResponse::new(200, "{\"serverTime\":1}")));
    let err = rest.account().await.unwrap_err();
    assert!(
        matches!(err, ExchangeError::Rejected(ApiError { code: 0, .. })),
        "{err:?}"
    );
    assert!(rest
        .transport()
        .requests()
        .iter()
        .all(|r| path_of(&r.url) == "/api/v3/time"));
}

#[test]
fn debug_output_redacts_credentials() {
    let h = Harness::new();
    let text = format!("{:?}", h.rest);
    assert!(!text.contains(SECRET), "{text}");
    assert!(!text.contains(KEY), "{text}");
    assert!(text.contains("vmPU…"), "{text}");
    assert!(text.contains("127.0.0.1:1"));
}

mod hardening;
mod klines;
