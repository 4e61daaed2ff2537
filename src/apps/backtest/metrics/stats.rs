//! Curve statistics: drawdown, daily sampling and the Sharpe ratio, in exact decimals.

use super::RATIO_DP;
use crate::apps::backtest::record::EquityPoint;
use crate::core::money::Quote;
use rust_decimal::{Decimal, MathematicalOps, RoundingStrategy};

/// Milliseconds in a UTC day.
pub const DAY_MS: i64 = 86_400_000;

/// Largest peak-to-trough falls of an equity curve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drawdown {
    /// Largest absolute fall from a running peak, in quote (zero on a curve that never falls).
    pub amount: Quote,
    /// Largest fall relative to its running peak, percent.
    pub pct: Decimal,
    /// Index of the peak of the largest absolute fall, into `record.equity`.
    pub peak_index: Option<usize>,
    /// Index of the trough of the largest absolute fall.
    pub trough_index: Option<usize>,
}

/// Scans the curve once, keeping the running peak.
pub fn max_drawdown(curve: &[EquityPoint]) -> Drawdown {
    drawdown_of(curve.iter().map(|p| p.equity))
}

/// [`max_drawdown`] of any equity series (the benchmark's is computed on the fly).
pub fn drawdown_of(curve: impl Iterator<Item = Quote>) -> Drawdown {
    let mut dd = Drawdown::default();
    let mut peak: Option<(usize, Quote)> = None;
    for (i, equity) in curve.enumerate() {
        let Some((peak_i, peak_eq)) = peak.filter(|&(_, eq)| eq >= equity) else {
            peak = Some((i, equity));
            continue;
        };
        let fall = peak_eq - equity;
        if fall > dd.amount {
            dd.amount = fall;
            dd.peak_index = Some(peak_i);
            dd.trough_index = Some(i);
        }
        if peak_eq.is_positive() {
            dd.pct = dd.pct.max(super::percent(fall.get(), peak_eq.get()));
        }
    }
    dd
}

/// Equity at the end of every UTC day the curve touches: the last point of each day, in order.
pub fn daily_closes(curve: &[EquityPoint]) -> Vec<Quote> {
    let mut closes: Vec<(i64, Quote)> = Vec::new();
    for p in curve {
        let day = p.time_ms.div_euclid(DAY_MS);
        match closes.last_mut() {
            Some((d, eq)) if *d == day => *eq = p.equity,
            _ => closes.push((day, p.equity)),
        }
    }
    closes.into_iter().map(|(_, eq)| eq).collect()
}

/// Annualised Sharpe ratio of the daily returns from `initial` through `closes`
/// (`mean / sample stdev × √365`, risk-free 0), and the number of returns.
///
/// `None` with fewer than two returns, a zero stdev or a non-positive close to divide by.
pub fn sharpe(initial: Quote, closes: &[Quote]) -> (Option<Decimal>, u32) {
    let mut returns = Vec::with_capacity(closes.len());
    let mut prev = initial.get();
    for close in closes {
        if prev <= Decimal::ZERO {
            return (None, returns.len() as u32);
        }
        returns.push(close.get() / prev - Decimal::ONE);
        prev = close.get();
    }
    let n = returns.len() as u32;
    if n < 2 {
        return (None, n);
    }
    let count = Decimal::from(n);
    let mean = returns.iter().sum::<Decimal>() / count;
    let var = returns
        .iter()
        .map(|r| (r - mean) * (r - mean))
        .sum::<Decimal>()
        / (count - Decimal::ONE);
    let ratio = var
        .sqrt()
        .filter(|sd| !sd.is_zero())
        .and_then(|sd| Some(mean / sd * Decimal::from(365).sqrt()?));
    (
        ratio.map(|r| r.round_dp_with_strategy(RATIO_DP, RoundingStrategy::MidpointAwayFromZero)),
        n,
    )
}
