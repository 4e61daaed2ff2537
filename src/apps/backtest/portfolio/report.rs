//! The portfolio report: the replay with the file's limits and the one with every limit off,
//! side by side (terminal table and deterministic JSON). Exact decimals only.

use super::group_cap;
use super::run::{equity_points, PortfolioRecord, TripEvent};
use crate::apps::backtest::metrics::{max_drawdown, Summary};
use crate::apps::backtest::report::utc_minute;
use crate::core::basket::BasketStatus;
use crate::core::correlation::CorrelationMatrix;
use crate::core::money::Quote;
use crate::core::risk::RiskLimits;
use crate::core::symbol::Symbol;
use anyhow::Context;
use rust_decimal::Decimal;
use serde::Serialize;
use std::path::Path;

/// Trip events listed in the terminal (all of them are in the JSON).
const TERMINAL_TRIPS: usize = 15;

/// Buy-and-hold of the same budgets, split the same way, bought at the first open.
#[derive(Debug, Clone, Serialize)]
pub struct HoldSummary {
    /// Value at the last close (plus the unallocated quote, for the portfolio).
    pub final_equity: Quote,
    /// `final_equity − initial`.
    pub pnl: Quote,
    /// Largest fall from a running peak, percent (portfolio only; 0 for a grid).
    pub max_drawdown_pct: Decimal,
}

/// One grid's headline numbers.
#[derive(Debug, Clone, Serialize)]
pub struct GridSummary {
    /// Name.
    pub name: String,
    /// Symbol.
    pub symbol: Symbol,
    /// Budget.
    pub budget: Quote,
    /// Most quote ever tied up (never above the budget).
    pub max_invested: Quote,
    /// Cash + position at the last close.
    pub final_equity: Quote,
    /// Realised + unrealised − fees.
    pub total_pnl: Quote,
    /// Total P&L over the budget, percent.
    pub roi_pct: Decimal,
    /// The grid's own max drawdown, percent.
    pub max_drawdown_pct: Decimal,
    /// Fills.
    pub fills: u64,
    /// Baskets ended by take-profit / trailing.
    pub baskets_closed: u64,
    /// Baskets ended by the hard stop.
    pub baskets_stopped: u64,
    /// Baskets closed by a risk limit.
    pub baskets_emergency_closed: u64,
    /// Trips of a limit for this grid.
    pub trips: usize,
    /// Buy-and-hold of the budget.
    pub buy_and_hold: HoldSummary,
}

/// One replay's summary.
#[derive(Debug, Clone, Serialize)]
pub struct PortfolioSummary {
    /// The limits it ran with.
    pub limits: RiskLimits,
    /// Starting equity.
    pub initial_equity: Quote,
    /// Equity at the last close.
    pub final_equity: Quote,
    /// `final − initial`.
    pub total_pnl: Quote,
    /// Total P&L over the starting equity, percent.
    pub roi_pct: Decimal,
    /// Largest fall of the account's equity from a running peak, percent.
    pub max_drawdown_pct: Decimal,
    /// Largest fall in quote.
    pub max_drawdown: Quote,
    /// Highest share of equity not in quote, percent.
    pub max_exposure_pct: Decimal,
    /// Mean share of equity not in quote over the closes, percent.
    pub mean_exposure_pct: Decimal,
    /// Buy-and-hold of the same budgets.
    pub buy_and_hold: HoldSummary,
    /// Each grid.
    pub grids: Vec<GridSummary>,
    /// Every trip and clearing, in time order.
    pub trips: Vec<TripEvent>,
    /// Exposure over time: `(close time, percent of equity)` every hour.
    pub exposure_hourly: Vec<(i64, Decimal)>,
}

/// Both replays.
#[derive(Debug, Clone, Serialize)]
pub struct PortfolioReport {
    /// First and last close.
    pub period_ms: (i64, i64),
    /// With the portfolio file's limits.
    pub with_limits: PortfolioSummary,
    /// With every limit off.
    pub without_limits: PortfolioSummary,
    /// With the file's limits but `risk.correlated_exposure` off (when the file sets it).
    pub without_group_cap: Option<PortfolioSummary>,
    /// The cap's effect, row by row: with the cap (`with_limits`) against `without_group_cap`.
    pub group_cap_effect: Option<Vec<group_cap::EffectRow>>,
    /// The symbols' correlation at the last close.
    pub correlation: CorrelationMatrix,
}

