//! Who may use the dashboard (`.spec/dashboard.md` § Security).
//!
//! - Without a password hash the dashboard may only listen on a loopback address and asks
//!   no one to log in. With a hash (argon2 PHC string) every page but `/login`, `/healthz` and
//!   the static assets needs a session: a random token in an `HttpOnly; SameSite=Strict`
//!   cookie (`__Host-` prefixed and `Secure` behind a TLS proxy), kept in memory (a restart
//!   logs everyone out), ended after [`SESSION_TTL`] or [`Access::idle_timeout`] without use.
//! - Anything but loopback also needs `behind_tls_proxy`: the dashboard speaks plain HTTP, so
//!   a password must not cross a network without a TLS reverse proxy in front.
//! - Failed logins slow the next attempt of the same address down ([`super::limiter`]); the
//!   right password is never refused.
//! - Every POST carries a CSRF token: the session's own, or (no password, and on the login
//!   form) one random per process. Tokens are compared in constant time.

use super::error::DashboardError;
use super::limiter::{Limiter, LoginDelays, Verdict};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::http::{HeaderMap, HeaderName};
use rand::RngCore;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Name of the session cookie over plain HTTP (loopback).
pub const SESSION_COOKIE: &str = "bt_session";
/// Name of the session cookie behind a TLS proxy: the browser accepts a `__Host-` cookie
/// only with `Secure`, `Path=/` and no `Domain`, so no other (sub)domain can set or shadow it.
pub const SESSION_COOKIE_TLS: &str = "__Host-bt_session";
/// How long a session lasts at most.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);
/// Default idle timeout of a session.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Argon2id memory for new hashes, in KiB (64 MiB).
pub const ARGON2_MEMORY_KIB: u32 = 64 * 1024;
/// Argon2id passes for new hashes.
pub const ARGON2_ITERATIONS: u32 = 3;

/// How the dashboard is reached; what it trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// Browsers reach it through a TLS-terminating reverse proxy: required for a
    /// non-loopback address; makes the session cookie `Secure` and `__Host-` prefixed.
    pub behind_tls_proxy: bool,
    /// The header in which that proxy passes the client's address (`X-Forwarded-For`: the
    /// last entry, the one the proxy appended; `X-Real-IP`), used for the login limiter.
    /// Only behind the proxy: anyone else could write any address into it.
    pub client_ip_header: Option<String>,
    /// A session unused this long ends (the page's own 3 s refresh is not use).
    pub idle_timeout: Duration,
    /// Waits after wrong passwords.
    pub delays: LoginDelays,
}

impl Default for Access {
    fn default() -> Self {
        Self {
            behind_tls_proxy: false,
            client_ip_header: None,
            idle_timeout: IDLE_TIMEOUT,
            delays: LoginDelays::default(),
        }
    }
}

struct Session {
    csrf: String,
    expires: Instant,
    last_used: Instant,
}

/// How a login attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    /// Accepted: the new session token for the cookie.
    Ok(String),
    /// Wrong password; the address's next attempt waits this many seconds.
    Refused(u64),
    /// Too many attempts of this address are waiting; retry after this many seconds.
    Limited(u64),
}

/// Password, sessions, CSRF tokens and the login limiter.
pub struct Auth {
    hash: Option<String>,
    access: Access,
    ip_header: Option<HeaderName>,
    anon_csrf: String,
    sessions: Mutex<HashMap<String, Session>>,
    limiter: Limiter,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("password", &self.hash.is_some())
            .field("access", &self.access)
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

/// Hashes a password with argon2id, 64 MiB, 3 passes, a random salt
/// (`binance-trader hash-password`). Hashes made with other parameters keep verifying.
pub fn hash_password(password: &str) -> Result<String, DashboardError> {
    hash_password_with(password, ARGON2_MEMORY_KIB, ARGON2_ITERATIONS)
}

/// Hashes with argon2id and the given memory (KiB) and passes: for tests, and to make the
/// hashes of earlier versions (19 MiB, 2 passes).
pub fn hash_password_with(
    password: &str,
    memory_kib: u32,
    iterations: u32,
) -> Result<String, DashboardError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| DashboardError::Config(e.to_string()))?;
    let params = Params::new(memory_kib, iterations, 1, None)
        .map_err(|e| DashboardError::Config(format!("argon2 parameters: {e}")))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DashboardError::Config(format!("hashing failed: {e}")))
}

