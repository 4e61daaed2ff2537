//! Exponential backoff with jitter for retrying reads after network errors and 5xx.
//!
//! "Equal jitter": attempt `n` waits a uniformly random time in `[d/2, d]` where
//! `d = min(cap, base × 2ⁿ)`. The lower half keeps retries from hammering the server, the
//! random upper half keeps many clients from retrying in lockstep. Order placements are never
//! retried this way: an unknown placement is resolved by querying (see `resolve`).

use rand::Rng;

/// Backoff parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Upper bound of the first delay, ms.
    pub base_ms: u64,
    /// Largest upper bound, ms.
    pub cap_ms: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base_ms: 250,
            cap_ms: 10_000,
        }
    }
}

impl Backoff {
    /// The upper bound `min(cap, base × 2^attempt)` for 0-based `attempt`.
    pub fn ceiling_ms(&self, attempt: u32) -> u64 {
        let factor = 1u64.checked_shl(attempt.min(63)).unwrap_or(u64::MAX);
        self.base_ms.saturating_mul(factor).min(self.cap_ms)
    }

    /// The delay before retry number `attempt` (0-based), in `[ceiling/2, ceiling]`.
    pub fn delay_ms(&self, attempt: u32, rng: &mut impl Rng) -> u64 {
        let ceiling = self.ceiling_ms(attempt);
        let floor = ceiling / 2;
        rng.random_range(floor..=ceiling)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn ceilings_double_until_the_cap() {
        let b = Backoff {
            base_ms: 100,
            cap_ms: 1_000,
        };
        let ceilings: Vec<u64> = (0..6).map(|n| b.ceiling_ms(n)).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(b.ceiling_ms(200), 1_000, "no overflow on huge attempts");
    }

    #[test]
    fn jitter_spreads_delays() {
        let b = Backoff::default();
        let mut rng = StdRng::seed_from_u64(7);
        let delays: std::collections::BTreeSet<u64> =
            (0..50).map(|_| b.delay_ms(5, &mut rng)).collect();
        assert!(delays.len() > 10, "{delays:?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn delays_stay_within_bounds(
            base in 1u64..5_000,
            cap in 1u64..120_000,
            attempt in 0u32..100,
            seed in any::<u64>(),
        ) {
            let b = Backoff { base_ms: base, cap_ms: cap };
            let mut rng = StdRng::seed_from_u64(seed);
            let d = b.delay_ms(attempt, &mut rng);
            let ceiling = b.ceiling_ms(attempt);
            prop_assert!(ceiling <= cap);
            prop_assert!(d <= ceiling);
            prop_assert!(d >= ceiling / 2);
        }
    }
}
