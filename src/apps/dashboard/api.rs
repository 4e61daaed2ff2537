//! JSON API (`/api/...`, the same data as the pages), `/healthz`, `/metrics` and the embedded
//! static assets.

use super::chart::{ChartView, Range};
use super::detail::{BasketDetail, HistoryParams, HistoryView};
use super::error::PageError;
use super::state::DashboardState;
use super::stats::StatsView;
use super::view::LiveView;
use crate::ports::store::Store;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;

/// The Tailwind build (see `.spec/dashboard.md` for the command).
const CSS: &str = include_str!("../../../assets/dashboard.css");
/// The refresh and modal script.
const JS: &str = include_str!("../../../assets/dashboard.js");
/// The `/stats` charts.
const STATS_JS: &str = include_str!("../../../assets/stats.js");
/// Light or dark (loaded in `<head>`).
const THEME_JS: &str = include_str!("../../../assets/theme.js");
/// The price chart's script (also inlined in the backtest report).
pub const CHART_JS: &str = include_str!("../../../assets/chart.js");
/// TradingView lightweight-charts, vendored (`assets/vendor/lightweight-charts/VENDORED.md`).
pub const LIGHTWEIGHT_CHARTS_JS: &str = include_str!(
    "../../../assets/vendor/lightweight-charts/lightweight-charts.standalone.production.js"
);

/// `GET /api/state`.
pub(super) async fn state<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
) -> Result<Json<LiveView>, PageError> {
    Ok(Json(state.read.live_view().await?))
}

/// `GET /api/orders/history`.
pub(super) async fn history<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    Query(params): Query<HistoryParams>,
) -> Result<Json<HistoryView>, PageError> {
    let filter = params.filter().map_err(PageError::bad_request)?;
    Ok(Json(state.read.history_view(filter).await?))
}

/// `GET /api/baskets/{id}`.
pub(super) async fn basket<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    Path(id): Path<u32>,
) -> Result<Json<BasketDetail>, PageError> {
    match state.read.basket_detail(id).await? {
        Some(d) => Ok(Json(d)),
        None => Err(PageError::no_basket(id)),
    }
}

/// `?range=1d|1w|all` of `/api/chart`.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct ChartParams {
    range: Option<String>,
}

/// `GET /api/chart`.
pub(super) async fn chart<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    Query(params): Query<ChartParams>,
) -> Result<Json<ChartView>, PageError> {
    let range = Range::parse(params.range.as_deref()).map_err(PageError::bad_request)?;
    Ok(Json(state.read.chart_view(range).await?))
}

/// `GET /api/stats`.
pub(super) async fn stats<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
) -> Result<Json<StatsView>, PageError> {
    Ok(Json(state.read.stats_view().await?))
}

/// `GET /healthz`: the process answers.
pub(super) async fn healthz() -> &'static str {
    "ok"
}

/// `GET /metrics`: Prometheus text format.
pub(super) async fn metrics<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.read.metrics.encode(),
    )
}

/// `GET /assets/dashboard.css`.
pub(super) async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}

/// `GET /assets/dashboard.js`.
pub(super) async fn js() -> impl IntoResponse {
    script(JS)
}

/// `GET /assets/chart.js`.
pub(super) async fn chart_js() -> impl IntoResponse {
    script(CHART_JS)
}

/// `GET /assets/stats.js`.
pub(super) async fn stats_js() -> impl IntoResponse {
    script(STATS_JS)
}

/// `GET /assets/theme.js`.
pub(super) async fn theme_js() -> impl IntoResponse {
    script(THEME_JS)
}

/// `GET /assets/vendor/lightweight-charts.js`.
pub(super) async fn lightweight_charts() -> impl IntoResponse {
    script(LIGHTWEIGHT_CHARTS_JS)
}

fn script(body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}
