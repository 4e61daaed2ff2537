//! Our client against the exchange server: today's rules.

use crate::client_sim::harness::{fil, spawn_with, test_config, KEY};
use binance_trader::adapters::binance::error::{reject_reason, RejectReason};
use binance_trader::adapters::binance::{BinanceRest, Credentials};
use binance_trader::adapters::sim::PriceRange;
use binance_trader::core::client_id::ClientOrderId;
use binance_trader::core::filters::SymbolStatus;
use binance_trader::core::money::{Price, Qty};
use binance_trader::core::order::OrderStatus;
use binance_trader::core::order::{OrderSpec, Slot};
use binance_trader::ports::exchange::{Exchange, ExchangeError, NewOrder, OrderRef};
use rust_decimal::Decimal;

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

/// The client sees `CANCEL_ONLY` when it reads past its exchangeInfo cache, and a placement
/// then is a `MarketClosed` rejection while a cancel works.
#[tokio::test]
async fn cancel_only_is_read_fresh_and_placements_are_market_closed() {
    let sim = spawn_with(6_000, 100, 8).await;
    let rest = sim.client();
    assert_eq!(
        rest.symbol_rules(&fil()).await.unwrap().status,
        SymbolStatus::Trading
    );
    let resting = buy("co-1");
    rest.place(&resting).await.unwrap();
    sim.server
        .set_symbol_status(&fil(), SymbolStatus::CancelOnly)
        .unwrap();
    let fresh = rest.symbol_rules_fresh(&fil()).await.unwrap();
    assert_eq!(fresh.status, SymbolStatus::CancelOnly);
    match rest.place(&buy("co-2")).await {
        Err(ExchangeError::Rejected(e)) => {
            assert_eq!(reject_reason(&e), RejectReason::MarketClosed)
        }
        other => panic!("{other:?}"),
    }
    let cancelled = rest
        .cancel(&fil(), &OrderRef::Client(resting.client_id))
        .await
        .unwrap();
    assert_eq!(cancelled.status, OrderStatus::Canceled);
}

/// An order expired by the Price Range Execution Rule comes back with its reason.
#[tokio::test]
async fn price_range_expiry_reaches_the_report() {
    let sim = spawn_with(6_000, 100, 8).await;
    let rest = sim.client();
    sim.server
        .set_price_range(
            &fil(),
            Some(PriceRange {
                reference: Price::parse("3.000").unwrap(),
                mult_down: Decimal::new(9, 1),
                mult_up: Decimal::new(11, 1),
            }),
        )
        .unwrap();
    let mut taker = buy("pr-1");
    taker.spec.price = Some(Price::parse("4.500").unwrap());
    let report = rest.place(&taker).await.unwrap();
    assert_eq!(report.status, OrderStatus::Expired);
    assert!(report.expiry_reason.as_ref().unwrap().is_price_range());
    let queried = rest
        .query(&fil(), &OrderRef::Id(report.order_id))
        .await
        .unwrap()
        .unwrap();
    assert!(queried.expiry_reason.unwrap().is_price_range());
}

/// The client reads the account's `MAX_ASSET` from myFilters.
#[tokio::test]
async fn my_filters_reads_max_asset() {
    let sim = spawn_with(6_000, 100, 8).await;
    let rest = sim.client();
    assert_eq!(
        rest.account_filters(&fil()).await.unwrap(),
        Default::default()
    );
    let usdt = binance_trader::core::symbol::Asset::parse("USDT").unwrap();
    let limit = binance_trader::core::money::Amount::parse("250").unwrap();
    sim.server.set_max_asset(usdt.clone(), Some(limit));
    let f = rest.account_filters(&fil()).await.unwrap();
    assert_eq!(f.max_asset(&usdt), Some(limit));
}

/// The client amends in place: same order id, the id it sends, the new quantity.
#[tokio::test]
async fn amend_keep_priority_keeps_the_order_and_shrinks_it() {
    let sim = spawn_with(6_000, 100, 8).await;
    let rest = sim.client();
    let order = buy("am-1");
    let placed = rest.place(&order).await.unwrap();
    let three = Qty::parse("3").unwrap();
    let amended = rest
        .amend_keep_priority(
            &fil(),
            &OrderRef::Id(placed.order_id),
            three,
            &order.client_id,
        )
        .await
        .unwrap();
    assert_eq!(amended.order_id, placed.order_id);
    assert_eq!(amended.client_id, order.client_id);
    assert_eq!(amended.spec.qty, three);
    assert_eq!(amended.status, OrderStatus::New);
    let queried = rest
        .query(&fil(), &OrderRef::Id(placed.order_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(queried.spec.qty, three);
    match rest
        .amend_keep_priority(
            &fil(),
            &OrderRef::Id(placed.order_id),
            Qty::parse("4").unwrap(),
            &order.client_id,
        )
        .await
    {
        Err(ExchangeError::Rejected(e)) => assert_eq!(e.code, -2038),
        other => panic!("{other:?}"),
    }
}
