//! Orders as the strategy wants them ([`OrderSpec`]) and as they rest on the book ([`OpenOrder`]).

use crate::core::client_id::ClientOrderId;
use crate::core::money::{Price, Qty};
pub use crate::core::slot::{Side, Slot};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Binance spot order types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderType {
    /// Resting limit order.
    Limit,
    /// Limit order rejected if it would take liquidity.
    LimitMaker,
    /// Market order.
    Market,
    /// Stop that becomes a market order.
    StopLoss,
    /// Stop that becomes a limit order (sell: triggers when price falls to the stop).
    StopLossLimit,
    /// Take-profit that becomes a market order.
    TakeProfit,
    /// Take-profit that becomes a limit order (sell: triggers when price rises to the stop).
    TakeProfitLimit,
}

impl OrderType {
    /// Binance's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::Limit => "LIMIT",
            OrderType::LimitMaker => "LIMIT_MAKER",
            OrderType::Market => "MARKET",
            OrderType::StopLoss => "STOP_LOSS",
            OrderType::StopLossLimit => "STOP_LOSS_LIMIT",
            OrderType::TakeProfit => "TAKE_PROFIT",
            OrderType::TakeProfitLimit => "TAKE_PROFIT_LIMIT",
        }
    }

    /// Stop and take-profit types count against `MAX_NUM_ALGO_ORDERS`.
    pub fn is_algo(self) -> bool {
        matches!(
            self,
            OrderType::StopLoss
                | OrderType::StopLossLimit
                | OrderType::TakeProfit
                | OrderType::TakeProfitLimit
        )
    }

    /// Types that carry a limit price.
    pub fn has_limit_price(self) -> bool {
        matches!(
            self,
            OrderType::Limit
                | OrderType::LimitMaker
                | OrderType::StopLossLimit
                | OrderType::TakeProfitLimit
        )
    }
}

impl FromStr for OrderType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "LIMIT" => OrderType::Limit,
            "LIMIT_MAKER" => OrderType::LimitMaker,
            "MARKET" => OrderType::Market,
            "STOP_LOSS" => OrderType::StopLoss,
            "STOP_LOSS_LIMIT" => OrderType::StopLossLimit,
            "TAKE_PROFIT" => OrderType::TakeProfit,
            "TAKE_PROFIT_LIMIT" => OrderType::TakeProfitLimit,
            other => return Err(format!("unknown order type `{other}`")),
        })
    }
}

/// How long a limit order stays on the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TimeInForce {
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
}

impl TimeInForce {
    /// Binance's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeInForce::Gtc => "GTC",
            TimeInForce::Ioc => "IOC",
            TimeInForce::Fok => "FOK",
        }
    }
}

/// Binance order status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Accepted, nothing filled.
    New,
    /// Part filled, the rest rests.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Cancelled by the user.
    Canceled,
    /// Cancel in progress (currently unused by Binance).
    PendingCancel,
    /// Rejected by the engine.
    Rejected,
    /// Expired (IOC/FOK leftovers, STP, price-range rule).
    Expired,
    /// Expired by self-trade prevention.
    ExpiredInMatch,
}

impl OrderStatus {
    /// Binance's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "NEW",
            OrderStatus::PartiallyFilled => "PARTIALLY_FILLED",
            OrderStatus::Filled => "FILLED",
            OrderStatus::Canceled => "CANCELED",
            OrderStatus::PendingCancel => "PENDING_CANCEL",
            OrderStatus::Rejected => "REJECTED",
            OrderStatus::Expired => "EXPIRED",
            OrderStatus::ExpiredInMatch => "EXPIRED_IN_MATCH",
        }
    }

    /// True while the order can still trade.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::New | OrderStatus::PartiallyFilled)
    }
}

/// Why Binance expired an order (`expiryReason`, on expired orders since 2026-03). An open set
/// kept as Binance's text, so a reason added later never fails a read; `NONE` and empty mean
/// no reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExpiryReason(String);

impl ExpiryReason {
    /// A taker order tried to trade outside the price range around the reference price.
    pub const PRICE_RANGE: &'static str = "EXECUTION_RULE_PRICE_RANGE_EXCEEDED";

