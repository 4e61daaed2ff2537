//! Notifications end to end against receivers on loopback (`.spec/notifications.md`): the
//! outbox contract on both stores, each channel's message content, rate limiting and
//! batching, retries after a failure, no secret in any message, and no duplicate after a
//! SIGKILL in the middle of a delivery.

pub(crate) mod receivers;

use crate::store::fixtures::{event, TestDb, PG_SKIPPED};
use binance_trader::adapters::store::SqlStore;
use binance_trader::apps::dashboard::ledger::Pairs;
use binance_trader::apps::notify::compose::Origin;
use binance_trader::apps::notify::config::NotifySection;
use binance_trader::apps::notify::source::EVENT_CURSOR_KEY;
use binance_trader::apps::notify::Notifier;
use binance_trader::core::symbol::{Asset, Symbol};
use binance_trader::ports::outbox::{ChannelKind, NewNotification, Outbox, OutboxState};
use binance_trader::ports::store::{EventLevel, Store};
use receivers::{HttpReceiver, SmtpReceiver};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const TOKEN: &str = "123456:TOKENs3cretTOKEN";
const SMTP_PASSWORD: &str = "smtpPASSs3cret";
const BEARER: &str = "bearerS3CRET";

fn item(channel: ChannelKind, key: &str) -> NewNotification {
    NewNotification {
        channel,
        dedup_key: key.into(),
        kind: "fill".into(),
        level: EventLevel::Info,
        title: format!("title {key}"),
        body: "body".into(),
        event_ms: 1_000,
    }
}

/// The outbox contract, on one store.
async fn outbox_contract(s: &SqlStore) {
    let t = ChannelKind::Telegram;
    let w = ChannelKind::Webhook;
    // Queued once per (channel, key), with the cursor in the same transaction.
    let added = s
        .enqueue(
            &[item(t, "event:1"), item(w, "event:1"), item(t, "event:2")],
            Some((EVENT_CURSOR_KEY, 2)),
            100,
        )
        .await
        .unwrap();
    assert_eq!(added, 3);
    assert_eq!(
        s.enqueue(&[item(t, "event:1")], None, 101).await.unwrap(),
        0
    );
    assert_eq!(
        s.config_value(EVENT_CURSOR_KEY).await.unwrap().as_deref(),
        Some("2")
    );
    // A claim hands each row out once.
    let first = s.claim(t, 100, 5_000, 1).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].item.dedup_key, "event:1");
    let second = s.claim(t, 100, 5_000, 10).await.unwrap();
    assert_eq!(
        second
            .iter()
            .map(|n| n.item.dedup_key.as_str())
            .collect::<Vec<_>>(),
        ["event:2"]
    );
    assert!(s.claim(t, 100, 5_000, 10).await.unwrap().is_empty());
    // Sent is final and idempotent; a release comes due later and counts the attempt.
    s.mark_sent(&[first[0].id], 200).await.unwrap();
    s.mark_sent(&[first[0].id], 300).await.unwrap();
    s.release(&[second[0].id], 10_000, true, Some("HTTP 500"))
        .await
        .unwrap();
    assert!(
        s.claim(t, 9_999, 20_000, 10).await.unwrap().is_empty(),
        "not due yet"
    );
    let again = s.claim(t, 10_000, 20_000, 10).await.unwrap();
    assert_eq!(again[0].attempts, 1);
    assert_eq!(again[0].last_error.as_deref(), Some("HTTP 500"));
    // A claim whose lease ended is found; giving up ends it.
    assert!(s.expired_claims(19_999).await.unwrap().is_empty());
    assert_eq!(s.expired_claims(20_001).await.unwrap().len(), 1);
    s.give_up(&[again[0].id], OutboxState::Unknown, "died")
        .await
        .unwrap();
    let rows = s.deliveries(10).await.unwrap();
    let state = |key: &str, ch| {
        rows.iter()
            .find(|n| n.item.dedup_key == key && n.item.channel == ch)
            .map(|n| (n.state, n.sent_ms))
            .unwrap()
    };
    assert_eq!(state("event:1", t), (OutboxState::Sent, Some(200)));
    assert_eq!(state("event:2", t).0, OutboxState::Unknown);
    assert_eq!(state("event:1", w).0, OutboxState::Pending);
    assert_eq!(Store::notification_deliveries(s, 2).await.unwrap().len(), 2);
    // The source's reads: events by id, the snapshot at a time.
    assert_eq!(s.last_event_id().await.unwrap(), 0);
    for t in [10, 20, 30] {
        s.append_event(&event(t, None, EventLevel::Info, "fill"))
            .await
            .unwrap();
    }
    let after = s.events_after(1, 10).await.unwrap();
    assert_eq!(
        after.iter().map(|(_, e)| e.time_ms).collect::<Vec<_>>(),
        [20, 30]
    );
    assert_eq!(s.last_event_id().await.unwrap(), after[1].0);
    s.insert_snapshot(&crate::store::fixtures::snapshot(1_000))
        .await
        .unwrap();
    s.insert_snapshot(&crate::store::fixtures::snapshot(2_000))
        .await
        .unwrap();
    assert_eq!(s.snapshot_at(1_999).await.unwrap().unwrap().time_ms, 1_000);
    assert!(s.snapshot_at(999).await.unwrap().is_none());
}

