//! POST handlers (emergency close, pause, resume, login, logout), the login guard and flash
//! messages. Every POST checks its CSRF token before anything else; every action answers
//! with a redirect (post/redirect/get) and leaves its result as a one-time flash message.

use super::auth::Login;
use super::error::{ErrorText, PageError};
use super::flash::Flash;
use super::i18n::{localize_number, Lang, LANG_COOKIE};
use super::journal::clean_note;
use super::pages::login_page;
use super::state::DashboardState;
use crate::apps::bot::emergency::{CloseReceipt, CloseReport};
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

/// How long the dashboard waits for the bot to answer a command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// A form that carries only the CSRF token.
#[derive(Debug, Deserialize)]
pub(super) struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// The note form of a basket.
#[derive(Deserialize)]
pub(super) struct NoteForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// The login form.
#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

fn set_cookie(value: String) -> [(header::HeaderName, String); 1] {
    [(header::SET_COOKIE, value)]
}

pub(super) fn redirect_with_flash<S>(
    state: &DashboardState<S>,
    to: &str,
    flash: Flash,
) -> Response {
    (set_cookie(state.flashes.put(flash)), Redirect::to(to)).into_response()
}

pub(super) fn csrf_refused() -> Response {
    ErrorText::new("error-csrf", &[]).respond(
        StatusCode::FORBIDDEN,
        "CSRF token missing or wrong; reload the page",
    )
}

