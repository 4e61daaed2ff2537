//! The event port: what the exchange *pushes* (fills, order updates, balances, prices, and the
//! state of the connection that carries them), beside the request-shaped
//! [`Exchange`](super::exchange::Exchange) port.
//!
//! Events are hints that make the bot react in milliseconds, never the ground truth: the
//! journal and REST stay authoritative, so a lost event costs latency, not money. Hence the
//! connection state is an event too: after [`StreamState::Gap`] (or `Up` after `Down`) the
//! consumer heals over REST before it trusts the stream again.
//!
//! Dispatch: [`EventSource`] uses native `async fn` like `Exchange`, used generically; the
//! Binance WebSocket client and the simulated exchange implement it.
//!
//! Invariant of [`Dedup`]: an event is passed on at most once per key; trades are keyed by
//! (order id, trade id), order updates without a trade by (order id, status, executed qty).

use crate::core::candle::Candle;
use crate::core::fill::Balance;
use crate::core::money::{Amount, Price};
use crate::core::symbol::{Asset, Symbol};
use crate::ports::exchange::{BookTicker, ExchangeTrade, OrderReport};
use std::collections::{BTreeSet, VecDeque};
use std::future::Future;

/// Which connection a [`StreamState`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StreamKind {
    /// The account's user data (fills, orders, balances).
    User,
    /// Market data (book ticker, klines).
    Market,
}

/// The state of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamState {
    /// Subscribed: events flow from now on.
    Up,
    /// Not connected (or not subscribed): poll instead.
    Down {
        /// What happened (never a secret).
        reason: String,
    },
    /// Connected, but events may have been lost (a lagging subscription, a reconnect):
    /// heal over REST before trusting the stream again.
    Gap {
        /// What happened.
        reason: String,
    },
}

/// One order update (`executionReport`): the order's state after it and, for an execution
/// of type `TRADE`, the trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderUpdate {
    /// The order's state after this update (slot from our client id, or the foreign
    /// placeholder).
    pub report: OrderReport,
    /// The trade, when the update is one.
    pub trade: Option<ExchangeTrade>,
    /// Event time, Unix ms.
    pub event_ms: i64,
}

/// A price pushed by the market streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceUpdate {
    /// Best bid and ask changed (`bookTicker`).
    Book {
        /// The pair.
        symbol: Symbol,
        /// Bid and ask.
        ticker: BookTicker,
    },
    /// A one-minute candle closed (`kline_1m` with `x` true): the whole candle, so the
    /// candle feed (`apps::bot::candles`) appends it as a REST `klines` row would.
    KlineClosed {
        /// The pair.
        symbol: Symbol,
        /// The closed candle.
        candle: Candle,
    },
}

impl PriceUpdate {
    /// The pair.
    pub fn symbol(&self) -> &Symbol {
        match self {
            PriceUpdate::Book { symbol, .. } | PriceUpdate::KlineClosed { symbol, .. } => symbol,
        }
    }

    /// A single price to plan with: the mid of bid and ask, or the close.
    pub fn price(&self) -> Price {
        match self {
            PriceUpdate::Book { ticker, .. } => {
                Price::new((ticker.bid.get() + ticker.ask.get()) / rust_decimal::Decimal::TWO)
            }
            PriceUpdate::KlineClosed { candle, .. } => candle.close,
        }
    }
}

/// Something the exchange pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeEvent {
    /// An order changed (placed, traded, cancelled, expired). Boxed: the other events are
    /// small and most of them pass through the channel.
    Order(Box<OrderUpdate>),
    /// Absolute free/locked amounts of the assets that changed (`outboundAccountPosition`).
    Balances {
        /// Event time, Unix ms.
        time_ms: i64,
        /// The changed assets.
        balances: Vec<Balance>,
    },
    /// A deposit, withdrawal or transfer changed one asset by `delta` (`balanceUpdate`).
    BalanceDelta {
        /// Event time, Unix ms.
        time_ms: i64,
        /// The asset.
        asset: Asset,
        /// Signed change.
        delta: Amount,
    },
    /// An order list changed (`listStatus`); kept as Binance's texts (we place no lists).
    OrderList {
        /// The pair.
        symbol: Symbol,
        /// Order list id.
        list_id: i64,
        /// `listOrderStatus` (`EXECUTING`, `ALL_DONE`, `REJECT`).
        status: String,
    },
    /// A price.
    Price(PriceUpdate),
    /// A stream's connection changed.
    Stream {
        /// Which stream.
        kind: StreamKind,
        /// Its new state.
        state: StreamState,
    },
}

/// A source of [`ExchangeEvent`]s.
pub trait EventSource: Send {
    /// The next event; `None` once the source has ended for good.
    fn next_event(&mut self) -> impl Future<Output = Option<ExchangeEvent>> + Send;
}

/// A source fed through a tokio channel (the WebSocket tasks and the simulated exchange
/// push into the sender).
#[derive(Debug)]
pub struct ChannelEvents(pub tokio::sync::mpsc::UnboundedReceiver<ExchangeEvent>);

impl EventSource for ChannelEvents {
    async fn next_event(&mut self) -> Option<ExchangeEvent> {
        self.0.recv().await
    }
}

/// What identifies an event for de-duplication.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Trade(Symbol, u64, u64),
    Order(Symbol, u64, String, String),
}

/// Drops events seen before: the overlap of an old and a new connection (24-hour rotation,
/// `serverShutdown`) and a server that repeats itself deliver some events twice. Remembers
/// the last `capacity` keys, far more than one overlap can repeat.
#[derive(Debug)]
pub struct Dedup {
    seen: BTreeSet<Key>,
    order: VecDeque<Key>,
    capacity: usize,
}

impl Default for Dedup {
    fn default() -> Self {
        Self::new(100_000)
    }
}

impl Dedup {
    /// A filter remembering `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        Self {
            seen: BTreeSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// True the first time an event is offered, false for a repeat. Events other than
    /// order updates always pass (they carry absolute state or are idempotent).
    pub fn first_time(&mut self, event: &ExchangeEvent) -> bool {
        let ExchangeEvent::Order(u) = event else {
            return true;
        };
        let r = &u.report;
        let key = match &u.trade {
            Some(t) => Key::Trade(r.symbol.clone(), t.order_id, t.trade_id),
            None => Key::Order(
                r.symbol.clone(),
                r.order_id,
                r.status.as_str().to_string(),
                r.executed_qty.to_string(),
            ),
        };
        if !self.seen.insert(key.clone()) {
            return false;
        }
        self.order.push_back(key);
        if self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }
}
