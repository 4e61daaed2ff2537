//! Reading: every GET route, the P&L numbers, pagination and filters, the banner.

use super::dec_of;
use super::fixtures::*;
use binance_trader::apps::trade::Mode;
use binance_trader::core::order::Slot;
use serde_json::Value;

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
    assert_eq!(b2["next_tp"], serde_json::json!([["TP2", "4.800"]]));
    assert_eq!(baskets[0]["status"], "error");
    assert_eq!(j["equity"].as_array().unwrap().len(), 3);
    assert_eq!(j["balances"].as_array().unwrap().len(), 2);
    running.stop().await;
}

/// Every decimal string of a JSON document with its path.
fn decimals(v: &Value, path: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) if s.parse::<rust_decimal::Decimal>().is_ok() => {
            out.push((path, s.clone()))
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| decimals(x, format!("{path}[{i}]"), out)),
        Value::Object(o) => o
            .iter()
            .for_each(|(k, x)| decimals(x, format!("{path}.{k}"), out)),
        _ => {}
    }
}

#[tokio::test]
async fn api_numbers_are_at_tick_step_and_8_decimals() {
    // A fourth buy of basket 2 makes its VWAP 40.004 / 11 = 3.63672727… (28 digits raw).
    let store = binance_trader::adapters::memory_store::MemoryStore::new();
    seed(&store).await;
    use binance_trader::ports::store::Store;
    assert!(store
        .insert_fill(&fill(2, 9, Slot::Buy(4), "3.001", "4", "0", "USDT"))
        .await
        .unwrap());
    let (tx, _) = fake_bot();
    let state =
        binance_trader::apps::dashboard::DashboardState::new(store, tx, Mode::Paper, pair(), None)
            .unwrap();
    let running = binance_trader::apps::dashboard::spawn("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap();
    let mut http = Http::new(&running);
    let j = http.get("/api/state").await.json();
    let b2 = &j["baskets"][1];
    assert_eq!(b2["vwap"], "3.637", "price at the tick (0.001)");
    assert_eq!(b2["anchor"], "5.000");
    assert_eq!(b2["position"], "11.00", "quantity at the step (0.01)");
    assert_eq!(j["last_price"], "4.500");
    assert_eq!(
        j["summary"]["realised"], "4.79300000",
        "quote at 8 decimals"
    );
    assert_eq!(j["summary"]["roi_pct"], "1.4289", "ratio at 4 decimals");
    let mut all = Vec::new();
    decimals(&j, "$".into(), &mut all);
    assert!(all.len() > 20);
    for (path, text) in &all {
        let dp = text.split_once('.').map_or(0, |(_, f)| f.len());
        assert!(dp <= 8, "{path} = {text} has {dp} decimals");
    }
    // The page: prices at the tick, P&L at 2 decimals.
    let page = http.get("/").await.body;
    assert!(page.contains(">3.637<"), "VWAP at the tick");
    assert!(page.contains("+4.79<"), "realised at 2 decimals");
    assert!(!page.contains("3.6367"), "no long decimals on the page");
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
    // Dark mode keys on the `.dark` class theme.js sets (from the system or the switch).
    assert!(css.body.contains(".bg-red-700") && css.body.contains(".dark"));
    let js = http.get("/assets/dashboard.js").await;
    assert!(js.header("content-type").starts_with("text/javascript"));
    assert!(js.body.contains("close-all") || js.body.contains("data-open"));
    running.stop().await;
}

#[tokio::test]
async fn health_and_metrics() {
    let (running, _) = start(Mode::Paper, None).await;
    let mut http = Http::new(&running);
    assert_eq!(
        http.get("/login").await.status,
        303,
        "no password, no login page"
    );
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
async fn german_by_accept_language_or_switch_with_german_numbers() {
    let (running, _) = start(Mode::Paper, None).await;
    let mut http = Http::new(&running);
    http.headers
        .push(("accept-language".into(), "de-DE,de;q=0.9,en;q=0.5".into()));
    let page = http.get("/").await.body;
    assert!(
        page.contains("<html lang=\"de\""),
        "German by Accept-Language"
    );
    assert!(page.contains("Alle Positionen schließen"));
    assert!(page.contains(">+4,79<"), "German decimal comma on money");
    assert!(page.contains(">4,500<"), "German decimal comma on prices");
    // The switch overrides the header and is remembered.
    let switched = http.get("/lang/en").await;
    assert_eq!(switched.status, 303);
    let page = http.get("/").await.body;
    assert!(page.contains("<html lang=\"en\"") && page.contains("Close all positions"));
    assert!(page.contains(">+4.79<"));
    // The API stays locale-free.
    http.get("/lang/de").await;
    let j = http.get("/api/state").await.json();
    assert_eq!(j["summary"]["realised"], "4.79300000");
    running.stop().await;
}

#[tokio::test]
async fn basket_note_needs_csrf_and_shows_in_journal_and_csv() {
    let (running, _) = start(Mode::Paper, None).await;
    let mut http = Http::new(&running);
    let page = http.get("/baskets/2").await;
    let csrf = page.csrf();
    let refused = http
        .post("/baskets/2/note", &[("_csrf", "wrong"), ("note", "x")])
        .await;
    assert_eq!(refused.status, 403);
    let saved = http
        .post(
            "/baskets/2/note",
            &[("_csrf", &csrf), ("note", "  =rebuy at 3.9, \"patient\"  ")],
        )
        .await;
    assert_eq!(saved.status, 303);
    assert_eq!(saved.header("location"), "/baskets/2");
    assert!(http
        .get("/baskets/2")
        .await
        .body
        .contains("=rebuy at 3.9, &#34;patient&#34;"));
    assert_eq!(
        http.post("/baskets/99/note", &[("_csrf", &csrf), ("note", "x")])
            .await
            .status,
        404
    );
    let journal = http.get("/journal").await.body;
    assert!(journal.contains("data-basket-id=\"2\""));
    let csv = http.get("/journal/baskets.csv").await;
    assert!(csv.header("content-type").starts_with("text/csv"));
    let line = csv
        .body
        .lines()
        .find(|l| l.starts_with("2,"))
        .unwrap()
        .to_string();
    assert!(
        line.ends_with(",\"'=rebuy at 3.9, \"\"patient\"\"\""),
        "note neutralised and quoted: {line}"
    );
    // Fills: one line per fill, sells with their realised P&L; filters apply.
    let fills = http.get("/journal/fills.csv?side=sell").await.body;
    assert_eq!(fills.lines().count(), 1 + 3, "{fills}");
    assert!(fills.contains(",4.90500000\n") || fills.contains(",4.90500000\r\n"));
    assert_eq!(
        http.get("/journal/fills.csv?from=2026-02-30").await.status,
        400
    );
    running.stop().await;
}
