//! The exchange port: what the bot needs from Binance (or the simulated exchange).
//!
//! Dispatch: the trait uses native `async fn` and is used generically (`impl Exchange`) by the
//! orchestrator, so each adapter is monomorphised and nothing is boxed on the hot path. The
//! in-process simulated exchange also offers a synchronous API for the backtester.
//!
//! Errors are split by what the caller must do ([`ExchangeError`]): retry later, treat as
//! rejected, or resolve an *unknown outcome* by querying the client order id before anything
//! is re-sent.

use crate::core::candle::Candle;
use crate::core::client_id::ClientOrderId;
use crate::core::fill::Balance;
use crate::core::filters::account::AccountFilters;
use crate::core::filters::SymbolRules;
use crate::core::money::{Amount, Price, Qty, Quote};
use crate::core::order::{ExpiryReason, OrderSpec, OrderStatus, Side};
use crate::core::symbol::{Asset, Symbol};
use serde::{Deserialize, Serialize};
use std::future::Future;

pub use crate::core::order::OrderRef;

/// Room for the clocks inside the exchange (the gateway that checks a request's time, the
/// engine that stamps the order): see [`earliest_created_ms`].
const CLOCK_ROOM_MS: i64 = 5_000;

/// The earliest creation time an order placed by a request sent at server time `sent_ms` can
/// show. Binance refuses a `timestamp` more than 1 s ahead of its clock (-1021), and a bot's
/// intent carries the server time read before the request; the rest is room for the
/// exchange's internal clocks. An order with our client id created before this is a
/// *namesake* (ids are unique only among open orders), not the request's; a namesake from
/// another journal is minutes or days older.
pub fn earliest_created_ms(sent_ms: i64) -> i64 {
    sent_ms - CLOCK_ROOM_MS
}

/// An order to place: symbol, our client id, and what to place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrder {
    /// The pair.
    pub symbol: Symbol,
    /// Our client order id (`newClientOrderId`).
    pub client_id: ClientOrderId,
    /// What to place. `spec.slot` is ours only; the exchange never sees it.
    pub spec: OrderSpec,
}

/// The exchange's view of one order (`GET /api/v3/order`, `openOrders`, place responses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderReport {
    /// The pair.
    pub symbol: Symbol,
    /// Exchange order id.
    pub order_id: u64,
    /// Client order id.
    pub client_id: ClientOrderId,
    /// Buy or sell.
    pub side: Side,
    /// Order type, price, quantity, stop and trailing parameters as placed
    /// (`slot` is filled in by whoever knows it from the client id).
    pub spec: OrderSpec,
    /// Status.
    pub status: OrderStatus,
    /// Executed base quantity.
    pub executed_qty: Qty,
    /// Executed quote amount (`cummulativeQuoteQty`).
    pub cumulative_quote: Quote,
    /// Creation time, Unix ms.
    pub time_ms: i64,
    /// Last update time, Unix ms.
    pub update_ms: i64,
    /// Why an `EXPIRED` order expired (`expiryReason`), when Binance says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_reason: Option<ExpiryReason>,
}

/// An order on the account that is not ours (its client id does not carry our prefix): manual
/// trading, another bot, a leg of an OTO/OTOCO list still `PENDING_NEW`, a type or status this
/// client does not know. Kept opaque, as Binance sent it: nothing of ours may act on it, but
/// it is not hidden either (it locks funds and counts against the order filters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignOrder {
    /// Exchange order id, when readable.
    pub order_id: Option<u64>,
    /// Client order id as sent (possibly not one Binance lets us send).
    pub client_id: String,
    /// `side`, `type` and `status` as sent (empty when absent).
    pub side: String,
    /// Order type text.
    pub order_type: String,
    /// Status text.
    pub status: String,
    /// Why it is not read further: "not ours", or what could not be read.
    pub note: String,
}

/// The orders of an `openOrders` or `allOrders` answer: ours (our client-id prefix), readable
/// in full, and the foreign ones set aside. An order of ours that cannot be read fails the
/// whole answer; a foreign one never does. Derefs to our orders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Orders {
    /// Orders whose client id carries our prefix.
    pub ours: Vec<OrderReport>,
    /// Everyone else's.
    pub foreign: Vec<ForeignOrder>,
}

