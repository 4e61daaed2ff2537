//! The bot end to end: the real Binance client against the simulated exchange on loopback,
//! through several complete baskets (fills, TP1, TP2, trailing exit, restart of the bot and of
//! baskets), then the store checked against the exchange; and the emergency close.

use crate::harness::{
    assert_store_matches_exchange, client, fil_strategy, start_sim, wave_candles,
};
use crate::store::fixtures::{TestDb, PG_SKIPPED};
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::apps::bot::{Bot, BotSettings};
use binance_trader::core::basket::BasketStatus;
use binance_trader::core::client_id::{ClientOrderId, IdPrefix};
use binance_trader::core::filters::SymbolRules;
use binance_trader::core::money::{Price, Qty};
use binance_trader::core::order::{OrderStatus, Side, Slot};
use binance_trader::core::symbol::Symbol;
use binance_trader::ports::exchange::{
    Account, BookTicker, Exchange, ExchangeError, ExchangeTrade, NewOrder, OrderRef, OrderReport,
    Orders,
};
use binance_trader::ports::store::{FillQuery, IntentState, OrderIntent, Store};

pub(crate) fn settings() -> BotSettings {
    BotSettings::new(fil_strategy()).with_intent_grace(0)
}

/// Steps until a step takes no action (at most 12 steps).
pub(crate) async fn settle<E: Exchange, S: Store>(bot: &mut Bot<E, S>) {
    for _ in 0..12 {
        if bot.step().await.unwrap().quiescent() {
            return;
        }
    }
    let events = bot.store().events(30).await.unwrap();
    let lines: Vec<String> = events
        .iter()
        .map(|e| format!("{} {}", e.kind, e.message))
        .collect();
    panic!(
        "the bot did not settle; latest events:\n{}",
        lines.join("\n")
    );
}

