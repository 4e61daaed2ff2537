//! The unknown-outcome rule: when may "-2013 Order does not exist." be believed?
//!
//! After a placement whose outcome is unknown (timeout, 5xx, -1006/-1007, dropped connection)
//! the order may exist. It is looked up by `origClientOrderId`; a found order settles it. But
//! the lookup reads a store that can lag the matching engine by a minute or more, so -2013 only
//! means "never placed" when **both** hold:
//!
//! 1. the request can no longer be accepted: server time has passed `timestamp + recvWindow`
//!    of the request as sent (Binance refuses it after that);
//! 2. -2013 has persisted for at least `grace_ms`, counted from the first -2013 seen after (1)
//!    became true. Failed lookups in between (timeouts, 5xx, 429) neither extend nor reset the
//!    streak: they say nothing about the order.
//!
//! [`MissingOrder`] is that rule as a pure state machine over server-time instants; the REST
//! client drives it ([`super::rest`]), and the orchestrator can drive it again after a restart
//! from the journalled timestamp.

/// Outcome of one "-2013" observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Both conditions hold: the order was never placed; a replacement may be sent.
    NeverPlaced,
    /// Not yet conclusive: keep the slot occupied and ask again.
    KeepAsking,
}

/// Tracks the -2013 answers for one unknown placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingOrder {
    deadline_ms: i64,
    grace_ms: i64,
    streak_start_ms: Option<i64>,
}

impl MissingOrder {
    /// For a request sent with `timestamp` and `recvWindow`, and a -2013 grace window.
    pub fn new(sent_timestamp_ms: i64, recv_window_ms: u64, grace_ms: u64) -> Self {
        Self {
            deadline_ms: sent_timestamp_ms
                .saturating_add(i64::try_from(recv_window_ms).unwrap_or(i64::MAX)),
            grace_ms: i64::try_from(grace_ms).unwrap_or(i64::MAX),
            streak_start_ms: None,
        }
    }

    /// Server time after which the request can no longer be accepted.
    pub fn deadline_ms(&self) -> i64 {
        self.deadline_ms
    }

    /// Records "-2013" answered at `server_now_ms`.
    pub fn observe_missing(&mut self, server_now_ms: i64) -> Verdict {
        if server_now_ms <= self.deadline_ms {
            return Verdict::KeepAsking;
        }
        let start = *self.streak_start_ms.get_or_insert(server_now_ms);
        if server_now_ms.saturating_sub(start) >= self.grace_ms {
            Verdict::NeverPlaced
        } else {
            Verdict::KeepAsking
        }
    }

    /// The earliest server time at which a -2013 could be conclusive.
    pub fn earliest_conclusion_ms(&self) -> i64 {
        match self.streak_start_ms {
            Some(start) => start.saturating_add(self.grace_ms),
            None => self
                .deadline_ms
                .saturating_add(1)
                .saturating_add(self.grace_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minus_2013_is_believed_only_after_deadline_and_grace() {
        struct Case {
            label: &'static str,
            grace_ms: u64,
            answers_at: &'static [i64],
            want_last: Verdict,
        }
        // Sent at 1_000 with recvWindow 5_000: deadline 6_000.
        let cases = [
            Case {
                label: "before the deadline nothing counts",
                grace_ms: 0,
                answers_at: &[2_000, 5_000, 6_000],
                want_last: Verdict::KeepAsking,
            },
            Case {
                label: "zero grace: first answer after the deadline",
                grace_ms: 0,
                answers_at: &[6_001],
                want_last: Verdict::NeverPlaced,
            },
            Case {
                label: "grace not yet over",
                grace_ms: 3_000,
                answers_at: &[6_500, 9_000],
                want_last: Verdict::KeepAsking,
            },
            Case {
                label: "grace over",
                grace_ms: 3_000,
                answers_at: &[6_500, 9_000, 9_500],
                want_last: Verdict::NeverPlaced,
            },
            Case {
                label: "pre-deadline answers do not start the streak",
                grace_ms: 3_000,
                answers_at: &[3_000, 5_900, 7_000, 9_999],
                want_last: Verdict::KeepAsking,
            },
            Case {
                label: "one late answer alone is not enough",
                grace_ms: 3_000,
                answers_at: &[60_000],
                want_last: Verdict::KeepAsking,
            },
        ];
        for c in cases {
            let mut m = MissingOrder::new(1_000, 5_000, c.grace_ms);
            let mut last = None;
            for t in c.answers_at {
                last = Some(m.observe_missing(*t));
            }
            assert_eq!(last, Some(c.want_last), "{}", c.label);
        }
    }

    #[test]
    fn earliest_conclusion_follows_the_streak() {
        let mut m = MissingOrder::new(1_000, 5_000, 3_000);
        assert_eq!(m.deadline_ms(), 6_000);
        assert_eq!(m.earliest_conclusion_ms(), 9_001);
        m.observe_missing(7_000);
        assert_eq!(m.earliest_conclusion_ms(), 10_000);
        assert_eq!(m.observe_missing(9_999), Verdict::KeepAsking);
        assert_eq!(m.observe_missing(10_000), Verdict::NeverPlaced);
    }
}
