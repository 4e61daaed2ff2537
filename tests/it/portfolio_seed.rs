//! The live portfolio's correlation survives a restart: it is seeded from the exchange's
//! closed candles (`.spec/portfolio.md`, "Correlation", "Seeding"). Eight days of minute
//! candles on the exchange server: FIL and AVAX move together every hour, LINK on its own;
//! the account holds FIL and AVAX, so the FIL–AVAX group's share is over the cap while each
//! alone and LINK are under it. Without seeding the first loop sees a warming matrix (one
//! group of all three): LINK's buys would be held and the matrices before and after a
//! restart would differ.

use crate::harness::{client, root, serve_on_loopback, KEY, SECRET};
use crate::portfolio_live::{strategy, RigSetup, SYMBOLS};
use binance_trader::adapters::klines::Candle;
use binance_trader::adapters::sim::server::{
    ApiCredential, FaultConfig, SimServer, SimServerConfig, Speed,
};
use binance_trader::adapters::store::SqlStore;
use binance_trader::core::correlation::CorrelationMatrix;
use binance_trader::core::money::{Amount, Pct, Price, Qty};
use binance_trader::core::risk::{CorrelatedExposure, LimitKind, RiskLimits, TripAction};
use binance_trader::core::symbol::{Asset, Symbol};
use binance_trader::ports::operator::load_correlation;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::BTreeSet;

/// 2023-11-07 00:00 UTC, on an hour.
const T0: i64 = 1_700_006_400_000 - 8 * 86_400_000;
const HOURS_BEFORE_START: usize = 8 * 24;
const THRESHOLD: Decimal = dec!(0.8);

/// A minute path from 4.000 that moves only in minute 10 of each hour, by `move_of(hour)` ‰:
/// the hour's close is then the same whichever minute of its second half reads it.
fn hourly(hours: usize, move_of: impl Fn(i64) -> i64) -> Vec<Candle> {
    let mut last = dec!(4);
    let mut out = Vec::new();
    for m in 0..hours * 60 {
        let h = (m / 60) as i64;
        let open = last;
        let close = if m % 60 == 10 {
            (open * (Decimal::ONE + Decimal::new(move_of(h), 3))).round_dp(3)
        } else {
            open
        };
        last = close;
        let t = T0 + m as i64 * 60_000;
        out.push(Candle {
            open_time_ms: t,
            open: Price::new(open),
            high: Price::new(open.max(close) + dec!(0.001)),
            low: Price::new(open.min(close) - dec!(0.001)),
            close: Price::new(close),
            volume: Qty::new(dec!(100000)),
            close_time_ms: t + 59_999,
        });
    }
    out
}

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

fn groups(m: &CorrelationMatrix) -> Vec<BTreeSet<Symbol>> {
    m.groups(THRESHOLD)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_portfolio_has_the_same_correlation_and_its_cap_acts_at_once() {
    let hours = HOURS_BEFORE_START + 8;
    let together = |h: i64| (h * 7919) % 21 - 10;
    let alone = |h: i64| (h * 104_729 + 13) % 17 - 8;
    let paths = [
        hourly(hours, together),
        hourly(hours, together),
        hourly(hours, alone),
    ];
    let info = std::fs::read_to_string(root().join("data/exchange_info.json")).unwrap();
    let sim = SimServer::new(SimServerConfig {
        exchange_info_json: info,
        markets: SYMBOLS.iter().map(|s| sym(s)).zip(paths).collect(),
        balances: vec![
            (
                Asset::parse("USDT").unwrap(),
                Amount::parse("10000").unwrap(),
            ),
            (Asset::parse("FIL").unwrap(), Amount::parse("100").unwrap()),
            (Asset::parse("AVAX").unwrap(), Amount::parse("100").unwrap()),
        ],
        speed: Speed::Manual,
        credentials: vec![ApiCredential {
            key: KEY.into(),
            secret: SECRET.to_string().into(),
        }],
        faults: FaultConfig::default(),
        start_ms: T0,
    })
    .unwrap();
    let (base, _stop) = serve_on_loopback(&sim).await;
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!(
        "sqlite://{}",
        dir.path().join("p.sqlite").display()
    ))
    .await
    .unwrap();
    // FIL and AVAX are each about 3.7 % of the equity, 7.4 % together; the cap is 5 %.
    let setup = RigSetup {
        quote: "10800".into(),
        budget: "300".into(),
        ladder: "300".into(),
        limits: RiskLimits {
            correlated_exposure: Some(CorrelatedExposure {
                min_correlation: THRESHOLD,
                max: Pct::new(dec!(5)),
                action: TripAction::NoNewBuys,
            }),
            ..RiskLimits::default()
        },
        grid: strategy,
    };
    // Eight days of history before the portfolio first starts.
    sim.step(SYMBOLS.len() * HOURS_BEFORE_START * 60);
    let held = |views: &[binance_trader::apps::portfolio::GridView]| -> Vec<String> {
        views
            .iter()
            .filter(|v| v.holding.contains(&LimitKind::CorrelatedExposure))
            .map(|v| v.name.clone())
            .collect()
    };

    let (mut portfolio, _) = setup.start_on(client(&base), &store).await;
    portfolio.step().await.unwrap();
    let first = load_correlation(&store).await.unwrap().unwrap().matrix;
    let fil_avax = first.pair(&sym("FILUSDT"), &sym("AVAXUSDT")).unwrap();
    assert_eq!(
        fil_avax.returns, 168,
        "a full window from the candles: {first:?}"
    );
    assert_eq!(fil_avax.correlation, Some(Decimal::ONE));
    for other in ["FILUSDT", "AVAXUSDT"] {
        let p = first.pair(&sym("LINKUSDT"), &sym(other)).unwrap();
        assert!(
            p.correlation.is_some_and(|c| c < THRESHOLD),
            "LINK moves alone: {p:?}"
        );
    }
    let expected_groups = vec![
        BTreeSet::from([sym("AVAXUSDT"), sym("FILUSDT")]),
        BTreeSet::from([sym("LINKUSDT")]),
    ];
    assert_eq!(groups(&first), expected_groups);
    assert_eq!(
        held(&portfolio.grids()),
        ["fil", "avax"],
        "the cap acts at the first loop"
    );

    // Three hours live, a loop every half hour: the loop's own prices close the buckets.
    for _ in 0..6 {
        sim.step(SYMBOLS.len() * 30);
        portfolio.step().await.unwrap();
    }
    let before = load_correlation(&store).await.unwrap().unwrap().matrix;
    assert_ne!(before, first, "the live loop moved the window on");
    drop(portfolio);

    let (mut restarted, _) = setup.start_on(client(&base), &store).await;
    restarted.step().await.unwrap();
    let after = load_correlation(&store).await.unwrap().unwrap().matrix;
    assert_eq!(after, before, "the restart keeps the matrix");
    assert_eq!(groups(&after), expected_groups);
    assert_eq!(
        held(&restarted.grids()),
        ["fil", "avax"],
        "and the cap acts at once"
    );

    // Three hours without a loop (a stream or network outage): the next loop seeds again,
    // so the window stays full instead of losing the hours it missed.
    sim.step(SYMBOLS.len() * 3 * 60);
    restarted.step().await.unwrap();
    let gap = load_correlation(&store).await.unwrap().unwrap().matrix;
    drop(restarted);
    let (mut fresh, _) = setup.start_on(client(&base), &store).await;
    fresh.step().await.unwrap();
    let seeded = load_correlation(&store).await.unwrap().unwrap().matrix;
    assert_eq!(
        gap, seeded,
        "the gap's hours are in the window as the candles have them"
    );
}
