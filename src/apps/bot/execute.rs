//! Executing the reconciler's actions: every create is journalled as an intent first. An
//! amend needs none: it keeps the order's exchange id and client id, so the journal's row for
//! it is right again at the next sync whatever happened to the request (`.spec/bot.md`).

use crate::apps::bot::{Bot, BotError};
use crate::core::reconcile::{Action, Amend, Cancel, Create};
use crate::ports::exchange::{Exchange, ExchangeError, NewOrder, OrderRef};
use crate::ports::store::{EventLevel, IntentState, OrderIntent, Store};

/// Counts of one basket's execution.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Executed {
    /// Actions that took effect.
    pub done: usize,
    /// Actions that failed; execution stopped at the first (after the leading cancels,
    /// which are sent together).
    pub failed: usize,
    /// A cancelled order turned out to have (part) filled since the plan was made: execution
    /// stopped there, so that the next step plans with that fill.
    pub changed: bool,
}

impl Executed {
    /// Counts one action's outcome; true when execution must stop there.
    fn count(&mut self, outcome: Outcome, on_change: OnChange) -> bool {
        match outcome {
            Outcome::Done => {
                self.done += 1;
                false
            }
            Outcome::Changed => {
                self.done += 1;
                self.changed = true;
                on_change == OnChange::Stop
            }
            Outcome::Failed => {
                self.failed += 1;
                true
            }
        }
    }
}

/// How one action went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Took effect as planned.
    Done,
    /// Took effect, but the order had filled (partly) since the plan: the plan is stale.
    Changed,
    /// Did not take effect.
    Failed,
}

/// Whether to carry on with the next actions after a [`Outcome::Changed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OnChange {
    /// Stop (the plan is stale: a replacement could buy or sell twice).
    Stop,
    /// Carry on (the emergency close cancels everything whatever filled).
    Continue,
}

impl<E: Exchange, S: Store> Bot<E, S> {
    /// Runs the actions in order and stops at the first failure: later actions (creates come
    /// after cancels) may rely on earlier ones, and the next step decides afresh anyway. With
    /// [`OnChange::Stop`] it also stops when a cancel finds its order (part) filled since the
    /// plan was made: the successor of a filled order must not be placed on a stale plan.
    pub(super) async fn execute(
        &mut self,
        basket_id: u32,
        actions: Vec<Action>,
        now: i64,
        on_change: OnChange,
    ) -> Result<Executed, BotError> {
        let mut out = Executed::default();
        let mut actions = actions.into_iter().peekable();
        // The leading cancels go out together: none relies on another, and the creates after
        // them wait for one round trip instead of one per cancel (a fill's replacement
        // sells wait for the old sells' cancels). Their answers are journalled in order.
        let mut cancels = Vec::new();
        while let Some(Action::Cancel(c)) = actions.next_if(|a| matches!(a, Action::Cancel(_))) {
            cancels.push(c);
        }
        let symbol = self.settings.strategy.symbol.clone();
        let refs: Vec<OrderRef> = cancels.iter().map(Cancel::order_ref).collect();
        let answers =
            futures_util::future::join_all(refs.iter().map(|r| self.exchange.cancel(&symbol, r)))
                .await;
        if !cancels.is_empty() {
            crash_point!("bot::cancel_sent");
        }
        let mut stop = false;
        for (c, answer) in cancels.iter().zip(answers) {
            let outcome = self.cancel_answered(basket_id, c, answer, now).await?;
            stop |= out.count(outcome, on_change);
        }
        if stop {
            return Ok(out);
        }
        for action in actions {
            let outcome = match action {
                Action::Cancel(c) => self.cancel(basket_id, &c, now).await?,
                Action::Create(c) => self.create(basket_id, c, now).await?,
                Action::Amend(a) => self.amend(basket_id, &a, now).await?,
                Action::Replace(r) => {
                    // Two-step: the successor only when the old order was cancelled as it was
                    // planned (not when it failed, nor when it had filled meanwhile).
                    match self.cancel(basket_id, &r.cancel_half(), now).await? {
                        Outcome::Done => self.create(basket_id, r.create_half(), now).await?,
                        other => other,
                    }
                }
            };
            if out.count(outcome, on_change) {
                break;
            }
        }
        Ok(out)
    }

