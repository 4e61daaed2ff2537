//! The store port: the bot's durable journal of baskets, order intents, orders, fills,
//! account snapshots, configuration and events (`.spec/store.md`).
//!
//! Crash safety rests on three rules the adapters enforce with unique constraints:
//! - every order is written as an [`OrderIntent`] *before* it is sent, and a client order id
//!   can be written only once, so no order can be sent twice;
//! - a fill is keyed by `(symbol, trade_id)`, so syncing trades again never counts one twice;
//! - an order row is keyed by its client order id and by `(symbol, exchange order id)`.
//!
//! Dispatch: native `async fn` used generically, like [`crate::ports::exchange::Exchange`].

use crate::core::basket::{Basket, BasketStatus};
use crate::core::client_id::{ClientOrderId, IdPrefix};
use crate::core::fill::{Balance, Fill};
use crate::core::missing_order::MissStreak;
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::{OrderSpec, OrderStatus, Slot};
use crate::core::symbol::Symbol;
use crate::ports::exchange::OrderReport;
use crate::ports::operator::{CommandKind, CommandRecord, CommandState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;

/// A basket as stored: the core basket plus its symbol and closing facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasketRecord {
    /// The basket (id, anchor, frozen config, status, carried dust, creation time).
    pub basket: Basket,
    /// The pair it trades (equals `basket.config.symbol`).
    pub symbol: Symbol,
    /// The grid it belongs to: the client-id prefix of the bot that opened it. Two grids of
    /// a portfolio may trade one symbol with different prefixes; a bot's baskets are those of
    /// its (symbol, prefix). Journals from before the key read as the default prefix.
    #[serde(default)]
    pub prefix: IdPrefix,
    /// When it left `active`, Unix ms.
    pub closed_ms: Option<i64>,
    /// Why it was paused or closed, when there is more to say than the status.
    pub reason: Option<String>,
}

/// What became of an order intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentState {
    /// Written; the request may or may not have reached the exchange.
    Pending,
    /// The exchange has the order (its row is in `orders`).
    Placed,
    /// The exchange refused it; nothing happened.
    Rejected,
    /// Resolved as never having reached the exchange (query said it does not exist after the
    /// grace period).
    Absent,
}

impl IntentState {
    /// Database name.
    pub fn as_str(self) -> &'static str {
        match self {
            IntentState::Pending => "pending",
            IntentState::Placed => "placed",
            IntentState::Rejected => "rejected",
            IntentState::Absent => "absent",
        }
    }
}

/// An order we are about to send, written before it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderIntent {
    /// Our client order id (unique forever in the store).
    pub client_id: ClientOrderId,
    /// The basket it belongs to.
    pub basket_id: u32,
    /// The pair.
    pub symbol: Symbol,
    /// Revision of the slot this id carries.
    pub rev: u32,
    /// What is to be placed (`spec.slot` is the slot).
    pub spec: OrderSpec,
    /// When it was written, Unix ms.
    pub created_ms: i64,
    /// Its state.
    pub state: IntentState,
    /// The exchange's reason when rejected, or how it was resolved.
    pub note: Option<String>,
}

/// An order the exchange has acknowledged, with its last known state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// The basket it belongs to.
    pub basket_id: u32,
    /// The slot it fills.
    pub slot: Slot,
    /// The exchange's last report of it.
    pub report: OrderReport,
}

/// A fill as stored: the core fill plus where it belongs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FillRecord {
    /// The basket it belongs to.
    pub basket_id: u32,
    /// The pair.
    pub symbol: Symbol,
    /// The fill.
    pub fill: Fill,
}

/// Account state at one time, for the equity curve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSnapshot {
    /// When, Unix ms.
    pub time_ms: i64,
    /// The pair whose assets are valued.
    pub symbol: Symbol,
    /// Quote balance (free + locked).
    pub quote_balance: Quote,
    /// Base balance (free + locked).
    pub base_balance: Qty,
    /// Last price used for the valuation.
    pub price: Price,
    /// quote + base × price.
    pub total_value: Quote,
    /// Every non-zero balance as the exchange reported it.
    pub balances: Vec<Balance>,
}

/// How loud an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventLevel {
    /// Normal operation (placed, cancelled, filled, basket opened/closed).
    Info,
    /// Something the operator should look at (rejections, retries, pauses).
    Warn,
    /// Something failed.
    Error,
}

