//! An in-memory [`Store`] with the same constraints as the SQL stores (unique client ids,
//! fills once per trade id), for fast bot tests. Nothing survives the process.

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
use std::sync::{Mutex, MutexGuard};

#[derive(Debug, Default)]
struct Inner {
    baskets: BTreeMap<u32, BasketRecord>,
    intents: Vec<OrderIntent>,
    streaks: BTreeMap<ClientOrderId, MissStreak>,
    orders: Vec<OrderRecord>,
    fills: Vec<FillRecord>,
    snapshots: Vec<AccountSnapshot>,
    config: BTreeMap<String, String>,
    notes: BTreeMap<u32, String>,
    events: Vec<Event>,
    commands: Vec<CommandRecord>,
}

/// The in-memory store.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn fill_matches(q: &FillQuery, f: &FillRecord) -> bool {
    q.basket_id.is_none_or(|b| b == f.basket_id)
        && q.side.is_none_or(|s| s == f.fill.side)
        && q.symbol.as_ref().is_none_or(|s| *s == f.symbol)
        && q.from_ms.is_none_or(|t| f.fill.time_ms >= t)
        && q.to_ms.is_none_or(|t| f.fill.time_ms < t)
}

impl Store for MemoryStore {
    async fn insert_basket(&self, record: &BasketRecord) -> Result<(), StoreError> {
        let mut g = self.lock();
        if g.baskets.contains_key(&record.basket.id) {
            return Err(StoreError::Duplicate(format!(
                "basket {}",
                record.basket.id
            )));
        }
        g.baskets.insert(record.basket.id, record.clone());
        Ok(())
    }

    async fn basket(&self, id: u32) -> Result<Option<BasketRecord>, StoreError> {
        Ok(self.lock().baskets.get(&id).cloned())
    }

    async fn baskets(&self, active_only: bool) -> Result<Vec<BasketRecord>, StoreError> {
        Ok(self
            .lock()
            .baskets
            .values()
            .rev()
            .filter(|b| !active_only || b.basket.status == BasketStatus::Active)
            .cloned()
            .collect())
    }

    async fn open_baskets(&self) -> Result<Vec<BasketRecord>, StoreError> {
        Ok(self
            .lock()
            .baskets
            .values()
            .rev()
            .filter(|b| {
                matches!(
                    b.basket.status,
                    BasketStatus::Active | BasketStatus::Error | BasketStatus::Closing
                )
            })
            .cloned()
            .collect())
    }

    async fn max_basket_id(&self) -> Result<u32, StoreError> {
        Ok(self.lock().baskets.keys().next_back().copied().unwrap_or(0))
    }

    async fn set_basket_status(
        &self,
        id: u32,
        status: BasketStatus,
        closed_ms: Option<i64>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        let b = g
            .baskets
            .get_mut(&id)
            .ok_or_else(|| StoreError::NotFound(format!("basket {id}")))?;
        b.basket.status = status;
        b.closed_ms = closed_ms;
        b.reason = reason.map(str::to_string);
        Ok(())
    }

    async fn insert_intent(&self, intent: &OrderIntent) -> Result<(), StoreError> {
        let mut g = self.lock();
        if g.intents.iter().any(|i| i.client_id == intent.client_id) {
            return Err(StoreError::Duplicate(format!(
                "client id {}",
                intent.client_id
            )));
        }
        g.intents.push(intent.clone());
        Ok(())
    }

    async fn pending_intents(&self) -> Result<Vec<OrderIntent>, StoreError> {
        Ok(self
            .lock()
            .intents
            .iter()
            .filter(|i| i.state == IntentState::Pending)
            .cloned()
            .collect())
    }

    async fn resolve_intent(
        &self,
        client_id: &ClientOrderId,
        state: IntentState,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        let i = g
            .intents
            .iter_mut()
            .find(|i| &i.client_id == client_id)
            .ok_or_else(|| StoreError::NotFound(format!("intent {client_id}")))?;
        i.state = state;
        i.note = note.map(str::to_string);
        Ok(())
    }

    async fn intent_streak(&self, client_id: &ClientOrderId) -> Result<MissStreak, StoreError> {
        let g = self.lock();
        if !g.intents.iter().any(|i| &i.client_id == client_id) {
            return Err(StoreError::NotFound(format!("intent {client_id}")));
        }
        Ok(g.streaks.get(client_id).copied().unwrap_or_default())
    }

