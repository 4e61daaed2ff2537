//! The public market of a replayed symbol, derived from its candles by the fill model's path
//! (`.spec/fill-model.md` §3): each candle is four public trades — the open, the extreme
//! nearer the open, the other extreme, the close — each a quarter of the candle's volume,
//! timestamped like the fills on that leg. Trade ids are `4k+1 … 4k+4` for the k-th candle of
//! the series (history included), so ids are stable and increasing. A trade below the previous
//! one was a sell hitting a bid (`isBuyerMaker: true`). Tickers, `trades`, `aggTrades` and the
//! klines' quote volume, trade count and taker volumes all come from this one tape. Our own
//! fills are not on it: the simulated account is a price taker that never moves the market.

use crate::adapters::klines::Candle;
use crate::adapters::sim::candle::path;
use rust_decimal::Decimal;

/// One synthetic public trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicTrade {
    /// Trade id (`4k + j + 1`).
    pub id: u64,
    /// Price.
    pub price: Decimal,
    /// Base quantity.
    pub qty: Decimal,
    /// Time, Unix ms.
    pub time_ms: i64,
    /// The aggressor sold (price below the previous trade).
    pub buyer_maker: bool,
}

/// Trades per candle.
pub const PER_CANDLE: u64 = 4;

/// The four trades of candle `k` of `seen` (ids `4k+1 ..= 4k+4`).
pub fn trades_of(seen: &[Candle], k: usize) -> [PublicTrade; 4] {
    let c = &seen[k];
    let pts = path(c);
    let quarter = (c.volume.get() / Decimal::from(4)).trunc_with_scale(8);
    let span = (c.close_time_ms - c.open_time_ms).max(0);
    let mut prev = if k == 0 {
        c.open.get()
    } else {
        seen[k - 1].close.get()
    };
    let base = k as u64 * PER_CANDLE;
    std::array::from_fn(|j| {
        let price = pts[j].get();
        let qty = if j == 3 {
            c.volume.get() - quarter * Decimal::from(3)
        } else {
            quarter
        };
        let t = PublicTrade {
            id: base + j as u64 + 1,
            price,
            qty,
            time_ms: c.open_time_ms + span * j as i64 / 3,
            buyer_maker: price < prev,
        };
        prev = price;
        t
    })
}

/// The trade with id `id`, if it exists.
pub fn trade_by_id(seen: &[Candle], id: u64) -> Option<PublicTrade> {
    let k = usize::try_from(id.checked_sub(1)? / PER_CANDLE).ok()?;
    (k < seen.len()).then(|| trades_of(seen, k)[((id - 1) % PER_CANDLE) as usize])
}

/// Up to `limit` trades from id `from` on.
pub fn trades_from(seen: &[Candle], from: u64, limit: usize) -> Vec<PublicTrade> {
    (from.max(1)..)
        .map_while(|id| trade_by_id(seen, id))
        .take(limit)
        .collect()
}

/// The most recent `limit` trades, oldest first.
pub fn recent_trades(seen: &[Candle], limit: usize) -> Vec<PublicTrade> {
    let last = seen.len() as u64 * PER_CANDLE;
    let from = last.saturating_sub(limit as u64) + 1;
    trades_from(seen, from, limit)
}

/// Totals over a run of candles: what tickers and klines report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Base volume.
    pub volume: Decimal,
    /// Σ price × qty.
    pub quote_volume: Decimal,
    /// Base volume bought by takers.
    pub taker_buy_volume: Decimal,
    /// Quote volume bought by takers.
    pub taker_buy_quote: Decimal,
    /// Trades.
    pub count: u64,
}

/// Totals of candles `range` of `seen`.
pub fn totals(seen: &[Candle], range: std::ops::Range<usize>) -> Totals {
    let mut t = Totals::default();
    for k in range {
        for tr in trades_of(seen, k) {
            let quote = tr.price * tr.qty;
            t.volume += tr.qty;
            t.quote_volume += quote;
            if !tr.buyer_maker {
                t.taker_buy_volume += tr.qty;
                t.taker_buy_quote += quote;
            }
            t.count += 1;
        }
    }
    t
}

/// Kline intervals: fixed lengths in ms, or calendar months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// A fixed length, aligned to the Unix epoch plus `offset_ms` (weeks start on Monday).
    Fixed { len_ms: i64, offset_ms: i64 },
    /// `1M`: calendar months in the time zone `tz_ms` ahead of UTC.
    Month { tz_ms: i64 },
}

const MIN: i64 = 60_000;
const DAY: i64 = 86_400_000;

