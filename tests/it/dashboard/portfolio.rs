//! A portfolio's dashboard over a seeded journal of two grids, `fil` (FILUSDT) and `avax`
//! (AVAXUSDT): the overview on `/` with each grid at its own symbol's price, the limits
//! holding, a page per grid with only its symbol's baskets and orders, and the per-grid
//! buttons queuing exactly that grid's command. (`portfolio_live.rs` runs the same against
//! a running portfolio.)
//!
//! Journal (prices by hand):
//! - basket 1, AVAXUSDT, closed: buy 1 @ 20, sell 1 @ 22 → realised +2;
//! - basket 2, FILUSDT, active: buy 10 @ 5; open buy B2 10 @ 4.5;
//! - basket 3, AVAXUSDT, active: buy 2 @ 20; open TP1 sell 2 @ 22 and buy B2 2 @ 18;
//! - snapshots, oldest first: FILUSDT @ 4.8, AVAXUSDT @ 21, FILUSDT @ 4.6 (the latest).
//!
//! So fil: price 4.600, position 10, unrealised 46 − 50 = −4, realised 0, 1 open order;
//! avax: price 21.00 (its own snapshot, not the latest one's 4.6), position 2, unrealised
//! 42 − 40 = +2, realised +2, 2 open orders. Totals: realised 2, unrealised −2, combined 0,
//! position value 46 + 42 = 88, 3 open orders.

use super::dec_of;
use super::fixtures::{self, basket, d, fill, order, snapshot, Http};
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::apps::dashboard::{self, DashboardState, GridInfo, Pair, Running};
use binance_trader::apps::trade::Mode;
use binance_trader::core::basket::BasketStatus;
use binance_trader::core::client_id::{ClientOrderId, IdPrefix};
use binance_trader::core::filters::{SymbolFilters, SymbolRules};
use binance_trader::core::money::Price;
use binance_trader::core::order::{OrderStatus, Slot};
use binance_trader::core::risk::{LimitKind, Trip, TripAction};
use binance_trader::core::symbol::{Asset, Symbol};
use binance_trader::ports::operator::{GRID_COMMAND_PREFIX, GRID_RECEIPT_PREFIX, HELD_KEY};
use binance_trader::ports::store::Store;
use std::collections::BTreeMap;

fn avax() -> Pair {
    Pair::from_rules(&SymbolRules::basic(
        Symbol::parse("AVAXUSDT").unwrap(),
        Asset::parse("AVAX").unwrap(),
        Asset::parse("USDT").unwrap(),
        SymbolFilters::basic(d("0.01"), d("0.01"), d("5")),
    ))
}

pub(super) fn grids() -> Vec<GridInfo> {
    vec![
        GridInfo {
            name: "fil".into(),
            prefix: IdPrefix::default(),
            pair: fixtures::pair(),
        },
        GridInfo {
            name: "avax".into(),
            prefix: IdPrefix::default(),
            pair: avax(),
        },
    ]
}

/// The journal of the module docs.
async fn seed(s: &MemoryStore) {
    let sym = avax().symbol;
    let on_avax = |mut r: binance_trader::ports::store::BasketRecord| {
        r.symbol = sym.clone();
        r.basket.config.symbol = sym.clone();
        r
    };
    s.insert_basket(&on_avax(basket(1, BasketStatus::Closed, None)))
        .await
        .unwrap();
    s.insert_basket(&basket(2, BasketStatus::Active, None))
        .await
        .unwrap();
    s.insert_basket(&on_avax(basket(3, BasketStatus::Active, None)))
        .await
        .unwrap();
    let mut fills = vec![
        fill(1, 1, Slot::Buy(1), "20", "1", "0", "USDT"),
        fill(1, 2, Slot::Tp1, "22", "1", "0", "USDT"),
        fill(2, 3, Slot::Buy(1), "5", "10", "0", "USDT"),
        fill(3, 4, Slot::Buy(1), "20", "2", "0", "USDT"),
    ];
    for f in &mut fills {
        if f.basket_id != 2 {
            f.symbol = sym.clone();
        }
    }
    for f in fills {
        assert!(s.insert_fill(&f).await.unwrap());
    }
    for (basket_id, id, slot, price, qty) in [
        (2, 21, Slot::Buy(2), "4.5", "10"),
        (3, 31, Slot::Tp1, "22", "2"),
        (3, 32, Slot::Buy(2), "18", "2"),
    ] {
        let mut report = order(basket_id, id, slot, price, qty, OrderStatus::New, "0");
        if basket_id == 3 {
            report.symbol = sym.clone();
        }
        s.upsert_order(basket_id, &report).await.unwrap();
    }
    for (t, symbol, price) in [
        (1_000, "FILUSDT", "4.8"),
        (2_000, "AVAXUSDT", "21"),
        (3_000, "FILUSDT", "4.6"),
    ] {
        let mut snap = snapshot(t, "1000");
        snap.symbol = Symbol::parse(symbol).unwrap();
        snap.price = Price::new(d(price));
        s.insert_snapshot(&snap).await.unwrap();
    }
    let held: BTreeMap<&str, Vec<Trip>> = BTreeMap::from([(
        "avax",
        vec![Trip {
            limit: LimitKind::MaxPositionValue,
            value: d("42"),
            threshold: d("40"),
            action: TripAction::NoNewBuys,
        }],
    )]);
    s.set_config_value(HELD_KEY, &serde_json::to_string(&held).unwrap(), 1)
        .await
        .unwrap();
}