    async fn set_intent_streak(
        &self,
        client_id: &ClientOrderId,
        streak: &MissStreak,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        if !g.intents.iter().any(|i| &i.client_id == client_id) {
            return Err(StoreError::NotFound(format!("intent {client_id}")));
        }
        g.streaks.insert(client_id.clone(), *streak);
        Ok(())
    }

    async fn intents(&self, basket_id: u32) -> Result<Vec<OrderIntent>, StoreError> {
        Ok(self
            .lock()
            .intents
            .iter()
            .filter(|i| i.basket_id == basket_id)
            .cloned()
            .collect())
    }

    async fn revisions(&self, basket_id: u32) -> Result<BTreeMap<Slot, u32>, StoreError> {
        let mut out = BTreeMap::new();
        for i in self
            .lock()
            .intents
            .iter()
            .filter(|i| i.basket_id == basket_id)
        {
            let rev = out.entry(i.spec.slot).or_insert(0);
            *rev = (*rev).max(i.rev);
        }
        Ok(out)
    }

    async fn upsert_order(&self, basket_id: u32, report: &OrderReport) -> Result<(), StoreError> {
        let mut g = self.lock();
        let record = OrderRecord {
            basket_id,
            slot: report.spec.slot,
            report: report.clone(),
        };
        if g.orders.iter().any(|o| {
            o.report.symbol == report.symbol
                && o.report.order_id == report.order_id
                && o.report.client_id != report.client_id
        }) {
            return Err(StoreError::Duplicate(format!(
                "order id {}",
                report.order_id
            )));
        }
        match g
            .orders
            .iter_mut()
            .find(|o| o.report.client_id == report.client_id)
        {
            Some(o) => *o = record,
            None => g.orders.push(record),
        }
        if let Some(i) = g
            .intents
            .iter_mut()
            .find(|i| i.client_id == report.client_id)
        {
            i.state = IntentState::Placed;
        }
        Ok(())
    }

    async fn order_by_exchange_id(
        &self,
        symbol: &Symbol,
        order_id: u64,
    ) -> Result<Option<OrderRecord>, StoreError> {
        Ok(self
            .lock()
            .orders
            .iter()
            .find(|o| &o.report.symbol == symbol && o.report.order_id == order_id)
            .cloned())
    }

    async fn open_orders(&self) -> Result<Vec<OrderRecord>, StoreError> {
        Ok(self
            .lock()
            .orders
            .iter()
            .filter(|o| o.report.status.is_open())
            .cloned()
            .collect())
    }

    async fn orders(&self, basket_id: u32) -> Result<Vec<OrderRecord>, StoreError> {
        Ok(self
            .lock()
            .orders
            .iter()
            .filter(|o| o.basket_id == basket_id)
            .cloned()
            .collect())
    }

    async fn count_orders(&self, status: Option<OrderStatus>) -> Result<u64, StoreError> {
        Ok(self
            .lock()
            .orders
            .iter()
            .filter(|o| status.is_none_or(|s| o.report.status == s))
            .count() as u64)
    }

    async fn insert_fill(&self, record: &FillRecord) -> Result<bool, StoreError> {
        let mut g = self.lock();
        if g.fills
            .iter()
            .any(|f| f.symbol == record.symbol && f.fill.trade_id == record.fill.trade_id)
        {
            return Ok(false);
        }
        g.fills.push(record.clone());
        Ok(true)
    }

    async fn basket_fills(&self, basket_id: u32) -> Result<Vec<Fill>, StoreError> {
        let mut fills: Vec<Fill> = self
            .lock()
            .fills
            .iter()
            .filter(|f| f.basket_id == basket_id)
            .map(|f| f.fill.clone())
            .collect();
        fills.sort_by_key(|f| f.trade_id);
        Ok(fills)
    }

    async fn fills(&self, query: &FillQuery) -> Result<Vec<FillRecord>, StoreError> {
        let g = self.lock();
        let mut all: Vec<&FillRecord> = g.fills.iter().filter(|f| fill_matches(query, f)).collect();
        all.sort_by_key(|f| std::cmp::Reverse((f.fill.time_ms, f.fill.trade_id)));
        Ok(all
            .into_iter()
            .skip(query.offset as usize)
            .take(query.limit as usize)
            .cloned()
            .collect())
    }

