//! [`BinanceRest`]: the Binance spot REST client, implementing the [`Exchange`] port.
//!
//! One request goes through [`BinanceRest::call`]: the local budget grants its weight (waiting
//! up to `max_local_wait_ms`, else `RateLimited`), signed requests get `timestamp` (estimated
//! server time: local clock + offset to `GET /api/v3/time`) and `recvWindow`, the response
//! headers update the budget, a 429/418 starts the quiet period, and -1021 triggers one time
//! resync and one retry (a -1021 request was refused, so the retry cannot duplicate anything).
//!
//! Reads retry network errors and 5xx with backoff ([`BinanceRest::read`]). Order placements
//! never retry blindly: an unknown outcome is resolved by querying the client order id (see
//! [`crate::core::missing_order`] and `orders.rs`). Everything is specified in `.spec/binance-client.md`.
//!
//! Time and waiting come in through the [`Clock`] port and the [`Pause`] trait, so tests drive
//! the whole client — retries, grace windows, Retry-After — with a manual clock and no sleeps.

mod account_filters;
mod amend;
mod budget;
mod config;
mod market;
mod orders;

pub use budget::WeightBudget;
pub use config::{
    core_rules, Pause, RestConfig, RulesParser, TokioPause, PRODUCTION_URL, TESTNET_URL,
};
pub use orders::{CancelReplaceReport, Half};

use super::credentials::Credentials;
use super::endpoints::{self, Endpoint, Security};
use super::error::{ban_length_ms, classify, from_transport};
use super::rate_limit::{Cost, Denied, Priority, RateLimiter};
use super::request::{self, Params, Signing};
use super::transport::{HttpResponse, HttpTransport, ReqwestTransport, TransportError};
use super::wire::ServerTime;
use super::ws::{feed, orders as ws_orders, orders::WsOrders};
use crate::adapters::clock::SystemClock;
use crate::core::client_id::ClientOrderId;
use crate::core::filters::account::AccountFilters;
use crate::core::filters::SymbolRules;
use crate::core::money::{Price, Qty};
use crate::core::symbol::Symbol;
use crate::ports::clock::Clock;
use crate::ports::exchange::{
    Account, ApiError, BookTicker, Exchange, ExchangeError, ExchangeTrade, NewOrder, OrderRef,
    OrderReport, Orders,
};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The client could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot build the Binance client: {0}")]
pub struct BuildError(String);

struct State {
    offset_ms: Option<i64>,
    synced_at_ms: i64,
    limiter: RateLimiter,
    exchange_info: BTreeMap<String, (i64, Arc<str>)>,
    rng: StdRng,
}

/// A request that got a 2xx answer.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The response.
    pub response: HttpResponse,
    /// The `timestamp` sent (signed requests).
    pub timestamp_ms: Option<i64>,
}

/// A request that failed, with what is known about it.
#[derive(Debug, Clone)]
pub struct Failure {
    /// What the caller must do.
    pub error: ExchangeError,
    /// The `timestamp` sent, when the request went out signed.
    pub timestamp_ms: Option<i64>,
    /// The non-2xx response, when there was one.
    pub response: Option<HttpResponse>,
}

impl Failure {
    fn local(error: ExchangeError) -> Self {
        Self {
            error,
            timestamp_ms: None,
            response: None,
        }
    }
}

/// The Binance spot REST client.
pub struct BinanceRest<T: HttpTransport = ReqwestTransport> {
    config: RestConfig,
    credentials: Option<Arc<Credentials>>,
    transport: T,
    clock: Arc<dyn Clock>,
    pause: Arc<dyn Pause>,
    rules_parser: RulesParser,
    /// Shared by the views [`BinanceRest::for_prefix`] makes: one weight budget, one offset.
    state: Arc<Mutex<State>>,
    /// Order entry over the WebSocket API while it is up (REST otherwise).
    ws_orders: Option<WsOrders>,
}