impl EventLevel {
    /// Database name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventLevel::Info => "info",
            EventLevel::Warn => "warn",
            EventLevel::Error => "error",
        }
    }
}

/// One line of the event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When, Unix ms.
    pub time_ms: i64,
    /// The basket concerned, if any.
    pub basket_id: Option<u32>,
    /// How loud.
    pub level: EventLevel,
    /// Short machine-friendly kind (`order_placed`, `fill`, `basket_closed`, …).
    pub kind: String,
    /// Human-readable text (never a secret).
    pub message: String,
}

/// Which fills to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FillQuery {
    /// Only this basket.
    pub basket_id: Option<u32>,
    /// Only this side.
    pub side: Option<crate::core::order::Side>,
    /// Only fills of this symbol.
    pub symbol: Option<Symbol>,
    /// Only fills at or after this time, Unix ms.
    pub from_ms: Option<i64>,
    /// Only fills before this time, Unix ms.
    pub to_ms: Option<i64>,
    /// Skip this many (newest first).
    pub offset: u64,
    /// At most this many.
    pub limit: u64,
}

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write (e.g. a client order id written twice).
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// The row to update does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// Another bot holds the instance lock on this database.
    #[error("another bot instance is running on this database ({0})")]
    Locked(String),
    /// A stored value could not be read back (corrupt or written by a newer version).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database failed (connection, I/O, SQL).
    #[error("database: {0}")]
    Database(String),
}

