//! The exchange server answers as today's Binance does.

use super::raw::{spawn, spawn_with, SECRET};
use binance_trader::adapters::sim::server::sign;
use reqwest::Method;

/// Since 2026-04-02: successful place, cancel, cancel-all and cancel-replace cost 0 weight,
/// failed ones their weight; the ORDERS limits still count every new order.
#[tokio::test]
async fn successful_order_requests_are_free_and_orders_still_count() {
    let sim = spawn_with(6_000, 3, |_| {}).await;
    let placed = sim.rest_buy("free-1").await;
    assert_eq!(placed.status, 200, "{}", placed.body);
    assert_eq!(placed.header("x-mbx-used-weight-1m"), "0");
    assert_eq!(placed.header("x-mbx-order-count-10s"), "1");
    let cancel = sim
        .signed(
            Method::DELETE,
            "/api/v3/order",
            "symbol=FILUSDT&origClientOrderId=free-1",
        )
        .await;
    assert_eq!(cancel.status, 200, "{}", cancel.body);
    assert_eq!(cancel.header("x-mbx-used-weight-1m"), "0");
    assert_eq!(sim.rest_buy("free-2").await.status, 200);
    let replaced = sim
        .signed(
            Method::POST,
            "/api/v3/order/cancelReplace",
            "symbol=FILUSDT&cancelReplaceMode=STOP_ON_FAILURE&cancelOrigClientOrderId=free-2&side=BUY&type=LIMIT&timeInForce=GTC&quantity=5&price=3.001&newClientOrderId=free-3",
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.header("x-mbx-used-weight-1m"), "0");
    assert_eq!(replaced.header("x-mbx-order-count-10s"), "3");
    let all = sim
        .signed(Method::DELETE, "/api/v3/openOrders", "symbol=FILUSDT")
        .await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.header("x-mbx-used-weight-1m"), "0");
    // A failed cancel costs its weight.
    let unknown = sim
        .signed(
            Method::DELETE,
            "/api/v3/order",
            "symbol=FILUSDT&origClientOrderId=never",
        )
        .await;
    unknown.assert_error(400, -2011, "Unknown order sent.");
    assert_eq!(unknown.header("x-mbx-used-weight-1m"), "1");
    // Zero weight, yet the fourth new order in 10 s is over the ORDERS limit of 3.
    let fourth = sim.rest_buy("free-4").await;
    fourth.assert_error(
        429,
        -1015,
        "Too many new orders; current limit is 3 orders per 10 SECOND.",
    );
}

/// Since 2026-01-15 the signature is over the percent-encoded payload, exactly as sent.
#[tokio::test]
async fn signature_is_checked_over_the_percent_encoded_payload() {
    let sim = spawn().await;
    // `:` and `/` are legal in client ids and change under form encoding.
    let encoded = sim.rest_buy("grid%3Ab1%2Fr2").await;
    assert_eq!(encoded.status, 200, "{}", encoded.body);
    assert_eq!(encoded.body["clientOrderId"], "grid:b1/r2");
    // The pre-2026 way: sign the decoded text, send it encoded → -1022.
    let ts = sim.server.now_ms();
    let decoded = format!(
        "symbol=FILUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=5&price=3.000&newClientOrderId=grid:b1/r3&timestamp={ts}"
    );
    let sent = decoded.replace("grid:b1/r3", "grid%3Ab1%2Fr3");
    let q = format!("{sent}&signature={}", sign(SECRET, &decoded));
    let old = sim.send(Method::POST, "/api/v3/order", &q).await;
    old.assert_error(400, -1022, "Signature for this request is not valid.");
}

/// Every documented self-trade-prevention mode is accepted and shown; an unknown one is
/// -1100. An IOC leftover expires with its `expiryReason`, in the answer and in queries.
#[tokio::test]
async fn stp_modes_are_accepted_and_expiry_reasons_shown() {
    let sim = spawn().await;
    for (i, mode) in [
        "NONE",
        "EXPIRE_TAKER",
        "EXPIRE_MAKER",
        "EXPIRE_BOTH",
        "DECREMENT",
        "TRANSFER",
    ]
    .iter()
    .enumerate()
    {
        let p = format!(
            "symbol=FILUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=5&price=3.000&newClientOrderId=stp-{i}&newOrderRespType=RESULT&selfTradePreventionMode={mode}"
        );
        let a = sim.signed(Method::POST, "/api/v3/order", &p).await;
        assert_eq!(a.status, 200, "{mode}: {}", a.body);
        assert_eq!(a.body["selfTradePreventionMode"], *mode);
    }
    let bad = sim
        .signed(
            Method::POST,
            "/api/v3/order",
            "symbol=FILUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=5&price=3.000&selfTradePreventionMode=EXPIRE_NOBODY",
        )
        .await;
    bad.assert_error(
        400,
        -1100,
        "Illegal characters found in parameter 'selfTradePreventionMode'",
    );
    sim.server.step(1);
    let ioc = sim
        .signed(
            Method::POST,
            "/api/v3/order",
            "symbol=FILUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=5&price=3.000&newClientOrderId=ioc-1&newOrderRespType=RESULT",
        )
        .await;
    assert_eq!(ioc.body["status"], "EXPIRED", "{}", ioc.body);
    assert_eq!(ioc.body["expiryReason"], "UNFILLED_IOC_QUANTITY_EXPIRED");
    let q = sim
        .signed(
            Method::GET,
            "/api/v3/order",
            "symbol=FILUSDT&origClientOrderId=ioc-1",
        )
        .await;
    assert_eq!(q.body["expiryReason"], "UNFILLED_IOC_QUANTITY_EXPIRED");
    let open = sim
        .signed(
            Method::GET,
            "/api/v3/order",
            "symbol=FILUSDT&origClientOrderId=stp-0",
        )
        .await;
    assert!(
        open.body.get("expiryReason").is_none(),
        "only on expired orders"
    );
}