/// The seeded portfolio dashboard with `grids` on 127.0.0.1:0 (no bot: close-all is not
/// used here) and a handle on its store.
pub(super) async fn start(grids: Vec<GridInfo>) -> (Running, DashboardState<MemoryStore>) {
    let store = MemoryStore::new();
    seed(&store).await;
    let (tx, _) = fixtures::fake_bot();
    let state = DashboardState::new(store, tx, Mode::Paper, fixtures::pair(), None)
        .unwrap()
        .with_grids(grids);
    let running = dashboard::spawn("127.0.0.1:0".parse().unwrap(), state.clone())
        .await
        .unwrap();
    (running, state)
}

/// The `<tr>` of grid `name` in the overview.
fn row<'a>(body: &'a str, name: &str) -> &'a str {
    let at = body
        .find(&format!("<tr data-grid=\"{name}\""))
        .unwrap_or_else(|| panic!("no row for {name}:\n{body}"));
    let rest = &body[at..];
    &rest[..rest.find("</tr>").unwrap()]
}

#[tokio::test]
async fn the_overview_lists_each_grid_at_its_own_price_with_its_position_and_pnl() {
    let (running, _state) = start(grids()).await;
    let mut http = Http::new(&running);
    let json = http.get("/api/portfolio").await.json();
    let g = &json["grids"];
    assert_eq!(g[0]["name"], "fil");
    assert_eq!(g[0]["symbol"], "FILUSDT");
    assert_eq!(dec_of(&g[0]["last_price"]), d("4.6"));
    assert_eq!(dec_of(&g[0]["position"]), d("10"));
    assert_eq!(dec_of(&g[0]["unrealised"]), d("-4"));
    assert_eq!(dec_of(&g[0]["realised"]), d("0"));
    assert_eq!(g[0]["open_orders"], 1);
    assert_eq!(g[1]["name"], "avax");
    assert_eq!(
        dec_of(&g[1]["last_price"]),
        d("21"),
        "each symbol's own latest snapshot, not the newest snapshot's price"
    );
    assert_eq!(dec_of(&g[1]["position"]), d("2"));
    assert_eq!(dec_of(&g[1]["unrealised"]), d("2"));
    assert_eq!(dec_of(&g[1]["realised"]), d("2"));
    assert_eq!(g[1]["open_orders"], 2);
    assert_eq!(g[0]["status"], "trading");
    let t = &json["totals"];
    assert_eq!(dec_of(&t["realised"]), d("2"));
    assert_eq!(dec_of(&t["unrealised"]), d("-2"));
    assert_eq!(dec_of(&t["combined"]), d("0"));
    assert_eq!(dec_of(&t["position_value"]), d("88"));
    assert_eq!(t["open_orders"], 3);

    let page = http.get("/").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"grids\""), "{}", page.body);
    assert!(
        !page.body.contains("id=\"price-chart\""),
        "the overview is not the one-symbol page"
    );
    let fil = row(&page.body, "fil");
    assert!(fil.contains(">4.600<"), "{fil}");
    assert!(fil.contains("href=\"/grids/fil\""), "{fil}");
    let avax = row(&page.body, "avax");
    assert!(avax.contains(">21.00<"), "{avax}");
    assert!(avax.contains(">2.00<"), "avax position: {avax}");
    let fragment = http.get("/fragment/overview").await;
    assert_eq!(fragment.status, 200);
    assert!(fragment.body.contains("<tr data-grid=\"avax\""));
    running.stop().await;
}

