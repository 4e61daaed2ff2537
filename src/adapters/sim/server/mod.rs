//! `exchange-sim`: the simulated exchange served over Binance's spot REST API, so any correct
//! Binance client (ours included) can be tested on loopback without touching Binance.
//!
//! Entry points: [`SimServer::new`] (build from a [`SimServerConfig`]), [`serve`] (run on a
//! bound listener until a shutdown future resolves), [`SimServer::step`] (feed candles by hand).
//! Binance's WebSocket API on `/ws-api/v3` (`ws_api.rs`) runs its requests through the same
//! pipeline and pushes User Data Stream events (`user_stream.rs`). Admin endpoints outside `/api`: `POST /sim/step?n=…` and `POST /sim/faults` (JSON
//! [`FaultConfig`]). The contract (endpoints, auth, weights, clock, faults) is
//! `.spec/exchange-sim.md`.
//!
//! Invariants:
//! 1. a request either runs completely under the locks or not at all (no lock is held across
//!    an `.await`); lock order is control, then exchange;
//! 2. every `/api` answer carries `X-MBX-USED-WEIGHT-1M`; errors are `{"code","msg"}`;
//! 3. with [`Speed::Manual`] and no latency fault, the same requests give the same answers.

mod admin;
mod amend;
mod auth;
mod fail;
mod faults;
mod limits;
mod link;
mod market;
mod market_ws;
mod my_filters;
mod params;
mod replay;
mod routes;
mod standin;
mod stp;
mod streams;
pub(crate) mod tape;
mod tickers;
mod trade;
mod user_stream;
mod wire;
mod ws_api;

pub use auth::{sign, ApiCredential, PublicKeyCredential};
pub use faults::{FaultConfig, FaultRate};
pub use limits::LimitStats;
pub use link::WsTiming;
pub use replay::Speed;

use crate::adapters::klines::Candle;
use crate::adapters::sim::{SimConfig, SimExchange, SimSymbol};
use crate::core::client_id::ClientOrderId;
use crate::core::filters::parse::{exchange_info, ExchangeInfoError};
use crate::core::money::Amount;
use crate::core::symbol::{Asset, Symbol};
use faults::Faults;
use limits::Limits;
use replay::Feed;
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Everything the server is built from.
#[derive(Debug, Clone)]
pub struct SimServerConfig {
    /// The `exchangeInfo` document served and used for rules and rate limits.
    pub exchange_info_json: String,
    /// The replayed symbols and their candles (oldest first); each must be in exchangeInfo.
    pub markets: Vec<(Symbol, Vec<Candle>)>,
    /// Initial free balances.
    pub balances: Vec<(Asset, Amount)>,
    /// Replay speed.
    pub speed: Speed,
    /// Accepted API keys.
    pub credentials: Vec<ApiCredential>,
    /// Faults in force at start.
    pub faults: FaultConfig,
    /// Replay clock: the clock when there are no candles. Live clock: the wall-clock time at
    /// start (Unix ms).
    pub start_ms: i64,
}

/// Why the server could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SimServerError {
    /// The exchangeInfo document is unusable.
    #[error(transparent)]
    ExchangeInfo(#[from] ExchangeInfoError),
    /// The replayed symbol is not in exchangeInfo.
    #[error("symbol {0} is not in exchangeInfo")]
    UnknownSymbol(String),
    /// The exchangeInfo document is not JSON.
    #[error("exchangeInfo is not JSON: {0}")]
    Json(String),
}

/// Server state besides the matching engine: feed and clock, limits, faults, the served
/// exchangeInfo, generated ids.
#[derive(Debug)]
pub(crate) struct Control {
    feed: Feed,
    limits: Limits,
    faults: Faults,
    info: Value,
    symbols: Vec<Symbol>,
    /// Base and quote assets of every symbol (the balances `account` lists).
    assets: std::collections::BTreeSet<Asset>,
    next_generated: u64,
    /// User Data Stream events for WebSocket API subscribers.
    stream: user_stream::UserStream,
    /// Market stream events for stream subscribers.
    market: streams::MarketStreams,
    /// Orders that are not the engine's, as raw JSON (see [`SimServer::add_foreign_order`]).
    foreign_orders: Vec<Value>,
    /// When new or amended orders were accepted, while recording ([`SimServer::record_accepts`]).
    accepts: Option<Vec<std::time::Instant>>,
}

