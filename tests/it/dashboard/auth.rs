//! The password rules: loopback only without one; login, sessions, CSRF per session, rate
//! limit; `hash-password`.

use super::fixtures::*;
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::apps::dashboard::{self, auth, DashboardState};
use binance_trader::apps::trade::Mode;

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
    let hash = auth::hash_password("correct horse").unwrap();
    let locked = DashboardState::new(
        MemoryStore::new(),
        tx.clone(),
        Mode::Paper,
        pair(),
        Some(hash),
    )
    .unwrap();
    assert!(locked.check_listen("0.0.0.0:8080".parse().unwrap()).is_ok());
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
    let hash = auth::hash_password("correct horse").unwrap();
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
            && set.contains("SameSite=Strict"),
        "{set}"
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

#[tokio::test]
async fn failed_logins_are_rate_limited() {
    let hash = auth::hash_password("correct horse").unwrap();
    let (running, _) = start(Mode::Paper, Some(hash)).await;
    let mut http = Http::new(&running);
    let token = http.get("/login").await.csrf();
    for _ in 0..auth::MAX_FAILURES {
        assert_eq!(
            http.post("/login", &[("_csrf", &token), ("password", "guess")])
                .await
                .status,
            401
        );
    }
    let limited = http
        .post(
            "/login",
            &[("_csrf", &token), ("password", "correct horse")],
        )
        .await;
    assert_eq!(limited.status, 429, "even the right password waits");
    assert!(limited.header("retry-after").parse::<u64>().unwrap() > 0);
    assert!(http.cookies.is_empty());
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