impl std::ops::Deref for Orders {
    type Target = [OrderReport];
    fn deref(&self) -> &[OrderReport] {
        &self.ours
    }
}

impl IntoIterator for Orders {
    type Item = OrderReport;
    type IntoIter = std::vec::IntoIter<OrderReport>;
    fn into_iter(self) -> Self::IntoIter {
        self.ours.into_iter()
    }
}

impl<'a> IntoIterator for &'a Orders {
    type Item = &'a OrderReport;
    type IntoIter = std::slice::Iter<'a, OrderReport>;
    fn into_iter(self) -> Self::IntoIter {
        self.ours.iter()
    }
}

/// One trade of ours (`GET /api/v3/myTrades`): no client id, only the exchange order id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeTrade {
    /// The pair.
    pub symbol: Symbol,
    /// Trade id (unique per symbol, increasing).
    pub trade_id: u64,
    /// Exchange order id.
    pub order_id: u64,
    /// Buy or sell.
    pub side: Side,
    /// Execution price.
    pub price: Price,
    /// Executed base quantity.
    pub qty: Qty,
    /// Executed quote amount.
    pub quote_qty: Quote,
    /// Commission amount.
    pub commission: Amount,
    /// Commission asset.
    pub commission_asset: Asset,
    /// Whether we were the maker.
    pub is_maker: bool,
    /// Execution time, Unix ms.
    pub time_ms: i64,
}

/// Account state (`GET /api/v3/account`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Non-zero balances.
    pub balances: Vec<Balance>,
    /// Maker fee as a fraction (0.001 = 0.1 %).
    pub maker_rate: rust_decimal::Decimal,
    /// Taker fee as a fraction.
    pub taker_rate: rust_decimal::Decimal,
    /// Whether trading is allowed on the account.
    pub can_trade: bool,
    /// Whether the account (through this key) may withdraw: a trading bot never needs it,
    /// and a leaked key that can withdraw loses everything.
    #[serde(default)]
    pub can_withdraw: bool,
}

/// Best bid and ask (`GET /api/v3/ticker/bookTicker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookTicker {
    /// Best bid price.
    pub bid: Price,
    /// Best ask price.
    pub ask: Price,
}

/// A Binance API error: code and message exactly as Binance sends them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("Binance error {code}: {msg}")]
pub struct ApiError {
    /// Binance error code (negative).
    pub code: i32,
    /// Binance message text.
    pub msg: String,
}

impl ApiError {
    /// -2010 "Account has insufficient balance for requested action.": the funds are not
    /// there (now); sending the same order again will not change that.
    pub fn is_insufficient_balance(&self) -> bool {
        self.code == codes::NEW_ORDER_REJECTED && self.msg.contains("insufficient balance")
    }

    /// The filter named by "Filter failure: NAME" (-1013, also -2010 and cancelReplace):
    /// the order broke the symbol's rules, which may have changed since they were read.
    pub fn filter_failure(&self) -> Option<&str> {
        let name = self.msg.strip_prefix("Filter failure:")?.trim_start();
        let end = name
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .unwrap_or(name.len());
        Some(&name[..end])
    }
}

