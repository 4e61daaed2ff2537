//! The market-data and account endpoints added for third-party clients: shapes against the
//! documented examples, the candle tape behind tickers, trades, klines and depth, the
//! documented weights, and the weight header on a 404.

use super::*;

/// Weight the server counted for one request (the header delta; same minute, manual clock).
pub(super) async fn weight_of(
    sim: &Sim,
    method: Method,
    path: &str,
    query: &str,
    signed: bool,
) -> u64 {
    let used = |a: &Answer| -> u64 {
        a.headers["x-mbx-used-weight-1m"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let before = used(&sim.get("/api/v3/ping", "").await) - 1;
    let a = if signed {
        sim.signed(method, path, query).await
    } else {
        sim.send(method, path, query, None).await
    };
    assert!(
        a.status.is_success(),
        "{path}?{query}: {} {}",
        a.status,
        a.body
    );
    used(&a) - before - 1
}

#[tokio::test]
async fn tickers_trades_and_klines_come_from_one_candle_tape() {
    let sim = spawn().await;
    sim.step(4).await;
    let t = sim.get("/api/v3/ticker/24hr", "symbol=FILUSDT").await.body;
    assert_shape(&t, "ticker_24hr_FULL");
    // Four candles of 1000, four trades each: open, nearer extreme, other extreme, close.
    assert_eq!(
        (
            t["count"].as_u64(),
            t["firstId"].as_i64(),
            t["lastId"].as_i64()
        ),
        (Some(16), Some(1), Some(16))
    );
    assert_eq!(t["volume"], "4000.00000000");
    assert_eq!(
        (
            t["openPrice"].as_str(),
            t["highPrice"].as_str(),
            t["lowPrice"].as_str()
        ),
        (Some("4.00000000"), Some("4.01000000"), Some("3.79000000"))
    );
    assert_eq!(t["lastPrice"], "3.94000000");
    assert_eq!(t["priceChangePercent"], "-1.500");
    let mini = sim
        .get("/api/v3/ticker/24hr", "symbol=FILUSDT&type=MINI")
        .await
        .body;
    assert_shape(&mini, "ticker_24hr_MINI");
    let list = sim
        .get("/api/v3/ticker/24hr", "symbols=%5B%22FILUSDT%22%5D")
        .await
        .body;
    assert_eq!(list, json!([t.clone()]), "a symbols list answers a list");
    let all = sim.get("/api/v3/ticker/24hr", "").await.body;
    assert_eq!(
        all.as_array().unwrap().len(),
        6,
        "every symbol of exchangeInfo"
    );

    let rolling = sim
        .get("/api/v3/ticker", "symbol=FILUSDT&windowSize=2m")
        .await
        .body;
    assert_eq!(rolling["count"], 8, "the last two candles");
    assert_eq!(rolling["openTime"].as_i64(), Some(T0 + 2 * 60_000));
    assert!(rolling.get("prevClosePrice").is_none() && rolling.get("weightedAvgPrice").is_some());
    let bad = sim
        .get("/api/v3/ticker", "symbol=FILUSDT&windowSize=8d")
        .await;
    assert_error(
        &bad,
        400,
        -1100,
        "Illegal characters found in parameter 'windowSize'",
    );
    let none = sim.get("/api/v3/ticker", "").await;
    assert_error(&none, 400, -1102, "Param 'symbol' or 'symbols'");

    let trades = sim
        .get("/api/v3/trades", "symbol=FILUSDT&limit=4")
        .await
        .body;
    assert_shape(&trades[0], "trades");
    let ids: Vec<u64> = trades
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [13, 14, 15, 16]);
    // Candle 3 opens at 3.880, is nearer its low 3.870, then 3.950, closes 3.940.
    let prices: Vec<&str> = trades
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["price"].as_str().unwrap())
        .collect();
    assert_eq!(
        prices,
        ["3.88000000", "3.87000000", "3.95000000", "3.94000000"]
    );
    assert_eq!(trades[1]["isBuyerMaker"], true, "a trade down hit a bid");
    let old = sim
        .get(
            "/api/v3/historicalTrades",
            "symbol=FILUSDT&fromId=2&limit=2",
        )
        .await
        .body;
    assert_eq!(old[0]["id"], 2);
    assert_eq!(
        old[1]["price"], "3.99000000",
        "candle 0: 4.000 → 4.010 → 3.990"
    );
    let agg = sim
        .get(
            "/api/v3/aggTrades",
            &format!(
                "symbol=FILUSDT&startTime={}&endTime={}",
                T0 + 60_000,
                T0 + 119_999
            ),
        )
        .await
        .body;
    assert_shape(&agg[0], "aggTrades");
    let agg_ids: Vec<u64> = agg
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["a"].as_u64().unwrap())
        .collect();
    assert_eq!(agg_ids, [5, 6, 7, 8], "the trades of candle 1");

    let k5 = sim
        .get("/api/v3/klines", "symbol=FILUSDT&interval=5m")
        .await
        .body;
    // T0 is 1699999980000 = 22:13:00 UTC: candles 0–1 in one 5-minute bar, 2–3 in the next.
    let bars = k5.as_array().unwrap();
    assert_eq!(bars.len(), 2, "{k5}");
    assert_eq!(bars[0][8], 8);
    assert_eq!(bars[0][3], "3.79000000");
    assert_eq!(bars[1][4], "3.94000000");
    assert_eq!(bars[1][5], "2000.00000000");
    let ui = sim
        .get("/api/v3/uiKlines", "symbol=FILUSDT&interval=5m")
        .await
        .body;
    assert_eq!(ui, k5);
    let bad = sim
        .get("/api/v3/klines", "symbol=FILUSDT&interval=1s")
        .await;
    assert_error(&bad, 400, -1120, "Invalid interval.");
    let unknown = sim.get("/api/v3/trades", "symbol=XYZUSDT").await;
    assert_error(&unknown, 400, -1121, "Invalid symbol.");
}

