//! The password rules: loopback only without one, and only behind a TLS proxy with one;
//! login, sessions (idle timeout, cookie flags), CSRF per session; the login limiter never
//! refuses the right password; `hash-password`.

use super::fixtures::*;
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::apps::dashboard::limiter::LoginDelays;
use binance_trader::apps::dashboard::{self, DashboardState};
use binance_trader::apps::trade::Mode;
use std::time::{Duration, Instant};

#[tokio::test]
async fn non_loopback_needs_a_password_and_bad_hashes_are_refused() {
    let store = MemoryStore::new();
    let (tx, _) = fake_bot();
    let open = DashboardState::new(store, tx.clone(), Mode::Paper, pair(), None).unwrap();
    assert!(open.check_listen("127.0.0.1:8080".parse().unwrap()).is_ok());
    let err = dashboard::spawn("0.0.0.0:0".parse().unwrap(), open)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("DASHBOARD_PASSWORD_HASH"), "{err}");
    let hash = quick_hash("correct horse");
    let locked = DashboardState::new(
        MemoryStore::new(),
        tx.clone(),
        Mode::Paper,
        pair(),
        Some(hash.clone()),
    )
    .unwrap();
    assert!(locked
        .check_listen("127.0.0.1:8080".parse().unwrap())
        .is_ok());
    // A password alone is not enough: it would cross the network in clear text.
    let err = dashboard::spawn("0.0.0.0:0".parse().unwrap(), locked)
        .await
        .err()
        .expect("refused without TLS");
    assert!(err.to_string().contains("--behind-tls-proxy"), "{err}");
    let proxied = DashboardState::new(
        MemoryStore::new(),
        tx.clone(),
        Mode::Paper,
        pair(),
        Some(hash),
    )
    .unwrap()
    .with_access(Access {
        behind_tls_proxy: true,
        ..Access::default()
    })
    .unwrap();
    assert!(proxied
        .check_listen("0.0.0.0:8080".parse().unwrap())
        .is_ok());
    assert!(DashboardState::new(
        MemoryStore::new(),
        tx,
        Mode::Paper,
        pair(),
        Some("plain".into())
    )
    .is_err());
}

#[tokio::test]
async fn with_a_password_everything_needs_a_login() {
    let hash = quick_hash("correct horse");
    let (running, got) = start(Mode::Testnet, Some(hash.clone())).await;
    let mut http = Http::new(&running);
    let a = http.get("/").await;
    assert_eq!((a.status, a.header("location").as_str()), (303, "/login"));
    for path in ["/orders/history", "/baskets/2"] {
        assert_eq!(http.get(path).await.status, 303, "{path}");
    }
    for path in [
        "/api/state",
        "/api/orders/history",
        "/api/baskets/2",
        "/fragment/live",
        "/metrics",
    ] {
        assert_eq!(http.get(path).await.status, 401, "{path}");
    }
    assert_eq!(http.get("/healthz").await.status, 200);
    assert_eq!(http.get("/assets/dashboard.css").await.status, 200);
    let login = http.get("/login").await;
    assert_eq!(login.status, 200);
    assert!(login.body.contains("data-mode=\"testnet\""));
    let login_token = login.csrf();
    // A POST without a session is refused before its CSRF token is even looked at.
    assert_eq!(
        http.post("/trading/close-all", &[("_csrf", &login_token)])
            .await
            .status,
        401
    );
    assert!(got.lock().unwrap().is_empty());

    assert_eq!(
        http.post("/login", &[("password", "correct horse")])
            .await
            .status,
        403,
        "login checks CSRF"
    );
    let wrong = http
        .post("/login", &[("_csrf", &login_token), ("password", "wrong")])
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Wrong password"));
    assert!(http.cookies.is_empty());
    let ok = http
        .post(
            "/login",
            &[("_csrf", &login_token), ("password", "correct horse")],
        )
        .await;
    assert_eq!((ok.status, ok.header("location").as_str()), (303, "/"));
    let set = ok.header("set-cookie");
    assert!(
        set.starts_with("bt_session=")
            && set.contains("HttpOnly")
            && set.contains("SameSite=Strict")
            && !set.contains("Secure"),
        "plain HTTP on loopback: no Secure, no __Host- prefix: {set}"
    );

    let page = http.get("/").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("$argon2"), "the hash is never rendered");
    assert_eq!(http.get("/api/state").await.status, 200);
    let token = page.csrf();
    assert_ne!(token, login_token, "each session has its own CSRF token");
    assert_eq!(
        http.post("/trading/close-all", &[("_csrf", &login_token)])
            .await
            .status,
        403
    );
    assert_eq!(
        http.post("/trading/close-all", &[("_csrf", &token)])
            .await
            .status,
        303
    );
    assert_eq!(*got.lock().unwrap(), vec!["close-all"]);

    assert_eq!(http.post("/logout", &[("_csrf", &token)]).await.status, 303);
    assert_eq!(http.get("/").await.status, 303, "logged out");
    running.stop().await;
}

