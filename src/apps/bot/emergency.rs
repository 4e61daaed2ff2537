//! The emergency close service, shared by `binance-trader close-all` and the dashboard.
//!
//! For every active, paused or closing basket of the symbol: cancel each of its open orders
//! (a closing basket's exit too), then sell its whole position with one LIMIT GTC order at
//! `last × (1 − margin)` rounded down to the tick (down, so the margin is never eroded by
//! rounding), and mark the basket `closing` until that exit sell has filled, then
//! `emergency_closed` (at once when it filled on placement or there is nothing to sell). Every step is journalled like the bot's own orders (intent first), so a
//! crash half-way is resolved on the next start. Running it twice is safe: the second run finds
//! no basket to close, or re-prices the exit of a basket still closing.
//!
//! The sell uses the basket's position from its fills, capped by the free base balance after
//! the cancels and rounded down to the lot step; a remainder below the minimum quantity or
//! notional cannot be sold and is reported as dust. While an earlier order's outcome is unknown,
//! only the pausing and the cancels of buys happen, and the bot's next step with every outcome
//! known finishes the close.

use crate::apps::bot::execute::OnChange;
use crate::apps::bot::{close_pending_key, Bot, BotError};
use crate::core::basket::BasketStatus;
use crate::core::client_id::ClientOrderId;
use crate::core::money::{Price, Qty};
use crate::core::order::{OrderSpec, OrderStatus, Side, Slot};
use crate::core::reconcile::{Action, Cancel, Create};
use crate::core::strategy::position::Position;
use crate::ports::exchange::{earliest_created_ms, Exchange, OrderRef, OrderReport};
use crate::ports::store::{EventLevel, Store};
use serde::Serialize;

/// What the emergency close did, for the CLI and the dashboard's flash message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CloseReport {
    /// Baskets closed or closing.
    pub baskets: Vec<u32>,
    /// Of those, the baskets whose exit sell is still working (`closing`).
    pub closing: Vec<u32>,
    /// Orders cancelled.
    pub cancelled: Vec<ClientOrderId>,
    /// Exit sells placed: client id, price, quantity.
    pub placed: Vec<(ClientOrderId, Price, Qty)>,
    /// Base left unsold because it is below the minimum order size.
    pub dust: Qty,
    /// Problems met (the basket stays open when any occurred; run again).
    pub errors: Vec<String>,
}

impl CloseReport {
    /// One line for a flash message or the terminal.
    pub fn summary(&self) -> String {
        if self.baskets.is_empty() && self.errors.is_empty() {
            return "nothing to close: no active basket".to_string();
        }
        let mut text = format!(
            "closed {} basket(s): cancelled {} order(s), placed {} exit sell(s)",
            self.baskets.len(),
            self.cancelled.len(),
            self.placed.len()
        );
        for (id, price, qty) in &self.placed {
            text.push_str(&format!("; {id}: sell {qty} at {price}"));
        }
        if self.dust.is_positive() {
            text.push_str(&format!("; {} left as dust", self.dust));
        }
        for id in &self.closing {
            text.push_str(&format!("; basket {id} closing until its exit sell fills"));
        }
        for e in &self.errors {
            text.push_str(&format!("; error: {e}"));
        }
        text
    }
}

/// What the operator is told about an emergency close, wherever it was asked for: the
/// dashboard's flash message and `close-all`'s output (direct or through a running bot) are
/// this one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReceipt {
    /// False when the close failed or did only part of the work (run it again).
    pub ok: bool,
    /// The report's summary, or why it failed.
    pub text: String,
}

impl CloseReceipt {
    /// The receipt of a close that ran (`Ok`) or failed before reporting (`Err`).
    pub fn of(result: &Result<CloseReport, String>) -> Self {
        match result {
            Ok(report) => Self {
                ok: report.errors.is_empty(),
                text: report.summary(),
            },
            Err(e) => Self {
                ok: false,
                text: format!("emergency close failed: {e}"),
            },
        }
    }
}

impl<E: Exchange, S: Store> Bot<E, S> {
    /// A marketable exit can expire at once (the Price Range Execution Rule expires a taker
    /// outside Binance's band): then the position is not sold and the basket must not be
    /// marked closed. Says so, with the exchange's `expiryReason`; `None` when the exit stands.
    async fn exit_expired(
        &self,
        basket_id: u32,
        client_id: &ClientOrderId,
        qty: Qty,
    ) -> Result<Option<String>, BotError> {
        let journalled = self
            .store
            .orders(basket_id)
            .await?
            .into_iter()
            .find(|o| &o.report.client_id == client_id);
        let Some(o) = journalled else {
            return Ok(None);
        };
        let r = &o.report;
        if r.status != crate::core::order::OrderStatus::Expired || r.executed_qty >= qty {
            return Ok(None);
        }
        let symbol = &self.settings.strategy.symbol;
        let reason = self
            .exchange
            .query(symbol, &crate::ports::exchange::OrderRef::Id(r.order_id))
            .await?
            .and_then(|q| q.expiry_reason)
            .map_or_else(|| "no reason given".to_string(), |e| e.as_str().to_string());
        Ok(Some(format!(
            "basket {basket_id}: the exit sell {client_id} expired ({reason}) having sold {} of \
             {qty}: the position is not sold, the basket stays paused; run close-all again",
            r.executed_qty
        )))
    }
}

