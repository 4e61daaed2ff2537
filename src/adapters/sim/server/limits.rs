//! Request-weight and order-count limits, read from `exchangeInfo.rateLimits`, counted in fixed
//! windows of *server* time (so a frozen replay clock gives repeatable tests).
//!
//! Rules: every `/api` request adds its weight to the current `REQUEST_WEIGHT` window before
//! anything else; above the limit it is answered 429 -1003 with `Retry-After` (seconds to the
//! window's end). A request that arrives while a `Retry-After` is still running gets 418 and an
//! IP ban (2 minutes, doubling per ban, at most 3 days), during which every request is 418.
//! New orders (`POST order`, `cancelReplace`) count against every `ORDERS` window; above a
//! limit → 429 -1015. Limits are global (one local client), not per IP or account.

use super::fail::Fail;
use crate::core::filters::parse::{RateLimit, RateLimitType};
use crate::ports::exchange::codes;
use axum::http::StatusCode;

/// First ban length.
const FIRST_BAN_MS: i64 = 120_000;
/// Longest ban.
const MAX_BAN_MS: i64 = 3 * 86_400_000;

/// One counted window.
#[derive(Debug, Clone)]
struct Window {
    limit: RateLimit,
    start_ms: i64,
    used: u64,
}

impl Window {
    fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            start_ms: i64::MIN,
            used: 0,
        }
    }

    fn len_ms(&self) -> i64 {
        i64::try_from(self.limit.window_secs() * 1000).unwrap_or(i64::MAX)
    }

    /// Moves to the window holding `now_ms` (windows are aligned to multiples of their length).
    fn roll(&mut self, now_ms: i64) {
        let start = now_ms - now_ms.rem_euclid(self.len_ms());
        if start != self.start_ms {
            self.start_ms = start;
            self.used = 0;
        }
    }

    fn retry_after_secs(&self, now_ms: i64) -> u64 {
        let left = (self.start_ms + self.len_ms() - now_ms).max(1);
        u64::try_from((left + 999) / 1000).unwrap_or(1)
    }

    /// `"1m"`, `"10s"`, `"1d"`: the header suffix and message unit.
    fn label(&self) -> String {
        let unit = match self.limit.interval {
            crate::core::filters::parse::RateLimitInterval::Second => "s",
            crate::core::filters::parse::RateLimitInterval::Minute => "m",
            crate::core::filters::parse::RateLimitInterval::Day => "d",
        };
        format!("{}{unit}", self.limit.interval_num)
    }
}

/// The limiter state.
#[derive(Debug, Clone)]
pub struct Limits {
    weight: Vec<Window>,
    orders: Vec<Window>,
    retry_until_ms: Option<i64>,
    banned_until_ms: Option<i64>,
    next_ban_ms: i64,
    stats: LimitStats,
}

/// What the limiter saw since start (for soak tests and the admin API).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitStats {
    /// Highest `REQUEST_WEIGHT` count of any window, including a refused request's weight.
    pub max_used_weight: u64,
    /// The smallest `REQUEST_WEIGHT` limit (0 when none).
    pub weight_limit: u64,
    /// 429 answers from the weight or order limits (not from the `burst_429` fault).
    pub limited: u64,
    /// 418 answers.
    pub banned: u64,
    /// Request weight charged since start (a successful order request's given back, as
    /// Binance charges it nothing): what the client spent, for the weight-per-hour figures.
    pub total_weight: u64,
}

impl Limits {
    /// Limits from `exchangeInfo.rateLimits` (`RAW_REQUESTS` is not enforced).
    pub fn new(rate_limits: &[RateLimit]) -> Self {
        let of = |kind| {
            rate_limits
                .iter()
                .filter(|l| l.kind == kind)
                .map(|l| Window::new(*l))
                .collect()
        };
        Self {
            weight: of(RateLimitType::RequestWeight),
            orders: of(RateLimitType::Orders),
            retry_until_ms: None,
            banned_until_ms: None,
            next_ban_ms: FIRST_BAN_MS,
            stats: LimitStats {
                weight_limit: rate_limits
                    .iter()
                    .filter(|l| l.kind == RateLimitType::RequestWeight)
                    .map(|l| l.limit)
                    .min()
                    .unwrap_or(0),
                ..LimitStats::default()
            },
        }
    }

