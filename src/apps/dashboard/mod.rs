//! The web dashboard (`.spec/dashboard.md`): open orders, baskets, P&L, history, balances,
//! the equity curve, emergency controls, a JSON API, `/healthz` and Prometheus `/metrics`.
//! Server-rendered (axum + askama), one committed Tailwind CSS file and a few lines of
//! vanilla JS, all embedded in the binary.
//!
//! Entry points: [`DashboardState::new`] (store, command channel to the bot, mode, pair,
//! optional password hash), [`serve`], [`router`] (for tests that drive it in-process).
//!
//! Layers, each importing only from the ones before it (`tests/it/architecture.rs` checks):
//! 1. basics: [`error`], [`format`](mod@format), [`pair`], [`auth`], [`limiter`], [`flash`], [`i18n`],
//!    [`ledger`], `filters`, [`grids`];
//! 2. views, pure: [`view`], [`journal`], [`detail`], [`chart`], [`stats`], [`overview`];
//! 3. the reader of the store and the market with their caches: [`read`], [`market`],
//!    [`grid_read`] (a portfolio's reads); the push hub [`events`];
//! 4. the shared handler state: [`state`];
//! 5. routes: `pages`, `actions`, `api`, `stream`, `export`, `grid_pages`, `grid_actions`;
//!    and this file, which wires them.

mod actions;
mod api;
pub mod auth;
pub mod chart;
pub mod correlation;
pub mod detail;
pub mod error;
pub mod events;
mod export;
mod filters;
pub mod flash;
pub mod format;
mod grid_actions;
mod grid_pages;
pub mod grid_read;
pub mod grids;
pub mod i18n;
pub mod journal;
pub mod ledger;
pub mod legend;
pub mod limiter;
pub mod market;
pub mod overview;
mod pages;
pub mod pair;
pub mod read;
pub mod state;
pub mod stats;
mod stream;
pub mod view;

pub use error::DashboardError;
pub use grids::GridInfo;
pub use pair::Pair;
pub use state::{check_access, DashboardState};

use crate::ports::store::Store;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;

/// All routes, with the login guard and the security headers.
pub fn router<S: Store + 'static>(state: DashboardState<S>) -> Router {
    let protected = Router::new()
        .route("/", get(grid_pages::home::<S>))
        .route(
            "/fragment/overview",
            get(grid_pages::overview_fragment::<S>),
        )
        .route("/api/portfolio", get(grid_pages::overview_json::<S>))
        .route("/grids/{name}", get(grid_pages::grid::<S>))
        .route(
            "/grids/{name}/fragment",
            get(grid_pages::grid_fragment::<S>),
        )
        .route("/api/grids/{name}/chart", get(grid_pages::grid_chart::<S>))
        .route(
            "/grids/{name}/{verb}",
            post(grid_actions::grid_command::<S>),
        )
        .route("/fragment/live", get(pages::live_fragment::<S>))
        .route("/events", get(stream::events::<S>))
        .route("/orders/history", get(pages::history::<S>))
        .route("/baskets/{id}", get(pages::basket::<S>))
        .route("/trading/close-all", post(actions::close_all::<S>))
        .route("/baskets/{id}/pause", post(actions::pause::<S>))
        .route("/baskets/{id}/resume", post(actions::resume::<S>))
        .route("/baskets/{id}/note", post(actions::note::<S>))
        .route("/journal", get(pages::journal::<S>))
        .route("/journal/fills.csv", get(export::fills::<S>))
        .route("/journal/baskets.csv", get(export::baskets::<S>))
        .route("/logout", post(actions::logout::<S>))
        .route("/api/state", get(api::state::<S>))
        .route("/api/orders/history", get(api::history::<S>))
        .route("/api/baskets/{id}", get(api::basket::<S>))
        .route("/api/chart", get(api::chart::<S>))
        .route("/api/stats", get(api::stats::<S>))
        .route("/stats", get(pages::stats::<S>))
        .route("/metrics", get(api::metrics::<S>))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            actions::require_login::<S>,
        ));
    Router::new()
        .merge(protected)
        .route("/login", get(pages::login::<S>).post(actions::login::<S>))
        .route("/healthz", get(api::healthz))
        .route("/lang/{code}", get(actions::language))
        .route("/assets/dashboard.css", get(api::css))
        .route("/assets/dashboard.js", get(api::js))
        .route("/assets/chart.js", get(api::chart_js))
        .route("/assets/theme.js", get(api::theme_js))
        .route("/assets/stats.js", get(api::stats_js))
        .route(
            "/assets/vendor/lightweight-charts.js",
            get(api::lightweight_charts),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            loopback_host_only::<S>,
        ))
        .layer(axum::middleware::from_fn(localize_errors))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// Without a password the dashboard trusts whoever reaches it on loopback, so it must not be
/// reachable under any other name: a page on another site whose name a DNS rebinding points
/// at 127.0.0.1 would otherwise be same-origin and could read the CSRF token and press
/// Close all. Such requests (a `Host` that is not `localhost` or a loopback address) get 421.
async fn loopback_host_only<S: Store + 'static>(
    axum::extract::State(state): axum::extract::State<DashboardState<S>>,
    request: Request,
    next: Next,
) -> Response {
    if state.auth.required() || is_loopback_host(request.headers()) {
        return next.run(request).await;
    }
    error::ErrorText::new("error-host", &[]).respond(
        axum::http::StatusCode::MISDIRECTED_REQUEST,
        "this dashboard answers only to localhost or a loopback address",
    )
}

/// Writes an error response that carries an [`error::ErrorText`] in the visitor's language
/// (its body is English as it comes).
async fn localize_errors(request: Request, next: Next) -> Response {
    let lang = i18n::Lang::of_request(request.headers());
    let mut response = next.run(request).await;
    if lang == i18n::Lang::En {
        return response;
    }
    let Some(text) = response.extensions_mut().remove::<error::ErrorText>() else {
        return response;
    };
    let args: Vec<(&str, &str)> = text.args.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let body = lang.tr(text.key, &args);
    let status = response.status();
    let mut localized = axum::response::IntoResponse::into_response((status, body));
    for (name, value) in response.headers() {
        if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
            localized.headers_mut().append(name.clone(), value.clone());
        }
    }
    localized
}

/// Whether the `Host` header names `localhost` or a loopback IP (any port).
pub fn is_loopback_host(headers: &axum::http::HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    response
}

/// Serves the dashboard on `listener` until `shutdown` completes. Refuses a non-loopback
/// address without a password or without a TLS proxy in front.
pub async fn serve<S: Store + 'static>(
    listener: tokio::net::TcpListener,
    state: DashboardState<S>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DashboardError> {
    state.check_listen(listener.local_addr()?)?;
    let events = state.events.clone();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            events.close();
        })
        .await?;
    Ok(())
}

/// A dashboard serving in the background (see [`spawn`]).
pub struct Running {
    /// The bound address (the real port when asked for port 0).
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), DashboardError>>,
}

impl Running {
    /// Stops serving and waits for open requests to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Err(e)) => tracing::warn!(error = %e, "dashboard stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "dashboard task failed"),
            Ok(Ok(())) => {}
        }
    }
}

/// Checks the address, binds it and serves in a background task.
pub async fn spawn<S: Store + 'static>(
    addr: SocketAddr,
    state: DashboardState<S>,
) -> Result<Running, DashboardError> {
    state.check_listen(addr)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    Ok(Running { addr, stop, task })
}
