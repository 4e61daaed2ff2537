//! One channel's deliverer: claims due notifications from the outbox, sends as many as fit in
//! one message, and records the outcome. Paced by a sliding one-minute window
//! (`max_per_minute` messages); what waits meanwhile goes out together in the next message.
//!
//! Outcomes (`.spec/notifications.md` § Delivery): accepted → `sent`; not delivered → retried
//! after `1 s × 2^(attempts−1)` (at most 15 min, at least the receiver's `retry_after`) until
//! `max_attempts`, then `failed`; refused → `failed`; unknown → retried with the same
//! idempotency key where the channel de-duplicates, else `unknown` (never sent twice).

use super::config::Pacing;
use super::wall_ms;
use crate::adapters::notify::fits;
use crate::ports::outbox::{Channel, Notification, Outbox, OutboxState, SendError};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often an idle deliverer looks for new rows.
pub(super) const POLL: Duration = Duration::from_millis(250);
/// Longest wait between two attempts.
const MAX_BACKOFF_MS: i64 = 15 * 60_000;

/// The wait before attempt `attempts + 1`.
pub(super) fn backoff_ms(attempts: u32) -> i64 {
    let exp = attempts.saturating_sub(1).min(20);
    (1_000i64 << exp).min(MAX_BACKOFF_MS)
}

/// What the deliverer does with a batch after the channel answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Mark sent.
    Sent,
    /// Back to pending, due at this wall time.
    Retry(i64, String),
    /// End in this state.
    GiveUp(OutboxState, String),
}

/// The verdict for `result` of a batch whose most-tried row had `attempts` before this one.
pub(super) fn verdict(
    result: &Result<(), SendError>,
    attempts: u32,
    max_attempts: u32,
    idempotent: bool,
    now_ms: i64,
) -> Verdict {
    let tried = attempts.saturating_add(1);
    let retry = |wait_ms: i64, reason: String| {
        if tried >= max_attempts {
            Verdict::GiveUp(
                OutboxState::Failed,
                format!("gave up after {tried} attempts: {reason}"),
            )
        } else {
            Verdict::Retry(now_ms + wait_ms, reason)
        }
    };
    match result {
        Ok(()) => Verdict::Sent,
        Err(e @ SendError::NotDelivered { retry_after_ms, .. }) => {
            let asked = retry_after_ms.map_or(0, |ms| i64::try_from(ms).unwrap_or(i64::MAX));
            retry(backoff_ms(tried).max(asked), e.to_string())
        }
        Err(e @ SendError::Refused(_)) => Verdict::GiveUp(OutboxState::Failed, e.to_string()),
        Err(e @ SendError::Unknown(_)) if idempotent => retry(backoff_ms(tried), e.to_string()),
        Err(e @ SendError::Unknown(_)) => Verdict::GiveUp(
            OutboxState::Unknown,
            format!("{e}; not sent again, so as never to send it twice"),
        ),
    }
}

/// Messages sent in the last minute, for the rate limit.
struct Window {
    sent: VecDeque<i64>,
    max: usize,
}

impl Window {
    /// How long to wait before the next message may go (0: now).
    fn wait_ms(&mut self, now: i64) -> i64 {
        while self.sent.front().is_some_and(|&t| t <= now - 60_000) {
            self.sent.pop_front();
        }
        if self.sent.len() < self.max {
            0
        } else {
            self.sent.front().map_or(0, |&t| t + 60_000 - now).max(1)
        }
    }
}