    /// What the limiter saw so far.
    pub fn stats(&self) -> LimitStats {
        self.stats
    }

    /// Admits a request of `weight` at `now_ms`, or answers 418/429.
    pub fn admit(&mut self, now_ms: i64, weight: u64) -> Result<(), Fail> {
        if let Some(until) = self.banned_until_ms.filter(|&u| now_ms < u) {
            self.stats.banned += 1;
            return Err(banned(until, now_ms));
        }
        if self.retry_until_ms.is_some_and(|u| now_ms < u) {
            self.stats.banned += 1;
            let until = now_ms + self.next_ban_ms;
            self.banned_until_ms = Some(until);
            self.next_ban_ms = (self.next_ban_ms * 2).min(MAX_BAN_MS);
            self.retry_until_ms = None;
            return Err(banned(until, now_ms));
        }
        self.stats.total_weight += weight;
        for w in &mut self.weight {
            w.roll(now_ms);
            w.used += weight;
            self.stats.max_used_weight = self.stats.max_used_weight.max(w.used);
        }
        if let Some(w) = self.weight.iter().find(|w| w.used > w.limit.limit) {
            let secs = w.retry_after_secs(now_ms);
            let msg = format!(
                "Too much request weight used; current limit is {} request weight per {} {}. Please use WebSocket Streams for live updates to avoid polling the API.",
                w.limit.limit,
                w.limit.interval_num,
                interval_word(w)
            );
            return Err(self.too_many(now_ms, secs, codes::TOO_MANY_REQUESTS, msg));
        }
        Ok(())
    }

    /// Gives back `weight` (successful order requests cost nothing since 2026-04).
    pub fn refund(&mut self, weight: u64) {
        self.stats.total_weight = self.stats.total_weight.saturating_sub(weight);
        for w in &mut self.weight {
            w.used = w.used.saturating_sub(weight);
        }
    }

    /// Counts one new order at `now_ms`, or answers 429 -1015.
    pub fn count_order(&mut self, now_ms: i64) -> Result<(), Fail> {
        for w in &mut self.orders {
            w.roll(now_ms);
            w.used += 1;
        }
        if let Some(w) = self.orders.iter().find(|w| w.used > w.limit.limit) {
            let secs = w.retry_after_secs(now_ms);
            let msg = format!(
                "Too many new orders; current limit is {} orders per {} {}.",
                w.limit.limit,
                w.limit.interval_num,
                interval_word(w)
            );
            return Err(self.too_many(now_ms, secs, codes::TOO_MANY_ORDERS, msg));
        }
        Ok(())
    }

    /// A 429 that the client must respect (arms the 418 rule).
    pub fn too_many(&mut self, now_ms: i64, secs: u64, code: i32, msg: String) -> Fail {
        self.stats.limited += 1;
        self.retry_until_ms = Some(now_ms + i64::try_from(secs * 1000).unwrap_or(i64::MAX));
        let mut f = Fail::with_status(StatusCode::TOO_MANY_REQUESTS, code, msg);
        f.retry_after_secs = Some(secs);
        f
    }

    /// `X-MBX-USED-WEIGHT-<window>` headers.
    pub fn weight_headers(&self) -> Vec<(String, String)> {
        headers("x-mbx-used-weight-", &self.weight)
    }

    /// The weight headers at `now_ms` without counting anything (a window that has ended
    /// shows 0): for answers outside the pipeline, such as 404s.
    pub fn weight_headers_at(&self, now_ms: i64) -> Vec<(String, String)> {
        let mut current = self.weight.clone();
        for w in &mut current {
            w.roll(now_ms);
        }
        headers("x-mbx-used-weight-", &current)
    }

    /// `GET /api/v3/rateLimit/order` rows: each `ORDERS` window with its count at `now_ms`.
    pub fn order_counts(&self, now_ms: i64) -> Vec<serde_json::Value> {
        rows("ORDERS", &self.orders, now_ms)
    }

    /// A WebSocket API answer's `rateLimits`: the `REQUEST_WEIGHT` windows, and the `ORDERS`
    /// ones too for a new-order request (as Binance shows them).
    pub fn rate_limits(&self, now_ms: i64, new_order: bool) -> Vec<serde_json::Value> {
        let mut all = if new_order {
            rows("ORDERS", &self.orders, now_ms)
        } else {
            Vec::new()
        };
        all.extend(rows("REQUEST_WEIGHT", &self.weight, now_ms));
        all
    }

