//! The bot aborts (as a power cut would) at each crash point, a few times per run at varying
//! hits, and is restarted each time; every abort is checked to have left the journal inside
//! the window the point names, and the run must end recovered (`super::assert_recovered`).

use super::start_sim;
use super::{
    assert_recovered, forget_quiescent, reference_run, wait_quiescent, Backend, BotProcess,
    Journal, Traded,
};
use crate::harness::{fil_strategy, wave_candles, Sim};
use binance_trader::adapters::store::SqlStore;
use binance_trader::apps::bot::trade_cursor_key;
use binance_trader::core::order::OrderStatus;
use binance_trader::ports::store::{FillQuery, Store};
use rand::{Rng, SeedableRng};
use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;

/// Aborts wanted per crash point and run.
const ABORTS: usize = 3;

/// A journal boundary of the bot (`.spec/bot.md`, "Crash points").
#[derive(Debug, Clone, Copy)]
enum Point {
    /// The intent is written, the order not sent.
    IntentWritten,
    /// The order is sent, its answer not recorded.
    OrderSent,
    /// A cancel is sent, its answer not recorded.
    CancelSent,
    /// A fill is inserted, the trade cursor not moved past it.
    FillInserted,
    /// The successor basket is written, the old one not marked ended.
    SuccessorOpened,
}

impl Point {
    fn name(self) -> &'static str {
        match self {
            Point::IntentWritten => "bot::intent_written",
            Point::OrderSent => "bot::order_sent",
            Point::CancelSent => "bot::cancel_sent",
            Point::FillInserted => "bot::fill_inserted",
            Point::SuccessorOpened => "bot::successor_opened",
        }
    }

    /// Hits let pass before the abort, at most (drawn per start): the first placement of a
    /// step is not the only one that must be safe. A basket ends once per wave, so the
    /// successor point aborts at its first hit.
    fn max_skip(self) -> u32 {
        match self {
            Point::SuccessorOpened => 0,
            _ => 3,
        }
    }

    /// The event each abort's recovery must leave: the restart resolved the pending intent
    /// by looking it up (not, say, by adopting the open order later).
    fn recovery_event(self) -> Option<&'static str> {
        match self {
            Point::IntentWritten => Some("intent_absent"),
            Point::OrderSent => Some("intent_found"),
            _ => None,
        }
    }

    /// Asserts the aborted process left the journal inside this point's window.
    async fn assert_inside(self, store: &SqlStore, sim: &Sim) {
        let symbol = fil_strategy().symbol;
        let on_exchange: BTreeSet<String> = sim
            .server
            .exchange()
            .lock()
            .unwrap()
            .all_orders(&symbol)
            .unwrap()
            .into_iter()
            .map(|o| o.client_id.to_string())
            .collect();
        let pending = store.pending_intents().await.unwrap();
        match self {
            Point::IntentWritten => assert!(
                pending
                    .iter()
                    .any(|i| !on_exchange.contains(i.client_id.as_str())),
                "no pending intent without its order: {pending:?}"
            ),
            Point::OrderSent => assert!(
                pending
                    .iter()
                    .any(|i| on_exchange.contains(i.client_id.as_str())),
                "no pending intent whose order is on the exchange: {pending:?}"
            ),
            Point::CancelSent => {
                let book: BTreeSet<String> = sim
                    .server
                    .exchange()
                    .lock()
                    .unwrap()
                    .open_orders(&symbol)
                    .unwrap()
                    .into_iter()
                    .map(|o| o.client_id.to_string())
                    .collect();
                let stale = store.open_orders().await.unwrap().into_iter().any(|o| {
                    matches!(
                        o.report.status,
                        OrderStatus::New | OrderStatus::PartiallyFilled
                    ) && !book.contains(o.report.client_id.as_str())
                });
                assert!(stale, "no journalled open order that is off the book");
            }
            Point::FillInserted => {
                let cursor: u64 = store
                    .config_value(&trade_cursor_key(&symbol, &Default::default()))
                    .await
                    .unwrap()
                    .map_or(0, |v| v.parse().unwrap());
                let query = FillQuery {
                    limit: 1_000_000,
                    ..Default::default()
                };
                let newest = store
                    .fills(&query)
                    .await
                    .unwrap()
                    .iter()
                    .map(|f| f.fill.trade_id)
                    .max();
                assert!(
                    newest.is_some_and(|t| t >= cursor),
                    "no fill past the cursor {cursor}: newest {newest:?}"
                );
            }
            Point::SuccessorOpened => {
                let active = store.baskets(true).await.unwrap();
                assert_eq!(active.len(), 2, "successor and old basket both active");
            }
        }
    }
}

