//! The router: Binance's `/api/v3` paths with their weights and security (plus the stand-in
//! answers of `standin.rs` outside `/api`), the request pipeline (latency → weight limit →
//! 429 burst → parameters → signature → order count → fault before → execute → fault after),
//! and the `/sim` admin endpoints.

use super::auth::{check_key, check_signed, Auth};
use super::fail::Fail;
use super::faults::{Fault, FaultConfig};
use super::params::Params;
use super::{lock, market, standin, tickers, trade, Ctx, SimServer};
use crate::ports::exchange::codes;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;

type Handler = fn(&mut Ctx, &Params) -> Result<Value, Fail>;

/// One `/api/v3` endpoint: its handler and how it is counted and guarded.
pub(super) struct Endpoint {
    handler: Handler,
    /// Request weight (see `weight`).
    weight: u64,
    /// Weight when no `symbol` is sent (tickers, openOrders), else `weight`.
    weight_all: u64,
    /// Weight computed from the parameters (overrides the two above).
    weigh: Option<fn(&Params) -> u64>,
    /// Binance's security type: what is checked before the handler runs.
    security: Security,
    /// Counts against `ORDERS` and shows `X-MBX-ORDER-COUNT-*`.
    new_order: bool,
    /// Changes orders: subject to the before/after faults; free when it succeeds.
    mutating: bool,
}

const fn public(handler: Handler, weight: u64, weight_all: u64) -> Endpoint {
    Endpoint {
        handler,
        weight,
        weight_all,
        weigh: None,
        security: Security::None,
        new_order: false,
        mutating: false,
    }
}

const fn signed(handler: Handler, weight: u64, weight_all: u64) -> Endpoint {
    Endpoint {
        handler,
        weight,
        weight_all,
        weigh: None,
        security: Security::Signed,
        new_order: false,
        mutating: false,
    }
}

const fn order(handler: Handler, new_order: bool) -> Endpoint {
    Endpoint {
        handler,
        weight: 1,
        weight_all: 1,
        weigh: None,
        security: Security::Signed,
        new_order,
        mutating: true,
    }
}

/// Binance's endpoint security types that the server tells apart.
#[derive(Clone, Copy)]
enum Security {
    /// `NONE`: anyone.
    None,
    /// `MARKET_DATA` / `USER_STREAM`: a valid `X-MBX-APIKEY`, no signature.
    ApiKey,
    /// `TRADE` / `USER_DATA`: key, timestamp and signature.
    Signed,
}

/// A stand-in endpoint outside `/api` (`standin.rs`): on Binance it is counted in another
/// limit pool (SAPI, futures, options), so it costs nothing against the spot limits here.
const fn elsewhere(handler: Handler, security: Security) -> Endpoint {
    Endpoint {
        handler,
        weight: 0,
        weight_all: 0,
        weigh: None,
        security,
        new_order: false,
        mutating: false,
    }
}

/// `ep` with its weight computed by `weigh`.
const fn weighed(ep: Endpoint, weigh: fn(&Params) -> u64) -> Endpoint {
    Endpoint {
        weigh: Some(weigh),
        ..ep
    }
}

/// Tickers with `symbols` cost what they cost without `symbol` (`ticker/price`, `bookTicker`).
fn weight_price_tickers(p: &Params) -> u64 {
    if p.opt("symbol").is_some() {
        2
    } else {
        4
    }
}

fn weight_my_trades(p: &Params) -> u64 {
    if p.opt("orderId").is_some() {
        5
    } else {
        20
    }
}

fn weight_order_test(p: &Params) -> u64 {
    if p.opt("computeCommissionRates") == Some("true") {
        20
    } else {
        1
    }
}

fn ping(_: &mut Ctx, _: &Params) -> Result<Value, Fail> {
    Ok(serde_json::json!({}))
}

fn time(ctx: &mut Ctx, _: &Params) -> Result<Value, Fail> {
    Ok(serde_json::json!({"serverTime": ctx.now_ms}))
}