#[tokio::test]
async fn a_held_limit_shows_on_its_grid_only() {
    let (running, _state) = start(grids()).await;
    let mut http = Http::new(&running);
    let json = http.get("/api/portfolio").await.json();
    assert_eq!(json["grids"][0]["held"].as_array().unwrap().len(), 0);
    let held = &json["grids"][1]["held"][0];
    assert_eq!(held["limit"], "max_position_value");
    assert_eq!(dec_of(&held["value"]), d("42"));
    assert_eq!(dec_of(&held["threshold"]), d("40"));
    assert_eq!(held["action"], "no_new_buys");
    assert_eq!(json["totals"]["limited"], 1);
    let page = http.get("/").await.body;
    let avax = row(&page, "avax");
    assert!(avax.contains("data-limit=\"max_position_value\""), "{avax}");
    assert!(avax.contains("no new buys"), "{avax}");
    assert!(!row(&page, "fil").contains("data-limit="));
    running.stop().await;
}

#[tokio::test]
async fn a_grid_page_shows_only_its_symbols_baskets_and_orders() {
    let (running, _state) = start(grids()).await;
    let mut http = Http::new(&running);
    let page = http.get("/grids/avax").await;
    assert_eq!(page.status, 200);
    let body = &page.body;
    assert!(body.contains("<tr data-basket-id=\"3\">"), "{body}");
    assert!(
        !body.contains("data-basket-id=\"2\""),
        "a FIL basket or order: {body}"
    );
    let avax_id = ClientOrderId::ours(&IdPrefix::default(), 3, Slot::Tp1, 1);
    let fil_id = ClientOrderId::ours(&IdPrefix::default(), 2, Slot::Buy(2), 1);
    assert!(body.contains(&format!("data-client-id=\"{avax_id}\"")));
    assert!(!body.contains(&format!("data-client-id=\"{fil_id}\"")));
    assert!(body.contains("data-src=\"/api/grids/avax/chart\""));
    assert!(body.contains("data-refresh=\"/grids/avax/fragment\""));
    // At its own symbol's latest snapshot price, not the newest snapshot's (FIL 4.6).
    assert!(
        body.contains("data-field=\"last-price\" class=\"font-mono\">21.00<"),
        "{body}"
    );
    let fragment = http.get("/grids/fil/fragment").await.body;
    assert!(fragment.contains("data-basket-id=\"2\""));
    assert!(!fragment.contains("data-basket-id=\"3\""));
    // Each page's summary is its grid's: realised +2 is avax's (basket 1), none of fil's.
    let realised = |html: &str| {
        let at = html.find("data-field=\"realised\"").unwrap();
        html[at..].split("</div>").next().unwrap().to_string()
    };
    assert!(realised(body).contains("2.00"), "{}", realised(body));
    assert!(
        !realised(&fragment).contains("2.00"),
        "{}",
        realised(&fragment)
    );
    let chart = http.get("/api/grids/avax/chart?range=1d").await;
    assert_eq!(chart.status, 200);
    let chart = chart.json();
    assert_eq!(chart["symbol"], "AVAXUSDT");
    assert_eq!(chart["basket_id"], 3);
    assert_eq!(http.get("/grids/nope").await.status, 404);
    assert_eq!(http.get("/api/grids/nope/chart").await.status, 404);
    running.stop().await;
}

