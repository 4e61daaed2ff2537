//! Notifications (`.spec/notifications.md`): the journal's events, worded by [`compose`],
//! queued in the store's outbox by the source task, and delivered by one task per channel
//! (Telegram, Discord, JSON webhook, e-mail), each rate-limited, batching what waits and
//! retrying with backoff.
//!
//! None of it runs inside the trading loop: the bot only appends events, as it always did;
//! the notifier reads them on its own tasks. A slow or dead receiver therefore never slows a
//! step, and a notification outlives a restart (it is in the store before anything is sent).
//!
//! Entry points: [`Notifier::start`] (after the instance lock is taken), [`Notifier::stop`]
//! (gives queued notifications a bounded time to go out), [`lifecycle_event`].

pub mod compose;
pub mod config;
mod deliver;
pub mod source;
pub mod test;

use crate::apps::dashboard::ledger::Pairs;
use crate::ports::outbox::{Channel, ChannelKind, Outbox, OutboxState};
use crate::ports::store::{Event, EventLevel, Store};
use compose::Origin;
use config::{Channels, Pacing};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Wall-clock Unix ms (delivery pacing and backoff run on the machine's clock; what a
/// notification reports carries the exchange's time).
pub(crate) fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The `bot_started` / `bot_stopped` event (`started` true / false) at `time_ms`.
pub fn lifecycle_event(time_ms: i64, started: bool, detail: &str) -> Event {
    Event {
        time_ms,
        basket_id: None,
        level: if started {
            EventLevel::Info
        } else {
            EventLevel::Warn
        },
        kind: if started {
            compose::BOT_STARTED
        } else {
            compose::BOT_STOPPED
        }
        .to_string(),
        message: detail.to_string(),
    }
}

/// The running notifier: the source task and one deliverer per channel.
pub struct Notifier {
    stop: watch::Sender<Option<tokio::time::Instant>>,
    source: JoinHandle<()>,
    deliverers: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("deliverers", &self.deliverers.len())
            .finish_non_exhaustive()
    }
}

/// How often the source looks for new events.
const SOURCE_POLL: Duration = Duration::from_millis(250);

impl Notifier {
    /// Starts the notifier for `channels` (`None` when none is on). Call it while holding
    /// the instance lock: deliveries interrupted by the previous process are settled first,
    /// those to a de-duplicating channel sent again, the others marked `unknown`.
    pub async fn start<S>(
        store: S,
        channels: Channels,
        origin: Origin,
        pairs: Pairs,
        timeout: Duration,
    ) -> anyhow::Result<Option<Self>>
    where
        S: Store + Outbox + Clone + 'static,
    {
        Self::start_with(store, channels, Some((origin, pairs)), timeout).await
    }

    /// [`Notifier::start`]; without a source (`None`) only what is queued already is
    /// delivered (`notify-test`).
    pub async fn start_with<S>(
        store: S,
        channels: Channels,
        source: Option<(Origin, Pairs)>,
        timeout: Duration,
    ) -> anyhow::Result<Option<Self>>
    where
        S: Store + Outbox + Clone + 'static,
    {
        if !channels.any() {
            return Ok(None);
        }
        recover(&store).await?;
        let pacing: Vec<(ChannelKind, Pacing)> = channels
            .pacing()
            .into_iter()
            .map(|(k, p)| (k, p.clone()))
            .collect();
        let mut source = match source {
            Some((origin, pairs)) => {
                let source = source::Source {
                    store: store.clone(),
                    origin,
                    pairs,
                    channels: pacing,
                    market_ms: 0,
                    basket_symbols: Default::default(),
                };
                source.init(wall_ms()).await?;
                Some(source)
            }
            None => None,
        };
        let (stop, stop_rx) = watch::channel(None);
        let source_done = Arc::new(AtomicBool::new(false));
        let lease = timeout + Duration::from_secs(30);
        let mut deliverers = Vec::new();
        let Channels {
            telegram,
            discord,
            webhook,
            email,
        } = channels;
        if let Some((c, p)) = telegram {
            deliverers.push(spawn_deliverer(c, p, lease, &store, &stop_rx, &source_done));
        }
        if let Some((c, p)) = discord {
            deliverers.push(spawn_deliverer(c, p, lease, &store, &stop_rx, &source_done));
        }
        if let Some((c, p)) = webhook {
            deliverers.push(spawn_deliverer(c, p, lease, &store, &stop_rx, &source_done));
        }
        if let Some((c, p)) = email {
            deliverers.push(spawn_deliverer(c, p, lease, &store, &stop_rx, &source_done));
        }
        let mut rx = stop_rx;
        let source = tokio::spawn(async move {
            loop {
                if let Some(source) = source.as_mut() {
                    if let Err(e) = source.pass(wall_ms()).await {
                        tracing::warn!(error = %e, "notify: reading the journal failed");
                    }
                }
                if rx.borrow().is_some() {
                    // One last pass above picked up the final events (the stop).
                    source_done.store(true, Ordering::SeqCst);
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep(SOURCE_POLL) => {}
                    changed = rx.changed() => {
                        if changed.is_err() {
                            source_done.store(true, Ordering::SeqCst);
                            return;
                        }
                    }
                }
            }
        });
        Ok(Some(Self {
            stop,
            source,
            deliverers,
        }))
    }

    /// Stops: queues the last events, then gives what is due up to `grace` to go out.
    /// Whatever is left stays queued for the next start.
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(Some(tokio::time::Instant::now() + grace));
        let _ = self.source.await;
        for d in self.deliverers {
            if tokio::time::timeout(grace + Duration::from_secs(1), d)
                .await
                .is_err()
            {
                tracing::warn!("notify: a delivery was still running at shutdown");
            }
        }
    }
}

fn spawn_deliverer<C, S>(
    channel: C,
    pacing: Pacing,
    lease: Duration,
    store: &S,
    stop: &watch::Receiver<Option<tokio::time::Instant>>,
    source_done: &Arc<AtomicBool>,
) -> JoinHandle<()>
where
    C: Channel + 'static,
    S: Outbox + Clone + 'static,
{
    tokio::spawn(deliver::run(
        channel,
        pacing,
        lease,
        store.clone(),
        stop.clone(),
        source_done.clone(),
    ))
}

/// Settles deliveries a previous process left `sending` (it died during them).
async fn recover<S: Outbox>(store: &S) -> anyhow::Result<()> {
    let interrupted = store.expired_claims(i64::MAX).await?;
    for kind in ChannelKind::ALL {
        let ids: Vec<i64> = interrupted
            .iter()
            .filter(|n| n.item.channel == kind)
            .map(|n| n.id)
            .collect();
        if ids.is_empty() {
            continue;
        }
        if kind.idempotent() {
            store
                .release(
                    &ids,
                    wall_ms(),
                    false,
                    Some("interrupted by a restart; sent again with the same idempotency key"),
                )
                .await?;
        } else {
            tracing::warn!(
                channel = kind.as_str(),
                count = ids.len(),
                "notify: deliveries interrupted by a restart may have arrived; not sent again"
            );
            store
                .give_up(
                    &ids,
                    OutboxState::Unknown,
                    "the bot stopped during this delivery: it may have arrived, so it is not sent again",
                )
                .await?;
        }
    }
    Ok(())
}
