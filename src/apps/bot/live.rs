//! The bot driven by the exchange's events ([`run_with_events`]), with polling as the safety
//! net and the fallback (`.spec/bot.md`, "Event-driven").
//!
//! - A **fill** of ours (an `executionReport` with a trade) is journalled at once (the same
//!   fill record, unique by trade id, that the REST sync would write) with its order's new
//!   state. With both streams up the bot then reacts on the journal at once (plan →
//!   reconcile → execute with the event's time as the server's and the ticker read as a full
//!   step reads it: no other REST read on the way to the replacement order), and a full step
//!   (REST sync) follows right after to confirm it. Otherwise a full step runs immediately.
//! - Another **order update** of ours (placed, cancelled, expired) triggers a step too.
//! - A **price** is kept for the next price step, which plans with it instead of reading the
//!   ticker (a full step reads the ticker with the orders and trades it syncs: a pushed price
//!   may predate them); a step runs at most every `price_replan` for prices alone (trailing exits, the hard stop
//!   and zone extension are what depend on the price). With both streams up that step plans
//!   on the journal's open orders (`Bot::step_on_journal`): no REST reads but the server
//!   time, so request weight does not grow with how often the price moves.
//! - A step that **acted** (orders sent, a basket closed or opened) is followed at once by
//!   another (at most `FOLLOW_UPS` in a row), so the next basket's grid or a replace's create
//!   does not wait for the next event.
//! - **Streams up** (user data and market data): the periodic full step (REST: open orders, trades from the stored cursor)
//!   runs only every `full_every`, as the safety net; every fill it finds that the stream had
//!   not delivered is drift: logged, counted in `/metrics`, shown on the dashboard.
//! - **Stream down** (either: without prices the plan must still see the market): the bot
//!   polls every `interval` as before, and says so. **Gap** (up again
//!   after a loss): a full step heals over REST before anything else is traded.
//!
//! Events are hints, REST and the journal the truth: a lost event costs latency, never money.

use super::runner::{
    backoff, handle, record_pair, record_step, serve_queue, BotCommand, QUEUE_POLL,
};
use super::{Bot, BotError};
use crate::ports::events::{EventSource, ExchangeEvent, OrderUpdate, StreamKind, StreamState};
use crate::ports::exchange::{Exchange, ExchangeTrade};
use crate::ports::store::{EventLevel, OrderRecord, Store};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// How the event-driven loop paces its steps.
#[derive(Debug, Clone, Copy)]
pub struct LivePacing {
    /// The full step's period while the user-data stream is up (the safety net).
    pub full_every: Duration,
    /// Shortest pause between steps triggered by prices alone.
    pub price_replan: Duration,
}

impl Default for LivePacing {
    fn default() -> Self {
        Self {
            full_every: Duration::from_secs(60),
            price_replan: Duration::from_secs(1),
        }
    }
}

/// Why the next step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    /// The timer: a poll (stream down) or the safety net (stream up).
    Periodic,
    /// An event of ours asked for it.
    Event,
    /// A price alone asked for it: planned on the journal while both streams are up.
    Price,
    /// A pushed fill, already journalled with its order's state: planned on the journal
    /// while both streams are up, then confirmed by a full step.
    Fill,
}

/// Most steps run back to back while each still acts (a basket closing and the next one
/// opening, a replace's cancel then its create): after that, the normal pause.
pub(crate) const FOLLOW_UPS: u32 = 4;