    async fn cancel(&mut self, basket_id: u32, c: &Cancel, now: i64) -> Result<Outcome, BotError> {
        let symbol = self.settings.strategy.symbol.clone();
        let answer = self.exchange.cancel(&symbol, &c.order_ref()).await;
        crash_point!("bot::cancel_sent");
        self.cancel_answered(basket_id, c, answer, now).await
    }

    /// Journals a cancel's answer.
    async fn cancel_answered(
        &mut self,
        basket_id: u32,
        c: &Cancel,
        answer: Result<crate::ports::exchange::OrderReport, ExchangeError>,
        now: i64,
    ) -> Result<Outcome, BotError> {
        let symbol = self.settings.strategy.symbol.clone();
        match answer {
            Ok(mut report) => {
                report.spec.slot = c.slot;
                let before = self
                    .store
                    .order_by_exchange_id(&symbol, report.order_id)
                    .await?
                    .map(|o| o.report.executed_qty);
                self.store.upsert_order(basket_id, &report).await?;
                self.metrics.order_cancelled();
                let filled_since = report.executed_qty > before.unwrap_or_default();
                let text = format!(
                    "cancelled {} ({}, executed {})",
                    c.client_id,
                    report.status.as_str(),
                    report.executed_qty
                );
                self.event(
                    now,
                    Some(basket_id),
                    EventLevel::Info,
                    "order_cancelled",
                    text,
                )
                .await?;
                Ok(if filled_since {
                    Outcome::Changed
                } else {
                    Outcome::Done
                })
            }
            Err(e) => {
                self.action_failed(basket_id, &format!("cancel {}", c.client_id), &e, now)
                    .await?;
                Ok(Outcome::Failed)
            }
        }
    }

    /// Reduces an order in place. Refused (`amendAllowed` off, `MAX_NUM_ORDER_AMENDS`
    /// reached, …): the order is remembered so the next step replaces it instead. Unknown:
    /// the order is looked up and journalled as the exchange has it (the next step's sync
    /// would also find it, by its unchanged exchange id).
    async fn amend(&mut self, basket_id: u32, a: &Amend, now: i64) -> Result<Outcome, BotError> {
        let symbol = self.settings.strategy.symbol.clone();
        let result = self
            .exchange
            .amend(&symbol, &a.order_ref(), a.new_qty, &a.client_id)
            .await;
        match result {
            Ok(mut report) => {
                report.spec.slot = a.slot;
                self.store.upsert_order(basket_id, &report).await?;
                let text = format!(
                    "amended {} to {} in place (order {}, executed {})",
                    a.client_id, report.spec.qty, report.order_id, report.executed_qty
                );
                self.event(
                    now,
                    Some(basket_id),
                    EventLevel::Info,
                    "order_amended",
                    text,
                )
                .await?;
                // A fill since the plan: the amend still only reduced, but decide again.
                let changed = report.executed_qty > a.executed_qty || !report.status.is_open();
                Ok(if changed {
                    Outcome::Changed
                } else {
                    Outcome::Done
                })
            }
            Err(e) => {
                match &e {
                    ExchangeError::Rejected(_) => {
                        self.amend_refused.insert(a.client_id.clone());
                    }
                    ExchangeError::Unknown(_) => {
                        let by = a
                            .exchange_id
                            .map_or_else(|| OrderRef::Client(a.client_id.clone()), OrderRef::Id);
                        if let Ok(Some(mut report)) = self.exchange.query(&symbol, &by).await {
                            report.spec.slot = a.slot;
                            self.store.upsert_order(basket_id, &report).await?;
                        }
                    }
                    _ => {}
                }
                self.action_failed(basket_id, &format!("amend {}", a.client_id), &e, now)
                    .await?;
                Ok(Outcome::Failed)
            }
        }
    }