impl BinanceRest<ReqwestTransport> {
    /// A client on reqwest + rustls, the system clock and tokio sleeps. Public endpoints work
    /// without credentials.
    pub fn new(config: RestConfig, credentials: Option<Credentials>) -> Result<Self, BuildError> {
        let transport = ReqwestTransport::new(
            Duration::from_millis(config.request_timeout_ms),
            Duration::from_millis(config.connect_timeout_ms),
        )
        .map_err(BuildError)?;
        Ok(Self::with_parts(
            config,
            credentials,
            transport,
            Arc::new(SystemClock),
            Arc::new(TokioPause),
        ))
    }
}

impl<T: HttpTransport> BinanceRest<T> {
    /// A client from its parts (tests pass a scripted transport and a manual clock).
    pub fn with_parts(
        config: RestConfig,
        credentials: Option<Credentials>,
        transport: T,
        clock: Arc<dyn Clock>,
        pause: Arc<dyn Pause>,
    ) -> Self {
        let limiter = RateLimiter::new(&config.default_limits, config.safety_pct);
        Self {
            config,
            credentials: credentials.map(Arc::new),
            transport,
            clock,
            pause,
            rules_parser: core_rules,
            state: Arc::new(Mutex::new(State {
                offset_ms: None,
                synced_at_ms: i64::MIN,
                limiter,
                exchange_info: BTreeMap::new(),
                rng: StdRng::from_os_rng(),
            })),
            ws_orders: None,
        }
    }

    /// This client for another client-id prefix (a portfolio's grid), sharing everything
    /// else: the credentials, the connection pool, the time offset, the rules cache and the
    /// one request-weight budget of the account.
    pub fn for_prefix(&self, id_prefix: crate::core::client_id::IdPrefix) -> Self
    where
        T: Clone,
    {
        let mut config = self.config.clone();
        config.id_prefix = id_prefix;
        Self {
            config,
            credentials: self.credentials.clone(),
            transport: self.transport.clone(),
            clock: Arc::clone(&self.clock),
            pause: Arc::clone(&self.pause),
            rules_parser: self.rules_parser,
            state: Arc::clone(&self.state),
            ws_orders: self.ws_orders.clone(),
        }
    }

    /// Sends order entry (place, cancel, cancel-replace, cancel-all) over `ws` while it is
    /// connected, over REST otherwise; the same budget, signing rules and unknown-outcome
    /// rules either way (`ws/orders.rs`).
    pub fn with_ws_orders(mut self, ws: WsOrders) -> Self {
        self.ws_orders = Some(ws);
        self
    }

    /// Whether order entry goes over the WebSocket API now.
    pub fn orders_over_ws(&self) -> bool {
        self.ws_orders.as_ref().is_some_and(WsOrders::is_up)
    }

    /// Replaces the exchangeInfo → rules parser used by [`Exchange::symbol_rules`] (default:
    /// [`core_rules`]).
    pub fn with_rules_parser(mut self, parser: RulesParser) -> Self {
        self.rules_parser = parser;
        self
    }

    /// The settings.
    pub fn config(&self) -> &RestConfig {
        &self.config
    }

    /// The transport (tests inspect what was sent).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent counters: keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn local_now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Estimated server time: local clock + last measured offset (0 before the first sync).
    pub fn server_now_ms(&self) -> i64 {
        self.local_now() + self.state().offset_ms.unwrap_or(0)
    }

    /// The measured offset server − local, once synced.
    pub fn time_offset_ms(&self) -> Option<i64> {
        self.state().offset_ms
    }

    /// A handle on this client's weight budget for the WebSocket feeds, whose requests
    /// count against the same per-IP weight (`budget.rs`).
    pub fn weight_budget(&self) -> WeightBudget {
        WeightBudget {
            state: Arc::clone(&self.state),
            clock: Arc::clone(&self.clock),
        }
    }

    /// A snapshot of the local rate limiter.
    pub fn limiter(&self) -> RateLimiter {
        self.state().limiter.clone()
    }

