//! Each incremental indicator equals its naive recomputation over the whole history, after
//! every candle of random series and windows.

use super::*;
use crate::core::money::Qty;
use proptest::prelude::*;

/// Candles from `(open, up, down, close-offset)` tuples in hundredths, one minute apart.
fn candles(raw: &[(i64, i64, i64, i64)]) -> Vec<Candle> {
    raw.iter()
        .zip(0i64..)
        .map(|(&(open, up, down, off), i)| {
            let low = open - down;
            let high = open + up;
            let close = (low + off % (high - low + 1)).max(low);
            let p = |n: i64| Price::new(Decimal::new(n, 2));
            Candle {
                open_time_ms: i * 60_000,
                open: p(open),
                high: p(high),
                low: p(low),
                close: p(close),
                volume: Qty::ZERO,
                close_time_ms: i * 60_000 + 59_999,
            }
        })
        .collect()
}

fn mean(xs: &[Decimal]) -> Decimal {
    xs.iter().sum::<Decimal>() / Decimal::from(xs.len() as u64)
}

/// The closes' population standard deviation computed from the deviations, then squared back
/// to compare (the square root is the one inexact step).
fn variance(xs: &[Decimal]) -> Decimal {
    let m = mean(xs);
    xs.iter().map(|x| (x - m) * (x - m)).sum::<Decimal>() / Decimal::from(xs.len() as u64)
}

fn last_n<T: Copy>(xs: &[T], n: usize) -> Option<&[T]> {
    (xs.len() >= n).then(|| &xs[xs.len() - n..])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_indicator_equals_its_naive_recomputation(
        raw in prop::collection::vec((100i64..100_000, 0i64..500, 0i64..500, 0i64..1000), 1..80),
        mean_w in 1u16..12, fast in 1u16..6, slow in 1u16..15, atr_w in 1u16..10, chan in 1u16..10,
    ) {
        let spec = IndicatorSpec {
            mean_window: Some(mean_w),
            moving_averages: Some((fast, slow)),
            atr_window: Some(atr_w),
            channel_window: Some(chan),
            volatility: None,
        };
        let series = candles(&raw);
        let mut ind = Indicators::new(spec);
        prop_assert!(ind.snapshot().is_none());
        for k in 0..series.len() {
            ind.push(&series[k]);
            let s = ind.snapshot().unwrap();
            let seen = &series[..=k];
            let closes: Vec<Decimal> = seen.iter().map(|c| c.close.get()).collect();
            prop_assert_eq!(s.candles, k as u64 + 1);
            prop_assert_eq!(s.close, series[k].close);
            let want_mean = last_n(&closes, mean_w.into()).map(mean);
            prop_assert_eq!(s.mean.map(Price::get), want_mean);
            match (s.std_dev, last_n(&closes, mean_w.into())) {
                (Some(sd), Some(w)) => {
                    let err = (sd * sd - variance(w)).abs();
                    prop_assert!(err < Decimal::new(1, 12), "sd {} var {}", sd, variance(w));
                }
                (None, None) => {}
                (got, _) => prop_assert!(false, "std_dev {:?} at {}", got, k),
            }
            prop_assert_eq!(s.fast_ma.map(Price::get), last_n(&closes, fast.into()).map(mean));
            prop_assert_eq!(s.slow_ma.map(Price::get), last_n(&closes, slow.into()).map(mean));
            let trs: Vec<Decimal> = seen
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let prev = i.checked_sub(1).map(|j| seen[j].close.get());
                    let hi = prev.map_or(c.high.get(), |p| c.high.get().max(p));
                    let lo = prev.map_or(c.low.get(), |p| c.low.get().min(p));
                    hi - lo
                })
                .collect();
            prop_assert_eq!(s.atr, last_n(&trs, atr_w.into()).map(mean));
            let highs: Vec<Decimal> = seen.iter().map(|c| c.high.get()).collect();
            let lows: Vec<Decimal> = seen.iter().map(|c| c.low.get()).collect();
            let max = |w: &[Decimal]| w.iter().copied().max();
            let min = |w: &[Decimal]| w.iter().copied().min();
            prop_assert_eq!(s.channel_high.map(Price::get), last_n(&highs, chan.into()).and_then(max));
            prop_assert_eq!(s.channel_low.map(Price::get), last_n(&lows, chan.into()).and_then(min));
            let before = &highs[..k];
            prop_assert_eq!(s.prior_high.map(Price::get), last_n(before, chan.into()).and_then(max));
            let warm = k as u64 + 1 >= ind.warmup_candles();
            prop_assert_eq!(warm, s.mean.is_some() && s.slow_ma.is_some() && s.fast_ma.is_some()
                && s.atr.is_some() && s.prior_high.is_some());
            // The one warm-up rule: plans see nothing until every value is known.
            prop_assert_eq!(ind.warm_snapshot(), warm.then_some(s));
        }
    }
}

