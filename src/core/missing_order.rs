//! The unknown-outcome rule: when may "-2013 Order does not exist." be believed?
//!
//! After a placement whose outcome is unknown (timeout, 5xx, -1006/-1007, dropped connection,
//! a crash between the intent's write and the answer) the order may exist. It is looked up by
//! client order id; a found order settles it. But the lookup reads a store that can lag the
//! matching engine by a minute or more, so -2013 only means "never placed" when **all** hold:
//!
//! 1. the request can no longer be accepted: server time has reached the first instant at
//!    which Binance refuses it (`timestamp + recvWindow + 1` for the client, which knows the
//!    timestamp; the intent's time plus the room the client may take before signing for the
//!    bot);
//! 2. the -2013 answers form a *streak* that has lasted at least `grace_ms` (60 s by
//!    default), counted from the first one seen after (1);
//! 3. the streak holds at least [`MIN_MISSES`] answers, so one lookup before and one after a
//!    long pause (a restart, a stalled loop) are not a minute of evidence.
//!
//! Failed lookups in between (timeouts, 5xx, 429) neither extend nor reset the streak: they say
//! nothing about the order. [`MissingOrder`] is that rule as a pure state machine over
//! server-time instants; the REST client drives it while it resolves a placement, and the bot
//! drives it across steps and restarts from the streak it journals ([`MissStreak`]).

/// Fewest "does not exist" answers a conclusive streak holds.
pub const MIN_MISSES: u32 = 3;

/// Outcome of one "-2013" observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every condition holds: the order was never placed.
    NeverPlaced,
    /// Not yet conclusive: keep the slot occupied and ask again.
    KeepAsking,
}

/// The streak of "does not exist" answers so far: when the first counted one came and how many
/// were counted. Journalled with a pending intent, so a restart neither resets nor skips it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MissStreak {
    /// Server time of the first counted answer, Unix ms; `None` before any.
    pub first_ms: Option<i64>,
    /// Counted answers.
    pub misses: u32,
}

/// Tracks the -2013 answers for one unknown placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingOrder {
    counts_from_ms: i64,
    grace_ms: i64,
    streak: MissStreak,
}

impl MissingOrder {
    /// For a request sent with `timestamp` and `recvWindow` (the client's view: Binance
    /// accepts it while `serverTime − timestamp ≤ recvWindow`), and a -2013 grace window.
    pub fn for_request(sent_timestamp_ms: i64, recv_window_ms: u64, grace_ms: u64) -> Self {
        let window = i64::try_from(recv_window_ms).unwrap_or(i64::MAX);
        Self::resume(
            sent_timestamp_ms.saturating_add(window).saturating_add(1),
            grace_ms,
            MissStreak::default(),
        )
    }

    /// For answers that count from `counts_from_ms` on, with a streak already journalled.
    pub fn resume(counts_from_ms: i64, grace_ms: u64, streak: MissStreak) -> Self {
        Self {
            counts_from_ms,
            grace_ms: i64::try_from(grace_ms).unwrap_or(i64::MAX),
            streak,
        }
    }

    /// The first server time at which a -2013 counts.
    pub fn counts_from_ms(&self) -> i64 {
        self.counts_from_ms
    }

    /// The streak so far (to journal after [`Self::observe_missing`]).
    pub fn streak(&self) -> MissStreak {
        self.streak
    }

    /// Records "-2013" answered at `server_now_ms`.
    pub fn observe_missing(&mut self, server_now_ms: i64) -> Verdict {
        if server_now_ms < self.counts_from_ms {
            return Verdict::KeepAsking;
        }
        let start = *self.streak.first_ms.get_or_insert(server_now_ms);
        self.streak.misses = self.streak.misses.saturating_add(1);
        if server_now_ms.saturating_sub(start) >= self.grace_ms && self.streak.misses >= MIN_MISSES
        {
            Verdict::NeverPlaced
        } else {
            Verdict::KeepAsking
        }
    }

    /// The earliest server time at which a -2013 could be conclusive.
    pub fn earliest_conclusion_ms(&self) -> i64 {
        self.streak
            .first_ms
            .unwrap_or(self.counts_from_ms)
            .saturating_add(self.grace_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minus_2013_is_believed_only_after_deadline_grace_and_three_answers() {
        struct Case {
            label: &'static str,
            grace_ms: u64,
            answers_at: &'static [i64],
            want_last: Verdict,
        }
        // Sent at 1_000 with recvWindow 5_000: answers count from 6_001.
        let cases = [
            Case {
                label: "before the deadline nothing counts",
                grace_ms: 0,
                answers_at: &[2_000, 5_000, 6_000],
                want_last: Verdict::KeepAsking,
            },
            Case {
                label: "zero grace: three answers after the deadline",
                grace_ms: 0,
                answers_at: &[6_001, 6_001, 6_001],
                want_last: Verdict::NeverPlaced,
            },
            Case {
                label: "zero grace, two answers",
                grace_ms: 0,
                answers_at: &[6_001, 7_000],
                want_last: Verdict::KeepAsking,
            },
            Case {
                label: "grace not yet over",
                grace_ms: 3_000,
                answers_at: &[6_500, 7_000, 9_000],
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
                answers_at: &[3_000, 5_900, 7_000, 8_000, 9_999],
                want_last: Verdict::KeepAsking,
            },
            Case {
                label: "one late answer alone is not enough",
                grace_ms: 3_000,
                answers_at: &[60_000],
                want_last: Verdict::KeepAsking,
            },
            Case {
                label: "two answers a minute apart are not enough",
                grace_ms: 3_000,
                answers_at: &[7_000, 67_000],
                want_last: Verdict::KeepAsking,
            },
        ];
        for c in cases {
            let mut m = MissingOrder::for_request(1_000, 5_000, c.grace_ms);
            let mut last = None;
            for t in c.answers_at {
                last = Some(m.observe_missing(*t));
            }
            assert_eq!(last, Some(c.want_last), "{}", c.label);
        }
    }

    #[test]
    fn earliest_conclusion_follows_the_streak() {
        let mut m = MissingOrder::for_request(1_000, 5_000, 3_000);
        assert_eq!(m.counts_from_ms(), 6_001);
        assert_eq!(m.earliest_conclusion_ms(), 9_001);
        m.observe_missing(7_000);
        m.observe_missing(8_000);
        assert_eq!(m.earliest_conclusion_ms(), 10_000);
        assert_eq!(m.observe_missing(9_999), Verdict::KeepAsking);
        assert_eq!(m.observe_missing(10_000), Verdict::NeverPlaced);
    }

    #[test]
    fn a_resumed_streak_neither_restarts_nor_skips() {
        let mut before = MissingOrder::resume(0, 60_000, MissStreak::default());
        before.observe_missing(10_000);
        before.observe_missing(20_000);
        let journalled = before.streak();
        assert_eq!(
            journalled,
            MissStreak {
                first_ms: Some(10_000),
                misses: 2
            }
        );
        // After a restart: the third answer at 70 s concludes (the streak did not restart)…
        let mut after = MissingOrder::resume(0, 60_000, journalled);
        assert_eq!(after.observe_missing(70_000), Verdict::NeverPlaced);
        // …but a fresh streak after a long pause needs its own minute and answers.
        let mut fresh = MissingOrder::resume(0, 60_000, MissStreak::default());
        assert_eq!(fresh.observe_missing(70_000), Verdict::KeepAsking);
    }
}