/// Delays short enough for a test; the schedule itself is unit-tested in `limiter.rs`.
fn quick_delays(first_ms: u64, max_ms: u64) -> Access {
    Access {
        delays: LoginDelays {
            first: Duration::from_millis(first_ms),
            max: Duration::from_millis(max_ms),
        },
        ..Access::default()
    }
}

#[tokio::test]
async fn the_right_password_passes_after_many_wrong_ones_each_one_slower() {
    let access = quick_delays(20, 100);
    let (running, _) = start_with_access(
        Mode::Paper,
        Some(quick_hash("correct horse")),
        access.clone(),
    )
    .await;
    let mut http = Http::new(&running);
    let token = http.get("/login").await.csrf();
    let started = Instant::now();
    for _ in 0..10 {
        let wrong = http
            .post("/login", &[("_csrf", &token), ("password", "guess")])
            .await;
        assert_eq!(wrong.status, 401);
        assert!(wrong.body.contains("Wrong password."), "{}", wrong.body);
    }
    // Attempt k waited for the delay after k − 1 failures: 20 + 40 + 80 + 6 × 100 ms.
    let waited: Duration = (1..10).map(|k| access.delays.after(k)).sum();
    assert_eq!(waited, Duration::from_millis(740));
    assert!(
        started.elapsed() >= waited,
        "each wrong password slows the next attempt"
    );
    let ok = http
        .post(
            "/login",
            &[("_csrf", &token), ("password", "correct horse")],
        )
        .await;
    assert_eq!(
        ok.status, 303,
        "the right password is never locked out: {}",
        ok.body
    );
    assert_eq!(http.get("/").await.status, 200);
    running.stop().await;
}

#[tokio::test]
async fn behind_a_proxy_the_trusted_header_keeps_an_attacker_s_delays_their_own() {
    let hour = 3_600_000;
    let through_proxy = Access {
        behind_tls_proxy: true,
        client_ip_header: Some("X-Forwarded-For".into()),
        ..quick_delays(hour, hour)
    };
    let (running, _) = start_with_access(
        Mode::Paper,
        Some(quick_hash("correct horse")),
        through_proxy,
    )
    .await;
    let mut attacker = Http::new(&running);
    attacker
        .headers
        .push(("x-forwarded-for".into(), "198.51.100.66".into()));
    let token = attacker.get("/login").await.csrf();
    let wrong = attacker
        .post("/login", &[("_csrf", &token), ("password", "guess")])
        .await;
    assert_eq!(wrong.status, 401);
    // The attacker's next check would wait an hour; the owner, another client behind the
    // same proxy (same peer address), is checked at once.
    let mut owner = Http::new(&running);
    owner
        .headers
        .push(("x-forwarded-for".into(), "6.6.6.6, 203.0.113.5".into()));
    let ok = tokio::time::timeout(
        Duration::from_secs(120),
        owner.post(
            "/login",
            &[("_csrf", &token), ("password", "correct horse")],
        ),
    )
    .await
    .expect("the owner is not queued behind the attacker's delay");
    assert_eq!(ok.status, 303);
    let set = ok.header("set-cookie");
    assert!(set.starts_with("__Host-bt_session="), "{set}");
    for flag in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(flag), "cookie lacks {flag}: {set}");
    }
    assert!(
        !set.contains("Domain"),
        "a __Host- cookie has no Domain: {set}"
    );
    assert_eq!(
        owner.get("/").await.status,
        200,
        "the __Host- cookie is the session"
    );
    // The attacker's own next attempt does wait (here: longer than we look).
    let again = tokio::time::timeout(
        Duration::from_millis(500),
        attacker.post(
            "/login",
            &[("_csrf", &token), ("password", "correct horse")],
        ),
    )
    .await;
    assert!(
        again.is_err(),
        "the attacker's next check waits out the delay"
    );
    running.stop().await;
}