impl PortfolioReport {
    /// Summarises both replays (checks every grid's P&L identity).
    pub fn new(with: &PortfolioRecord, without: &PortfolioRecord) -> anyhow::Result<Self> {
        let first = with.curve.first().context("empty replay")?.time_ms;
        let last = with.curve.last().context("empty replay")?.time_ms;
        Ok(Self {
            period_ms: (first, last),
            with_limits: summarise(with)?,
            without_limits: summarise(without)?,
            without_group_cap: None,
            group_cap_effect: None,
            correlation: with.correlation.clone(),
        })
    }

    /// Adds the replay with the file's limits but the correlated-group cap off.
    pub fn with_group_cap_effect(mut self, without_cap: &PortfolioRecord) -> anyhow::Result<Self> {
        let without = summarise(without_cap)?;
        self.group_cap_effect = Some(
            group_cap::effect_rows(&self.with_limits, &without)
                .into_iter()
                .map(|(metric, with_cap, without_cap)| group_cap::EffectRow {
                    metric,
                    with_cap,
                    without_cap,
                })
                .collect(),
        );
        self.without_group_cap = Some(without);
        Ok(self)
    }

    /// Writes the JSON report.
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }

    /// The portfolio rows, with limits and without: (label, with, without).
    pub fn side_by_side(&self) -> [(&'static str, Decimal, Decimal); 10] {
        let (w, o) = (&self.with_limits, &self.without_limits);
        [
            ("final equity", w.final_equity.get(), o.final_equity.get()),
            ("total P&L", w.total_pnl.get(), o.total_pnl.get()),
            ("ROI %", w.roi_pct, o.roi_pct),
            ("max drawdown %", w.max_drawdown_pct, o.max_drawdown_pct),
            ("max drawdown", w.max_drawdown.get(), o.max_drawdown.get()),
            ("max exposure %", w.max_exposure_pct, o.max_exposure_pct),
            ("mean exposure %", w.mean_exposure_pct, o.mean_exposure_pct),
            (
                "buy-and-hold P&L",
                w.buy_and_hold.pnl.get(),
                o.buy_and_hold.pnl.get(),
            ),
            (
                "buy-and-hold max DD %",
                w.buy_and_hold.max_drawdown_pct,
                o.buy_and_hold.max_drawdown_pct,
            ),
            (
                "limit trips",
                Decimal::from(count_trips(&w.trips)),
                Decimal::from(count_trips(&o.trips)),
            ),
        ]
    }

    /// The terminal table: portfolio rows, then grids, then the first trips.
    pub fn terminal(&self) -> String {
        let (w, o) = (&self.with_limits, &self.without_limits);
        let mut out = format!(
            "Portfolio backtest: {} grids, {} → {} UTC, starting equity {}\n\n",
            w.grids.len(),
            utc_minute(self.period_ms.0),
            utc_minute(self.period_ms.1),
            w.initial_equity
        );
        out.push_str(&format!(
            "{:<26} {:>16} {:>16}\n",
            "", "with limits", "without limits"
        ));
        let rows = self.side_by_side();
        for (name, a, b) in rows {
            out.push_str(&format!(
                "{name:<26} {:>16} {:>16}\n",
                a.round_dp(2),
                b.round_dp(2)
            ));
        }
        out.push_str(&format!(
            "\n{:<10} {:<9} {:>9} {:>10} {:>10} {:>7} {:>6} {:>10} {:>10} {:>10}\n",
            "grid",
            "symbol",
            "budget",
            "P&L lim",
            "DD% lim",
            "trips",
            "e-cl",
            "P&L off",
            "DD% off",
            "B&H P&L"
        ));
        for (g, h) in w.grids.iter().zip(&o.grids) {
            out.push_str(&format!(
                "{:<10} {:<9} {:>9} {:>10} {:>10} {:>7} {:>6} {:>10} {:>10} {:>10}\n",
                g.name,
                g.symbol.as_str(),
                g.budget.get().round_dp(2),
                g.total_pnl.get().round_dp(2),
                g.max_drawdown_pct.round_dp(2),
                g.trips,
                g.baskets_emergency_closed,
                h.total_pnl.get().round_dp(2),
                h.max_drawdown_pct.round_dp(2),
                g.buy_and_hold.pnl.get().round_dp(2),
            ));
        }
        if let Some(n) = &self.without_group_cap {
            out.push_str(&group_cap::terminal_effect(&w.limits, w, n));
        }
        out.push_str(&group_cap::terminal_matrix(&self.correlation));
        if !w.trips.is_empty() {
            out.push_str("\nlimit trips (with limits, first ones; all are in the JSON):\n");
            for e in w.trips.iter().filter(|e| e.tripped).take(TERMINAL_TRIPS) {
                out.push_str(&format!(
                    "  {}  {:<10} {:?} at {} (threshold {}) → {:?}\n",
                    utc_minute(e.time_ms),
                    e.grid,
                    e.trip.limit,
                    e.trip.value.round_dp(2),
                    e.trip.threshold,
                    e.trip.action
                ));
            }
        }
        out
    }
}

