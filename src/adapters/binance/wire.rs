//! serde mirrors of Binance spot REST JSON, field names as Binance spells them.
//!
//! Decimals stay `String` here; [`super::parse`] turns them into exact money types in one place.
//! Integers (ids, times) are read from JSON numbers or from numeric strings, because recorded
//! payloads (ccxt's fixtures) sometimes carry them as strings. Unknown fields are ignored so a
//! new Binance field never breaks the client. Each struct names the `rest-api.md` section it
//! mirrors.

use serde::{Deserialize, Deserializer};

mod lenient;

fn de_u32_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match lenient::opt_i64(d)? {
        None => Ok(None),
        Some(v) => u32::try_from(v)
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("{v} is out of range"))),
    }
}

/// An error body: `{"code": -1121, "msg": "Invalid symbol."}` (`errors.md`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorBody {
    /// Binance error code.
    pub code: i32,
    /// Binance message.
    pub msg: String,
}

/// `GET /api/v3/time` — "Check server time".
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTime {
    /// Server time, Unix ms.
    #[serde(deserialize_with = "lenient::i64")]
    pub server_time: i64,
}

/// One entry of `exchangeInfo.rateLimits` — "ENUM definitions / Rate limiters". Every field is
/// optional because the documentation's own example is `{}`; incomplete entries are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitWire {
    /// `REQUEST_WEIGHT`, `ORDERS` or `RAW_REQUESTS`.
    #[serde(default)]
    pub rate_limit_type: Option<String>,
    /// `SECOND`, `MINUTE`, `HOUR` or `DAY`.
    #[serde(default)]
    pub interval: Option<String>,
    /// How many intervals one window spans.
    #[serde(default)]
    pub interval_num: Option<u64>,
    /// Allowed count per window.
    #[serde(default)]
    pub limit: Option<u64>,
}

/// The parts of `GET /api/v3/exchangeInfo` ("Exchange information") this client reads itself.
/// Symbol filters are parsed by the core (`crate::core::filters::parse`), not here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeInfoLimits {
    /// Server time, Unix ms.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub server_time: Option<i64>,
    /// Live rate limits.
    #[serde(default)]
    pub rate_limits: Vec<RateLimitWire>,
}

/// `GET /api/v3/ticker/price` — "Symbol price ticker" (one symbol).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TickerPrice {
    /// The pair.
    pub symbol: String,
    /// Last price.
    pub price: String,
}

/// `GET /api/v3/ticker/bookTicker` — "Symbol order book ticker" (one symbol).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookTickerWire {
    /// The pair.
    pub symbol: String,
    /// Best bid price.
    pub bid_price: String,
    /// Quantity at the best bid.
    pub bid_qty: String,
    /// Best ask price.
    pub ask_price: String,
    /// Quantity at the best ask.
    pub ask_qty: String,
}

/// One row of `GET /api/v3/klines` — "Kline/Candlestick data": a JSON array, read by position
/// (extra trailing elements are ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kline {
    /// Open time, Unix ms.
    pub open_time: i64,
    /// Open price.
    pub open: String,
    /// High price.
    pub high: String,
    /// Low price.
    pub low: String,
    /// Close price.
    pub close: String,
    /// Base volume.
    pub volume: String,
    /// Close time, Unix ms.
    pub close_time: i64,
    /// Quote volume.
    pub quote_volume: String,
    /// Number of trades.
    pub trades: u64,
}

impl<'de> Deserialize<'de> for Kline {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        use serde_json::Value;
        let row: Vec<Value> = Vec::deserialize(d)?;
        if row.len() < 9 {
            return Err(D::Error::custom(format!(
                "kline has {} fields, expected at least 9",
                row.len()
            )));
        }
        let int = |i: usize| -> Result<i64, D::Error> {
            match &row[i] {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.parse().ok(),
                _ => None,
            }
            .ok_or_else(|| D::Error::custom(format!("kline field {i} is not an integer")))
        };
        let text = |i: usize| -> Result<String, D::Error> {
            match &row[i] {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(D::Error::custom(format!(
                    "kline field {i} is not a decimal"
                ))),
            }
        };
        Ok(Kline {
            open_time: int(0)?,
            open: text(1)?,
            high: text(2)?,
            low: text(3)?,
            close: text(4)?,
            volume: text(5)?,
            close_time: int(6)?,
            quote_volume: text(7)?,
            trades: u64::try_from(int(8)?).map_err(D::Error::custom)?,
        })
    }
}

