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

/// Saves a screenshot under the target directory; with `UPDATE_SCREENSHOT` set, the chart's
/// also becomes the README's (`docs/dashboard.png`).
async fn screenshot(browser: &fantoccini::Client, name: &str) {
    let shot = browser.screenshot().await.unwrap();
    assert!(shot.starts_with(b"\x89PNG"), "not a PNG");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, &shot).unwrap();
    eprintln!("screenshot: {}", file.display());
    if name == "dashboard-chart.png" && std::env::var_os("UPDATE_SCREENSHOT").is_some() {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("dashboard.png"), &shot).unwrap();
    }
}

/// `#stream-status`'s state: connecting, live, disconnected or polling.
async fn stream_state(browser: &fantoccini::Client) -> String {
    browser
        .execute(
            "var s = document.getElementById('stream-status'); \
             return s ? s.getAttribute('data-state') : '';",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// With the stream up, a change on the exchange reaches the page as a pushed update: the
/// live part changes (a new `data-seq`), and the document is the same one (no reload).
async fn pushed_updates_change_the_page_without_reload(
    browser: &fantoccini::Client,
    sim: &crate::harness::Sim,
) {
    eventually(20, "the stream is live", || async {
        stream_state(browser).await == "live"
    })
    .await;
    let seq = |v: serde_json::Value| v.as_str().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    let read = "window.__sameDocument = window.__sameDocument || 'yes'; \
                return document.getElementById('live').getAttribute('data-seq');";
    let before = seq(browser.execute(read, vec![]).await.unwrap());
    let started = Instant::now();
    loop {
        sim.server.step(1);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = seq(browser.execute(read, vec![]).await.unwrap());
        if now > before {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no pushed update arrived (data-seq stays {before})"
        );
    }
    let same = browser
        .execute("return window.__sameDocument === 'yes';", vec![])
        .await
        .unwrap();
    assert_eq!(same, serde_json::Value::Bool(true), "the page was reloaded");
    let kinds = browser
        .execute(
            "return document.getElementById('live').getAttribute('data-kinds');",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        kinds.as_str().is_some_and(|k| !k.is_empty()),
        "an update says what changed: {kinds}"
    );
}

/// Runs `script` (its last statement returns) in the page; fetches wait for their answer.
async fn eval(browser: &fantoccini::Client, script: &str) -> serde_json::Value {
    browser.execute_async(script, vec![]).await.unwrap()
}

/// A note written on the basket page is saved (CSRF form), shown in the journal and in the
/// baskets CSV; the fills CSV has a line per fill of the journal.
async fn journal_note_and_csv_round_trip<S: Store>(
    browser: &fantoccini::Client,
    page: &str,
    store: &S,
) {
    let id = store.open_baskets().await.unwrap()[0].basket.id;
    let note = "First live grid, \"wide\" levels; =SUM(A1) stays text";
    browser.goto(&format!("{page}baskets/{id}")).await.unwrap();
    let area = browser.find(Locator::Id("note")).await.unwrap();
    area.clear().await.unwrap();
    area.send_keys(note).await.unwrap();
    browser
        .find(Locator::Id("note-save"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let flash = browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("flash"))
        .await
        .expect("a flash after saving the note");
    assert!(flash.text().await.unwrap().contains("saved"));
    let kept = browser
        .find(Locator::Id("note"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some(note));
    assert_eq!(store.basket_note(id).await.unwrap().as_deref(), Some(note));

    browser.goto(&format!("{page}journal")).await.unwrap();
    let row = browser
        .find(Locator::Css(&format!("tr[data-basket-id='{id}']")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(row.contains("First live grid"), "journal row: {row}");
    let csv = |path: &str| {
        format!(
            "var done = arguments[arguments.length - 1]; \
             fetch('{path}', {{credentials: 'same-origin'}}).then(function (r) {{ return r.text(); }}) \
               .then(done, function (e) {{ done('error ' + e); }});"
        )
    };
    let baskets = eval(browser, &csv("/journal/baskets.csv")).await;
    let baskets = baskets.as_str().unwrap();
    assert!(baskets.starts_with("basket,symbol,status"), "{baskets}");
    let line = baskets
        .lines()
        .find(|l| l.starts_with(&format!("{id},")))
        .unwrap_or_else(|| panic!("basket {id} not in the CSV:\n{baskets}"));
    assert!(
        line.ends_with("\"'=SUM(A1) stays text\"") || line.contains("\"\"wide\"\""),
        "note not in the CSV line: {line}"
    );
    let fills = eval(browser, &csv("/journal/fills.csv")).await;
    let fills = fills.as_str().unwrap();
    let all = FillQuery {
        limit: 1_000_000,
        ..Default::default()
    };
    assert_eq!(
        fills.lines().count() as u64 - 1,
        store.count_fills(&all).await.unwrap(),
        "one CSV line per fill:\n{fills}"
    );
}

/// At 390 px the pages fit the screen (tables become cards) and Close all sits at the bottom.
async fn phone_width_does_not_scroll_sideways(browser: &fantoccini::Client, page: &str) {
    browser.set_window_size(390, 844).await.unwrap();
    for path in ["", "journal", "orders/history"] {
        browser.goto(&format!("{page}{path}")).await.unwrap();
        let sizes = browser
            .execute(
                "return [window.innerWidth, document.documentElement.scrollWidth, \
                         document.body.scrollWidth];",
                vec![],
            )
            .await
            .unwrap();
        let [inner, doc, body] = [0, 1, 2].map(|i| sizes[i].as_i64().unwrap());
        assert!(inner <= 400, "the window is not phone-sized: {inner} px");
        assert!(
            doc <= inner && body <= inner,
            "/{path} scrolls sideways at {inner} px: document {doc}, body {body}"
        );
    }
    browser.goto(page).await.unwrap();
    let place = browser
        .execute(
            "var r = document.getElementById('close-all').getBoundingClientRect(); \
             return [r.bottom, r.width, window.innerHeight, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    let [bottom, width, height, inner] = [0, 1, 2, 3].map(|i| place[i].as_f64().unwrap());
    assert!(
        bottom > height * 0.85 && width > inner * 0.8,
        "Close all is not at the bottom, full width: {place}"
    );
    browser.set_window_size(1280, 1600).await.unwrap();
}

/// What the chart library holds: candles, price lines (titles), markers (texts).
async fn chart_data(browser: &fantoccini::Client) -> serde_json::Value {
    browser
        .execute(
            "var c = window.btChart; if (!c) return null; return { \
               candles: c.series.data().length, \
               lines: c.series.priceLines().map(function (l) { var o = l.options(); \
                 return { title: o.title, price: o.price }; }), \
               markers: c.markers.markers().map(function (m) { return m.text; }), \
               basket: c.data && c.data.basket_id };",
            vec![],
        )
        .await
        .unwrap()
}

/// The chart draws the basket: anchor, hard stop, every planned level, and one marker per
/// fill that falls on a drawn candle; the levels of filled buys say so.
async fn chart_shows_the_basket<S: Store>(browser: &fantoccini::Client, store: &S) {
    let basket = store.open_baskets().await.unwrap()[0].basket.clone();
    let fills = store.basket_fills(basket.id).await.unwrap();
    let want = fills.len();
    let started = Instant::now();
    let data = loop {
        let data = chart_data(browser).await;
        let markers = data["markers"].as_array().map_or(0, Vec::len);
        if data["basket"] == basket.id && markers >= want {
            break data;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the chart never showed basket {} with {want} fills: {data}",
            basket.id
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(data["candles"].as_u64().unwrap() > 0, "no candles: {data}");
    let titles: Vec<String> = data["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap().to_string())
        .collect();
    for expected in ["Anchor", "Hard stop", "B1", "B2"] {
        assert!(
            titles.iter().any(|t| t.starts_with(expected)),
            "no {expected} line in {titles:?}"
        );
    }
    let anchor = data["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["title"] == "Anchor")
        .unwrap()["price"]
        .as_f64()
        .unwrap();
    assert!((anchor - basket.anchor.get().to_string().parse::<f64>().unwrap()).abs() < 1e-9);
    let filled_slots: std::collections::BTreeSet<String> = fills
        .iter()
        .filter(|f| f.side == Side::Buy)
        .map(|f| f.slot.to_string())
        .collect();
    assert!(!filled_slots.is_empty());
    for slot in &filled_slots {
        assert!(
            titles.iter().any(|t| t.starts_with(slot.as_str())),
            "filled level {slot} not drawn: {titles:?}"
        );
    }
    let markers: Vec<&str> = data["markers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    for f in &fills {
        assert!(
            markers.contains(&f.slot.to_string().as_str()),
            "no marker for the {} fill: {markers:?}",
            f.slot
        );
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
    // 100 ms: the page checks take seconds of the manual clock's one-minute weight window.
    settings.interval = Duration::from_millis(100);
    let mut bot = Bot::new(client(&sim.base), db.store.clone(), settings)
        .await
        .unwrap();
    let pair = Pair::from_rules(bot.rules());
    let (commands, receiver) = tokio::sync::mpsc::channel(4);
    let state = DashboardState::new(db.store.clone(), commands, Mode::Paper, pair, None)
        .unwrap()
        .with_candles(std::sync::Arc::new(client(&sim.base)));
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

    chart_shows_the_basket(&browser, store).await;
    screenshot(&browser, "dashboard-chart.png").await;
    pushed_updates_change_the_page_without_reload(&browser, &sim).await;
    journal_note_and_csv_round_trip(&browser, &page, store).await;
    phone_width_does_not_scroll_sideways(&browser, &page).await;
    browser.goto(&page).await.unwrap();

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

    screenshot(&browser, "dashboard-after-close-all.png").await;

    // The stream goes down with the server: the page says so (and keeps polling).
    dashboard.stop().await;
    eventually(20, "the page says disconnected", || async {
        stream_state(&browser).await == "disconnected"
    })
    .await;
    browser.close().await.unwrap();

    // The exchange: no order of the basket rests but the exit; the basket is closed. A new
    // client: the replay clock moved on while the page was tested.
    let ex = client(&sim.base);
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
}