/// Steps on events until `stop` turns true; returns the number of steps run.
pub async fn run_with_events<E: Exchange, S: Store, V: EventSource>(
    bot: &mut Bot<E, S>,
    mut events: V,
    pacing: LivePacing,
    mut stop: watch::Receiver<bool>,
    mut commands: mpsc::Receiver<BotCommand>,
) -> Result<u64, BotError> {
    let interval = bot.settings().interval;
    let mut up = false;
    let mut market_up = false;
    let mut events_open = true;
    let mut failures: u32 = 0;
    let mut steps = 0;
    let mut next = Instant::now();
    let mut due = Due::Periodic;
    let mut last_price_step = Instant::now() - pacing.price_replan;
    let mut follow_ups: u32 = 0;
    bot.metrics()
        .set_streams(false, "starting: polling until the stream is up".into());
    record_pair(bot).await;
    let mut queue = tokio::time::interval(QUEUE_POLL);
    loop {
        if *stop.borrow() {
            return Ok(steps);
        }
        tokio::select! {
            // Every event already delivered is applied before a step runs: a fill waiting
            // behind a price step's timer turns it into the fill's reaction.
            biased;
            event = events.next_event(), if events_open => {
                let Some(event) = event else {
                    events_open = false;
                    up = false;
                    bot.metrics().set_streams(false, "polling: the event source ended".into());
                    continue;
                };
                bot.metrics().stream_event();
                if let ExchangeEvent::Stream { kind: StreamKind::Market, state } = &event {
                    market_up = !matches!(state, StreamState::Down { .. });
                    bot.candle_stream(state);
                }
                let wants_step = match on_event(bot, event, &mut up).await {
                    Ok(w) => w,
                    Err(e) => {
                        tracing::warn!(error = %e, "stream event not applied; the next step heals");
                        Wants::StepNow
                    }
                };
                let now = Instant::now();
                match wants_step {
                    Wants::StepNow => {
                        next = now;
                        due = Due::Event;
                    }
                    Wants::FillStep => {
                        // A full step already due (a gap, an unknown order, a follow-up)
                        // stays full: it syncs this fill too.
                        let full_due = next <= now && matches!(due, Due::Event | Due::Periodic);
                        if !full_due {
                            due = Due::Fill;
                        }
                        next = now;
                    }
                    Wants::PriceStep if now >= last_price_step + pacing.price_replan => {
                        last_price_step = now;
                        if next > now {
                            next = now;
                            due = Due::Price;
                        }
                    }
                    Wants::Poll => next = next.min(now + interval),
                    Wants::PriceStep | Wants::Nothing => {}
                }
            }
            _ = due_at(next) => {
                let started = std::time::Instant::now();
                // A price alone needs no REST heal while every account change is pushed; a
                // pushed fill is reacted to on the journal first and confirmed right after.
                let on_journal = matches!(due, Due::Price | Due::Fill) && up && market_up;
                let reacted_to_fill = due == Due::Fill && on_journal;
                // Only a step for a price alone plans with the pushed price. A full step reads
                // its price from the exchange with the orders and trades it syncs, and a
                // fill's reaction reads it as a full step would: a pushed price may predate
                // the fills (a candle's close pushed after the last step, then the next
                // candle's fills), and a fill's own price is one order's limit.
                if !(on_journal && due == Due::Price) {
                    bot.stream_price = None;
                }
                let result = if on_journal {
                    bot.step_on_journal().await
                } else {
                    bot.step().await
                };
                if let Some(used) = bot.exchange().used_weight() {
                    bot.metrics().set_api_weight(used);
                }
                record_step(bot, &result).await;
                // Without a price feed the step must still read prices on time: poll.
                let mut pause = if up && market_up { pacing.full_every } else { interval };
                match result {
                    Ok(report) => {
                        steps += 1;
                        bot.metrics().step_done(started.elapsed());
                        if up && due == Due::Periodic && report.fills > 0 {
                            let text = format!(
                                "the full reconcile found {} fill(s) the stream had not delivered",
                                report.fills
                            );
                            bot.metrics().drift_found(report.fills as u64);
                            let _ = bot
                                .event(report.server_ms, None, EventLevel::Warn, "stream_drift", text)
                                .await;
                        }
                        if report.failed > 0 || report.pending > 0 {
                            failures += 1;
                            pause = backoff(interval, failures).min(pause);
                        } else {
                            failures = 0;
                        }
                        // A step that acted may have left work for the next one (the next
                        // basket's grid, a replace's create): run it now, not at the next
                        // event or period.
                        let acted = report.actions > 0 || report.lifecycle > 0;
                        if reacted_to_fill {
                            // The REST truth for what the fill changed, now.
                            pause = Duration::ZERO;
                        } else if acted && failures == 0 && follow_ups < FOLLOW_UPS {
                            follow_ups += 1;
                            pause = Duration::ZERO;
                        } else {
                            follow_ups = 0;
                        }
                    }
                    Err(err) => {
                        failures += 1;
                        bot.metrics().error();
                        tracing::warn!(error = %err, "step skipped");
                        if let BotError::Store(_) = err {
                            if failures >= 5 {
                                return Err(err);
                            }
                        } else {
                            let now = bot.exchange().server_time().await.unwrap_or_default();
                            let _ = bot
                                .event(now, None, EventLevel::Warn, "step_failed", err.to_string())
                                .await;
                        }
                        pause = backoff(interval, failures);
                        if let BotError::Exchange(
                            crate::ports::exchange::ExchangeError::RateLimited { retry_after_ms, .. },
                        ) = &err
                        {
                            pause = pause.max(Duration::from_millis(*retry_after_ms));
                        }
                    }
                }
                next = Instant::now() + pause;
                due = if pause.is_zero() { Due::Event } else { Due::Periodic };
            }
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return Ok(steps);
                }
            }
            Some(command) = commands.recv() => handle(bot, command).await,
            // `close-all` from another process, queued in the store.
            _ = queue.tick() => serve_queue(bot).await,
        }
    }
}

