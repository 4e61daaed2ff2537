//! The walk-forward loop: per window, every point on the training candles (in parallel), the
//! best by the objective, then that point alone on the test candles.
//!
//! The evaluation is passed in, so the loop is the same for the command and for the test
//! that checks no test candle is ever shown to training.

use super::space::Objective;
use super::windows::{split, TimeWindow};
use crate::adapters::klines::Candle;
use crate::apps::backtest::metrics::Summary;
use crate::apps::backtest::sweep::SweepPoint;
use rayon::prelude::*;
use rust_decimal::Decimal;

/// Which side of a window an evaluation is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Choosing the parameters.
    Train,
    /// Checking them on unseen candles.
    Test,
}

/// Runs one point on some candles: its metrics, or why it could not run.
pub type Evaluate<'a> =
    dyn Fn(Phase, usize, &[Candle], &SweepPoint) -> Result<Summary, Vec<String>> + Sync + 'a;

/// The chosen point of a window and how it did on both sides.
#[derive(Debug, Clone)]
pub struct Chosen {
    /// Its `key=value` assignments.
    pub assignments: Vec<String>,
    /// Metrics on the training candles.
    pub in_sample: Summary,
    /// Metrics on the test candles, or why it could not run there.
    pub out_of_sample: Result<Summary, Vec<String>>,
    /// Objective in-sample, per day when the objective is additive.
    pub in_score: Option<Decimal>,
    /// Objective out-of-sample, per day when the objective is additive.
    pub out_score: Option<Decimal>,
    /// Out-of-sample fell short of in-sample (see [`diverges`]).
    pub diverges: bool,
}

/// One window's outcome.
#[derive(Debug, Clone)]
pub struct WindowResult {
    /// The split in time.
    pub window: TimeWindow,
    /// Candles on each side.
    pub train_candles: usize,
    /// Candles in the test span.
    pub test_candles: usize,
    /// Points that ran in training.
    pub evaluated: usize,
    /// Points skipped in training (invalid at this span's prices, or failed).
    pub skipped: usize,
    /// The best point, if any point ran.
    pub chosen: Option<Chosen>,
}

/// Walks `windows` over `candles`. `tick` is called once per evaluation (progress).
pub fn walk_forward(
    candles: &[Candle],
    windows: &[TimeWindow],
    points: &[SweepPoint],
    objective: Objective,
    evaluate: &Evaluate<'_>,
    tick: &(dyn Fn() + Sync),
) -> Vec<WindowResult> {
    windows
        .iter()
        .enumerate()
        .map(|(k, w)| {
            let (train, test) = split(candles, w);
            let (train_c, test_c) = (&candles[train], &candles[test]);
            let mut result = WindowResult {
                window: *w,
                train_candles: train_c.len(),
                test_candles: test_c.len(),
                evaluated: 0,
                skipped: 0,
                chosen: None,
            };
            if train_c.is_empty() || test_c.is_empty() {
                return result;
            }
            let runs: Vec<Option<Summary>> = points
                .par_iter()
                .map(|p| {
                    let r = evaluate(Phase::Train, k, train_c, p).ok();
                    tick();
                    r
                })
                .collect();
            result.evaluated = runs.iter().filter(|r| r.is_some()).count();
            result.skipped = runs.len() - result.evaluated;
            let best = runs
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.as_ref().map(|s| (i, s)))
                // Highest score; a missing score ranks lowest; ties go to the earlier point.
                .max_by(|(i, a), (j, b)| {
                    objective.score(a).cmp(&objective.score(b)).then(j.cmp(i))
                });
            if let Some((i, in_sample)) = best {
                let out = evaluate(Phase::Test, k, test_c, &points[i]);
                tick();
                let days = |ms: i64| Decimal::from(ms.max(1)) / Decimal::from(86_400_000);
                let norm = |s: &Summary, span_ms: i64| {
                    let v = objective.score(s)?;
                    Some(if objective.additive() {
                        (v / days(span_ms)).round_dp(6)
                    } else {
                        v
                    })
                };
                let in_score = norm(in_sample, w.train_end_ms - w.train_start_ms);
                let out_score = out
                    .as_ref()
                    .ok()
                    .and_then(|s| norm(s, w.test_end_ms - w.train_end_ms));
                result.chosen = Some(Chosen {
                    assignments: points[i].assignments.clone(),
                    in_sample: in_sample.clone(),
                    out_of_sample: out,
                    in_score,
                    out_score,
                    diverges: diverges(in_score, out_score),
                });
            }
            result
        })
        .collect()
}

/// Out-of-sample "diverges" from in-sample when it could not be scored while in-sample
/// could, or when in-sample was positive and out-of-sample reached less than half of it.
/// A non-positive in-sample best is not called divergent: it promised nothing.
pub fn diverges(in_score: Option<Decimal>, out_score: Option<Decimal>) -> bool {
    match (in_score, out_score) {
        (Some(_), None) => true,
        (Some(i), Some(o)) if i > Decimal::ZERO => o < i / Decimal::TWO,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn divergence_is_less_than_half_of_a_positive_in_sample_score() {
        assert!(diverges(Some(dec!(2)), Some(dec!(0.9))));
        assert!(!diverges(Some(dec!(2)), Some(dec!(1))));
        assert!(diverges(Some(dec!(2)), Some(dec!(-1))));
        assert!(diverges(Some(dec!(2)), None));
        assert!(!diverges(Some(dec!(-1)), Some(dec!(-5))));
        assert!(!diverges(None, None));
    }
}