    /// Measures the offset to `GET /api/v3/time` (midpoint of the round trip).
    pub async fn sync_time(&self) -> Result<i64, ExchangeError> {
        let t0 = self.local_now();
        let sent = self
            .attempt(&endpoints::TIME, &Params::new(), Priority::Normal)
            .await
            .map_err(|f| f.error)?;
        let t1 = self.local_now();
        let time: ServerTime = decode(&sent.response, endpoints::TIME.path)?;
        let offset = time.server_time - (t0 + (t1 - t0) / 2);
        let mut state = self.state();
        state.offset_ms = Some(offset);
        state.synced_at_ms = t1;
        Ok(offset)
    }

    async fn ensure_synced(&self) -> Result<(), ExchangeError> {
        let stale = {
            let state = self.state();
            state.offset_ms.is_none()
                || self.local_now().saturating_sub(state.synced_at_ms) >= self.config.time_resync_ms
        };
        if stale {
            self.sync_time().await?;
        }
        Ok(())
    }

    /// Waits for the local budget (up to `max_local_wait_ms` per wait) or says why not; the
    /// estimated server time at which it was granted.
    async fn acquire(&self, cost: Cost, priority: Priority) -> Result<i64, ExchangeError> {
        for _ in 0..4 {
            let now = self.server_now_ms();
            let denied = match self.state().limiter.try_acquire(cost, priority, now) {
                Ok(()) => return Ok(now),
                Err(d) => d,
            };
            let wait = u64::try_from(denied.until_ms() - now).unwrap_or(0);
            let banned = matches!(denied, Denied::RetryAfter { banned: true, .. });
            if banned || wait > self.config.max_local_wait_ms {
                return Err(ExchangeError::RateLimited {
                    retry_after_ms: wait,
                    banned,
                });
            }
            self.pause.pause(wait).await;
        }
        Err(ExchangeError::RateLimited {
            retry_after_ms: self.config.max_local_wait_ms,
            banned: false,
        })
    }

    /// One request: budget, timestamp and signature, send, headers, classification.
    async fn attempt(
        &self,
        endpoint: &Endpoint,
        params: &Params,
        priority: Priority,
    ) -> Result<Sent, Failure> {
        let cost = Cost {
            weight: endpoint.weight,
            orders: endpoint.orders,
        };
        let granted_ms = self.acquire(cost, priority).await.map_err(Failure::local)?;
        let signing = match (endpoint.security, &self.credentials) {
            (Security::None, _) => None,
            (Security::Signed, Some(credentials)) => Some(Signing {
                credentials,
                timestamp_ms: self.server_now_ms(),
                recv_window_ms: self.config.recv_window_ms,
            }),
            (Security::Signed, None) => {
                return Err(Failure::local(ExchangeError::Rejected(ApiError {
                    code: 0,
                    msg: format!("{} needs API credentials", endpoint.path),
                })))
            }
        };
        let timestamp_ms = signing.map(|s| s.timestamp_ms);
        tracing::debug!(
            method = endpoint.method.as_str(),
            path = endpoint.path,
            "binance request"
        );
        let response = match self.send(endpoint, params, signing).await {
            Ok(r) => r,
            Err(e) => {
                return Err(Failure {
                    error: from_transport(&e),
                    timestamp_ms,
                    response: None,
                })
            }
        };
        let now = self.server_now_ms();
        let mut state = self.state();
        if endpoint.free_on_success && response.is_success() {
            // Before the headers: they then raise the count if the server saw more.
            state.limiter.refund_weight(cost.weight, granted_ms);
        }
        state.limiter.observe_headers(&response.headers, now);
        if response.is_success() {
            return Ok(Sent {
                response,
                timestamp_ms,
            });
        }
        let mut error = classify(&response, now);
        if let ExchangeError::RateLimited {
            retry_after_ms,
            banned,
        } = &mut error
        {
            if *banned && ban_length_ms(&response, now).is_none() {
                *retry_after_ms = state.limiter.unstated_ban_ms(now);
            }
            state
                .limiter
                .observe_retry_after(*retry_after_ms, *banned, now);
        }
        drop(state);
        tracing::debug!(path = endpoint.path, status = response.status, %error, "binance error");
        Err(Failure {
            error,
            timestamp_ms,
            response: Some(response),
        })
    }