    async fn count_fills(&self, query: &FillQuery) -> Result<u64, StoreError> {
        Ok(self
            .lock()
            .fills
            .iter()
            .filter(|f| fill_matches(query, f))
            .count() as u64)
    }

    async fn fill_counts(&self) -> Result<BTreeMap<u32, u64>, StoreError> {
        let mut out = BTreeMap::new();
        for f in &self.lock().fills {
            *out.entry(f.basket_id).or_insert(0) += 1;
        }
        Ok(out)
    }

    async fn insert_snapshot(&self, snapshot: &AccountSnapshot) -> Result<(), StoreError> {
        self.lock().snapshots.push(snapshot.clone());
        Ok(())
    }

    async fn snapshots(&self, limit: u64) -> Result<Vec<AccountSnapshot>, StoreError> {
        let g = self.lock();
        let skip = g.snapshots.len().saturating_sub(limit as usize);
        Ok(g.snapshots[skip..].to_vec())
    }

    async fn basket_note(&self, basket_id: u32) -> Result<Option<String>, StoreError> {
        Ok(self.lock().notes.get(&basket_id).cloned())
    }

    async fn set_basket_note(
        &self,
        basket_id: u32,
        text: &str,
        _now: i64,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        if !g.baskets.contains_key(&basket_id) {
            return Err(StoreError::NotFound(format!("basket {basket_id}")));
        }
        if text.is_empty() {
            g.notes.remove(&basket_id);
        } else {
            g.notes.insert(basket_id, text.to_string());
        }
        Ok(())
    }

    async fn basket_notes(&self) -> Result<BTreeMap<u32, String>, StoreError> {
        Ok(self.lock().notes.clone())
    }

    async fn config_value(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.lock().config.get(key).cloned())
    }

    async fn set_config_value(&self, key: &str, value: &str, _now: i64) -> Result<(), StoreError> {
        self.lock()
            .config
            .insert(key.to_string(), value.to_string());
        Ok(())
    }

    async fn append_event(&self, event: &Event) -> Result<(), StoreError> {
        self.lock().events.push(event.clone());
        Ok(())
    }

    async fn events(&self, limit: u64) -> Result<Vec<Event>, StoreError> {
        Ok(self
            .lock()
            .events
            .iter()
            .rev()
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn enqueue_command(&self, kind: CommandKind, now_ms: i64) -> Result<u64, StoreError> {
        let mut g = self.lock();
        let id = g.commands.len() as u64 + 1;
        g.commands.push(CommandRecord {
            id,
            kind,
            state: CommandState::Pending,
            requested_ms: now_ms,
            taken_ms: None,
            done_ms: None,
            receipt: None,
        });
        Ok(id)
    }

    async fn take_command(
        &self,
        fresh_since_ms: i64,
        now_ms: i64,
    ) -> Result<Option<CommandRecord>, StoreError> {
        let mut g = self.lock();
        for c in g.commands.iter_mut() {
            if c.state == CommandState::Pending && c.requested_ms < fresh_since_ms {
                c.state = CommandState::Withdrawn;
                c.done_ms = Some(now_ms);
                c.receipt = Some("withdrawn: too old when a bot looked".into());
            }
        }
        let next = g
            .commands
            .iter_mut()
            .find(|c| c.state == CommandState::Pending);
        Ok(next.map(|c| {
            c.state = CommandState::Taken;
            c.taken_ms = Some(now_ms);
            c.clone()
        }))
    }

    async fn finish_command(
        &self,
        id: u64,
        state: CommandState,
        receipt: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        let c = g
            .commands
            .iter_mut()
            .find(|c| c.id == id && c.state == CommandState::Taken)
            .ok_or_else(|| StoreError::NotFound(format!("taken command {id}")))?;
        c.state = state;
        c.receipt = Some(receipt.to_string());
        c.done_ms = Some(now_ms);
        Ok(())
    }

    async fn withdraw_command(&self, id: u64, now_ms: i64) -> Result<bool, StoreError> {
        let mut g = self.lock();
        match g
            .commands
            .iter_mut()
            .find(|c| c.id == id && c.state == CommandState::Pending)
        {
            Some(c) => {
                c.state = CommandState::Withdrawn;
                c.done_ms = Some(now_ms);
                c.receipt = Some("withdrawn: no bot took it in time".into());
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn command(&self, id: u64) -> Result<Option<CommandRecord>, StoreError> {
        Ok(self.lock().commands.iter().find(|c| c.id == id).cloned())
    }
}
