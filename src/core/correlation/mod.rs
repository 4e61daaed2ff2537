//! Rolling correlation of the traded symbols' returns, and the groups it makes
//! (`.spec/portfolio.md`, "Correlation").
//!
//! Entry points: [`CorrelationTracker::observe`] takes prices in time order (a candle's close at
//! its close time in the backtest, the loop's price reads live) and [`CorrelationTracker::matrix`]
//! gives every pair's Pearson correlation over the window; [`CorrelationMatrix::group_of`] is
//! the correlated group a symbol belongs to at a threshold.
//!
//! Decisions:
//! - Returns are simple returns `close / previous close − 1` of fixed buckets of
//!   `return_minutes` (aligned to the epoch, so to UTC hours for 60): a bucket's close is the
//!   last price observed in it, and a bucket closes when a price of a later bucket arrives,
//!   so no return uses a price not yet seen. A return needs the directly preceding bucket's
//!   close; after a gap (no price in a bucket) the next return is skipped, not stretched.
//! - A pair is correlated over the buckets both symbols have a return for, within the last
//!   `window_returns` buckets of the latest closed bucket of any symbol.
//! - Exact decimals: returns are rounded to 8 decimal places (a hundred-thousandth of a basis
//!   point), so the window's sums (scale ≤ 16) are exact and removing a return is the exact
//!   inverse of adding it: the incremental sums equal a recomputation, bit for bit. The
//!   correlation is then `cov / sqrt(var_x · var_y)` in `Decimal`, rounded to 4 places; that
//!   rounded value is what the grouping compares and the dashboard shows.
//! - A pair with fewer than `min_returns` joint returns is *warming*: its correlation is unknown
//!   and the grouping treats it as correlated (the safe side: coins are assumed to move
//!   together until the data says otherwise). A pair where one series never moved in the
//!   window is *flat*: no correlation exists and the grouping treats it as uncorrelated.
//! - Groups are single linkage (connected components of the graph "correlation ≥
//!   threshold"): if A moves with B and B with C, all three are one group, even when A and C
//!   alone fall below the threshold — risk is transmitted along the chain.
//!
//! Invariants (checked by `proptests.rs`):
//! 1. The incremental sums of every pair equal the sums recomputed from its window.
//! 2. Every correlation lies in [−1, 1]; a pair's correlation is symmetric.
//! 3. Groups partition the symbols; every symbol is in its own group; two symbols with a
//!    correlation ≥ threshold (or warming) share a group.
//! 4. Prices of a bucket after the last observation never change a return already made (no
//!    look-ahead): the matrix after observing a prefix of a series is the same whatever follows
//!    inside the still-open bucket.

mod groups;
mod pair;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use crate::core::money::Price;
use crate::core::symbol::Symbol;
use pair::PairWindow;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Decimal places a return is rounded to (keeps the window's sums exact).
pub const RETURN_DP: u32 = 8;
/// Decimal places of a published correlation.
pub const CORRELATION_DP: u32 = 4;

/// How returns are sampled and how many make the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CorrelationWindow {
    /// Length of one return's bucket, in ms.
    pub return_ms: i64,
    /// Buckets in the window.
    pub window_returns: usize,
    /// Joint returns a pair needs before its correlation counts.
    pub min_returns: usize,
}

impl Default for CorrelationWindow {
    /// 60-minute returns over 7 days; a day of joint returns before a pair counts.
    fn default() -> Self {
        Self {
            return_ms: 3_600_000,
            window_returns: 168,
            min_returns: 24,
        }
    }
}

/// One pair's correlation as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairCorrelation {
    /// The first symbol (`a < b`).
    pub a: Symbol,
    /// The second symbol.
    pub b: Symbol,
    /// Joint returns in the window.
    pub returns: usize,
    /// Pearson correlation rounded to [`CORRELATION_DP`]; `None` while warming or when a
    /// series is flat.
    pub correlation: Option<Decimal>,
}

/// Every pair's correlation at one moment (`/api/portfolio`, the grouping's input).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrelationMatrix {
    /// Minutes per return.
    pub return_minutes: i64,
    /// Returns in the window.
    pub window_returns: usize,
    /// Joint returns a pair needs before its correlation counts.
    pub min_returns: usize,
    /// The symbols, sorted.
    pub symbols: Vec<Symbol>,
    /// Every pair `a < b`, sorted.
    pub pairs: Vec<PairCorrelation>,
}

impl CorrelationMatrix {
    /// The pair of `a` and `b` (either order); `None` for a symbol with itself or unknown.
    pub fn pair(&self, a: &Symbol, b: &Symbol) -> Option<&PairCorrelation> {
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        self.pairs.iter().find(|p| &p.a == a && &p.b == b)
    }

    /// Whether `p` links its symbols at `threshold`: its correlation reaches it, or it is
    /// still warming (unknown counts as correlated).
    pub fn links(&self, p: &PairCorrelation, threshold: Decimal) -> bool {
        match p.correlation {
            Some(c) => c >= threshold,
            None => p.returns < self.min_returns,
        }
    }
}

/// One symbol's price series, cut into buckets.
#[derive(Debug, Clone, Default)]
struct Series {
    /// The open bucket and the last price seen in it.
    open: Option<(i64, Price)>,
    /// The last closed bucket and its close.
    last_close: Option<(i64, Decimal)>,
    /// Returns by bucket, within the window.
    returns: VecDeque<(i64, Decimal)>,
}