#[tokio::test]
async fn klines_read_their_buckets_in_the_time_zone_given() {
    let sim = spawn().await;
    sim.step(4).await;
    let get = |q: &'static str| sim.get("/api/v3/klines", q);
    let utc = get("symbol=FILUSDT&interval=1h").await.body;
    assert_eq!(
        utc.as_array().unwrap().len(),
        1,
        "22:13–22:16 UTC: one hour"
    );
    // At UTC+05:45 hours start at :15 past a UTC hour: 22:13–22:14 and 22:15–22:16.
    let zoned = get("symbol=FILUSDT&interval=1h&timeZone=05:45").await.body;
    let bars = zoned.as_array().unwrap();
    assert_eq!(bars.len(), 2, "{zoned}");
    assert_eq!(bars[1][0], T0 + 2 * 60_000);
    assert_eq!(bars[0][0], T0 + 2 * 60_000 - 3_600_000);
    assert_eq!(bars[1][8], 8, "two candles' trades");
    // 2023-11-14 22:13 UTC is 06:13 on the 15th at UTC+8: that day began at 16:00 UTC.
    let day = get("symbol=FILUSDT&interval=1d&timeZone=8").await.body;
    assert_eq!(day[0][0], 1_699_977_600_000_i64);
    assert_eq!(day[0][6], 1_699_977_600_000_i64 + 86_400_000 - 1);
    let minutes = get("symbol=FILUSDT&interval=1m&timeZone=-1:00").await.body;
    assert_eq!(minutes, get("symbol=FILUSDT&interval=1m").await.body);
    for bad in ["15", "-12:30", "8:5", "UTC"] {
        let q = format!("symbol=FILUSDT&interval=1h&timeZone={bad}");
        let a = sim.get("/api/v3/klines", &q).await;
        assert_error(
            &a,
            400,
            -1100,
            "Illegal characters found in parameter 'timeZone'; legal range is '[-12:00 to +14:00]'.",
        );
    }
}

