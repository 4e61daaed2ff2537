//! [`WeightBudget`]: the client's request-weight budget as a handle for the WebSocket feeds.
//!
//! Binance counts WebSocket API requests (`time`, `session.logon`, `userDataStream.subscribe`,
//! `ping`) against the same per-IP `REQUEST_WEIGHT` as REST. The feeds run in their own tasks
//! and know nothing of [`BinanceRest`](super::BinanceRest), so the client hands them this
//! handle on its one limiter: they take weight before writing a request (normal priority,
//! never waiting: a feed that is refused tries again later) and feed the answers'
//! `rateLimits` back, as the REST client does with its response headers.

use super::State;
use crate::adapters::binance::error::{ban_length_ms, classify};
use crate::adapters::binance::rate_limit::{Cost, Denied, Priority};
use crate::adapters::binance::ws::orders::as_http;
use crate::ports::clock::Clock;
use crate::ports::exchange::ExchangeError;
use serde_json::Value;
use std::sync::{Arc, Mutex, MutexGuard};

/// A handle on a [`BinanceRest`](super::BinanceRest)'s weight budget (cheap to clone).
#[derive(Clone)]
pub struct WeightBudget {
    pub(super) state: Arc<Mutex<State>>,
    pub(super) clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for WeightBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WeightBudget").finish_non_exhaustive()
    }
}

impl WeightBudget {
    fn server_now_ms(&self, state: &State) -> i64 {
        self.clock.now_ms() + state.offset_ms.unwrap_or(0)
    }

    /// Takes `weight` now (normal priority) or says until when the budget is short. Nothing
    /// is counted when refused.
    pub fn try_acquire(&self, weight: u32) -> Result<(), Denied> {
        let mut state = lock(&self.state);
        let now = self.server_now_ms(&state);
        let cost = Cost { weight, orders: 0 };
        state.limiter.try_acquire(cost, Priority::Normal, now)
    }

    /// Reads a WebSocket API answer's `rateLimits` (raising the local counts to the server's)
    /// and, for a 429 / 418 answer, starts the quiet period or the ban as a REST answer would.
    pub fn observe(&self, answer: &Value) {
        let response = as_http(answer);
        let mut state = lock(&self.state);
        let now = self.server_now_ms(&state);
        state.limiter.observe_headers(&response.headers, now);
        if response.is_success() {
            return;
        }
        if let ExchangeError::RateLimited {
            mut retry_after_ms,
            banned,
        } = classify(&response, now)
        {
            if banned && ban_length_ms(&response, now).is_none() {
                retry_after_ms = state.limiter.unstated_ban_ms(now);
            }
            state
                .limiter
                .observe_retry_after(retry_after_ms, banned, now);
        }
    }
}

/// A panic while holding the lock leaves consistent counters: keep going (as the client does).
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}
