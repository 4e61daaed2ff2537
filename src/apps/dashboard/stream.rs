//! `GET /events`: the live part of `/` pushed as Server-Sent Events ([`super::events`]).
//! A `hello` event opens each stream (with the reconnect delay); then one `live` event per
//! change, its data `{"seq", "kinds", "sent_us", "html"}`. The first stream starts the one
//! watcher; it ends when the last stream closes. A session that ends closes its stream at
//! the next update (the browser's reconnect then gets 401 and the page goes to `/login`).

use super::error::ErrorText;
use super::events::{Fingerprint, WATCH_EVERY};
use super::i18n::Lang;
use super::pages::live_parts;
use super::state::DashboardState;
use crate::ports::store::Store;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// How long a browser waits before reconnecting a dropped stream.
const RECONNECT: Duration = Duration::from_secs(2);
/// How often a quiet stream checks that its session still holds.
const RECHECK: Duration = Duration::from_secs(5);
/// A comment line this often keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /events`.
pub(super) async fn events<S: Store + 'static>(
    State(state): State<DashboardState<S>>,
    headers: HeaderMap,
) -> Response {
    let Some((receiver, guard)) = state.events.subscribe() else {
        return ErrorText::new("error-streams", &[]).respond(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many live streams; the page refreshes by polling",
        );
    };
    watch(&state);
    let lang = Lang::of_request(&headers);
    let closed = Box::pin(state.events.closed());
    let hello = Event::default()
        .event("hello")
        .retry(RECONNECT)
        .data("live");
    let start = (Some(hello), receiver, guard, state, headers, closed);
    let stream = futures_util::stream::unfold(
        start,
        move |(hello, mut receiver, guard, state, headers, mut closed)| async move {
            if let Some(hello) = hello {
                let next = (None, receiver, guard, state, headers, closed);
                return Some((Ok::<_, Infallible>(hello), next));
            }
            loop {
                let received = tokio::select! {
                    r = tokio::time::timeout(RECHECK, receiver.recv()) => r,
                    () = &mut closed => return None,
                };
                let Ok(received) = received else {
                    // Quiet: a session that ended meanwhile still closes the stream.
                    if !state.auth.allowed(&headers, false) {
                        return None;
                    }
                    continue;
                };
                match received {
                    Ok(push) => {
                        if !state.auth.allowed(&headers, false) {
                            return None;
                        }
                        let event = Event::default()
                            .event("live")
                            .id(push.seq.to_string())
                            .data(push.data(lang));
                        let next = (None, receiver, guard, state, headers, closed);
                        return Some((Ok(event), next));
                    }
                    // Too slow: the next update carries the whole live part anyway.
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}

/// Starts the watcher unless one runs: it compares the live view every [`WATCH_EVERY`] and
/// publishes the rendered live part with what changed, while any stream is open.
fn watch<S: Store + 'static>(state: &DashboardState<S>) {
    if !state.events.start_watching() {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let mut before: Option<Fingerprint> = None;
        loop {
            if state.events.streams() == 0 {
                state.events.stop_watching();
                // A stream that opened meanwhile either started its own watcher or finds
                // this one still claimed.
                if state.events.streams() == 0 || !state.events.start_watching() {
                    return;
                }
            }
            match state.read.live().await {
                Ok(live) => {
                    let now = Fingerprint::of(&live.view);
                    let kinds = before.as_ref().map(|b| now.changes(b)).unwrap_or_default();
                    if !kinds.is_empty() {
                        let rendered: Result<Vec<_>, _> = Lang::ALL
                            .into_iter()
                            .map(|lang| {
                                live_parts(&state, &live, lang).map(|p| (lang, p.live.clone()))
                            })
                            .collect();
                        match rendered {
                            Ok(html) => {
                                state.events.publish(kinds, html);
                            }
                            Err(e) => {
                                tracing::error!(error = %e, "dashboard: live part not rendered")
                            }
                        }
                    }
                    before = Some(now);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "dashboard: live view not read for the stream")
                }
            }
            tokio::time::sleep(WATCH_EVERY).await;
        }
    });
}
