//! The HTML pages (askama templates under `templates/dashboard/`). Every text from the store
//! goes through askama's HTML escaping; only numbers computed here reach SVG attributes.

use super::detail::{BasketDetail, HistoryParams, HistoryView};
use super::error::PageError;
use super::filters;
use super::flash::Flash;
use super::i18n::{self, Lang};
use super::journal::{BasketRow, TimelineEntry};
use super::read::Live;
use super::state::{DashboardState, LiveParts};
use super::stats::StatsView;
use super::view::{DeliveryRow, LiveView};
use crate::apps::backtest::report::chart::{self, Chart, Scale};
use crate::apps::mode::Mode;
use crate::ports::store::Store;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// Seconds between live refreshes of `/`.
pub const REFRESH_MS: u64 = 3_000;

/// What every page shows around its content.
pub(super) struct Chrome {
    pub mode: Mode,
    pub symbol: String,
    pub csrf: String,
    pub logged_in: bool,
    pub flash: Option<Flash>,
    pub title: String,
    pub lang: Lang,
}

impl Chrome {
    /// The text of `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
    /// The text of `key` with one placeholder filled.
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.lang.t1(key, name, value)
    }
    /// The languages of the switch.
    pub fn langs(&self) -> [Lang; 2] {
        Lang::ALL
    }
    /// The mode banner in the page's language (English: the mode's own words).
    pub fn banner(&self) -> String {
        self.lang.named("banner", self.mode_key())
    }
    pub fn mode_key(&self) -> &'static str {
        match self.mode {
            Mode::Paper => "paper",
            Mode::Testnet => "testnet",
            Mode::Mainnet => "mainnet",
        }
    }
}

/// The live part with its chart.
pub(super) struct LiveHtml<'a> {
    pub lang: Lang,
    pub view: &'a LiveView,
    pub chart: Option<Chart>,
    pub width: i64,
    pub height: i64,
}

impl<'a> LiveHtml<'a> {
    /// The text of `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The text of `key` with one placeholder filled.
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.lang.t1(key, name, value)
    }

    /// `2.00 filled` of a partly executed order, in the page's language.
    pub fn filled(&self, qty: &crate::core::money::Qty) -> String {
        let qty = i18n::localize_number(&qty.to_string(), self.lang);
        self.lang.t1("qty-filled", "qty", qty)
    }

    pub(super) fn new(view: &'a LiveView, lang: Lang) -> Self {
        let points: Vec<_> = view
            .equity
            .iter()
            .map(|p| (p.time_ms, p.value.get()))
            .collect();
        let chart = (points.len() >= 2).then(|| {
            let (t0, t1) = (points[0].0, points[points.len() - 1].0);
            let mut chart = chart::line_chart(
                &Scale::new(t0, t1.max(t0 + 1), points.iter().map(|p| p.1)),
                &points,
            );
            for tick in &mut chart.x_ticks {
                tick.label = i18n::localize_date(&tick.label, lang);
            }
            for tick in &mut chart.y_ticks {
                tick.label = i18n::localize_number(&tick.label, lang);
            }
            chart
        });
        Self {
            lang,
            view,
            chart,
            width: chart::WIDTH,
            height: chart::HEIGHT,
        }
    }
}

/// `/`: the page around the live parts, which come rendered ([`LiveParts`]).
#[derive(Template)]
#[template(path = "dashboard/index.html")]
struct IndexPage<'a> {
    chrome: Chrome,
    parts: &'a LiveParts,
    refresh_ms: u64,
    /// Locale key of the chart's legend (the pair's strategy kind).
    legend: &'static str,
}

#[derive(Template)]
#[template(path = "dashboard/live.html")]
struct LiveFragment<'a> {
    live: LiveHtml<'a>,
}

#[derive(Template)]
#[template(path = "dashboard/_deliveries.html")]
struct DeliveriesPart<'a> {
    lang: Lang,
    deliveries: &'a [DeliveryRow],
}

#[derive(Template)]
#[template(path = "dashboard/history.html")]
struct HistoryPage {
    chrome: Chrome,
    history: HistoryView,
    basket_value: String,
    side_value: String,
    symbol_value: String,
    from_value: String,
    to_value: String,
}

