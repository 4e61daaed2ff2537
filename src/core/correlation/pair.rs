//! One pair's rolling window: the joint returns and their exact running sums.

use super::CORRELATION_DP;
use rust_decimal::{Decimal, MathematicalOps};
use std::collections::VecDeque;

/// The joint returns `(bucket, x, y)` of two symbols and the sums Pearson's formula needs.
/// Returns carry at most 8 decimal places, so every sum is exact and eviction undoes a push.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct PairWindow {
    samples: VecDeque<(i64, Decimal, Decimal)>,
    pub(super) sums: Sums,
}

/// `Σx, Σy, Σx², Σy², Σxy` over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Sums {
    x: Decimal,
    y: Decimal,
    xx: Decimal,
    yy: Decimal,
    xy: Decimal,
}

impl Sums {
    /// The sums of `samples`, from scratch.
    #[cfg(test)]
    pub(super) fn of<'a>(samples: impl IntoIterator<Item = &'a (Decimal, Decimal)>) -> Self {
        let mut s = Sums::default();
        for &(x, y) in samples {
            s.add(x, y, Decimal::ONE);
        }
        s
    }

    fn add(&mut self, x: Decimal, y: Decimal, sign: Decimal) {
        self.x += sign * x;
        self.y += sign * y;
        self.xx += sign * x * x;
        self.yy += sign * y * y;
        self.xy += sign * x * y;
    }

    /// Pearson's r over `n` samples, rounded to [`CORRELATION_DP`]; `None` when a series has
    /// no variance (flat) or the arithmetic would overflow.
    pub(super) fn correlation(&self, n: usize) -> Option<Decimal> {
        let n = Decimal::from(n);
        let cov = n
            .checked_mul(self.xy)?
            .checked_sub(self.x.checked_mul(self.y)?)?;
        let vx = n
            .checked_mul(self.xx)?
            .checked_sub(self.x.checked_mul(self.x)?)?;
        let vy = n
            .checked_mul(self.yy)?
            .checked_sub(self.y.checked_mul(self.y)?)?;
        if vx <= Decimal::ZERO || vy <= Decimal::ZERO {
            return None;
        }
        let root = vx.sqrt()?.checked_mul(vy.sqrt()?)?;
        let r = cov.checked_div(root)?;
        Some(
            r.clamp(Decimal::NEGATIVE_ONE, Decimal::ONE)
                .round_dp(CORRELATION_DP),
        )
    }
}

impl PairWindow {
    /// Adds bucket `b`'s joint return.
    pub(super) fn push(&mut self, b: i64, x: Decimal, y: Decimal) {
        self.samples.push_back((b, x, y));
        self.sums.add(x, y, Decimal::ONE);
    }

    /// Removes every sample of a bucket before `bucket`.
    pub(super) fn evict_before(&mut self, bucket: i64) {
        while let Some(&(b, x, y)) = self.samples.front() {
            if b >= bucket {
                break;
            }
            self.samples.pop_front();
            self.sums.add(x, y, Decimal::NEGATIVE_ONE);
        }
    }

    /// Joint returns in the window.
    pub(super) fn len(&self) -> usize {
        self.samples.len()
    }

    /// The window's samples as `(x, y)`.
    #[cfg(test)]
    pub(super) fn samples(&self) -> impl Iterator<Item = (Decimal, Decimal)> + '_ {
        self.samples.iter().map(|&(_, x, y)| (x, y))
    }

    /// Pearson's r over the window (see [`Sums::correlation`]).
    pub(super) fn correlation(&self) -> Option<Decimal> {
        self.sums.correlation(self.samples.len())
    }
}
