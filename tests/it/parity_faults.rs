//! `parity` on a testnet-like journal: the bot (`run`'s loop: the real client, a SQLite
//! journal with a testnet session) trades against the simulated exchange whose fills differ
//! from the backtester's — the `fill_share` fault fills at most 0.002 % of each candle's volume
//! (partial fills), and the bot reacts only every third candle (latency: a slow link or a
//! busy host). Every difference `parity` finds is classified as `.spec/parity.md` says: a
//! partial fill as `partial fill` (less than its order), a late fill as `latency`, a fill
//! away from its level as `slippage` (only ever better than the limit), and the rest as
//! diverged orders and fills downstream of those.

use crate::bot::settle;
use crate::fresh_clone::root;
use crate::harness::{client, fil_config, serve_on_loopback, Sim, KEY, SECRET};
use crate::store::fixtures::TestDb;
use binance_trader::adapters::klines::files::one_symbol;
use binance_trader::adapters::klines::load_candles;
use binance_trader::adapters::sim::server::{FaultConfig, SimServer, Speed};
use binance_trader::apps::backtest::command::parse_config;
use binance_trader::apps::bot::{Bot, BotSettings};
use binance_trader::apps::mode::Mode;
use binance_trader::apps::parity::compare::Kind;
use binance_trader::apps::parity::{check, ParityArgs};
use binance_trader::apps::session::{record_first, Session};
use binance_trader::core::money::Quote;
use binance_trader::core::order::Side;
use binance_trader::core::symbol::Symbol;
use flate2::read::GzDecoder;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// Candles of the session: the first two days of April 2023.
const CANDLES: usize = 2 * 1440;
/// The bot steps on every `LAG`-th candle only.
const LAG: usize = 3;

fn two_days(dir: &Path) -> PathBuf {
    let gz = std::fs::File::open(root().join("data/klines/FILUSDT-1m-2023-04.csv.gz")).unwrap();
    let path = dir.join("FILUSDT-1m-2023-04-01.csv");
    let mut out = std::fs::File::create(&path).unwrap();
    for line in BufReader::new(GzDecoder::new(gz)).lines().take(CANDLES + 1) {
        writeln!(out, "{}", line.unwrap()).unwrap();
    }
    path
}

/// The two decimals of a detail such as "filled 3.2 of the order's 20.5; …".
fn partial_amounts(detail: &str) -> (Decimal, Decimal) {
    let rest = detail.strip_prefix("filled ").expect(detail);
    let (filled, rest) = rest.split_once(" of the order's ").expect(detail);
    let order = rest.split(';').next().expect(detail);
    (filled.parse().unwrap(), order.trim().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faulty_exchange_s_differences_are_each_classified() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_days(dir.path());
    let cache = tempfile::tempdir().unwrap();
    let candles = load_candles(
        &one_symbol(std::slice::from_ref(&file), None).unwrap(),
        Some(cache.path()),
    )
    .unwrap();
    let start_ms = candles[0].open_time_ms;
    let info = std::fs::read_to_string(root().join("data/exchange_info.json")).unwrap();
    let mut cfg = fil_config(info, candles, Speed::Manual, "10000", (KEY, SECRET));
    cfg.start_ms = start_ms;
    cfg.faults = FaultConfig {
        fill_share: Some(dec!(0.00002)),
        ..FaultConfig::default()
    };
    let server = SimServer::new(cfg).unwrap();
    let (base, stop) = serve_on_loopback(&server).await;
    let sim = Sim::new(base, server, stop);

    let db = TestDb::sqlite().await;
    // What `run` journals at its first start: the mode and the exchange's time, no candles.
    let session = Session {
        mode: Mode::Testnet,
        symbol: Symbol::parse("FILUSDT").unwrap(),
        start_ms,
        candle_files: Vec::new(),
        initial_quote: None,
        speed: None,
        grids: Vec::new(),
    };
    record_first(&db.store, &session, start_ms).await.unwrap();
    let text = std::fs::read_to_string(root().join("config/backtest.toml")).unwrap();
    let settings = BotSettings::new(parse_config(&text).unwrap()).with_intent_grace(0);
    let mut bot = Bot::new(client(&sim.base), db.store.clone(), settings)
        .await
        .unwrap();
    for i in 0..CANDLES {
        if i % LAG == 0 {
            settle(&mut bot).await;
        }
        sim.server.step(1);
    }
    settle(&mut bot).await;

    let args = ParityArgs {
        journal: db.url.clone(),
        data: vec![file],
        quote: Quote::new(dec!(10000)),
        exchange_info: root().join("data/exchange_info.json"),
        json: false,
    };
    let outcomes = check(&args).await.unwrap();
    let [o] = &outcomes[..] else {
        panic!("one grid, one outcome")
    };
    let report = binance_trader::apps::parity::report::text(o);
    assert!(
        report.contains("differences, each classified below"),
        "{report}"
    );

    // The fault acted: the journal has fills of less than their order.
    let partial_in_journal = o
        .journal
        .fills
        .iter()
        .filter(|f| f.qty < f.order_qty)
        .count();
    assert!(
        partial_in_journal > 0,
        "no partial fill in the journal\n{report}"
    );
    let kinds = |k: Kind| o.differences.iter().filter(move |d| d.kind == k);
    assert!(kinds(Kind::PartialFill).count() > 0, "{report}");
    assert!(kinds(Kind::Latency).count() > 0, "{report}");
    let mut counts = std::collections::BTreeMap::new();
    for d in &o.differences {
        *counts.entry(d.kind.as_str()).or_insert(0) += 1;
    }
    eprintln!("differences by kind: {counts:?}");
    for d in &o.differences {
        match d.kind {
            // Less than its order, where the backtester filled another quantity.
            Kind::PartialFill => {
                let (filled, order) = partial_amounts(&d.detail);
                assert!(filled < order, "{d:?}");
            }
            Kind::Latency => assert!(d.detail.contains(" ms, the backtester at "), "{d:?}"),
            // A limit order only ever fills at its level or better.
            Kind::Slippage => {
                let fill = o
                    .journal
                    .fills
                    .iter()
                    .find(|f| {
                        f.basket == d.basket
                            && Some(f.slot) == d.slot
                            && d.journal
                                .contains(&format!("@ {} ", f.price.get().normalize()))
                            && d.journal.ends_with(&format!(" at {}", f.time_ms))
                    })
                    .unwrap_or_else(|| panic!("{d:?}: no such journal fill"));
                if let Some(level) = fill.order_price {
                    match fill.side {
                        Side::Buy => assert!(fill.price <= level, "{d:?}"),
                        Side::Sell => assert!(fill.price >= level, "{d:?}"),
                    }
                }
            }
            Kind::Level
            | Kind::Quantity
            | Kind::Fee
            | Kind::Pnl
            | Kind::MissingOrder
            | Kind::ExtraOrder
            | Kind::MissingFill
            | Kind::ExtraFill => {}
        }
        assert!(
            !d.detail.is_empty(),
            "{d:?}: a difference without its explanation"
        );
    }
    db.cleanup().await;
}
