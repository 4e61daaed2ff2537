//! The real `BinanceRest` client (reqwest transport) against the exchange-sim server on
//! loopback, for every endpoint the client has: the two were written from Binance's docs
//! separately, and these tests are where they must agree. Faults are in `client_faults.rs`,
//! the soak in `client_soak.rs`.

pub mod harness;

use binance_trader::adapters::binance::error::{reject_reason, RejectReason};
use binance_trader::adapters::binance::rate_limit::{LimitKind, LimitSpec};
use binance_trader::adapters::binance::request::CancelReplaceMode;
use binance_trader::adapters::binance::rest::Half;
use binance_trader::core::filters::parse::symbol_rules;
use binance_trader::core::money::{Amount, Price, Qty};
use binance_trader::core::order::{OrderStatus, OrderType, Slot};
use binance_trader::ports::exchange::{ApiError, Exchange, ExchangeError, OrderRef};
use harness::*;

fn price(s: &str) -> Price {
    Price::parse(s).unwrap()
}

fn qty(s: &str) -> Qty {
    Qty::parse(s).unwrap()
}

#[tokio::test]
async fn market_data_and_exchange_info() {
    let sim = spawn().await;
    let rest = sim.client();
    let rules = rest.symbol_rules(&fil()).await.unwrap();
    assert_eq!(rules, symbol_rules(&sim.info_json, &fil()).unwrap());
    let limits = rest.limiter().limits();
    assert!(limits.contains(&LimitSpec {
        kind: LimitKind::RequestWeight,
        interval_ms: 60_000,
        limit: 6_000
    }));
    assert!(limits.contains(&LimitSpec {
        kind: LimitKind::Orders,
        interval_ms: 10_000,
        limit: 100
    }));

    let server_time = rest.server_time().await.unwrap();
    assert!((server_time - sim.server.now_ms()).abs() < 1_000);
    let offset = rest.sync_time().await.unwrap();
    let expected = sim.server.now_ms() - chrono_now_ms();
    assert!((offset - expected).abs() < 1_000, "{offset} vs {expected}");

    assert_eq!(rest.ticker_price(&fil()).await.unwrap(), price("4.000"));
    let book = rest.book_ticker(&fil()).await.unwrap();
    assert_eq!((book.bid, book.ask), (price("4.000"), price("4.000")));

    sim.server.step(3);
    let k = rest
        .klines(&fil(), "1m", Some(T0), None, Some(10))
        .await
        .unwrap();
    assert_eq!(k, candles(3));
    let k = rest
        .klines(&fil(), "1m", Some(T0 + 60_000), None, Some(1))
        .await
        .unwrap();
    assert_eq!(k, candles(2)[1..]);
    assert_eq!(rest.ticker_price(&fil()).await.unwrap(), price("4.050"));
}

#[tokio::test]
async fn closed_candles_are_the_minutes_closed_at_the_server_time() {
    let sim = spawn().await;
    let rest = sim.client();
    sim.server.step(5);
    let all = candles(5);
    assert_eq!(
        rest.closed_candles(&fil(), None, 3).await.unwrap(),
        all[2..]
    );
    assert_eq!(
        rest.closed_candles(&fil(), Some(T0 + 60_000), 2)
            .await
            .unwrap(),
        all[1..3]
    );
    let next = all[4].open_time_ms + 60_000;
    assert_eq!(
        rest.closed_candles(&fil(), Some(next), 10).await.unwrap(),
        [],
        "the next minute has not closed"
    );
    sim.server.step(1);
    assert_eq!(
        rest.closed_candles(&fil(), Some(next), 10).await.unwrap(),
        candles(6)[5..]
    );
}

fn chrono_now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(d.as_millis()).unwrap()
}