/// Binance error codes the bot acts on (see `errors.md`).
pub mod codes {
    /// Unknown error.
    pub const UNKNOWN: i32 = -1000;
    /// Too many requests / IP banned.
    pub const TOO_MANY_REQUESTS: i32 = -1003;
    /// Unexpected response from the message bus: execution status unknown.
    pub const UNEXPECTED_RESP: i32 = -1006;
    /// Backend timeout: execution status unknown.
    pub const TIMEOUT: i32 = -1007;
    /// Too many new orders.
    pub const TOO_MANY_ORDERS: i32 = -1015;
    /// Timestamp outside recvWindow.
    pub const INVALID_TIMESTAMP: i32 = -1021;
    /// Signature invalid.
    pub const INVALID_SIGNATURE: i32 = -1022;
    /// Illegal characters in a parameter.
    pub const ILLEGAL_CHARS: i32 = -1100;
    /// Too many parameters / missing / malformed (-1101 … -1106).
    pub const MANDATORY_PARAM_EMPTY_OR_MALFORMED: i32 = -1102;
    /// Invalid symbol.
    pub const BAD_SYMBOL: i32 = -1121;
    /// "More than %s hours between startTime and endTime."
    pub const BAD_TIME_WINDOW: i32 = -1127;
    /// Filter failure and other invalid-order reasons.
    pub const FILTER_FAILURE: i32 = -1013;
    /// New order rejected (insufficient balance, would take, …).
    pub const NEW_ORDER_REJECTED: i32 = -2010;
    /// Cancel rejected (unknown order …).
    pub const CANCEL_REJECTED: i32 = -2011;
    /// Order does not exist.
    pub const NO_SUCH_ORDER: i32 = -2013;
    /// API key format invalid.
    pub const BAD_API_KEY_FMT: i32 = -2014;
    /// Invalid API key, IP or permissions.
    pub const REJECTED_MBX_KEY: i32 = -2015;
    /// cancelReplace: cancel failed, new order not attempted or failed.
    pub const CANCEL_REPLACE_PARTIAL: i32 = -2021;
    /// cancelReplace: both halves failed.
    pub const CANCEL_REPLACE_FAILED: i32 = -2022;
}

/// What went wrong talking to the exchange, split by what the caller must do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    /// The exchange answered and refused: nothing happened. Do not retry unchanged.
    #[error("rejected: {0}")]
    Rejected(ApiError),
    /// The request may or may not have taken effect (timeout, 5xx, -1006, -1007, dropped
    /// connection after sending). Resolve by querying before anything is re-sent.
    #[error("outcome unknown: {0}")]
    Unknown(String),
    /// Rate limited (429) or banned (418): no request until `retry_after_ms` has passed.
    #[error("rate limited for {retry_after_ms} ms{}", if *banned { " (IP banned)" } else { "" })]
    RateLimited {
        /// How long to stay quiet.
        retry_after_ms: u64,
        /// True for a 418 ban.
        banned: bool,
    },
    /// The request never reached the exchange (connect failed): safe to retry.
    #[error("transport: {0}")]
    Transport(String),
    /// Our clock is off (-1021): resync time; says nothing about any order.
    #[error("timestamp outside recvWindow: {0}")]
    ClockSkew(ApiError),
}

