//! `GET /` serves its shared parts rendered once per generation of the live state and
//! language (`.spec/dashboard.md`, "Rendered once"): a change shows on the next page that
//! reads the changed state, and what belongs to one visitor (CSRF token, flash message,
//! language, login) never reaches another.

use super::fixtures::*;
use binance_trader::adapters::store::SqlStore;
use binance_trader::apps::dashboard::view::LIVE_TTL;
use binance_trader::apps::dashboard::{self, DashboardState};
use binance_trader::apps::trade::Mode;
use binance_trader::core::order::Slot;
use binance_trader::ports::outbox::{ChannelKind, NewNotification, Outbox};
use binance_trader::ports::store::{EventLevel, Store};

fn notification(title: &str) -> NewNotification {
    NewNotification {
        channel: ChannelKind::Webhook,
        dedup_key: format!("test:{title}"),
        kind: "fill".into(),
        level: EventLevel::Info,
        title: title.into(),
        body: String::new(),
        event_ms: 1_700_000_000_000,
    }
}

/// The summary's realised P&L as the page shows it.
fn realised(page: &str) -> &str {
    let at = page.find("data-field=\"realised\"").expect("the summary");
    let rest = &page[at..];
    let start = rest.find('>').unwrap() + 1;
    &rest[start..start + rest[start..].find('<').unwrap()]
}

#[tokio::test]
async fn a_change_shows_on_the_next_page_in_every_language() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(dir.path().join("d.sqlite").to_str().unwrap())
        .await
        .unwrap();
    seed(&store).await;
    let (tx, _got) = fake_bot();
    let state = DashboardState::new(store, tx, Mode::Paper, pair(), None).unwrap();
    let running = dashboard::spawn("127.0.0.1:0".parse().unwrap(), state.clone())
        .await
        .unwrap();
    let mut en = Http::new(&running);
    let mut de = Http::new(&running);
    de.headers.push(("accept-language".into(), "de".into()));
    for _ in 0..2 {
        assert_eq!(realised(&en.get("/").await.body), "+4.79");
        assert_eq!(realised(&de.get("/").await.body), "+4,79");
    }
    assert!(!en.get("/").await.body.contains("probe one"));

    // Basket 2 sells 2 more at 5: +2 realised. And a notification is queued.
    let sell = fill(2, 9, Slot::Tp2, "5", "2", "0", "USDT");
    assert!(state.store().insert_fill(&sell).await.unwrap());
    state
        .store()
        .enqueue(&[notification("probe one")], None, 1)
        .await
        .unwrap();
    // The live state is read again once LIVE_TTL has passed.
    tokio::time::sleep(LIVE_TTL).await;
    let page = en.get("/").await.body;
    assert_eq!(realised(&page), "+6.79");
    assert!(
        page.contains("probe one"),
        "the deliveries list follows too"
    );
    assert_eq!(realised(&de.get("/").await.body), "+6,79");
    assert_eq!(realised(&en.get("/fragment/live").await.body), "+6.79");

    // An operator action drops the shared state at once: no wait for the next read.
    let sell = fill(2, 10, Slot::Tp2, "5", "1", "0", "USDT");
    assert!(state.store().insert_fill(&sell).await.unwrap());
    let token = en.get("/").await.csrf();
    assert_eq!(
        en.post("/baskets/2/pause", &[("_csrf", &token)])
            .await
            .status,
        303
    );
    assert_eq!(realised(&de.get("/").await.body), "+7,79");
    assert_eq!(realised(&en.get("/").await.body), "+7.79");
    running.stop().await;
}

/// Logs `http` in with the password `correct horse`.
async fn log_in(http: &mut Http) {
    let token = http.get("/login").await.csrf();
    let ok = http
        .post(
            "/login",
            &[("_csrf", &token), ("password", "correct horse")],
        )
        .await;
    assert_eq!(ok.status, 303);
}

#[tokio::test]
async fn what_belongs_to_one_visitor_is_never_served_to_another() {
    let (running, got) = start(Mode::Paper, Some(quick_hash("correct horse"))).await;
    let (mut alice, mut bob) = (Http::new(&running), Http::new(&running));
    log_in(&mut alice).await;
    log_in(&mut bob).await;
    alice.get("/lang/de").await;
    let (a, b) = (alice.get("/").await, bob.get("/").await);
    let (a_token, b_token) = (a.csrf(), b.csrf());
    assert_ne!(a_token, b_token, "each session has its own CSRF token");
    assert!(a.body.contains("<html lang=\"de\">") && b.body.contains("<html lang=\"en\">"));
    assert!(a.body.contains("Realisierter G/V") && !b.body.contains("Realisierter G/V"));

    // Alice pauses a basket: the receipt is hers alone.
    assert_eq!(
        alice
            .post("/baskets/2/pause", &[("_csrf", &a_token)])
            .await
            .status,
        303
    );
    let (a, b) = (alice.get("/").await, bob.get("/").await);
    assert!(a.body.contains("id=\"flash\""), "Alice sees her receipt");
    assert!(!b.body.contains("id=\"flash\""), "Bob does not");
    assert_eq!(b.csrf(), b_token);
    // Bob's page carries Bob's token, which works for Bob and for nobody else.
    assert_eq!(
        alice
            .post("/baskets/3/resume", &[("_csrf", &b_token)])
            .await
            .status,
        403
    );
    assert_eq!(
        bob.post("/baskets/3/resume", &[("_csrf", &b_token)])
            .await
            .status,
        303
    );
    assert_eq!(*got.lock().unwrap(), vec!["pause 2", "resume 3"]);
    running.stop().await;
}
