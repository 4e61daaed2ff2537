//! Push updates (`GET /events`, Server-Sent Events): what changed between two live views
//! and the hub that fans one rendered update out to every connected browser.
//!
//! The bot never sees a browser: one watcher task of the dashboard reads the shared live
//! view, and a bounded broadcast channel hands the same `Arc` to each stream. A browser too
//! slow to keep up skips to the newest update (each carries the whole live part), so 50
//! browsers cost one store read per [`WATCH_EVERY`] and 50 cheap sends, never a wait.

use super::i18n::Lang;
use super::view::LiveView;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// How often the watcher compares the live view (the view itself is cached for 500 ms).
pub const WATCH_EVERY: Duration = Duration::from_millis(250);
/// Updates kept for a slow browser before it skips ahead.
pub const BUFFERED: usize = 16;
/// Most browsers streaming at once; more get 503 and keep polling.
pub const MAX_STREAMS: usize = 256;

/// One pushed update.
#[derive(Debug, Clone)]
pub struct Push {
    /// Increases by one per update.
    pub seq: u64,
    /// What changed: `fills`, `orders`, `pnl`, `price`, `risk` (pause and risk state).
    pub kinds: Vec<&'static str>,
    /// When it was sent, Unix µs (the benchmark measures delivery with it).
    pub sent_us: i64,
    /// The live part of `/`, rendered once per language for everybody.
    pub html: Vec<(Lang, String)>,
}

impl Push {
    /// The event's data for a browser reading `lang`: `{seq, kinds, sent_us, html}`.
    pub fn data(&self, lang: Lang) -> String {
        let html = self
            .html
            .iter()
            .find(|(l, _)| *l == lang)
            .or(self.html.first())
            .map_or("", |(_, h)| h.as_str());
        serde_json::json!({
            "seq": self.seq,
            "kinds": self.kinds,
            "sent_us": self.sent_us,
            "html": html,
        })
        .to_string()
    }
}

/// The parts of a live view each kind of change compares.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fingerprint {
    fills: String,
    orders: String,
    pnl: String,
    price: String,
    risk: String,
}

impl Fingerprint {
    /// The fingerprint of `view`.
    pub fn of(view: &LiveView) -> Self {
        Self {
            fills: format!(
                "{}|{}",
                view.summary.trades,
                json(
                    &view
                        .baskets
                        .iter()
                        .map(|b| (b.id, b.levels_filled, b.position))
                        .collect::<Vec<_>>()
                )
            ),
            orders: json(
                &view
                    .open_orders
                    .iter()
                    .map(|o| (&o.client_id, o.price, o.qty, o.executed))
                    .collect::<Vec<_>>(),
            ),
            pnl: json(&view.summary),
            price: json(&view.last_price),
            risk: json(
                &view
                    .baskets
                    .iter()
                    .map(|b| (b.id, b.status, &b.reason))
                    .collect::<Vec<_>>(),
            ),
        }
    }

    /// The kinds that differ from `before`.
    pub fn changes(&self, before: &Self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (kind, now, then) in [
            ("fills", &self.fills, &before.fills),
            ("orders", &self.orders, &before.orders),
            ("pnl", &self.pnl, &before.pnl),
            ("price", &self.price, &before.price),
            ("risk", &self.risk, &before.risk),
        ] {
            if now != then {
                out.push(kind);
            }
        }
        out
    }
}

/// `v` as JSON text, for comparing.
fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The fan-out hub; cheap to clone.
#[derive(Clone)]
pub struct Events {
    sender: broadcast::Sender<Arc<Push>>,
    seq: Arc<AtomicU64>,
    watching: Arc<AtomicBool>,
    streams: Arc<AtomicUsize>,
    closing: Arc<watch::Sender<bool>>,
}

impl Default for Events {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BUFFERED).0,
            seq: Arc::default(),
            watching: Arc::default(),
            streams: Arc::default(),
            closing: Arc::new(watch::channel(false).0),
        }
    }
}

impl Events {
    /// A receiver of future updates, or `None` when [`MAX_STREAMS`] are open. The returned
    /// guard counts the stream until it is dropped.
    pub fn subscribe(&self) -> Option<(broadcast::Receiver<Arc<Push>>, StreamGuard)> {
        let open = self.streams.fetch_add(1, Ordering::SeqCst);
        let guard = StreamGuard(self.streams.clone());
        (open < MAX_STREAMS).then(|| (self.sender.subscribe(), guard))
    }

    /// Ends every stream (the server is shutting down: a graceful shutdown waits for open
    /// requests, and a stream never ends by itself).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once [`Self::close`] was called.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.closing.subscribe();
        async move {
            let _ = rx.wait_for(|closing| *closing).await;
        }
    }

    /// Browsers streaming now.
    pub fn streams(&self) -> usize {
        self.streams.load(Ordering::SeqCst)
    }

    /// Sends an update to every stream (none listening: nothing happens).
    pub fn publish(&self, kinds: Vec<&'static str>, html: Vec<(Lang, String)>) -> u64 {
        let seq = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let sent_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        let _ = self.sender.send(Arc::new(Push {
            seq,
            kinds,
            sent_us,
            html,
        }));
        seq
    }

    /// Claims the single watcher; false when one already runs.
    pub fn start_watching(&self) -> bool {
        !self.watching.swap(true, Ordering::SeqCst)
    }

    /// The watcher stops (nobody listens); the next stream starts a new one.
    pub fn stop_watching(&self) {
        self.watching.store(false, Ordering::SeqCst);
    }
}

/// Counts one open stream.
pub struct StreamGuard(Arc<AtomicUsize>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
