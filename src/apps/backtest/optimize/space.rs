//! What the optimiser searches and what it maximises.
//!
//! The space is the product of the `--param key=values` axes (values as in `--sweep`,
//! ranges `lo..hi/step` included). **Grid** search runs every combination; **random** search
//! runs `samples` distinct combinations drawn uniformly without replacement from the same
//! product with a seeded generator, so a run is reproducible from its seed.

use crate::apps::backtest::metrics::Summary;
use crate::apps::backtest::sweep::Axis;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rust_decimal::Decimal;

/// How combinations are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Search {
    /// Every combination.
    Grid,
    /// `--samples` combinations drawn at random (seeded).
    Random,
}

/// What "best" means on a training span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// Total P&L in quote.
    TotalPnl,
    /// Annualised Sharpe of daily returns.
    Sharpe,
    /// Linearly annualised ROI over max drawdown percent.
    Calmar,
    /// Total P&L over max drawdown (quote over quote).
    PnlOverDrawdown,
    /// Total P&L minus buy-and-hold's P&L of the same budget.
    PnlVsHold,
}

impl Objective {
    /// The score of a run; `None` (no drawdown, too few days) ranks below every number.
    pub fn score(self, s: &Summary) -> Option<Decimal> {
        match self {
            Self::TotalPnl => Some(s.total_pnl.get()),
            Self::Sharpe => s.sharpe,
            Self::Calmar => s.calmar,
            Self::PnlOverDrawdown => s.pnl_over_drawdown,
            Self::PnlVsHold => Some((s.total_pnl - s.buy_and_hold.pnl).get()),
        }
    }

    /// Whether the score grows with the span's length (P&L in quote does; ratios that are
    /// annualised or relative do not). Such scores are compared per day between in-sample
    /// and out-of-sample spans of different lengths.
    pub fn additive(self) -> bool {
        matches!(self, Self::TotalPnl | Self::PnlVsHold)
    }

    /// Name as written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::TotalPnl => "total-pnl",
            Self::Sharpe => "sharpe",
            Self::Calmar => "calmar",
            Self::PnlOverDrawdown => "pnl-over-drawdown",
            Self::PnlVsHold => "pnl-vs-hold",
        }
    }
}

/// Number of combinations of `axes` (saturating).
pub fn size(axes: &[Axis]) -> usize {
    axes.iter()
        .fold(1usize, |n, a| n.saturating_mul(a.values.len()))
}

/// The `i`-th combination of `axes` (mixed radix, the last axis fastest, as `--sweep`).
pub fn combination(axes: &[Axis], mut i: usize) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), String::new()); axes.len()];
    for (slot, axis) in out.iter_mut().zip(axes).rev() {
        let n = axis.values.len();
        *slot = (axis.key.clone(), axis.values[i % n].clone());
        i /= n;
    }
    out
}

/// The combinations to run: all of them (grid), or `samples` distinct ones in index order
/// (random, seeded).
pub fn combinations(
    axes: &[Axis],
    search: Search,
    samples: usize,
    seed: u64,
) -> Vec<Vec<(String, String)>> {
    let total = size(axes);
    let mut picks: Vec<usize> = match search {
        Search::Random if samples < total => {
            let mut rng = StdRng::seed_from_u64(seed);
            rand::seq::index::sample(&mut rng, total, samples).into_vec()
        }
        _ => (0..total).collect(),
    };
    picks.sort_unstable();
    picks.into_iter().map(|i| combination(axes, i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axes() -> Vec<Axis> {
        vec![
            Axis {
                key: "a".into(),
                values: vec!["1".into(), "2".into()],
            },
            Axis {
                key: "b".into(),
                values: vec!["x".into(), "y".into(), "z".into()],
            },
        ]
    }

    #[test]
    fn grid_runs_every_combination_last_axis_fastest() {
        let all = combinations(&axes(), Search::Grid, 0, 0);
        assert_eq!(all.len(), 6);
        assert_eq!(all[1], [("a".into(), "1".into()), ("b".into(), "y".into())]);
        assert_eq!(all[5], [("a".into(), "2".into()), ("b".into(), "z".into())]);
    }

    #[test]
    fn random_search_draws_distinct_combinations_reproducibly() {
        let a = combinations(&axes(), Search::Random, 4, 7);
        let b = combinations(&axes(), Search::Random, 4, 7);
        assert_eq!(a, b);
        assert_eq!(a.len(), 4);
        let mut d = a.clone();
        d.dedup();
        assert_eq!(d.len(), 4);
        assert_eq!(combinations(&axes(), Search::Random, 99, 7).len(), 6);
    }
}