impl Interval {
    /// Binance's interval names; `1s` is not offered (the data has 1-minute resolution).
    pub fn parse(text: &str) -> Option<Self> {
        let fixed = |len_ms| {
            Some(Self::Fixed {
                len_ms,
                offset_ms: 0,
            })
        };
        match text {
            "1m" => fixed(MIN),
            "3m" => fixed(3 * MIN),
            "5m" => fixed(5 * MIN),
            "15m" => fixed(15 * MIN),
            "30m" => fixed(30 * MIN),
            "1h" => fixed(60 * MIN),
            "2h" => fixed(120 * MIN),
            "4h" => fixed(240 * MIN),
            "6h" => fixed(360 * MIN),
            "8h" => fixed(480 * MIN),
            "12h" => fixed(720 * MIN),
            "1d" => fixed(DAY),
            "3d" => fixed(3 * DAY),
            // 1970-01-05 was a Monday.
            "1w" => Some(Self::Fixed {
                len_ms: 7 * DAY,
                offset_ms: 4 * DAY,
            }),
            "1M" => Some(Self::Month { tz_ms: 0 }),
            _ => None,
        }
    }

    /// This interval read in a time zone `tz_ms` ahead of UTC (`timeZone`): buckets start at
    /// that zone's midnight (and Monday, month start); open and close times stay UTC.
    pub fn in_time_zone(self, tz_ms: i64) -> Self {
        match self {
            Self::Fixed { len_ms, offset_ms } => Self::Fixed {
                len_ms,
                offset_ms: offset_ms - tz_ms,
            },
            Self::Month { tz_ms: old } => Self::Month { tz_ms: old + tz_ms },
        }
    }

