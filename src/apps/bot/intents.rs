//! Resolving pending intents: an order whose outcome is unknown is looked up until it is
//! found or the shared -2013 rule ([`crate::core::missing_order`]) concludes, with its streak
//! journalled and a last look on the book and in `allOrders` (`.spec/bot.md`, step 1).

use crate::apps::bot::{Bot, BotError};
use crate::core::missing_order::{MissingOrder, Verdict};
use crate::ports::exchange::{earliest_created_ms, Exchange, OrderRef, OrderReport};
use crate::ports::store::{EventLevel, IntentState, OrderIntent, Store};

impl<E: Exchange, S: Store> Bot<E, S> {
    /// Resolves every pending intent it can; returns how many are still pending.
    ///
    /// Found on the exchange → recorded (intent `placed`). Not found → `absent` only under
    /// [`MissingOrder`]: the request can no longer be accepted, and the streak of "does not
    /// exist" answers (journalled, so a restart neither resets nor skips it) has lasted the
    /// grace with at least three answers; and then only if neither the book nor `allOrders`
    /// over the intent's window shows the order (the lookup by client id can lag longer).
    pub(super) async fn resolve_intents(&mut self, now: i64) -> Result<usize, BotError> {
        let mut pending = 0;
        for intent in self.store.pending_intents().await? {
            if self.settings.shares_store && !self.owns_intent(&intent) {
                continue;
            }
            if let Some(report) = self.intent_order(&intent).await? {
                self.record_found(&intent, report, now).await?;
                continue;
            }
            let journalled = self.store.intent_streak(&intent.client_id).await?;
            let mut rule = MissingOrder::resume(
                intent
                    .created_ms
                    .saturating_add(self.settings.intent_send_window_ms),
                u64::try_from(self.settings.intent_grace_ms).unwrap_or(0),
                journalled,
            );
            let verdict = rule.observe_missing(now);
            if rule.streak() != journalled {
                self.store
                    .set_intent_streak(&intent.client_id, &rule.streak())
                    .await?;
            }
            if verdict == Verdict::KeepAsking {
                pending += 1;
                continue;
            }
            if let Some(report) = self.intent_listed(&intent).await? {
                self.record_found(&intent, report, now).await?;
                continue;
            }
            let note = "not on the exchange: \"does not exist\" answers over the grace, not on \
                        the book, not in allOrders";
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
        Ok(pending)
    }

    /// An intent this bot placed: its symbol, its prefix (on a shared store the other grids'
    /// intents are resolved by them, through a client that reads their prefix).
    pub(super) fn owns_intent(&self, intent: &OrderIntent) -> bool {
        intent.symbol == self.settings.strategy.symbol
            && intent.client_id.parse_ours(&self.settings.prefix).is_some()
    }

    /// Records the order a pending intent placed.
    async fn record_found(
        &mut self,
        intent: &OrderIntent,
        mut report: OrderReport,
        now: i64,
    ) -> Result<(), BotError> {
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
        .await
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

    /// The intent's order on the book or in `allOrders`, created within the intent's window
    /// (from [`earliest_created_ms`] of its time to the end of its send window): the last look
    /// before concluding "never placed".
    async fn intent_listed(&self, intent: &OrderIntent) -> Result<Option<OrderReport>, BotError> {
        let from = earliest_created_ms(intent.created_ms);
        let to = intent
            .created_ms
            .saturating_add(self.settings.intent_send_window_ms);
        let ours =
            |o: &OrderReport| o.client_id == intent.client_id && (from..=to).contains(&o.time_ms);
        let open = self.exchange.open_orders(&intent.symbol).await?;
        if let Some(found) = open.into_iter().find(ours) {
            return Ok(Some(found));
        }
        let listed = self.exchange.all_orders(&intent.symbol, Some(from)).await?;
        Ok(listed.into_iter().find(ours))
    }
}
