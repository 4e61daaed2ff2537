//! The exchange's order lookup lags (`lookup_lag_ms` fault: a young order answers -2013 by
//! client id and is missing from `allOrders`, while it rests on the book and can fill), and a
//! placement's answer is lost, so its intent stays pending. The bot runs with its production
//! intent rule (11 s send window, a 60 s streak of at least three answers) on a manual clock
//! that moves 10 s a candle. Every scenario must end with no slot bought twice, no fill lost
//! and the journal equal to the exchange.

use crate::bot::settle;
use crate::harness::{assert_store_matches_exchange, client, fil_strategy, start_sim, Sim, T0};
use crate::store::fixtures::TestDb;
use binance_trader::adapters::klines::Candle;
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::adapters::sim::server::{FaultConfig, SimServer};
use binance_trader::apps::bot::{Bot, BotSettings};
use binance_trader::core::client_id::IdPrefix;
use binance_trader::core::filters::SymbolRules;
use binance_trader::core::money::{Price, Qty};
use binance_trader::core::order::Slot;
use binance_trader::core::symbol::Symbol;
use binance_trader::ports::exchange::{
    Account, BookTicker, Exchange, ExchangeError, ExchangeTrade, NewOrder, OrderRef, OrderReport,
};
use binance_trader::ports::store::{IntentState, OrderIntent, Store};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Server time per candle.
const CANDLE_MS: i64 = 10_000;

/// A candle at `i` × 10 s.
fn candle(i: usize, o: &str, low: &str, c: &str) -> Candle {
    let t = T0 + i as i64 * CANDLE_MS;
    let o = Price::parse(o).unwrap();
    let c = Price::parse(c).unwrap();
    Candle {
        open_time_ms: t,
        open: o,
        high: o.max(c),
        low: Price::parse(low).unwrap(),
        close: c,
        volume: Qty::parse("100000").unwrap(),
        close_time_ms: t + CANDLE_MS - 1,
    }
}

/// `n` flat candles at 4.000, with candle `dip` (if any) reaching 3.950: B1 (3.960) fills.
fn candles(n: usize, dip: Option<usize>) -> Vec<Candle> {
    (0..n)
        .map(|i| match dip {
            Some(d) if d == i => candle(i, "4.000", "3.950", "3.955"),
            Some(d) if i > d => candle(i, "3.955", "3.954", "3.955"),
            _ => candle(i, "4.000", "3.999", "4.000"),
        })
        .collect()
}

/// The real client, except that the answers of the next `lose` placements are lost after the
/// exchange executed them (the intent stays pending), and that the next ticker read after
/// `slow` is armed lets `slow` candles pass first (a slow step: waits after the step's time
/// was read, before anything is placed).
struct LostAnswers<E> {
    inner: E,
    sim: SimServer,
    lose: AtomicUsize,
    slow: AtomicUsize,
    /// While set, lookups by order id answer "does not exist".
    hide_by_id: AtomicBool,
}

