//! The bot amends a resting order in place when the slot only wants less of it
//! (`order/amend/keepPriority`): the order keeps its id and queue place, the journal follows.
//! Without `amendAllowed` it falls back to cancel + create.
//!
//! The state: the grid resting, then one buy of ours on the book with more quantity than its
//! slot wants (journalled, same client id, same price): what any shrink of a slot leaves.

use crate::bot::{settings, settle};
use crate::harness::{
    assert_store_matches_exchange, client, fil_config, root, serve_on_loopback, wave_candles, Sim,
    KEY, SECRET,
};
use binance_trader::adapters::binance::rest::BinanceRest;
use binance_trader::adapters::binance::transport::ReqwestTransport;
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::adapters::sim::server::{SimServer, Speed};
use binance_trader::apps::bot::Bot;
use binance_trader::core::client_id::ClientOrderId;
use binance_trader::core::filters::SymbolRules;
use binance_trader::core::money::Price;
use binance_trader::core::money::Qty;
use binance_trader::core::order::Slot;
use binance_trader::core::symbol::Symbol;
use binance_trader::ports::exchange::{
    Account, BookTicker, Exchange, ExchangeError, ExchangeTrade, NewOrder, OrderRef, OrderReport,
    Orders,
};
use binance_trader::ports::store::Store;
use std::sync::atomic::{AtomicBool, Ordering};

fn fil() -> Symbol {
    Symbol::parse("FILUSDT").unwrap()
}

/// A FILUSDT exchange whose `amendAllowed` is `allowed` and `MAX_NUM_ORDER_AMENDS` is
/// `max_amends`.
async fn sim_with_amend(allowed: bool, max_amends: u32) -> Sim {
    let text = std::fs::read_to_string(root().join("data/exchange_info.json")).unwrap();
    let mut info: serde_json::Value = serde_json::from_str(&text).unwrap();
    for s in info["symbols"].as_array_mut().unwrap() {
        if s["symbol"] == "FILUSDT" {
            s["amendAllowed"] = allowed.into();
            for f in s["filters"].as_array_mut().unwrap() {
                if f["filterType"] == "MAX_NUM_ORDER_AMENDS" {
                    f["maxNumOrderAmends"] = max_amends.into();
                }
            }
        }
    }
    let cfg = fil_config(
        info.to_string(),
        wave_candles(1),
        Speed::Manual,
        "10000",
        (KEY, SECRET),
    );
    let server = SimServer::new(cfg).unwrap();
    let (base, stop) = serve_on_loopback(&server).await;
    Sim::from_parts(base, server, stop)
}

/// Runs the bot until the grid rests, then swaps its `B1` buy for one with the same client id
/// and price but twice the quantity, journalled like the original. Returns the bot, the
/// wanted quantity and the bigger order's exchange id.
async fn grid_with_an_oversized_buy(
    sim: &Sim,
) -> (Bot<BinanceRest<ReqwestTransport>, MemoryStore>, Qty, u64) {
    let mut bot = Bot::new(client(&sim.base), MemoryStore::new(), settings())
        .await
        .unwrap();
    settle(&mut bot).await;
    let b1 = bot
        .store()
        .open_orders()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.slot == Slot::Buy(1))
        .expect("the grid's first buy rests");
    let ex = client(&sim.base);
    ex.cancel(&fil(), &OrderRef::Id(b1.report.order_id))
        .await
        .unwrap();
    let mut bigger = b1.report.spec.clone();
    bigger.qty = b1.report.spec.qty + b1.report.spec.qty;
    let placed = ex
        .place(&NewOrder {
            symbol: fil(),
            client_id: b1.report.client_id.clone(),
            spec: bigger,
        })
        .await
        .unwrap();
    // Journalled as the bot journals its own orders (the cancelled one too).
    let mut cancelled = ex
        .query(&fil(), &OrderRef::Id(b1.report.order_id))
        .await
        .unwrap()
        .unwrap();
    cancelled.spec.slot = Slot::Buy(1);
    bot.store()
        .upsert_order(b1.basket_id, &cancelled)
        .await
        .unwrap();
    let mut journalled = placed.clone();
    journalled.spec.slot = Slot::Buy(1);
    bot.store()
        .upsert_order(b1.basket_id, &journalled)
        .await
        .unwrap();
    (bot, b1.report.spec.qty, placed.order_id)
}

