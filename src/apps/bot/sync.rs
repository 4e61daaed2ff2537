//! Bringing the store up to date with the exchange: pending intents, fills and order states.

use crate::apps::bot::{trade_cursor_key, Bot, BotError};
use crate::ports::exchange::{earliest_created_ms, Exchange, OrderRef, OrderReport};
use crate::ports::store::{EventLevel, FillRecord, IntentState, OrderIntent, Store};

/// Most trades Binance returns per `myTrades` page.
const TRADES_PAGE: usize = 1000;

impl<E: Exchange, S: Store> Bot<E, S> {
    /// Brings fills and orders up to date; returns the new fills' count and the symbol's open
    /// orders. The open orders are read first and unjournalled orders of ours adopted before
    /// the trades are synced, so every trade of them finds its order; and every execution the
    /// open orders show is then among the fills the plan sees.
    pub(super) async fn sync(&mut self, now: i64) -> Result<(usize, Vec<OrderReport>), BotError> {
        let symbol = self.settings.strategy.symbol.clone();
        let open = self.exchange.open_orders(&symbol).await?;
        self.adopt_unknown(&open).await?;
        let fills = self.sync_fills(now).await?;
        self.sync_orders(&open).await?;
        Ok((fills, open))
    }

    /// Resolves every pending intent it can; returns how many are still pending.
    ///
    /// Found on the exchange → recorded (intent `placed`). Not found → `absent` only once
    /// `intent_grace_ms` has passed since it was written: before that the request may still be
    /// in flight or the lookup lagging, and the slot stays occupied (no step runs).
    pub(super) async fn resolve_intents(&mut self, now: i64) -> Result<usize, BotError> {
        let mut pending = 0;
        for intent in self.store.pending_intents().await? {
            match self.intent_order(&intent).await? {
                Some(mut report) => {
                    report.spec.slot = intent.spec.slot;
                    self.store.upsert_order(intent.basket_id, &report).await?;
                    let text = format!(
                        "intent {} resolved: the exchange has it ({})",
                        intent.client_id,
                        report.status.as_str()
                    );
                    self.event(
                        now,
                        Some(intent.basket_id),
                        EventLevel::Warn,
                        "intent_found",
                        text,
                    )
                    .await?;
                }
                None if now - intent.created_ms >= self.settings.intent_grace_ms => {
                    let note = "not on the exchange after the grace period";
                    self.store
                        .resolve_intent(&intent.client_id, IntentState::Absent, Some(note))
                        .await?;
                    let text = format!("intent {} resolved: never placed", intent.client_id);
                    self.event(
                        now,
                        Some(intent.basket_id),
                        EventLevel::Warn,
                        "intent_absent",
                        text,
                    )
                    .await?;
                }
                None => pending += 1,
            }
        }
        Ok(pending)
    }

    /// The order an intent placed, if it exists. A lookup by client id may answer with a
    /// *namesake*: an older, closed order carrying the same id (Binance keeps ids unique only
    /// among open orders; another journal on the same account may have used it). Ours cannot
    /// be older than its intent, so such an answer sends us to the orders created since.
    async fn intent_order(&self, intent: &OrderIntent) -> Result<Option<OrderReport>, BotError> {
        let by_client = OrderRef::Client(intent.client_id.clone());
        let since = earliest_created_ms(intent.created_ms);
        match self.exchange.query(&intent.symbol, &by_client).await? {
            Some(found) if found.time_ms < since => {
                tracing::warn!(client_id = %intent.client_id, "lookup found an older namesake");
                let window = self
                    .exchange
                    .all_orders(&intent.symbol, Some(since))
                    .await?;
                Ok(window.into_iter().find(|o| o.client_id == intent.client_id))
            }
            other => Ok(other),
        }
    }

