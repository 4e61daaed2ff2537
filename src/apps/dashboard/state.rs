//! What every handler shares: the reader, the channel to the bot, the login state, the
//! pending flash messages, the push hub and the live part of `/` as rendered last.

use super::auth::{Access, Auth};
use super::error::DashboardError;
use super::events::Events;
use super::flash::Flashes;
use super::grids::{GridInfo, Grids};
use super::i18n::Lang;
use super::market::{CandleSource, Candles};
use super::pair::Pair;
use super::read::Reader;
use crate::apps::bot::runner::BotCommand;
use crate::apps::bot::BotMetrics;
use crate::apps::mode::Mode;
use crate::ports::store::Store;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Everything the handlers share; cheap to clone.
pub struct DashboardState<S> {
    pub(super) read: Reader<S>,
    pub(super) commands: mpsc::Sender<BotCommand>,
    pub(super) auth: Arc<Auth>,
    pub(super) flashes: Flashes,
    pub(super) events: Events,
    pub(super) rendered: Rendered,
}

/// The parts of `/` that are the same for every visitor in one language: the live part and
/// the notification list, as HTML. The page around them (CSRF token, flash message, login
/// state) is rendered per request.
#[derive(Debug)]
pub struct LiveParts {
    /// The live part (`_live.html`), also what `/fragment/live` and the push stream send.
    pub live: String,
    /// The notification deliveries (`_deliveries.html`).
    pub deliveries: String,
}

/// [`LiveParts`] per language, kept with the [`super::read::Live::generation`] they were
/// rendered from: a request for the same generation and language gets the same bytes, any
/// other renders anew. Generations only grow, so an older render never replaces a newer one.
#[derive(Clone, Default)]
pub struct Rendered(Arc<Mutex<[Option<Kept>; Lang::ALL.len()]>>);

/// One language's parts with the generation they were rendered from.
type Kept = (u64, Arc<LiveParts>);

impl Rendered {
    /// The parts of `generation` in `lang`, if rendered.
    pub fn get(&self, generation: u64, lang: Lang) -> Option<Arc<LiveParts>> {
        let slots = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match &slots[lang as usize] {
            Some((g, parts)) if *g == generation => Some(parts.clone()),
            _ => None,
        }
    }

    /// Keeps `parts` for `generation` in `lang` unless a newer generation is kept.
    pub fn put(&self, generation: u64, lang: Lang, parts: Arc<LiveParts>) {
        let mut slots = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let slot = &mut slots[lang as usize];
        if slot.as_ref().is_none_or(|(g, _)| *g <= generation) {
            *slot = Some((generation, parts));
        }
    }
}

impl<S> Clone for DashboardState<S> {
    fn clone(&self) -> Self {
        Self {
            read: self.read.clone(),
            commands: self.commands.clone(),
            auth: self.auth.clone(),
            flashes: self.flashes.clone(),
            events: self.events.clone(),
            rendered: self.rendered.clone(),
        }
    }
}

impl<S: Store + 'static> DashboardState<S> {
    /// A dashboard over `store` that sends operator commands to the bot on `commands`.
    /// `password_hash` is an argon2 PHC string (`binance-trader hash-password`); with it every
    /// page needs a login. Fails on a malformed hash.
    pub fn new(
        store: S,
        commands: mpsc::Sender<BotCommand>,
        mode: Mode,
        pair: Pair,
        password_hash: Option<String>,
    ) -> Result<Self, DashboardError> {
        Ok(Self {
            read: Reader::new(store, mode, pair),
            commands,
            auth: Arc::new(Auth::new(password_hash, Access::default())?),
            flashes: Flashes::default(),
            events: Events::default(),
            rendered: Rendered::default(),
        })
    }

    /// Exports (and reads the last price from) the bot's metrics.
    pub fn with_metrics(mut self, metrics: Arc<BotMetrics>) -> Self {
        self.read.metrics = metrics;
        self
    }

    /// The grids of a portfolio (`paper --portfolio`, `run --portfolio`): with more than one,
    /// `/` is the overview and each grid has its page (`/grids/{name}`).
    pub fn with_grids(mut self, grids: Vec<GridInfo>) -> Self {
        self.read.set_grids(Grids::new(grids));
        self
    }

    /// Draws the price chart with candles from `source` (the exchange's klines).
    pub fn with_candles(mut self, source: Arc<dyn CandleSource>) -> Self {
        self.read.candles = Candles::new(source);
        self
    }

    /// The store it reads (tests write to it while the dashboard runs).
    pub fn store(&self) -> &S {
        &self.read.store
    }

    /// What the pages show, read from the store.
    pub fn reader(&self) -> &Reader<S> {
        &self.read
    }

    /// How it is reached (TLS proxy, client-address header, idle timeout, login delays);
    /// call before serving. Fails on settings that do not fit together or with the password.
    pub fn with_access(mut self, access: Access) -> Result<Self, DashboardError> {
        self.auth = Arc::new(self.auth.with_access(access)?);
        Ok(self)
    }

    /// Refuses to listen on `addr` when it is not loopback and there is no password or no
    /// TLS proxy in front.
    pub fn check_listen(&self, addr: SocketAddr) -> Result<(), DashboardError> {
        self.auth.check_listen(addr)
    }
}

/// Checks password, access settings and listen address together, before anything starts.
pub fn check_access(
    addr: SocketAddr,
    password_hash: Option<String>,
    access: Access,
) -> Result<(), DashboardError> {
    Auth::new(password_hash, access)?.check_listen(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> Arc<LiveParts> {
        Arc::new(LiveParts {
            live: text.into(),
            deliveries: String::new(),
        })
    }

    #[test]
    fn rendered_parts_are_served_only_for_their_generation_and_language() {
        let r = Rendered::default();
        assert!(r.get(1, Lang::En).is_none());
        r.put(1, Lang::En, parts("one"));
        assert_eq!(r.get(1, Lang::En).unwrap().live, "one");
        assert!(
            r.get(1, Lang::De).is_none(),
            "another language renders anew"
        );
        assert!(r.get(2, Lang::En).is_none(), "a newer state renders anew");
        r.put(3, Lang::En, parts("three"));
        r.put(2, Lang::En, parts("two (late)"));
        assert_eq!(
            r.get(3, Lang::En).unwrap().live,
            "three",
            "never replaced by older"
        );
        assert!(r.get(2, Lang::En).is_none());
    }
}