async fn admin(sim: &super::raw::Raw, path: &str, body: serde_json::Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", sim.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
}

/// `CANCEL_ONLY` (since 2026-07): exchangeInfo shows it, new orders are "Market is closed.",
/// cancels work, a cancel-replace cancels and fails its new half; `TRADING` again accepts.
#[tokio::test]
async fn cancel_only_refuses_new_orders_and_still_cancels() {
    let sim = spawn().await;
    assert_eq!(sim.rest_buy("co-1").await.status, 200);
    assert_eq!(sim.rest_buy("co-2").await.status, 200);
    admin(
        &sim,
        "/sim/symbol-status",
        serde_json::json!({"symbol": "FILUSDT", "status": "CANCEL_ONLY"}),
    )
    .await;
    let info = sim
        .send(Method::GET, "/api/v3/exchangeInfo", "symbol=FILUSDT")
        .await;
    assert_eq!(info.body["symbols"][0]["status"], "CANCEL_ONLY");
    sim.rest_buy("co-3")
        .await
        .assert_error(400, -2010, "Market is closed.");
    let cancel = sim
        .signed(
            Method::DELETE,
            "/api/v3/order",
            "symbol=FILUSDT&origClientOrderId=co-1",
        )
        .await;
    assert_eq!(cancel.body["status"], "CANCELED", "{}", cancel.body);
    let cr = sim
        .signed(
            Method::POST,
            "/api/v3/order/cancelReplace",
            "symbol=FILUSDT&cancelReplaceMode=STOP_ON_FAILURE&cancelOrigClientOrderId=co-2&side=BUY&type=LIMIT&timeInForce=GTC&quantity=5&price=3.001&newClientOrderId=co-4",
        )
        .await;
    cr.assert_error(409, -2021, "Order cancel-replace partially failed.");
    assert_eq!(cr.body["data"]["cancelResult"], "SUCCESS");
    assert_eq!(cr.body["data"]["newOrderResult"], "FAILURE");
    assert_eq!(
        cr.body["data"]["newOrderResponse"]["msg"],
        "Market is closed."
    );
    admin(
        &sim,
        "/sim/symbol-status",
        serde_json::json!({"symbol": "FILUSDT", "status": "TRADING"}),
    )
    .await;
    assert_eq!(sim.rest_buy("co-5").await.status, 200);
}

/// The Price Range Execution Rule: a taker order that would trade outside the band around
/// the reference price expires with `EXECUTION_RULE_PRICE_RANGE_EXCEEDED`, nothing executed;
/// an order that rests (maker) is not touched.
#[tokio::test]
async fn price_range_rule_expires_takers_outside_the_band() {
    let sim = spawn().await;
    // The market is at 4.000; a reference of 3.000 ± 10 % leaves it outside the band.
    admin(
        &sim,
        "/sim/execution-rule",
        serde_json::json!({"symbol": "FILUSDT", "referencePrice": "3.000", "multDown": "0.9", "multUp": "1.1"}),
    )
    .await;
    let taker = sim
        .signed(
            Method::POST,
            "/api/v3/order",
            "symbol=FILUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=5&price=4.500&newClientOrderId=pr-1&newOrderRespType=RESULT",
        )
        .await;
    assert_eq!(taker.body["status"], "EXPIRED", "{}", taker.body);
    assert_eq!(taker.body["executedQty"], "0.00000000");
    assert_eq!(
        taker.body["expiryReason"],
        "EXECUTION_RULE_PRICE_RANGE_EXCEEDED"
    );
    let maker = sim.rest_buy("pr-2").await;
    assert_eq!(maker.body["status"], "NEW", "{}", maker.body);
    admin(
        &sim,
        "/sim/execution-rule",
        serde_json::json!({"symbol": "FILUSDT"}),
    )
    .await;
    let after = sim
        .signed(
            Method::POST,
            "/api/v3/order",
            "symbol=FILUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=5&price=4.500&newClientOrderId=pr-3&newOrderRespType=RESULT",
        )
        .await;
    assert_eq!(after.body["status"], "FILLED", "{}", after.body);
}

