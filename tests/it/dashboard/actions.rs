//! Acting: CSRF on every POST, close-all / pause / resume through the bot's command channel,
//! flash messages, and the books following new fills and snapshots.

use super::dec_of;
use super::fixtures::*;
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::apps::dashboard::view::LIVE_TTL;
use binance_trader::apps::dashboard::{self, DashboardState};
use binance_trader::apps::trade::Mode;
use binance_trader::core::order::Slot;
use binance_trader::ports::store::Store;

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
    // The live view is shared for LIVE_TTL; the next refresh sees the new fill.
    tokio::time::sleep(LIVE_TTL).await;
    let j = http.get("/api/state").await.json();
    assert_eq!(dec_of(&j["summary"]["realised"]), d("6.793"));
    assert_eq!(j["summary"]["trades"], 4);
    assert_eq!(dec_of(&j["baskets"][1]["position"]), d("5"));
    assert_eq!(j["equity"].as_array().unwrap().len(), 3);
    // A newer snapshot extends the (cached) equity curve and moves the price.
    let mut newer = snapshot(4_000, "1010");
    newer.price = binance_trader::core::money::Price::new(d("5"));
    state.store().insert_snapshot(&newer).await.unwrap();
    tokio::time::sleep(LIVE_TTL).await;
    let j = http.get("/api/state").await.json();
    assert_eq!(j["equity"].as_array().unwrap().len(), 4);
    assert_eq!(dec_of(&j["equity"][3]["value"]), d("1010"));
    assert_eq!(dec_of(&j["last_price"]), d("5"));
    // Basket 2 now holds 5 for 20: 5 × 5 − 20 = +5.
    assert_eq!(dec_of(&j["summary"]["unrealised"]), d("5"));
    running.stop().await;
}