/// `commissionRates` of `GET /api/v3/account` and the rate blocks of `account/commission`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CommissionRates {
    /// Maker rate (fraction).
    pub maker: String,
    /// Taker rate (fraction).
    pub taker: String,
    /// Buyer rate (fraction).
    pub buyer: String,
    /// Seller rate (fraction).
    pub seller: String,
}

/// One entry of `balances` in `GET /api/v3/account`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BalanceWire {
    /// Asset name.
    pub asset: String,
    /// Free amount.
    pub free: String,
    /// Locked amount.
    pub locked: String,
}

/// `GET /api/v3/account` — "Account information (USER_DATA)".
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountWire {
    /// Fee rates as fractions.
    pub commission_rates: CommissionRates,
    /// Whether the account may trade.
    pub can_trade: bool,
    /// Whether the account may withdraw.
    #[serde(default)]
    pub can_withdraw: bool,
    /// Whether the account may deposit.
    #[serde(default)]
    pub can_deposit: bool,
    /// Last update, Unix ms.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub update_time: Option<i64>,
    /// `SPOT`, …
    #[serde(default)]
    pub account_type: Option<String>,
    /// Balances (all assets, or non-zero with `omitZeroBalances=true`).
    pub balances: Vec<BalanceWire>,
    /// Permissions, e.g. `["SPOT"]`.
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// `discount` block of `GET /api/v3/account/commission`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommissionDiscount {
    /// Discount enabled for the account.
    pub enabled_for_account: bool,
    /// Discount enabled for the symbol.
    pub enabled_for_symbol: bool,
    /// Asset that pays at a discount (BNB).
    pub discount_asset: String,
    /// Multiplier applied to the standard rate when paying with the discount asset.
    pub discount: String,
}

/// `GET /api/v3/account/commission` — "Query Commission Rates (USER_DATA)".
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountCommission {
    /// The pair.
    pub symbol: String,
    /// Standard rates.
    pub standard_commission: CommissionRates,
    /// Special rates added on top (may be absent).
    #[serde(default)]
    pub special_commission: Option<CommissionRates>,
    /// Tax rates added on top.
    pub tax_commission: CommissionRates,
    /// BNB discount.
    pub discount: CommissionDiscount,
}

/// `POST /api/v3/order` with `newOrderRespType=ACK` — "New order (TRADE)", Response - ACK.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderAck {
    /// The pair.
    pub symbol: String,
    /// Exchange order id.
    #[serde(deserialize_with = "lenient::u64")]
    pub order_id: u64,
    /// Order list id (-1 for plain orders).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub order_list_id: Option<i64>,
    /// Client order id.
    pub client_order_id: String,
    /// Acceptance time, Unix ms.
    #[serde(deserialize_with = "lenient::i64")]
    pub transact_time: i64,
}

/// One entry of `fills` in a FULL order response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FillWire {
    /// Execution price.
    pub price: String,
    /// Executed base quantity.
    pub qty: String,
    /// Commission amount.
    pub commission: String,
    /// Commission asset.
    pub commission_asset: String,
    /// Trade id.
    #[serde(deserialize_with = "lenient::u64")]
    pub trade_id: u64,
}

