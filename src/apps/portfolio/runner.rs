//! The loop around [`Portfolio::step`]: one pause per loop (every grid steps once), backoff
//! after a failed loop, clean shutdown between loops, the dashboard's requests and the
//! store's command queue served while it waits.

use super::orchestrator::LoopReport;
use super::orchestrator::{Portfolio, PortfolioError};
use crate::apps::bot::lockstep::MAX_SETTLE_STEPS;
use crate::apps::bot::runner::{
    backoff_after, wall_ms, BotCommand, LastStep, LAST_STEP_KEY, QUEUE_POLL,
};
use crate::ports::exchange::{Exchange, ExchangeError};
use crate::ports::store::Store;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Loops until `stop` turns true; returns the number of loops run. A loop whose account-wide
/// reads fail is skipped with backoff (a rate limit waits at least what the exchange asked);
/// five store failures in a row end the run (the journal is the ground truth).
pub async fn run_until<E: Exchange, S: Store>(
    portfolio: &mut Portfolio<E, S>,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
    mut commands: mpsc::Receiver<BotCommand>,
) -> Result<u64, PortfolioError> {
    let mut loops = 0;
    let mut failures: u32 = 0;
    loop {
        if *stop.borrow() {
            return Ok(loops);
        }
        let result = portfolio.step().await;
        record_loop(portfolio.store(), &result).await;
        let pause = match &result {
            Ok(_) => {
                loops += 1;
                failures = 0;
                interval
            }
            Err(err) => {
                failures += 1;
                tracing::warn!(error = %err, "portfolio loop skipped");
                match pause_after(err, interval, failures) {
                    Some(p) => p,
                    None => return result.map(|_| loops),
                }
            }
        };
        let wake = tokio::time::Instant::now() + pause;
        let mut queue = tokio::time::interval(QUEUE_POLL);
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => break,
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        return Ok(loops);
                    }
                }
                Some(command) = commands.recv() => portfolio.handle(command).await,
                _ = queue.tick() => portfolio.serve_commands().await,
            }
        }
    }
}

/// The pause after the `failures`-th failed loop in a row (a rate limit waits at least what
/// the exchange asked), or `None`: five store failures in a row end the run.
pub(super) fn pause_after(
    err: &PortfolioError,
    interval: Duration,
    failures: u32,
) -> Option<Duration> {
    match err {
        PortfolioError::Store(_) if failures >= 5 => None,
        PortfolioError::Exchange(ExchangeError::RateLimited { retry_after_ms, .. }) => {
            Some(backoff_after(interval, failures).max(Duration::from_millis(*retry_after_ms)))
        }
        _ => Some(backoff_after(interval, failures)),
    }
}

/// Records the loop as the single bot records its step (`status` shows it): when, and how
/// it went — a failed grid step counts as a failed action.
pub(super) async fn record_loop<S: Store>(store: &S, result: &Result<LoopReport, PortfolioError>) {
    let outcome = match result {
        Ok(r) => match r.steps.iter().filter(|s| s.is_none()).count() {
            0 => "ok".to_string(),
            n => format!("ok, {n} action(s) failed (grid steps)"),
        },
        Err(e) => format!("failed: {e}"),
    };
    let now = wall_ms();
    let step = LastStep {
        wall_ms: now,
        outcome,
    };
    if let Ok(text) = serde_json::to_string(&step) {
        if let Err(e) = store.set_config_value(LAST_STEP_KEY, &text, now).await {
            tracing::debug!(error = %e, "recording the last loop failed");
        }
    }
}

/// Lock-step pacing for a replayed market (`paper --portfolio --speed step`), as
/// `apps::bot::lockstep` for one bot: loops until every grid's step is quiescent (at most
/// `MAX_SETTLE_STEPS` loops a minute), then `feed` feeds the next minute of every symbol.
/// Ends when the candles run out or `stop` turns true; returns the loops run. A failed loop
/// ends the run: in a replay nothing transient can explain it.
pub async fn run_lockstep<E: Exchange, S: Store>(
    portfolio: &mut Portfolio<E, S>,
    mut feed: impl FnMut() -> bool,
    stop: watch::Receiver<bool>,
    mut commands: mpsc::Receiver<BotCommand>,
) -> Result<u64, PortfolioError> {
    let mut loops = 0;
    loop {
        for _ in 0..MAX_SETTLE_STEPS {
            let result = portfolio.step().await;
            record_loop(portfolio.store(), &result).await;
            loops += 1;
            if result?.quiescent() {
                break;
            }
        }
        while let Ok(command) = commands.try_recv() {
            portfolio.handle(command).await;
        }
        portfolio.serve_commands().await;
        if *stop.borrow() || !feed() {
            return Ok(loops);
        }
        tokio::task::yield_now().await;
    }
}