/// The bot's durable state.
pub trait Store: Send + Sync {
    /// Inserts a new basket. Its id must not exist yet.
    fn insert_basket(
        &self,
        record: &BasketRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// One basket.
    fn basket(
        &self,
        id: u32,
    ) -> impl Future<Output = Result<Option<BasketRecord>, StoreError>> + Send;
    /// All baskets, newest first, or only the active ones.
    fn baskets(
        &self,
        active_only: bool,
    ) -> impl Future<Output = Result<Vec<BasketRecord>, StoreError>> + Send;
    /// Baskets still open — `active`, paused (`error`) or `closing` — newest first.
    fn open_baskets(&self) -> impl Future<Output = Result<Vec<BasketRecord>, StoreError>> + Send;
    /// The highest basket id ever used (0 when none).
    fn max_basket_id(&self) -> impl Future<Output = Result<u32, StoreError>> + Send;
    /// Sets a basket's status, closing time and reason.
    fn set_basket_status(
        &self,
        id: u32,
        status: BasketStatus,
        closed_ms: Option<i64>,
        reason: Option<&str>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Writes an intent before its order is sent. `Err(Duplicate)` when the client id exists.
    fn insert_intent(
        &self,
        intent: &OrderIntent,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Intents still `pending`, oldest first.
    fn pending_intents(&self) -> impl Future<Output = Result<Vec<OrderIntent>, StoreError>> + Send;
    /// Marks an intent resolved.
    fn resolve_intent(
        &self,
        client_id: &ClientOrderId,
        state: IntentState,
        note: Option<&str>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The streak of "does not exist" answers journalled for an intent (empty before any);
    /// `Err(NotFound)` for an unknown client id.
    fn intent_streak(
        &self,
        client_id: &ClientOrderId,
    ) -> impl Future<Output = Result<MissStreak, StoreError>> + Send;
    /// Journals an intent's streak of "does not exist" answers (see
    /// [`crate::core::missing_order`]), so a restart neither resets nor skips it.
    fn set_intent_streak(
        &self,
        client_id: &ClientOrderId,
        streak: &MissStreak,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Intents of one basket, oldest first.
    fn intents(
        &self,
        basket_id: u32,
    ) -> impl Future<Output = Result<Vec<OrderIntent>, StoreError>> + Send;
    /// Highest revision ever written per slot of a basket (from its intents).
    fn revisions(
        &self,
        basket_id: u32,
    ) -> impl Future<Output = Result<BTreeMap<Slot, u32>, StoreError>> + Send;

    /// Records the exchange's latest report of an order (insert or update by client id) and
    /// marks its intent `placed`, in one transaction.
    fn upsert_order(
        &self,
        basket_id: u32,
        report: &OrderReport,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// An order by the exchange's id.
    fn order_by_exchange_id(
        &self,
        symbol: &Symbol,
        order_id: u64,
    ) -> impl Future<Output = Result<Option<OrderRecord>, StoreError>> + Send;
    /// Orders we believe open (status NEW or PARTIALLY_FILLED), oldest first.
    fn open_orders(&self) -> impl Future<Output = Result<Vec<OrderRecord>, StoreError>> + Send;
    /// Orders of one basket, oldest first.
    fn orders(
        &self,
        basket_id: u32,
    ) -> impl Future<Output = Result<Vec<OrderRecord>, StoreError>> + Send;
    /// Number of orders with this status, or of all orders.
    fn count_orders(
        &self,
        status: Option<OrderStatus>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Records a fill exactly once: `Ok(true)` when new, `Ok(false)` when `(symbol,
    /// trade_id)` was already there (nothing changes).
    fn insert_fill(
        &self,
        record: &FillRecord,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Fills of one basket, in trade id order.
    fn basket_fills(
        &self,
        basket_id: u32,
    ) -> impl Future<Output = Result<Vec<Fill>, StoreError>> + Send;
    /// Fills matching a query, newest first.
    fn fills(
        &self,
        query: &FillQuery,
    ) -> impl Future<Output = Result<Vec<FillRecord>, StoreError>> + Send;
    /// Number of fills matching a query (ignores offset and limit).
    fn count_fills(
        &self,
        query: &FillQuery,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Number of fills of every basket that has any, by basket id (lets readers such as the
    /// dashboard replay only the baskets whose fills changed).
    fn fill_counts(&self) -> impl Future<Output = Result<BTreeMap<u32, u64>, StoreError>> + Send;

    /// Appends an account snapshot.
    fn insert_snapshot(
        &self,
        snapshot: &AccountSnapshot,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The latest `limit` snapshots, oldest first.
    fn snapshots(
        &self,
        limit: u64,
    ) -> impl Future<Output = Result<Vec<AccountSnapshot>, StoreError>> + Send;

    /// Reads a configuration value (`bot_config`).
    fn config_value(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    /// Writes a configuration value (insert or replace).
    fn set_config_value(
        &self,
        key: &str,
        value: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The operator's note on a basket (the trade journal), if there is one.
    fn basket_note(
        &self,
        basket_id: u32,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    /// Writes the note on a basket (insert or replace; an empty text removes it).
    fn set_basket_note(
        &self,
        basket_id: u32,
        text: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Every basket's note, by basket id.
    fn basket_notes(
        &self,
    ) -> impl Future<Output = Result<BTreeMap<u32, String>, StoreError>> + Send;

    /// Appends an event.
    fn append_event(&self, event: &Event) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The latest `limit` events, newest first.
    fn events(&self, limit: u64) -> impl Future<Output = Result<Vec<Event>, StoreError>> + Send;

    /// Queues an operator command for the running bot; returns its id.
    fn enqueue_command(
        &self,
        kind: CommandKind,
        now_ms: i64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Takes the oldest pending command requested at or after `fresh_since_ms` (marks it
    /// taken at `now_ms`, atomically, so it runs once); older pending ones are withdrawn
    /// first: a command nobody waits for any more must not fire at a later start.
    fn take_command(
        &self,
        fresh_since_ms: i64,
        now_ms: i64,
    ) -> impl Future<Output = Result<Option<CommandRecord>, StoreError>> + Send;
    /// Ends a taken command with its receipt (`Done` or `Failed`).
    fn finish_command(
        &self,
        id: u64,
        state: CommandState,
        receipt: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Withdraws a command still pending; `Ok(false)` when a bot already took it.
    fn withdraw_command(
        &self,
        id: u64,
        now_ms: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// One command.
    fn command(
        &self,
        id: u64,
    ) -> impl Future<Output = Result<Option<CommandRecord>, StoreError>> + Send;
    /// The latest `limit` notifications of the outbox, newest first, for the dashboard
    /// (`.spec/notifications.md`). A store without an outbox has none.
    fn notification_deliveries(
        &self,
        limit: u64,
    ) -> impl Future<Output = Result<Vec<crate::ports::outbox::Notification>, StoreError>> + Send
    {
        let _ = limit;
        async { Ok(Vec::new()) }
    }
}