impl<E: Exchange> Exchange for LostAnswers<E> {
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
        let candles = self.slow.swap(0, Ordering::SeqCst);
        if candles > 0 {
            self.sim.step(candles);
        }
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
    async fn open_orders(
        &self,
        s: &Symbol,
    ) -> Result<binance_trader::ports::exchange::Orders, ExchangeError> {
        self.inner.open_orders(s).await
    }
    async fn place(&self, o: &NewOrder) -> Result<OrderReport, ExchangeError> {
        let placed = self.inner.place(o).await;
        let lost = self
            .lose
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        match placed {
            Ok(_) if lost => Err(ExchangeError::Unknown("answer lost".into())),
            other => other,
        }
    }
    async fn query(&self, s: &Symbol, o: &OrderRef) -> Result<Option<OrderReport>, ExchangeError> {
        if matches!(o, OrderRef::Id(_)) && self.hide_by_id.load(Ordering::SeqCst) {
            return Ok(None);
        }
        self.inner.query(s, o).await
    }
    async fn cancel(&self, s: &Symbol, o: &OrderRef) -> Result<OrderReport, ExchangeError> {
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
    async fn all_orders(
        &self,
        s: &Symbol,
        since_ms: Option<i64>,
    ) -> Result<binance_trader::ports::exchange::Orders, ExchangeError> {
        self.inner.all_orders(s, since_ms).await
    }
    async fn my_trades(&self, s: &Symbol, from: u64) -> Result<Vec<ExchangeTrade>, ExchangeError> {
        self.inner.my_trades(s, from).await
    }
}

type LagBot<S> = Bot<
    LostAnswers<
        binance_trader::adapters::binance::BinanceRest<
            binance_trader::adapters::binance::transport::ReqwestTransport,
        >,
    >,
    S,
>;

/// A sim whose lookups lag by `lag_ms`, and a bot on `store` with the production intent rule
/// whose first placement's answer is lost (and, with `slow_candles`, whose first step is slow
/// by that many candles before it places anything). Returns the bot after that first step
/// and the pending intent.
async fn lost_first_placement<S: Store>(
    sim: &Sim,
    store: S,
    lag_ms: u64,
    slow_candles: usize,
) -> (LagBot<S>, OrderIntent) {
    sim.server.set_faults(FaultConfig {
        lookup_lag_ms: lag_ms,
        ..FaultConfig::default()
    });
    let ex = LostAnswers {
        inner: client(&sim.base),
        sim: sim.server.clone(),
        lose: AtomicUsize::new(1),
        slow: AtomicUsize::new(slow_candles),
        hide_by_id: AtomicBool::new(false),
    };
    let mut bot = bot_on(ex, store).await;
    let first = bot.step().await.unwrap();
    assert_eq!(first.failed, 1, "the first placement's answer was lost");
    let pending = bot.store().pending_intents().await.unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    (bot, pending[0].clone())
}

async fn bot_on<E: Exchange, S: Store>(ex: E, store: S) -> Bot<E, S> {
    Bot::new(ex, store, BotSettings::new(fil_strategy()))
        .await
        .unwrap()
}

/// Feeds `n` candles, two bot steps after each.
async fn run_candles<E: Exchange, S: Store>(sim: &Sim, bot: &mut Bot<E, S>, n: usize) {
    for _ in 0..n {
        sim.server.step(1);
        for _ in 0..2 {
            bot.step().await.unwrap();
        }
    }
}

/// How many orders the exchange ever accepted for the slot of `intent` in its basket.
fn orders_of_slot(sim: &Sim, intent: &OrderIntent) -> Vec<OrderReport> {
    let prefix = IdPrefix::default();
    let engine = sim.server.exchange();
    let all = engine.lock().unwrap().all_orders(&intent.symbol).unwrap();
    all.into_iter()
        .filter(|o| {
            o.client_id
                .parse_ours(&prefix)
                .is_some_and(|p| p.basket == intent.basket_id && p.slot == intent.spec.slot)
        })
        .collect()
}

/// No duplicate, no lost fill, the journal equal to the exchange, the intent `placed`.
async fn assert_no_harm<E: Exchange, S: Store>(sim: &Sim, bot: &Bot<E, S>, lost: &OrderIntent) {
    let of_slot = orders_of_slot(sim, lost);
    assert_eq!(
        of_slot.len(),
        1,
        "{} was placed twice: {of_slot:?}",
        lost.spec.slot
    );
    let intent = bot
        .store()
        .intents(lost.basket_id)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.client_id == lost.client_id)
        .unwrap();
    assert_eq!(intent.state, IntentState::Placed, "{intent:?}");
    assert_store_matches_exchange(bot.store(), &client(&sim.base)).await;
}

/// The order rests on the book while its lookup lags 90 s (longer than the grace): the bot
/// finds it there before concluding, and never journals it as "never placed".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resting_order_behind_a_90_s_lag_is_found_not_concluded_absent() {
    let sim = start_sim(candles(60, None)).await;
    let (mut bot, lost) = lost_first_placement(&sim, MemoryStore::new(), 90_000, 0).await;
    run_candles(&sim, &mut bot, 40).await;
    settle(&mut bot).await;
    let events = bot.store().events(1000).await.unwrap();
    let absent: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "intent_absent")
        .collect();
    assert!(absent.is_empty(), "{absent:?}");
    assert_no_harm(&sim, &bot, &lost).await;
}

/// The lost order (B1) fills 30 s after it was sent, while its lookup still lags `lag_ms`: at
/// the end of the streak it is neither found by client id nor on the book nor in `allOrders`,
/// so its trade must bring it into the journal before B1 could be bought again.
async fn an_order_filled_during_the_lag_is_not_bought_again(lag_ms: u64) {
    let sim = start_sim(candles(60, Some(3))).await;
    let (mut bot, lost) = lost_first_placement(&sim, MemoryStore::new(), lag_ms, 0).await;
    assert_eq!(lost.spec.slot, Slot::Buy(1), "the scenario dips to B1 only");
    run_candles(&sim, &mut bot, 40).await;
    settle(&mut bot).await;
    assert_filled_and_no_harm(&sim, &bot, &lost).await;
}