/// What an event asks of the loop.
enum Wants {
    StepNow,
    /// A fill of a journalled order of ours, journalled with the order's new state.
    FillStep,
    PriceStep,
    Poll,
    Nothing,
}

async fn on_event<E: Exchange, S: Store>(
    bot: &mut Bot<E, S>,
    event: ExchangeEvent,
    up: &mut bool,
) -> Result<Wants, BotError> {
    let symbol = bot.settings().strategy.symbol.clone();
    Ok(match event {
        ExchangeEvent::Stream {
            kind: StreamKind::User,
            state,
        } => match state {
            StreamState::Up => {
                *up = true;
                bot.metrics()
                    .set_streams(true, "streams up: event-driven".into());
                // Heal from the start: whatever happened before the subscription.
                Wants::StepNow
            }
            StreamState::Gap { reason } => {
                *up = true;
                bot.metrics().set_streams(
                    true,
                    format!("streams up again ({reason}): healed over REST"),
                );
                Wants::StepNow
            }
            StreamState::Down { reason } => {
                *up = false;
                bot.metrics()
                    .set_streams(false, format!("streams down ({reason}): polling"));
                Wants::Poll
            }
        },
        ExchangeEvent::Order(u) if u.report.symbol == symbol => match &u.trade {
            Some(_) if bot.journal_pushed_order(&u).await? => {
                // The event carries the server's time: the reaction reads no clock.
                bot.set_time_hint(u.event_ms);
                Wants::FillStep
            }
            _ => Wants::StepNow,
        },
        ExchangeEvent::Price(p) if p.symbol() == &symbol => {
            bot.push_streamed_candle(&p).await;
            bot.stream_price = Some(p.price());
            Wants::PriceStep
        }
        _ => Wants::Nothing,
    })
}

impl<E: Exchange, S: Store> Bot<E, S> {
    /// Journals a fill the stream pushed, when its order is in the journal (else the next
    /// step's REST sync adopts the order first). The trade cursor is not moved: the sync
    /// still reads from it and finds the fill already there (unique trade id), so a crash
    /// between the two loses nothing. True when the fill was new.
    pub(crate) async fn journal_pushed_fill(
        &mut self,
        t: &ExchangeTrade,
    ) -> Result<bool, BotError> {
        let Some(order) = self.own_journalled_order(t.order_id).await? else {
            return Ok(false);
        };
        self.journal_trade(&order, t, ", pushed").await
    }

    /// The journal's record of this grid's order `order_id` on its symbol: `None` when the
    /// journal lacks it (the next REST sync adopts it) or it is another grid's on this symbol
    /// (that grid journals what it pushes).
    async fn own_journalled_order(&self, order_id: u64) -> Result<Option<OrderRecord>, BotError> {
        let symbol = &self.settings.strategy.symbol;
        let order = self.store.order_by_exchange_id(symbol, order_id).await?;
        Ok(order.filter(|o| self.owns_order(o)))
    }

    /// Journals a pushed update of a journalled order of ours: its trade (as
    /// [`Self::journal_pushed_fill`]) and the order's new status, executed quantity and
    /// amount, when they are newer than the journal's (events may come reordered or twice:
    /// an update that would take the order back is ignored). The order's spec stays as
    /// journalled. False when the order is not in the journal or not this grid's.
    pub(crate) async fn journal_pushed_order(
        &mut self,
        update: &OrderUpdate,
    ) -> Result<bool, BotError> {
        let pushed = &update.report;
        let Some(order) = self.own_journalled_order(pushed.order_id).await? else {
            return Ok(false);
        };
        if let Some(t) = &update.trade {
            self.journal_trade(&order, t, ", pushed").await?;
        }
        let stored = &order.report;
        let newer = pushed.executed_qty > stored.executed_qty
            || (!pushed.status.is_open() && stored.status.is_open());
        if newer {
            let mut report = stored.clone();
            report.status = pushed.status;
            report.executed_qty = pushed.executed_qty.max(stored.executed_qty);
            report.cumulative_quote = pushed.cumulative_quote.max(stored.cumulative_quote);
            report.update_ms = pushed.update_ms.max(stored.update_ms);
            self.store.upsert_order(order.basket_id, &report).await?;
        }
        Ok(true)
    }
}

/// Sleeps until `at`; a step already due runs now, not at the timer's next millisecond tick.
async fn due_at(at: Instant) {
    if at > Instant::now() {
        tokio::time::sleep_until(at).await;
    }
}
