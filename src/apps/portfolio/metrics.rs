//! The portfolio's part of `/metrics` (registered beside the bots' counters, so the
//! dashboard's one `/metrics` answer holds both): which limit tripped for which grid, at what
//! value against what threshold; each grid's cash, budget and verdict; the equity and its peak.
//! Values are exported as floats (Prometheus has no decimals); the decisions use the exact
//! decimals.

use crate::core::money::Quote;
use crate::core::risk::{LimitKind, Trip, Verdict};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::sync::atomic::AtomicU64;

type FloatGauge = Gauge<f64, AtomicU64>;

/// A grid and one of its limits.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GridLimit {
    /// The grid's name.
    pub grid: String,
    /// The limit (`max_drawdown`, `daily_loss`, …).
    pub limit: String,
}

/// A grid.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GridLabel {
    /// The grid's name.
    pub grid: String,
}

/// The portfolio's gauges and counters (cheap to clone: shared inside).
#[derive(Debug, Clone, Default)]
pub struct PortfolioMetrics {
    tripped: Family<GridLimit, Gauge>,
    trips: Family<GridLimit, Counter>,
    value: Family<GridLimit, FloatGauge>,
    threshold: Family<GridLimit, FloatGauge>,
    cash: Family<GridLabel, FloatGauge>,
    budget: Family<GridLabel, FloatGauge>,
    verdict: Family<GridLabel, Gauge>,
    equity: FloatGauge,
    peak: FloatGauge,
}

/// The limit's name as the spec, the events and the metrics write it.
pub fn limit_name(limit: LimitKind) -> String {
    serde_json::to_value(limit)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{limit:?}"))
}

fn float(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(f64::NAN)
}

impl PortfolioMetrics {
    /// Registers every metric under `portfolio_` in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("portfolio");
        r.register(
            "risk_tripped",
            "1 while the limit holds for the grid (it tripped and has not cleared)",
            self.tripped.clone(),
        );
        r.register(
            "risk_trips",
            "Times the limit tripped for the grid",
            self.trips.clone(),
        );
        r.register(
            "risk_value",
            "The limit's measured value when it last tripped or held (unit as the threshold)",
            self.value.clone(),
        );
        r.register(
            "risk_threshold",
            "The threshold the value reached",
            self.threshold.clone(),
        );
        r.register("grid_cash", "The grid's cash in quote", self.cash.clone());
        r.register(
            "grid_budget",
            "The grid's budget in quote",
            self.budget.clone(),
        );
        r.register(
            "grid_verdict",
            "The grid's risk verdict: 0 allow, 1 no new buys, 2 close",
            self.verdict.clone(),
        );
        r.register(
            "equity",
            "The account's equity in quote",
            self.equity.clone(),
        );
        r.register(
            "peak_equity",
            "The equity's peak (the drawdown's reference)",
            self.peak.clone(),
        );
    }

    /// A limit started to hold for a grid.
    pub(super) fn tripped(&self, grid: &str, trip: &Trip) {
        let labels = labels(grid, trip.limit);
        self.trips.get_or_create(&labels).inc();
        self.held(grid, trip);
    }

    /// A limit holds for a grid at this value.
    pub(super) fn held(&self, grid: &str, trip: &Trip) {
        let labels = labels(grid, trip.limit);
        self.tripped.get_or_create(&labels).set(1);
        self.value.get_or_create(&labels).set(float(trip.value));
        self.threshold
            .get_or_create(&labels)
            .set(float(trip.threshold));
    }

    /// A limit stopped holding for a grid.
    pub(super) fn cleared(&self, grid: &str, limit: LimitKind) {
        self.tripped.get_or_create(&labels(grid, limit)).set(0);
    }

    /// A grid's cash, budget and verdict after the loop's evaluation.
    pub(super) fn grid(&self, grid: &str, cash: Quote, budget: Quote, verdict: Verdict) {
        let label = GridLabel {
            grid: grid.to_string(),
        };
        self.cash.get_or_create(&label).set(float(cash.get()));
        self.budget.get_or_create(&label).set(float(budget.get()));
        let v = match verdict {
            Verdict::Allow => 0,
            Verdict::NoNewBuys => 1,
            Verdict::Close => 2,
        };
        self.verdict.get_or_create(&label).set(v);
    }

    /// The account's equity and peak.
    pub(super) fn account(&self, equity: Quote, peak: Quote) {
        self.equity.set(float(equity.get()));
        self.peak.set(float(peak.get()));
    }
}

fn labels(grid: &str, limit: LimitKind) -> GridLimit {
    GridLimit {
        grid: grid.to_string(),
        limit: limit_name(limit),
    }
}
