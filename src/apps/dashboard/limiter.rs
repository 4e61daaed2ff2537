//! The login limiter: slows password guessing down without ever refusing the right password.
//!
//! Every attempt is verified; there is no lock-out. Per client address (an IPv6 address counts
//! by its /64, which one host usually owns whole) attempts are checked one at a time, and after
//! the k-th wrong password in a row the address's next check waits until
//! `first × 2^(k−1)` (capped at `max`) has passed since that failure. The wait is kept in the
//! limiter, not in the answer, so hanging up early does not skip it. A right password clears
//! the count. At most [`MAX_WAITING`] attempts of one address wait for their turn; more are
//! answered 429 at once (a flood, not a person typing). At most [`VERIFY_PERMITS`] argon2
//! checks run at once, so a login flood from many addresses cannot exhaust memory (64 MiB
//! each). Counts are forgotten [`FORGET_AFTER`] after an address's last failure.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
// Tokio's clock, so tests can run the waits on a paused clock.
use tokio::time::Instant;

/// Attempts of one address that may wait behind the one being checked.
pub const MAX_WAITING: usize = 4;
/// Password checks that may run at once.
pub const VERIFY_PERMITS: usize = 2;
/// An address's failures are forgotten this long after its last one.
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);

/// The waits after wrong passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginDelays {
    /// Wait after the first wrong password.
    pub first: Duration,
    /// The longest wait.
    pub max: Duration,
}

impl Default for LoginDelays {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

impl LoginDelays {
    /// The wait after `failures` wrong passwords in a row (none after none).
    pub fn after(&self, failures: u32) -> Duration {
        if failures == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32 << (failures - 1).min(20);
        self.first.saturating_mul(factor).min(self.max)
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The password is right.
    Right,
    /// The password is wrong; the address's next check waits this long.
    Wrong(Duration),
    /// Too many attempts of this address are already waiting; retry after this long.
    Busy(Duration),
}

#[derive(Default)]
struct Address {
    /// Checks one attempt at a time.
    turn: Arc<tokio::sync::Mutex<()>>,
    failures: u32,
    /// No check before this (after a failure).
    not_before: Option<Instant>,
    last_failure: Option<Instant>,
    waiting: usize,
}

/// Per-address failure counts and turns; the global bound on concurrent checks.
pub struct Limiter {
    delays: LoginDelays,
    addresses: Mutex<HashMap<IpAddr, Address>>,
    checks: tokio::sync::Semaphore,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The limiter's key of a client address: IPv4 as is, IPv6 by its /64 prefix.
pub fn key_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

/// Takes an address's place in its queue back when the attempt ends, however it ends.
struct Waiting<'a> {
    limiter: &'a Limiter,
    key: IpAddr,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(a) = lock(&self.limiter.addresses).get_mut(&self.key) {
            a.waiting = a.waiting.saturating_sub(1);
        }
    }
}

impl Limiter {
    /// A limiter with these waits.
    pub fn new(delays: LoginDelays) -> Self {
        Self {
            delays,
            addresses: Mutex::new(HashMap::new()),
            checks: tokio::sync::Semaphore::new(VERIFY_PERMITS),
        }
    }

    /// Runs `check` (the password verification, on the blocking pool) for an attempt from
    /// `ip` once it is that address's turn and its wait is over.
    pub async fn attempt<F>(&self, ip: IpAddr, check: F) -> Verdict
    where
        F: FnOnce() -> bool + Send + 'static,
    {
        let key = key_of(ip);
        let turn = {
            let mut addresses = lock(&self.addresses);
            let now = Instant::now();
            addresses.retain(|_, a| {
                a.waiting > 0
                    || a.last_failure
                        .is_some_and(|t| now.duration_since(t) < FORGET_AFTER)
            });
            let a = addresses.entry(key).or_default();
            if a.waiting > MAX_WAITING {
                return Verdict::Busy(self.delays.after(a.failures).max(Duration::from_secs(1)));
            }
            a.waiting += 1;
            a.turn.clone()
        };
        let _waiting = Waiting { limiter: self, key };
        let _turn = turn.lock_owned().await;
        let not_before = lock(&self.addresses).get(&key).and_then(|a| a.not_before);
        if let Some(at) = not_before {
            tokio::time::sleep_until(at).await;
        }
        let right = {
            let Ok(_permit) = self.checks.acquire().await else {
                return Verdict::Busy(Duration::from_secs(1));
            };
            tokio::task::spawn_blocking(check).await.unwrap_or(false)
        };
        let mut addresses = lock(&self.addresses);
        let a = addresses.entry(key).or_default();
        if right {
            a.failures = 0;
            a.not_before = None;
            a.last_failure = None;
            return Verdict::Right;
        }
        let now = Instant::now();
        a.failures = a.failures.saturating_add(1);
        let wait = self.delays.after(a.failures);
        a.not_before = Some(now + wait);
        a.last_failure = Some(now);
        Verdict::Wrong(wait)
    }