    /// The reason from Binance's text; `None` for `""` and `"NONE"`.
    pub fn new(text: &str) -> Option<Self> {
        let text = text.trim();
        (!text.is_empty() && text != "NONE").then(|| Self(text.to_string()))
    }

    /// Binance's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Expired by the Price Range Execution Rule: re-placing at once would expire again.
    pub fn is_price_range(&self) -> bool {
        self.0 == Self::PRICE_RANGE
    }
}

/// An order the strategy wants on the book: what, not which exchange id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSpec {
    /// Role inside the basket.
    pub slot: Slot,
    /// Buy or sell.
    pub side: Side,
    /// Binance order type.
    pub order_type: OrderType,
    /// Limit price, for types that have one.
    pub price: Option<Price>,
    /// Base quantity.
    pub qty: Qty,
    /// Stop (trigger) price, or activation price for a trailing stop.
    pub stop_price: Option<Price>,
    /// Trailing delta in BIPS (1 = 0.01 %), for trailing stops.
    pub trailing_delta: Option<u32>,
    /// Time in force for limit types (`None` for market orders).
    pub time_in_force: Option<TimeInForce>,
}

impl OrderSpec {
    /// A GTC limit order.
    pub fn limit(slot: Slot, price: Price, qty: Qty) -> Self {
        Self {
            slot,
            side: slot.side(),
            order_type: OrderType::Limit,
            price: Some(price),
            qty,
            stop_price: None,
            trailing_delta: None,
            time_in_force: Some(TimeInForce::Gtc),
        }
    }
}

/// One of our orders as it rests on the exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenOrder {
    /// Our client order id (carries basket, slot and revision).
    pub client_id: ClientOrderId,
    /// Exchange-assigned order id.
    pub exchange_id: Option<u64>,
    /// What was asked for (quantity is the original quantity).
    pub spec: OrderSpec,
    /// Quantity already executed.
    pub executed_qty: Qty,
    /// Current status.
    pub status: OrderStatus,
}

impl OpenOrder {
    /// Quantity still to fill.
    pub fn remaining_qty(&self) -> Qty {
        self.spec.qty - self.executed_qty
    }
}

/// How a lookup or cancel names an order.
///
/// Binance keeps client ids unique only among *open* orders: once an order is closed, another
/// order (a later journal's, or anyone's) may carry the same id, and a lookup by client id may
/// answer with either. The exchange order id is unambiguous, so whoever knows it uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRef {
    /// `orderId`.
    Id(u64),
    /// `origClientOrderId`.
    Client(ClientOrderId),
}

impl fmt::Display for OrderRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderRef::Id(id) => write!(f, "order {id}"),
            OrderRef::Client(c) => write!(f, "{c}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_reasons_are_an_open_set() {
        assert_eq!(ExpiryReason::new("NONE"), None);
        assert_eq!(ExpiryReason::new(""), None);
        let pr = ExpiryReason::new("EXECUTION_RULE_PRICE_RANGE_EXCEEDED").unwrap();
        assert!(pr.is_price_range());
        let later = ExpiryReason::new("SOMETHING_BINANCE_ADDS_LATER").unwrap();
        assert!(!later.is_price_range());
        assert_eq!(later.as_str(), "SOMETHING_BINANCE_ADDS_LATER");
    }

    #[test]
    fn slot_text_round_trips() {
        for slot in [
            Slot::Buy(1),
            Slot::Buy(12),
            Slot::Ext(3),
            Slot::Tp1,
            Slot::Tp2,
            Slot::Tr,
            Slot::Exit,
        ] {
            assert_eq!(slot.to_string().parse::<Slot>().unwrap(), slot);
        }
        for bad in ["B0", "B01", "B", "TP3", "Y1", "b1", ""] {
            assert!(bad.parse::<Slot>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn slot_sides() {
        assert_eq!(Slot::Buy(1).side(), Side::Buy);
        assert_eq!(Slot::Ext(1).side(), Side::Buy);
        assert_eq!(Slot::Tr.side(), Side::Sell);
    }
}