impl Control {
    /// Server time including the fault clock skew.
    fn now_ms(&self) -> i64 {
        self.feed.now_ms() + self.faults.config.clock_skew_ms
    }

    /// A fresh server-made client id (`sim-…`), deterministic.
    fn generated_id(&mut self) -> ClientOrderId {
        self.next_generated += 1;
        ClientOrderId::parse(&format!("sim-{:020}", self.next_generated))
            .expect("digits and a dash are a valid client id")
    }
}

/// What one endpoint function works on.
pub(crate) struct Ctx<'a> {
    ex: &'a mut SimExchange,
    ctl: &'a mut Control,
    now_ms: i64,
}

/// What `POST /sim/step` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepReport {
    /// Candles fed.
    pub stepped: usize,
    /// Trades they caused.
    pub trades: usize,
    /// Candles left.
    pub remaining: usize,
    /// Server time after the step.
    pub server_time: i64,
}

/// The shared server handle (cheap to clone).
#[derive(Clone)]
pub struct SimServer {
    exchange: Arc<Mutex<SimExchange>>,
    control: Arc<Mutex<Control>>,
    credentials: Arc<Mutex<auth::Keys>>,
    speed: Speed,
    /// WebSocket connection timing and commands (`link.rs`).
    hub: Arc<link::Hub>,
    /// WebSocket API requests answered with success, by method (what a client did).
    ws_api_calls: Arc<Mutex<BTreeMap<String, u64>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SimServer {
    /// Builds the engine (all exchangeInfo symbols, standard fees, the replayed symbol priced
    /// at its first candle's open) and the server state.
    pub fn new(cfg: SimServerConfig) -> Result<Self, SimServerError> {
        let parsed = exchange_info(&cfg.exchange_info_json)?;
        if let Some((s, _)) = cfg
            .markets
            .iter()
            .find(|(s, _)| !parsed.symbols.contains_key(s))
        {
            return Err(SimServerError::UnknownSymbol(s.to_string()));
        }
        let first_open = |symbol: &Symbol| {
            cfg.markets
                .iter()
                .find(|(s, _)| s == symbol)
                .and_then(|(_, c)| c.first().map(|c| c.open))
        };
        let symbols: Vec<SimSymbol> = parsed
            .symbols
            .values()
            .map(|rules| SimSymbol {
                initial_price: first_open(&rules.symbol),
                rules: rules.clone(),
            })
            .collect();
        let mut exchange = SimExchange::new(SimConfig::standard(symbols, cfg.balances));
        exchange.set_max_fill_share(cfg.faults.fill_share);
        let info: Value = serde_json::from_str(&cfg.exchange_info_json)
            .map_err(|e| SimServerError::Json(e.to_string()))?;
        let control = Control {
            feed: Feed::new(cfg.markets, cfg.speed, cfg.start_ms),
            limits: Limits::new(&parsed.rate_limits),
            faults: Faults::new(cfg.faults),
            info,
            symbols: parsed.symbols.keys().cloned().collect(),
            assets: parsed
                .symbols
                .values()
                .flat_map(|r| [r.base_asset.clone(), r.quote_asset.clone()])
                .collect(),
            next_generated: 0,
            stream: user_stream::UserStream::default(),
            market: streams::MarketStreams::default(),
            foreign_orders: Vec::new(),
            accepts: None,
        };
        let server = Self {
            exchange: Arc::new(Mutex::new(exchange)),
            control: Arc::new(Mutex::new(control)),
            credentials: Arc::new(Mutex::new(auth::Keys {
                hmac: cfg.credentials,
                public: Vec::new(),
            })),
            speed: cfg.speed,
            hub: Arc::new(link::Hub::new(WsTiming::default())),
            ws_api_calls: Arc::default(),
        };
        // Live clock: the history before "now" is in the market from the start.
        server.catch_up();
        Ok(server)
    }

    /// Live clock: feeds every candle whose close time has passed (a no-op on the replay
    /// clock). Runs before every request, so answers never lag the clock.
    pub fn catch_up(&self) -> StepReport {
        if lock(&self.control).feed.is_live() {
            self.step(usize::MAX)
        } else {
            let ctl = lock(&self.control);
            StepReport {
                stepped: 0,
                trades: 0,
                remaining: ctl.feed.remaining(),
                server_time: ctl.now_ms(),
            }
        }
    }

    /// The matching engine (for inspection; never hold the lock across an `.await`).
    pub fn exchange(&self) -> Arc<Mutex<SimExchange>> {
        Arc::clone(&self.exchange)
    }

    /// Feeds every candle opening at the next open time, of every symbol: one minute of the
    /// whole market (a lock-step replay of many symbols, `paper --portfolio --speed step`,
    /// moves all of them together, as the backtester replays each on its own candles).
    pub fn step_minute(&self) -> StepReport {
        let Some(open) = lock(&self.control).feed.next_open_ms() else {
            return self.step(0);
        };
        let mut report = self.step(1);
        while lock(&self.control).feed.next_open_ms() == Some(open) {
            let next = self.step(1);
            if next.stepped == 0 {
                break;
            }
            report.stepped += next.stepped;
            report.trades += next.trades;
            report.remaining = next.remaining;
            report.server_time = next.server_time;
        }
        report
    }

    /// Feeds up to `n` candles into the engine, advancing the replay clock (on the live clock
    /// only candles already due are fed).
    pub fn step(&self, n: usize) -> StepReport {
        let mut ctl = lock(&self.control);
        let mut ex = lock(&self.exchange);
        let (mut stepped, mut trades) = (0, 0);
        while stepped < n {
            let Some((symbol, c)) = ctl.feed.take_next() else {
                break;
            };
            trades += ex.on_candle(&symbol, &c).map_or(0, <[_]>::len);
            stepped += 1;
            let now_ms = ctl.now_ms();
            let mut ctx = Ctx {
                ex: &mut ex,
                ctl: &mut ctl,
                now_ms,
            };
            streams::publish_candle(&mut ctx, &symbol);
        }
        if stepped > 0 {
            // Fills, and orders a candle expired, reach WebSocket subscribers.
            let now_ms = ctl.now_ms();
            let ctl = &mut *ctl;
            ctl.stream.publish(&ex, &ctl.symbols, now_ms);
        }
        StepReport {
            stepped,
            trades,
            remaining: ctl.feed.remaining(),
            server_time: ctl.now_ms(),
        }
    }

    /// A receiver of the account's User Data Stream events from now on.
    fn subscribe_user_stream(&self) -> tokio::sync::broadcast::Receiver<Value> {
        let mut ctl = lock(&self.control);
        let ex = lock(&self.exchange);
        let ctl = &mut *ctl;
        ctl.stream.subscribe(&ex, &ctl.symbols)
    }

    /// Accepts `key` from now on, an Ed25519 or RSA key whose signatures are base64 (REST,
    /// WebSocket API, and `session.logon` for Ed25519).
    pub fn add_public_key(&self, key: PublicKeyCredential) {
        lock(&self.credentials).public.push(key);
    }

    /// Credits `amount` of `asset` as a deposit would: `balanceUpdate` then
    /// `outboundAccountPosition` reach User Data Stream subscribers.
    pub fn deposit(&self, asset: &Asset, amount: Amount) {
        let mut ctl = lock(&self.control);
        let mut ex = lock(&self.exchange);
        ex.deposit(asset, amount);
        let now_ms = ctl.now_ms();
        let ctl = &mut *ctl;
        ctl.stream.balance_update(asset, amount.get(), now_ms);
        ctl.stream.publish(&ex, &ctl.symbols, now_ms);
    }

    /// Whether `key` is an accepted Ed25519 key (`session.logon`).
    fn is_ed25519_key(&self, key: &str) -> bool {
        lock(&self.credentials)
            .public
            .iter()
            .any(|c| c.key == key && c.is_ed25519())
    }

    /// WebSocket connection timing for connections opened from now on.
    pub fn set_ws_timing(&self, timing: WsTiming) {
        *lock(&self.hub.timing) = timing;
    }

    /// Aborts every open WebSocket connection without a close frame (a network drop); how
    /// many there were.
    pub fn drop_ws_connections(&self) -> usize {
        self.hub.command(link::Command::Drop)
    }

    /// How many WebSocket connections (API and streams) are open now.
    pub fn ws_connections(&self) -> usize {
        self.hub.connections()
    }

    /// Sends `serverShutdown` on every open WebSocket connection, which then closes after
    /// the grace time of [`WsTiming`]; how many there were.
    pub fn shut_down_ws_connections(&self) -> usize {
        self.hub.command(link::Command::Shutdown)
    }

    /// Replaces the fault configuration (reseeding its RNG).
    pub fn set_faults(&self, cfg: FaultConfig) {
        lock(&self.exchange).set_max_fill_share(cfg.fill_share);
        lock(&self.control).faults = Faults::new(cfg);
    }

    /// Serves a new exchangeInfo document from now on and applies its filters to the listed
    /// symbols' new orders (Binance changes tick sizes and notional minimums mid-life). The
    /// rate limits stay as they were.
    pub fn set_exchange_info(&self, json: &str) -> Result<(), SimServerError> {
        let parsed = exchange_info(json)?;
        let info: Value =
            serde_json::from_str(json).map_err(|e| SimServerError::Json(e.to_string()))?;
        let mut ctl = lock(&self.control);
        let mut ex = lock(&self.exchange);
        for rules in parsed.symbols.into_values() {
            ex.set_rules(rules);
        }
        ctl.info = info;
        Ok(())
    }

    /// Puts an order the engine does not know on the account, as raw Binance JSON (say a
    /// manual OTO's legs, one `PENDING_NEW`): `openOrders` and `allOrders` of the row's
    /// `symbol` show it as sent, until [`Self::clear_foreign_orders`]. Nothing else sees it.
    pub fn add_foreign_order(&self, raw: Value) {
        lock(&self.control).foreign_orders.push(raw);
    }

    /// Removes every order added with [`Self::add_foreign_order`].
    pub fn clear_foreign_orders(&self) {
        lock(&self.control).foreign_orders.clear();
    }

    /// Starts recording the moment (wall clock) each new order (placement, cancel-replace or
    /// amend, over REST or the WebSocket API) is accepted: the latency benchmark measures from a
    /// fill to the replacement's acceptance on the server's side.
    pub fn record_accepts(&self) {
        lock(&self.control).accepts = Some(Vec::new());
    }

    /// The acceptances recorded since the last call (recording goes on).
    pub fn take_accepts(&self) -> Vec<std::time::Instant> {
        lock(&self.control)
            .accepts
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// What the rate limiter saw so far (highest used weight, 429s, 418s, weight spent).
    pub fn limit_stats(&self) -> LimitStats {
        lock(&self.control).limits.stats()
    }

    /// How many `method` requests the WebSocket API answered with success so far (tests
    /// check which way a client subscribed, e.g. `session.logon`).
    pub fn ws_api_calls(&self, method: &str) -> u64 {
        lock(&self.ws_api_calls).get(method).copied().unwrap_or(0)
    }

    fn count_ws_api_call(&self, method: &str) {
        *lock(&self.ws_api_calls)
            .entry(method.to_string())
            .or_default() += 1;
    }

    /// Current server time, Unix ms.
    pub fn now_ms(&self) -> i64 {
        lock(&self.control).now_ms()
    }
}

/// Serves `state` on `listener` until `shutdown` resolves; runs the replay task for
/// [`Speed::PerSecond`] and [`Speed::Max`] meanwhile.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: SimServer,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let replay = tokio::spawn(run_replay(state.clone()));
    let app = routes::router(state.clone());
    // WebSocket clients are told `serverShutdown` (as before Binance's maintenance), so they
    // reconnect at once instead of waiting for a timeout.
    let announced = async move {
        shutdown.await;
        if state.shut_down_ws_connections() > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    // No Nagle, as Binance's own front ends: answers and pushed events written back to back
    // must not wait for the client's delayed ACK.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(announced)
        .await;
    replay.abort();
    result
}

/// Feeds candles at the configured speed (or as the live clock makes them due) until they run
/// out.
async fn run_replay(state: SimServer) {
    match state.speed {
        Speed::Manual => return,
        Speed::PerSecond(period) => {
            let mut tick = tokio::time::interval(period);
            tick.tick().await;
            loop {
                tick.tick().await;
                if state.step(1).remaining == 0 {
                    break;
                }
            }
        }
        Speed::Max => {
            while state.step(1000).remaining > 0 {
                tokio::task::yield_now().await;
            }
        }
        Speed::Live { .. } => loop {
            let wait = lock(&state.control).feed.until_next_due();
            let Some(wait) = wait else { break };
            tokio::time::sleep(wait + std::time::Duration::from_millis(1)).await;
            state.catch_up();
        },
    }
    tracing::info!("replay finished: no candles left");
}
