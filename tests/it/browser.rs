//! The dashboard in a real browser: Debian's headless Chromium driven through chromedriver
//! (WebDriver, `fantoccini`) opens the dashboard of a running paper bot (exchange-sim + bot +
//! dashboard on 127.0.0.1), sees its orders appear, presses "Close all positions", confirms,
//! and finds the orders cancelled and the exit sell placed. A screenshot is saved.
//!
//! Without `chromium` and `chromedriver` on the PATH the test says so and passes, unless
//! `BROWSER_TEST_REQUIRED` is set (`.ci/run` sets it after installing both).

use crate::harness::{client, fil_strategy, start_sim, wave_candles};
use crate::store::fixtures::TestDb;
use binance_trader::apps::bot::{runner, Bot, BotSettings};
use binance_trader::apps::dashboard::{spawn, DashboardState, Pair};
use binance_trader::apps::trade::Mode;
use binance_trader::core::basket::BasketStatus;
use binance_trader::core::order::{Side, Slot};
use binance_trader::ports::exchange::{Exchange, OrderRef};
use binance_trader::ports::store::{FillQuery, Store};
use fantoccini::{ClientBuilder, Locator};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(program))
            .find(|p| p.is_file())
    })
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_driver(path: &PathBuf) -> (Driver, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (Driver(child), url)
}

/// Waits until `check` holds, polling every 50 ms, at most `secs` seconds.
async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_all_from_the_dashboard_in_headless_chromium() {
    let (Some(chromium), Some(driver_path)) = (which("chromium"), which("chromedriver")) else {
        assert!(
            std::env::var_os("BROWSER_TEST_REQUIRED").is_none(),
            "chromium and chromedriver are required here"
        );
        eprintln!("browser test skipped: chromium or chromedriver not installed (see .ci/run)");
        return;
    };

    // The paper bot: exchange-sim, bot loop with operator commands, dashboard.
    let sim = start_sim(wave_candles(1)).await;
    let db = TestDb::sqlite().await;
    let mut settings = BotSettings::new(fil_strategy());
    settings.intent_grace_ms = 0;
    settings.interval = Duration::from_millis(50);
    let mut bot = Bot::new(client(&sim.base), db.store.clone(), settings)
        .await
        .unwrap();
    let pair = Pair::from_rules(bot.rules());
    let (commands, receiver) = tokio::sync::mpsc::channel(4);
    let state = DashboardState::new(db.store.clone(), commands, Mode::Paper, pair, None).unwrap();
    let dashboard = spawn("127.0.0.1:0".parse().unwrap(), state).await.unwrap();
    let page = format!("http://{}/", dashboard.addr);

    let (_driver, driver_url) = start_driver(&driver_path).await;
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--window-size=1280,1600"],
        }),
    );
    let browser = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver_url)
        .await
        .expect("WebDriver session");

    // The page is open before the bot has placed anything; live refresh shows the orders.
    browser.goto(&page).await.unwrap();
    let body = browser
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("PAPER"), "no paper banner:\n{body}");
    assert!(browser
        .find_all(Locator::Css("tr[data-client-id]"))
        .await
        .unwrap()
        .is_empty());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let loop_task = tokio::spawn(async move {
        runner::run_with_commands(&mut bot, stopped, receiver)
            .await
            .unwrap();
        bot
    });
    eventually(20, "orders on the page", || async {
        !browser
            .find_all(Locator::Css("tr[data-client-id]"))
            .await
            .unwrap()
            .is_empty()
    })
    .await;

    // Into the slide: some buys fill, a position exists.
    for _ in 0..6 {
        sim.server.step(1);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let store = &db.store;
    let buys = FillQuery {
        side: Some(Side::Buy),
        limit: 100,
        ..Default::default()
    };
    eventually(20, "a filled buy", || async {
        store.count_fills(&buys).await.unwrap() > 0
    })
    .await;
    let ex = client(&sim.base);
    let symbol = fil_strategy().symbol;
    assert!(!ex.open_orders(&symbol).await.unwrap().is_empty());

    browser
        .find(Locator::Id("close-all"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let modal = browser.find(Locator::Id("close-all-modal")).await.unwrap();
    eventually(5, "the confirmation modal", || async {
        modal.is_displayed().await.unwrap_or(false)
    })
    .await;
    let explains = modal.text().await.unwrap().to_lowercase();
    assert!(
        explains.contains("cancel"),
        "the modal does not say what happens: {explains}"
    );
    browser
        .find(Locator::Id("close-all-confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let flash = browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id("flash"))
        .await
        .expect("a flash message after Close all");
    let text = flash.text().await.unwrap();
    assert!(text.contains("cancelled"), "flash: {text}");

    let shot = browser.screenshot().await.unwrap();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("dashboard-after-close-all.png");
    std::fs::write(&file, &shot).unwrap();
    assert!(shot.starts_with(b"\x89PNG"), "not a PNG");
    eprintln!("screenshot: {}", file.display());
    browser.close().await.unwrap();

    // The exchange: no order of the basket rests but the exit; the basket is closed.
    let open = ex.open_orders(&symbol).await.unwrap();
    assert!(open.iter().all(|o| o.spec.slot == Slot::Exit), "{open:?}");
    let baskets = store.baskets(false).await.unwrap();
    assert_eq!(baskets.len(), 1);
    assert_eq!(baskets[0].basket.status, BasketStatus::EmergencyClosed);
    let exit = store
        .intents(baskets[0].basket.id)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.spec.slot == Slot::Exit)
        .expect("an exit sell was placed");
    let there = ex
        .query(&symbol, &OrderRef::Client(exit.client_id.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(there.side, Side::Sell);

    stop.send(true).unwrap();
    loop_task.await.unwrap();
    dashboard.stop().await;
}