/// Checks `password` against a PHC string, with the parameters the string names.
fn verify(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Refuses a non-loopback listen address without a password or without a TLS proxy.
pub fn check_listen(
    addr: SocketAddr,
    has_password: bool,
    behind_tls_proxy: bool,
) -> Result<(), DashboardError> {
    if addr.ip().is_loopback() {
        return Ok(());
    }
    if !has_password {
        return Err(DashboardError::Config(format!(
            "the dashboard may listen on {addr} (not loopback) only with a password: set \
             DASHBOARD_PASSWORD_HASH (binance-trader hash-password prints one)"
        )));
    }
    if !behind_tls_proxy {
        return Err(DashboardError::Config(format!(
            "the dashboard may listen on {addr} (not loopback) only behind a TLS reverse \
             proxy: it speaks plain HTTP, and the password and session cookie must not cross \
             a network in clear text. Put one in front (Caddy, nginx) and pass \
             --behind-tls-proxy (or set behind_tls_proxy = true in [dashboard])"
        )));
    }
    Ok(())
}

/// The value of cookie `name` in the request, if any.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The address in a proxy's client-address header: the last comma-separated entry (the one
/// the proxy itself added), an IP with or without a port.
pub fn forwarded_ip(value: &str) -> Option<IpAddr> {
    let last = value.rsplit(',').next()?.trim();
    last.parse::<IpAddr>()
        .ok()
        .or_else(|| last.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

impl Auth {
    /// Checks the PHC string (if any) and the access settings.
    pub fn new(hash: Option<String>, access: Access) -> Result<Self, DashboardError> {
        let hash = hash.filter(|h| !h.trim().is_empty());
        if let Some(h) = &hash {
            PasswordHash::new(h.trim()).map_err(|e| {
                DashboardError::Config(format!("DASHBOARD_PASSWORD_HASH is not a PHC string: {e}"))
            })?;
        }
        if access.behind_tls_proxy && hash.is_none() {
            return Err(DashboardError::Config(
                "behind a TLS proxy the dashboard is reached from the network: set a password \
                 (DASHBOARD_PASSWORD_HASH; binance-trader hash-password prints one)"
                    .into(),
            ));
        }
        let ip_header = match &access.client_ip_header {
            None => None,
            Some(_) if !access.behind_tls_proxy => {
                return Err(DashboardError::Config(
                    "a client-address header is trusted only behind a TLS proxy (any client \
                     could write any address into it): add --behind-tls-proxy or drop it"
                        .into(),
                ))
            }
            Some(name) => Some(HeaderName::try_from(name.trim()).map_err(|_| {
                DashboardError::Config(format!(
                    "client-address header `{name}` is not a header name"
                ))
            })?),
        };
        Ok(Self {
            hash: hash.map(|h| h.trim().to_string()),
            ip_header,
            anon_csrf: random_token(),
            sessions: Mutex::new(HashMap::new()),
            limiter: Limiter::new(access.delays),
            access,
        })
    }

    /// The same password with other access settings (sessions are not carried over).
    pub fn with_access(&self, access: Access) -> Result<Self, DashboardError> {
        Self::new(self.hash.clone(), access)
    }

    /// True when a password is required.
    pub fn required(&self) -> bool {
        self.hash.is_some()
    }

    /// Refuses a listen address these settings do not allow.
    pub fn check_listen(&self, addr: SocketAddr) -> Result<(), DashboardError> {
        check_listen(addr, self.required(), self.access.behind_tls_proxy)
    }

    /// The session cookie's name.
    pub fn cookie_name(&self) -> &'static str {
        if self.access.behind_tls_proxy {
            SESSION_COOKIE_TLS
        } else {
            SESSION_COOKIE
        }
    }

    /// `Set-Cookie` value for a new session.
    pub fn session_cookie(&self, token: &str) -> String {
        self.cookie_with(token, SESSION_TTL.as_secs())
    }

    /// `Set-Cookie` value that deletes the session cookie.
    pub fn clear_cookie(&self) -> String {
        self.cookie_with("", 0)
    }

    fn cookie_with(&self, value: &str, max_age: u64) -> String {
        let secure = if self.access.behind_tls_proxy {
            "; Secure"
        } else {
            ""
        };
        format!(
            "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}",
            self.cookie_name()
        )
    }

    /// The client's address for the limiter: the proxy's header when one is trusted and
    /// readable, else the connection's peer.
    pub fn client_ip(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> IpAddr {
        let forwarded = self.ip_header.as_ref().and_then(|name| {
            let last = headers.get_all(name).iter().next_back()?;
            forwarded_ip(last.to_str().ok()?)
        });
        forwarded
            .or(peer.map(|p| p.ip()))
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    /// True when the request may see protected pages; `used` marks the session as used
    /// (false for the page's automatic refresh, so an open tab still goes idle).
    pub fn allowed(&self, headers: &HeaderMap, used: bool) -> bool {
        !self.required() || self.session_at(headers, Instant::now(), used).is_some()
    }

    /// The session's CSRF token at `now`, ending expired and idle sessions first.
    fn session_at(&self, headers: &HeaderMap, now: Instant, used: bool) -> Option<String> {
        let token = cookie(headers, self.cookie_name())?;
        let idle = self.access.idle_timeout;
        let mut sessions = lock(&self.sessions);
        sessions.retain(|_, s| s.expires > now && now.duration_since(s.last_used) < idle);
        let session = sessions.get_mut(token)?;
        if used {
            session.last_used = now;
        }
        Some(session.csrf.clone())
    }

    /// The CSRF token forms of this request must carry.
    pub fn csrf_token(&self, headers: &HeaderMap) -> String {
        if self.required() {
            self.session_at(headers, Instant::now(), false)
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

    /// Checks a password from `ip` through the limiter.
    pub async fn login(&self, ip: IpAddr, password: String) -> Login {
        let Some(hash) = self.hash.clone() else {
            return Login::Refused(0);
        };
        let secs = |d: Duration| d.as_secs_f64().ceil() as u64;
        match self
            .limiter
            .attempt(ip, move || verify(&hash, &password))
            .await
        {
            Verdict::Wrong(wait) => Login::Refused(secs(wait)),
            Verdict::Busy(wait) => Login::Limited(secs(wait).max(1)),
            Verdict::Right => {
                let token = random_token();
                let now = Instant::now();
                lock(&self.sessions).insert(
                    token.clone(),
                    Session {
                        csrf: random_token(),
                        expires: now + SESSION_TTL,
                        last_used: now,
                    },
                );
                Login::Ok(token)
            }
        }
    }

    /// Wrong passwords in a row from `ip`.
    pub fn failures(&self, ip: IpAddr) -> u32 {
        self.limiter.failures(ip)
    }

    /// Ends the request's session.
    pub fn logout(&self, headers: &HeaderMap) {
        if let Some(token) = cookie(headers, self.cookie_name()) {
            lock(&self.sessions).remove(token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap(password: &str) -> String {
        hash_password_with(password, 8, 1).unwrap()
    }

    fn behind_proxy() -> Access {
        Access {
            behind_tls_proxy: true,
            ..Access::default()
        }
    }

    #[test]
    fn loopback_is_open_anything_else_needs_a_password_and_a_tls_proxy() {
        assert!(check_listen("127.0.0.1:8080".parse().unwrap(), false, false).is_ok());
        assert!(check_listen("[::1]:8080".parse().unwrap(), false, false).is_ok());
        for addr in ["0.0.0.0:8080", "192.168.1.5:80"] {
            let addr: SocketAddr = addr.parse().unwrap();
            assert!(check_listen(addr, false, false).is_err());
            assert!(check_listen(addr, false, true).is_err());
            let err = check_listen(addr, true, false).unwrap_err().to_string();
            assert!(err.contains("--behind-tls-proxy"), "{err}");
            assert!(check_listen(addr, true, true).is_ok());
        }
    }

    #[test]
    fn new_hashes_are_argon2id_64_mib_3_passes_and_old_ones_still_verify() {
        let h = hash_password("hunter2").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=65536,t=3,p=1$"), "{h}");
        assert!(verify(&h, "hunter2") && !verify(&h, "hunter"));
        // What `hash-password` printed before: argon2's defaults, 19 MiB and 2 passes.
        let old = hash_password_with("hunter2", 19_456, 2).unwrap();
        assert!(old.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{old}");
        assert!(verify(&old, "hunter2") && !verify(&old, "hunter"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
        assert!(Auth::new(Some("not a hash".into()), Access::default()).is_err());
    }

    #[test]
    fn the_cookie_is_secure_and_host_prefixed_behind_a_tls_proxy_only() {
        let plain = Auth::new(Some(cheap("pw")), Access::default()).unwrap();
        assert_eq!(
            plain.session_cookie("t"),
            "bt_session=t; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict"
        );
        let tls = Auth::new(Some(cheap("pw")), behind_proxy()).unwrap();
        assert_eq!(
            tls.session_cookie("t"),
            "__Host-bt_session=t; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure"
        );
        assert_eq!(
            tls.clear_cookie(),
            "__Host-bt_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure"
        );
    }

    #[test]
    fn a_proxy_and_its_header_need_a_password_and_the_proxy() {
        assert!(
            Auth::new(None, behind_proxy()).is_err(),
            "proxy without password"
        );
        let header_only = Access {
            client_ip_header: Some("X-Forwarded-For".into()),
            ..Access::default()
        };
        let err = Auth::new(Some(cheap("pw")), header_only)
            .unwrap_err()
            .to_string();
        assert!(err.contains("only behind a TLS proxy"), "{err}");
        let bad_name = Access {
            client_ip_header: Some("X Forwarded".into()),
            ..behind_proxy()
        };
        assert!(Auth::new(Some(cheap("pw")), bad_name).is_err());
    }

    #[test]
    fn the_client_address_comes_from_the_trusted_header_only() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().unwrap());
        let peer: SocketAddr = "10.0.0.2:5555".parse().unwrap();
        let plain = Auth::new(Some(cheap("pw")), Access::default()).unwrap();
        assert_eq!(
            plain.client_ip(Some(peer), &headers),
            peer.ip(),
            "not trusted"
        );
        let trusting = Auth::new(
            Some(cheap("pw")),
            Access {
                client_ip_header: Some("X-Forwarded-For".into()),
                ..behind_proxy()
            },
        )
        .unwrap();
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(
            trusting.client_ip(Some(peer), &headers),
            client,
            "the proxy's entry"
        );
        assert_eq!(trusting.client_ip(Some(peer), &HeaderMap::new()), peer.ip());
        assert_eq!(
            forwarded_ip("[2001:db8::1]:443"),
            "2001:db8::1".parse().ok()
        );
        assert_eq!(forwarded_ip("198.51.100.4:80"), "198.51.100.4".parse().ok());
        assert_eq!(forwarded_ip("unknown"), None);
    }

    #[tokio::test]
    async fn sessions_end_when_idle_and_the_auto_refresh_is_not_use() {
        let auth = Auth::new(Some(cheap("pw")), Access::default()).unwrap();
        let Login::Ok(token) = auth.login("192.0.2.1".parse().unwrap(), "pw".into()).await else {
            panic!("login failed");
        };
        let mut headers = HeaderMap::new();
        headers.insert("cookie", format!("bt_session={token}").parse().unwrap());
        let start = Instant::now();
        let at = |mins: u64| start + Duration::from_secs(mins * 60);
        assert!(
            auth.session_at(&headers, at(29), true).is_some(),
            "used at 29 min"
        );
        assert!(
            auth.session_at(&headers, at(58), false).is_some(),
            "refresh at 58 min"
        );
        assert!(
            auth.session_at(&headers, at(60), false).is_none(),
            "31 min after the last use: ended, refreshes or not"
        );
        assert!(
            auth.session_at(&headers, at(61), true).is_none(),
            "and stays ended"
        );
    }
}