/// Runs three waves of `traded` with `point` armed for the first [`ABORTS`] aborts.
async fn aborts_at(point: Point, backend: Backend, traded: Traded) {
    let dir = tempfile::tempdir().unwrap();
    let Some(journal) = Journal::open(backend, dir.path()).await else {
        eprintln!("{}", crate::store::fixtures::PG_SKIPPED);
        return;
    };
    let candles = wave_candles(3);
    let expected = reference_run(candles.clone(), traded).await.balances;
    let sim = start_sim(candles.clone()).await;
    let mut bot = BotProcess::new(dir, &sim.base, &journal.url, traded);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xc7a5);
    let mut aborts = 0;
    let arm = |aborts: usize, rng: &mut rand::rngs::StdRng| {
        if aborts >= ABORTS {
            return String::new();
        }
        match rng.random_range(0..=point.max_skip()) {
            0 => format!("{}=return", point.name()),
            skip => format!("{}={skip}*off->return", point.name()),
        }
    };
    bot.spawn(&arm(aborts, &mut rng));
    for _ in 0..=candles.len() {
        let market_ms = sim.server.now_ms();
        while let Err(status) = wait_quiescent(&journal.store, market_ms, &mut bot).await {
            assert_eq!(
                status.signal(),
                Some(6),
                "the bot did not abort at {}: {status}\n{}",
                point.name(),
                bot.log()
            );
            point.assert_inside(&journal.store, &sim).await;
            forget_quiescent(&journal.store).await;
            aborts += 1;
            bot.spawn(&arm(aborts, &mut rng));
        }
        sim.server.step(1);
    }
    let market_ms = sim.server.now_ms();
    wait_quiescent(&journal.store, market_ms, &mut bot)
        .await
        .unwrap_or_else(|s| panic!("the bot exited: {s}\n{}", bot.log()));
    bot.terminate();
    let (orders, fills) = assert_recovered(&journal, &sim, &expected, traded).await;
    let pushed = super::pushed_fills(&journal.store).await;
    eprintln!(
        "crash point {} on {backend:?}, {traded:?}: {aborts} aborts, {orders} orders, {fills} fills \
         ({pushed} pushed)",
        point.name()
    );
    assert!(pushed > 0, "no fill came over the user-data stream");
    assert_eq!(aborts, ABORTS, "aborts at {}", point.name());
    if let Some(kind) = point.recovery_event() {
        let events = journal.store.events(100_000).await.unwrap();
        let recovered = events.iter().filter(|e| e.kind == kind).count();
        assert_eq!(recovered, ABORTS, "{kind} events");
    }
    journal.cleanup().await;
}

macro_rules! point_tests {
    ($($name:ident => $point:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::aborts_at(super::Point::$point, super::Backend::Sqlite, super::Traded::Basket).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::aborts_at(super::Point::$point, super::Backend::Postgres, super::Traded::Basket).await;
                }
            )*
        }
    };
}

point_tests! {
    abort_after_the_intent_is_written_recovers => IntentWritten,
    abort_after_the_order_is_sent_before_its_answer_is_recorded_recovers => OrderSent,
    abort_after_a_cancel_is_sent_before_its_answer_is_recorded_recovers => CancelSent,
    abort_after_a_fill_insert_before_the_cursor_moves_recovers => FillInserted,
    abort_between_the_successor_basket_and_the_old_close_recovers => SuccessorOpened,
}

/// The strategies that read indicators, at the points where an order could be duplicated, a
/// fill lost or a cancel forgotten (SQLite; the journal code is the store's, proven on both
/// above): each restart rebuilds the indicators from REST and must place what the
/// uninterrupted run placed. The trend fills too rarely for three aborts at the fill point;
/// it replaces its entry at every close, so it is aborted at its cancels.
mod signal {
    use super::{aborts_at, Backend, Point, Traded};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mean_reversion_abort_after_the_intent_is_written_recovers() {
        aborts_at(Point::IntentWritten, Backend::Sqlite, Traded::MeanReversion).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mean_reversion_abort_after_a_fill_insert_before_the_cursor_moves_recovers() {
        aborts_at(Point::FillInserted, Backend::Sqlite, Traded::MeanReversion).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn trend_abort_after_the_order_is_sent_before_its_answer_is_recorded_recovers() {
        aborts_at(Point::OrderSent, Backend::Sqlite, Traded::Trend).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn trend_abort_after_a_cancel_is_sent_before_its_answer_is_recorded_recovers() {
        aborts_at(Point::CancelSent, Backend::Sqlite, Traded::Trend).await;
    }
}