#[tokio::test]
async fn account_orders_and_trades() {
    let sim = spawn().await;
    let rest = sim.client();
    let account = rest.account().await.unwrap();
    assert!(account.can_trade);
    assert_eq!(account.balances.len(), 1);
    assert_eq!(account.balances[0].free, Amount::parse("10000").unwrap());
    assert_eq!(account.maker_rate, "0.001".parse().unwrap());
    let commission = rest.account_commission(&fil()).await.unwrap();
    assert_eq!(commission.standard_commission.maker, "0.00100000");

    // LIMIT rests; LIMIT_MAKER that would take is refused with Binance's reason.
    let b1 = rest
        .place(&limit(1, Slot::Buy(1), "3.900", "10"))
        .await
        .unwrap();
    assert_eq!((b1.status, b1.spec.slot), (OrderStatus::New, Slot::Buy(1)));
    assert_eq!(b1.spec.price, Some(price("3.900")));
    let taker = typed(limit(1, Slot::Buy(2), "4.100", "10"), OrderType::LimitMaker);
    let err = rest.place(&taker).await.unwrap_err();
    let ExchangeError::Rejected(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.code, -2010);
    assert_eq!(reject_reason(api), RejectReason::WouldTake);
    assert!(sim.orders_with_id(&taker.client_id).is_empty());

    // MARKET fills at once; the fill shows in myTrades.
    let m = typed(limit(1, Slot::Buy(3), "4.000", "5"), OrderType::Market);
    let filled = rest.place(&m).await.unwrap();
    assert_eq!(
        (filled.status, filled.executed_qty),
        (OrderStatus::Filled, qty("5"))
    );
    let trades = rest.my_trades(&fil(), 0).await.unwrap();
    assert_eq!(trades.len(), 1);
    assert_eq!(
        (trades[0].order_id, trades[0].qty),
        (filled.order_id, qty("5"))
    );
    let later = rest
        .my_trades(&fil(), trades[0].trade_id + 1)
        .await
        .unwrap();
    assert!(later.is_empty());

    // TAKE_PROFIT_LIMIT with trailingDelta (a trailing take-profit of the bought FIL).
    let mut tp = typed(limit(1, Slot::Tr, "4.150", "2"), OrderType::TakeProfitLimit);
    tp.spec.stop_price = Some(price("4.200"));
    tp.spec.trailing_delta = Some(100);
    let tp_report = rest.place(&tp).await.unwrap();
    assert_eq!(tp_report.status, OrderStatus::New);
    assert_eq!(tp_report.spec.order_type, OrderType::TakeProfitLimit);
    assert_eq!(tp_report.spec.trailing_delta, Some(100));
    assert_eq!(tp_report.spec.stop_price, Some(price("4.200")));

    // query and openOrders.
    let q = rest
        .query(&fil(), &by_client(&b1.client_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((q.order_id, q.spec.slot), (b1.order_id, Slot::Buy(1)));
    assert_eq!(
        rest.query(&fil(), &by_client(&id(9, Slot::Buy(1), 1)))
            .await
            .unwrap(),
        None
    );
    let open = rest.open_orders(&fil()).await.unwrap();
    let mut ids: Vec<u64> = open.iter().map(|r| r.order_id).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![b1.order_id, tp_report.order_id]);

    // cancelReplace: both halves done, then a new half that would take.
    let mut b1_2 = limit(1, Slot::Buy(1), "3.800", "10");
    b1_2.client_id = id(1, Slot::Buy(1), 2);
    let cr = rest
        .cancel_replace(&b1.client_id, &b1_2, CancelReplaceMode::StopOnFailure)
        .await
        .unwrap();
    let (Half::Done(old), Half::Done(new)) = (&cr.cancel, &cr.new_order) else {
        panic!("{cr:?}")
    };
    assert_eq!(
        (old.status, old.order_id),
        (OrderStatus::Canceled, b1.order_id)
    );
    assert_eq!(
        (new.status, new.spec.slot),
        (OrderStatus::New, Slot::Buy(1))
    );
    let mut b1_3 = typed(limit(1, Slot::Buy(1), "4.500", "10"), OrderType::LimitMaker);
    b1_3.client_id = id(1, Slot::Buy(1), 3);
    let cr = rest
        .cancel_replace(&b1_2.client_id, &b1_3, CancelReplaceMode::StopOnFailure)
        .await
        .unwrap();
    assert!(matches!(cr.cancel, Half::Done(ref r) if r.status == OrderStatus::Canceled));
    assert!(
        matches!(cr.new_order, Half::Failed(ApiError { code: -2010, .. })),
        "{cr:?}"
    );

    // cancel by client id; a second cancel reports the closed order.
    let b2 = rest
        .place(&limit(1, Slot::Buy(2), "3.700", "10"))
        .await
        .unwrap();
    let c = rest
        .cancel(&fil(), &by_client(&b2.client_id))
        .await
        .unwrap();
    assert_eq!((c.status, c.order_id), (OrderStatus::Canceled, b2.order_id));
    let again = rest
        .cancel(&fil(), &by_client(&b2.client_id))
        .await
        .unwrap();
    assert_eq!(again.status, OrderStatus::Canceled);

    // cancel-all, then an empty book is not an error.
    let b4 = rest
        .place(&limit(1, Slot::Buy(4), "3.600", "10"))
        .await
        .unwrap();
    let all = rest.cancel_all(&fil()).await.unwrap();
    let mut cancelled: Vec<u64> = all.iter().map(|r| r.order_id).collect();
    cancelled.sort_unstable();
    assert_eq!(cancelled, vec![tp_report.order_id, b4.order_id]);
    assert!(all.iter().all(|r| r.status == OrderStatus::Canceled));
    assert!(rest.open_orders(&fil()).await.unwrap().is_empty());
    assert!(rest.cancel_all(&fil()).await.unwrap().is_empty());

    // A resting order filled by a candle shows in myTrades from the last seen id.
    let b5 = rest
        .place(&limit(1, Slot::Buy(5), "3.750", "4"))
        .await
        .unwrap();
    sim.server.step(2);
    let q = rest
        .query(&fil(), &by_client(&b5.client_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(q.status, OrderStatus::Filled);
    let new_trades = rest
        .my_trades(&fil(), trades[0].trade_id + 1)
        .await
        .unwrap();
    assert_eq!(new_trades.len(), 1);
    assert_eq!(new_trades[0].order_id, b5.order_id);

    // allOrders: every order of every status, oldest first; by exchange id, a lookup finds
    // each even though ids were reused by later placements.
    let every = rest.all_orders(&fil(), None).await.unwrap();
    let engine: Vec<u64> = sim.all_orders().iter().map(|o| o.order_id).collect();
    assert_eq!(every.iter().map(|o| o.order_id).collect::<Vec<_>>(), engine);
    for o in &every {
        let q = rest
            .query(&fil(), &OrderRef::Id(o.order_id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((q.order_id, &q.client_id), (o.order_id, &o.client_id));
    }
    let since = rest.all_orders(&fil(), Some(b5.time_ms)).await.unwrap();
    let expected: Vec<u64> = every
        .iter()
        .filter(|o| o.time_ms >= b5.time_ms)
        .map(|o| o.order_id)
        .collect();
    assert!(expected.contains(&b5.order_id));
    assert_eq!(
        since.iter().map(|o| o.order_id).collect::<Vec<_>>(),
        expected
    );
    assert!(rest
        .all_orders(&fil(), Some(b5.time_ms + 1))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn signatures_are_checked_and_classified() {
    let sim = spawn().await;
    let wrong = sim.client_with(test_config(&sim.base), "not-the-secret");
    let err = wrong.account().await.unwrap_err();
    assert!(
        matches!(err, ExchangeError::Rejected(ApiError { code: -1022, .. })),
        "{err:?}"
    );
    let err = wrong
        .place(&limit(2, Slot::Buy(1), "3.900", "10"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ExchangeError::Rejected(ApiError { code: -1022, .. })),
        "{err:?}"
    );
    assert!(sim.all_orders().is_empty());
    // Public endpoints need no signature.
    assert_eq!(wrong.ticker_price(&fil()).await.unwrap(), price("4.000"));
    // The right secret passes.
    assert!(sim.client().account().await.unwrap().can_trade);
}