    async fn create(&mut self, basket_id: u32, c: Create, now: i64) -> Result<Outcome, BotError> {
        let symbol = self.settings.strategy.symbol.clone();
        let rev = c
            .client_id
            .parse_ours(&self.settings.prefix)
            .map_or(0, |p| p.rev);
        // The intent's time is the server's right before sending, not the step's start: a
        // slow step (rate-limit waits, retries, cancel look-ups) must not make the request
        // look older than it is and eat the grace for its lookup. Read from the exchange, not
        // estimated from the local clock, which runs ahead of a replay clock that stands still
        // (an intent that never comes of age stalled the crash test once). Within
        // `FRESH_STEP` of the step's own time reading that time is still right to a fraction
        // of the grace, and never ahead of the server's clock: no read, one round trip less
        // on the way from a fill to its replacement.
        let sent_ms = match self.fresh_step_time(now) {
            Some(t) => Ok(t),
            None => self.exchange.server_time().await.map(|t| t.max(now)),
        };
        let sent_ms = match sent_ms {
            Ok(t) => t,
            Err(e) => {
                // Nothing written, nothing sent.
                let what = format!("place {} (reading server time)", c.client_id);
                self.action_failed(basket_id, &what, &e, now).await?;
                return Ok(Outcome::Failed);
            }
        };
        let intent = OrderIntent {
            client_id: c.client_id.clone(),
            basket_id,
            symbol: symbol.clone(),
            rev,
            spec: c.spec.clone(),
            created_ms: sent_ms,
            state: IntentState::Pending,
            note: None,
        };
        self.store.insert_intent(&intent).await?;
        crash_point!("bot::intent_written");
        let order = NewOrder {
            symbol,
            client_id: c.client_id.clone(),
            spec: c.spec,
        };
        let answer = self.exchange.place(&order).await;
        crash_point!("bot::order_sent");
        match answer {
            Ok(mut report) => {
                report.spec.slot = order.spec.slot;
                self.store.upsert_order(basket_id, &report).await?;
                self.metrics.order_placed();
                let text = format!(
                    "placed {} {} {} {} at {} ({})",
                    order.spec.slot,
                    order.spec.side.as_str(),
                    order.spec.order_type.as_str(),
                    order.spec.qty,
                    order.spec.price.map(|p| p.to_string()).unwrap_or_default(),
                    order.client_id
                );
                self.event(now, Some(basket_id), EventLevel::Info, "order_placed", text)
                    .await?;
                Ok(Outcome::Done)
            }
            Err(e) => {
                let state = match &e {
                    // The exchange answered and refused, or the request never left: nothing
                    // happened. An unknown outcome stays pending until resolved.
                    ExchangeError::Rejected(_) | ExchangeError::ClockSkew(_) => {
                        Some(IntentState::Rejected)
                    }
                    ExchangeError::RateLimited { .. } | ExchangeError::Transport(_) => {
                        Some(IntentState::Absent)
                    }
                    ExchangeError::Unknown(_) => None,
                };
                if let Some(state) = state {
                    self.store
                        .resolve_intent(&order.client_id, state, Some(&e.to_string()))
                        .await?;
                }
                self.action_failed(basket_id, &format!("place {}", order.client_id), &e, now)
                    .await?;
                if let ExchangeError::Rejected(api) = &e {
                    if api.is_insufficient_balance() {
                        self.on_insufficient_balance(basket_id, &order.spec, now)
                            .await?;
                    }
                }
                Ok(Outcome::Failed)
            }
        }
    }

    async fn action_failed(
        &self,
        basket_id: u32,
        what: &str,
        err: &ExchangeError,
        now: i64,
    ) -> Result<(), BotError> {
        self.metrics.error();
        let level = match err {
            ExchangeError::Rejected(_) => EventLevel::Warn,
            _ => EventLevel::Error,
        };
        self.event(
            now,
            Some(basket_id),
            level,
            "action_failed",
            format!("{what}: {err}"),
        )
        .await
    }
}

/// How long a step's server time stays good enough for an intent's time (`create`): far
/// below any lookup grace, so an intent never looks much older than it is.
const FRESH_STEP: std::time::Duration = std::time::Duration::from_millis(250);

impl<E: Exchange, S: Store> Bot<E, S> {
    /// The step's server time while it is fresh (`FRESH_STEP`) and `now` is that step's.
    fn fresh_step_time(&self, now: i64) -> Option<i64> {
        let (at, read) = self.step_clock?;
        (at == now && read.elapsed() < FRESH_STEP).then_some(now)
    }
}
