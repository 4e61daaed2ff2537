//! The dashboard's two error types: why it cannot start, and why a page failed (details go
//! to the log, never to the browser). A failed page says why in the visitor's language: it
//! carries its text as a key of `locales/*.ftl` ([`ErrorText`]), and the router writes it
//! (`localize_errors` in `mod.rs`).

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

/// An error response's text as a key of `locales/*.ftl` with its arguments, attached to the
/// response (its body is the English text) for the router to translate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorText {
    /// The key (`error-no-basket`, …).
    pub key: &'static str,
    /// Its placeholders.
    pub args: Vec<(&'static str, String)>,
}

impl ErrorText {
    /// `key` with `args`.
    pub fn new(key: &'static str, args: &[(&'static str, String)]) -> Self {
        Self {
            key,
            args: args.to_vec(),
        }
    }

    /// A response of `status` saying `english`, to be translated from this text.
    pub fn respond(self, status: StatusCode, english: impl Into<String>) -> Response {
        let mut response = (status, english.into()).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// A failed page or API call: a status and a message safe to show.
pub struct PageError(pub StatusCode, pub String, pub ErrorText);

impl PageError {
    /// A 400 with `message` (why the request was refused, in English; German pages put it
    /// after their own "bad request").
    pub fn bad_request(message: impl Into<String>) -> Self {
        let message = message.into();
        let text = ErrorText::new("error-bad-request", &[("reason", message.clone())]);
        Self(StatusCode::BAD_REQUEST, message, text)
    }

    /// A 404 for basket `id`.
    pub fn no_basket(id: u32) -> Self {
        Self(
            StatusCode::NOT_FOUND,
            format!("no basket {id}"),
            ErrorText::new("error-no-basket", &[("id", id.to_string())]),
        )
    }
}

impl PageError {
    /// A 404 for the grid named `name` (no such grid in the portfolio, or no portfolio).
    pub fn no_grid(name: &str) -> Self {
        Self(
            StatusCode::NOT_FOUND,
            format!("no grid {name}"),
            ErrorText::new("error-no-grid", &[("name", name.to_string())]),
        )
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "dashboard: store read failed");
        PageError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the journal could not be read".into(),
            ErrorText::new("error-journal", &[]),
        )
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "dashboard: template failed");
        PageError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the page could not be rendered".into(),
            ErrorText::new("error-render", &[]),
        )
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.2.respond(self.0, self.1)
    }
}
