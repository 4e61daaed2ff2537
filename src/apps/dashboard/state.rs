//! What every handler shares: the reader, the channel to the bot, the login state, the
//! pending flash messages and the push hub.

use super::auth::{Access, Auth};
use super::error::DashboardError;
use super::events::Events;
use super::flash::Flashes;
use super::market::{CandleSource, Candles};
use super::pair::Pair;
use super::read::Reader;
use crate::apps::bot::runner::BotCommand;
use crate::apps::bot::BotMetrics;
use crate::apps::mode::Mode;
use crate::ports::store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Everything the handlers share; cheap to clone.
pub struct DashboardState<S> {
    pub(super) read: Reader<S>,
    pub(super) commands: mpsc::Sender<BotCommand>,
    pub(super) auth: Arc<Auth>,
    pub(super) flashes: Flashes,
    pub(super) events: Events,
}

impl<S> Clone for DashboardState<S> {
    fn clone(&self) -> Self {
        Self {
            read: self.read.clone(),
            commands: self.commands.clone(),
            auth: self.auth.clone(),
            flashes: self.flashes.clone(),
            events: self.events.clone(),
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
        })
    }

    /// Exports (and reads the last price from) the bot's metrics.
    pub fn with_metrics(mut self, metrics: Arc<BotMetrics>) -> Self {
        self.read.metrics = metrics;
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