    /// `X-MBX-ORDER-COUNT-<window>` headers.
    pub fn order_headers(&self) -> Vec<(String, String)> {
        headers("x-mbx-order-count-", &self.orders)
    }
}

/// Each window as a `rateLimits` row with its count at `now_ms`.
fn rows(kind: &str, windows: &[Window], now_ms: i64) -> Vec<serde_json::Value> {
    windows
        .iter()
        .map(|w| {
            let mut current = w.clone();
            current.roll(now_ms);
            serde_json::json!({
                "rateLimitType": kind,
                "interval": interval_word(w),
                "intervalNum": w.limit.interval_num,
                "limit": w.limit.limit,
                "count": current.used,
            })
        })
        .collect()
}

fn headers(prefix: &str, windows: &[Window]) -> Vec<(String, String)> {
    windows
        .iter()
        .map(|w| (format!("{prefix}{}", w.label()), w.used.to_string()))
        .collect()
}

fn interval_word(w: &Window) -> &'static str {
    match w.limit.interval {
        crate::core::filters::parse::RateLimitInterval::Second => "SECOND",
        crate::core::filters::parse::RateLimitInterval::Minute => "MINUTE",
        crate::core::filters::parse::RateLimitInterval::Day => "DAY",
    }
}

fn banned(until_ms: i64, now_ms: i64) -> Fail {
    let mut f = Fail::with_status(
        StatusCode::IM_A_TEAPOT,
        codes::TOO_MANY_REQUESTS,
        format!("Way too much request weight used; IP banned until {until_ms}. Please use WebSocket Streams for live updates to avoid bans."),
    );
    f.retry_after_secs = Some(u64::try_from((until_ms - now_ms + 999) / 1000).unwrap_or(1));
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::filters::parse::RateLimitInterval;

    fn limits(weight: u64, orders: u64) -> Limits {
        Limits::new(&[
            RateLimit {
                kind: RateLimitType::RequestWeight,
                interval: RateLimitInterval::Minute,
                interval_num: 1,
                limit: weight,
            },
            RateLimit {
                kind: RateLimitType::Orders,
                interval: RateLimitInterval::Second,
                interval_num: 10,
                limit: orders,
            },
        ])
    }

    #[test]
    fn weight_over_limit_is_429_then_418_until_ban_ends() {
        let mut l = limits(10, 100);
        let t = 60_000 * 1000 + 30_000;
        assert!(l.admit(t, 10).is_ok());
        let f = l.admit(t, 1).unwrap_err();
        assert_eq!(
            (f.status.as_u16(), f.code, f.retry_after_secs),
            (429, -1003, Some(30))
        );
        let f = l.admit(t + 1000, 1).unwrap_err();
        assert_eq!(f.status.as_u16(), 418);
        assert_eq!(f.retry_after_secs, Some(120));
        assert_eq!(l.admit(t + 119_000, 1).unwrap_err().status.as_u16(), 418);
        assert!(l.admit(t + 121_000, 1).is_ok(), "ban over, new window");
    }

    #[test]
    fn headers_outside_the_pipeline_show_the_current_window_without_counting() {
        let mut l = limits(100, 10);
        assert!(l.admit(30_000, 7).is_ok());
        let used = |h: Vec<(String, String)>| h[0].1.clone();
        assert_eq!(used(l.weight_headers_at(59_999)), "7");
        assert_eq!(used(l.weight_headers_at(60_000)), "0", "a new minute");
        assert_eq!(
            used(l.weight_headers()),
            "7",
            "nothing was counted or rolled"
        );
    }

    #[test]
    fn orders_over_limit_are_1015_and_window_resets() {
        let mut l = limits(1000, 2);
        assert!(l.count_order(5_000).is_ok());
        assert!(l.count_order(5_000).is_ok());
        let f = l.count_order(5_000).unwrap_err();
        assert_eq!((f.code, f.retry_after_secs), (-1015, Some(5)));
        assert!(l.count_order(10_000).is_ok(), "a new 10 s window");
        assert_eq!(
            l.order_headers(),
            vec![("x-mbx-order-count-10s".into(), "1".into())]
        );
    }
}
