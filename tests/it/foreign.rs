//! Orders that are not the bot's (issue 12, item 4): a manual OTO on the account (its pending
//! leg `PENDING_NEW`), an order type the client does not know. They must stop neither a step
//! nor the emergency close; only an unreadable order with our prefix may.

use crate::bot::{into_the_slide, settings, settle};
use crate::harness::{assert_store_matches_exchange, client, fil_strategy};
use binance_trader::core::basket::BasketStatus;
use binance_trader::ports::exchange::Exchange;
use binance_trader::ports::store::Store;
use serde_json::{json, Value};

/// A manual OTO as `openOrders` shows it: the working BUY on the book and the pending SELL
/// that is placed only once the working one fills (Binance's `orderList/oto` docs), plus an
/// order of a type this client does not know.
fn manual_orders(now: i64) -> Vec<Value> {
    let leg = |id: u64, client: &str, side: &str, kind: &str, status: &str, price: &str| {
        json!({
            "symbol": "FILUSDT", "orderId": id, "orderListId": 4242, "clientOrderId": client,
            "price": price, "origQty": "10.00000000", "executedQty": "0.00000000",
            "cummulativeQuoteQty": "0.00000000", "status": status, "timeInForce": "GTC",
            "type": kind, "side": side, "stopPrice": "0.00000000", "icebergQty": "0.00000000",
            "time": now, "updateTime": now, "isWorking": status != "PENDING_NEW",
            "workingTime": if status == "PENDING_NEW" { -1 } else { now },
            "origQuoteOrderQty": "0.00000000", "selfTradePreventionMode": "EXPIRE_MAKER"
        })
    };
    let mut unknown_type = leg(9_000_003, "web_8f2b1c", "BUY", "LIMIT", "NEW", "1.00000000");
    unknown_type["type"] = json!("PEGGED_LIMIT");
    unknown_type["orderListId"] = json!(-1);
    vec![
        leg(
            9_000_001,
            "oto_working_1",
            "BUY",
            "LIMIT",
            "NEW",
            "1.00000000",
        ),
        leg(
            9_000_002,
            "oto_pending_1",
            "SELL",
            "LIMIT_MAKER",
            "PENDING_NEW",
            "50.00000000",
        ),
        unknown_type,
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_oto_stops_neither_a_step_nor_the_emergency_close() {
    let (sim, mut bot) = into_the_slide(settings()).await;
    let ex = client(&sim.base);
    let symbol = fil_strategy().symbol;
    let now = ex.server_time().await.unwrap();
    for row in manual_orders(now) {
        sim.server.add_foreign_order(row);
    }
    let open = ex.open_orders(&symbol).await.unwrap();
    assert_eq!(open.foreign.len(), 3, "{:?}", open.foreign);
    assert!(!open.ours.is_empty());
    let recent = ex.all_orders(&symbol, None).await.unwrap();
    assert_eq!(recent.foreign.len(), 3);

    // The grid keeps working through more candles.
    for _ in 0..3 {
        sim.server.step(1);
        settle(&mut bot).await;
    }
    assert_eq!(bot.metrics().foreign_open_orders(), 3);

    let report = bot.close_all().await.unwrap();
    assert!(report.errors.is_empty(), "{}", report.summary());
    assert_eq!(report.baskets.len(), 1, "{}", report.summary());
    let basket = bot
        .store()
        .basket(report.baskets[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(basket.basket.status, BasketStatus::EmergencyClosed);
    // The manual orders were left alone, and none of them is in the journal.
    settle(&mut bot).await;
    let after = ex.open_orders(&symbol).await.unwrap();
    assert_eq!(after.foreign.len(), 3);
    assert_store_matches_exchange(bot.store(), &ex).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_order_with_our_prefix_stops_the_step() {
    let (sim, mut bot) = into_the_slide(settings()).await;
    let now = client(&sim.base).server_time().await.unwrap();
    let mut ours = manual_orders(now).remove(1);
    ours["clientOrderId"] = json!("gb1-B9-1");
    sim.server.add_foreign_order(ours);
    let err = bot.step().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("unreadable response from /api/v3/openOrders"),
        "{err}"
    );
    sim.server.clear_foreign_orders();
    bot.step().await.unwrap();
}