impl HistoryPage {
    fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("basket", self.basket_value.clone()),
            ("side", self.side_value.clone()),
            ("symbol", self.symbol_value.clone()),
            ("from", self.from_value.clone()),
            ("to", self.to_value.clone()),
        ]
    }

    /// Link to another page of the same filter.
    fn page_link(&self, page: u64) -> String {
        let f = &self.history.filter;
        let mut pairs = vec![
            ("page", page.to_string()),
            ("per_page", f.per_page.to_string()),
        ];
        pairs.extend(self.filter_pairs());
        serde_urlencoded::to_string(pairs)
            .map(|q| format!("/orders/history?{q}"))
            .unwrap_or_else(|_| "/orders/history".into())
    }

    /// `12 fill(s), page 1 of 3`.
    fn count_text(&self) -> String {
        let h = &self.history;
        self.chrome.lang.tr(
            "history-count",
            &[
                ("total", &h.total.to_string()),
                ("page", &h.filter.page.to_string()),
                ("pages", &h.pages.to_string()),
            ],
        )
    }

    /// The CSV export of every fill of this filter.
    fn csv_link(&self) -> String {
        serde_urlencoded::to_string(self.filter_pairs())
            .map(|q| format!("/journal/fills.csv?{q}"))
            .unwrap_or_else(|_| "/journal/fills.csv".into())
    }
}

#[derive(Template)]
#[template(path = "dashboard/journal.html")]
struct JournalPage {
    chrome: Chrome,
    rows: Vec<BasketRow>,
    symbol_value: String,
    from_value: String,
    to_value: String,
}

impl JournalPage {
    /// The CSV export (`baskets` or `fills`) of the same filter.
    fn csv_link(&self, what: &str) -> String {
        let q = serde_urlencoded::to_string([
            ("symbol", &self.symbol_value),
            ("from", &self.from_value),
            ("to", &self.to_value),
        ])
        .unwrap_or_default();
        format!("/journal/{what}.csv?{q}")
    }
}

#[derive(Template)]
#[template(path = "dashboard/stats.html")]
struct StatsPage {
    chrome: Chrome,
    stats: StatsView,
}

#[derive(Template)]
#[template(path = "dashboard/basket.html")]
struct BasketPage {
    chrome: Chrome,
    detail: BasketDetail,
}

impl BasketPage {
    /// A timeline entry in the page's language, its numbers written for it.
    fn timeline_text(&self, e: &TimelineEntry) -> String {
        let lang = self.chrome.lang;
        let args: Vec<(&str, String)> = e
            .args
            .iter()
            .map(|(name, value)| match *name {
                "slot" => (*name, value.clone()),
                _ => (*name, i18n::localize_number(value, lang)),
            })
            .collect();
        let args: Vec<(&str, &str)> = args.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let text = match e.key.strip_prefix("status-") {
            Some(status) => lang.named("status", status),
            None => lang.tr(&e.key, &args),
        };
        match &e.reason {
            Some(reason) => format!("{text}: {reason}"),
            None => text,
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage {
    chrome: Chrome,
    error: Option<String>,
}

impl<S: Store + 'static> DashboardState<S> {
    /// The page around the content; `title` gives the page's title in the request's
    /// language.
    pub(super) fn chrome(
        &self,
        headers: &HeaderMap,
        flash: Option<Flash>,
        title: impl FnOnce(Lang) -> String,
    ) -> Chrome {
        let lang = Lang::of_request(headers);
        Chrome {
            mode: self.read.mode,
            symbol: self.read.pair.symbol.to_string(),
            csrf: self.auth.csrf_token(headers),
            logged_in: self.auth.required() && self.auth.allowed(headers, false),
            flash,
            title: title(lang),
            lang,
        }
    }
}

/// `GET /`.
pub(super) async fn index<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (flash, clear) = state.flashes.take(&headers);
    let chrome = state.chrome(&headers, flash, |l| l.t("nav-dashboard"));
    let live = state.read.live().await?;
    let parts = live_parts(&state, &live, chrome.lang)?;
    let legend = super::legend::legend_for(&*state.read.store, &state.read.pair.symbol).await?;
    let page = IndexPage {
        chrome,
        parts: &parts,
        refresh_ms: REFRESH_MS,
        legend,
    };
    Ok((clear, Html(render(&page, page.chrome.lang)?)).into_response())
}

/// `GET /fragment/live`: the live part alone, for the page's refresh script.
pub(super) async fn live_fragment<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    let lang = Lang::of_request(&headers);
    let live = state.read.live().await?;
    Ok(Html(live_parts(&state, &live, lang)?.live.clone()))
}