/// The endpoint table (weights from `rest-api.md`, 2026).
fn endpoint(method: &Method, path: &str) -> Option<Endpoint> {
    let m = method.as_str();
    Some(match (m, path) {
        ("GET", "/api/v3/ping") => public(ping, 1, 1),
        ("GET", "/api/v3/time") => public(time, 1, 1),
        ("GET", "/api/v3/exchangeInfo") => public(market::exchange_info, 20, 20),
        ("GET", "/api/v3/ticker/price") => {
            weighed(public(market::ticker_price, 2, 4), weight_price_tickers)
        }
        ("GET", "/api/v3/ticker/bookTicker") => {
            weighed(public(market::book_ticker, 2, 4), weight_price_tickers)
        }
        ("GET", "/api/v3/ticker/24hr") => {
            weighed(public(tickers::ticker_24hr, 2, 80), tickers::weight_24hr)
        }
        ("GET", "/api/v3/ticker") => {
            weighed(public(tickers::ticker_window, 4, 4), tickers::weight_window)
        }
        ("GET", "/api/v3/depth") => weighed(public(tickers::depth, 5, 5), tickers::weight_depth),
        ("GET", "/api/v3/trades") => public(tickers::trades, 25, 25),
        ("GET", "/api/v3/historicalTrades") => public(tickers::historical_trades, 25, 25),
        ("GET", "/api/v3/aggTrades") => public(tickers::agg_trades, 4, 4),
        ("GET", "/api/v3/klines" | "/api/v3/uiKlines") => public(market::klines, 2, 2),
        ("GET", "/api/v3/avgPrice") => public(market::avg_price, 2, 2),
        ("GET", "/api/v3/account") => signed(trade::account, 20, 20),
        ("GET", "/api/v3/account/commission") => signed(trade::commission, 20, 20),
        ("GET", "/api/v3/rateLimit/order") => signed(trade::rate_limit_order, 40, 40),
        ("GET", "/api/v3/openOrders") => signed(trade::open_orders, 6, 80),
        ("GET", "/api/v3/order") => signed(trade::query, 4, 4),
        ("GET", "/api/v3/allOrders") => signed(trade::all_orders, 20, 20),
        ("GET", "/api/v3/myTrades") => weighed(signed(trade::my_trades, 20, 20), weight_my_trades),
        ("GET", "/api/v3/myFilters") => signed(super::my_filters::my_filters, 40, 40),
        ("PUT", "/api/v3/order/amend/keepPriority") => signed(super::amend::amend, 4, 4),
        ("GET", "/api/v3/openOrderList") => signed(trade::no_order_lists, 6, 6),
        ("GET", "/api/v3/allOrderList") => signed(trade::all_order_lists, 20, 20),
        ("POST", "/api/v3/order/test") => {
            weighed(signed(trade::test_order, 1, 1), weight_order_test)
        }
        ("POST", "/api/v3/order") => order(trade::place, true),
        ("DELETE", "/api/v3/order") => order(trade::cancel, false),
        ("DELETE", "/api/v3/openOrders") => order(trade::cancel_all, false),
        ("POST", "/api/v3/order/cancelReplace") => order(trade::cancel_replace, true),
        ("GET", "/sapi/v1/capital/config/getall") => elsewhere(standin::coins, Security::Signed),
        ("GET", "/sapi/v1/asset/tradeFee") => elsewhere(standin::trade_fees, Security::Signed),
        ("GET", "/sapi/v1/system/status") => elsewhere(standin::system_status, Security::None),
        ("GET", "/sapi/v1/margin/allPairs") => elsewhere(standin::no_pairs, Security::ApiKey),
        ("GET", "/sapi/v1/margin/isolated/allPairs") => {
            elsewhere(standin::no_pairs, Security::Signed)
        }
        ("GET", "/fapi/v1/exchangeInfo") => elsewhere(standin::usd_m_futures, Security::None),
        ("GET", "/dapi/v1/exchangeInfo") => elsewhere(standin::coin_m_futures, Security::None),
        ("GET", "/eapi/v1/exchangeInfo") => elsewhere(standin::options, Security::None),
        _ => return None,
    })
}

fn ok(_: &mut Ctx, _: &Params) -> Result<Value, Fail> {
    Ok(serde_json::json!({}))
}

