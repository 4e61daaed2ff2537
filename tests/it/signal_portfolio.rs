//! A portfolio whose grids read indicators (`.spec/portfolio.md`, "Indicators"): a mean
//! reversion grid and a trend grid on one symbol both trade, fed by one candle read per new
//! minute for the symbol, not one per grid.

use crate::bot::settings;
use crate::harness::{start_sim, wave_candles, KEY, SECRET};
use crate::signal_bot::{strategy, MEAN_REVERSION, TREND};
use crate::store::fixtures::TestDb;
use crate::ws_orders::Logged;
use binance_trader::adapters::binance::rest::{BinanceRest, RestConfig, TokioPause};
use binance_trader::adapters::binance::transport::ReqwestTransport;
use binance_trader::adapters::binance::Credentials;
use binance_trader::adapters::clock::SystemClock;
use binance_trader::apps::bot::BotMetrics;
use binance_trader::apps::portfolio::{GridPlan, Portfolio, PortfolioMetrics, Setup};
use binance_trader::core::client_id::IdPrefix;
use binance_trader::core::money::Quote;
use binance_trader::core::risk::RiskLimits;
use binance_trader::ports::store::{FillQuery, Store};
use rust_decimal_macros::dec;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grids_reading_indicators_trade_on_one_candle_read_per_symbol() {
    let candles = wave_candles(3);
    let n = candles.len();
    let sim = start_sim(candles).await;
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let shared = BinanceRest::with_parts(
        RestConfig::new(&sim.base),
        Some(Credentials::hmac(KEY, SECRET).unwrap()),
        Logged {
            inner: ReqwestTransport::new(Duration::from_secs(5), Duration::from_secs(5)).unwrap(),
            log: log.clone(),
        },
        Arc::new(SystemClock),
        Arc::new(TokioPause),
    );
    let plans = [("mr", "ga", MEAN_REVERSION), ("trend", "gb", TREND)]
        .into_iter()
        .map(|(name, prefix, text)| GridPlan {
            name: name.into(),
            prefix: IdPrefix::parse(prefix).unwrap(),
            strategy: strategy(text),
            budget: Quote::new(dec!(450)),
        })
        .collect();
    let db = TestDb::sqlite().await;
    let mut portfolio = Portfolio::new(
        plans,
        |p| shared.for_prefix(p.clone()),
        db.store.clone(),
        Setup {
            limits: RiskLimits::default(),
            initial_equity: Quote::new(dec!(900)),
            settings: settings(),
            metrics: PortfolioMetrics::default(),
            bot_metrics: Arc::new(BotMetrics::new()),
        },
    )
    .await
    .unwrap();
    for _ in 0..=n {
        for _ in 0..12 {
            if portfolio.step().await.unwrap().quiescent() {
                break;
            }
        }
        sim.server.step(1);
    }
    let fills = db
        .store
        .fills(&FillQuery {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let baskets = db.store.baskets(false).await.unwrap();
    for prefix in ["ga", "gb"] {
        let of_grid = fills
            .iter()
            .filter(|f| {
                baskets
                    .iter()
                    .any(|b| b.basket.id == f.basket_id && b.prefix.as_str() == prefix)
            })
            .count();
        assert!(of_grid >= 2, "grid {prefix} filled {of_grid}");
    }
    let reads = log
        .lock()
        .unwrap()
        .iter()
        .filter(|l| *l == "GET /api/v3/klines")
        .count();
    // The start, then about one read per new minute (a minute's read may come early and
    // find nothing yet): two grids on one symbol, one feed. A feed per grid reads 2n.
    assert!(reads <= n + 3, "{reads} candle reads for {n} candles");
    db.cleanup().await;
}
