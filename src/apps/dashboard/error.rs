//! The dashboard's two error types: why it cannot start, and why a page failed (details go
//! to the log, never to the browser).

use crate::ports::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Why the dashboard cannot start.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// Bad configuration (listen address, password hash).
    #[error("dashboard: {0}")]
    Config(String),
    /// The socket failed.
    #[error("dashboard: {0}")]
    Io(#[from] std::io::Error),
}

/// A failed page or API call: a status and a message safe to show.
pub struct PageError(pub StatusCode, pub String);

impl PageError {
    /// A 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, message.into())
    }
}

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