#[tokio::test]
async fn depth_is_the_last_price_with_the_candle_volume_plus_our_resting_orders() {
    let sim = spawn().await;
    sim.step(4).await;
    let empty = sim.get("/api/v3/depth", "symbol=FILUSDT").await.body;
    assert_shape(&empty, "depth");
    assert_eq!(empty["bids"], json!([["3.94000000", "1000.00000000"]]));
    assert_eq!(
        empty["asks"], empty["bids"],
        "no spread: the fill model's market"
    );
    assert_eq!(empty["lastUpdateId"], 16, "the last tape trade");
    sim.limit_buy("b1", "3.500", "10", "ACK").await;
    sim.limit_buy("b2", "3.500", "5", "ACK").await;
    sim.limit_buy("b3", "3.600", "2", "ACK").await;
    let book = sim
        .get("/api/v3/depth", "symbol=FILUSDT&limit=2")
        .await
        .body;
    assert_eq!(
        book["bids"],
        json!([
            ["3.94000000", "1000.00000000"],
            ["3.60000000", "2.00000000"]
        ]),
        "best first, cut to the limit"
    );
    let deep = sim.get("/api/v3/depth", "symbol=FILUSDT").await.body;
    assert_eq!(
        deep["bids"][2],
        json!(["3.50000000", "15.00000000"]),
        "same price, summed"
    );
    assert_eq!(deep["asks"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn account_endpoints_clients_call_on_their_usual_paths() {
    let sim = spawn().await;
    sim.step(4).await;
    let all = sim.signed(Method::GET, "/api/v3/account", "").await.body;
    let assets: Vec<&str> = all["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["asset"].as_str().unwrap())
        .collect();
    assert_eq!(
        assets,
        ["AVAX", "FIL", "LINK", "LTC", "NEAR", "SOL", "USDC", "USDT"],
        "zero balances listed"
    );
    let nonzero = sim
        .signed(Method::GET, "/api/v3/account", "omitZeroBalances=true")
        .await
        .body;
    assert_eq!(
        nonzero["balances"],
        json!([{"asset": "USDT", "free": "10000.00000000", "locked": "0.00000000"}])
    );

    let order = "symbol=FILUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=10&price=3.5";
    let test = sim.signed(Method::POST, "/api/v3/order/test", order).await;
    assert_eq!((test.status.as_u16(), &test.body), (200, &json!({})));
    let rates = sim
        .signed(
            Method::POST,
            "/api/v3/order/test",
            &format!("{order}&computeCommissionRates=true"),
        )
        .await
        .body;
    assert_shape(&rates, "order_test_2");
    assert_eq!(rates["standardCommissionForOrder"]["taker"], "0.00100000");
    let bad = sim
        .signed(
            Method::POST,
            "/api/v3/order/test",
            "symbol=FILUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.1&price=3.5",
        )
        .await;
    assert_error(&bad, 400, -1013, "Filter failure: NOTIONAL");
    let open = sim
        .signed(Method::GET, "/api/v3/openOrders", "symbol=FILUSDT")
        .await
        .body;
    assert_eq!(open, json!([]), "a test order is never placed");
    let placed = sim.limit_buy("real-1", "3.500", "10", "ACK").await.body;
    assert_eq!(placed["orderId"], 1, "nor does it use an order id");

    let counts = sim
        .signed(Method::GET, "/api/v3/rateLimit/order", "")
        .await
        .body;
    assert_shape(&counts[0], "rateLimit_order");
    assert_eq!(counts[0]["count"], 1, "one new order in this 10 s");
    for path in ["/api/v3/openOrderList", "/api/v3/allOrderList"] {
        assert_eq!(
            sim.signed(Method::GET, path, "").await.body,
            json!([]),
            "{path}"
        );
    }
    let combo = sim
        .signed(Method::GET, "/api/v3/allOrderList", "fromId=1&startTime=0")
        .await;
    assert_error(
        &combo,
        400,
        -1128,
        "Combination of optional parameters invalid.",
    );
}

#[tokio::test]
async fn my_trades_by_time_window_and_the_rejected_combinations() {
    let sim = spawn().await;
    sim.step(1).await;
    let buy = "symbol=FILUSDT&side=BUY&type=MARKET&quantity=2";
    sim.signed(Method::POST, "/api/v3/order", buy).await;
    sim.step(1).await;
    sim.signed(Method::POST, "/api/v3/order", buy).await;
    let t1 = T0 + 60_000;
    let first = sim
        .signed(
            Method::GET,
            "/api/v3/myTrades",
            &format!("symbol=FILUSDT&startTime={t1}&endTime={}", t1 + 59_999),
        )
        .await
        .body;
    assert_eq!(first.as_array().unwrap().len(), 1, "{first}");
    assert_eq!(first[0]["orderId"], 1);
    let since = sim
        .signed(
            Method::GET,
            "/api/v3/myTrades",
            &format!("symbol=FILUSDT&startTime={t1}"),
        )
        .await
        .body;
    assert_eq!(since.as_array().unwrap().len(), 2);
    let combo = sim
        .signed(
            Method::GET,
            "/api/v3/myTrades",
            &format!("symbol=FILUSDT&fromId=1&startTime={t1}"),
        )
        .await;
    assert_error(
        &combo,
        400,
        -1128,
        "Combination of optional parameters invalid.",
    );
    let long = sim
        .signed(
            Method::GET,
            "/api/v3/myTrades",
            "symbol=FILUSDT&startTime=0&endTime=86400001",
        )
        .await;
    assert_error(&long, 400, -1127, "More than 24 hours");
}

#[tokio::test]
async fn documented_weights_and_a_weight_header_on_every_answer() {
    let sim = spawn().await;
    sim.step(2).await;
    let public_cases: [(&str, &str, u64); 13] = [
        ("/api/v3/ticker/24hr", "symbol=FILUSDT", 2),
        ("/api/v3/ticker/24hr", "symbols=%5B%22FILUSDT%22%5D", 2),
        ("/api/v3/ticker/24hr", "", 80),
        (
            "/api/v3/ticker",
            "symbols=%5B%22FILUSDT%22,%22SOLUSDC%22%5D",
            8,
        ),
        ("/api/v3/ticker/price", "symbol=FILUSDT", 2),
        ("/api/v3/ticker/price", "symbols=%5B%22FILUSDT%22%5D", 4),
        ("/api/v3/ticker/bookTicker", "", 4),
        ("/api/v3/depth", "symbol=FILUSDT", 5),
        ("/api/v3/depth", "symbol=FILUSDT&limit=500", 25),
        ("/api/v3/depth", "symbol=FILUSDT&limit=5000", 250),
        ("/api/v3/trades", "symbol=FILUSDT", 25),
        ("/api/v3/aggTrades", "symbol=FILUSDT", 4),
        ("/api/v3/uiKlines", "symbol=FILUSDT&interval=1m", 2),
    ];
    for (path, query, weight) in public_cases {
        assert_eq!(
            weight_of(&sim, Method::GET, path, query, false).await,
            weight,
            "{path}?{query}"
        );
    }
    let signed_cases: [(Method, &str, &str, u64); 5] = [
        (
            Method::GET,
            "/api/v3/myTrades",
            "symbol=FILUSDT&orderId=1",
            5,
        ),
        (Method::GET, "/api/v3/myTrades", "symbol=FILUSDT", 20),
        (Method::GET, "/api/v3/rateLimit/order", "", 40),
        (Method::GET, "/api/v3/openOrderList", "", 6),
        (
            Method::POST,
            "/api/v3/order/test",
            "symbol=FILUSDT&side=BUY&type=MARKET&quantity=2&computeCommissionRates=true",
            20,
        ),
    ];
    for (method, path, query, weight) in signed_cases {
        assert_eq!(
            weight_of(&sim, method, path, query, true).await,
            weight,
            "{path}?{query}"
        );
    }
    let missing = sim.get("/api/v3/nothing-here", "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.headers.contains_key("x-mbx-used-weight-1m"),
        "{:?}",
        missing.headers
    );
    let unsigned = sim
        .send(Method::GET, "/api/v3/account", "", Some(KEY))
        .await;
    assert_error(&unsigned, 400, -1102, "Mandatory parameter 'timestamp'");
    assert!(unsigned.headers.contains_key("x-mbx-used-weight-1m"));
}