/// Amend allowed: the oversized buy shrinks in place to what the slot wants; same exchange
/// id and client id (queue place kept), one order in the slot, journal equal to the exchange.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resting_buy_that_only_shrinks_is_amended_in_place() {
    let sim = sim_with_amend(true, 10).await;
    let (mut bot, wanted, big_id) = grid_with_an_oversized_buy(&sim).await;
    settle(&mut bot).await;
    let ex = client(&sim.base);
    let open = ex.open_orders(&fil()).await.unwrap();
    let b1: Vec<_> = open
        .iter()
        .filter(|o| o.client_id.to_string().contains("-B1-"))
        .collect();
    assert_eq!(b1.len(), 1, "one order in the slot: {b1:?}");
    assert_eq!(
        b1[0].order_id, big_id,
        "the same order: its queue place kept"
    );
    assert_eq!(b1[0].spec.qty, wanted, "shrunk to what the slot wants");
    let events = bot.store().events(50).await.unwrap();
    assert!(
        events.iter().any(|e| e.kind == "order_amended"),
        "{events:?}"
    );
    assert!(!events.iter().any(|e| e.kind == "order_cancelled"));
    assert_store_matches_exchange(bot.store(), &ex).await;
}

/// `amendAllowed: false` (read from exchangeInfo: no amend is sent), or an amend refused by
/// `MAX_NUM_ORDER_AMENDS` (-1013, the order then marked so it is not retried): the order is
/// replaced by cancel + create under a new id, and the journal equals the exchange.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_amend_allowed_a_shrinking_buy_is_replaced() {
    shrinking_buy_is_replaced(sim_with_amend(false, 10).await, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amend_refused_by_the_amend_limit_falls_back_to_replace() {
    shrinking_buy_is_replaced(sim_with_amend(true, 0).await, 1).await;
}

async fn shrinking_buy_is_replaced(sim: Sim, refusals: usize) {
    let (mut bot, wanted, big_id) = grid_with_an_oversized_buy(&sim).await;
    settle(&mut bot).await;
    let ex = client(&sim.base);
    let open = ex.open_orders(&fil()).await.unwrap();
    let b1: Vec<_> = open
        .iter()
        .filter(|o| o.client_id.to_string().contains("-B1-"))
        .collect();
    assert_eq!(b1.len(), 1, "one order in the slot: {b1:?}");
    assert_ne!(b1[0].order_id, big_id, "replaced by a new order");
    assert_eq!(b1[0].spec.qty, wanted);
    let old = ex
        .query(&fil(), &OrderRef::Id(big_id))
        .await
        .unwrap()
        .unwrap();
    assert!(!old.status.is_open());
    let events = bot.store().events(100).await.unwrap();
    let refused = events
        .iter()
        .filter(|e| e.kind == "action_failed" && e.message.starts_with("amend "))
        .count();
    assert_eq!(
        refused, refusals,
        "a refused amend is not retried: {events:?}"
    );
    assert!(!events.iter().any(|e| e.kind == "order_amended"));
    assert_store_matches_exchange(bot.store(), &ex).await;
}

/// An exchange whose first amend has an unknown outcome: executed (`executed`) or not, the
/// answer is lost either way.
struct LostAmendAnswer<E> {
    inner: E,
    executed: bool,
    lost: AtomicBool,
}

impl<E: Exchange> Exchange for LostAmendAnswer<E> {
    async fn symbol_rules(&self, s: &Symbol) -> Result<SymbolRules, ExchangeError> {
        self.inner.symbol_rules(s).await
    }
    async fn server_time(&self) -> Result<i64, ExchangeError> {
        self.inner.server_time().await
    }
    async fn ticker_price(&self, s: &Symbol) -> Result<Price, ExchangeError> {
        self.inner.ticker_price(s).await
    }
    async fn price_at(&self, s: &Symbol, time_ms: i64) -> Result<Price, ExchangeError> {
        self.inner.price_at(s, time_ms).await
    }
    async fn closed_candles(
        &self,
        s: &Symbol,
        from_open_ms: Option<i64>,
        limit: u16,
    ) -> Result<Vec<binance_trader::core::candle::Candle>, ExchangeError> {
        self.inner.closed_candles(s, from_open_ms, limit).await
    }
    async fn book_ticker(&self, s: &Symbol) -> Result<BookTicker, ExchangeError> {
        self.inner.book_ticker(s).await
    }
    async fn account(&self) -> Result<Account, ExchangeError> {
        self.inner.account().await
    }
    async fn open_orders(&self, s: &Symbol) -> Result<Orders, ExchangeError> {
        self.inner.open_orders(s).await
    }
    async fn place(&self, o: &NewOrder) -> Result<OrderReport, ExchangeError> {
        self.inner.place(o).await
    }
    async fn query(&self, s: &Symbol, o: &OrderRef) -> Result<Option<OrderReport>, ExchangeError> {
        self.inner.query(s, o).await
    }
    async fn cancel(&self, s: &Symbol, o: &OrderRef) -> Result<OrderReport, ExchangeError> {
        self.inner.cancel(s, o).await
    }
    async fn amend(
        &self,
        s: &Symbol,
        o: &OrderRef,
        q: Qty,
        id: &ClientOrderId,
    ) -> Result<OrderReport, ExchangeError> {
        if self.lost.swap(false, Ordering::SeqCst) {
            if self.executed {
                self.inner.amend(s, o, q, id).await?;
            }
            return Err(ExchangeError::Unknown("answer lost".into()));
        }
        self.inner.amend(s, o, q, id).await
    }
    async fn all_orders(&self, s: &Symbol, since_ms: Option<i64>) -> Result<Orders, ExchangeError> {
        self.inner.all_orders(s, since_ms).await
    }
    async fn my_trades(&self, s: &Symbol, from: u64) -> Result<Vec<ExchangeTrade>, ExchangeError> {
        self.inner.my_trades(s, from).await
    }
}

/// An amend whose answer is lost after it took effect: the bot looks the order up in the
/// same step and journals what the exchange has (the shrunk quantity); nothing is replaced.
/// Lost before it took effect: the journal keeps the old quantity, the next step amends again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amend_with_an_unknown_outcome_is_looked_up_and_journalled() {
    for executed in [true, false] {
        let sim = sim_with_amend(true, 10).await;
        let (bot, wanted, big_id) = grid_with_an_oversized_buy(&sim).await;
        let ex = LostAmendAnswer {
            inner: client(&sim.base),
            executed,
            lost: true.into(),
        };
        let mut bot = Bot::new(ex, bot.into_store(), settings()).await.unwrap();
        let report = bot.step().await.unwrap();
        assert_eq!(report.failed, 1, "the amend's outcome is unknown");
        let journalled = bot
            .store()
            .order_by_exchange_id(&fil(), big_id)
            .await
            .unwrap()
            .unwrap();
        let on_book = client(&sim.base)
            .query(&fil(), &OrderRef::Id(big_id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            journalled.report.spec.qty, on_book.spec.qty,
            "executed: {executed}: the journal says what the exchange says in the same step"
        );
        assert_eq!(on_book.spec.qty == wanted, executed);
        settle(&mut bot).await;
        let ex = client(&sim.base);
        let b1: Vec<_> = ex
            .open_orders(&fil())
            .await
            .unwrap()
            .into_iter()
            .filter(|o| o.client_id.to_string().contains("-B1-"))
            .collect();
        assert_eq!(b1.len(), 1, "{b1:?}");
        assert_eq!((b1[0].order_id, b1[0].spec.qty), (big_id, wanted));
        assert_store_matches_exchange(bot.store(), &ex).await;
    }
}