#[tokio::test]
async fn sqlite_outbox_contract() {
    let db = TestDb::sqlite().await;
    outbox_contract(&db.store).await;
}

#[tokio::test]
async fn postgres_outbox_contract() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("{PG_SKIPPED}");
        return;
    };
    outbox_contract(&db.store).await;
    db.cleanup().await;
}

fn env(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<&str, String> = pairs.into_iter().collect();
    move |k| map.get(k).cloned()
}

fn origin() -> Origin {
    Origin {
        mode: "PAPER",
        symbol: "FILUSDT".into(),
    }
}

async fn start(db: &TestDb, section: &str, vars: Vec<(&'static str, String)>) -> Notifier {
    let section: NotifySection = toml::from_str(section).unwrap();
    let channels = section.channels(&env(vars)).unwrap();
    Notifier::start(
        db.store.clone(),
        channels,
        origin(),
        Pairs::one(
            Symbol::parse("FILUSDT").unwrap(),
            Asset::parse("FIL").unwrap(),
            Asset::parse("USDT").unwrap(),
        ),
        Duration::from_secs(2),
    )
    .await
    .unwrap()
    .unwrap()
}

async fn fill(db: &TestDb, n: i64) {
    let mut e = event(1_770_076_800_000 + n, Some(1), EventLevel::Info, "fill");
    e.message = format!("B{n} BUY 2 at 3.1 (gb1-B{n}-1)");
    db.store.append_event(&e).await.unwrap();
}

async fn wait_outbox(
    db: &TestDb,
    what: &str,
    done: impl Fn(&[binance_trader::ports::outbox::Notification]) -> bool,
) {
    let start = Instant::now();
    loop {
        let rows = db.store.deliveries(500).await.unwrap();
        if done(&rows) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what}: {rows:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every channel gets the event's words; no secret is in any message (the Telegram token is
/// in the Bot API's URL path by design, never in the text).
#[tokio::test]
async fn each_channel_delivers_the_event_and_no_secret() {
    let db = TestDb::sqlite().await;
    let telegram = HttpReceiver::start().await;
    let discord = HttpReceiver::start().await;
    let webhook = HttpReceiver::start().await;
    let smtp = SmtpReceiver::start().await;
    let section = format!(
        "[telegram]\nchat_id = \"42\"\nbase_url = \"{}\"\n[discord]\n[webhook]\n\
         [email]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nusername = \"bot\"\n\
         from = \"bot@example.com\"\nto = [\"me@example.com\"]\n",
        telegram.base, smtp.port
    );
    let notifier = start(
        &db,
        &section,
        vec![
            ("TELEGRAM_BOT_TOKEN", TOKEN.into()),
            (
                "DISCORD_WEBHOOK_URL",
                format!("{}/api/webhooks/1/discordS3CRET", discord.base),
            ),
            (
                "NOTIFY_WEBHOOK_URL",
                format!("{}/hook/pathS3CRET", webhook.base),
            ),
            ("NOTIFY_WEBHOOK_TOKEN", BEARER.into()),
            ("SMTP_PASSWORD", SMTP_PASSWORD.into()),
        ],
    )
    .await;
    fill(&db, 1).await;
    let want = "[PAPER] FILUSDT fill: B1 BUY 2 at 3.1 (gb1-B1-1)";

    let t = telegram.wait_for(1, 10).await;
    assert_eq!(t[0].path, format!("/bot{TOKEN}/sendMessage"));
    assert_eq!(t[0].body["chat_id"], "42");
    assert!(
        t[0].body["text"].as_str().unwrap().starts_with(want),
        "{:?}",
        t[0].body
    );
    let d = discord.wait_for(1, 10).await;
    assert_eq!(d[0].path, "/api/webhooks/1/discordS3CRET?wait=true");
    assert!(d[0].body["content"].as_str().unwrap().starts_with(want));
    assert_eq!(
        d[0].body["allowed_mentions"]["parse"],
        serde_json::json!([])
    );
    let w = webhook.wait_for(1, 10).await;
    assert_eq!(w[0].body["notifications"][0]["title"], want);
    assert_eq!(w[0].body["notifications"][0]["kind"], "fill");
    assert!(w[0]
        .idempotency_key
        .as_deref()
        .unwrap()
        .starts_with("binance-trader-"));
    assert_eq!(
        w[0].authorization.as_deref(),
        Some(format!("Bearer {BEARER}").as_str())
    );
    let m = smtp.wait_for(1, 10).await;
    assert!(
        m[0].data
            .contains("Subject: [binance-trader] [PAPER] FILUSDT fill"),
        "{}",
        m[0].data
    );
    assert!(m[0].data.contains("B1 BUY 2 at 3.1"));
    assert!(m[0].auth.is_some(), "logged in with the SMTP password");

    let texts: Vec<String> = [&t, &d, &w]
        .iter()
        .flat_map(|r| r.iter().map(|x| x.raw.clone()))
        .chain(m.iter().map(|x| x.data.clone()))
        .collect();
    for text in &texts {
        for secret in [TOKEN, SMTP_PASSWORD, BEARER, "discordS3CRET", "pathS3CRET"] {
            assert!(!text.contains(secret), "{secret} in a message: {text}");
        }
    }
    wait_outbox(&db, "all sent", |rows| {
        rows.len() == 4 && rows.iter().all(|n| n.state == OutboxState::Sent)
    })
    .await;
    notifier.stop(Duration::from_secs(1)).await;
}

/// A channel sends at most `max_per_minute` messages; what waits goes out in one message.
#[tokio::test]
async fn a_burst_is_batched_and_held_to_the_rate_limit() {
    let db = TestDb::sqlite().await;
    let hook = HttpReceiver::start().await;
    // Ten events already journalled, picked up by the first pass: one message.
    db.store
        .enqueue(&[], Some((EVENT_CURSOR_KEY, 0)), 0)
        .await
        .unwrap();
    for n in 1..=10 {
        fill(&db, n).await;
    }
    let notifier = start(
        &db,
        "[webhook]\nmax_per_minute = 1\nbatch_max = 50\n",
        vec![("NOTIFY_WEBHOOK_URL", format!("{}/hook", hook.base))],
    )
    .await;
    let got = hook.wait_for(1, 10).await;
    assert_eq!(got[0].body["notifications"].as_array().unwrap().len(), 10);
    assert_eq!(got[0].body["title"], "10 notifications");
    // Five more within the minute wait: queued, not sent.
    for n in 11..=15 {
        fill(&db, n).await;
    }
    wait_outbox(&db, "queued", |rows| {
        rows.iter()
            .filter(|n| n.state == OutboxState::Pending)
            .count()
            == 5
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(hook.received().len(), 1, "the rate limit held");
    notifier.stop(Duration::ZERO).await;
}

/// A receiver that fails gets the same notification again after the backoff; a receiver
/// that refuses the token is not retried, and the error kept holds no secret.
#[tokio::test]
async fn a_failed_delivery_is_retried_and_a_refusal_is_not() {
    let db = TestDb::sqlite().await;
    let telegram = HttpReceiver::start().await;
    telegram
        .behaviour
        .fail_first
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let notifier = start(
        &db,
        &format!(
            "[telegram]\nchat_id = \"7\"\nbase_url = \"{}\"\n",
            telegram.base
        ),
        vec![("TELEGRAM_BOT_TOKEN", TOKEN.into())],
    )
    .await;
    fill(&db, 1).await;
    let got = telegram.wait_for(2, 10).await;
    assert_eq!(got[0].body["text"], got[1].body["text"]);
    wait_outbox(&db, "sent after a retry", |rows| {
        rows.len() == 1 && rows[0].state == OutboxState::Sent && rows[0].attempts == 2
    })
    .await;
    let row = &db.store.deliveries(1).await.unwrap()[0];
    assert!(row.last_error.as_deref().unwrap().contains("HTTP 500"));

    telegram
        .behaviour
        .unauthorized
        .store(true, std::sync::atomic::Ordering::SeqCst);
    fill(&db, 2).await;
    wait_outbox(&db, "refused", |rows| rows[0].state == OutboxState::Failed).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(telegram.received().len(), 3, "a refusal is not retried");
    let row = &db.store.deliveries(1).await.unwrap()[0];
    let error = row.last_error.as_deref().unwrap();
    assert!(
        error.contains("401") && error.contains("Unauthorized"),
        "{error}"
    );
    assert!(!error.contains(TOKEN), "{error}");
    notifier.stop(Duration::ZERO).await;

    // No receiver at all: not delivered, retried, and the error names no URL or token.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let db2 = TestDb::sqlite().await;
    let notifier = start(
        &db2,
        &format!("[telegram]\nchat_id = \"7\"\nbase_url = \"{dead}\"\n"),
        vec![("TELEGRAM_BOT_TOKEN", TOKEN.into())],
    )
    .await;
    fill(&db2, 1).await;
    wait_outbox(&db2, "retrying", |rows| {
        rows.len() == 1 && rows[0].state == OutboxState::Pending && rows[0].attempts >= 1
    })
    .await;
    let error = db2.store.deliveries(1).await.unwrap()[0]
        .last_error
        .clone()
        .unwrap();
    assert!(
        !error.contains(TOKEN) && !error.contains("127.0.0.1"),
        "{error}"
    );
    notifier.stop(Duration::ZERO).await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `notify-test` is SIGKILLed while both receivers hold its request. Started again, it
/// does not send the Telegram message a second time (its outcome is `unknown`), and sends the
/// webhook's again with the same item id (the receiver drops it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_duplicate_after_a_sigkill_in_the_middle_of_a_delivery() {
    use std::sync::atomic::Ordering::SeqCst;
    let telegram = HttpReceiver::start().await;
    let hook = HttpReceiver::start().await;
    telegram.behaviour.hang.store(true, SeqCst);
    hook.behaviour.hang.store(true, SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.sqlite");
    std::fs::write(
        dir.path().join("bot.toml"),
        format!(
            "database_url = \"sqlite://{}\"\n[notify]\ntimeout_seconds = 30\n\
             [notify.telegram]\nchat_id = \"1\"\nbase_url = \"{}\"\n[notify.webhook]\n",
            db.display(),
            telegram.base
        ),
    )
    .unwrap();
    let command = || {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_binance-trader"));
        c.args([
            "notify-test",
            "--config",
            "bot.toml",
            "--wait-seconds",
            "20",
        ])
        .current_dir(dir.path())
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("NOTIFY_WEBHOOK_URL", format!("{}/hook", hook.base))
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
        c
    };
    let mut child = command().spawn().unwrap();
    telegram.wait_for(1, 20).await;
    hook.wait_for(1, 20).await;
    child.kill().unwrap();
    child.wait().unwrap();

    telegram.behaviour.hang.store(false, SeqCst);
    hook.behaviour.hang.store(false, SeqCst);
    // Blocking on the child here would stall the receivers, which run on this runtime.
    let mut again = command();
    let out = tokio::task::spawn_blocking(move || again.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Telegram: one message per run, the interrupted one never repeated.
    assert_eq!(
        telegram.received().len(),
        2,
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Webhook: the interrupted batch came again with the same key and item ids.
    let hooks = hook.received();
    let first_key = hooks[0].idempotency_key.clone().unwrap();
    let first_id = hooks[0].body["notifications"][0]["id"].clone();
    let repeats: Vec<_> = hooks
        .iter()
        .filter(|r| {
            r.body["notifications"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["id"] == first_id)
        })
        .collect();
    assert!(repeats.len() >= 2, "{hooks:?}");
    // The repeat may travel with newer rows (another batch key); its item id is the same.
    assert!(repeats.iter().all(|r| r.idempotency_key.is_some()));
    assert!(!first_key.is_empty());
    let distinct: std::collections::BTreeSet<String> = hooks
        .iter()
        .flat_map(|r| r.body["notifications"].as_array().unwrap().clone())
        .map(|n| n["id"].to_string())
        .collect();
    assert_eq!(
        distinct.len(),
        2,
        "one notification per run once de-duplicated"
    );

    let store = SqlStore::connect(db.to_str().unwrap()).await.unwrap();
    let rows = store.deliveries(10).await.unwrap();
    let states: Vec<(ChannelKind, OutboxState)> = rows
        .iter()
        .rev()
        .map(|n| (n.item.channel, n.state))
        .collect();
    assert_eq!(
        states,
        [
            (ChannelKind::Telegram, OutboxState::Unknown),
            (ChannelKind::Webhook, OutboxState::Sent),
            (ChannelKind::Telegram, OutboxState::Sent),
            (ChannelKind::Webhook, OutboxState::Sent),
        ]
    );
    store.close().await;
}

/// The dashboard lists the last deliveries, failures with their error, text escaped.
#[tokio::test]
async fn the_dashboard_shows_the_last_deliveries_and_failures() {
    use binance_trader::apps::dashboard::{self, DashboardState, Pair};
    use binance_trader::apps::trade::Mode;
    let db = TestDb::sqlite().await;
    let mut sent = item(ChannelKind::Telegram, "event:1");
    sent.title = "basket 3 closed <b>".into();
    let failed = item(ChannelKind::Email, "event:2");
    db.store
        .enqueue(&[sent, failed], None, 1_000)
        .await
        .unwrap();
    let t = db
        .store
        .claim(ChannelKind::Telegram, 1_000, 9_000, 5)
        .await
        .unwrap();
    db.store.mark_sent(&[t[0].id], 2_000).await.unwrap();
    let e = db
        .store
        .claim(ChannelKind::Email, 1_000, 9_000, 5)
        .await
        .unwrap();
    db.store
        .give_up(&[e[0].id], OutboxState::Failed, "refused: 535 auth failed")
        .await
        .unwrap();
    let (tx, _rx) = tokio::sync::mpsc::channel(1);
    let pair = Pair {
        symbol: binance_trader::core::symbol::Symbol::parse("FILUSDT").unwrap(),
        base: Asset::parse("FIL").unwrap(),
        quote: Asset::parse("USDT").unwrap(),
        rules: None,
    };
    let state = DashboardState::new(db.store.clone(), tx, Mode::Paper, pair, None).unwrap();
    let running = dashboard::spawn("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap();
    let page = reqwest::get(format!("http://{}/", running.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"notifications\""), "{page}");
    assert!(
        page.contains("basket 3 closed &") && !page.contains("closed <b>"),
        "escaped"
    );
    assert!(page.contains("refused: 535 auth failed"));
    assert!(page.contains(">failed<") && page.contains(">sent<"));
    running.stop().await;
}

/// A portfolio's notifier: each basket's events carry that basket's symbol, its P&L is booked
/// with its own pair's assets (a fee in AVAX is AVAX, not FIL), and the orchestrator's risk
/// events, which belong to no basket, are labelled `portfolio`.
#[tokio::test]
async fn a_portfolio_labels_each_basket_by_its_symbol_and_books_it_by_its_pair() {
    use binance_trader::apps::trade::Mode;
    use binance_trader::core::basket::BasketStatus;
    use binance_trader::core::fill::{Commission, Fill};
    use binance_trader::core::money::{Amount, Price, Qty};
    use binance_trader::core::order::{Side, Slot};
    use binance_trader::ports::store::{Event, FillRecord};

    let db = TestDb::sqlite().await;
    let webhook = HttpReceiver::start().await;
    let usdt = Asset::parse("USDT").unwrap();
    let mut pairs = Pairs::one(
        Symbol::parse("FILUSDT").unwrap(),
        Asset::parse("FIL").unwrap(),
        usdt.clone(),
    );
    // Not derivable from the symbol's name alone in general; here it is given.
    pairs.add(
        Symbol::parse("AVAXUSDT").unwrap(),
        Asset::parse("AVAX").unwrap(),
        usdt,
    );
    let section: NotifySection = toml::from_str("[webhook]\nmax_per_minute = 100\n").unwrap();
    let channels = section
        .channels(&env(vec![(
            "NOTIFY_WEBHOOK_URL",
            format!("{}/hook", webhook.base),
        )]))
        .unwrap();
    let notifier = Notifier::start(
        db.store.clone(),
        channels,
        Origin::labelled(Mode::Paper, "portfolio"),
        pairs,
        Duration::from_secs(2),
    )
    .await
    .unwrap()
    .unwrap();
    let t0 = 1_770_076_800_000;
    for (id, symbol) in [(1, "FILUSDT"), (2, "AVAXUSDT")] {
        let mut b = crate::store::fixtures::basket(id);
        b.symbol = Symbol::parse(symbol).unwrap();
        b.basket.config.symbol = b.symbol.clone();
        b.basket.carried_qty = Qty::ZERO;
        b.basket.carried_cost = binance_trader::core::money::Quote::ZERO;
        db.store.insert_basket(&b).await.unwrap();
    }
    let avax_fill =
        |trade_id: u64, side: Side, price: &str, qty: &str, fee: &str, asset: &str| FillRecord {
            basket_id: 2,
            symbol: Symbol::parse("AVAXUSDT").unwrap(),
            fill: Fill {
                trade_id,
                order_id: trade_id + 100,
                slot: if side == Side::Buy {
                    Slot::Buy(1)
                } else {
                    Slot::Tp1
                },
                side,
                price: Price::parse(price).unwrap(),
                qty: Qty::parse(qty).unwrap(),
                commission: Commission {
                    amount: Amount::parse(fee).unwrap(),
                    asset: Asset::parse(asset).unwrap(),
                    quote_value: None,
                },
                is_maker: true,
                time_ms: t0 + trade_id as i64,
            },
        };
    // 10 AVAX bought at 20 (fee 0.01 AVAX: 9.99 held), all 9.99 sold at 22 (fee in USDT).
    db.store
        .insert_fill(&avax_fill(1, Side::Buy, "20", "10", "0.01", "AVAX"))
        .await
        .unwrap();
    db.store
        .insert_fill(&avax_fill(2, Side::Sell, "22", "9.99", "0.21978", "USDT"))
        .await
        .unwrap();
    db.store
        .set_basket_status(2, BasketStatus::Closed, Some(t0 + 3), None)
        .await
        .unwrap();
    let ev = |t: i64, basket: Option<u32>, level, kind: &str, message: &str| Event {
        time_ms: t0 + t,
        basket_id: basket,
        level,
        kind: kind.into(),
        message: message.into(),
    };
    for e in [
        ev(1, Some(1), EventLevel::Info, "fill", "B1 BUY 5 at 3.1"),
        ev(2, Some(2), EventLevel::Info, "fill", "B1 BUY 10 at 20"),
        ev(
            4,
            Some(2),
            EventLevel::Info,
            "basket_ended",
            "basket 2 ended as closed",
        ),
        ev(
            5,
            None,
            EventLevel::Warn,
            "risk_limit",
            "grid avax: max_exposure tripped at 61 (threshold 60): no new buys",
        ),
    ] {
        db.store.append_event(&e).await.unwrap();
    }
    let mut titles = Vec::new();
    let start = Instant::now();
    while titles.len() < 4 {
        assert!(start.elapsed() < Duration::from_secs(20), "{titles:?}");
        titles = webhook
            .webhook_items()
            .iter()
            .map(|n| n["title"].as_str().unwrap().to_string())
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        titles,
        [
            "[PAPER] FILUSDT fill: B1 BUY 5 at 3.1",
            "[PAPER] AVAXUSDT fill: B1 BUY 10 at 20",
            // 9.99 × 22 − 0.21978 − 200 (the whole cost: the AVAX fee shrank the position).
            "[PAPER] AVAXUSDT basket 2 closed, P&L +19.56022 USDT",
            "[PAPER] portfolio RISK LIMIT: grid avax: max_exposure tripped at 61 (threshold 60): no new buys",
        ]
    );
    notifier.stop(Duration::from_secs(1)).await;
}
