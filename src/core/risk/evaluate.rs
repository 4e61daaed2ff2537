//! [`evaluate`]: the limits in their fixed order, the most severe action wins.

use super::{
    AccountSnapshot, GridVerdict, LimitKind, LossWindow, RiskLimits, Trip, TripAction, Verdict,
};
use crate::core::money::Quote;
use crate::core::symbol::Symbol;
use rust_decimal::Decimal;

const DAY_MS: i64 = 86_400_000;

/// 00:00 UTC of the day holding `now_ms`.
pub fn utc_day_start_ms(now_ms: i64) -> i64 {
    now_ms.div_euclid(DAY_MS) * DAY_MS
}

/// The verdict for a grid trading `symbol`, given the account `snap`. Pure.
pub fn evaluate(limits: &RiskLimits, snap: &AccountSnapshot, symbol: &Symbol) -> GridVerdict {
    let mut trips = Vec::new();
    let mut trip = |limit, value: Decimal, threshold: Decimal, action, tripped: bool| {
        if tripped {
            trips.push(Trip {
                limit,
                value,
                threshold,
                action,
            });
        }
    };
    if let Some(l) = limits.max_drawdown {
        let dd = drawdown_pct(snap.peak_equity, snap.equity);
        let max = l.threshold.get();
        trip(LimitKind::MaxDrawdown, dd, max, l.action, dd >= max);
    }
    if let Some(l) = limits.daily_loss {
        let start = match l.window {
            LossWindow::UtcDay => snap.day_start_equity,
            LossWindow::Rolling24h => snap.equity_24h_ago,
        };
        let loss = (start - snap.equity).get();
        let max = l.max_loss.get();
        trip(LimitKind::DailyLoss, loss, max, l.action, loss >= max);
    }
    let state = snap.symbols.get(symbol);
    if let (Some(cool), Some(at)) = (
        limits.hard_stop_cooldown_ms,
        state.and_then(|s| s.last_hard_stop_ms),
    ) {
        let since = snap.now_ms.saturating_sub(at);
        trip(
            LimitKind::HardStopCooldown,
            since.into(),
            cool.into(),
            TripAction::NoNewBuys,
            since < cool,
        );
    }
    if let Some(l) = limits.max_position_value {
        let value = state.map_or(Quote::ZERO, |s| s.value()).get();
        let max = l.threshold.get();
        trip(
            LimitKind::MaxPositionValue,
            value,
            max,
            l.action,
            value >= max,
        );
    }
    if let Some(l) = limits.max_exposure {
        let exposure: Quote = snap.symbols.values().map(|s| s.value()).sum();
        let pct = share_pct(exposure, snap.equity);
        let max = l.threshold.get();
        trip(LimitKind::MaxExposure, pct, max, l.action, pct >= max);
    }
    if let Some(l) = limits.correlated_exposure {
        let group = snap.correlation.group_of(symbol, l.min_correlation);
        let held: Quote = group
            .iter()
            .filter_map(|s| snap.symbols.get(s))
            .map(|s| s.value())
            .sum();
        let pct = share_pct(held, snap.equity);
        let max = l.max.get();
        trip(
            LimitKind::CorrelatedExposure,
            pct,
            max,
            l.action,
            pct >= max,
        );
    }
    if let Some(l) = limits.max_open_orders {
        let total: u32 = snap.symbols.values().map(|s| s.open_orders).sum();
        let max = l.threshold;
        trip(
            LimitKind::MaxOpenOrders,
            total.into(),
            max.into(),
            l.action,
            total >= max,
        );
        if let Some(s) = state {
            for (kind, open, filter) in [
                (
                    LimitKind::SymbolMaxNumOrders,
                    s.open_orders,
                    s.max_num_orders,
                ),
                (
                    LimitKind::SymbolMaxNumAlgoOrders,
                    s.open_algo_orders,
                    s.max_num_algo_orders,
                ),
            ] {
                if let Some(max) = filter {
                    trip(kind, open.into(), max.into(), l.action, open >= max);
                }
            }
        }
    }
    let verdict = trips
        .iter()
        .map(|t| Verdict::from(t.action))
        .max()
        .unwrap_or(Verdict::Allow);
    GridVerdict { verdict, trips }
}

/// `(peak − equity) / peak` in percent; 0 without a positive peak or below it.
fn drawdown_pct(peak: Quote, equity: Quote) -> Decimal {
    if !peak.is_positive() || equity >= peak {
        return Decimal::ZERO;
    }
    percent(peak - equity, peak)
}

/// `part / whole` in percent; a positive part of a non-positive whole is 100 %.
fn share_pct(part: Quote, whole: Quote) -> Decimal {
    if !part.is_positive() {
        return Decimal::ZERO;
    }
    if !whole.is_positive() {
        return Decimal::ONE_HUNDRED;
    }
    percent(part, whole)
}

/// `part / whole × 100` for a positive `whole`, saturating instead of overflowing.
fn percent(part: Quote, whole: Quote) -> Decimal {
    part.get()
        .checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|p| p.checked_div(whole.get()))
        .unwrap_or(Decimal::MAX)
}