/// The parts of `/` shared by every visitor of `lang` (the push stream sends `live`):
/// rendered once per generation of the live state and language, then served from
/// [`super::state::Rendered`].
pub(super) fn live_parts<S: Store + 'static>(
    state: &DashboardState<S>,
    live: &Live,
    lang: Lang,
) -> Result<std::sync::Arc<LiveParts>, askama::Error> {
    if let Some(parts) = state.rendered.get(live.generation, lang) {
        return Ok(parts);
    }
    let fragment = LiveFragment {
        live: LiveHtml::new(&live.view, lang),
    };
    let deliveries = DeliveriesPart {
        lang,
        deliveries: &live.deliveries,
    };
    let parts = std::sync::Arc::new(LiveParts {
        live: render(&fragment, lang)?,
        deliveries: render(&deliveries, lang)?,
    });
    state.rendered.put(live.generation, lang, parts.clone());
    Ok(parts)
}

/// Renders `page` with its numbers and dates written for `lang`.
pub(super) fn render(page: &impl Template, lang: Lang) -> Result<String, askama::Error> {
    i18n::render_in(lang, || page.render())
}

/// `GET /orders/history`.
pub(super) async fn history<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
    Query(params): Query<HistoryParams>,
) -> Result<Response, PageError> {
    let filter = params.filter().map_err(PageError::bad_request)?;
    let text = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
    let page = HistoryPage {
        chrome: state.chrome(&headers, None, |l| l.t("history-title")),
        basket_value: filter.basket.map(|b| b.to_string()).unwrap_or_default(),
        side_value: filter
            .side
            .map(|s| s.as_str().to_ascii_lowercase())
            .unwrap_or_default(),
        symbol_value: filter
            .symbol
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        from_value: text(&params.from),
        to_value: text(&params.to),
        history: state.read.history_view(filter).await?,
    };
    Ok(Html(render(&page, page.chrome.lang)?).into_response())
}

/// `GET /journal`: every basket of the filter with fees, realised P&L and note.
pub(super) async fn journal<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
    Query(params): Query<HistoryParams>,
) -> Result<Response, PageError> {
    let filter = params.filter().map_err(PageError::bad_request)?;
    let text = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
    let page = JournalPage {
        chrome: state.chrome(&headers, None, |l| l.t("journal-title")),
        rows: state.read.journal_baskets(&filter).await?,
        symbol_value: filter
            .symbol
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        from_value: text(&params.from),
        to_value: text(&params.to),
    };
    Ok(Html(render(&page, page.chrome.lang)?).into_response())
}

/// `GET /stats`: the numbers as text; `assets/stats.js` draws the charts from `/api/stats`.
pub(super) async fn stats<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let page = StatsPage {
        chrome: state.chrome(&headers, None, |l| l.t("stats-title")),
        stats: state.read.stats_view().await?,
    };
    Ok(Html(render(&page, page.chrome.lang)?).into_response())
}

/// `GET /baskets/{id}`.
pub(super) async fn basket<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
    Path(id): Path<u32>,
) -> Result<Response, PageError> {
    let (flash, clear) = state.flashes.take(&headers);
    let Some(detail) = state.read.basket_detail(id).await? else {
        return Err(PageError::no_basket(id));
    };
    let page = BasketPage {
        chrome: state.chrome(&headers, flash, |l| l.t1("basket-title", "id", id)),
        detail,
    };
    Ok((clear, Html(render(&page, page.chrome.lang)?)).into_response())
}

/// `GET /login` (without a password there is nothing to log in to).
pub(super) async fn login<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if !state.auth.required() {
        return Ok(axum::response::Redirect::to("/").into_response());
    }
    login_page(&state, &headers, StatusCode::OK, None)
}

pub(super) fn login_page<S: Store + 'static>(
    state: &DashboardState<S>,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, PageError> {
    let mut chrome = state.chrome(headers, None, |l| l.t("title-login"));
    chrome.csrf = state.auth.login_csrf().to_string();
    let page = LoginPage { chrome, error };
    Ok((status, Html(render(&page, page.chrome.lang)?)).into_response())
}