    /// Over the WebSocket API when `endpoint` has a twin there and the connection is up;
    /// over HTTP when it is not (nothing was written: falling back cannot duplicate).
    async fn send(
        &self,
        endpoint: &Endpoint,
        params: &Params,
        signing: Option<Signing<'_>>,
    ) -> Result<HttpResponse, TransportError> {
        let ws = self.ws_orders.as_ref().filter(|w| w.is_up());
        let method = ws_orders::method_for(endpoint.method.as_str(), endpoint.path);
        if let (Some(ws), Some(method), Some(s)) = (ws, method, signing) {
            let raw = params.pairs().iter().map(|(n, v)| (*n, v.as_str()));
            let signed = feed::signed(
                s.credentials,
                ws_orders::params_of(raw),
                s.timestamp_ms,
                s.recv_window_ms,
            );
            match ws.send(method, signed).await {
                Err(TransportError::NotSent(why)) => {
                    tracing::debug!(%why, method, "order entry over REST");
                }
                other => return other,
            }
        }
        let req = request::build(&self.config.base_url, endpoint, params, signing);
        self.transport.send(req).await
    }

    /// One request with time sync for signed endpoints and one resync-and-retry on -1021.
    pub async fn call(
        &self,
        endpoint: &Endpoint,
        params: &Params,
        priority: Priority,
    ) -> Result<Sent, Failure> {
        if endpoint.security == Security::Signed {
            // Nothing has been sent yet: a failed sync is never an unknown outcome.
            self.ensure_synced().await.map_err(|e| {
                Failure::local(match e {
                    ExchangeError::RateLimited { .. } => e,
                    other => ExchangeError::Transport(format!("time sync failed: {other}")),
                })
            })?;
        }
        let first = self.attempt(endpoint, params, priority).await;
        match first {
            Err(Failure {
                error: ExchangeError::ClockSkew(_),
                ..
            }) => {
                if self.sync_time().await.is_err() {
                    return first;
                }
                self.attempt(endpoint, params, priority).await
            }
            other => other,
        }
    }

    /// A read: [`Self::call`] with backoff retries after `Unknown` / `Transport`.
    pub async fn read(
        &self,
        endpoint: &Endpoint,
        params: &Params,
    ) -> Result<HttpResponse, ExchangeError> {
        let mut retry = 0;
        loop {
            match self.call(endpoint, params, Priority::Normal).await {
                Ok(sent) => return Ok(sent.response),
                Err(f) => match f.error {
                    ExchangeError::Unknown(_) | ExchangeError::Transport(_)
                        if retry < self.config.read_retries =>
                    {
                        let delay = {
                            let mut state = self.state();
                            self.config.backoff.delay_ms(retry, &mut state.rng)
                        };
                        retry += 1;
                        self.pause.pause(delay).await;
                    }
                    e => return Err(e),
                },
            }
        }
    }

    /// [`Self::read`] and decode the body.
    async fn read_json<W: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
        params: &Params,
    ) -> Result<W, ExchangeError> {
        let resp = self.read(endpoint, params).await?;
        decode(&resp, endpoint.path)
    }
}

/// Decodes a 2xx body; a body we cannot read is an unknown outcome (never a rejection).
fn decode<W: DeserializeOwned>(resp: &HttpResponse, path: &str) -> Result<W, ExchangeError> {
    serde_json::from_str(&resp.body)
        .map_err(|e| ExchangeError::Unknown(format!("unreadable response from {path}: {e}")))
}