/// Lets a request through when no password is set or it has a session; otherwise pages
/// redirect to `/login` and everything else gets `401`.
pub(super) async fn require_login<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    request: Request,
    next: Next,
) -> Response {
    // The page's own refresh every few seconds (or its push stream) is not use: an open,
    // unattended tab must still reach the idle timeout.
    let path = request.uri().path().to_string();
    let refresh = path == "/fragment/live"
        || path == "/fragment/overview"
        || path == "/events"
        || (path.starts_with("/grids/") && path.ends_with("/fragment"));
    let used = !(request.method() == Method::GET && refresh);
    if state.auth.allowed(request.headers(), used) {
        return next.run(request).await;
    }
    let page = request.method() == Method::GET
        && !path.starts_with("/api/")
        && !path.starts_with("/fragment/")
        && !refresh
        && path != "/events"
        && path != "/metrics";
    if page {
        Redirect::to("/login").into_response()
    } else {
        ErrorText::new("error-login-first", &[]).respond(StatusCode::UNAUTHORIZED, "log in first")
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
                Some(Lang::of_request(&headers).t1("login-wrong", "wait", wait)),
            )
        }
        Login::Limited(secs) => {
            tracing::warn!(%ip, "dashboard: login attempts queued too deep");
            let mut r = login_page(
                &state,
                &headers,
                StatusCode::TOO_MANY_REQUESTS,
                Some(Lang::of_request(&headers).t1("login-limited", "secs", secs)),
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

/// Sends a command to the bot and waits for its answer (a refusal in the bot's words, or
/// why there is no answer in `lang`).
async fn ask<S, T>(
    state: &DashboardState<S>,
    lang: Lang,
    make: impl FnOnce(oneshot::Sender<Result<T, String>>) -> BotCommand,
) -> Result<T, String> {
    let (tx, rx) = oneshot::channel();
    state
        .commands
        .send(make(tx))
        .await
        .map_err(|_| lang.t("bot-not-running"))?;
    let answer = tokio::time::timeout(COMMAND_TIMEOUT, rx).await;
    // Whatever the bot did, the next page must show it, not a cached view.
    state.read.invalidate_live().await;
    match answer {
        Ok(Ok(answer)) => answer,
        Ok(Err(_)) => Err(lang.t("bot-stopped")),
        Err(_) => Err(lang.t1("bot-no-answer", "secs", COMMAND_TIMEOUT.as_secs())),
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
    let lang = Lang::of_request(&headers);
    let result = ask(&state, lang, BotCommand::CloseAll).await;
    let receipt = CloseReceipt::of(&result);
    let flash = Flash {
        error: !receipt.ok,
        text: match lang {
            Lang::En => receipt.text,
            _ => close_text(&result, lang),
        },
    };
    redirect_with_flash(&state, "/", flash)
}

/// The emergency close's receipt in `lang` (English is [`CloseReceipt`]'s own text, the
/// same as `close-all` prints): what was closed, cancelled and placed, or why it failed.
fn close_text(result: &Result<CloseReport, String>, lang: Lang) -> String {
    let num = |v: &dyn std::fmt::Display| localize_number(&v.to_string(), lang);
    let report = match result {
        Ok(report) => report,
        Err(e) => return lang.t1("close-failed", "error", e),
    };
    if report.baskets.is_empty() && report.errors.is_empty() {
        return lang.t("close-nothing");
    }
    let mut parts = vec![lang.tr(
        "close-summary",
        &[
            ("baskets", &report.baskets.len().to_string()),
            ("cancelled", &report.cancelled.len().to_string()),
            ("placed", &report.placed.len().to_string()),
        ],
    )];
    for (id, price, qty) in &report.placed {
        parts.push(lang.tr(
            "close-placed",
            &[
                ("id", &id.to_string()),
                ("qty", &num(qty)),
                ("price", &num(price)),
            ],
        ));
    }
    if report.dust.is_positive() {
        parts.push(lang.t1("close-dust", "qty", num(&report.dust)));
    }
    for id in &report.closing {
        parts.push(lang.t1("close-closing", "id", id));
    }
    for e in &report.errors {
        parts.push(lang.t1("close-error", "error", e));
    }
    parts.join("; ")
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
    let lang = Lang::of_request(&headers);
    let (done, refused, result) = if pause {
        let result = ask(&state, lang, |tx| BotCommand::Pause(id, tx)).await;
        ("flash-paused", "flash-not-paused", result)
    } else {
        let result = ask(&state, lang, |tx| BotCommand::Resume(id, tx)).await;
        ("flash-resumed", "flash-not-resumed", result)
    };
    let id_text = id.to_string();
    let flash = match result {
        Ok(()) => Flash {
            error: false,
            text: lang.t1(done, "id", id),
        },
        Err(e) => Flash {
            error: true,
            text: lang.tr(refused, &[("id", &id_text), ("error", &e)]),
        },
    };
    redirect_with_flash(&state, "/", flash)
}

/// `POST /baskets/{id}/note`: the operator's journal note (empty removes it).
pub(super) async fn note<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
    Path(id): Path<u32>,
    Form(form): Form<NoteForm>,
) -> Result<Response, PageError> {
    if !state.auth.csrf_ok(&headers, &form.csrf) {
        return Ok(csrf_refused());
    }
    let text = clean_note(&form.note).map_err(PageError::bad_request)?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    if !state.read.set_note(id, &text, now_ms).await? {
        return Err(PageError::no_basket(id));
    }
    let flash = Flash {
        error: false,
        text: Lang::of_request(&headers).t1(
            if text.is_empty() {
                "flash-note-removed"
            } else {
                "flash-note-saved"
            },
            "id",
            id,
        ),
    };
    Ok(redirect_with_flash(
        &state,
        &format!("/baskets/{id}"),
        flash,
    ))
}

/// `GET /lang/{code}`: the language switch. Remembers `en` or `de` for a year in the
/// `bt_lang` cookie and goes back to `/`; an unknown code forgets the choice
/// (`Accept-Language` decides again).
pub(super) async fn language(Path(code): Path<String>) -> Response {
    let cookie = match Lang::parse(&code) {
        Some(lang) => format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Strict",
            lang.code()
        ),
        None => format!("{LANG_COOKIE}=; Path=/; Max-Age=0; SameSite=Strict"),
    };
    (set_cookie(cookie), Redirect::to("/")).into_response()
}