#[test]
fn nothing_is_computed_that_was_not_asked() {
    let mut ind = Indicators::new(IndicatorSpec {
        mean_window: Some(2),
        ..IndicatorSpec::default()
    });
    let c = candles(&[(100, 5, 5, 3), (100, 5, 5, 7), (100, 5, 5, 9)]);
    for x in &c {
        ind.push(x);
    }
    let s = ind.snapshot().unwrap();
    assert!(s.mean.is_some() && s.atr.is_none() && s.channel_high.is_none());
    assert!(s.fast_ma.is_none() && s.prior_high.is_none());
    assert_eq!(ind.warmup_candles(), 2);
    assert_eq!(
        Indicators::new(IndicatorSpec::default()).warmup_candles(),
        0
    );
}

#[test]
fn the_z_score_measures_the_close_in_standard_deviations() {
    // Closes 1, 3: mean 2, sd 1; the close 3 is one deviation above.
    let mut ind = Indicators::new(IndicatorSpec {
        mean_window: Some(2),
        ..IndicatorSpec::default()
    });
    for c in candles(&[(100, 0, 0, 0), (300, 0, 0, 0)]) {
        ind.push(&c);
    }
    let s = ind.snapshot().unwrap();
    assert_eq!(s.mean, Some(Price::new(Decimal::TWO)));
    assert_eq!(s.z_score(), Some(Decimal::ONE));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The relative volatility equals its naive recomputation: ATR over the newest close, or
    /// the population standard deviation of the close-to-close returns.
    #[test]
    fn the_volatility_equals_its_naive_recomputation(
        raw in prop::collection::vec((100i64..100_000, 0i64..500, 0i64..500, 0i64..1000), 1..60),
        w in 1u16..10, stdev in any::<bool>(),
    ) {
        let measure = if stdev { VolMeasure::Stdev } else { VolMeasure::Atr };
        // Positive prices only: the measures are relative to them.
        let raw: Vec<_> = raw.into_iter().map(|(o, u, d, c)| (o + d + 1, u, d, c)).collect();
        let series = candles(&raw);
        let mut ind = Indicators::new(IndicatorSpec {
            volatility: Some((measure, w)),
            ..IndicatorSpec::default()
        });
        for k in 0..series.len() {
            ind.push(&series[k]);
            let got = ind.snapshot().unwrap().volatility;
            let seen = &series[..=k];
            let warm = k as u64 + 1 >= ind.warmup_candles();
            prop_assert_eq!(got.is_some(), warm);
            prop_assert_eq!(ind.warm_snapshot().is_some(), warm);
            let Some(got) = got else { continue };
            match measure {
                VolMeasure::Atr => {
                    let trs: Vec<Decimal> = seen.windows(2).map(|p| {
                        p[1].high.get().max(p[0].close.get()) - p[1].low.get().min(p[0].close.get())
                    }).collect();
                    let first = seen[0].high.get() - seen[0].low.get();
                    let all: Vec<Decimal> = std::iter::once(first).chain(trs).collect();
                    let want = mean(last_n(&all, w.into()).unwrap()) / seen[k].close.get();
                    prop_assert_eq!(got, want);
                }
                VolMeasure::Stdev => {
                    let rets: Vec<Decimal> = seen.windows(2)
                        .map(|p| (p[1].close.get() - p[0].close.get()) / p[0].close.get())
                        .collect();
                    let var = variance(last_n(&rets, w.into()).unwrap());
                    prop_assert!((got * got - var).abs() < Decimal::new(1, 12), "{} {}", got, var);
                }
            }
        }
    }
}