fn unreadable(path: &str, e: impl fmt::Display) -> ExchangeError {
    ExchangeError::Unknown(format!("unreadable response from {path}: {e}"))
}

impl<T: HttpTransport> fmt::Debug for BinanceRest<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BinanceRest")
            .field("base_url", &self.config.base_url)
            .field("credentials", &self.credentials)
            .field("recv_window_ms", &self.config.recv_window_ms)
            .finish_non_exhaustive()
    }
}

impl<T: HttpTransport> Exchange for BinanceRest<T> {
    async fn symbol_rules(&self, symbol: &Symbol) -> Result<SymbolRules, ExchangeError> {
        self.rules(symbol).await
    }

    async fn symbol_rules_fresh(&self, symbol: &Symbol) -> Result<SymbolRules, ExchangeError> {
        self.refresh_exchange_info(symbol).await?;
        self.rules(symbol).await
    }

    async fn account_filters(&self, symbol: &Symbol) -> Result<AccountFilters, ExchangeError> {
        self.my_filters(symbol).await
    }

    async fn server_time(&self) -> Result<i64, ExchangeError> {
        let t: ServerTime = self.read_json(&endpoints::TIME, &Params::new()).await?;
        Ok(t.server_time)
    }

    fn used_weight(&self) -> Option<u64> {
        let now = self.server_now_ms();
        self.state()
            .limiter
            .used(super::rate_limit::LimitKind::RequestWeight, 60_000, now)
    }

    async fn ticker_price(&self, symbol: &Symbol) -> Result<Price, ExchangeError> {
        self.last_price(symbol).await
    }

    async fn price_at(&self, symbol: &Symbol, time_ms: i64) -> Result<Price, ExchangeError> {
        self.minute_close(symbol, time_ms).await
    }

    async fn closed_candles(
        &self,
        symbol: &Symbol,
        from_open_ms: Option<i64>,
        limit: u16,
    ) -> Result<Vec<crate::core::candle::Candle>, ExchangeError> {
        self.closed_minutes(symbol, from_open_ms, limit).await
    }

    async fn book_ticker(&self, symbol: &Symbol) -> Result<BookTicker, ExchangeError> {
        self.best_bid_ask(symbol).await
    }

    async fn account(&self) -> Result<Account, ExchangeError> {
        self.account_info().await
    }

    async fn open_orders(&self, symbol: &Symbol) -> Result<Orders, ExchangeError> {
        self.open_orders_of(symbol).await
    }

    async fn place(&self, order: &NewOrder) -> Result<OrderReport, ExchangeError> {
        self.place_order(order).await
    }

    async fn query(
        &self,
        symbol: &Symbol,
        order: &OrderRef,
    ) -> Result<Option<OrderReport>, ExchangeError> {
        self.query_order(symbol, order).await
    }

    async fn cancel(
        &self,
        symbol: &Symbol,
        order: &OrderRef,
    ) -> Result<OrderReport, ExchangeError> {
        self.cancel_order(symbol, order).await
    }

    async fn amend(
        &self,
        symbol: &Symbol,
        order: &OrderRef,
        new_qty: Qty,
        new_id: &ClientOrderId,
    ) -> Result<OrderReport, ExchangeError> {
        self.amend_keep_priority(symbol, order, new_qty, new_id)
            .await
    }

    async fn all_orders(
        &self,
        symbol: &Symbol,
        since_ms: Option<i64>,
    ) -> Result<Orders, ExchangeError> {
        match since_ms {
            Some(from) => {
                let to = from + endpoints::ALL_ORDERS_WINDOW_MS - 1;
                self.all_orders_between(symbol, from, to).await
            }
            None => self.all_orders_recent(symbol).await,
        }
    }

    async fn my_trades(
        &self,
        symbol: &Symbol,
        from_id: u64,
    ) -> Result<Vec<ExchangeTrade>, ExchangeError> {
        self.trades_from(symbol, from_id).await
    }
}

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod loopback;
#[cfg(test)]
mod tests;