    /// Wrong passwords in a row from `ip` (for tests and logs).
    pub fn failures(&self, ip: IpAddr) -> u32 {
        lock(&self.addresses)
            .get(&key_of(ip))
            .map_or(0, |a| a.failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_first_and_stop_at_the_cap() {
        let d = LoginDelays::default();
        let secs: Vec<u64> = (0..10).map(|k| d.after(k).as_secs()).collect();
        assert_eq!(secs, [0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(d.after(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_prefix_and_mapped_v4_as_v4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(key_of(a), key_of(b));
        assert_ne!(key_of(a), key_of(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(key_of(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    fn delays(first_ms: u64, max_ms: u64) -> LoginDelays {
        LoginDelays {
            first: Duration::from_millis(first_ms),
            max: Duration::from_millis(max_ms),
        }
    }

    const A: &str = "192.0.2.1";
    const B: &str = "192.0.2.2";

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[tokio::test]
    async fn the_right_password_passes_after_any_number_of_wrong_ones() {
        let d = delays(2, 16);
        let limiter = Limiter::new(d);
        for k in 1..=12u32 {
            assert_eq!(
                limiter.attempt(ip(A), || false).await,
                Verdict::Wrong(d.after(k))
            );
        }
        assert_eq!(limiter.failures(ip(A)), 12);
        assert_eq!(limiter.attempt(ip(A), || true).await, Verdict::Right);
        assert_eq!(limiter.failures(ip(A)), 0, "a success clears the count");
    }

    #[tokio::test]
    async fn other_addresses_are_not_held_up_by_one_address_s_delay() {
        let limiter = Limiter::new(delays(3_600_000, 3_600_000));
        assert!(matches!(
            limiter.attempt(ip(A), || false).await,
            Verdict::Wrong(_)
        ));
        let b = tokio::time::timeout(Duration::from_secs(120), limiter.attempt(ip(B), || true));
        assert_eq!(b.await, Ok(Verdict::Right));
        // A itself waits (longer than we look).
        let a = tokio::time::timeout(Duration::from_millis(300), limiter.attempt(ip(A), || true));
        assert!(a.await.is_err());
    }

    #[tokio::test]
    async fn hanging_up_does_not_skip_the_wait() {
        let d = delays(100, 10_000);
        let limiter = Limiter::new(d);
        limiter.attempt(ip(A), || false).await;
        limiter.attempt(ip(A), || false).await;
        let before = Instant::now();
        limiter.attempt(ip(A), || false).await; // the next check waits 400 ms from here on
        let abandoned =
            tokio::time::timeout(Duration::from_millis(1), limiter.attempt(ip(A), || true));
        let _ = abandoned.await;
        assert_eq!(limiter.attempt(ip(A), || true).await, Verdict::Right);
        assert!(before.elapsed() >= d.after(3), "{:?}", before.elapsed());
    }

    #[tokio::test]
    async fn a_flood_from_one_address_is_turned_away_beyond_the_queue() {
        let limiter = Arc::new(Limiter::new(delays(3_600_000, 3_600_000)));
        limiter.attempt(ip(A), || false).await;
        let queued: Vec<_> = (0..=MAX_WAITING)
            .map(|_| {
                let l = limiter.clone();
                tokio::spawn(async move { l.attempt(ip(A), || true).await })
            })
            .collect();
        while lock(&limiter.addresses)
            .get(&ip(A))
            .map_or(0, |a| a.waiting)
            <= MAX_WAITING
        {
            tokio::task::yield_now().await;
        }
        assert!(matches!(
            limiter.attempt(ip(A), || true).await,
            Verdict::Busy(_)
        ));
        for q in queued {
            q.abort();
            let _ = q.await;
        }
        assert_eq!(
            lock(&limiter.addresses).get(&ip(A)).map(|a| a.waiting),
            Some(0),
            "abandoned attempts give their places back"
        );
    }
}