    /// Open and close time of the interval holding `t`.
    pub fn bucket(self, t: i64) -> (i64, i64) {
        match self {
            Self::Fixed { len_ms, offset_ms } => {
                let open = t - (t - offset_ms).rem_euclid(len_ms);
                (open, open + len_ms - 1)
            }
            Self::Month { tz_ms } => {
                let (y, m, _) = civil_from_days((t + tz_ms).div_euclid(DAY));
                let open = days_from_civil(y, m, 1) * DAY - tz_ms;
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                (open, days_from_civil(ny, nm, 1) * DAY - tz_ms - 1)
            }
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// One aggregated kline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kline {
    /// Interval open time.
    pub open_ms: i64,
    /// Interval close time (in the future for the interval in progress, as on Binance).
    pub close_ms: i64,
    /// First candle's open.
    pub open: Decimal,
    /// Highest high.
    pub high: Decimal,
    /// Lowest low.
    pub low: Decimal,
    /// Last candle's close.
    pub close: Decimal,
    /// Tape totals.
    pub totals: Totals,
}

/// Klines of `interval` over `seen`: intervals opening in `[start, end]`; the first `limit`
/// from `start` when given, else the last `limit` up to `end`.
pub fn klines(
    seen: &[Candle],
    interval: Interval,
    start: Option<i64>,
    end: Option<i64>,
    limit: usize,
) -> Vec<Kline> {
    let open_of = |c: &Candle| interval.bucket(c.open_time_ms).0;
    let lo = start.map_or(0, |s| seen.partition_point(|c| open_of(c) < s));
    let hi = end.map_or(seen.len(), |e| seen.partition_point(|c| open_of(c) <= e));
    // Runs of candles sharing an interval, walked forward from `lo` or backward from `hi`.
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    let forward = start.is_some();
    let order: Box<dyn Iterator<Item = usize>> = if forward {
        Box::new(lo..hi.max(lo))
    } else {
        Box::new((lo..hi.max(lo)).rev())
    };
    for k in order {
        if let Some(r) = runs.last_mut() {
            if open_of(&seen[r.start]) == open_of(&seen[k]) {
                if forward {
                    r.end = k + 1;
                } else {
                    r.start = k;
                }
                continue;
            }
        }
        if runs.len() == limit {
            break;
        }
        runs.push(k..k + 1);
    }
    if !forward {
        runs.reverse();
    }
    runs.into_iter()
        .map(|r| {
            let (open_ms, close_ms) = interval.bucket(seen[r.start].open_time_ms);
            let cs = &seen[r.clone()];
            Kline {
                open_ms,
                close_ms,
                open: cs[0].open.get(),
                high: cs.iter().map(|c| c.high.get()).max().unwrap_or_default(),
                low: cs.iter().map(|c| c.low.get()).min().unwrap_or_default(),
                close: cs[cs.len() - 1].close.get(),
                totals: totals(seen, r),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::money::{Price, Qty};

    fn candle(open_ms: i64, o: i64, h: i64, l: i64, c: i64, v: i64) -> Candle {
        let p = |x: i64| Price::new(x.into());
        Candle {
            open_time_ms: open_ms,
            open: p(o),
            high: p(h),
            low: p(l),
            close: p(c),
            volume: Qty::new(v.into()),
            close_time_ms: open_ms + MIN - 1,
        }
    }

    #[test]
    fn a_candle_is_four_trades_along_the_fill_path_with_its_whole_volume() {
        // open 10, low 8 nearer than high 13: 10 → 8 → 13 → 11.
        let seen = [candle(0, 10, 13, 8, 11, 10), candle(MIN, 11, 11, 11, 11, 1)];
        let t = trades_of(&seen, 0);
        let prices: Vec<Decimal> = t.iter().map(|t| t.price).collect();
        assert_eq!(prices, [10, 8, 13, 11].map(Decimal::from));
        assert_eq!(t.iter().map(|t| t.qty).sum::<Decimal>(), Decimal::from(10));
        assert_eq!(t.map(|t| t.buyer_maker), [false, true, false, true]);
        assert_eq!(t.map(|t| t.id), [1, 2, 3, 4]);
        assert_eq!(t[3].time_ms, MIN - 1);
        assert_eq!(trade_by_id(&seen, 6).unwrap().time_ms, MIN + (MIN - 1) / 3);
        assert_eq!(trade_by_id(&seen, 9), None);
        assert_eq!(
            recent_trades(&seen, 3)
                .iter()
                .map(|t| t.id)
                .collect::<Vec<_>>(),
            [6, 7, 8]
        );
    }

    #[test]
    fn klines_aggregate_minutes_into_aligned_intervals() {
        let seen: Vec<Candle> = (0..10)
            .map(|k| candle(k * MIN, 10 + k, 20 + k, 5, 11 + k, 1))
            .collect();
        let i5 = Interval::parse("5m").unwrap();
        let all = klines(&seen, i5, None, None, 500);
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[0].open, all[0].high, all[0].close),
            (10.into(), 24.into(), 15.into())
        );
        assert_eq!((all[1].open_ms, all[1].close_ms), (5 * MIN, 10 * MIN - 1));
        assert_eq!(all[1].totals.count, 20);
        let last = klines(&seen, i5, None, None, 1);
        assert_eq!(last, vec![all[1]]);
        let first = klines(&seen, i5, Some(0), None, 1);
        assert_eq!(first, vec![all[0]]);
        let one_m = klines(
            &seen,
            Interval::parse("1m").unwrap(),
            Some(3 * MIN),
            Some(4 * MIN),
            500,
        );
        assert_eq!(one_m.len(), 2);
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        // 2024-01-03 (a Wednesday) 12:00 UTC.
        let t = 1_704_283_200_000;
        let (open, _) = Interval::parse("1w").unwrap().bucket(t);
        assert_eq!(open, 1_704_067_200_000, "Monday 2024-01-01");
        let (open, close) = Interval::parse("1M").unwrap().bucket(1_709_208_000_000); // 2024-02-29 12:00
        assert_eq!((open, close + 1), (1_706_745_600_000, 1_709_251_200_000));
        assert_eq!(Interval::parse("1s"), None);
    }

    #[test]
    fn a_time_zone_moves_day_week_and_month_starts_to_its_midnight() {
        const H: i64 = 3_600_000;
        // 2024-02-29 20:00 UTC is 2024-03-01 04:00 at UTC+8.
        let t = 1_709_208_000_000 + 8 * H;
        let day = Interval::parse("1d").unwrap().in_time_zone(8 * H);
        let (open, close) = day.bucket(t);
        assert_eq!(open, 1_709_251_200_000 - 8 * H, "2024-03-01 00:00 at UTC+8");
        assert_eq!(close + 1 - open, DAY);
        let month = Interval::parse("1M").unwrap().in_time_zone(8 * H);
        assert_eq!(
            month.bucket(t).0,
            1_709_251_200_000 - 8 * H,
            "March at UTC+8"
        );
        assert_eq!(
            Interval::parse("1M").unwrap().bucket(t).0,
            1_706_745_600_000,
            "still February in UTC"
        );
        let week = Interval::parse("1w").unwrap().in_time_zone(-H);
        // Monday 2024-01-01 00:00 at UTC−1 is 01:00 UTC.
        assert_eq!(week.bucket(1_704_283_200_000).0, 1_704_067_200_000 + H);
        let minute = Interval::parse("1m").unwrap();
        assert_eq!(
            minute.in_time_zone(5 * H + 45 * MIN).bucket(t),
            minute.bucket(t),
            "whole-minute zones leave minutes alone"
        );
    }
}
