//! German everywhere: every page, receipt and error a German visitor (`Accept-Language: de`)
//! can reach says nothing in English. The pages' visible text and their human-facing
//! attributes (titles, placeholders, the phone layout's column labels, confirmations) are
//! checked against the English UI texts: every value of `locales/en.ftl` that German writes
//! differently, plus the English the templates held before they were translated.

use super::fixtures::*;
use binance_trader::apps::trade::Mode;

/// English UI texts that must not reach a German page (whole words, case-sensitive).
/// ("Position" is German too, so it is not here.)
const ENGLISH: &[&str] = &[
    "Position value",
    "Grids trading",
    "under a risk limit",
    "Risk limits",
    "all clear",
    "no new buys",
    "closed by",
    "Close grid",
    "Pause grid",
    "Resume grid",
    "Portfolio overview",
    "Order history",
    "Statistics",
    "Metrics",
    "Log out",
    "Log in",
    "Password",
    "Close all",
    "Realised",
    "Unrealised",
    "Combined",
    "Total trades",
    "Win rate",
    "Average",
    "Balances",
    "Exchange feed",
    "Last price",
    "Active baskets",
    "Open orders",
    "Trade journal",
    "Asset",
    "Free",
    "Locked",
    "Basket",
    "Anchor",
    "Levels filled",
    "Next TP",
    "paused",
    "active",
    "Pause",
    "Resume",
    "No active basket",
    "Order ID",
    "Slot",
    "Side",
    "Type",
    "Price",
    "Quantity",
    "Current price",
    "market",
    "filled",
    "No open order",
    "Notifications",
    "From",
    "To",
    "Filter",
    "any",
    "buy",
    "sell",
    "fill(s)",
    "page",
    "No fill",
    "Newer",
    "Older",
    "Baskets CSV",
    "Fills CSV",
    "basket(s)",
    "history",
    "Opened",
    "Closed",
    "Bought",
    "Sold",
    "Fills",
    "Fees",
    "Note",
    "No basket",
    "Fees paid",
    "Max drawdown",
    "Drawdown",
    "Daily",
    "per basket",
    "Timeline",
    "opened",
    "bought",
    "sold",
    "Save note",
    "Filled levels",
    "Level",
    "Average price",
    "Executed",
    "No order",
    "Cancel",
    "Confirm",
    "emergency",
    "Lines",
    "Time range",
    "Account value",
    "No account snapshots",
    "No snapshot",
    "Wrong password",
    "CSRF token",
    "no basket",
    "journal could not",
    "closed",
    "cancelled",
    "placed",
    "exit sell",
    "note of basket",
    "Colours",
    "Language",
    "system",
    "light",
    "dark",
    "Equity",
    "Time (UTC)",
    "Fee",
    "exchange id",
    "fee",
    "P&L",
    "ROI",
    "PAPER",
    "TRADING",
    "simulated",
    "real money",
    "Dashboard",
    "Drag",
    "zoom",
    "on",
];

/// Attributes a person reads (the rest are ids, classes, URLs and values for scripts).
const READ_ATTRIBUTES: &[&str] = &[
    "title",
    "placeholder",
    "aria-label",
    "alt",
    "data-label",
    "data-confirm",
    "data-live",
    "data-disconnected",
    "data-polling",
    "data-system",
    "data-light",
    "data-dark",
    "data-label-anchor",
    "data-label-stop",
    "data-label-fee",
];

/// What a person reads of `html`: text between tags (outside scripts and the JSON of the
/// chart) and the values of [`READ_ATTRIBUTES`], entities decoded.
fn readable(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push(rest[..open].to_string());
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        if tag.starts_with("script") || tag.starts_with("style") {
            let end = if tag.starts_with("script") {
                "</script>"
            } else {
                "</style>"
            };
            rest = rest.find(end).map_or("", |at| &rest[at + end.len()..]);
        }
        for attribute in READ_ATTRIBUTES {
            let key = format!(" {attribute}=\"");
            if let Some(at) = tag.find(&key) {
                let value = &tag[at + key.len()..];
                out.push(value[..value.find('"').unwrap_or(value.len())].to_string());
            }
        }
    }
    out.push(rest.to_string());
    out.into_iter()
        .map(|t| {
            t.replace("&amp;", "&")
                .replace("&#39;", "'")
                .replace("&quot;", "\"")
        })
        .filter(|t| !t.trim().is_empty())
        .collect()
}

/// Whether `word` stands in `text` as a whole word (or phrase).
fn has_word(text: &str, word: &str) -> bool {
    let letter = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    text.match_indices(word).any(|(at, _)| {
        !letter(text[..at].chars().next_back()) && !letter(text[at + word.len()..].chars().next())
    })
}

/// The English texts left in `html`, with the piece of text they stand in.
fn english_in(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for text in readable(html) {
        for word in ENGLISH {
            if has_word(&text, word) {
                found.push(format!("{word:?} in {:?}", text.trim()));
            }
        }
    }
    found
}

