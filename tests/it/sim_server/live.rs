//! `exchange-sim` as a user starts it: with no flags it is a live market on the wall clock
//! (the bundled candles shifted so that the replay starts now, a week of history before it),
//! so a client signing with its own clock is accepted; `--clock replay` keeps candle time.

use super::*;
use binance_trader::apps::cli::{Cli, Command};
use binance_trader::apps::exchange_sim::{build, ExchangeSimArgs};
use clap::Parser;

fn args(extra: &[&str]) -> ExchangeSimArgs {
    let argv = ["binance-trader", "exchange-sim"].iter().chain(extra);
    match Cli::try_parse_from(argv).unwrap().command {
        Command::ExchangeSim(a) => a,
        other => panic!("{other:?}"),
    }
}

fn wall_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

#[tokio::test]
async fn with_no_flags_the_market_is_live_on_the_wall_clock_with_history() {
    let a = args(&[]);
    let server = build(&a).unwrap();
    let (base, _stop) = crate::harness::serve_on_loopback(&server).await;
    let http = reqwest::Client::new();
    let get = |q: String| {
        let http = http.clone();
        async move {
            http.get(q)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let server_ms = get(format!("{base}/api/v3/time")).await["serverTime"]
        .as_i64()
        .unwrap();
    assert!(
        (server_ms - wall_ms()).abs() < 5_000,
        "{server_ms} vs {}",
        wall_ms()
    );
    let k = get(format!(
        "{base}/api/v3/klines?symbol=FILUSDT&interval=1h&limit=1000"
    ))
    .await;
    let rows = k.as_array().unwrap();
    assert!(
        rows.len() >= 7 * 24,
        "a week of history: {} hours",
        rows.len()
    );
    let last_close = rows.last().unwrap()[6].as_i64().unwrap();
    assert!(
        last_close >= server_ms - 1,
        "the hour in progress is the last bar"
    );
    let first = &rows[0];
    assert!(
        first[0].as_i64().unwrap() > server_ms - 8 * 86_400_000,
        "{first}"
    );
    // A client signing with its own clock (no offset) is inside recvWindow.
    let q = format!("timestamp={}", wall_ms());
    let url = format!(
        "{base}/api/v3/account?{q}&signature={}",
        sign(&a.api_secret, &q)
    );
    let account = http
        .get(url)
        .header("X-MBX-APIKEY", &a.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 200, "{}", account.text().await.unwrap());
    let info = get(format!("{base}/api/v3/exchangeInfo")).await;
    let symbols: Vec<&str> = info["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(symbols, ["FILUSDT"], "only the served symbol");
}

#[test]
fn clock_replay_keeps_candle_time() {
    let server = build(&args(&["--clock", "replay", "--speed", "manual"])).unwrap();
    assert_eq!(
        server.now_ms(),
        1_680_307_200_000,
        "2023-04-01T00:00Z, the first candle"
    );
    assert_eq!(server.step(2).server_time, 1_680_307_320_000);
}

#[test]
fn several_symbols_at_once_each_with_its_rules_and_candles() {
    let server = build(&args(&[
        "--data",
        "data/klines/NEARUSDT-1m-2023-08.csv.gz",
        "data/klines/FILUSDT-1m-2023-04.csv.gz",
    ]))
    .unwrap();
    let ex = server.exchange();
    let ex = ex.lock().unwrap();
    for s in ["FILUSDT", "NEARUSDT"] {
        let symbol = binance_trader::core::symbol::Symbol::parse(s).unwrap();
        assert!(ex.last_price(&symbol).unwrap().is_some(), "{s} has a price");
    }
    // Binance's documented example lists ETHBTC only.
    let docs = "tests/fixtures/binance-docs/exchangeInfo.json";
    let missing = build(&args(&["--symbol", "NEARUSDT", "--exchange-info", docs]));
    let err = format!("{:#}", missing.err().unwrap());
    assert!(
        err.contains(&format!("NEARUSDT is not in {docs}: save Binance's")),
        "{err}"
    );
}

/// A limit buy placed on the live clock rests until a later minute trades through it, as it
/// would on Binance: the order only sees candles that open after it was placed. The clock
/// runs 60 000 × real time (a candle a millisecond), and the test waits for the clock, never
/// for a fixed time.
#[test]
fn a_resting_limit_fills_when_a_later_live_minute_trades_through_it() {
    use binance_trader::adapters::sim::OrderRef;
    use binance_trader::core::client_id::ClientOrderId;
    use binance_trader::core::order::{OrderSpec, OrderStatus, Slot};
    use binance_trader::ports::exchange::NewOrder;
    // Flat at 4.000 for a minute of history and two live minutes, then a dip to 3.500.
    let mut minutes: Vec<Candle> = (0..3)
        .map(|i| candle(i, "4.000", "4.000", "4.000", "4.000"))
        .collect();
    minutes.extend((3..6).map(|i| candle(i, "4.000", "4.000", "3.500", "3.900")));
    let mut cfg = crate::harness::fil_config(
        crate::harness::exchange_info_with_limits(6000, None),
        minutes,
        Speed::Live {
            factor: 60_000.0,
            history_ms: 60_000,
        },
        "10000",
        (KEY, SECRET),
    );
    cfg.start_ms = wall_ms();
    let server = SimServer::new(cfg).unwrap();
    let fil = binance_trader::core::symbol::Symbol::parse("FILUSDT").unwrap();
    let id = ClientOrderId::parse("live-b1").unwrap();
    {
        let ex = server.exchange();
        let mut ex = ex.lock().unwrap();
        let order = NewOrder {
            symbol: fil.clone(),
            client_id: id.clone(),
            spec: OrderSpec::limit(
                Slot::Buy(1),
                Price::parse("3.800").unwrap(),
                Qty::parse("10").unwrap(),
            ),
        };
        let placed = ex.place(&order, server.now_ms()).unwrap();
        assert_eq!(placed.status, OrderStatus::New, "4.000 is above the limit");
    }
    let status = || {
        let ex = server.exchange();
        let ex = ex.lock().unwrap();
        ex.query(&fil, &OrderRef::Client(id.clone()))
            .unwrap()
            .status
    };
    // Ends when every candle was fed (6 ms of wall time here); the wall-time guard only turns
    // a feed that never advances into a failure instead of a hang.
    let guard = std::time::Instant::now();
    while server.catch_up().remaining > 0 && status() == OrderStatus::New {
        assert!(
            guard.elapsed().as_secs() < 60,
            "the live feed stopped advancing"
        );
        std::thread::yield_now();
    }
    assert_eq!(
        status(),
        OrderStatus::Filled,
        "the dip to 3.500 traded through 3.800"
    );
}

#[tokio::test]
async fn the_cli_takes_a_public_key_and_websocket_timing() {
    let a = args(&[
        "--public-key",
        "tests/fixtures/keys/sim-rsa-test-public.pem",
        "--ws-lifetime-ms",
        "300",
    ]);
    let server = build(&a).unwrap();
    let (base, _stop) = crate::harness::serve_on_loopback(&server).await;
    let url = format!("{}/ws-api/v3", base.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    use futures_util::StreamExt;
    let end = tokio::time::timeout(std::time::Duration::from_secs(3), async {
        loop {
            match ws.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) | None => break,
                Some(Err(_)) => break,
                _ => {}
            }
        }
    })
    .await;
    assert!(end.is_ok(), "--ws-lifetime-ms 300 cuts the connection");
    let bad = args(&["--public-key", "data/exchange_info.json"]);
    let err = build(&bad).err().unwrap().to_string();
    assert!(
        err.contains("--public-key data/exchange_info.json"),
        "{err}"
    );
}