impl<E: Exchange, S: Store> Bot<E, S> {
    /// Closes every active or paused basket of the symbol now (see the module docs).
    pub async fn close_all(&mut self) -> Result<CloseReport, BotError> {
        let symbol = self.settings.strategy.symbol.clone();
        let now = self.exchange.server_time().await?;
        let mut out = CloseReport::default();
        if self.resolve_intents(now).await? > 0 {
            self.defer_close(now, &mut out).await?;
            return Ok(out);
        }
        let (_, open) = self.sync(now).await?;
        let last = self.exchange.ticker_price(&symbol).await?;
        for id in self.closable_baskets().await? {
            if !self.pause_and_cancel(id, &open, now, &mut out).await? {
                continue;
            }
            let Some(record) = self.store.basket(id).await? else {
                continue;
            };
            // Fills that happened before the cancels took effect count too.
            self.sync_fills(now).await?;
            let fills = self.store.basket_fills(id).await?;
            let pos = Position::from_fills(
                &record.basket,
                &fills,
                &self.rules.base_asset,
                &self.rules.quote_asset,
            );
            let account = self.exchange.account().await?;
            let free = account
                .balances
                .iter()
                .find(|b| b.asset == self.rules.base_asset)
                .map(|b| b.free.as_qty())
                .unwrap_or(Qty::ZERO);
            let filters = &self.rules.filters;
            let price =
                filters.round_price_down(last.scale(self.settings.emergency_margin.down_factor()));
            let qty = filters.round_qty_down(pos.qty.max(Qty::ZERO).min(free));
            let min = filters.min_qty_at(price);
            if qty.is_positive() && qty >= min {
                let revisions = self.store.revisions(id).await?;
                let rev = revisions.get(&Slot::Exit).copied().unwrap_or(0) + 1;
                let client_id = ClientOrderId::ours(&self.settings.prefix, id, Slot::Exit, rev);
                let spec = OrderSpec::limit(Slot::Exit, price, qty);
                let create = Action::Create(Create {
                    client_id: client_id.clone(),
                    spec,
                });
                if self
                    .execute(id, vec![create], now, OnChange::Continue)
                    .await?
                    .failed
                    > 0
                {
                    out.errors
                        .push(format!("basket {id}: the exit sell failed"));
                    continue;
                }
                if let Some(problem) = self.exit_expired(id, &client_id, qty).await? {
                    out.errors.push(problem);
                    continue;
                }
                out.placed.push((client_id.clone(), price, qty));
                if !self.exit_filled(id, &client_id).await? {
                    self.store
                        .set_basket_status(
                            id,
                            BasketStatus::Closing,
                            None,
                            Some("emergency close: exit sell working"),
                        )
                        .await?;
                    out.baskets.push(id);
                    out.closing.push(id);
                    continue;
                }
            } else if pos.qty.is_positive() {
                out.dust += pos.qty;
            }
            self.store
                .set_basket_status(
                    id,
                    BasketStatus::EmergencyClosed,
                    Some(now),
                    Some("emergency close"),
                )
                .await?;
            out.baskets.push(id);
        }
        if out.errors.is_empty() {
            // Done: a deferred close is finished (with errors the step tries again).
            self.clear_close_pending(now).await?;
        }
        let text = out.summary();
        let level = if out.errors.is_empty() {
            EventLevel::Warn
        } else {
            EventLevel::Error
        };
        self.event(now, None, level, "emergency_close", text)
            .await?;
        Ok(out)
    }

    /// Whether the journalled exit sell `client_id` of basket `id` has filled.
    async fn exit_filled(&self, id: u32, client_id: &ClientOrderId) -> Result<bool, BotError> {
        Ok(self
            .store
            .orders(id)
            .await?
            .iter()
            .any(|o| &o.report.client_id == client_id && o.report.status == OrderStatus::Filled))
    }

    /// Marks `emergency_closed` every closing basket of the symbol whose latest exit sell has
    /// filled (the step calls it after syncing orders); returns how many.
    pub(super) async fn finish_closing(&mut self, now: i64) -> Result<usize, BotError> {
        let mut done = 0;
        for record in self.store.open_baskets().await? {
            if !self.owns_basket(&record) || record.basket.status != BasketStatus::Closing {
                continue;
            }
            let id = record.basket.id;
            let latest_exit = self
                .store
                .intents(id)
                .await?
                .into_iter()
                .filter(|i| i.spec.slot == Slot::Exit)
                .max_by_key(|i| i.rev);
            let Some(exit) = latest_exit else { continue };
            if self.exit_filled(id, &exit.client_id).await? {
                self.store
                    .set_basket_status(
                        id,
                        BasketStatus::EmergencyClosed,
                        Some(now),
                        Some("emergency close"),
                    )
                    .await?;
                let text = format!("basket {id} emergency closed: its exit sell filled");
                self.event(now, Some(id), EventLevel::Warn, "basket_ended", text)
                    .await?;
                done += 1;
            }
        }
        Ok(done)
    }