/// The exchange as the bot sees it.
pub trait Exchange: Send + Sync {
    /// Trading rules of one symbol (`exchangeInfo`).
    fn symbol_rules(
        &self,
        symbol: &Symbol,
    ) -> impl Future<Output = Result<SymbolRules, ExchangeError>> + Send;
    /// [`Self::symbol_rules`] read now, past any cache: the bot watches the symbol's status
    /// (`CANCEL_ONLY` and friends) with it. Adapters without a cache keep the default.
    fn symbol_rules_fresh(
        &self,
        symbol: &Symbol,
    ) -> impl Future<Output = Result<SymbolRules, ExchangeError>> + Send {
        self.symbol_rules(symbol)
    }
    /// The account's filters on `symbol` (`GET /api/v3/myFilters`: `MAX_ASSET`). Adapters
    /// with no account filters keep the default: none.
    fn account_filters(
        &self,
        _symbol: &Symbol,
    ) -> impl Future<Output = Result<AccountFilters, ExchangeError>> + Send {
        async { Ok(AccountFilters::default()) }
    }
    /// Server time, Unix ms.
    fn server_time(&self) -> impl Future<Output = Result<i64, ExchangeError>> + Send;
    /// Request weight used in the current one-minute window, when the client tracks it (for
    /// the metrics; no request is made).
    fn used_weight(&self) -> Option<u64> {
        None
    }
    /// Last traded price.
    fn ticker_price(
        &self,
        symbol: &Symbol,
    ) -> impl Future<Output = Result<Price, ExchangeError>> + Send;
    /// The price of `symbol` at `time_ms`: the close of the one-minute candle holding that
    /// moment. A fee paid in a third asset is valued at its fill, not at a later sync.
    fn price_at(
        &self,
        symbol: &Symbol,
        time_ms: i64,
    ) -> impl Future<Output = Result<Price, ExchangeError>> + Send;
    /// Closed one-minute candles of `symbol`, oldest first, at most `limit` (1–1000): with
    /// `from_open_ms` those opening at or after it, else the most recent. Closed means closed
    /// at the server's time: Binance's last row is the minute still open (its close so far),
    /// which an indicator must never read, so it is never returned. A minute with no candle
    /// on the exchange (a halt, maintenance) is simply absent.
    fn closed_candles(
        &self,
        symbol: &Symbol,
        from_open_ms: Option<i64>,
        limit: u16,
    ) -> impl Future<Output = Result<Vec<Candle>, ExchangeError>> + Send;
    /// Best bid and ask.
    fn book_ticker(
        &self,
        symbol: &Symbol,
    ) -> impl Future<Output = Result<BookTicker, ExchangeError>> + Send;
    /// Balances and fee rates.
    fn account(&self) -> impl Future<Output = Result<Account, ExchangeError>> + Send;
    /// Open orders of one symbol: ours, and the foreign ones set aside.
    fn open_orders(
        &self,
        symbol: &Symbol,
    ) -> impl Future<Output = Result<Orders, ExchangeError>> + Send;
    /// Places an order.
    fn place(
        &self,
        order: &NewOrder,
    ) -> impl Future<Output = Result<OrderReport, ExchangeError>> + Send;
    /// Looks an order up; `Ok(None)` when the exchange says it does not exist.
    fn query(
        &self,
        symbol: &Symbol,
        order: &OrderRef,
    ) -> impl Future<Output = Result<Option<OrderReport>, ExchangeError>> + Send;
    /// Cancels an open order.
    fn cancel(
        &self,
        symbol: &Symbol,
        order: &OrderRef,
    ) -> impl Future<Output = Result<OrderReport, ExchangeError>> + Send;
    /// Reduces an open order's total quantity to `new_qty` in place, keeping its queue place
    /// (`order/amend/keepPriority`); it then carries `new_id`. `Unknown` only when a lookup
    /// could not tell whether the amend took effect (re-sending it is harmless).
    fn amend(
        &self,
        symbol: &Symbol,
        order: &OrderRef,
        new_qty: Qty,
        new_id: &ClientOrderId,
    ) -> impl Future<Output = Result<OrderReport, ExchangeError>> + Send;
    /// Orders of one symbol, every status, oldest first, at most 1000 (`allOrders`): those
    /// created in the 24 hours from `since_ms`, or with `None` the most recent. Ours, and the
    /// foreign ones set aside (the 1000 count both).
    fn all_orders(
        &self,
        symbol: &Symbol,
        since_ms: Option<i64>,
    ) -> impl Future<Output = Result<Orders, ExchangeError>> + Send;
    /// Our trades of one symbol with trade id ≥ `from_id`, oldest first (at most 1000).
    fn my_trades(
        &self,
        symbol: &Symbol,
        from_id: u64,
    ) -> impl Future<Output = Result<Vec<ExchangeTrade>, ExchangeError>> + Send;
}

impl From<OrderReport> for crate::core::order::OpenOrder {
    /// The reconciler's view of an exchange report (the slot comes from our client id).
    fn from(report: OrderReport) -> Self {
        Self {
            client_id: report.client_id,
            exchange_id: Some(report.order_id),
            spec: report.spec,
            executed_qty: report.executed_qty,
            status: report.status,
        }
    }
}

impl ExchangeTrade {
    /// This trade as a fill of the order in `slot` (the slot comes from our records).
    pub fn to_fill(&self, slot: crate::core::order::Slot) -> crate::core::fill::Fill {
        crate::core::fill::Fill {
            trade_id: self.trade_id,
            order_id: self.order_id,
            slot,
            side: self.side,
            price: self.price,
            qty: self.qty,
            commission: crate::core::fill::Commission {
                amount: self.commission,
                asset: self.commission_asset.clone(),
                quote_value: None,
            },
            is_maker: self.is_maker,
            time_ms: self.time_ms,
        }
    }
}