async fn assert_filled_and_no_harm<E: Exchange, S: Store>(
    sim: &Sim,
    bot: &Bot<E, S>,
    lost: &OrderIntent,
) {
    let fills = bot.store().basket_fills(lost.basket_id).await.unwrap();
    assert!(
        fills.iter().any(|f| f.slot == lost.spec.slot),
        "{}'s fill is not in the journal: {fills:?}",
        lost.spec.slot
    );
    assert_no_harm(sim, bot, lost).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lag_90_s_an_order_filled_during_the_lag_is_not_bought_again() {
    an_order_filled_during_the_lag_is_not_bought_again(90_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lag_180_s_an_order_filled_during_the_lag_is_not_bought_again() {
    an_order_filled_during_the_lag_is_not_bought_again(180_000).await;
}

/// A restart half-way through the streak, on SQLite, with the fill during the lag: the new
/// bot continues the journalled streak (first answer's time kept, answers counted on).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_lag_continues_the_journalled_streak() {
    let db = TestDb::sqlite().await;
    let sim = start_sim(candles(60, Some(3))).await;
    let (mut bot, lost) = lost_first_placement(&sim, db.store.clone(), 180_000, 0).await;
    // 40 s later: past the send window, the streak has begun.
    run_candles(&sim, &mut bot, 4).await;
    let before = bot.store().intent_streak(&lost.client_id).await.unwrap();
    let first = before.first_ms.expect("the streak has begun");
    assert!(before.misses >= 2, "{before:?}");

    let ex = LostAnswers {
        inner: client(&sim.base),
        sim: sim.server.clone(),
        lose: AtomicUsize::new(0),
        slow: AtomicUsize::new(0),
        hide_by_id: AtomicBool::new(false),
    };
    let mut bot = bot_on(ex, bot.into_store()).await;
    bot.step().await.unwrap();
    let after = bot.store().intent_streak(&lost.client_id).await.unwrap();
    assert_eq!(after.first_ms, Some(first), "the restart reset the streak");
    assert_eq!(after.misses, before.misses + 1);

    run_candles(&sim, &mut bot, 36).await;
    settle(&mut bot).await;
    assert_filled_and_no_harm(&sim, &bot, &lost).await;
    db.cleanup().await;
}

/// As above, but the filled order cannot be read by its id either for a while: whose trade it
/// is cannot be told, so the trade cursor must stay before it (and the step stop before
/// planning) until it can; then the order is adopted and its fill recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trade_whose_order_cannot_be_read_yet_holds_the_cursor() {
    let sim = start_sim(candles(60, Some(3))).await;
    let (mut bot, lost) = lost_first_placement(&sim, MemoryStore::new(), 90_000, 0).await;
    bot.exchange().hide_by_id.store(true, Ordering::SeqCst);
    let mut failed = 0;
    for _ in 0..15 {
        sim.server.step(1);
        failed += usize::from(bot.step().await.is_err());
    }
    assert!(failed > 0, "the unreadable order never stopped a step");
    let trades = client(&sim.base).my_trades(&lost.symbol, 0).await.unwrap();
    let b1_trade = trades.first().expect("B1 filled").trade_id;
    let key = binance_trader::apps::bot::trade_cursor_key(&lost.symbol, &bot.settings().prefix);
    let cursor: u64 = bot
        .store()
        .config_value(&key)
        .await
        .unwrap()
        .map_or(0, |v| v.parse().unwrap());
    assert!(
        cursor <= b1_trade,
        "cursor {cursor} moved past trade {b1_trade}"
    );
    assert_eq!(orders_of_slot(&sim, &lost).len(), 1, "B1 bought again");

    bot.exchange().hide_by_id.store(false, Ordering::SeqCst);
    run_candles(&sim, &mut bot, 20).await;
    settle(&mut bot).await;
    assert_filled_and_no_harm(&sim, &bot, &lost).await;
}

/// A step slowed by a minute after it read its time: the intent carries the time its request
/// was sent, so the lookup's grace is not eaten by the slow step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_step_stamps_the_intent_when_it_is_sent() {
    let sim = start_sim(candles(60, None)).await;
    let (mut bot, lost) = lost_first_placement(&sim, MemoryStore::new(), 90_000, 6).await;
    let order = orders_of_slot(&sim, &lost).remove(0);
    assert_eq!(
        lost.created_ms, order.time_ms,
        "the intent carries the step's start, not the time it was sent"
    );
    assert_eq!(order.time_ms, T0 + 6 * CANDLE_MS);
    run_candles(&sim, &mut bot, 40).await;
    settle(&mut bot).await;
    assert_no_harm(&sim, &bot, &lost).await;
}
