//! The local request budget that keeps the account from being rate limited or banned.
//!
//! Binance counts request weight per IP and new orders per account in *fixed* windows aligned
//! to the interval (the minute, the 10 seconds, the UTC day) and reports the running totals in
//! `X-MBX-USED-WEIGHT-1M` and `X-MBX-ORDER-COUNT-10S` / `-1D`. So the limiter keeps one counter
//! per `rateLimits` entry in the same fixed windows (not a sliding token bucket: its refill
//! would drift from Binance's reset instants and the header values could not be merged).
//!
//! Policy (pure; every method takes `now_ms`, the estimated *server* time):
//! 1. a normal request is granted only while every window stays within `safety_pct` % of its
//!    limit (default 90 %); an emergency request may use the rest, never beyond the limit;
//! 2. after a 429 no normal request is granted until `Retry-After` has passed; after a 418 ban
//!    (or "-1003 … banned until") no request at all is granted until then; a ban whose length
//!    Binance did not state lasts 2 minutes, doubled for each further one within a day of the
//!    previous one's end, up to 3 days (Binance: bans "scale from 2 minutes to 3 days" for
//!    repeat offenders; [`RateLimiter::unstated_ban_ms`]);
//! 3. response headers raise the local count to the server's when larger (never lower it:
//!    requests still in flight are not in the header yet);
//! 4. a successful order request gives its weight back ([`RateLimiter::refund_weight`]):
//!    Binance charges it 0, but it is charged 1 before sending since the outcome is unknown;
//! 5. limits come from `exchangeInfo.rateLimits` ([`RateLimiter::set_limits`]); until read, the
//!    configured defaults apply.
//!
//! Invariant: the sum of costs granted inside one window never exceeds that window's limit.

mod backoff;

pub use backoff::Backoff;

use super::error::{MAX_BAN_MS, MIN_BAN_MS};
use super::wire::RateLimitWire;
use std::collections::BTreeMap;

/// Which Binance limiter a window belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LimitKind {
    /// `REQUEST_WEIGHT`, per IP.
    RequestWeight,
    /// `ORDERS`, per account (new orders).
    Orders,
    /// `RAW_REQUESTS`, per IP (every request counts 1).
    RawRequests,
}

/// One limit: so much per window of `interval_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSpec {
    /// Which limiter.
    pub kind: LimitKind,
    /// Window length, ms.
    pub interval_ms: i64,
    /// Allowed per window.
    pub limit: u64,
}

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

impl LimitSpec {
    /// Reads one `exchangeInfo.rateLimits` entry; `None` when incomplete or unknown.
    pub fn from_wire(w: &RateLimitWire) -> Option<Self> {
        let kind = match w.rate_limit_type.as_deref()? {
            "REQUEST_WEIGHT" => LimitKind::RequestWeight,
            "ORDERS" => LimitKind::Orders,
            "RAW_REQUESTS" => LimitKind::RawRequests,
            _ => return None,
        };
        let unit = match w.interval.as_deref()? {
            "SECOND" => SECOND,
            "MINUTE" => MINUTE,
            "HOUR" => HOUR,
            "DAY" => DAY,
            _ => return None,
        };
        let num = i64::try_from(w.interval_num?).ok().filter(|n| *n > 0)?;
        Some(Self {
            kind,
            interval_ms: unit.checked_mul(num)?,
            limit: w.limit?,
        })
    }

    /// Defaults used until `exchangeInfo` is read: below Binance's published production
    /// limits (6000 weight/min, 100 orders/10 s, 200 000 orders/day, 61 000 raw/5 min).
    pub fn defaults() -> Vec<Self> {
        vec![
            Self {
                kind: LimitKind::RequestWeight,
                interval_ms: MINUTE,
                limit: 1_200,
            },
            Self {
                kind: LimitKind::Orders,
                interval_ms: 10 * SECOND,
                limit: 50,
            },
            Self {
                kind: LimitKind::Orders,
                interval_ms: DAY,
                limit: 160_000,
            },
            Self {
                kind: LimitKind::RawRequests,
                interval_ms: 5 * MINUTE,
                limit: 6_100,
            },
        ]
    }
}

/// What one request costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    /// Request weight.
    pub weight: u32,
    /// ORDERS units (1 for a placement).
    pub orders: u32,
}

/// Whether a request may use the safety reserve and pass a 429 quiet period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Everything routine.
    Normal,
    /// Protective actions (emergency exit, cancel-all): still never past a limit or a ban.
    Emergency,
}

