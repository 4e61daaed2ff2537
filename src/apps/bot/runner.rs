//! The loop around [`Bot::step`]: interval, exponential backoff on errors, clean shutdown.
//!
//! Shutdown (SIGINT/SIGTERM, or the `stop` channel) is only looked at between steps, so the
//! step in progress always finishes: every order sent is recorded before the process exits.

use crate::adapters::store::InstanceLock;
use crate::apps::bot::emergency::{CloseReceipt, CloseReport};
use crate::apps::bot::{Bot, BotError};
use crate::ports::exchange::{Exchange, ExchangeError};
use crate::ports::operator::{CommandKind, CommandState};
use crate::ports::store::{EventLevel, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

/// An operator's request to the running bot (from the dashboard), handled between steps so it
/// never interleaves with one.
#[derive(Debug)]
pub enum BotCommand {
    /// Run the emergency close.
    CloseAll(oneshot::Sender<Result<CloseReport, String>>),
    /// Stop trading one basket (its orders stay as they are).
    Pause(u32, oneshot::Sender<Result<(), String>>),
    /// Resume a paused basket.
    Resume(u32, oneshot::Sender<Result<(), String>>),
}

/// Longest pause after repeated failures.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Steps until `stop` turns true (or its sender is dropped). Errors skip the step and back off
/// exponentially (interval × 2ⁿ, at most a minute; a rate limit waits at least what the
/// exchange asked). Returns the number of steps run.
pub async fn run_until<E: Exchange, S: Store>(
    bot: &mut Bot<E, S>,
    stop: watch::Receiver<bool>,
) -> Result<u64, BotError> {
    let (_keep, commands) = mpsc::channel(1);
    run_with_commands(bot, stop, commands).await
}

/// [`run_until`] that also serves [`BotCommand`]s between steps.
pub async fn run_with_commands<E: Exchange, S: Store>(
    bot: &mut Bot<E, S>,
    mut stop: watch::Receiver<bool>,
    mut commands: mpsc::Receiver<BotCommand>,
) -> Result<u64, BotError> {
    let interval = bot.settings().interval;
    let mut failures: u32 = 0;
    let mut steps = 0;
    record_pair(bot).await;
    loop {
        if *stop.borrow() {
            return Ok(steps);
        }
        let started = std::time::Instant::now();
        let result = bot.step().await;
        if let Some(used) = bot.exchange().used_weight() {
            bot.metrics().set_api_weight(used);
        }
        record_step(bot, &result).await;
        let pause = match result {
            Ok(report) => {
                steps += 1;
                bot.metrics().step_done(started.elapsed());
                if report.failed > 0 {
                    failures += 1;
                    backoff(interval, failures)
                } else {
                    failures = 0;
                    interval
                }
            }
            Err(err) => {
                failures += 1;
                bot.metrics().error();
                let wait = match &err {
                    BotError::Exchange(ExchangeError::RateLimited { retry_after_ms, .. }) => {
                        backoff(interval, failures).max(Duration::from_millis(*retry_after_ms))
                    }
                    _ => backoff(interval, failures),
                };
                tracing::warn!(error = %err, wait_ms = wait.as_millis() as u64, "step skipped");
                if let BotError::Store(_) = err {
                    // The journal is the ground truth; without it nothing may be sent.
                    if failures >= 5 {
                        return Err(err);
                    }
                } else {
                    let now = bot.exchange().server_time().await.unwrap_or_default();
                    let _ = bot
                        .event(now, None, EventLevel::Warn, "step_failed", err.to_string())
                        .await;
                }
                wait
            }
        };
        let wake = tokio::time::Instant::now() + pause;
        let mut queue = tokio::time::interval(QUEUE_POLL);
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => break,
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        return Ok(steps);
                    }
                }
                Some(command) = commands.recv() => handle(bot, command).await,
                _ = queue.tick() => serve_queue(bot).await,
            }
        }
    }
}

pub(super) async fn handle<E: Exchange, S: Store>(bot: &mut Bot<E, S>, command: BotCommand) {
    match command {
        BotCommand::CloseAll(reply) => {
            let _ = reply.send(bot.close_all().await.map_err(|e| e.to_string()));
        }
        BotCommand::Pause(id, reply) => {
            let _ = reply.send(bot.pause_basket(id).await.map_err(|e| e.to_string()));
        }
        BotCommand::Resume(id, reply) => {
            let _ = reply.send(bot.resume_basket(id).await.map_err(|e| e.to_string()));
        }
    }
}

/// `bot_config` key of the bot's last step ([`LastStep`] as JSON).
pub const LAST_STEP_KEY: &str = "last_step";

/// When the bot last stepped and how that went, for `status`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LastStep {
    /// Wall clock when the step ended, Unix ms.
    pub wall_ms: i64,
    /// `ok`, `ok, N action(s) failed` or `failed: <error>`.
    pub outcome: String,
}

