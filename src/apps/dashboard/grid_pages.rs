//! A portfolio's pages: `/` becomes the overview when the dashboard runs a portfolio of more
//! than one grid (one row per grid, totals, Close all and each grid's buttons), and every
//! grid has `/grids/{name}`: what `/` shows for one symbol, for that grid's symbol alone.
//! A single bot (or a portfolio of one grid) keeps today's `/` ([`pages::index`]).
//!
//! The overview's and a grid page's live parts are refreshed by polling (`data-refresh`,
//! every [`REFRESH_MS`]); the push stream (`/events`) carries the one-symbol live part only.

use super::chart::Range;
use super::error::PageError;
use super::filters;
use super::grids::{grid_path, GridInfo};
use super::i18n::Lang;
use super::overview::{GridRow, OverviewView};
use super::pages::{self, render, Chrome, LiveHtml, REFRESH_MS};
use super::state::DashboardState;
use crate::ports::store::Store;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

/// `/` of a portfolio.
#[derive(Template)]
#[template(path = "dashboard/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    part: String,
    refresh_ms: u64,
}

/// The overview's live part (`/fragment/overview`).
#[derive(Template)]
#[template(path = "dashboard/_overview.html")]
struct OverviewPart<'a> {
    lang: Lang,
    view: &'a OverviewView,
}

impl OverviewPart<'_> {
    /// The text of `key` in the page's language.
    fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The text of `key` with the grid's name filled in.
    fn tg(&self, key: &str, g: &GridRow) -> String {
        self.lang.t1(key, "name", &g.name)
    }

    /// A grid's status in the page's language.
    fn status(&self, g: &GridRow) -> String {
        self.lang.named("grid-status", g.status)
    }

    /// The correlation's window line.
    fn tm(&self, key: &str, minutes: &i64) -> String {
        self.lang.t1(key, "minutes", minutes)
    }

    /// The correlation groups' heading with the cap's threshold.
    fn tt(&self, key: &str, threshold: &rust_decimal::Decimal) -> String {
        self.lang.t1(key, "threshold", threshold.normalize())
    }

    /// A held limit's action in the page's language.
    fn action(&self, action: &str) -> String {
        self.lang.named("risk-action", action)
    }
}

/// `/grids/{name}`.
#[derive(Template)]
#[template(path = "dashboard/grid.html")]
struct GridPage<'a> {
    chrome: Chrome,
    name: String,
    path: String,
    live: LiveHtml<'a>,
    refresh_ms: u64,
    /// Locale key of the chart's legend (the grid's strategy kind).
    legend: &'static str,
}

/// A grid page's live part (`/grids/{name}/fragment`).
#[derive(Template)]
#[template(path = "dashboard/live.html")]
struct GridFragment<'a> {
    live: LiveHtml<'a>,
}

impl<S: Store + 'static> DashboardState<S> {
    /// The grid named `name`, or a 404.
    fn grid(&self, name: &str) -> Result<GridInfo, PageError> {
        self.read
            .grids
            .get(name)
            .cloned()
            .ok_or_else(|| PageError::no_grid(name))
    }
}

/// `GET /`: the overview of a portfolio, else the one-symbol page.
pub(super) async fn home<S: Store + 'static>(
    state: State<DashboardState<S>>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if !state.read.grids.is_portfolio() {
        return pages::index(state, headers).await;
    }
    let (flash, clear) = state.flashes.take(&headers);
    let mut chrome = state.chrome(&headers, flash, |l| l.t("portfolio-title"));
    chrome.symbol = chrome.t("portfolio-title");
    let view = state.read.overview().await?;
    let part = render(
        &OverviewPart {
            lang: chrome.lang,
            view: &view,
        },
        chrome.lang,
    )?;
    let page = OverviewPage {
        chrome,
        part,
        refresh_ms: REFRESH_MS,
    };
    Ok((clear, Html(render(&page, page.chrome.lang)?)).into_response())
}

/// `GET /fragment/overview`: the overview's live part alone (404 without a portfolio).
pub(super) async fn overview_fragment<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    if !state.read.grids.is_portfolio() {
        return Err(PageError::no_grid(""));
    }
    let lang = Lang::of_request(&headers);
    let view = state.read.overview().await?;
    Ok(Html(render(&OverviewPart { lang, view: &view }, lang)?))
}

/// `GET /api/portfolio`: the overview as JSON (decimals as strings; no grids without a
/// portfolio).
pub(super) async fn overview_json<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
) -> Result<Json<OverviewView>, PageError> {
    Ok(Json(state.read.overview().await?))
}

/// `GET /grids/{name}`.
pub(super) async fn grid<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    let grid = state.grid(&name)?;
    let (flash, clear) = state.flashes.take(&headers);
    let mut chrome = state.chrome(&headers, flash, |l| l.t1("grid-title", "name", &grid.name));
    chrome.symbol = grid.pair.symbol.to_string();
    let view = state.read.grid_live_view(&grid).await?;
    let legend = super::legend::legend_for(&*state.read.store, &grid.pair.symbol).await?;
    let page = GridPage {
        live: LiveHtml::new(&view, chrome.lang),
        chrome,
        name: grid.name.clone(),
        path: grid_path(&grid.name),
        refresh_ms: REFRESH_MS,
        legend,
    };
    Ok((clear, Html(render(&page, page.chrome.lang)?)).into_response())
}

/// `GET /grids/{name}/fragment`: a grid page's live part alone.
pub(super) async fn grid_fragment<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Html<String>, PageError> {
    let grid = state.grid(&name)?;
    let lang = Lang::of_request(&headers);
    let view = state.read.grid_live_view(&grid).await?;
    let fragment = GridFragment {
        live: LiveHtml::new(&view, lang),
    };
    Ok(Html(render(&fragment, lang)?))
}

/// The chart's `?range=`.
#[derive(Debug, serde::Deserialize)]
pub(super) struct RangeParam {
    range: Option<String>,
}

/// `GET /api/grids/{name}/chart?range=`: a grid's price chart (as `/api/chart`).
pub(super) async fn grid_chart<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    Path(name): Path<String>,
    Query(params): Query<RangeParam>,
) -> Result<Json<super::chart::ChartView>, PageError> {
    let grid = state.grid(&name)?;
    let range = Range::parse(params.range.as_deref()).map_err(PageError::bad_request)?;
    Ok(Json(state.read.grid_chart_view(&grid, range).await?))
}
