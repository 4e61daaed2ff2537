//! `GET /journal/fills.csv` and `GET /journal/baskets.csv`: the trade journal as CSV (UTF-8,
//! RFC 4180, one header line), for taxes and spreadsheets. The same filters as the pages
//! (`symbol`, `from`, `to`, `side`, `basket`); no pages.

use super::detail::HistoryParams;
use super::error::PageError;
use super::journal;
use super::state::DashboardState;
use crate::ports::store::Store;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

fn csv(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /journal/fills.csv`.
pub(super) async fn fills<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    Query(params): Query<HistoryParams>,
) -> Result<Response, PageError> {
    let filter = params.filter().map_err(PageError::bad_request)?;
    let rows = state.read.journal_fills(&filter).await?;
    let precision = state.read.pair.precision();
    let assets = (&state.read.pair.base, &state.read.pair.quote);
    let mut body = String::from(journal::FILLS_CSV_HEADER);
    for (record, realised) in &rows {
        body.push_str(&journal::fill_csv_line(
            record, *realised, assets, precision,
        ));
    }
    Ok(csv("fills.csv", body))
}

/// `GET /journal/baskets.csv`.
pub(super) async fn baskets<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    Query(params): Query<HistoryParams>,
) -> Result<Response, PageError> {
    let filter = params.filter().map_err(PageError::bad_request)?;
    let rows = state.read.journal_baskets(&filter).await?;
    let mut body = String::from(journal::BASKETS_CSV_HEADER);
    for row in &rows {
        body.push_str(&journal::basket_csv_line(row));
    }
    Ok(csv("baskets.csv", body))
}