pub(super) async fn record_step<E: Exchange, S: Store>(
    bot: &Bot<E, S>,
    result: &Result<crate::apps::bot::StepReport, BotError>,
) {
    let outcome = match result {
        Ok(r) if r.failed > 0 => format!("ok, {} action(s) failed", r.failed),
        Ok(_) => "ok".to_string(),
        Err(e) => format!("failed: {e}"),
    };
    let now = wall_ms();
    let step = LastStep {
        wall_ms: now,
        outcome,
    };
    if let Ok(text) = serde_json::to_string(&step) {
        if let Err(e) = bot
            .store()
            .set_config_value(LAST_STEP_KEY, &text, now)
            .await
        {
            tracing::debug!(error = %e, "recording the last step failed");
        }
    }
}

pub(super) async fn record_pair<E: Exchange, S: Store>(bot: &Bot<E, S>) {
    let rules = bot.rules();
    let value = format!("{}/{}", rules.base_asset, rules.quote_asset);
    let key = crate::apps::bot::pair_key(&rules.symbol);
    if let Err(e) = bot.store().set_config_value(&key, &value, wall_ms()).await {
        tracing::warn!(error = %e, "recording the pair's assets failed");
    }
    let precision = crate::apps::dashboard::format::Precision::of(&rules.filters);
    let key = crate::apps::bot::precision_key(&rules.symbol);
    let value = format!("{} {}", precision.price_dp, precision.qty_dp);
    if let Err(e) = bot.store().set_config_value(&key, &value, wall_ms()).await {
        tracing::warn!(error = %e, "recording the pair's precision failed");
    }
}

/// How often the loop looks for operator commands queued in the store while it waits for
/// the next step (`close-all` from another process): one indexed read, a few times a second.
pub const QUEUE_POLL: Duration = Duration::from_millis(200);

/// A queued command older than this is withdrawn instead of run: whoever asked stopped
/// waiting for it long ago (`close-all` waits [`crate::apps::trade::CLOSE_ALL_WAIT`]).
pub const QUEUE_TTL: Duration = Duration::from_secs(120);

/// Takes and runs the oldest command queued in the store, if any, and writes its receipt.
/// A store error is logged and retried at the next poll: the queue must never stop trading.
pub(super) async fn serve_queue<E: Exchange, S: Store>(bot: &mut Bot<E, S>) {
    let now = wall_ms();
    let fresh_since = now - QUEUE_TTL.as_millis() as i64;
    let taken = match bot.store().take_command(fresh_since, now).await {
        Ok(Some(command)) => command,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "reading the command queue failed");
            return;
        }
    };
    let receipt = match taken.kind {
        CommandKind::CloseAll => {
            tracing::warn!(command = taken.id, "emergency close requested (close-all)");
            CloseReceipt::of(&bot.close_all().await.map_err(|e| e.to_string()))
        }
    };
    let state = if receipt.ok {
        CommandState::Done
    } else {
        CommandState::Failed
    };
    if let Err(e) = bot
        .store()
        .finish_command(taken.id, state, &receipt.text, wall_ms())
        .await
    {
        tracing::error!(command = taken.id, error = %e, "writing the command's receipt failed");
    }
}

/// The wall clock in Unix ms (queued commands are dated by the processes' clocks, not the
/// exchange's, which a replay runs ahead).
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The pause after `failures` failed steps in a row (a portfolio's loop backs off alike).
pub fn backoff_after(interval: Duration, failures: u32) -> Duration {
    backoff(interval, failures)
}

pub(super) fn backoff(interval: Duration, failures: u32) -> Duration {
    let factor = 1u32 << failures.min(10);
    interval
        .max(Duration::from_millis(100))
        .saturating_mul(factor)
        .min(MAX_BACKOFF)
}

/// How often [`guard_lock`] checks the instance lock.
const LOCK_CHECK_EVERY: Duration = Duration::from_secs(5);

/// Holds the instance lock for the bot's life and checks it every few seconds; if it is lost
/// (a PostgreSQL session dropped), stops the bot: another instance may already be starting.
/// Abort the returned task (or let the runtime end) to release the lock.
pub fn guard_lock(
    mut lock: InstanceLock,
    stop: Arc<watch::Sender<bool>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(LOCK_CHECK_EVERY).await;
            if let Err(e) = lock.verify().await {
                tracing::error!(error = %e, "instance lock lost: stopping the bot");
                let _ = stop.send(true);
                return;
            }
        }
    })
}

/// A stop channel that turns true on SIGINT or SIGTERM, and its sender for other reasons to
/// stop (a lost instance lock).
pub fn stop_channel() -> (Arc<watch::Sender<bool>>, watch::Receiver<bool>) {
    let (tx, rx) = watch::channel(false);
    let tx = Arc::new(tx);
    let on_signal = Arc::clone(&tx);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("signal received: finishing the current step");
        let _ = on_signal.send(true);
    });
    (tx, rx)
}

/// A stop channel that turns true on SIGINT or SIGTERM.
pub fn stop_on_signals() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("signal received: finishing the current step");
        let _ = tx.send(true);
    });
    rx
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
