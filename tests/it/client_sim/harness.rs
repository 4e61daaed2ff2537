//! The exchange-sim server on 127.0.0.1:0 plus the real `BinanceRest` client (reqwest) aimed
//! at it. The server clock ticks with wall time (`Speed::PerSecond` with a period longer than
//! any test), so the client's system clock and the server stay in step as against Binance.

use binance_trader::adapters::binance::{BinanceRest, Credentials, RestConfig};
use binance_trader::adapters::klines::Candle;
use binance_trader::adapters::sim::server::{FaultConfig, SimServer, Speed};
use binance_trader::core::client_id::{ClientOrderId, IdPrefix};
use binance_trader::core::money::{Price, Qty};
use binance_trader::core::order::{OrderSpec, OrderType, Slot};
use binance_trader::core::symbol::Symbol;
use binance_trader::ports::exchange::{NewOrder, OrderRef, OrderReport};
use std::time::Duration;

pub const KEY: &str = "clientSimKey0001";
pub const SECRET: &str = "clientSimSecret0001";
/// A minute boundary: the first candle's open.
pub const T0: i64 = 1_699_999_980_000;

/// `n` one-minute candles swinging between 3.700 and 4.300 around 4.000.
pub fn candles(n: i64) -> Vec<Candle> {
    let p = |s: &str| Price::parse(s).unwrap();
    (0..n)
        .map(|i| {
            let (o, h, l, c) = match i % 4 {
                0 => ("4.000", "4.050", "3.950", "4.000"),
                1 => ("4.000", "4.000", "3.700", "3.800"),
                2 => ("3.800", "4.100", "3.790", "4.050"),
                _ => ("4.050", "4.300", "3.990", "4.000"),
            };
            Candle {
                open_time_ms: T0 + i * 60_000,
                open: p(o),
                high: p(h),
                low: p(l),
                close: p(c),
                volume: Qty::parse("100000").unwrap(),
                close_time_ms: T0 + i * 60_000 + 59_999,
            }
        })
        .collect()
}

/// The replayed symbol.
pub fn fil() -> Symbol {
    Symbol::parse("FILUSDT").unwrap()
}

/// A running server.
pub struct Sim {
    pub base: String,
    pub server: SimServer,
    pub info_json: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Starts the server with these REQUEST_WEIGHT and ORDERS-per-10 s limits.
pub async fn spawn_with(weight_limit: u64, orders_10s: u64, n_candles: i64) -> Sim {
    spawn_funded(weight_limit, orders_10s, n_candles, "10000").await
}

/// [`spawn_with`] with `quote` USDT on the account.
pub async fn spawn_funded(weight_limit: u64, orders_10s: u64, n_candles: i64, quote: &str) -> Sim {
    let info = crate::harness::exchange_info_with_limits(weight_limit, Some(orders_10s));
    let cfg = crate::harness::fil_config(
        info.clone(),
        candles(n_candles),
        Speed::PerSecond(Duration::from_secs(3_600)),
        quote,
        (KEY, SECRET),
    );
    let server = SimServer::new(cfg).unwrap();
    let (base, tx) = crate::harness::serve_on_loopback(&server).await;
    Sim {
        base,
        server,
        info_json: info,
        _stop: tx,
    }
}

/// The default server: Binance's limits, 8 candles.
pub async fn spawn() -> Sim {
    spawn_with(6_000, 100, 8).await
}

/// Client settings for loopback tests: short timeouts, fast resolution.
pub fn test_config(base: &str) -> RestConfig {
    let mut c = RestConfig::new(base);
    c.recv_window_ms = 1_000;
    c.unknown_grace_ms = 200;
    c.resolve_poll_ms = 50;
    c.resolve_budget_ms = 5_000;
    c.request_timeout_ms = 1_000;
    c.connect_timeout_ms = 1_000;
    c.backoff.base_ms = 20;
    c.backoff.cap_ms = 200;
    c
}

impl Sim {
    /// The real client with the right key.
    pub fn client(&self) -> BinanceRest {
        self.client_with(test_config(&self.base), SECRET)
    }

    /// The real client with `config` and `secret`.
    pub fn client_with(&self, config: RestConfig, secret: &str) -> BinanceRest {
        BinanceRest::new(config, Some(Credentials::hmac(KEY, secret).unwrap())).unwrap()
    }

    /// Every order the server ever accepted with this client id.
    pub fn orders_with_id(&self, id: &ClientOrderId) -> Vec<OrderReport> {
        self.all_orders()
            .into_iter()
            .filter(|r| &r.client_id == id)
            .collect()
    }

    /// Every order the server ever accepted.
    pub fn all_orders(&self) -> Vec<OrderReport> {
        let ex = self.server.exchange();
        let ex = ex.lock().unwrap();
        ex.all_orders(&fil()).unwrap()
    }

    /// Replaces the fault configuration.
    pub fn faults(&self, cfg: FaultConfig) {
        self.server.set_faults(cfg);
    }
}

/// Our client id for `slot` of `basket`.
pub fn id(basket: u32, slot: Slot, rev: u32) -> ClientOrderId {
    ClientOrderId::ours(&IdPrefix::default(), basket, slot, rev)
}

/// A lookup or cancel by client id.
pub fn by_client(id: &ClientOrderId) -> OrderRef {
    OrderRef::Client(id.clone())
}

/// A GTC limit order.
pub fn limit(basket: u32, slot: Slot, price: &str, qty: &str) -> NewOrder {
    NewOrder {
        symbol: fil(),
        client_id: id(basket, slot, 1),
        spec: OrderSpec::limit(slot, Price::parse(price).unwrap(), Qty::parse(qty).unwrap()),
    }
}

/// `order` with another type (and no time in force for MARKET / LIMIT_MAKER).
pub fn typed(mut order: NewOrder, order_type: OrderType) -> NewOrder {
    order.spec.order_type = order_type;
    if matches!(order_type, OrderType::Market | OrderType::LimitMaker) {
        order.spec.time_in_force = None;
    }
    if order_type == OrderType::Market {
        order.spec.price = None;
    }
    order
}