    /// True while an emergency close waits for an unknown outcome (see [`Self::close_all`]).
    pub(super) async fn close_pending(&self) -> Result<bool, BotError> {
        let key = close_pending_key(&self.settings.strategy.symbol, &self.settings.prefix);
        Ok(self
            .store
            .config_value(&key)
            .await?
            .is_some_and(|v| !v.is_empty()))
    }

    /// Ends a deferred close: finished, or called off by the operator.
    pub(super) async fn clear_close_pending(&self, now: i64) -> Result<(), BotError> {
        if self.close_pending().await? {
            let key = close_pending_key(&self.settings.strategy.symbol, &self.settings.prefix);
            self.store.set_config_value(&key, "", now).await?;
        }
        Ok(())
    }

    /// The close while an earlier order's outcome is unknown. Fills cannot be synced past that
    /// order (its trades would find no order and be skipped for good), so no exit sell yet;
    /// but the grid stops: baskets paused, their buys cancelled — the resting orders and the
    /// unknown one if it is on the book — and the sells left working until the close is
    /// finished, which the next step does as soon as the outcome is known.
    async fn defer_close(&mut self, now: i64, out: &mut CloseReport) -> Result<(), BotError> {
        let symbol = self.settings.strategy.symbol.clone();
        self.store
            .set_config_value(
                &close_pending_key(&symbol, &self.settings.prefix),
                &now.to_string(),
                now,
            )
            .await?;
        let open = self.exchange.open_orders(&symbol).await?;
        let buys: Vec<OrderReport> = open.into_iter().filter(|r| r.side == Side::Buy).collect();
        for id in self.closable_baskets().await? {
            self.pause_and_cancel(id, &buys, now, out).await?;
        }
        for intent in self.store.pending_intents().await? {
            let on_book = buys.iter().any(|r| r.client_id == intent.client_id);
            if self.owns_intent(&intent) && intent.spec.side == Side::Buy && !on_book {
                // Not seen on the book (yet): cancel it by id in case it is there after all;
                // "unknown order" is the expected answer.
                let by_client = OrderRef::Client(intent.client_id.clone());
                let cancelled = self.exchange.cancel(&symbol, &by_client).await;
                // An answer older than the intent is a namesake, not its order.
                let since = earliest_created_ms(intent.created_ms);
                if let Some(mut report) = cancelled.ok().filter(|r| r.time_ms >= since) {
                    report.spec.slot = intent.spec.slot;
                    self.store.upsert_order(intent.basket_id, &report).await?;
                    out.cancelled.push(intent.client_id.clone());
                }
            }
        }
        out.errors.push(
            "an earlier order's outcome is still unknown: the baskets are paused and their buys \
             cancelled; the bot finishes the close (cancels the sells, sells the position) as \
             soon as the outcome is known"
                .into(),
        );
        self.event(
            now,
            None,
            EventLevel::Error,
            "emergency_close",
            out.summary(),
        )
        .await?;
        Ok(())
    }

    /// Active, paused or closing baskets of this grid (symbol and prefix), newest first.
    async fn closable_baskets(&self) -> Result<Vec<u32>, BotError> {
        Ok(self
            .store
            .baskets(false)
            .await?
            .into_iter()
            .filter(|b| {
                self.owns_basket(b)
                    && matches!(
                        b.basket.status,
                        BasketStatus::Active | BasketStatus::Error | BasketStatus::Closing
                    )
            })
            .map(|b| b.basket.id)
            .collect())
    }

    /// Pauses basket `id` and cancels its orders among `open`; false when a cancel failed.
    /// Paused first: if anything after fails, the bot must not put the grid back on the next
    /// step; running the close again picks the basket up (it takes `error`).
    async fn pause_and_cancel(
        &mut self,
        id: u32,
        open: &[OrderReport],
        now: i64,
        out: &mut CloseReport,
    ) -> Result<bool, BotError> {
        self.store
            .set_basket_status(
                id,
                BasketStatus::Error,
                None,
                Some("emergency close in progress"),
            )
            .await?;
        let ours: Vec<&OrderReport> = open
            .iter()
            .filter(|r| {
                r.client_id
                    .parse_ours(&self.settings.prefix)
                    .is_some_and(|p| p.basket == id)
            })
            .collect();
        let cancels: Vec<Action> = ours
            .iter()
            .map(|r| {
                Action::Cancel(Cancel {
                    client_id: r.client_id.clone(),
                    exchange_id: Some(r.order_id),
                    slot: r.spec.slot,
                })
            })
            .collect();
        let done = self.execute(id, cancels, now, OnChange::Continue).await?;
        if done.failed > 0 {
            out.errors.push(format!("basket {id}: a cancel failed"));
            return Ok(false);
        }
        out.cancelled
            .extend(ours.iter().map(|r| r.client_id.clone()));
        Ok(true)
    }
}