    /// Records our new trades as fills, exactly once, and advances the trade cursor. Trades of
    /// orders we never placed (manual trading on the same account) are skipped.
    pub(super) async fn sync_fills(&mut self, now: i64) -> Result<usize, BotError> {
        let symbol = self.settings.strategy.symbol.clone();
        let key = trade_cursor_key(&symbol);
        let mut cursor: u64 = match self.store.config_value(&key).await? {
            Some(v) => v.parse().unwrap_or(0),
            None => 0,
        };
        let mut stored = cursor;
        let mut new = 0;
        loop {
            let trades = self.exchange.my_trades(&symbol, cursor).await?;
            let page = trades.len();
            for t in trades {
                cursor = cursor.max(t.trade_id + 1);
                let Some(order) = self.store.order_by_exchange_id(&symbol, t.order_id).await?
                else {
                    tracing::debug!(
                        trade = t.trade_id,
                        order = t.order_id,
                        "foreign trade skipped"
                    );
                    continue;
                };
                let fill = t.to_fill(order.slot);
                let inserted = self
                    .store
                    .insert_fill(&FillRecord {
                        basket_id: order.basket_id,
                        symbol: symbol.clone(),
                        fill,
                    })
                    .await?;
                if inserted {
                    new += 1;
                    let text = format!(
                        "{} {} {} at {} ({})",
                        order.slot,
                        t.side.as_str(),
                        t.qty,
                        t.price,
                        order.report.client_id
                    );
                    self.event(
                        t.time_ms,
                        Some(order.basket_id),
                        EventLevel::Info,
                        "fill",
                        text,
                    )
                    .await?;
                }
            }
            if cursor != stored {
                // Only when it moved: a quiet step writes nothing.
                self.store
                    .set_config_value(&key, &cursor.to_string(), now)
                    .await?;
                stored = cursor;
            }
            if page < TRADES_PAGE {
                return Ok(new);
            }
        }
    }

    /// Refreshes every order of ours: those on the book from `open`, those the store still
    /// believes open but the book no longer has by querying them (filled, cancelled, expired).
    pub(super) async fn sync_orders(&mut self, open: &[OrderReport]) -> Result<(), BotError> {
        let symbol = &self.settings.strategy.symbol;
        for record in self.store.open_orders().await? {
            if &record.report.symbol != symbol {
                continue;
            }
            if let Some(now) = open.iter().find(|r| r.order_id == record.report.order_id) {
                if now != &record.report {
                    let mut now = now.clone();
                    now.spec.slot = record.slot;
                    self.store.upsert_order(record.basket_id, &now).await?;
                }
                continue;
            }
            // By exchange id: the client id may since have been reused by someone else.
            if let Some(mut report) = self
                .exchange
                .query(symbol, &OrderRef::Id(record.report.order_id))
                .await?
            {
                report.spec.slot = record.slot;
                self.store.upsert_order(record.basket_id, &report).await?;
            }
        }
        Ok(())
    }

    /// Records open orders that carry our prefix, a basket of ours and the id of one of our
    /// intents but are missing from the store (an intent wrongly concluded absent because the
    /// exchange's lookup lagged longer than the grace period): from now on their fills are
    /// attributed, never dropped.
    async fn adopt_unknown(&mut self, open: &[OrderReport]) -> Result<(), BotError> {
        for report in open {
            let Some(parsed) = report.client_id.parse_ours(&self.settings.prefix) else {
                continue;
            };
            if self
                .store
                .order_by_exchange_id(&report.symbol, report.order_id)
                .await?
                .is_some()
                || self
                    .store
                    .basket(parsed.basket)
                    .await?
                    .is_none_or(|b| b.symbol != report.symbol)
            {
                continue;
            }
            // Only an id this journal wrote an intent for (a placement it gave up on): an open
            // order it never meant to place is someone else's, even with our prefix.
            let intents = self.store.intents(parsed.basket).await?;
            if !intents.iter().any(|i| i.client_id == report.client_id) {
                tracing::warn!(client_id = %report.client_id, "open order with our prefix but no intent: not adopted");
                continue;
            }
            let mut report = report.clone();
            report.spec.slot = parsed.slot;
            self.store.upsert_order(parsed.basket, &report).await?;
            let text = format!(
                "order {} found on the exchange but not in the journal: recorded",
                report.client_id
            );
            let now = report.update_ms;
            self.event(
                now,
                Some(parsed.basket),
                EventLevel::Warn,
                "order_adopted",
                text,
            )
            .await?;
        }
        Ok(())
    }
}
