//! The two O(1) building blocks of the indicators: a rolling sum (with the sum of squares)
//! over the last `n` values, and a rolling extreme (highest or lowest) over the last `n`
//! values kept as a monotonic queue (amortised O(1) per value).
//!
//! Sums of decimals are exact (no rounding while the digits fit in 28), so a rolling sum that
//! adds the new value and subtracts the one leaving the window equals the naive sum exactly.

use rust_decimal::{Decimal, MathematicalOps};
use std::collections::VecDeque;

/// Sum and sum of squares of the last `n` values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RollingSum {
    n: usize,
    values: VecDeque<Decimal>,
    sum: Decimal,
    sum_sq: Decimal,
}

impl RollingSum {
    /// A window of `n` values (at least 1).
    pub(super) fn new(n: u16) -> Self {
        let n = usize::from(n.max(1));
        Self {
            n,
            values: VecDeque::with_capacity(n + 1),
            sum: Decimal::ZERO,
            sum_sq: Decimal::ZERO,
        }
    }

    /// Adds `x`, dropping the oldest value once the window is full.
    pub(super) fn push(&mut self, x: Decimal) {
        self.values.push_back(x);
        self.sum += x;
        self.sum_sq += x * x;
        if self.values.len() > self.n {
            if let Some(old) = self.values.pop_front() {
                self.sum -= old;
                self.sum_sq -= old * old;
            }
        }
    }

    /// The mean of the window, once it holds `n` values.
    pub(super) fn mean(&self) -> Option<Decimal> {
        self.full().then(|| self.sum / Decimal::from(self.n as u64))
    }

    /// The population standard deviation of the window, once it holds `n` values:
    /// `sqrt((Σx² − (Σx)²/n) / n)`, the only inexact step being the square root.
    pub(super) fn std_dev(&self) -> Option<Decimal> {
        if !self.full() {
            return None;
        }
        let n = Decimal::from(self.n as u64);
        let var = (self.sum_sq - self.sum * self.sum / n) / n;
        var.max(Decimal::ZERO).sqrt()
    }

    fn full(&self) -> bool {
        self.values.len() == self.n
    }
}

/// Which extreme a [`RollingExtreme`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Extreme {
    Highest,
    Lowest,
}

/// The highest (or lowest) of the last `n` values: a queue of candidates, each better than
/// every later one, so the front is the answer and each value enters and leaves once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RollingExtreme {
    n: u64,
    which: Extreme,
    /// `(index, value)` of the candidates, front = the extreme.
    queue: VecDeque<(u64, Decimal)>,
    pushed: u64,
}

impl RollingExtreme {
    /// A window of `n` values (at least 1).
    pub(super) fn new(n: u16, which: Extreme) -> Self {
        Self {
            n: u64::from(n.max(1)),
            which,
            queue: VecDeque::new(),
            pushed: 0,
        }
    }

    /// Adds `x`, forgetting values older than the window.
    pub(super) fn push(&mut self, x: Decimal) {
        let beaten = |old: Decimal| match self.which {
            Extreme::Highest => old <= x,
            Extreme::Lowest => old >= x,
        };
        while self.queue.back().is_some_and(|&(_, v)| beaten(v)) {
            self.queue.pop_back();
        }
        self.queue.push_back((self.pushed, x));
        self.pushed += 1;
        // The window holds the indices `pushed − n ..= pushed − 1`.
        while self
            .queue
            .front()
            .is_some_and(|&(i, _)| i + self.n < self.pushed)
        {
            self.queue.pop_front();
        }
    }

    /// The extreme of the last `n` values, once `n` values were pushed.
    pub(super) fn get(&self) -> Option<Decimal> {
        if self.pushed < self.n {
            return None;
        }
        self.queue.front().map(|&(_, v)| v)
    }
}