/// Several full baskets with a restart of the bot half-way, on `store`; then the store must
/// equal the exchange.
async fn full_baskets_with_a_restart<S: Store>(store: S) {
    let candles = wave_candles(4);
    let n = candles.len();
    let sim = start_sim(candles).await;
    let mut bot = Bot::new(client(&sim.base), store, settings())
        .await
        .unwrap();
    for i in 0..n {
        if i == n / 2 {
            // A restart: a new bot on the same store and exchange picks up where it was.
            bot = Bot::new(client(&sim.base), bot.into_store(), settings())
                .await
                .unwrap();
        }
        settle(&mut bot).await;
        sim.server.step(1);
    }
    settle(&mut bot).await;
    let store = bot.store();

    let baskets = store.baskets(false).await.unwrap();
    let closed = baskets
        .iter()
        .filter(|b| b.basket.status == BasketStatus::Closed)
        .count();
    assert!(closed >= 3, "closed baskets: {closed} of {}", baskets.len());
    let sells = store
        .fills(&FillQuery {
            side: Some(Side::Sell),
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    for slot in [Slot::Tp1, Slot::Tp2, Slot::Tr] {
        assert!(
            sells.iter().any(|f| f.fill.slot == slot),
            "no {slot} fill among {} sells",
            sells.len()
        );
    }
    // TP2 shrinks at an unchanged price once TP1 has sold: amended in place, not replaced.
    let events = store.events(10_000).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "order_amended" && e.message.contains("-TP2-")),
        "no TP2 amended in place"
    );
    assert_store_matches_exchange(store, &client(&sim.base)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_baskets_on_the_memory_store() {
    full_baskets_with_a_restart(MemoryStore::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_baskets_on_sqlite() {
    let db = TestDb::sqlite().await;
    full_baskets_with_a_restart(db.store.clone()).await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_baskets_on_postgres() {
    match TestDb::postgres().await {
        Some(db) => {
            full_baskets_with_a_restart(db.store.clone()).await;
            db.cleanup().await;
        }
        None => eprintln!("{PG_SKIPPED}"),
    }
}

/// A bot on one wave, six candles into the slide: some buys filled, others resting.
pub(crate) async fn into_the_slide(
    settings: BotSettings,
) -> (crate::harness::Sim, Bot<impl Exchange, MemoryStore>) {
    let sim = start_sim(wave_candles(1)).await;
    let mut bot = Bot::new(client(&sim.base), MemoryStore::new(), settings)
        .await
        .unwrap();
    for _ in 0..6 {
        settle(&mut bot).await;
        sim.server.step(1);
    }
    settle(&mut bot).await;
    (sim, bot)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emergency_close_cancels_everything_sells_the_position_and_is_idempotent() {
    let (sim, mut bot) = into_the_slide(settings()).await;
    let ex = client(&sim.base);
    let symbol = fil_strategy().symbol;
    let open_before = ex.open_orders(&symbol).await.unwrap();
    assert!(!open_before.is_empty());
    let bought = bot
        .store()
        .fills(&FillQuery {
            side: Some(Side::Buy),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!bought.is_empty(), "the slide filled no buy");

    let report = bot.close_all().await.unwrap();
    assert_eq!(report.baskets.len(), 1, "{}", report.summary());
    assert_eq!(report.cancelled.len(), open_before.len());
    assert_eq!(report.placed.len(), 1, "{}", report.summary());
    let (exit_id, exit_price, exit_qty) = report.placed[0].clone();
    let last = ex.ticker_price(&symbol).await.unwrap();
    assert!(exit_price < last, "{exit_price} vs {last}");
    // Nothing of the basket rests but (possibly) the exit; at 3 % below the last price the
    // exit is marketable and sells the whole position at once.
    let open_after = ex.open_orders(&symbol).await.unwrap();
    assert!(open_after.iter().all(|o| o.client_id == exit_id));
    let exit = ex
        .query(&symbol, &OrderRef::Client(exit_id.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (exit.spec.qty, exit.spec.price),
        (exit_qty, Some(exit_price))
    );
    assert_eq!(exit.status, OrderStatus::Filled);
    let held: Qty = bought.iter().map(|f| f.fill.qty).sum();
    let fil = ex
        .account()
        .await
        .unwrap()
        .balances
        .into_iter()
        .find(|b| b.asset.as_str() == "FIL")
        .map_or(Qty::ZERO, |b| b.total().as_qty());
    assert!(fil < held, "{fil} FIL left of {held}");
    assert!(fil < exit_qty.min(held), "more than dust left: {fil}");
    let basket = bot
        .store()
        .basket(report.baskets[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(basket.basket.status, BasketStatus::EmergencyClosed);

    let again = bot.close_all().await.unwrap();
    assert!(
        again.baskets.is_empty() && again.placed.is_empty(),
        "{}",
        again.summary()
    );
    // The bot does not reopen a basket after an emergency close.
    sim.server.step(1);
    settle(&mut bot).await;
    assert!(bot.store().baskets(true).await.unwrap().is_empty());
    assert_store_matches_exchange(bot.store(), &ex).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_basket_is_left_alone_until_resumed() {
    let sim = start_sim(wave_candles(1)).await;
    let mut bot = Bot::new(client(&sim.base), MemoryStore::new(), settings())
        .await
        .unwrap();
    settle(&mut bot).await;
    let id = bot.store().baskets(true).await.unwrap()[0].basket.id;
    bot.pause_basket(id).await.unwrap();
    assert!(bot.pause_basket(id).await.is_err(), "paused twice");
    let placed = bot.store().intents(id).await.unwrap().len();
    // The slide fills resting buys; a paused basket gets no take-profit and no new basket
    // opens on the symbol.
    for _ in 0..8 {
        sim.server.step(1);
        settle(&mut bot).await;
    }
    assert_eq!(bot.store().intents(id).await.unwrap().len(), placed);
    assert_eq!(bot.store().baskets(false).await.unwrap().len(), 1);
    let filled = bot.store().basket_fills(id).await.unwrap();
    assert!(!filled.is_empty(), "the slide filled nothing");

    bot.resume_basket(id).await.unwrap();
    settle(&mut bot).await;
    let intents = bot.store().intents(id).await.unwrap();
    assert!(
        intents[placed..].iter().any(|i| i.spec.slot == Slot::Tp1),
        "no TP1 after resuming"
    );
    assert_store_matches_exchange(bot.store(), &client(&sim.base)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_counts_the_quote_its_own_buys_lock() {
    use binance_trader::apps::trade::check_market;
    let sim = crate::harness::start_sim_with_quote(wave_candles(1), "1400").await;
    let ex = client(&sim.base);
    let store = MemoryStore::new();
    check_market(&ex, &store, &settings()).await.unwrap();
    let mut bot = Bot::new(client(&sim.base), store, settings())
        .await
        .unwrap();
    settle(&mut bot).await;
    let usdt = ex
        .account()
        .await
        .unwrap()
        .balances
        .into_iter()
        .find(|b| b.asset.as_str() == "USDT")
        .unwrap();
    assert!(
        usdt.free.as_quote() < fil_strategy().quote_budget,
        "the buys should lock most of the budget: {usdt:?}"
    );
    // A fresh start (another bot, its own prefix) with this little free quote is refused;
    // resuming the basket is not.
    let mut other = settings();
    other.prefix = IdPrefix::parse("gc").unwrap();
    let err = check_market(&ex, &MemoryStore::new(), &other)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("free"), "{err}");
    check_market(&ex, bot.store(), &settings()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_of_ours_missing_from_the_journal_is_adopted_not_ignored() {
    let sim = start_sim(wave_candles(1)).await;
    let mut bot = Bot::new(client(&sim.base), MemoryStore::new(), settings())
        .await
        .unwrap();
    settle(&mut bot).await;
    let ex = client(&sim.base);
    let symbol = fil_strategy().symbol;
    let b1 = ex
        .open_orders(&symbol)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.spec.slot == Slot::Buy(1))
        .unwrap();
    // As if an intent had been concluded "never placed" while the exchange had the order.
    let stray = NewOrder {
        symbol: symbol.clone(),
        client_id: ClientOrderId::ours(&IdPrefix::default(), 1, Slot::Buy(1), 99),
        spec: b1.spec.clone(),
    };
    let gave_up = OrderIntent {
        client_id: stray.client_id.clone(),
        basket_id: 1,
        symbol: symbol.clone(),
        rev: 99,
        spec: stray.spec.clone(),
        created_ms: ex.server_time().await.unwrap(),
        state: IntentState::Absent,
        note: None,
    };
    bot.store().insert_intent(&gave_up).await.unwrap();
    // And one with our prefix that this journal never meant to place: not adopted.
    let foreign = NewOrder {
        client_id: ClientOrderId::ours(&IdPrefix::default(), 1, Slot::Buy(2), 77),
        ..stray.clone()
    };
    let placed = ex.place(&stray).await.unwrap();
    let other = ex.place(&foreign).await.unwrap();
    settle(&mut bot).await;

    let recorded = bot
        .store()
        .order_by_exchange_id(&symbol, placed.order_id)
        .await
        .unwrap()
        .expect("the stray order is in the journal");
    assert_eq!(recorded.basket_id, 1);
    let events = bot.store().events(100).await.unwrap();
    let adopted: Vec<&str> = events
        .iter()
        .filter(|e| e.kind == "order_adopted")
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(adopted.len(), 1, "{adopted:?}");
    assert!(adopted[0].contains(stray.client_id.as_str()));
    assert_ne!(other.client_id, placed.client_id);
    assert_store_matches_exchange(bot.store(), &ex).await;
}

/// An exchange that feeds one more candle the first time a cancel is sent after being armed:
/// the order being cancelled can fill just before the cancel reaches the book.
struct CandleBeforeCancel<E> {
    inner: E,
    sim: binance_trader::adapters::sim::server::SimServer,
    armed: std::sync::atomic::AtomicBool,
}

impl<E: Exchange> Exchange for CandleBeforeCancel<E> {
    async fn symbol_rules(&self, s: &Symbol) -> Result<SymbolRules, ExchangeError> {
        self.inner.symbol_rules(s).await
    }
    async fn server_time(&self) -> Result<i64, ExchangeError> {
        self.inner.server_time().await
    }
    async fn price_at(&self, s: &Symbol, t: i64) -> Result<Price, ExchangeError> {
        self.inner.price_at(s, t).await
    }
    async fn ticker_price(&self, s: &Symbol) -> Result<Price, ExchangeError> {
        self.inner.ticker_price(s).await
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
        if self.armed.swap(false, std::sync::atomic::Ordering::SeqCst) {
            self.sim.step(1);
        }
        self.inner.cancel(s, o).await
    }
    async fn amend(
        &self,
        s: &Symbol,
        o: &OrderRef,
        q: binance_trader::core::money::Qty,
        id: &binance_trader::core::client_id::ClientOrderId,
    ) -> Result<OrderReport, ExchangeError> {
        self.inner.amend(s, o, q, id).await
    }
    async fn all_orders(&self, s: &Symbol, since_ms: Option<i64>) -> Result<Orders, ExchangeError> {
        self.inner.all_orders(s, since_ms).await
    }
    async fn my_trades(&self, s: &Symbol, from: u64) -> Result<Vec<ExchangeTrade>, ExchangeError> {
        self.inner.my_trades(s, from).await
    }
}

/// One candle of FILUSDT at minute `i`.
fn candle(i: i64, o: &str, h: &str, l: &str, c: &str) -> binance_trader::adapters::klines::Candle {
    let t = crate::harness::T0 + i * 60_000;
    binance_trader::adapters::klines::Candle {
        open_time_ms: t,
        open: Price::parse(o).unwrap(),
        high: Price::parse(h).unwrap(),
        low: Price::parse(l).unwrap(),
        close: Price::parse(c).unwrap(),
        volume: Qty::parse("100000").unwrap(),
        close_time_ms: t + 59_999,
    }
}

/// The take-profit being replaced (a second level filled, so its price moves) fills just
/// before its cancel lands: its successor must not be placed on the stale plan, or the
/// position would be sold twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_take_profit_that_fills_before_its_replacement_is_not_sold_again() {
    let candles = vec![
        candle(0, "4.000", "4.001", "3.999", "4.000"),
        candle(1, "4.000", "4.001", "3.999", "4.000"),
        candle(2, "4.000", "4.001", "3.950", "3.955"), // B1 (3.960) fills
        candle(3, "3.955", "3.956", "3.954", "3.955"),
        candle(4, "3.955", "3.956", "3.900", "3.910"), // B2 (3.904) fills
        candle(5, "3.910", "4.150", "3.909", "4.140"), // rally: the old TP1 fills
        candle(6, "4.140", "4.141", "4.139", "4.140"),
    ];
    let sim = start_sim(candles).await;
    let ex = CandleBeforeCancel {
        inner: client(&sim.base),
        sim: sim.server.clone(),
        armed: false.into(),
    };
    let mut bot = Bot::new(ex, MemoryStore::new(), settings()).await.unwrap();
    for _ in 0..5 {
        settle(&mut bot).await;
        sim.server.step(1);
    }
    // B2 filled on the last candle; the next step replaces TP1, and the rally comes first.
    let tp1_before: Vec<_> = bot
        .store()
        .intents(1)
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.spec.slot == Slot::Tp1)
        .collect();
    assert_eq!(tp1_before.len(), 1, "one TP1 resting before the rally");
    bot.exchange()
        .armed
        .store(true, std::sync::atomic::Ordering::SeqCst);
    settle(&mut bot).await;
    assert!(
        !bot.exchange()
            .armed
            .load(std::sync::atomic::Ordering::SeqCst),
        "no cancel was sent: the scenario did not happen"
    );
    let store = bot.store();
    let tp1_fills: Vec<_> = store
        .basket_fills(1)
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.slot == Slot::Tp1)
        .collect();
    assert!(
        !tp1_fills.is_empty(),
        "the old TP1 did not fill in the rally"
    );
    let tp1_after: Vec<_> = store
        .intents(1)
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.spec.slot == Slot::Tp1)
        .collect();
    assert_eq!(
        tp1_after.len(),
        1,
        "a second TP1 was placed after the first had filled: {tp1_after:?}"
    );
    assert_store_matches_exchange(store, &client(&sim.base)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_outcome_defers_the_emergency_sell_and_the_bot_finishes_the_close() {
    use binance_trader::core::order::OrderSpec;
    let mut patient = settings();
    patient.intent_grace_ms = 3_600_000;
    let (sim, mut bot) = into_the_slide(patient).await;
    let ex = client(&sim.base);
    let symbol = fil_strategy().symbol;
    assert!(!ex.open_orders(&symbol).await.unwrap().is_empty());
    let id = bot.store().baskets(true).await.unwrap()[0].basket.id;
    // A placement whose outcome is unknown (its request never arrived): pending for an hour.
    let now = ex.server_time().await.unwrap();
    let unknown = OrderIntent {
        client_id: ClientOrderId::ours(&IdPrefix::default(), id, Slot::Buy(9), 1),
        basket_id: id,
        symbol: symbol.clone(),
        rev: 1,
        spec: OrderSpec::limit(
            Slot::Buy(9),
            Price::parse("1").unwrap(),
            Qty::parse("10").unwrap(),
        ),
        created_ms: now,
        state: IntentState::Pending,
        note: None,
    };
    bot.store().insert_intent(&unknown).await.unwrap();

    let before = ex.open_orders(&symbol).await.unwrap();
    let sells_before: Vec<_> = before.iter().filter(|o| o.side == Side::Sell).collect();
    assert!(
        !sells_before.is_empty(),
        "the slide should have a take-profit resting"
    );

    let first = bot.close_all().await.unwrap();
    assert!(first.placed.is_empty(), "{}", first.summary());
    assert_eq!(first.errors.len(), 1, "{}", first.summary());
    assert!(!first.cancelled.is_empty());
    // The buys are cancelled; the sells keep protecting the position meanwhile.
    let after = ex.open_orders(&symbol).await.unwrap();
    assert!(after.iter().all(|o| o.side == Side::Sell), "{after:?}");
    assert_eq!(after.len(), sells_before.len());
    let paused = bot.store().basket(id).await.unwrap().unwrap();
    assert_eq!(paused.basket.status, BasketStatus::Error);

    // Once the outcome is known (never placed), the bot's next step finishes the close by
    // itself: nobody has to press the button again.
    let mut bot = Bot::new(client(&sim.base), bot.into_store(), settings())
        .await
        .unwrap();
    for _ in 0..3 {
        // Three "does not exist" answers conclude it; the step that does finishes the close.
        bot.step().await.unwrap();
    }
    let closed = bot.store().basket(id).await.unwrap().unwrap();
    assert_eq!(closed.basket.status, BasketStatus::EmergencyClosed);
    let exits: Vec<_> = bot
        .store()
        .intents(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.spec.slot == Slot::Exit)
        .collect();
    assert_eq!(exits.len(), 1, "{exits:?}");
    assert!(ex
        .open_orders(&symbol)
        .await
        .unwrap()
        .iter()
        .all(|o| o.spec.slot == Slot::Exit));
    // Finished: later steps do not close again.
    sim.server.step(1);
    settle(&mut bot).await;
    let exits_later = bot.store().intents(id).await.unwrap();
    assert_eq!(
        exits_later
            .iter()
            .filter(|i| i.spec.slot == Slot::Exit)
            .count(),
        1
    );
    assert_store_matches_exchange(bot.store(), &ex).await;
}

async fn basket_status<S: Store>(store: &S, id: u32) -> BasketStatus {
    store.basket(id).await.unwrap().unwrap().basket.status
}

/// The exit sell does not fill at once (here it is priced 5 % above the market, as if the
/// price had run away from it): the basket stays `closing`, a second close-all re-prices the
/// exit (the first cancelled), and the basket is `emergency_closed` only once the exit fills.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_basket_is_emergency_closed_only_when_its_exit_sell_fills() {
    use binance_trader::core::money::Pct;
    let mut above = settings();
    above.emergency_margin = Pct::new(rust_decimal::Decimal::from(-5));
    let (sim, mut bot) = into_the_slide(above).await;
    let ex = client(&sim.base);
    let symbol = fil_strategy().symbol;

    let first = bot.close_all().await.unwrap();
    assert_eq!(first.placed.len(), 1, "{}", first.summary());
    let id = first.baskets[0];
    assert_eq!(first.closing, vec![id]);
    assert_eq!(basket_status(bot.store(), id).await, BasketStatus::Closing);
    let (exit1, price1, _) = first.placed[0].clone();

    sim.server.step(1);
    settle(&mut bot).await;
    assert_eq!(
        basket_status(bot.store(), id).await,
        BasketStatus::Closing,
        "exit not filled yet"
    );
    let second = bot.close_all().await.unwrap();
    assert_eq!(second.placed.len(), 1, "{}", second.summary());
    let (exit2, price2, _) = second.placed[0].clone();
    assert_ne!(exit2, exit1);
    assert_ne!(price2, price1, "re-priced at the new last price");
    assert!(second.cancelled.contains(&exit1), "{}", second.summary());
    let open: Vec<_> = ex.open_orders(&symbol).await.unwrap().ours;
    assert_eq!(
        open.iter().map(|o| &o.client_id).collect::<Vec<_>>(),
        vec![&exit2],
        "only the re-priced exit works"
    );

    // The rally reaches the exit: filled, and only then emergency closed.
    for _ in 0..8 {
        sim.server.step(1);
        settle(&mut bot).await;
    }
    let exit = ex
        .query(&symbol, &OrderRef::Client(exit2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(exit.status, OrderStatus::Filled);
    assert_eq!(
        basket_status(bot.store(), id).await,
        BasketStatus::EmergencyClosed
    );
    assert!(bot.store().baskets(true).await.unwrap().is_empty());
    assert_store_matches_exchange(bot.store(), &ex).await;
}
