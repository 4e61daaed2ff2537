//! The feed's rules against a scripted REST source: what the exchange has closed so far.

use super::*;
use crate::core::money::{Price, Qty};
use std::sync::Mutex;

const T0: i64 = 1_700_000_040_000;

fn minute(k: i64) -> Candle {
    let p = Price::new((100 + k).into());
    Candle {
        open_time_ms: T0 + k * MINUTE_MS,
        open: p,
        high: p,
        low: p,
        close: p,
        volume: Qty::new(1.into()),
        close_time_ms: T0 + k * MINUTE_MS + MINUTE_MS - 1,
    }
}

/// The exchange's closed candles (minutes `0..closed`, less `missing`) and the reads made.
struct Script {
    closed: Mutex<i64>,
    missing: Vec<i64>,
    reads: Mutex<Vec<(Option<i64>, u16)>>,
}

impl Script {
    fn new(closed: i64) -> Self {
        Self {
            closed: Mutex::new(closed),
            missing: Vec::new(),
            reads: Mutex::new(Vec::new()),
        }
    }
    fn close_up_to(&self, n: i64) {
        *self.closed.lock().unwrap() = n;
    }
    fn reads(&self) -> usize {
        self.reads.lock().unwrap().len()
    }
}

impl CandleSource for Script {
    async fn closed_candles(
        &self,
        _: &Symbol,
        from_open_ms: Option<i64>,
        limit: u16,
    ) -> Result<Vec<Candle>, ExchangeError> {
        self.reads.lock().unwrap().push((from_open_ms, limit));
        let all: Vec<Candle> = (0..*self.closed.lock().unwrap())
            .filter(|k| !self.missing.contains(k))
            .map(minute)
            .collect();
        let limit = usize::from(limit);
        Ok(match from_open_ms {
            Some(from) => all
                .into_iter()
                .filter(|c| c.open_time_ms >= from)
                .take(limit)
                .collect(),
            None => all[all.len().saturating_sub(limit)..].to_vec(),
        })
    }
}

fn feed(capacity: usize) -> CandleFeed {
    CandleFeed::new(Symbol::parse("FILUSDT").unwrap(), capacity)
}

fn opens(candles: &[Candle]) -> Vec<i64> {
    candles
        .iter()
        .map(|c| (c.open_time_ms - T0) / MINUTE_MS)
        .collect()
}

#[tokio::test]
async fn start_fills_the_most_recent_candles_over_several_reads() {
    let rest = Script::new(3000);
    let mut f = feed(1500);
    let fresh = f.start(&rest).await.unwrap();
    assert!(fresh.reloaded);
    assert_eq!(opens(&fresh.candles), (1500..3000).collect::<Vec<_>>());
    assert_eq!(opens(f.window()), (1500..3000).collect::<Vec<_>>());
    assert_eq!(rest.reads(), 2, "1000 recent, then the 500 before them");
}

#[tokio::test]
async fn a_streamed_candle_after_the_last_is_appended_without_rest() {
    let rest = Script::new(10);
    let mut f = feed(5);
    f.start(&rest).await.unwrap();
    let fresh = f.on_closed(&rest, minute(10)).await.unwrap();
    assert_eq!(
        fresh,
        Fresh {
            reloaded: false,
            candles: vec![minute(10)]
        }
    );
    assert_eq!(opens(f.window()), [6, 7, 8, 9, 10]);
    assert_eq!(rest.reads(), 1, "the start only");
}

#[tokio::test]
async fn a_duplicate_kline_is_ignored() {
    let rest = Script::new(10);
    let mut f = feed(5);
    f.start(&rest).await.unwrap();
    let mut changed = minute(9);
    changed.close = Price::new(1.into());
    assert_eq!(f.offer(&changed), Offer::Duplicate);
    assert_eq!(f.on_closed(&rest, changed).await.unwrap(), Fresh::default());
    assert_eq!(f.window().last(), Some(&minute(9)), "the first one stays");
    assert_eq!(rest.reads(), 1);
}

#[tokio::test]
async fn an_out_of_order_kline_is_refused() {
    let rest = Script::new(10);
    let mut f = feed(5);
    f.start(&rest).await.unwrap();
    // Held already (a REST heal overtook the stream): a duplicate, not worth a warning.
    assert_eq!(f.offer(&minute(7)), Offer::Duplicate);
    assert_eq!(f.offer(&minute(3)), Offer::OutOfOrder);
    for stale in [minute(7), minute(3)] {
        assert_eq!(f.on_closed(&rest, stale).await.unwrap(), Fresh::default());
    }
    assert_eq!(opens(f.window()), [5, 6, 7, 8, 9]);
    assert_eq!(rest.reads(), 1, "no REST read for a stale candle");
}

#[tokio::test]
async fn a_gap_in_the_stream_is_healed_from_rest_in_order() {
    let rest = Script::new(10);
    let mut f = feed(20);
    f.start(&rest).await.unwrap();
    rest.close_up_to(15);
    let fresh = f.on_closed(&rest, minute(14)).await.unwrap();
    assert!(!fresh.reloaded);
    assert_eq!(opens(&fresh.candles), [10, 11, 12, 13, 14]);
    assert_eq!(opens(f.window()), (0..15).collect::<Vec<_>>());
    let reads = rest.reads.lock().unwrap().clone();
    assert_eq!(
        reads[1].0,
        Some(minute(10).open_time_ms),
        "from the last known + 1 min"
    );
}