/// `GET /api/v3/myFilters` (weight 40): the documented shape, the account's `MAX_ASSET` on the
/// symbol's assets only; a placement beyond it is -1013 "Filter failure: MAX_ASSET".
#[tokio::test]
async fn my_filters_serves_max_asset_and_placement_enforces_it() {
    let sim = spawn().await;
    admin(
        &sim,
        "/sim/max-asset",
        serde_json::json!({"asset": "USDT", "limit": "12.00000000"}),
    )
    .await;
    admin(
        &sim,
        "/sim/max-asset",
        serde_json::json!({"asset": "BTC", "limit": "1"}),
    )
    .await;
    let f = sim
        .signed(Method::GET, "/api/v3/myFilters", "symbol=FILUSDT")
        .await;
    assert_eq!(f.status, 200, "{}", f.body);
    assert_eq!(f.header("x-mbx-used-weight-1m"), "40");
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/binance-docs/myFilters.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&f.body), keys(&doc));
    assert_eq!(
        f.body["assetFilters"],
        serde_json::json!([{"filterType": "MAX_ASSET", "asset": "USDT", "limit": "12.00000000"}])
    );
    let missing = sim.signed(Method::GET, "/api/v3/myFilters", "").await;
    missing.assert_error(400, -1102, "Mandatory parameter 'symbol'");
    // 5 × 3.000 = 15 USDT > 12.
    sim.rest_buy("ma-1")
        .await
        .assert_error(400, -1013, "Filter failure: MAX_ASSET");
    let small = sim
        .signed(
            Method::POST,
            "/api/v3/order",
            "symbol=FILUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=3.9&price=3.000",
        )
        .await;
    assert_eq!(small.status, 200, "{}", small.body);
}

fn set_symbol_field(info: &mut serde_json::Value, edit: impl Fn(&mut serde_json::Value)) {
    for s in info["symbols"].as_array_mut().unwrap() {
        if s["symbol"] == "FILUSDT" {
            edit(s);
        }
    }
}

/// Order Amend Keep Priority: the quantity shrinks in place (same order id, the id sent kept,
/// the reservation released), weight 4; increases, no-ops, `amendAllowed: false` and
/// `MAX_NUM_ORDER_AMENDS` are refused with Binance's codes.
#[tokio::test]
async fn amend_keep_priority_reduces_in_place_under_its_filters() {
    let sim = spawn_with(6_000, 100, |info| {
        set_symbol_field(info, |s| {
            for f in s["filters"].as_array_mut().unwrap() {
                if f["filterType"] == "MAX_NUM_ORDER_AMENDS" {
                    f["maxNumOrderAmends"] = 2.into();
                }
            }
        })
    })
    .await;
    let placed = sim.rest_buy("am-1").await;
    let id = placed.body["orderId"].clone();
    let amend =
        |q: &str| format!("symbol=FILUSDT&origClientOrderId=am-1&newClientOrderId=am-1&newQty={q}");
    let a = sim
        .signed(Method::PUT, "/api/v3/order/amend/keepPriority", &amend("3"))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("x-mbx-used-weight-1m"), "4");
    let o = &a.body["amendedOrder"];
    assert_eq!(
        (o["orderId"].clone(), o["qty"].clone()),
        (id, "3.00000000".into())
    );
    assert_eq!(
        (o["clientOrderId"].as_str(), o["origClientOrderId"].as_str()),
        (Some("am-1"), Some("am-1"))
    );
    let acct = sim.signed(Method::GET, "/api/v3/account", "").await;
    let usdt = acct.body["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == "USDT")
        .unwrap()
        .clone();
    assert_eq!(usdt["locked"], "9.00000000", "3 × 3.000 stays reserved");
    sim.signed(Method::PUT, "/api/v3/order/amend/keepPriority", &amend("4"))
        .await
        .assert_error(
            400,
            -2038,
            "Order amend (quantity increase) is not supported.",
        );
    sim.signed(Method::PUT, "/api/v3/order/amend/keepPriority", &amend("3"))
        .await
        .assert_error(400, -2038, "The requested action would change no state");
    assert_eq!(
        sim.signed(Method::PUT, "/api/v3/order/amend/keepPriority", &amend("2"))
            .await
            .status,
        200
    );
    sim.signed(
        Method::PUT,
        "/api/v3/order/amend/keepPriority",
        &amend("1.9"),
    )
    .await
    .assert_error(400, -1013, "Filter failure: MAX_NUM_ORDER_AMENDS");
    sim.signed(
        Method::PUT,
        "/api/v3/order/amend/keepPriority",
        "symbol=FILUSDT&origClientOrderId=none&newQty=1",
    )
    .await
    .assert_error(400, -2038, "Unknown order sent.");

    let closed = spawn_with(6_000, 100, |info| {
        set_symbol_field(info, |s| s["amendAllowed"] = false.into())
    })
    .await;
    closed.rest_buy("am-2").await;
    closed
        .signed(
            Method::PUT,
            "/api/v3/order/amend/keepPriority",
            "symbol=FILUSDT&origClientOrderId=am-2&newQty=3",
        )
        .await
        .assert_error(400, -2038, "Order amend is not supported for this symbol.");
}
