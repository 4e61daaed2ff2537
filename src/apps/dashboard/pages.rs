//! The HTML pages (askama templates under `templates/dashboard/`). Every text from the store
//! goes through askama's HTML escaping; only numbers computed here reach SVG attributes.

use super::actions::{take_flash, Flash};
use super::detail::{BasketDetail, HistoryParams, HistoryView};
use super::filters;
use super::view::LiveView;
use super::DashboardState;
use crate::apps::backtest::report::chart::{self, Chart, Scale};
use crate::apps::trade::Mode;
use crate::ports::store::{Store, StoreError};
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
}

impl Chrome {
    pub fn banner(&self) -> &'static str {
        self.mode.banner()
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
pub(super) struct LiveHtml {
    pub view: LiveView,
    pub chart: Option<Chart>,
    pub width: i64,
    pub height: i64,
}

impl LiveHtml {
    fn new(view: LiveView) -> Self {
        let points: Vec<_> = view
            .equity
            .iter()
            .map(|p| (p.time_ms, p.value.get()))
            .collect();
        let chart = (points.len() >= 2).then(|| {
            let (t0, t1) = (points[0].0, points[points.len() - 1].0);
            chart::line_chart(
                &Scale::new(t0, t1.max(t0 + 1), points.iter().map(|p| p.1)),
                &points,
            )
        });
        Self {
            view,
            chart,
            width: chart::WIDTH,
            height: chart::HEIGHT,
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/index.html")]
struct IndexPage {
    chrome: Chrome,
    live: LiveHtml,
    refresh_ms: u64,
    /// The last notification deliveries, newest first (`_deliveries.html`).
    deliveries: Vec<Delivery>,
}

/// One notification as the dashboard lists it.
pub(super) struct Delivery {
    pub channel: &'static str,
    pub title: String,
    pub state: &'static str,
    pub attempts: u32,
    pub when_ms: i64,
    pub error: String,
}

/// Rows of the deliveries list.
const DELIVERIES_SHOWN: u64 = 10;

#[derive(Template)]
#[template(path = "dashboard/live.html")]
struct LiveFragment {
    live: LiveHtml,
}

#[derive(Template)]
#[template(path = "dashboard/history.html")]
struct HistoryPage {
    chrome: Chrome,
    history: HistoryView,
    basket_value: String,
    side_value: String,
}

impl HistoryPage {
    /// Link to another page of the same filter.
    fn page_link(&self, page: u64) -> String {
        let f = &self.history.filter;
        serde_urlencoded::to_string([
            ("page", page.to_string()),
            ("per_page", f.per_page.to_string()),
            ("basket", self.basket_value.clone()),
            ("side", self.side_value.clone()),
        ])
        .map(|q| format!("/orders/history?{q}"))
        .unwrap_or_else(|_| "/orders/history".into())
    }
}

#[derive(Template)]
#[template(path = "dashboard/basket.html")]
struct BasketPage {
    chrome: Chrome,
    detail: BasketDetail,
}

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage {
    chrome: Chrome,
    error: Option<String>,
}

/// A failed page: the details go to the log, never to the browser.
pub(super) struct PageError(pub StatusCode, pub String);

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "dashboard: store read failed");
        PageError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the journal could not be read".into(),
        )
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "dashboard: template failed");
        PageError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the page could not be rendered".into(),
        )
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

impl<S: Store + 'static> DashboardState<S> {
    pub(super) fn chrome(&self, headers: &HeaderMap, flash: Option<Flash>, title: &str) -> Chrome {
        Chrome {
            mode: self.mode,
            symbol: self.pair.symbol.to_string(),
            csrf: self.auth.csrf_token(headers),
            logged_in: self.auth.required() && self.auth.allowed(headers, false),
            flash,
            title: title.to_string(),
        }
    }
}

/// `GET /`.
pub(super) async fn index<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (flash, clear) = take_flash(&state, &headers);
    let live = LiveHtml::new(state.live_view().await?);
    let deliveries = state
        .store
        .notification_deliveries(DELIVERIES_SHOWN)
        .await?
        .into_iter()
        .map(|n| Delivery {
            channel: n.item.channel.as_str(),
            title: n.item.title,
            state: n.state.as_str(),
            attempts: n.attempts,
            when_ms: n.sent_ms.unwrap_or(n.created_ms),
            error: n.last_error.unwrap_or_default(),
        })
        .collect();
    let page = IndexPage {
        chrome: state.chrome(&headers, flash, "Dashboard"),
        live,
        refresh_ms: REFRESH_MS,
        deliveries,
    };
    Ok((clear, Html(page.render()?)).into_response())
}

/// `GET /fragment/live`: the live part alone, for the page's refresh script.
pub(super) async fn live_fragment<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
) -> Result<Html<String>, PageError> {
    let live = LiveHtml::new(state.live_view().await?);
    Ok(Html(LiveFragment { live }.render()?))
}

/// `GET /orders/history`.
pub(super) async fn history<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
    Query(params): Query<HistoryParams>,
) -> Result<Response, PageError> {
    let filter = params
        .filter()
        .map_err(|e| PageError(StatusCode::BAD_REQUEST, e))?;
    let history = state.history_view(filter).await?;
    let page = HistoryPage {
        chrome: state.chrome(&headers, None, "Order history"),
        basket_value: filter.basket.map(|b| b.to_string()).unwrap_or_default(),
        side_value: filter
            .side
            .map(|s| s.as_str().to_ascii_lowercase())
            .unwrap_or_default(),
        history,
    };
    Ok(Html(page.render()?).into_response())
}

/// `GET /baskets/{id}`.
pub(super) async fn basket<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
    Path(id): Path<u32>,
) -> Result<Response, PageError> {
    let (flash, clear) = take_flash(&state, &headers);
    let Some(detail) = state.basket_detail(id).await? else {
        return Err(PageError(StatusCode::NOT_FOUND, format!("no basket {id}")));
    };
    let page = BasketPage {
        chrome: state.chrome(&headers, flash, &format!("Basket {id}")),
        detail,
    };
    Ok((clear, Html(page.render()?)).into_response())
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
    let mut chrome = state.chrome(headers, None, "Log in");
    chrome.csrf = state.auth.login_csrf().to_string();
    let page = LoginPage { chrome, error };
    Ok((status, Html(page.render()?)).into_response())
}
