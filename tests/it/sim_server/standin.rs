//! The stand-in answers outside `/api` that clients call by default while loading markets
//! (ccxt's `load_markets`): futures and options exchangeInfo and margin pairs empty in
//! Binance's shapes, the wallet's coin list and trade fees from the account, their security
//! types, and no weight counted against the spot limits.

use super::market::weight_of;
use super::*;

#[tokio::test]
async fn derivatives_and_margin_are_empty_in_binance_shapes() {
    let sim = spawn().await;
    let now = sim.server.now_ms();
    let usd_m = sim.get("/fapi/v1/exchangeInfo", "").await;
    assert_eq!(usd_m.status, 200);
    assert_eq!(
        usd_m.body,
        json!({"timezone": "UTC", "serverTime": now, "rateLimits": [], "exchangeFilters": [],
               "assets": [], "symbols": []})
    );
    let coin_m = sim.get("/dapi/v1/exchangeInfo", "").await;
    assert_eq!(
        keys(&coin_m.body),
        keys(
            &json!({"timezone": 0, "serverTime": 0, "rateLimits": 0, "exchangeFilters": 0,
                     "symbols": 0})
        )
    );
    assert_eq!(coin_m.body["symbols"], json!([]));
    let options = sim.get("/eapi/v1/exchangeInfo", "").await;
    assert_eq!(options.body["optionSymbols"], json!([]));
    assert_eq!(options.body["optionContracts"], json!([]));
    assert_eq!(options.body["optionAssets"], json!([]));

    // Cross margin pairs are MARKET_DATA (API key), isolated ones USER_DATA (signed).
    let no_key = sim.get("/sapi/v1/margin/allPairs", "").await;
    assert_error(&no_key, 401, -2014, "API-key format invalid.");
    let cross = sim
        .send(Method::GET, "/sapi/v1/margin/allPairs", "", Some(KEY))
        .await;
    assert_eq!((cross.status.as_u16(), &cross.body), (200, &json!([])));
    let unsigned = sim
        .send(
            Method::GET,
            "/sapi/v1/margin/isolated/allPairs",
            "",
            Some(KEY),
        )
        .await;
    assert_error(&unsigned, 400, -1102, "Mandatory parameter 'timestamp'");
    let isolated = sim
        .signed(Method::GET, "/sapi/v1/margin/isolated/allPairs", "")
        .await;
    assert_eq!(
        (isolated.status.as_u16(), &isolated.body),
        (200, &json!([]))
    );
    let status = sim.get("/sapi/v1/system/status", "").await;
    assert_eq!(status.body, json!({"status": 0, "msg": "normal"}));
}

#[tokio::test]
async fn wallet_coins_and_trade_fees_come_from_the_account() {
    let sim = spawn().await;
    let tampered = sim.signed_query("", 0).replace("signature=", "signature=0");
    let a = sim
        .send(
            Method::GET,
            "/sapi/v1/capital/config/getall",
            &tampered,
            Some(KEY),
        )
        .await;
    assert_error(&a, 400, -1022, "Signature for this request is not valid.");
    let placed = sim.limit_buy("standin-b1", "3.500", "10", "ACK").await;
    assert_eq!(placed.status, 200, "{}", placed.body);
    let coins = sim
        .signed(Method::GET, "/sapi/v1/capital/config/getall", "")
        .await;
    assert_eq!(coins.status, 200, "{}", coins.body);
    let usdt = coins
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["coin"] == "USDT")
        .expect("USDT is a served asset");
    assert_eq!(usdt["free"], "9965.00000000");
    assert_eq!(usdt["locked"], "35.00000000");
    assert_eq!(usdt["networkList"], json!([]), "no deposits or withdrawals");
    assert_eq!(usdt["withdrawAllEnable"], false);
    assert!(coins
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["coin"] == "FIL"));

    let fees = sim
        .signed(Method::GET, "/sapi/v1/asset/tradeFee", "symbol=FILUSDT")
        .await;
    assert_eq!(
        fees.body,
        json!([{"symbol": "FILUSDT", "makerCommission": "0.00100000",
                "takerCommission": "0.00100000"}])
    );
    let unknown = sim
        .signed(Method::GET, "/sapi/v1/asset/tradeFee", "symbol=NOPEUSDT")
        .await;
    assert_eq!(unknown.body, json!([]));
}

#[tokio::test]
async fn stand_ins_cost_no_spot_weight_and_carry_the_weight_header() {
    let sim = spawn().await;
    for path in [
        "/fapi/v1/exchangeInfo",
        "/dapi/v1/exchangeInfo",
        "/eapi/v1/exchangeInfo",
        "/sapi/v1/system/status",
    ] {
        assert_eq!(
            weight_of(&sim, Method::GET, path, "", false).await,
            0,
            "{path}"
        );
    }
    for path in [
        "/sapi/v1/capital/config/getall",
        "/sapi/v1/asset/tradeFee",
        "/sapi/v1/margin/isolated/allPairs",
    ] {
        assert_eq!(
            weight_of(&sim, Method::GET, path, "", true).await,
            0,
            "{path}"
        );
    }
    let other = sim.get("/sapi/v1/capital/deposit/hisrec", "").await;
    assert_eq!(other.status, 404, "only what is listed is stood in for");
    assert!(other.headers.contains_key("x-mbx-used-weight-1m"));
}
