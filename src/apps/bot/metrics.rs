//! The bot's counters for Prometheus (`/metrics` of the dashboard): cycle latency, orders
//! placed and cancelled, API weight used, errors, and the last price seen (for the dashboard's
//! unrealised P&L). One [`BotMetrics`] is shared (`Arc`) by the bot and the dashboard.

use crate::core::money::Price;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Mutex;
use std::time::Duration;

/// Counters the bot updates and the dashboard exports.
pub struct BotMetrics {
    registry: Registry,
    cycle_seconds: Histogram,
    steps: Counter,
    orders_placed: Counter,
    orders_cancelled: Counter,
    errors: Counter,
    api_weight_used: Gauge,
    foreign_open_orders: Gauge,
    streams_up: Gauge,
    drift: Counter,
    stream_events: Counter,
    stream_status: Mutex<Option<String>>,
    last_price: Mutex<Option<Price>>,
}

impl std::fmt::Debug for BotMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotMetrics").finish_non_exhaustive()
    }
}

impl Default for BotMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl BotMetrics {
    /// Fresh metrics, registered under the `bot_` prefix.
    pub fn new() -> Self {
        let buckets = [
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        let cycle_seconds = Histogram::new(buckets);
        let steps = Counter::default();
        let orders_placed = Counter::default();
        let orders_cancelled = Counter::default();
        let errors = Counter::default();
        let api_weight_used = Gauge::default();
        let foreign_open_orders = Gauge::default();
        let mut registry = Registry::with_prefix("bot");
        registry.register(
            "cycle_seconds",
            "Duration of one bot step",
            cycle_seconds.clone(),
        );
        registry.register("steps", "Bot steps completed", steps.clone());
        registry.register(
            "orders_placed",
            "Orders the exchange accepted",
            orders_placed.clone(),
        );
        registry.register(
            "orders_cancelled",
            "Orders cancelled on the exchange",
            orders_cancelled.clone(),
        );
        registry.register(
            "errors",
            "Failed steps and failed order actions",
            errors.clone(),
        );
        registry.register(
            "api_weight_used",
            "Request weight used in the exchange's current one-minute window",
            api_weight_used.clone(),
        );
        registry.register(
            "foreign_open_orders",
            "Open orders on the symbol that are not the bot's (manual trading, order-list legs)",
            foreign_open_orders.clone(),
        );
        let streams_up = Gauge::default();
        let drift = Counter::default();
        let stream_events = Counter::default();
        registry.register(
            "streams_up",
            "1 while the user-data stream is up (event-driven), 0 while the bot polls",
            streams_up.clone(),
        );
        registry.register(
            "drift",
            "Fills the periodic full reconcile found that the stream had not delivered",
            drift.clone(),
        );
        registry.register(
            "stream_events",
            "Events received from the exchange's streams (after de-duplication)",
            stream_events.clone(),
        );
        Self {
            registry,
            streams_up,
            drift,
            stream_events,
            stream_status: Mutex::new(None),
            cycle_seconds,
            steps,
            orders_placed,
            orders_cancelled,
            errors,
            api_weight_used,
            foreign_open_orders,
            last_price: Mutex::new(None),
        }
    }

    /// Fresh metrics with more registered beside them by `register` (a portfolio's risk
    /// trips and grids), exported in the same `/metrics` answer.
    pub fn with_extra(register: impl FnOnce(&mut Registry)) -> Self {
        let mut metrics = Self::new();
        register(&mut metrics.registry);
        metrics
    }

    /// Records one completed step and how long it took.
    pub fn step_done(&self, took: Duration) {
        self.steps.inc();
        self.cycle_seconds.observe(took.as_secs_f64());
    }

    /// Counts an order placed.
    pub fn order_placed(&self) {
        self.orders_placed.inc();
    }

    /// Counts an order cancelled.
    pub fn order_cancelled(&self) {
        self.orders_cancelled.inc();
    }

    /// Records the streams' state and the line the dashboard shows for it.
    pub fn set_streams(&self, up: bool, status: String) {
        self.streams_up.set(i64::from(up));
        *self.stream_status.lock().unwrap_or_else(|e| e.into_inner()) = Some(status);
    }

    /// The streams' status line; `None` when the bot runs without streams.
    pub fn stream_status(&self) -> Option<String> {
        self.stream_status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Counts drift the periodic full reconcile found.
    pub fn drift_found(&self, count: u64) {
        self.drift.inc_by(count);
    }

    /// Drift found so far.
    pub fn drift(&self) -> u64 {
        self.drift.get()
    }

    /// Counts one stream event.
    pub fn stream_event(&self) {
        self.stream_events.inc();
    }

    /// Counts a failure (a step or an order action).
    pub fn error(&self) {
        self.errors.inc();
    }

    /// Sets the API weight used in the current window.
    pub fn set_api_weight(&self, used: u64) {
        self.api_weight_used
            .set(i64::try_from(used).unwrap_or(i64::MAX));
    }

    /// Sets how many open orders on the symbol are not ours.
    pub fn set_foreign_open_orders(&self, count: usize) {
        self.foreign_open_orders
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    /// Open orders on the symbol that are not ours, as last seen.
    pub fn foreign_open_orders(&self) -> i64 {
        self.foreign_open_orders.get()
    }

    /// Remembers the last traded price the bot read.
    pub fn set_last_price(&self, price: Price) {
        *self.last_price.lock().unwrap_or_else(|e| e.into_inner()) = Some(price);
    }

    /// The last price the bot read, if it ran a step yet.
    pub fn last_price(&self) -> Option<Price> {
        *self.last_price.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Orders placed so far.
    pub fn placed(&self) -> u64 {
        self.orders_placed.get()
    }

    /// Orders cancelled so far.
    pub fn cancelled(&self) -> u64 {
        self.orders_cancelled.get()
    }

    /// Failures so far.
    pub fn errors(&self) -> u64 {
        self.errors.get()
    }

    /// The Prometheus text exposition (OpenMetrics text format).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