/// A WebSocket API method (`web-socket-api.md`) as an endpoint of the same pipeline: the REST
/// twin's handler, weight and security, or for the session and subscription methods
/// (`ws_api.rs` does what they do to the connection) their own weight and security.
pub(super) fn ws_endpoint(method: &str) -> Option<Endpoint> {
    let rest = |m: Method, path: &str| endpoint(&m, path);
    let own = |security| Endpoint {
        handler: ok,
        weight: 2,
        weight_all: 2,
        weigh: None,
        security,
        new_order: false,
        mutating: false,
    };
    match method {
        "ping" => rest(Method::GET, "/api/v3/ping"),
        "time" => rest(Method::GET, "/api/v3/time"),
        "exchangeInfo" => rest(Method::GET, "/api/v3/exchangeInfo"),
        "depth" => rest(Method::GET, "/api/v3/depth"),
        "trades.recent" => rest(Method::GET, "/api/v3/trades"),
        "trades.historical" => rest(Method::GET, "/api/v3/historicalTrades"),
        "trades.aggregate" => rest(Method::GET, "/api/v3/aggTrades"),
        "klines" => rest(Method::GET, "/api/v3/klines"),
        "uiKlines" => rest(Method::GET, "/api/v3/uiKlines"),
        "avgPrice" => rest(Method::GET, "/api/v3/avgPrice"),
        "ticker.24hr" => rest(Method::GET, "/api/v3/ticker/24hr"),
        "ticker" => rest(Method::GET, "/api/v3/ticker"),
        "ticker.price" => rest(Method::GET, "/api/v3/ticker/price"),
        "ticker.book" => rest(Method::GET, "/api/v3/ticker/bookTicker"),
        "account.status" => rest(Method::GET, "/api/v3/account"),
        "account.commission" => rest(Method::GET, "/api/v3/account/commission"),
        "account.rateLimits.orders" => rest(Method::GET, "/api/v3/rateLimit/order"),
        "myFilters" => rest(Method::GET, "/api/v3/myFilters"),
        "order.status" => rest(Method::GET, "/api/v3/order"),
        "openOrders.status" => rest(Method::GET, "/api/v3/openOrders"),
        "allOrders" => rest(Method::GET, "/api/v3/allOrders"),
        "myTrades" => rest(Method::GET, "/api/v3/myTrades"),
        "openOrderLists.status" => rest(Method::GET, "/api/v3/openOrderList"),
        "allOrderLists" => rest(Method::GET, "/api/v3/allOrderList"),
        "order.test" => rest(Method::POST, "/api/v3/order/test"),
        "order.place" => rest(Method::POST, "/api/v3/order"),
        "order.cancel" => rest(Method::DELETE, "/api/v3/order"),
        "order.cancelReplace" => rest(Method::POST, "/api/v3/order/cancelReplace"),
        "order.amend.keepPriority" => rest(Method::PUT, "/api/v3/order/amend/keepPriority"),
        "openOrders.cancelAll" => rest(Method::DELETE, "/api/v3/openOrders"),
        "session.logon" | "userDataStream.subscribe.signature" => Some(own(Security::Signed)),
        "session.status"
        | "session.logout"
        | "session.subscriptions"
        | "userDataStream.subscribe"
        | "userDataStream.unsubscribe" => Some(own(Security::None)),
        _ => None,
    }
}

/// The whole router: `/api/v3/*` plus the admin endpoints.
pub fn router(state: SimServer) -> Router {
    Router::new()
        .route("/sim/step", post(step))
        .route("/sim/faults", post(faults))
        .route("/sim/stats", get(stats))
        .route("/sim/symbol-status", post(super::admin::symbol_status))
        .route("/sim/execution-rule", post(super::admin::execution_rule))
        .route("/sim/max-asset", post(super::my_filters::set_max_asset))
        .route("/sim/deposit", post(super::admin::deposit))
        .route("/sim/ws-timing", post(super::link::set_timing))
        .route("/sim/ws/drop", post(super::link::drop_all))
        .route("/sim/ws/shutdown", post(super::link::shutdown_all))
        .route("/ws-api/v3", get(super::ws_api::upgrade))
        .route("/ws", get(super::market_ws::raw_bare))
        .route("/ws/{*streams}", get(super::market_ws::raw))
        .route("/stream", get(super::market_ws::combined))
        .fallback(api)
        .with_state(state)
}

#[derive(serde::Deserialize)]
struct StepQuery {
    n: Option<usize>,
}

async fn step(State(s): State<SimServer>, Query(q): Query<StepQuery>) -> Response {
    Json(s.step(q.n.unwrap_or(1))).into_response()
}

async fn faults(State(s): State<SimServer>, Json(cfg): Json<FaultConfig>) -> Response {
    s.set_faults(cfg);
    StatusCode::NO_CONTENT.into_response()
}

async fn stats(State(s): State<SimServer>) -> Response {
    Json(s.limit_stats()).into_response()
}

/// What the pipeline decided.
pub(super) struct Outcome {
    pub(super) result: Result<Value, Fail>,
    headers: Vec<(String, String)>,
    /// The same counts as `rateLimits` rows (WebSocket API answers).
    pub(super) rate_limits: Vec<Value>,
    /// A fault dropped the answer: the client gets none.
    pub(super) drop: bool,
}