#[tokio::test]
async fn a_streamed_candle_rest_cannot_join_yet_waits_for_the_next_read() {
    let rest = Script::new(10);
    let mut f = feed(20);
    f.start(&rest).await.unwrap();
    rest.close_up_to(12); // REST lags: it has 10 and 11, the stream already closed 14.
    let fresh = f.on_closed(&rest, minute(14)).await.unwrap();
    assert_eq!(opens(&fresh.candles), [10, 11]);
    assert_eq!(
        f.last_open_ms(),
        Some(minute(11).open_time_ms),
        "no hole left"
    );
    assert!(f.is_stale());
    rest.close_up_to(15);
    let later = f.poll(&rest, minute(14).close_time_ms + 1).await.unwrap();
    assert_eq!(opens(&later.candles), [12, 13, 14]);
}

#[tokio::test]
async fn a_stream_gap_makes_the_next_poll_read_from_the_last_known_candle() {
    let rest = Script::new(10);
    let mut f = feed(20);
    f.start(&rest).await.unwrap();
    let now = minute(9).close_time_ms + 1;
    assert_eq!(f.poll(&rest, now).await.unwrap(), Fresh::default());
    assert_eq!(rest.reads(), 1, "nothing new has closed: no read");
    rest.close_up_to(11);
    f.mark_gap();
    let fresh = f.poll(&rest, now).await.unwrap();
    assert_eq!(opens(&fresh.candles), [10]);
    assert!(!f.is_stale());
}

#[tokio::test]
async fn polling_reads_once_a_new_minute_has_closed_and_once_per_minute() {
    let rest = Script::new(10);
    let mut f = feed(20);
    f.start(&rest).await.unwrap();
    // Minute 10 closes at its close time + 1 ms; before that nothing is read.
    f.poll(&rest, minute(10).close_time_ms).await.unwrap();
    assert_eq!(rest.reads(), 1);
    // Closed by the clock, but the exchange lags: one read, then none until the next minute.
    let now = minute(10).close_time_ms + 1;
    assert!(f.poll(&rest, now).await.unwrap().candles.is_empty());
    assert!(f
        .poll(&rest, now + 30_000)
        .await
        .unwrap()
        .candles
        .is_empty());
    assert_eq!(rest.reads(), 2);
    rest.close_up_to(12);
    let fresh = f.poll(&rest, minute(11).close_time_ms + 1).await.unwrap();
    assert_eq!(opens(&fresh.candles), [10, 11]);
    assert_eq!(rest.reads(), 3);
}

#[tokio::test]
async fn a_restart_refills_the_same_window() {
    let rest = Script::new(30);
    let mut running = feed(10);
    running.start(&rest).await.unwrap();
    rest.close_up_to(33);
    for k in 30..33 {
        running.on_closed(&rest, minute(k)).await.unwrap();
    }
    let mut restarted = feed(10);
    let fresh = restarted
        .poll(&rest, minute(32).close_time_ms + 1)
        .await
        .unwrap();
    assert!(fresh.reloaded);
    assert_eq!(restarted.window(), running.window());
}

#[tokio::test]
async fn an_outage_longer_than_the_window_reloads_it() {
    let rest = Script::new(10);
    let mut f = feed(5);
    f.start(&rest).await.unwrap();
    rest.close_up_to(2500);
    f.mark_gap();
    let fresh = f.poll(&rest, minute(2499).close_time_ms + 1).await.unwrap();
    assert!(fresh.reloaded, "the indicators start over");
    assert_eq!(opens(&fresh.candles), [2495, 2496, 2497, 2498, 2499]);
    assert_eq!(opens(f.window()), [2495, 2496, 2497, 2498, 2499]);
}

#[tokio::test]
async fn a_hole_the_exchange_has_is_kept_and_the_window_stays_bounded() {
    let mut rest = Script::new(10);
    rest.missing = vec![7];
    let mut f = feed(4);
    f.start(&rest).await.unwrap();
    assert_eq!(
        opens(f.window()),
        [5, 6, 8, 9],
        "REST is the truth: 7 never existed"
    );
    for k in 10..40 {
        f.on_closed(&rest, minute(k)).await.unwrap();
    }
    assert_eq!(opens(f.window()), [36, 37, 38, 39]);
    assert!(f.candles.len() < 8, "trimmed as it grows");
}

#[tokio::test]
async fn klines_of_other_symbols_add_nothing() {
    let rest = Script::new(10);
    let mut f = feed(5);
    f.start(&rest).await.unwrap();
    let other = PriceUpdate::KlineClosed {
        symbol: Symbol::parse("NEARUSDT").unwrap(),
        candle: minute(10),
    };
    assert_eq!(f.on_price(&rest, &other).await.unwrap(), Fresh::default());
    let ours = PriceUpdate::KlineClosed {
        symbol: Symbol::parse("FILUSDT").unwrap(),
        candle: minute(10),
    };
    assert_eq!(
        f.on_price(&rest, &ours).await.unwrap().candles,
        [minute(10)]
    );
}

#[tokio::test]
async fn while_the_stream_is_up_the_poll_leaves_the_close_to_it() {
    let rest = Script::new(10);
    let mut f = feed(20);
    f.start(&rest).await.unwrap();
    f.set_streaming(true);
    rest.close_up_to(11);
    let closed = minute(10).close_time_ms + 1;
    f.poll(&rest, closed).await.unwrap();
    assert_eq!(rest.reads(), 1, "the stream's kline is not late yet");
    let late = f.poll(&rest, closed + STREAM_GRACE_MS).await.unwrap();
    assert_eq!(opens(&late.candles), [10], "late: read over REST");
}