/// Why a request may not be sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// A window is full until `until_ms`.
    Window {
        /// Which limiter.
        kind: LimitKind,
        /// When the window resets (server ms).
        until_ms: i64,
    },
    /// Binance asked us to stay quiet (429) or banned the IP (418) until `until_ms`.
    RetryAfter {
        /// End of the quiet period (server ms).
        until_ms: i64,
        /// True after a 418 ban.
        banned: bool,
    },
}

impl Denied {
    /// When to try again.
    pub fn until_ms(&self) -> i64 {
        match self {
            Denied::Window { until_ms, .. } | Denied::RetryAfter { until_ms, .. } => *until_ms,
        }
    }
}

#[derive(Debug, Clone)]
struct Window {
    spec: LimitSpec,
    start_ms: i64,
    used: u64,
}

impl Window {
    fn roll(&mut self, now_ms: i64) {
        let start = now_ms.div_euclid(self.spec.interval_ms) * self.spec.interval_ms;
        // A different window in either direction: the estimate of server time can move back
        // when the clock offset is first learnt or corrected; keeping a window that lies in
        // the future would make the wait until its end absurd (the server's headers raise the
        // counts again if it disagrees).
        if start != self.start_ms {
            self.start_ms = start;
            self.used = 0;
        }
    }

    fn cost(&self, cost: Cost) -> u64 {
        match self.spec.kind {
            LimitKind::RequestWeight => u64::from(cost.weight),
            LimitKind::Orders => u64::from(cost.orders),
            LimitKind::RawRequests => 1,
        }
    }
}

/// The local budget (see the module doc for the policy).
#[derive(Debug, Clone)]
pub struct RateLimiter {
    windows: Vec<Window>,
    safety_pct: u64,
    quiet_until_ms: i64,
    banned: bool,
    /// Bans of unstated length in a row, and when the last one ends.
    unstated_bans: u32,
    unstated_ban_until_ms: i64,
}

/// A day without a ban forgives earlier ones (Binance does not document its memory).
const BAN_MEMORY_MS: i64 = DAY;

impl RateLimiter {
    /// A limiter with these limits, keeping normal requests under `safety_pct` % (1–100).
    pub fn new(limits: &[LimitSpec], safety_pct: u8) -> Self {
        let mut limiter = Self {
            windows: Vec::new(),
            safety_pct: u64::from(safety_pct.clamp(1, 100)),
            quiet_until_ms: i64::MIN,
            banned: false,
            unstated_bans: 0,
            unstated_ban_until_ms: i64::MIN,
        };
        limiter.set_limits(limits);
        limiter
    }

    /// Replaces the limits (from `exchangeInfo`), keeping the counts of unchanged windows.
    /// An empty list keeps the current limits.
    pub fn set_limits(&mut self, limits: &[LimitSpec]) {
        if limits.is_empty() {
            return;
        }
        let old: BTreeMap<(LimitKind, i64), (i64, u64)> = self
            .windows
            .iter()
            .map(|w| ((w.spec.kind, w.spec.interval_ms), (w.start_ms, w.used)))
            .collect();
        self.windows = limits
            .iter()
            .map(|spec| {
                let (start_ms, used) = old
                    .get(&(spec.kind, spec.interval_ms))
                    .copied()
                    .unwrap_or((i64::MIN, 0));
                Window {
                    spec: *spec,
                    start_ms,
                    used,
                }
            })
            .collect();
    }

    /// The limits in force.
    pub fn limits(&self) -> Vec<LimitSpec> {
        self.windows.iter().map(|w| w.spec).collect()
    }

    /// Grants `cost` now or says until when to wait. Nothing is counted when denied.
    pub fn try_acquire(
        &mut self,
        cost: Cost,
        priority: Priority,
        now_ms: i64,
    ) -> Result<(), Denied> {
        if now_ms < self.quiet_until_ms {
            if self.banned || priority == Priority::Normal {
                return Err(Denied::RetryAfter {
                    until_ms: self.quiet_until_ms,
                    banned: self.banned,
                });
            }
        } else {
            self.banned = false;
        }
        for w in &mut self.windows {
            w.roll(now_ms);
            let c = w.cost(cost);
            if c == 0 {
                continue;
            }
            let budget = match priority {
                Priority::Normal => w.spec.limit * self.safety_pct / 100,
                Priority::Emergency => w.spec.limit,
            };
            if w.used + c > budget {
                return Err(Denied::Window {
                    kind: w.spec.kind,
                    until_ms: w.start_ms + w.spec.interval_ms,
                });
            }
        }
        for w in &mut self.windows {
            w.used += w.cost(cost);
        }
        Ok(())
    }

