//! `POST /grids/{name}/close|pause|resume`: one grid's control from the dashboard. The
//! command is queued as the grid's `bot_config` row (`ports::operator::queue_grid_command`,
//! the row `binance-trader grid NAME …` writes), so it reaches the portfolio's loop the way
//! every other process's command does and runs between two steps, never inside one. The
//! dashboard waits for the loop's receipt and shows it. Same rules as Close all: the CSRF
//! token is checked before anything else, and the login guard covers the route.

use super::actions::{csrf_refused, redirect_with_flash};
use super::error::PageError;
use super::flash::Flash;
use super::grids::grid_path;
use super::i18n::Lang;
use super::state::DashboardState;
use crate::ports::operator::{grid_receipt, queue_grid_command, GridCommand};
use crate::ports::store::Store;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Form;
use serde::Deserialize;
use std::time::Duration;

/// How long the dashboard waits for the loop's receipt (as long as `grid` and Close all do).
const RECEIPT_WAIT: Duration = Duration::from_secs(60);
/// How often it looks for the receipt.
const RECEIPT_POLL: Duration = Duration::from_millis(50);

/// The form of a grid's buttons: the CSRF token and the page to go back to.
#[derive(Debug, Deserialize)]
pub(super) struct GridForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    /// `overview` goes back to `/`; anything else to the grid's page.
    #[serde(default)]
    from: String,
}

/// `POST /grids/{name}/{verb}`.
pub(super) async fn grid_command<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
    Path((name, verb)): Path<(String, String)>,
    Form(form): Form<GridForm>,
) -> Result<Response, PageError> {
    if !state.auth.csrf_ok(&headers, &form.csrf) {
        return Ok(csrf_refused());
    }
    let Some(grid) = state.read.grids.get(&name) else {
        return Err(PageError::no_grid(&name));
    };
    let Some(command) = GridCommand::parse(&verb) else {
        return Err(PageError::bad_request(format!(
            "{verb}: not pause, resume or close"
        )));
    };
    tracing::warn!(grid = %grid.name, command = command.as_str(), "dashboard: grid command requested");
    let lang = Lang::of_request(&headers);
    let store = &*state.read.store;
    let queued = queue_grid_command(store, &grid.name, command, wall_ms()).await?;
    let deadline = tokio::time::Instant::now() + RECEIPT_WAIT;
    let receipt = loop {
        if let Some(r) = grid_receipt(store, &grid.name, &queued).await? {
            break Some(r);
        }
        if tokio::time::Instant::now() >= deadline {
            break None;
        }
        tokio::time::sleep(RECEIPT_POLL).await;
    };
    // Whatever the loop did, the next page must show it, not a cached view.
    state.read.invalidate_live().await;
    let args = |r: &str| [("name", grid.name.clone()), ("receipt", r.to_string())];
    let flash = match receipt {
        Some(r) if r.contains(": done: ") => Flash {
            error: false,
            text: lang.tr("flash-grid-done", &pairs(&args(&r))),
        },
        Some(r) => Flash {
            error: true,
            text: lang.tr("flash-grid-failed", &pairs(&args(&r))),
        },
        None => Flash {
            error: true,
            text: lang.tr(
                "flash-grid-no-answer",
                &[
                    ("name", grid.name.as_str()),
                    ("secs", &RECEIPT_WAIT.as_secs().to_string()),
                ],
            ),
        },
    };
    let back = if form.from == "overview" {
        "/".to_string()
    } else {
        grid_path(&grid.name)
    };
    Ok(redirect_with_flash(&state, &back, flash))
}

fn pairs<'a>(args: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    args.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

/// Wall-clock Unix ms: the queue's rows carry the asking process's wall time, as the
/// command line's do.
fn wall_ms() -> i64 {
    crate::apps::bot::runner::wall_ms()
}
