//! The dashboard over HTTP on loopback: every route, P&L against hand-computed values (see
//! `dashboard_fixtures.rs`), pagination and filters, CSRF, the password rules, the banner.

#[path = "dashboard_fixtures.rs"]
mod fixtures;

use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::apps::dashboard::{self, auth, DashboardState};
use binance_trader::apps::trade::Mode;
use binance_trader::core::order::Slot;
use binance_trader::ports::store::Store;
use fixtures::*;
use serde_json::Value;

fn dec_of(v: &Value) -> rust_decimal::Decimal {
    d(v.as_str()
        .unwrap_or_else(|| panic!("a decimal string, got {v}")))
}

#[tokio::test]
async fn api_state_has_the_hand_computed_pnl() {
    let (running, _) = start(Mode::Paper, None).await;
    let mut http = Http::new(&running);
    let a = http.get("/api/state").await;
    assert_eq!(a.status, 200);
    let j = a.json();
    let s = &j["summary"];
    assert_eq!(dec_of(&s["realised"]), d("4.793"));
    assert_eq!(dec_of(&s["unrealised"]), d("3.5"));
    assert_eq!(dec_of(&s["combined"]), d("8.293"));
    assert_eq!(dec_of(&s["budget"]), d("1000"));
    assert_eq!(dec_of(&s["roi_pct"]), d("0.8293"));
    assert_eq!(s["trades"], 3);
    assert_eq!(s["wins"], 2);
    assert_eq!(s["losses"], 1);
    assert_eq!(dec_of(&s["win_rate_pct"]), d("66.6667"));
    assert_eq!(dec_of(&s["avg_win"]), d("3.94"));
    assert_eq!(dec_of(&s["avg_loss"]), d("-3.087"));
    assert_eq!(dec_of(&j["last_price"]), d("4.5"));
    assert_eq!(j["mode"], "paper");

    let orders = j["open_orders"].as_array().unwrap();
    let ids: Vec<&str> = orders
        .iter()
        .map(|o| o["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            client_id(2, Slot::Buy(3)).to_string(),
            client_id(2, Slot::Tp2).to_string()
        ],
        "only NEW and PARTIALLY_FILLED orders"
    );
    // B3 bought 2 at 3, now 4.5: +3.0; the TP has no unrealised P&L.
    assert_eq!(dec_of(&orders[0]["unrealised"]), d("3"));
    assert!(orders[1]["unrealised"].is_null());

    let baskets = j["baskets"].as_array().unwrap();
    assert_eq!(
        baskets
            .iter()
            .map(|b| b["id"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![3, 2]
    );
    let b2 = &baskets[1];
    assert_eq!(b2["levels_filled"], 3);
    assert_eq!(dec_of(&b2["vwap"]), d("4"));
    assert_eq!(dec_of(&b2["position"]), d("7"));
    assert_eq!(dec_of(&b2["realised"]), d("2.975"));
    assert_eq!(dec_of(&b2["unrealised"]), d("3.5"));
    assert_eq!(b2["next_tp"], serde_json::json!([["TP2", "4.8"]]));
    assert_eq!(baskets[0]["status"], "error");
    assert_eq!(j["equity"].as_array().unwrap().len(), 3);
    assert_eq!(j["balances"].as_array().unwrap().len(), 2);
    running.stop().await;
}

#[tokio::test]
async fn index_page_renders_tables_summary_controls_and_chart() {
    let (running, _) = start(Mode::Paper, None).await;
    let mut http = Http::new(&running);
    let a = http.get("/").await;
    assert_eq!(a.status, 200);
    assert!(a.header("content-type").starts_with("text/html"));
    assert!(a
        .header("content-security-policy")
        .contains("default-src 'none'"));
    assert_eq!(a.header("x-frame-options"), "DENY");
    let b = &a.body;
    for needle in [
        "data-field=\"realised\" class=\"value text-emerald-600 dark:text-emerald-400\">+4.79<",
        ">+3.50<",
        ">+8.29<",
        ">0.83%<",
        ">66.67%<",
        ">+3.94<",
        ">-3.09<",
        &format!("data-client-id=\"{}\"", client_id(2, Slot::Buy(3))),
        &format!("data-client-id=\"{}\"", client_id(2, Slot::Tp2)),
        "id=\"close-all\"",
        "id=\"close-all-modal\"",
        "id=\"close-all-confirm\"",
        "action=\"/trading/close-all\"",
        "id=\"pause-2\"",
        "id=\"resume-3\"",
        "id=\"equity-chart\"",
        "<polyline class=\"equity-line\"",
        "data-refresh=\"/fragment/live\"",
        "data-mode=\"paper\"",
        "PAPER TRADING",
        "/assets/dashboard.css",
        "/assets/dashboard.js",
    ] {
        assert!(b.contains(needle), "missing {needle}");
    }
    assert!(
        !b.contains(&client_id(2, Slot::Buy(4)).to_string()),
        "cancelled orders are not open"
    );
    assert!(!b.contains("<script>"), "no inline script (CSP)");

    let live = http.get("/fragment/live").await;
    assert_eq!(live.status, 200);
    assert!(live.body.contains("id=\"open-orders\"") && !live.body.contains("<html"));
    assert!(live
        .body
        .contains(&format!("data-client-id=\"{}\"", client_id(2, Slot::Tp2))));

    let css = http.get("/assets/dashboard.css").await;
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").starts_with("text/css"));
    assert!(css.body.contains(".bg-red-700") && css.body.contains("prefers-color-scheme"));
    let js = http.get("/assets/dashboard.js").await;
    assert!(js.header("content-type").starts_with("text/javascript"));
    assert!(js.body.contains("close-all") || js.body.contains("data-open"));
    running.stop().await;
}

#[tokio::test]
async fn health_and_metrics() {
    let (running, _) = start(Mode::Paper, None).await;
    let mut http = Http::new(&running);
    let h = http.get("/healthz").await;
    assert_eq!((h.status, h.body.as_str()), (200, "ok"));
    let m = http.get("/metrics").await;
    assert_eq!(m.status, 200);
    for name in [
        "bot_cycle_seconds_bucket",
        "bot_orders_placed_total 0",
        "bot_orders_cancelled_total 0",
        "bot_api_weight_used 0",
        "bot_errors_total 0",
    ] {
        assert!(m.body.contains(name), "missing {name} in\n{}", m.body);
    }
    running.stop().await;
}

#[tokio::test]
async fn history_paginates_filters_and_shows_realised_pnl_per_sell() {
    let (running, _) = start(Mode::Paper, None).await;
    let mut http = Http::new(&running);
    let trades = |j: &Value| -> Vec<u64> {
        j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["trade_id"].as_u64().unwrap())
            .collect()
    };
    let p1 = http.get("/api/orders/history?per_page=3").await.json();
    assert_eq!(
        (p1["total"].as_u64(), p1["pages"].as_u64()),
        (Some(8), Some(3))
    );
    assert_eq!(trades(&p1), vec![8, 7, 6], "newest first");
    let p3 = http
        .get("/api/orders/history?per_page=3&page=3")
        .await
        .json();
    assert_eq!(trades(&p3), vec![2, 1]);
    let sells = http
        .get("/api/orders/history?basket=1&side=sell")
        .await
        .json();
    assert_eq!(trades(&sells), vec![4, 3]);
    let pnl: Vec<_> = sells["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| dec_of(&r["realised"]))
        .collect();
    assert_eq!(pnl, vec![d("-3.087"), d("4.905")]);
    let buys = http
        .get("/api/orders/history?side=buy&basket=")
        .await
        .json();
    assert_eq!(trades(&buys), vec![8, 6, 5, 2, 1]);
    assert!(buys["rows"][0]["realised"].is_null());
    assert_eq!(
        http.get("/api/orders/history?side=sideways").await.status,
        400
    );
    assert_eq!(http.get("/orders/history?basket=x").await.status, 400);

    let page = http
        .get("/orders/history?per_page=3&page=2&side=&basket=")
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("8 fill(s), page 2 of 3"));
    assert!(
        page.body.contains("data-trade-id=\"5\"") && !page.body.contains("data-trade-id=\"8\"")
    );
    assert!(page
        .body
        .contains("rel=\"prev\" href=\"/orders/history?page=1&#38;per_page=3"));
    assert!(page
        .body
        .contains("rel=\"next\" href=\"/orders/history?page=3&#38;per_page=3"));
    let sells = http.get("/orders/history?basket=1&side=sell").await;
    assert!(sells.body.contains(">-3.09<") && sells.body.contains(">+4.91<"));
    running.stop().await;
}

#[tokio::test]
async fn basket_page_shows_levels_orders_fills_and_pnl() {
    let (running, _) = start(Mode::Paper, None).await;
    let mut http = Http::new(&running);
    let j = http.get("/api/baskets/2").await.json();
    assert_eq!(j["status"], "active");
    let levels: Vec<(String, rust_decimal::Decimal, rust_decimal::Decimal)> = j["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["slot"].as_str().unwrap().to_string(),
                dec_of(&l["avg_price"]),
                dec_of(&l["unrealised"]),
            )
        })
        .collect();
    // (4.5 − 5) × 4 = −2; (4.5 − 4) × 6 = +3; (4.5 − 3) × 2 = +3.
    assert_eq!(
        levels,
        vec![
            ("B1".into(), d("5"), d("-2")),
            ("B2".into(), d("4"), d("3")),
            ("B3".into(), d("3"), d("3"))
        ]
    );
    assert_eq!(j["orders"].as_array().unwrap().len(), 3);
    assert_eq!(j["fills"].as_array().unwrap().len(), 4);
    assert_eq!(dec_of(&j["fills"][2]["realised"]), d("2.975"));
    assert_eq!(dec_of(&j["basket"]["realised"]), d("2.975"));

    let closed = http.get("/api/baskets/1").await.json();
    assert_eq!(closed["status"], "closed");
    assert_eq!(dec_of(&closed["basket"]["realised"]), d("1.818"));
    assert_eq!(dec_of(&closed["basket"]["unrealised"]), d("0"));

    let page = http.get("/baskets/2").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Basket #2") && page.body.contains("data-slot=\"B3\""));
    assert!(page.body.contains(&format!(
        "data-client-id=\"{}\"",
        client_id(2, Slot::Buy(4))
    )));
    assert_eq!(http.get("/baskets/99").await.status, 404);
    assert_eq!(http.get("/api/baskets/99").await.status, 404);
    running.stop().await;
}

