//! The account's equity over time as the limits need it: its peak, its value at 00:00 UTC and
//! 24 h ago (the same rules as the portfolio backtest: the day starts with the last equity
//! seen before midnight; "24 h ago" is the latest value at least 24 h old, or the earliest).

use crate::core::money::Quote;
use crate::core::risk::utc_day_start_ms;
use std::collections::VecDeque;

const DAY_MS: i64 = 86_400_000;

/// Equity seen by the loop.
#[derive(Debug)]
pub(super) struct EquityHistory {
    pub(super) peak: Quote,
    day: i64,
    day_start: Quote,
    last: Quote,
    window: VecDeque<(i64, Quote)>,
}

/// What the limits read from the history at one moment.
#[derive(Debug, Clone, Copy)]
pub(super) struct Seen {
    pub(super) peak: Quote,
    pub(super) day_start: Quote,
    pub(super) ago_24h: Quote,
}

impl EquityHistory {
    /// A history starting at `initial` with a `peak` at least that high (kept in the store).
    pub(super) fn new(initial: Quote, peak: Quote) -> Self {
        Self {
            peak: peak.max(initial),
            day: i64::MIN,
            day_start: initial,
            last: initial,
            window: VecDeque::new(),
        }
    }

    /// Books `equity` at `now_ms` and returns what the limits compare it with.
    pub(super) fn observe(&mut self, now_ms: i64, equity: Quote) -> Seen {
        let day = utc_day_start_ms(now_ms);
        if day != self.day {
            self.day = day;
            self.day_start = self.last;
        }
        self.peak = self.peak.max(equity);
        while self.window.len() > 1 && self.window[1].0 <= now_ms - DAY_MS {
            self.window.pop_front();
        }
        let ago_24h = self.window.front().map_or(self.last, |(_, e)| *e);
        self.window.push_back((now_ms, equity));
        self.last = equity;
        Seen {
            peak: self.peak,
            day_start: self.day_start,
            ago_24h,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_day_starts_with_the_last_equity_before_midnight_and_the_peak_holds() {
        let mut h = EquityHistory::new(Quote::new(dec!(100)), Quote::new(dec!(100)));
        let day = 20_000 * DAY_MS;
        h.observe(day - 60_000, Quote::new(dec!(120)));
        let seen = h.observe(day + 60_000, Quote::new(dec!(90)));
        assert_eq!(seen.day_start, Quote::new(dec!(120)));
        assert_eq!(seen.peak, Quote::new(dec!(120)));
        assert_eq!(
            seen.ago_24h,
            Quote::new(dec!(120)),
            "earliest while younger than 24 h"
        );
        let seen = h.observe(day + DAY_MS + 60_000, Quote::new(dec!(95)));
        assert_eq!(
            seen.ago_24h,
            Quote::new(dec!(90)),
            "the latest at least 24 h old"
        );
    }
}
