//! `impl Store for SqlStore`: each method delegates to its table's module.

use super::SqlStore;
use crate::core::basket::BasketStatus;
use crate::core::client_id::ClientOrderId;
use crate::core::fill::Fill;
use crate::core::missing_order::MissStreak;
use crate::core::order::{OrderStatus, Slot};
use crate::core::symbol::Symbol;
use crate::ports::exchange::OrderReport;
use crate::ports::operator::{CommandKind, CommandRecord, CommandState};
use crate::ports::store::{
    AccountSnapshot, BasketRecord, Event, FillQuery, FillRecord, IntentState, OrderIntent,
    OrderRecord, Store, StoreError,
};
use std::collections::BTreeMap;

impl Store for SqlStore {
    async fn insert_basket(&self, record: &BasketRecord) -> Result<(), StoreError> {
        self.insert_basket_row(record).await
    }
    async fn basket(&self, id: u32) -> Result<Option<BasketRecord>, StoreError> {
        self.basket_row(id).await
    }
    async fn baskets(&self, active_only: bool) -> Result<Vec<BasketRecord>, StoreError> {
        self.basket_rows(active_only).await
    }
    async fn open_baskets(&self) -> Result<Vec<BasketRecord>, StoreError> {
        self.open_basket_rows().await
    }
    async fn max_basket_id(&self) -> Result<u32, StoreError> {
        self.max_basket().await
    }
    async fn set_basket_status(
        &self,
        id: u32,
        status: BasketStatus,
        closed_ms: Option<i64>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.update_basket_status(id, status, closed_ms, reason)
            .await
    }

    async fn insert_intent(&self, intent: &OrderIntent) -> Result<(), StoreError> {
        self.insert_intent_row(intent).await
    }
    async fn pending_intents(&self) -> Result<Vec<OrderIntent>, StoreError> {
        self.intent_rows("state = 'pending'", &[]).await
    }
    async fn resolve_intent(
        &self,
        client_id: &ClientOrderId,
        state: IntentState,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        self.set_intent_state(client_id, state, note).await
    }
    async fn intent_streak(&self, client_id: &ClientOrderId) -> Result<MissStreak, StoreError> {
        self.intent_streak_row(client_id).await
    }
    async fn set_intent_streak(
        &self,
        client_id: &ClientOrderId,
        streak: &MissStreak,
    ) -> Result<(), StoreError> {
        self.set_intent_streak_row(client_id, streak).await
    }
    async fn intents(&self, basket_id: u32) -> Result<Vec<OrderIntent>, StoreError> {
        let args = [super::rows::Arg::int(basket_id)];
        self.intent_rows("basket_id = $1", &args).await
    }
    async fn revisions(&self, basket_id: u32) -> Result<BTreeMap<Slot, u32>, StoreError> {
        self.revision_rows(basket_id).await
    }

    async fn upsert_order(&self, basket_id: u32, report: &OrderReport) -> Result<(), StoreError> {
        self.upsert_order_row(basket_id, report).await
    }
    async fn order_by_exchange_id(
        &self,
        symbol: &Symbol,
        order_id: u64,
    ) -> Result<Option<OrderRecord>, StoreError> {
        self.order_by_exchange(symbol, order_id).await
    }
    async fn open_orders(&self) -> Result<Vec<OrderRecord>, StoreError> {
        self.order_rows("status IN ('NEW', 'PARTIALLY_FILLED')", &[])
            .await
    }
    async fn orders(&self, basket_id: u32) -> Result<Vec<OrderRecord>, StoreError> {
        let args = [super::rows::Arg::int(basket_id)];
        self.order_rows("basket_id = $1", &args).await
    }
    async fn count_orders(&self, status: Option<OrderStatus>) -> Result<u64, StoreError> {
        self.count_order_rows(status).await
    }

    async fn insert_fill(&self, record: &FillRecord) -> Result<bool, StoreError> {
        self.insert_fill_row(record).await
    }
    async fn basket_fills(&self, basket_id: u32) -> Result<Vec<Fill>, StoreError> {
        self.basket_fill_rows(basket_id).await
    }
    async fn fills(&self, query: &FillQuery) -> Result<Vec<FillRecord>, StoreError> {
        self.fill_rows(query).await
    }
    async fn count_fills(&self, query: &FillQuery) -> Result<u64, StoreError> {
        self.count_fill_rows(query).await
    }
    async fn fill_counts(&self) -> Result<BTreeMap<u32, u64>, StoreError> {
        self.fill_count_rows().await
    }

    async fn insert_snapshot(&self, snapshot: &AccountSnapshot) -> Result<(), StoreError> {
        self.insert_snapshot_row(snapshot).await
    }
    async fn snapshots(&self, limit: u64) -> Result<Vec<AccountSnapshot>, StoreError> {
        self.snapshot_rows(limit).await
    }

    async fn basket_note(&self, basket_id: u32) -> Result<Option<String>, StoreError> {
        self.basket_note_row(basket_id).await
    }
    async fn set_basket_note(
        &self,
        basket_id: u32,
        text: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.set_basket_note_row(basket_id, text, now_ms).await
    }
    async fn basket_notes(&self) -> Result<BTreeMap<u32, String>, StoreError> {
        self.basket_note_rows().await
    }
    async fn config_value(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.config_row(key).await
    }
    async fn set_config_value(
        &self,
        key: &str,
        value: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.set_config_row(key, value, now_ms).await
    }

    async fn append_event(&self, event: &Event) -> Result<(), StoreError> {
        self.insert_event_row(event).await
    }
    async fn events(&self, limit: u64) -> Result<Vec<Event>, StoreError> {
        self.event_rows(limit).await
    }

    async fn enqueue_command(&self, kind: CommandKind, now_ms: i64) -> Result<u64, StoreError> {
        self.insert_command_row(kind, now_ms).await
    }
    async fn take_command(
        &self,
        fresh_since_ms: i64,
        now_ms: i64,
    ) -> Result<Option<CommandRecord>, StoreError> {
        self.take_command_row(fresh_since_ms, now_ms).await
    }
    async fn finish_command(
        &self,
        id: u64,
        state: CommandState,
        receipt: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.finish_command_row(id, state, receipt, now_ms).await
    }
    async fn withdraw_command(&self, id: u64, now_ms: i64) -> Result<bool, StoreError> {
        self.withdraw_command_row(id, now_ms).await
    }
    async fn command(&self, id: u64) -> Result<Option<CommandRecord>, StoreError> {
        self.command_row(id).await
    }
    async fn notification_deliveries(
        &self,
        limit: u64,
    ) -> Result<Vec<crate::ports::outbox::Notification>, StoreError> {
        crate::ports::outbox::Outbox::deliveries(self, limit).await
    }
}