/// How many times a limit tripped (clearings not counted).
pub fn count_trips(events: &[TripEvent]) -> usize {
    events.iter().filter(|e| e.tripped).count()
}

fn pct(part: Decimal, whole: Decimal) -> Decimal {
    if whole.is_zero() {
        return Decimal::ZERO;
    }
    (part * Decimal::ONE_HUNDRED / whole).round_dp(4)
}

/// One replay's summary (checks every grid's P&L identity).
pub fn summarise(r: &PortfolioRecord) -> anyhow::Result<PortfolioSummary> {
    let last = r.curve.last().context("empty replay")?;
    let dd = max_drawdown(&equity_points(&r.curve, false));
    let hold_dd = max_drawdown(&equity_points(&r.curve, true));
    let shares: Vec<Decimal> = r
        .curve
        .iter()
        .map(|p| pct(p.exposure.get(), p.equity.get()))
        .collect();
    let mean = if shares.is_empty() {
        Decimal::ZERO
    } else {
        (shares.iter().copied().sum::<Decimal>() / Decimal::from(shares.len())).round_dp(4)
    };
    let mut grids = Vec::with_capacity(r.grids.len());
    for g in &r.grids {
        let rec = &g.record;
        let s = Summary::compute(rec).with_context(|| format!("grid {}", g.name))?;
        let count = |st: BasketStatus| rec.baskets.iter().filter(|b| b.status == st).count();
        let hold_final = rec.final_price * g.hold_qty;
        grids.push(GridSummary {
            name: g.name.clone(),
            symbol: rec.symbol.clone(),
            budget: g.budget,
            max_invested: g.max_invested,
            final_equity: s.final_equity,
            total_pnl: s.total_pnl,
            roi_pct: s.roi_pct,
            max_drawdown_pct: s.drawdown.pct,
            fills: s.fills,
            baskets_closed: count(BasketStatus::Closed) as u64,
            baskets_stopped: count(BasketStatus::Stopped) as u64,
            baskets_emergency_closed: count(BasketStatus::EmergencyClosed) as u64,
            trips: r
                .trips
                .iter()
                .filter(|e| e.tripped && e.grid == g.name)
                .count(),
            buy_and_hold: HoldSummary {
                final_equity: hold_final,
                pnl: hold_final - g.budget,
                max_drawdown_pct: Decimal::ZERO,
            },
        });
    }
    Ok(PortfolioSummary {
        limits: r.limits.clone(),
        initial_equity: r.initial_equity,
        final_equity: last.equity,
        total_pnl: last.equity - r.initial_equity,
        roi_pct: pct(
            (last.equity - r.initial_equity).get(),
            r.initial_equity.get(),
        ),
        max_drawdown_pct: dd.pct,
        max_drawdown: dd.amount,
        max_exposure_pct: shares.iter().copied().max().unwrap_or(Decimal::ZERO),
        mean_exposure_pct: mean,
        buy_and_hold: HoldSummary {
            final_equity: last.buy_and_hold,
            pnl: last.buy_and_hold - r.initial_equity,
            max_drawdown_pct: hold_dd.pct,
        },
        grids,
        trips: r.trips.clone(),
        exposure_hourly: r
            .curve
            .iter()
            .zip(&shares)
            .step_by(60)
            .map(|(p, s)| (p.time_ms, *s))
            .collect(),
    })
}