/// Plays the portfolio's loop for the test: takes `grid`'s queued row, writes its receipt
/// and returns the row.
async fn answer(state: DashboardState<MemoryStore>, grid: &'static str) -> String {
    let store = state.store();
    let key = format!("{GRID_COMMAND_PREFIX}{grid}");
    loop {
        let row = store.config_value(&key).await.unwrap().unwrap_or_default();
        if !row.is_empty() {
            store.set_config_value(&key, "", 2).await.unwrap();
            let receipt = format!("{row}: done: grid {grid} closed: 1 basket");
            store
                .set_config_value(&format!("{GRID_RECEIPT_PREFIX}{grid}"), &receipt, 2)
                .await
                .unwrap();
            return row;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn closing_one_grid_queues_exactly_that_grids_command() {
    let (running, state) = start(grids()).await;
    let store = state.store();
    let mut http = Http::new(&running);
    let csrf = http.get("/grids/avax").await.csrf();

    let refused = http.post("/grids/avax/close", &[("_csrf", "wrong")]).await;
    assert_eq!(refused.status, 403);
    let key = |g: &str| format!("{GRID_COMMAND_PREFIX}{g}");
    assert_eq!(store.config_value(&key("avax")).await.unwrap(), None);

    let loop_task = tokio::spawn(answer(state.clone(), "avax"));
    let done = http.post("/grids/avax/close", &[("_csrf", &csrf)]).await;
    assert_eq!(done.status, 303);
    assert_eq!(done.header("location"), "/grids/avax");
    let row = loop_task.await.unwrap();
    assert!(row.starts_with("close "), "{row}");
    assert_eq!(
        store.config_value(&key("fil")).await.unwrap(),
        None,
        "the other grid got nothing"
    );
    assert_eq!(
        store.config_value(&key("avax")).await.unwrap().as_deref(),
        Some(""),
        "one command, taken"
    );
    let page = http.get("/grids/avax").await.body;
    assert!(
        page.contains("data-error=\"false\"") && page.contains("done: grid avax closed"),
        "{page}"
    );

    // From the overview's button, back to the overview; a verb that is not one is refused.
    let loop_task = tokio::spawn(answer(state.clone(), "fil"));
    let done = http
        .post(
            "/grids/fil/pause",
            &[("_csrf", &csrf), ("from", "overview")],
        )
        .await;
    assert_eq!(done.header("location"), "/");
    loop_task.await.unwrap();
    let bad = http.post("/grids/fil/sell", &[("_csrf", &csrf)]).await;
    assert_eq!(bad.status, 400);
    let unknown = http.post("/grids/nope/close", &[("_csrf", &csrf)]).await;
    assert_eq!(unknown.status, 404);
    running.stop().await;
}

#[tokio::test]
async fn one_grid_or_none_keeps_the_one_symbol_page() {
    let (running, _state) = start(grids()[..1].to_vec()).await;
    let mut http = Http::new(&running);
    let page = http.get("/").await.body;
    assert!(page.contains("id=\"price-chart\""));
    assert!(!page.contains("id=\"grids\""));
    assert_eq!(http.get("/fragment/overview").await.status, 404);
    running.stop().await;
}

/// Two grids on FILUSDT under their own prefixes (`ga`, `gb`): each row and each grid page
/// shows only that grid's baskets, position, P&L and orders, not the symbol's.
///
/// Journal: basket 1 (`ga`, closed): buy 1 @ 5, sell 1 @ 6 → realised +1; basket 2 (`ga`,
/// active): buy 4 @ 5, open buy B2 under `ga`; basket 3 (`gb`, active): buy 10 @ 5, open
/// buy B2 under `gb`; FILUSDT @ 4.6.
#[tokio::test]
async fn two_grids_on_one_symbol_each_show_only_their_own_baskets() {
    let ga = IdPrefix::parse("ga").unwrap();
    let gb = IdPrefix::default();
    let store = MemoryStore::new();
    for (id, status, prefix) in [
        (1, BasketStatus::Closed, &ga),
        (2, BasketStatus::Active, &ga),
        (3, BasketStatus::Active, &gb),
    ] {
        let mut r = basket(id, status, None);
        r.prefix = prefix.clone();
        store.insert_basket(&r).await.unwrap();
    }
    for f in [
        fill(1, 1, Slot::Buy(1), "5", "1", "0", "USDT"),
        fill(1, 2, Slot::Tp1, "6", "1", "0", "USDT"),
        fill(2, 3, Slot::Buy(1), "5", "4", "0", "USDT"),
        fill(3, 4, Slot::Buy(1), "5", "10", "0", "USDT"),
    ] {
        assert!(store.insert_fill(&f).await.unwrap());
    }
    for (basket_id, id, prefix) in [(2, 21, &ga), (3, 31, &gb)] {
        let mut report = order(
            basket_id,
            id,
            Slot::Buy(2),
            "4.5",
            "1",
            OrderStatus::New,
            "0",
        );
        report.client_id = ClientOrderId::ours(prefix, basket_id, Slot::Buy(2), 1);
        store.upsert_order(basket_id, &report).await.unwrap();
    }
    let mut snap = snapshot(1_000, "1000");
    snap.price = Price::new(d("4.6"));
    store.insert_snapshot(&snap).await.unwrap();
    let grids = vec![
        GridInfo {
            name: "fil-a".into(),
            prefix: ga.clone(),
            pair: fixtures::pair(),
        },
        GridInfo {
            name: "fil-b".into(),
            prefix: gb.clone(),
            pair: fixtures::pair(),
        },
    ];
    let (tx, _) = fixtures::fake_bot();
    let state = DashboardState::new(store, tx, Mode::Paper, fixtures::pair(), None)
        .unwrap()
        .with_grids(grids);
    let running = dashboard::spawn("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap();
    let mut http = Http::new(&running);
    let json = http.get("/api/portfolio").await.json();
    let g = &json["grids"];
    assert_eq!(g[0]["name"], "fil-a");
    assert_eq!(dec_of(&g[0]["position"]), d("4"), "{json}");
    assert_eq!(dec_of(&g[0]["realised"]), d("1"), "{json}");
    assert_eq!(g[0]["open_orders"], 1);
    assert_eq!(dec_of(&g[1]["position"]), d("10"), "{json}");
    assert_eq!(dec_of(&g[1]["realised"]), d("0"), "{json}");
    assert_eq!(g[1]["open_orders"], 1);
    assert_eq!(g[0]["status"], "trading");
    assert_eq!(g[1]["status"], "trading");
    let a = http.get("/grids/fil-a").await.body;
    assert!(a.contains("<tr data-basket-id=\"2\">"), "{a}");
    assert!(!a.contains("data-basket-id=\"3\""), "grid b's basket: {a}");
    let b = http.get("/grids/fil-b").await.body;
    assert!(b.contains("<tr data-basket-id=\"3\">"), "{b}");
    assert!(!b.contains("data-basket-id=\"2\""), "grid a's basket: {b}");
    running.stop().await;
}

#[tokio::test]
async fn the_overview_shows_the_correlation_matrix_once_the_portfolio_wrote_it() {
    use binance_trader::core::correlation::{CorrelationMatrix, PairCorrelation};
    use binance_trader::ports::operator::{StoredCorrelation, CORRELATION_KEY};
    let (running, state) = start(grids()).await;
    let mut http = Http::new(&running);
    let json = http.get("/api/portfolio").await.json();
    assert!(json["correlation"].is_null(), "nothing written yet");
    assert!(!http
        .get("/")
        .await
        .body
        .contains("id=\"correlation-matrix\""));

    let (avax, fil) = (avax().symbol, fixtures::pair().symbol);
    let stored = StoredCorrelation {
        threshold: Some(d("0.8")),
        matrix: CorrelationMatrix {
            return_minutes: 60,
            window_returns: 168,
            min_returns: 24,
            symbols: vec![avax.clone(), fil.clone()],
            pairs: vec![PairCorrelation {
                a: avax,
                b: fil,
                returns: 100,
                correlation: Some(d("0.8312")),
            }],
        },
    };
    state
        .store()
        .set_config_value(CORRELATION_KEY, &serde_json::to_string(&stored).unwrap(), 2)
        .await
        .unwrap();
    let json = http.get("/api/portfolio").await.json();
    let c = &json["correlation"];
    assert_eq!(c["labels"], serde_json::json!(["AVAX", "FIL"]));
    assert_eq!(dec_of(&c["rows"][0]["cells"][1]["value"]), d("0.83"));
    assert_eq!(c["rows"][0]["cells"][1]["linked"], true);
    assert_eq!(c["rows"][1]["cells"][1]["state"], "self");
    assert_eq!(c["groups"], serde_json::json!(["AVAX+FIL"]));

    let page = http.get("/").await.body;
    let at = page.find("id=\"correlation\"").expect("the section");
    let section = &page[at..];
    // Narrow screens scroll the matrix, never the page; labels are short base assets.
    assert!(section.contains(
        "class=\"overflow-x-auto\"><table class=\"tbl text-sm\" id=\"correlation-matrix\""
    ));
    assert!(
        section.contains("<th class=\"num\">AVAX</th><th class=\"num\">FIL</th>"),
        "{section}"
    );
    assert!(section.contains("data-linked=\"1\">0.83<"), "{section}");
    assert!(section.contains(">AVAX+FIL<"), "{section}");
    let mut german = Http::new(&running);
    german.headers.push(("accept-language".into(), "de".into()));
    let de = german.get("/").await.body;
    assert!(de.contains("Korrelation der Renditen"));
    running.stop().await;
}