/// Runs until `stop` turns true and, after the source's last pass (`source_done`), nothing
/// is due any more — or until `deadline` passes.
pub(super) async fn run<C: Channel, O: Outbox>(
    channel: C,
    pacing: Pacing,
    lease: Duration,
    outbox: O,
    mut stop: watch::Receiver<Option<tokio::time::Instant>>,
    source_done: Arc<AtomicBool>,
) {
    let kind = channel.kind();
    let mut window = Window {
        sent: VecDeque::new(),
        max: pacing.max_per_minute as usize,
    };
    loop {
        let deadline = *stop.borrow();
        if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
            return;
        }
        let now = wall_ms();
        let wait = window.wait_ms(now);
        let idle = if wait > 0 {
            Duration::from_millis(wait as u64)
        } else {
            let lease_until = now + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
            match outbox.claim(kind, now, lease_until, pacing.batch_max).await {
                Ok(rows) if !rows.is_empty() => {
                    window.sent.push_back(now);
                    deliver(&channel, &pacing, &outbox, rows).await;
                    continue;
                }
                Ok(_) if deadline.is_some() && source_done.load(Ordering::SeqCst) => return,
                Ok(_) => POLL,
                Err(e) => {
                    tracing::warn!(channel = kind.as_str(), error = %e, "notify: outbox read failed");
                    POLL * 4
                }
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(idle) => {}
            changed = stop.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

async fn deliver<C: Channel, O: Outbox>(
    channel: &C,
    pacing: &Pacing,
    outbox: &O,
    rows: Vec<Notification>,
) {
    let kind = channel.kind();
    let n = fits(&rows, channel.max_chars());
    let (batch, rest) = rows.split_at(n.min(rows.len()));
    let ids = |rows: &[Notification]| rows.iter().map(|r| r.id).collect::<Vec<_>>();
    let log_store = |e: crate::ports::store::StoreError| {
        tracing::error!(channel = kind.as_str(), error = %e, "notify: outbox write failed");
    };
    if !rest.is_empty() {
        // Claimed but not in this message: back at once, no attempt counted.
        if let Err(e) = outbox.release(&ids(rest), wall_ms(), false, None).await {
            log_store(e);
        }
    }
    let result = channel.send(batch).await;
    let attempts = batch.iter().map(|r| r.attempts).max().unwrap_or(0);
    let now = wall_ms();
    let done = match verdict(
        &result,
        attempts,
        pacing.max_attempts,
        kind.idempotent(),
        now,
    ) {
        Verdict::Sent => outbox.mark_sent(&ids(batch), now).await,
        Verdict::Retry(at, reason) => {
            tracing::warn!(channel = kind.as_str(), error = %reason, "notify: delivery failed, will retry");
            outbox.release(&ids(batch), at, true, Some(&reason)).await
        }
        Verdict::GiveUp(state, reason) => {
            tracing::error!(channel = kind.as_str(), error = %reason, "notify: delivery given up");
            outbox.give_up(&ids(batch), state, &reason).await
        }
    };
    if let Err(e) = done {
        log_store(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_up_to_fifteen_minutes() {
        assert_eq!(backoff_ms(1), 1_000);
        assert_eq!(backoff_ms(2), 2_000);
        assert_eq!(backoff_ms(4), 8_000);
        assert_eq!(backoff_ms(30), MAX_BACKOFF_MS);
    }

    #[test]
    fn verdicts_retry_what_never_arrived_and_never_repeat_what_may_have() {
        let not = Err(SendError::NotDelivered {
            reason: "HTTP 500".into(),
            retry_after_ms: None,
        });
        let slow = Err(SendError::NotDelivered {
            reason: "HTTP 429".into(),
            retry_after_ms: Some(30_000),
        });
        let unknown = Err(SendError::Unknown("timed out".into()));
        let refused = Err(SendError::Refused("HTTP 401".into()));
        assert_eq!(verdict(&Ok(()), 0, 8, false, 0), Verdict::Sent);
        assert!(matches!(
            verdict(&not, 0, 8, false, 100),
            Verdict::Retry(1_100, _)
        ));
        assert!(matches!(
            verdict(&slow, 0, 8, false, 0),
            Verdict::Retry(30_000, _)
        ));
        assert!(matches!(
            verdict(&not, 7, 8, false, 0),
            Verdict::GiveUp(OutboxState::Failed, _)
        ));
        assert!(matches!(
            verdict(&refused, 0, 8, true, 0),
            Verdict::GiveUp(OutboxState::Failed, _)
        ));
        assert!(matches!(
            verdict(&unknown, 0, 8, false, 0),
            Verdict::GiveUp(OutboxState::Unknown, _)
        ));
        assert!(matches!(
            verdict(&unknown, 0, 8, true, 0),
            Verdict::Retry(..)
        ));
    }

    #[test]
    fn the_window_allows_max_per_minute_then_waits_for_the_oldest_to_age_out() {
        let mut w = Window {
            sent: VecDeque::new(),
            max: 2,
        };
        assert_eq!(w.wait_ms(0), 0);
        w.sent.push_back(0);
        w.sent.push_back(10_000);
        assert_eq!(w.wait_ms(20_000), 40_000);
        assert_eq!(w.wait_ms(60_000), 0);
    }
}