async fn api(
    State(s): State<SimServer>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(ep) = endpoint(&method, uri.path()) else {
        // Binance answers unknown paths with a bare 404; the weight headers still say where
        // the client stands.
        return bare(&s, StatusCode::NOT_FOUND);
    };
    let latency = lock(&s.control).faults.config.latency_ms;
    let key = headers
        .get("x-mbx-apikey")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = String::from_utf8_lossy(&body).into_owned();
    let query = uri.query().unwrap_or("").to_string();
    // A request that arrived is handled even if the client hangs up meanwhile (as on
    // Binance: a client timeout says nothing about execution), so it runs in its own task.
    let state = s.clone();
    let task = tokio::spawn(async move {
        if latency > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
        }
        s.handle(&ep, &query, &body, Auth::Request(key.as_deref()))
    });
    match task.await {
        Ok(out) => render(out),
        Err(_) => bare(&state, StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// An answer without a body that still carries the weight headers.
fn bare(s: &SimServer, status: StatusCode) -> Response {
    let ctl = lock(&s.control);
    let used = ctl.limits.weight_headers_at(ctl.feed.now_ms());
    drop(ctl);
    let mut resp = status.into_response();
    insert_headers(&mut resp, used);
    resp
}

impl SimServer {
    /// The synchronous pipeline for one `/api` or WebSocket API request.
    pub(super) fn handle(&self, ep: &Endpoint, query: &str, body: &str, auth: Auth) -> Outcome {
        self.catch_up();
        let mut ctl = lock(&self.control);
        let limit_ms = ctl.feed.now_ms();
        let now_ms = ctl.now_ms();
        let parsed = Params::parse(query, body);
        let has_symbol = parsed
            .as_ref()
            .is_ok_and(|p| p.opt("symbol").is_some() || p.opt("symbols").is_some());
        let weight = match (ep.weigh, &parsed) {
            (Some(weigh), Ok(p)) => weigh(p),
            _ if has_symbol => ep.weight,
            _ => ep.weight_all,
        };
        let mut result = ctl.limits.admit(limit_ms, weight).and_then(|()| {
            if ctl.faults.fires(Fault::Burst429) {
                let mut f = Fail::with_status(
                    StatusCode::TOO_MANY_REQUESTS,
                    codes::TOO_MANY_REQUESTS,
                    "Too many requests queued.",
                );
                f.retry_after_secs = Some(1);
                return Err(f);
            }
            let p = parsed?;
            match ep.security {
                Security::None => {}
                Security::ApiKey => check_key(&lock(&self.credentials), auth.key()).map(drop)?,
                Security::Signed => {
                    let keys = lock(&self.credentials);
                    check_signed(&keys, auth, query, body, &p, now_ms)?;
                }
            }
            if ep.new_order {
                ctl.limits.count_order(limit_ms)?;
            }
            if ep.mutating && ctl.faults.fires(Fault::ErrorBefore) {
                return Err(Fail::with_status(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    codes::UNEXPECTED_RESP,
                    "An unexpected response was received from the message bus. Execution status unknown.",
                ));
            }
            let mut ex = lock(&self.exchange);
            let mut ctx = Ctx {
                ex: &mut ex,
                ctl: &mut ctl,
                now_ms,
            };
            (ep.handler)(&mut ctx, &p)
        });
        if ep.mutating {
            let ex = lock(&self.exchange);
            let ctl = &mut *ctl;
            ctl.stream.publish(&ex, &ctl.symbols, now_ms);
        }
        let mut drop = false;
        if ep.mutating && result.is_ok() {
            ctl.limits.refund(weight);
            if ep.new_order {
                if let Some(log) = &mut ctl.accepts {
                    log.push(std::time::Instant::now());
                }
            }
            if ctl.faults.fires(Fault::DropAfter) {
                drop = true;
            } else if ctl.faults.fires(Fault::ErrorAfter) {
                result = Err(Fail::with_status(
                    StatusCode::SERVICE_UNAVAILABLE,
                    codes::TIMEOUT,
                    "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
                ));
            }
        }
        let mut headers = ctl.limits.weight_headers();
        if ep.new_order {
            headers.extend(ctl.limits.order_headers());
        }
        Outcome {
            result,
            headers,
            rate_limits: ctl.limits.rate_limits(limit_ms, ep.new_order),
            drop,
        }
    }
}

fn render(out: Outcome) -> Response {
    if out.drop {
        // A body that fails at once: hyper aborts the connection, the client gets no answer.
        let failing = futures_util::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::other("response dropped by fault"))
        });
        return Body::from_stream(failing).into_response();
    }
    let (status, body, retry) = match out.result {
        Ok(v) => (StatusCode::OK, v, None),
        Err(f) => (f.status, f.body(), f.retry_after_secs),
    };
    let mut resp = (status, Json(body)).into_response();
    insert_headers(&mut resp, out.headers);
    if let Some(secs) = retry {
        resp.headers_mut()
            .insert("retry-after", HeaderValue::from(secs));
    }
    resp
}

fn insert_headers(resp: &mut Response, headers: Vec<(String, String)>) {
    let h = resp.headers_mut();
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            h.insert(k, v);
        }
    }
}

#[cfg(test)]
mod fuzz;
