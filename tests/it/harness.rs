//! Shared test harness: the simulated exchange served on 127.0.0.1:0, the real Binance client
//! pointed at it, synthetic candles that make baskets complete quickly, and the check that a
//! store agrees with the exchange.

use binance_trader::adapters::binance::credentials::Credentials;
use binance_trader::adapters::binance::rest::{BinanceRest, RestConfig};
use binance_trader::adapters::binance::transport::ReqwestTransport;
use binance_trader::adapters::klines::Candle;
use binance_trader::adapters::sim::server::{
    serve, ApiCredential, FaultConfig, SimServer, SimServerConfig, Speed,
};
use binance_trader::core::money::{Amount, Price, Qty};
use binance_trader::core::strategy::config::StrategyConfig;
use binance_trader::core::symbol::{Asset, Symbol};
use binance_trader::ports::exchange::{Exchange, OrderRef};
use binance_trader::ports::store::Store;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;

/// The simulated exchange's API key in tests.
pub const KEY: &str = "harnessKey0123456789";
/// Its secret.
pub const SECRET: &str = "harnessSecret";
/// A minute boundary the synthetic candles start at.
pub const T0: i64 = 1_699_999_980_000;

/// A running simulated exchange.
pub struct Sim {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// The server state (step candles, inspect the engine).
    pub server: SimServer,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Sim {
    /// A running exchange from [`serve_on_loopback`]'s answer.
    pub fn from_parts(
        base: String,
        server: SimServer,
        stop: tokio::sync::oneshot::Sender<()>,
    ) -> Self {
        Self {
            base,
            server,
            _stop: stop,
        }
    }
}

/// Serves `candles` of FILUSDT with 10 000 USDT, manual replay.
pub async fn start_sim(candles: Vec<Candle>) -> Sim {
    start_sim_with_quote(candles, "10000").await
}

/// Serves `candles` of FILUSDT with `quote` USDT, manual replay.
pub async fn start_sim_with_quote(candles: Vec<Candle>, quote: &str) -> Sim {
    let info = std::fs::read_to_string(root().join("data/exchange_info.json")).unwrap();
    let cfg = fil_config(info, candles, Speed::Manual, quote, (KEY, SECRET));
    let server = SimServer::new(cfg).unwrap();
    let (base, stop) = serve_on_loopback(&server).await;
    Sim::new(base, server, stop)
}

impl Sim {
    /// `server` served at `base` until `stop` is dropped.
    pub fn new(base: String, server: SimServer, stop: tokio::sync::oneshot::Sender<()>) -> Self {
        Self {
            base,
            server,
            _stop: stop,
        }
    }
}

/// The bundled exchangeInfo with the REQUEST_WEIGHT limit per minute set to `weight`, and
/// the ORDERS limit per 10 s to `orders_10s` when given.
pub fn exchange_info_with_limits(weight: u64, orders_10s: Option<u64>) -> String {
    let text = std::fs::read_to_string(root().join("data/exchange_info.json")).unwrap();
    let mut info: serde_json::Value = serde_json::from_str(&text).unwrap();
    for rl in info["rateLimits"].as_array_mut().unwrap() {
        match (
            rl["rateLimitType"].as_str(),
            rl["interval"].as_str(),
            orders_10s,
        ) {
            (Some("REQUEST_WEIGHT"), _, _) => rl["limit"] = weight.into(),
            (Some("ORDERS"), Some("SECOND"), Some(n)) => rl["limit"] = n.into(),
            _ => {}
        }
    }
    info.to_string()
}

/// A FILUSDT exchange from T0 with `quote` USDT, one API key, no faults.
pub fn fil_config(
    exchange_info_json: String,
    candles: Vec<Candle>,
    speed: Speed,
    quote: &str,
    (key, secret): (&str, &str),
) -> SimServerConfig {
    SimServerConfig {
        exchange_info_json,
        markets: vec![(Symbol::parse("FILUSDT").unwrap(), candles)],
        balances: vec![(Asset::parse("USDT").unwrap(), Amount::parse(quote).unwrap())],
        speed,
        credentials: vec![ApiCredential {
            key: key.into(),
            secret: secret.to_string().into(),
        }],
        faults: FaultConfig::default(),
        start_ms: T0,
    }
}

/// Serves `server` on 127.0.0.1:0 until the returned sender is dropped; returns its base URL.
pub async fn serve_on_loopback(server: &SimServer) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, server.clone(), async {
        let _ = rx.await;
    }));
    (base, tx)
}

/// The real client on `base` with the harness credentials.
pub fn client(base: &str) -> BinanceRest<ReqwestTransport> {
    let mut config = RestConfig::new(base);
    config.request_timeout_ms = 5_000;
    BinanceRest::new(config, Some(Credentials::hmac(KEY, SECRET).unwrap()))
        .unwrap()
        .with_rules_parser(|json, symbol| {
            binance_trader::core::filters::parse::symbol_rules(json, symbol)
                .map_err(|e| e.to_string())
        })
}

