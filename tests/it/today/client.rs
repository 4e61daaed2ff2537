//! Our client against the exchange server: today's rules.

use crate::client_sim::harness::{fil, spawn_with, test_config, KEY};
use binance_trader::adapters::binance::{BinanceRest, Credentials};
use binance_trader::core::client_id::ClientOrderId;
use binance_trader::core::money::{Price, Qty};
use binance_trader::core::order::{OrderSpec, Slot};
use binance_trader::ports::exchange::{Exchange, NewOrder, OrderRef};

fn buy(id: &str) -> NewOrder {
    NewOrder {
        symbol: fil(),
        client_id: ClientOrderId::parse(id).unwrap(),
        spec: OrderSpec::limit(
            Slot::Buy(1),
            Price::parse("3.000").unwrap(),
            Qty::parse("5").unwrap(),
        ),
    }
}

/// The client gives back the weight of a successful order request: with 100 weight a
/// minute (90 usable) and exchangeInfo and the time sync already at 21, 60 placements and 60 cancels go
/// through without any local wait; without the refund the 70th request would be refused.
#[tokio::test]
async fn successful_order_requests_leave_the_weight_budget_alone() {
    let sim = spawn_with(100, 1_000, 8).await;
    let mut config = test_config(&sim.base);
    config.max_local_wait_ms = 0;
    let rest = BinanceRest::new(
        config,
        Some(Credentials::hmac(KEY, crate::client_sim::harness::SECRET).unwrap()),
    )
    .unwrap();
    rest.symbol_rules(&fil()).await.unwrap();
    rest.sync_time().await.unwrap();
    let before = rest.used_weight().unwrap();
    for i in 0..60 {
        let order = buy(&format!("zw-{i}"));
        rest.place(&order).await.unwrap();
        rest.cancel(&fil(), &OrderRef::Client(order.client_id))
            .await
            .unwrap();
    }
    assert_eq!(rest.used_weight(), Some(before));
}

/// A client id that form encoding changes (`:` and `/`) is signed encoded and accepted.
#[tokio::test]
async fn client_ids_that_encoding_changes_are_signed_and_accepted() {
    let sim = spawn_with(6_000, 100, 8).await;
    let rest = sim.client();
    let order = buy("grid:b1/r2");
    let report = rest.place(&order).await.unwrap();
    assert_eq!(report.client_id.as_str(), "grid:b1/r2");
    let found = rest
        .query(&fil(), &OrderRef::Client(order.client_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.order_id, report.order_id);
}
