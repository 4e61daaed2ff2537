//! `/stats`: equity, drawdown and daily realised P&L over time, realised P&L per basket, and
//! the P&L totals with the fees shown on their own. Pure: the reader fetches snapshots,
//! sells with their realised P&L, and the journal's baskets.

use super::format;
use super::journal::BasketRow;
use super::view::EquityPoint;
use crate::core::money::Quote;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

const DAY_MS: i64 = 86_400_000;

/// One point of a time series; `time` in Unix seconds (the chart library's unit).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Point {
    /// Unix s.
    pub time: i64,
    /// Value (a quote amount or a percentage), as exact text.
    pub value: Decimal,
}

/// `/api/stats`.
#[derive(Debug, Clone, Serialize)]
pub struct StatsView {
    /// Account value (latest snapshots).
    pub equity: Vec<Point>,
    /// Distance below the running peak of the account value, percent (≤ 0).
    pub drawdown: Vec<Point>,
    /// Deepest drawdown, percent (≤ 0).
    pub max_drawdown_pct: Decimal,
    /// Realised P&L per UTC day (sells of that day).
    pub daily: Vec<Point>,
    /// Realised P&L per basket, at its closing (or opening) time.
    pub per_basket: Vec<BasketPnl>,
    /// Realised P&L of all sells, net of fees.
    pub realised: Quote,
    /// Unrealised P&L of the open baskets at the last price (their buy fees already paid).
    pub unrealised: Quote,
    /// Every fee paid, in the quote asset.
    pub fees: Quote,
}

/// One basket's bar.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BasketPnl {
    /// Unix s of its close (or opening while open); unique and increasing for the chart.
    pub time: i64,
    /// Basket id.
    pub id: u32,
    /// Realised P&L.
    pub pnl: Quote,
}

/// Equity and drawdown from the account value over time.
pub fn equity_and_drawdown(points: &[EquityPoint]) -> (Vec<Point>, Vec<Point>, Decimal) {
    let mut peak: Option<Decimal> = None;
    let mut worst = Decimal::ZERO;
    let mut equity = Vec::with_capacity(points.len());
    let mut drawdown = Vec::with_capacity(points.len());
    let mut last_time = i64::MIN;
    for p in points {
        let time = p.time_ms.div_euclid(1000);
        if time <= last_time {
            continue; // two snapshots in one second: the chart needs increasing times
        }
        last_time = time;
        let v = p.value.get();
        let top = peak.map_or(v, |pk| pk.max(v));
        peak = Some(top);
        let dd = if top > Decimal::ZERO {
            format::ratio((v - top) * Decimal::ONE_HUNDRED / top)
        } else {
            Decimal::ZERO
        };
        worst = worst.min(dd);
        equity.push(Point {
            time,
            value: format::quote(p.value).get(),
        });
        drawdown.push(Point { time, value: dd });
    }
    (equity, drawdown, worst)
}

/// Realised P&L per UTC day from `(time_ms, realised)` of each sell.
pub fn daily(sells: &[(i64, Quote)]) -> Vec<Point> {
    let mut days: BTreeMap<i64, Quote> = BTreeMap::new();
    for (t, pnl) in sells {
        *days.entry(t.div_euclid(DAY_MS)).or_insert(Quote::ZERO) += *pnl;
    }
    days.into_iter()
        .map(|(day, pnl)| Point {
            time: day * DAY_MS / 1000,
            value: format::quote(pnl).get(),
        })
        .collect()
}

/// One bar per basket that sold anything, in time order.
pub fn per_basket(rows: &[BasketRow]) -> Vec<BasketPnl> {
    let mut bars: Vec<BasketPnl> = rows
        .iter()
        .filter(|b| b.sold.is_positive())
        .map(|b| BasketPnl {
            time: b.closed_ms.unwrap_or(b.opened_ms).div_euclid(1000),
            id: b.id,
            pnl: b.realised,
        })
        .collect();
    bars.sort_by_key(|b| (b.time, b.id));
    let mut last = i64::MIN;
    for b in &mut bars {
        b.time = b.time.max(last + 1);
        last = b.time;
    }
    bars
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn drawdown_is_measured_from_the_running_peak() {
        let pts: Vec<EquityPoint> = [(1, "100"), (2, "120"), (3, "90"), (4, "130")]
            .iter()
            .map(|(t, v)| EquityPoint {
                time_ms: t * 1000,
                value: Quote::new(v.parse().unwrap()),
            })
            .collect();
        let (equity, dd, worst) = equity_and_drawdown(&pts);
        assert_eq!(equity.len(), 4);
        let dd: Vec<Decimal> = dd.iter().map(|p| p.value).collect();
        assert_eq!(dd, vec![dec!(0), dec!(0), dec!(-25), dec!(0)]);
        assert_eq!(worst, dec!(-25));
    }

    #[test]
    fn daily_sums_sells_per_utc_day() {
        let q = |v: &str| Quote::new(v.parse().unwrap());
        let d = daily(&[(1_000, q("1.5")), (2_000, q("-0.5")), (DAY_MS + 5, q("2"))]);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].value, dec!(1));
        assert_eq!(d[1].time, 86_400);
    }
}