/// Keeps every symbol's returns and every pair's window, incrementally.
#[derive(Debug, Clone)]
pub struct CorrelationTracker {
    window: CorrelationWindow,
    series: BTreeMap<Symbol, Series>,
    pairs: BTreeMap<(Symbol, Symbol), PairWindow>,
    latest: Option<i64>,
    /// The published matrix, recomputed when a bucket closes (not on every price).
    matrix: CorrelationMatrix,
}

impl CorrelationTracker {
    /// A tracker over `symbols` (more join at their first price).
    pub fn new(window: CorrelationWindow, symbols: impl IntoIterator<Item = Symbol>) -> Self {
        let mut t = Self {
            window,
            series: BTreeMap::new(),
            pairs: BTreeMap::new(),
            latest: None,
            matrix: CorrelationMatrix::default(),
        };
        for s in symbols {
            t.register(&s);
        }
        t.matrix = t.compute();
        t
    }

    /// The window it keeps.
    pub fn window(&self) -> CorrelationWindow {
        self.window
    }

    fn register(&mut self, symbol: &Symbol) {
        if self.series.contains_key(symbol) {
            return;
        }
        for other in self.series.keys() {
            let key = ordered(symbol, other);
            self.pairs.insert(key, PairWindow::default());
        }
        self.series.insert(symbol.clone(), Series::default());
    }

    /// A price of `symbol` at `time_ms`. Prices must come in time order per symbol; an older
    /// one than the open bucket, or a non-positive one, is ignored. Returns whether the
    /// matrix changed (a bucket closed or a symbol joined).
    pub fn observe(&mut self, symbol: &Symbol, time_ms: i64, price: Price) -> bool {
        if price.get() <= Decimal::ZERO {
            return false;
        }
        let joined = !self.series.contains_key(symbol);
        self.register(symbol);
        let changed = self.close_bucket(symbol, time_ms, price) || joined;
        if changed {
            self.matrix = self.compute();
        }
        changed
    }

    /// Moves `symbol`'s open bucket to `time_ms`'s; true when a bucket closed.
    fn close_bucket(&mut self, symbol: &Symbol, time_ms: i64, price: Price) -> bool {
        let bucket = time_ms.div_euclid(self.window.return_ms);
        let Some(series) = self.series.get_mut(symbol) else {
            return false;
        };
        let closed = match series.open {
            Some((open, _)) if bucket < open => return false,
            Some((open, _)) if bucket == open => None,
            Some((open, last)) => Some((open, last.get())),
            None => None,
        };
        series.open = Some((bucket, price));
        let Some((b, close)) = closed else {
            return false;
        };
        let ret = match series.last_close {
            Some((prev_b, prev)) if prev_b == b - 1 => simple_return(prev, close),
            _ => None,
        };
        series.last_close = Some((b, close));
        if let Some(r) = ret {
            series.returns.push_back((b, r));
            self.join(symbol, b, r);
        }
        if self.latest.is_none_or(|l| b > l) {
            self.latest = Some(b);
            self.evict();
        }
        true
    }

    /// Adds bucket `b`'s return `r` of `symbol` to every pair whose other symbol has one.
    fn join(&mut self, symbol: &Symbol, b: i64, r: Decimal) {
        if self
            .latest
            .is_some_and(|l| b <= l - self.window.window_returns as i64)
        {
            return;
        }
        for (other, s) in &self.series {
            if other == symbol {
                continue;
            }
            let Some(&(_, y)) = s.returns.iter().rev().find(|(ob, _)| *ob == b) else {
                continue;
            };
            let key = ordered(symbol, other);
            let (x, y) = if &key.0 == symbol { (r, y) } else { (y, r) };
            if let Some(p) = self.pairs.get_mut(&key) {
                p.push(b, x, y);
            }
        }
    }

    /// Drops every return older than the window.
    fn evict(&mut self) {
        let Some(latest) = self.latest else { return };
        let keep_from = latest - self.window.window_returns as i64 + 1;
        for s in self.series.values_mut() {
            while s.returns.front().is_some_and(|(b, _)| *b < keep_from) {
                s.returns.pop_front();
            }
        }
        for p in self.pairs.values_mut() {
            p.evict_before(keep_from);
        }
    }

    /// Every pair's correlation as of the last closed bucket.
    pub fn matrix(&self) -> &CorrelationMatrix {
        &self.matrix
    }

    fn compute(&self) -> CorrelationMatrix {
        CorrelationMatrix {
            return_minutes: self.window.return_ms / 60_000,
            window_returns: self.window.window_returns,
            min_returns: self.window.min_returns,
            symbols: self.series.keys().cloned().collect(),
            pairs: self
                .pairs
                .iter()
                .map(|((a, b), p)| PairCorrelation {
                    a: a.clone(),
                    b: b.clone(),
                    returns: p.len(),
                    correlation: if p.len() < self.window.min_returns {
                        None
                    } else {
                        p.correlation()
                    },
                })
                .collect(),
        }
    }
}

/// `close / prev − 1`, rounded to [`RETURN_DP`]; `None` for a non-positive `prev`.
fn simple_return(prev: Decimal, close: Decimal) -> Option<Decimal> {
    if prev <= Decimal::ZERO {
        return None;
    }
    close
        .checked_div(prev)
        .map(|q| (q - Decimal::ONE).round_dp(RETURN_DP))
}

fn ordered(a: &Symbol, b: &Symbol) -> (Symbol, Symbol) {
    if a < b {
        (a.clone(), b.clone())
    } else {
        (b.clone(), a.clone())
    }
}
