//! Who may use the dashboard (`.spec/dashboard.md` § Security).
//!
//! - Without a password hash the dashboard may only listen on a loopback address and asks
//!   no one to log in. With a hash (argon2 PHC string) every page but `/login`, `/healthz` and
//!   the static assets needs a session: a random token in an `HttpOnly; SameSite=Strict`
//!   cookie, kept in memory (a restart logs everyone out).
//! - Failed logins are limited per client address: after [`MAX_FAILURES`] in [`WINDOW`] the
//!   address gets `429` until the window ends, even with the right password.
//! - Every POST carries a CSRF token: the session's own, or (no password, and on the login
//!   form) one random per process. Tokens are compared in constant time.

use super::DashboardError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::http::HeaderMap;
use rand::RngCore;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "bt_session";
/// Failed logins allowed per address and window.
pub const MAX_FAILURES: u32 = 5;
/// The rate-limit window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

struct Session {
    csrf: String,
    expires: Instant,
}

struct Failures {
    since: Instant,
    count: u32,
}

/// How a login attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    /// Accepted: the new session token for the cookie.
    Ok(String),
    /// Wrong password.
    Refused,
    /// Too many failures from this address; retry after this many seconds.
    Limited(u64),
}

/// Password, sessions, CSRF tokens and the login rate limit.
pub struct Auth {
    hash: Option<String>,
    anon_csrf: String,
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<IpAddr, Failures>>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("password", &self.hash.is_some())
            .finish_non_exhaustive()
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A random 256-bit token (hex), for ids that must not be guessable.
pub fn new_token() -> String {
    random_token()
}

/// Equal in constant time (for equal lengths).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Hashes a password with argon2id and a random salt (`binance-trader hash-password`).
pub fn hash_password(password: &str) -> Result<String, DashboardError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| DashboardError::Config(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DashboardError::Config(format!("hashing failed: {e}")))
}

/// Refuses a non-loopback listen address without a password.
pub fn check_listen(addr: SocketAddr, has_password: bool) -> Result<(), DashboardError> {
    if addr.ip().is_loopback() || has_password {
        Ok(())
    } else {
        Err(DashboardError::Config(format!(
            "the dashboard may listen on {addr} (not loopback) only with a password: set \
             DASHBOARD_PASSWORD_HASH (binance-trader hash-password prints one)"
        )))
    }
}

/// The session token in the request's cookies, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v)
}

impl Auth {
    /// Checks the PHC string, if any.
    pub fn new(hash: Option<String>) -> Result<Self, DashboardError> {
        let hash = hash.filter(|h| !h.trim().is_empty());
        if let Some(h) = &hash {
            PasswordHash::new(h.trim()).map_err(|e| {
                DashboardError::Config(format!("DASHBOARD_PASSWORD_HASH is not a PHC string: {e}"))
            })?;
        }
        Ok(Self {
            hash: hash.map(|h| h.trim().to_string()),
            anon_csrf: random_token(),
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
        })
    }

    /// True when a password is required.
    pub fn required(&self) -> bool {
        self.hash.is_some()
    }

    /// True when the request may see protected pages.
    pub fn allowed(&self, headers: &HeaderMap) -> bool {
        !self.required() || self.session_csrf(headers).is_some()
    }

    fn session_csrf(&self, headers: &HeaderMap) -> Option<String> {
        let token = session_cookie(headers)?;
        let mut sessions = lock(&self.sessions);
        let now = Instant::now();
        sessions.retain(|_, s| s.expires > now);
        sessions.get(token).map(|s| s.csrf.clone())
    }

    /// The CSRF token forms of this request must carry.
    pub fn csrf_token(&self, headers: &HeaderMap) -> String {
        if self.required() {
            self.session_csrf(headers)
                .unwrap_or_else(|| self.anon_csrf.clone())
        } else {
            self.anon_csrf.clone()
        }
    }

    /// True when `token` is this request's CSRF token.
    pub fn csrf_ok(&self, headers: &HeaderMap, token: &str) -> bool {
        same(&self.csrf_token(headers), token)
    }

    /// True when `token` is the login form's token (before any session exists).
    pub fn login_csrf_ok(&self, token: &str) -> bool {
        same(&self.anon_csrf, token)
    }

    /// The login form's CSRF token.
    pub fn login_csrf(&self) -> &str {
        &self.anon_csrf
    }

    /// Checks a password from `ip`, counting failures.
    pub async fn login(&self, ip: IpAddr, password: String) -> Login {
        let Some(hash) = self.hash.clone() else {
            return Login::Refused;
        };
        let now = Instant::now();
        {
            // The attempt counts before the (slow) check, so parallel attempts cannot all slip
            // under the limit; a success clears the count.
            let mut failures = lock(&self.failures);
            failures.retain(|_, f| now.duration_since(f.since) < WINDOW);
            let f = failures.entry(ip).or_insert(Failures {
                since: now,
                count: 0,
            });
            if f.count >= MAX_FAILURES {
                let left = WINDOW.saturating_sub(now.duration_since(f.since));
                return Login::Limited(left.as_secs().max(1));
            }
            f.count += 1;
        }
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
        .unwrap_or(false);
        if !ok {
            return Login::Refused;
        }
        lock(&self.failures).remove(&ip);
        let token = random_token();
        lock(&self.sessions).insert(
            token.clone(),
            Session {
                csrf: random_token(),
                expires: now + SESSION_TTL,
            },
        );
        Login::Ok(token)
    }

    /// Ends the request's session.
    pub fn logout(&self, headers: &HeaderMap) {
        if let Some(token) = session_cookie(headers) {
            lock(&self.sessions).remove(token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_needs_no_password_anything_else_does() {
        assert!(check_listen("127.0.0.1:8080".parse().unwrap(), false).is_ok());
        assert!(check_listen("[::1]:8080".parse().unwrap(), false).is_ok());
        assert!(check_listen("0.0.0.0:8080".parse().unwrap(), false).is_err());
        assert!(check_listen("192.168.1.5:80".parse().unwrap(), false).is_err());
        assert!(check_listen("0.0.0.0:8080".parse().unwrap(), true).is_ok());
    }

    #[test]
    fn hashes_verify_and_constant_time_compare() {
        let h = hash_password("hunter2").unwrap();
        assert!(h.starts_with("$argon2id$"));
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(Argon2::default()
            .verify_password(b"hunter2", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"hunter", &parsed)
            .is_err());
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
        assert!(Auth::new(Some("not a hash".into())).is_err());
    }
}