/// An order as Binance reports it. One struct covers every shape that carries an order's
/// state: "New order" RESULT and FULL, "Query order", "Current open orders", "Cancel order",
/// the orders of "Cancel All Open Orders on a Symbol" and the halves of "cancelReplace".
/// Fields that only some endpoints send are `Option`; `status` is absent only in ACK shapes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderWire {
    /// The pair.
    pub symbol: String,
    /// Exchange order id.
    #[serde(deserialize_with = "lenient::u64")]
    pub order_id: u64,
    /// Order list id (-1 for plain orders).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub order_list_id: Option<i64>,
    /// Client order id (for a cancel: the id of the cancel request itself).
    pub client_order_id: String,
    /// For a cancel: the client id of the order that was cancelled.
    #[serde(default)]
    pub orig_client_order_id: Option<String>,
    /// Time of the action (place, cancel), Unix ms.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub transact_time: Option<i64>,
    /// Limit price (`"0.00000000"` for market orders).
    #[serde(default)]
    pub price: Option<String>,
    /// Ordered base quantity.
    #[serde(default)]
    pub orig_qty: Option<String>,
    /// Executed base quantity.
    #[serde(default)]
    pub executed_qty: Option<String>,
    /// Executed quote amount (Binance's spelling).
    #[serde(default)]
    pub cummulative_quote_qty: Option<String>,
    /// Order status.
    #[serde(default)]
    pub status: Option<String>,
    /// Time in force.
    #[serde(default)]
    pub time_in_force: Option<String>,
    /// Order type.
    #[serde(default, rename = "type")]
    pub order_type: Option<String>,
    /// `BUY` or `SELL`.
    #[serde(default)]
    pub side: Option<String>,
    /// Stop price (`"0.0"` when none).
    #[serde(default)]
    pub stop_price: Option<String>,
    /// Trailing delta in BIPS, for trailing stops.
    #[serde(default, deserialize_with = "de_u32_opt")]
    pub trailing_delta: Option<u32>,
    /// Creation time (query / open orders), Unix ms.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub time: Option<i64>,
    /// Last update time (query / open orders), Unix ms.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub update_time: Option<i64>,
    /// When the order started working on the book, Unix ms.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub working_time: Option<i64>,
    /// Executions (FULL responses only).
    #[serde(default)]
    pub fills: Vec<FillWire>,
    /// Why an expired order expired (`NONE`, `EXECUTION_RULE_PRICE_RANGE_EXCEEDED`, …; an
    /// open set, since 2026-03).
    #[serde(default)]
    pub expiry_reason: Option<String>,
    /// Self-trade prevention mode (`NONE`, `EXPIRE_TAKER`, …, `DECREMENT`, `TRANSFER`): an
    /// open set kept as text, so a mode added later never fails a read.
    #[serde(default)]
    pub self_trade_prevention_mode: Option<String>,
}

/// An order list in "Cancel All Open Orders on a Symbol" (OCO and friends).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderListWire {
    /// Order list id.
    #[serde(deserialize_with = "lenient::i64")]
    pub order_list_id: i64,
    /// `OCO`, `OTO`, …
    pub contingency_type: String,
    /// List status.
    pub list_order_status: String,
    /// The orders of the list after the action.
    pub order_reports: Vec<OrderWire>,
}

/// One element of `DELETE /api/v3/openOrders`: a plain order or an order list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum CancelAllItem {
    /// An order list (tried first: it requires `contingencyType`).
    List(OrderListWire),
    /// A plain order.
    Order(Box<OrderWire>),
}

/// One half of a cancelReplace response: an order, or an error in a 409 body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum CancelReplaceHalf {
    /// The half failed with this error.
    Error(ErrorBody),
    /// The half succeeded (RESULT shape, or ACK shape for the new order).
    Order(Box<OrderWire>),
}

/// `POST /api/v3/order/cancelReplace` success body, and the `data` of its 409 bodies
/// ("Cancel an Existing Order and Send a New Order (TRADE)").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelReplaceData {
    /// `SUCCESS` or `FAILURE`.
    pub cancel_result: String,
    /// `SUCCESS`, `FAILURE` or `NOT_ATTEMPTED`.
    pub new_order_result: String,
    /// The cancel half.
    pub cancel_response: CancelReplaceHalf,
    /// The new-order half (`null` when not attempted).
    #[serde(default)]
    pub new_order_response: Option<CancelReplaceHalf>,
}

/// The 409 body of cancelReplace: `-2021` (one half failed) or `-2022` (both failed).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CancelReplaceFailure {
    /// `-2021` or `-2022`.
    pub code: i32,
    /// Binance message.
    pub msg: String,
    /// What each half did.
    pub data: CancelReplaceData,
}

/// `GET /api/v3/myTrades` — "Account trade list (USER_DATA)".
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MyTrade {
    /// The pair.
    pub symbol: String,
    /// Trade id.
    #[serde(deserialize_with = "lenient::u64")]
    pub id: u64,
    /// Exchange order id.
    #[serde(deserialize_with = "lenient::u64")]
    pub order_id: u64,
    /// Order list id (-1 for plain orders).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub order_list_id: Option<i64>,
    /// Execution price.
    pub price: String,
    /// Executed base quantity.
    pub qty: String,
    /// Executed quote amount.
    pub quote_qty: String,
    /// Commission amount.
    pub commission: String,
    /// Commission asset.
    pub commission_asset: String,
    /// Execution time, Unix ms.
    #[serde(deserialize_with = "lenient::i64")]
    pub time: i64,
    /// Whether we bought.
    pub is_buyer: bool,
    /// Whether we were the maker.
    pub is_maker: bool,
    /// Best-price match flag.
    #[serde(default)]
    pub is_best_match: Option<bool>,
}