fn german(running: &binance_trader::apps::dashboard::Running) -> Http {
    let mut http = Http::new(running);
    http.headers
        .push(("accept-language".into(), "de-DE,de;q=0.9,en;q=0.5".into()));
    http
}

/// What the bot wrote and the page shows as written (a pause's reason is stored data, not
/// a text of the dashboard).
const STORED: &[&str] = &["paused by the operator"];

fn assert_german(what: &str, body: &str) {
    let mut body = body.to_string();
    for text in STORED {
        body = body.replace(text, "");
    }
    let found = english_in(&body);
    assert!(
        found.is_empty(),
        "{what} has English left:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checker_finds_english() {
    let page = "<p title=\"Realised P&amp;L\">Kontowert</p><td data-label=\"Basket\">#2</td>\
                <script>var Basket = 1;</script><span class=\"Fees\">Gebühren</span>";
    let found = english_in(page);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(english_in("<p>Filtern, Ausführungen, Fees-frei</p>").len() == 1);
}

#[tokio::test]
async fn every_page_speaks_german() {
    let (running, _) = start(Mode::Paper, None).await;
    let mut http = german(&running);
    for path in [
        "/",
        "/fragment/live",
        "/orders/history",
        "/orders/history?per_page=2&page=2",
        "/journal",
        "/stats",
        "/baskets/1",
        "/baskets/2",
        "/baskets/3",
    ] {
        let page = http.get(path).await;
        if std::env::var("DUMP_GERMAN").is_ok() {
            eprintln!("==== {path}\n{}", readable(&page.body).join("|"));
        }
        assert_eq!(page.status, 200, "{path}");
        assert_german(path, &page.body);
    }
    let page = http.get("/").await.body;
    assert!(page.contains("<html lang=\"de\">"));
    assert!(page.contains("+4,79"), "German numbers");
    assert!(
        page.contains(">14.11. 22:13<"),
        "German dates on the equity chart"
    );
    let history = http.get("/orders/history").await.body;
    assert!(history.contains("14.11.2023"), "German dates: {history}");

    // Errors.
    let missing = http.get("/baskets/99").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body, "kein Korb 99");
    let forged = http
        .post("/trading/close-all", &[("_csrf", "forged")])
        .await;
    assert_eq!(forged.status, 403);
    assert_german("the CSRF refusal", &forged.body);
    assert!(forged.body.contains("CSRF-Token fehlt"));

    // Receipts.
    let token = http.get("/").await.csrf();
    http.post("/trading/close-all", &[("_csrf", &token)]).await;
    let page = http.get("/").await.body;
    assert!(page.contains("2 Korb/Körbe geschlossen"), "{page}");
    assert!(page.contains("Verkauf 7 zu 4,365"), "{page}");
    assert_german("the close-all receipt", &page);
    http.post("/baskets/2/pause", &[("_csrf", &token)]).await;
    let page = http.get("/").await.body;
    assert!(page.contains("Korb 2 pausiert"));
    assert_german("the pause receipt", &page);
    http.post("/baskets/2/note", &[("_csrf", &token), ("note", "Notiz")])
        .await;
    let page = http.get("/baskets/2").await.body;
    assert!(page.contains("Notiz zu Korb 2 gespeichert"));
    assert_german("the note receipt", &page);
    running.stop().await;
}

#[tokio::test]
async fn the_login_page_and_its_refusals_speak_german() {
    let (running, _) = start(Mode::Testnet, Some(quick_hash("correct horse"))).await;
    let mut http = german(&running);
    assert_eq!(http.get("/api/state").await.body, "bitte zuerst anmelden");
    let login = http.get("/login").await;
    assert_german("/login", &login.body);
    let token = login.csrf();
    let wrong = http
        .post("/login", &[("_csrf", &token), ("password", "wrong")])
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Falsches Passwort"));
    assert_german("the wrong password page", &wrong.body);
    running.stop().await;
}

/// A portfolio's overview and grid pages, and a grid's 404.
#[tokio::test]
async fn the_portfolio_pages_speak_german() {
    let (running, _) = super::portfolio::start(super::portfolio::grids()).await;
    let mut http = german(&running);
    for path in [
        "/",
        "/fragment/overview",
        "/grids/avax",
        "/grids/fil/fragment",
    ] {
        let page = http.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_german(path, &page.body);
    }
    let page = http.get("/").await.body;
    assert!(page.contains("keine neuen Käufe"), "{page}");
    assert!(page.contains("Positionswert"), "{page}");
    let missing = http.get("/grids/nope").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body, "kein Grid nope");
    running.stop().await;
}

#[test]
fn every_english_text_has_a_german_one() {
    let keys = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string()))
            .collect()
    };
    let en = keys(include_str!("../../../locales/en.ftl"));
    let de = keys(include_str!("../../../locales/de.ftl"));
    let missing: Vec<_> = en.iter().filter(|k| !de.contains(k)).collect();
    assert!(missing.is_empty(), "not in de.ftl: {missing:?}");
    let extra: Vec<_> = de.iter().filter(|k| !en.contains(k)).collect();
    assert!(extra.is_empty(), "only in de.ftl: {extra:?}");
}