    /// Gives back the request weight of a request granted at `granted_ms` that turned out
    /// free (a successful order request costs 0 since 2026-04-02). Only a window that still
    /// holds `granted_ms` is lowered: a later window never counted it. ORDERS and
    /// RAW_REQUESTS counts stay: the order still counts, the request still happened.
    pub fn refund_weight(&mut self, weight: u32, granted_ms: i64) {
        for w in &mut self.windows {
            let start = granted_ms.div_euclid(w.spec.interval_ms) * w.spec.interval_ms;
            if w.spec.kind == LimitKind::RequestWeight && w.start_ms == start {
                w.used = w.used.saturating_sub(u64::from(weight));
            }
        }
    }

    /// Raises local counts to the server's `X-MBX-USED-WEIGHT-<n><u>` and
    /// `X-MBX-ORDER-COUNT-<n><u>` values (header names in any case).
    pub fn observe_headers(&mut self, headers: &BTreeMap<String, String>, now_ms: i64) {
        for (name, value) in headers {
            let name = name.to_ascii_lowercase();
            let (kind, suffix) = if let Some(s) = name.strip_prefix("x-mbx-used-weight-") {
                (LimitKind::RequestWeight, s)
            } else if let Some(s) = name.strip_prefix("x-mbx-order-count-") {
                (LimitKind::Orders, s)
            } else {
                continue;
            };
            let (Some(interval_ms), Ok(count)) = (interval_of(suffix), value.trim().parse::<u64>())
            else {
                continue;
            };
            for w in &mut self.windows {
                if w.spec.kind == kind && w.spec.interval_ms == interval_ms {
                    w.roll(now_ms);
                    w.used = w.used.max(count);
                }
            }
        }
    }

    /// Records a 429 (`banned = false`) or 418 (`banned = true`): quiet for `retry_after_ms`.
    pub fn observe_retry_after(&mut self, retry_after_ms: u64, banned: bool, now_ms: i64) {
        let until = now_ms.saturating_add(i64::try_from(retry_after_ms).unwrap_or(i64::MAX));
        if now_ms >= self.quiet_until_ms {
            self.banned = false;
        }
        self.quiet_until_ms = self.quiet_until_ms.max(until);
        self.banned |= banned;
    }

    /// How long to stay quiet after a ban whose length the response did not state (a 418
    /// without `Retry-After`): [`MIN_BAN_MS`] for the first, doubled for each further one that
    /// comes within a day of the previous one's end, capped at [`MAX_BAN_MS`]. Counts the ban.
    pub fn unstated_ban_ms(&mut self, now_ms: i64) -> u64 {
        if now_ms.saturating_sub(self.unstated_ban_until_ms) >= BAN_MEMORY_MS {
            self.unstated_bans = 0;
        }
        let doublings = self.unstated_bans.min(16);
        self.unstated_bans = self.unstated_bans.saturating_add(1);
        let wait = MIN_BAN_MS.saturating_mul(1 << doublings).min(MAX_BAN_MS);
        self.unstated_ban_until_ms = now_ms.saturating_add(i64::try_from(wait).unwrap_or(i64::MAX));
        wait
    }

    /// The count in the current window of the first limit of `kind` and `interval_ms`.
    pub fn used(&self, kind: LimitKind, interval_ms: i64, now_ms: i64) -> Option<u64> {
        let w = self
            .windows
            .iter()
            .find(|w| w.spec.kind == kind && w.spec.interval_ms == interval_ms)?;
        let start = now_ms.div_euclid(interval_ms) * interval_ms;
        Some(if start > w.start_ms { 0 } else { w.used })
    }
}

/// `1m` → 60 000, `10s` → 10 000, `1d` → 86 400 000 (header suffixes).
fn interval_of(suffix: &str) -> Option<i64> {
    let split = suffix.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = suffix.split_at(split);
    let num: i64 = num.parse().ok()?;
    let unit = match unit {
        "s" => SECOND,
        "m" => MINUTE,
        "h" => HOUR,
        "d" => DAY,
        _ => return None,
    };
    num.checked_mul(unit)
}

#[cfg(test)]
mod tests;