/// The project root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled FILUSDT strategy (`config/backtest.toml`).
pub fn fil_strategy() -> StrategyConfig {
    let text = std::fs::read_to_string(root().join("config/backtest.toml")).unwrap();
    StrategyConfig::from_toml_str(&text).unwrap()
}

fn price(d: Decimal) -> Price {
    Price::new(d.round_dp(3))
}

/// `waves` cycles of: flat, a 6 % slide (fills three levels), a 10 % rally (TP1, TP2, trailing
/// activation), a 3 % pullback (the trailing stop sells), flat again. One candle a minute.
pub fn wave_candles(waves: usize) -> Vec<Candle> {
    let mut moves: Vec<Decimal> = Vec::new();
    for _ in 0..waves {
        moves.extend([Decimal::ZERO; 3]);
        moves.extend([Decimal::new(-12, 3); 5]);
        moves.extend([Decimal::new(10, 3); 10]);
        moves.extend([Decimal::new(-15, 3); 3]);
        moves.extend([Decimal::ZERO; 3]);
    }
    let mut last = Decimal::new(4, 0);
    let tiny = Decimal::new(1, 3);
    moves
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let open = last;
            let close = (open * (Decimal::ONE + m)).round_dp(3);
            last = close;
            let t = T0 + i as i64 * 60_000;
            Candle {
                open_time_ms: t,
                open: price(open),
                high: price(open.max(close) + tiny),
                low: price(open.min(close) - tiny),
                close: price(close),
                volume: Qty::new(Decimal::from(100_000)),
                close_time_ms: t + 59_999,
            }
        })
        .collect()
}

/// Asserts the store agrees with the exchange: every stored order as the exchange reports it,
/// the same open orders, every trade of ours exactly once as a fill.
pub async fn assert_store_matches_exchange<S: Store, E: Exchange>(store: &S, ex: &E) {
    let symbol = Symbol::parse("FILUSDT").unwrap();
    let mut stored_open: Vec<String> = store
        .open_orders()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.report.client_id.to_string())
        .collect();
    let mut exchange_open: Vec<String> = ex
        .open_orders(&symbol)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.client_id.to_string())
        .collect();
    stored_open.sort();
    exchange_open.sort();
    assert_eq!(stored_open, exchange_open, "open orders differ");

    let mut orders = BTreeMap::new();
    for basket in store.baskets(false).await.unwrap() {
        for o in store.orders(basket.basket.id).await.unwrap() {
            let there = ex
                .query(&symbol, &OrderRef::Id(o.report.order_id))
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{} stored but unknown", o.report.client_id));
            assert_eq!(there.status, o.report.status, "{}", o.report.client_id);
            assert_eq!(
                there.executed_qty, o.report.executed_qty,
                "{}",
                o.report.client_id
            );
            orders.insert(there.order_id, o.basket_id);
        }
    }
    let mut trades = Vec::new();
    let mut from = 0;
    loop {
        let page = ex.my_trades(&symbol, from).await.unwrap();
        let n = page.len();
        from = page.last().map_or(from, |t| t.trade_id + 1);
        trades.extend(page);
        if n < 1000 {
            break;
        }
    }
    let query = binance_trader::ports::store::FillQuery {
        limit: 1_000_000,
        ..Default::default()
    };
    let fills = store.fills(&query).await.unwrap();
    assert_eq!(store.count_fills(&query).await.unwrap(), fills.len() as u64);
    let by_trade: BTreeMap<u64, _> = fills.iter().map(|f| (f.fill.trade_id, f)).collect();
    assert_eq!(by_trade.len(), fills.len(), "a trade stored twice");
    assert_eq!(fills.len(), trades.len(), "fills vs trades");
    for t in &trades {
        let f = by_trade
            .get(&t.trade_id)
            .unwrap_or_else(|| panic!("trade {} lost", t.trade_id));
        assert_eq!((f.fill.price, f.fill.qty), (t.price, t.qty));
        assert_eq!(f.fill.commission.amount, t.commission);
        assert_eq!(Some(&f.basket_id), orders.get(&t.order_id));
    }
}

/// SIGKILLs a test's bot process and reaps it (a crash, as the kernel would deliver it).
pub fn sigkill(child: &mut Option<std::process::Child>) {
    let mut child = child.take().expect("running");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// SIGTERMs a test's bot process and asserts that it finished its step and exited cleanly;
/// its log (stderr) is shown when it did not.
pub fn terminate(child: &mut Option<std::process::Child>, log: &std::path::Path) {
    let mut child = child.take().expect("running");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exited = child.wait().unwrap();
    assert!(
        exited.success(),
        "exit after SIGTERM: {exited}\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// Kills and reaps a test's bot process left running (a failed test's, on drop).
pub fn reap(child: &mut Option<std::process::Child>) {
    if let Some(mut child) = child.take() {
        let _ = child.kill();
        let _ = child.wait();
    }
}