#[tokio::test]
async fn without_a_trusted_header_clients_behind_one_proxy_share_a_delay() {
    let hour = 3_600_000;
    let (running, _) = start_with_access(
        Mode::Paper,
        Some(quick_hash("correct horse")),
        Access {
            behind_tls_proxy: true,
            ..quick_delays(hour, hour)
        },
    )
    .await;
    let mut attacker = Http::new(&running);
    attacker
        .headers
        .push(("x-forwarded-for".into(), "198.51.100.66".into()));
    let token = attacker.get("/login").await.csrf();
    assert_eq!(
        attacker
            .post("/login", &[("_csrf", &token), ("password", "guess")])
            .await
            .status,
        401
    );
    let mut other = Http::new(&running);
    other
        .headers
        .push(("x-forwarded-for".into(), "203.0.113.5".into()));
    let waited = tokio::time::timeout(
        Duration::from_millis(500),
        other.post(
            "/login",
            &[("_csrf", &token), ("password", "correct horse")],
        ),
    )
    .await;
    assert!(
        waited.is_err(),
        "an untrusted header is ignored: same address, same wait"
    );
    running.stop().await;
}

#[tokio::test]
async fn an_unused_session_ends_and_the_page_s_auto_refresh_does_not_keep_it() {
    let idle = Duration::from_millis(400);
    let (running, _) = start_with_access(
        Mode::Paper,
        Some(quick_hash("correct horse")),
        Access {
            idle_timeout: idle,
            ..Access::default()
        },
    )
    .await;
    let mut http = Http::new(&running);
    let token = http.get("/login").await.csrf();
    let ok = http
        .post(
            "/login",
            &[("_csrf", &token), ("password", "correct horse")],
        )
        .await;
    assert_eq!(ok.status, 303);
    let logged_in = Instant::now();
    // Only the automatic refresh for longer than the idle timeout.
    while logged_in.elapsed() < idle * 2 {
        http.get("/fragment/live").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        http.get("/fragment/live").await.status,
        401,
        "the refresh is told to log in"
    );
    let page = http.get("/").await;
    assert_eq!(
        (page.status, page.header("location").as_str()),
        (303, "/login")
    );
    running.stop().await;
}

#[test]
fn hash_password_command_reads_stdin() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_binance-trader"))
        .arg("hash-password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"s3cret pass\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let phc = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(phc.starts_with("$argon2id$"), "{phc}");
    assert!(!phc.contains("s3cret"));
    assert!(DashboardState::new(
        MemoryStore::new(),
        tokio::sync::mpsc::channel(1).0,
        Mode::Paper,
        pair(),
        Some(phc)
    )
    .is_ok());
}

/// DNS rebinding: without a password only `localhost` and loopback addresses are answered.
#[tokio::test]
async fn without_a_password_only_loopback_host_names_are_answered() {
    let (running, got) = start(Mode::Paper, None).await;
    let url = format!("http://{}/api/state", running.addr);
    let http = reqwest::Client::new();
    let status = |host: &'static str| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            http.get(&url)
                .header("Host", host)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status("attacker.example").await, 421);
    assert_eq!(status("attacker.example:8080").await, 421);
    assert_eq!(status("localhost:8080").await, 200);
    assert_eq!(status("127.0.0.1").await, 200);
    assert_eq!(status("[::1]:8080").await, 200);
    let post = http
        .post(format!("http://{}/trading/close-all", running.addr))
        .header("Host", "attacker.example")
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(post.status().as_u16(), 421);
    assert!(got.lock().unwrap().is_empty(), "no command reached the bot");
    running.stop().await;
}