#[tokio::test]
async fn close_all_needs_the_csrf_token_and_flashes_the_report_once() {
    let (running, got) = start(Mode::Paper, None).await;
    let mut http = Http::new(&running);
    assert_eq!(http.post("/trading/close-all", &[]).await.status, 403);
    assert_eq!(
        http.post("/trading/close-all", &[("_csrf", "forged")])
            .await
            .status,
        403
    );
    assert!(got.lock().unwrap().is_empty(), "nothing reached the bot");

    let token = http.get("/").await.csrf();
    let a = http.post("/trading/close-all", &[("_csrf", &token)]).await;
    assert_eq!(a.status, 303);
    assert_eq!(a.header("location"), "/");
    assert_eq!(*got.lock().unwrap(), vec!["close-all".to_string()]);
    let set = a.header("set-cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
    let page = http.get("/").await;
    let flash = "closed 2 basket(s): cancelled 2 order(s), placed 1 exit sell(s)";
    assert!(page.body.contains("id=\"flash\""), "flash shown");
    assert!(page.body.contains(flash));
    assert!(page
        .body
        .contains(&format!("{}: sell 7 at 4.365", client_id(2, Slot::Exit))));
    assert!(
        !http.get("/").await.body.contains("id=\"flash\""),
        "shown once"
    );
    running.stop().await;
}

#[tokio::test]
async fn pause_and_resume_go_to_the_bot_with_csrf() {
    let (running, got) = start(Mode::Paper, None).await;
    let mut http = Http::new(&running);
    assert_eq!(
        http.post("/baskets/2/pause", &[("_csrf", "nope")])
            .await
            .status,
        403
    );
    let token = http.get("/").await.csrf();
    assert_eq!(
        http.post("/baskets/2/pause", &[("_csrf", &token)])
            .await
            .status,
        303
    );
    assert!(http.get("/").await.body.contains("basket 2 paused"));
    assert_eq!(
        http.post("/baskets/3/resume", &[("_csrf", &token)])
            .await
            .status,
        303
    );
    assert!(http.get("/").await.body.contains("basket 3 resumed"));
    http.post("/baskets/9/pause", &[("_csrf", &token)]).await;
    let page = http.get("/").await;
    assert!(page.body.contains("data-error=\"true\""));
    assert!(page
        .body
        .contains("basket 9 not paused: basket 9 is closed, not active"));
    assert_eq!(*got.lock().unwrap(), vec!["pause 2", "resume 3", "pause 9"]);
    running.stop().await;
}

#[tokio::test]
async fn a_stopped_bot_is_reported_not_hidden() {
    let store = MemoryStore::new();
    seed(&store).await;
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    drop(rx);
    let state = DashboardState::new(store, tx, Mode::Paper, pair(), None).unwrap();
    let running = dashboard::spawn("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap();
    let mut http = Http::new(&running);
    let token = http.get("/").await.csrf();
    http.post("/trading/close-all", &[("_csrf", &token)]).await;
    let page = http.get("/").await;
    assert!(page
        .body
        .contains("emergency close failed: the bot is not running"));
    running.stop().await;
}

#[tokio::test]
async fn new_fills_and_snapshots_show_up_without_restart() {
    let store = MemoryStore::new();
    seed(&store).await;
    let (tx, _got) = fake_bot();
    let state = DashboardState::new(store, tx, Mode::Paper, pair(), None).unwrap();
    let running = dashboard::spawn("127.0.0.1:0".parse().unwrap(), state.clone())
        .await
        .unwrap();
    let mut http = Http::new(&running);
    assert_eq!(
        dec_of(&http.get("/api/state").await.json()["summary"]["realised"]),
        d("4.793")
    );
    // Basket 2 sells 2 more at 5 (fee 0): 10 − 2 × 4 = +2.
    let sell = fill(2, 9, Slot::Tp2, "5", "2", "0", "USDT");
    assert!(state.store().insert_fill(&sell).await.unwrap());
    let j = http.get("/api/state").await.json();
    assert_eq!(dec_of(&j["summary"]["realised"]), d("6.793"));
    assert_eq!(j["summary"]["trades"], 4);
    assert_eq!(dec_of(&j["baskets"][1]["position"]), d("5"));
    assert_eq!(j["equity"].as_array().unwrap().len(), 3);
    // A newer snapshot extends the (cached) equity curve and moves the price.
    let mut newer = snapshot(4_000, "1010");
    newer.price = binance_trader::core::money::Price::new(d("5"));
    state.store().insert_snapshot(&newer).await.unwrap();
    let j = http.get("/api/state").await.json();
    assert_eq!(j["equity"].as_array().unwrap().len(), 4);
    assert_eq!(dec_of(&j["equity"][3]["value"]), d("1010"));
    assert_eq!(dec_of(&j["last_price"]), d("5"));
    // Basket 2 now holds 5 for 20: 5 × 5 − 20 = +5.
    assert_eq!(dec_of(&j["summary"]["unrealised"]), d("5"));
    running.stop().await;
}

#[tokio::test]
async fn banner_is_unmistakable_per_mode() {
    for (mode, key, text, class) in [
        (Mode::Paper, "paper", "PAPER TRADING", "bg-sky-600"),
        (Mode::Testnet, "testnet", "TESTNET", "bg-amber-400"),
        (
            Mode::Mainnet,
            "mainnet",
            "LIVE MAINNET — REAL MONEY",
            "bg-red-700",
        ),
    ] {
        let (running, _) = start(mode, None).await;
        let mut http = Http::new(&running);
        for path in ["/", "/orders/history", "/baskets/1"] {
            let body = http.get(path).await.body;
            let banner = body
                .split("id=\"mode-banner\"")
                .nth(1)
                .expect("a banner")
                .split("</div>")
                .next()
                .unwrap()
                .to_string();
            assert!(
                banner.contains(&format!("data-mode=\"{key}\"")),
                "{path}: {banner}"
            );
            assert!(
                banner.contains(text) && banner.contains(class),
                "{path}: {banner}"
            );
        }
        let mainnet_warning = http.get("/").await.body.contains("This is LIVE MAINNET");
        assert_eq!(mainnet_warning, mode == Mode::Mainnet);
        running.stop().await;
    }
}

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

/// Rough latency of `/` over a SQLite journal with many orders and fills (run by hand:
/// `cargo test --test it dashboard::latency -- --ignored --nocapture`; the load benchmark
/// proper is separate).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow; prints timings"]
async fn latency_of_index_with_a_big_journal() {
    use binance_trader::adapters::store::SqlStore;
    let baskets: u32 = 1_000;
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(dir.path().join("big.sqlite").to_str().unwrap())
        .await
        .unwrap();
    let t = std::time::Instant::now();
    seed_bulk(&store, baskets, 20, 10).await;
    eprintln!(
        "seeded {} orders, {} fills in {:?}",
        baskets * 20,
        baskets * 10,
        t.elapsed()
    );
    let (tx, _) = fake_bot();
    let state = DashboardState::new(store, tx, Mode::Paper, pair(), None).unwrap();
    let running = dashboard::spawn("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap();
    let mut http = Http::new(&running);
    let t = std::time::Instant::now();
    assert_eq!(http.get("/").await.status, 200);
    eprintln!("first / (books replayed): {:?}", t.elapsed());
    let mut times = Vec::new();
    for _ in 0..200 {
        let t = std::time::Instant::now();
        assert_eq!(http.get("/").await.status, 200);
        times.push(t.elapsed());
    }
    times.sort();
    eprintln!("/ warm: p50 {:?} p99 {:?}", times[100], times[197]);
    // 16 clients at once: no request waits for another's store reads.
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let mut http = Http::new(&running);
            tokio::spawn(async move {
                let mut times = Vec::new();
                for _ in 0..25 {
                    let t = std::time::Instant::now();
                    assert_eq!(http.get("/").await.status, 200);
                    times.push(t.elapsed());
                }
                times
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    eprintln!(
        "/ x16 concurrent: {:.0} req/s, p50 {:?} p99 {:?}",
        all.len() as f64 / started.elapsed().as_secs_f64(),
        all[all.len() / 2],
        all[all.len() * 99 / 100]
    );
    running.stop().await;
}

/// The real thing: bot and dashboard on one SQLite journal, the bot trading the simulated
/// exchange; Close all over HTTP cancels the open orders and sells the position.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_all_over_http_closes_a_running_bots_basket() {
    use crate::harness::{client, fil_strategy, start_sim, wave_candles};
    use binance_trader::adapters::store::SqlStore;
    use binance_trader::apps::bot::{runner, Bot, BotSettings};
    let sim = start_sim(wave_candles(1)).await;
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(dir.path().join("bot.sqlite").to_str().unwrap())
        .await
        .unwrap();
    let mut settings = BotSettings::new(fil_strategy());
    settings.intent_grace_ms = 0;
    settings.interval = std::time::Duration::from_millis(20);
    let mut bot = Bot::new(client(&sim.base), store.clone(), settings)
        .await
        .unwrap();
    // Into the slide: some buys filled, others resting.
    for _ in 0..6 {
        while !bot.step().await.unwrap().quiescent() {}
        sim.server.step(1);
    }
    while !bot.step().await.unwrap().quiescent() {}
    let (commands, command_rx) = tokio::sync::mpsc::channel(4);
    let state = DashboardState::new(
        store,
        commands,
        Mode::Paper,
        dashboard::Pair::from_rules(bot.rules()),
        None,
    )
    .unwrap()
    .with_metrics(bot.metrics().clone());
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let runner =
        tokio::spawn(async move { runner::run_with_commands(&mut bot, stop_rx, command_rx).await });
    let running = dashboard::spawn("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap();
    let mut http = Http::new(&running);

    let before = http.get("/api/state").await.json();
    let open = before["open_orders"].as_array().unwrap().len();
    assert!(open > 0, "{before}");
    assert_eq!(before["baskets"].as_array().unwrap().len(), 1);
    assert!(
        dec_of(&before["baskets"][0]["position"]) > d("0"),
        "some buys filled"
    );
    let metrics = http.get("/metrics").await.body;
    assert!(
        !metrics.contains("bot_orders_placed_total 0\n"),
        "{metrics}"
    );

    let token = http.get("/").await.csrf();
    assert_eq!(
        http.post("/trading/close-all", &[("_csrf", &token)])
            .await
            .status,
        303
    );
    let page = http.get("/").await.body;
    let expected = format!("closed 1 basket(s): cancelled {open} order(s), placed 1 exit sell(s)");
    assert!(
        page.contains(&expected),
        "flash: {}",
        page.split("id=\"flash\"").nth(1).unwrap_or("none")
    );
    let after = http.get("/api/state").await.json();
    assert!(after["baskets"].as_array().unwrap().is_empty(), "{after}");
    assert!(
        after["open_orders"].as_array().unwrap().is_empty(),
        "the exit filled: {after}"
    );

    stop.send(true).unwrap();
    runner.await.unwrap().unwrap();
    running.stop().await;
}
