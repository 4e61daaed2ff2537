//! POST handlers (emergency close, pause, resume, login, logout), the login guard and flash
//! messages. Every POST checks its CSRF token before anything else; every action answers
//! with a redirect (post/redirect/get) and leaves its result as a one-time flash message.

use super::auth::Login;
use super::pages::{login_page, PageError};
use super::DashboardState;
use crate::apps::bot::emergency::CloseReceipt;
use crate::apps::bot::runner::BotCommand;
use crate::ports::store::Store;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;

/// Cookie naming the pending flash message.
const FLASH_COOKIE: &str = "bt_flash";
/// How long the dashboard waits for the bot to answer a command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// A one-time message shown after an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// True for a failure.
    pub error: bool,
    /// The text.
    pub text: String,
}

/// A form that carries only the CSRF token.
#[derive(Debug, Deserialize)]
pub(super) struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// The login form.
#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn set_cookie(value: String) -> [(header::HeaderName, String); 1] {
    [(header::SET_COOKIE, value)]
}

/// Takes the request's flash message (once) and the header that clears its cookie.
pub(super) fn take_flash<S>(
    state: &DashboardState<S>,
    headers: &HeaderMap,
) -> (Option<Flash>, HeaderMap) {
    let mut clear = HeaderMap::new();
    let Some(id) = cookie(headers, FLASH_COOKIE) else {
        return (None, clear);
    };
    let flash = state
        .flashes
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&id);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{FLASH_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
    )) {
        clear.insert(header::SET_COOKIE, v);
    }
    (flash, clear)
}

fn redirect_with_flash<S>(state: &DashboardState<S>, to: &str, flash: Flash) -> Response {
    let id = super::auth::new_token();
    let mut flashes = state.flashes.lock().unwrap_or_else(|e| e.into_inner());
    if flashes.len() > 1_000 {
        flashes.clear();
    }
    flashes.insert(id.clone(), flash);
    drop(flashes);
    (
        set_cookie(format!(
            "{FLASH_COOKIE}={id}; Path=/; Max-Age=300; HttpOnly; SameSite=Strict"
        )),
        Redirect::to(to),
    )
        .into_response()
}

fn csrf_refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        "CSRF token missing or wrong; reload the page",
    )
        .into_response()
}

/// Lets a request through when no password is set or it has a session; otherwise pages
/// redirect to `/login` and everything else gets `401`.
pub(super) async fn require_login<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    request: Request,
    next: Next,
) -> Response {
    // The page's own refresh every few seconds is not use: an open, unattended tab must
    // still reach the idle timeout.
    let used = !(request.method() == Method::GET && request.uri().path() == "/fragment/live");
    if state.auth.allowed(request.headers(), used) {
        return next.run(request).await;
    }
    let path = request.uri().path();
    let page = request.method() == Method::GET
        && !path.starts_with("/api/")
        && !path.starts_with("/fragment/")
        && path != "/metrics";
    if page {
        Redirect::to("/login").into_response()
    } else {
        (StatusCode::UNAUTHORIZED, "log in first").into_response()
    }
}

/// `POST /login`.
pub(super) async fn login<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    if !state.auth.required() {
        return Ok(Redirect::to("/").into_response());
    }
    if !state.auth.login_csrf_ok(&form.csrf) {
        return Ok(csrf_refused());
    }
    let ip = state
        .auth
        .client_ip(peer.map(|Extension(ConnectInfo(a))| a), &headers);
    match state.auth.login(ip, form.password).await {
        Login::Ok(token) => Ok((
            set_cookie(state.auth.session_cookie(&token)),
            Redirect::to("/"),
        )
            .into_response()),
        Login::Refused(wait) => {
            let failures = state.auth.failures(ip);
            tracing::warn!(%ip, failures, "dashboard: wrong password");
            login_page(
                &state,
                &headers,
                StatusCode::UNAUTHORIZED,
                Some(format!(
                    "Wrong password. The next attempt is checked after {wait} s."
                )),
            )
        }
        Login::Limited(secs) => {
            tracing::warn!(%ip, "dashboard: login attempts queued too deep");
            let mut r = login_page(
                &state,
                &headers,
                StatusCode::TOO_MANY_REQUESTS,
                Some(format!(
                    "Too many attempts waiting from your address; try again in {secs} s."
                )),
            )?;
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(r)
        }
    }
}

/// `POST /logout`.
pub(super) async fn logout<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !state.auth.csrf_ok(&headers, &form.csrf) {
        return csrf_refused();
    }
    state.auth.logout(&headers);
    (
        set_cookie(state.auth.clear_cookie()),
        Redirect::to("/login"),
    )
        .into_response()
}

/// Sends a command to the bot and waits for its answer.
async fn ask<S, T>(
    state: &DashboardState<S>,
    make: impl FnOnce(oneshot::Sender<Result<T, String>>) -> BotCommand,
) -> Result<T, String> {
    let (tx, rx) = oneshot::channel();
    state
        .commands
        .send(make(tx))
        .await
        .map_err(|_| "the bot is not running".to_string())?;
    let answer = tokio::time::timeout(COMMAND_TIMEOUT, rx).await;
    // Whatever the bot did, the next page must show it, not a cached view.
    state.invalidate_live().await;
    match answer {
        Ok(Ok(answer)) => answer,
        Ok(Err(_)) => Err("the bot stopped before answering".into()),
        Err(_) => Err(format!(
            "no answer from the bot in {} s; see the events",
            COMMAND_TIMEOUT.as_secs()
        )),
    }
}

/// `POST /trading/close-all`: the emergency close.
pub(super) async fn close_all<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !state.auth.csrf_ok(&headers, &form.csrf) {
        return csrf_refused();
    }
    tracing::warn!("dashboard: emergency close requested");
    let receipt = CloseReceipt::of(&ask(&state, BotCommand::CloseAll).await);
    let flash = Flash {
        error: !receipt.ok,
        text: receipt.text,
    };
    redirect_with_flash(&state, "/", flash)
}

/// `POST /baskets/{id}/pause`.
pub(super) async fn pause<S: Store + 'static>(
    state: State<DashboardState<S>>,
    headers: HeaderMap,
    Path(id): Path<u32>,
    form: Form<CsrfForm>,
) -> Response {
    basket_command(state, headers, id, form, true).await
}

/// `POST /baskets/{id}/resume`.
pub(super) async fn resume<S: Store + 'static>(
    state: State<DashboardState<S>>,
    headers: HeaderMap,
    Path(id): Path<u32>,
    form: Form<CsrfForm>,
) -> Response {
    basket_command(state, headers, id, form, false).await
}

async fn basket_command<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
    id: u32,
    Form(form): Form<CsrfForm>,
    pause: bool,
) -> Response {
    if !state.auth.csrf_ok(&headers, &form.csrf) {
        return csrf_refused();
    }
    let (verb, result) = if pause {
        ("paused", ask(&state, |tx| BotCommand::Pause(id, tx)).await)
    } else {
        (
            "resumed",
            ask(&state, |tx| BotCommand::Resume(id, tx)).await,
        )
    };
    let flash = match result {
        Ok(()) => Flash {
            error: false,
            text: format!("basket {id} {verb}"),
        },
        Err(e) => Flash {
            error: true,
            text: format!("basket {id} not {verb}: {e}"),
        },
    };
    redirect_with_flash(&state, "/", flash)
}
