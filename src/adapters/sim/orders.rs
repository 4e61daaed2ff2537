//! One order inside the simulated exchange: its Binance-visible state plus what the engine
//! needs (pending trigger, remaining lock).

use super::trailing::Trigger;
use crate::core::client_id::ClientOrderId;
use crate::core::money::{Amount, Price, Qty, Quote};
use crate::core::order::{ExpiryReason, OrderSpec, OrderStatus, OrderType, Side, TimeInForce};
use crate::core::symbol::Symbol;
pub use crate::ports::exchange::OrderRef;
use crate::ports::exchange::OrderReport;

/// An order as the engine keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimOrder {
    /// Exchange order id.
    pub id: u64,
    /// Client order id.
    pub client_id: ClientOrderId,
    /// What was placed.
    pub spec: OrderSpec,
    /// Current status.
    pub status: OrderStatus,
    /// Executed base quantity.
    pub executed: Qty,
    /// Executed quote (`cummulativeQuoteQty`).
    pub cum_quote: Quote,
    /// Creation time, Unix ms; the order only sees candles opening at or after it.
    pub time_ms: i64,
    /// Last update, Unix ms.
    pub update_ms: i64,
    /// The pending stop or trailing condition; `None` once working (on the book).
    pub trigger: Option<Trigger>,
    /// What is still locked for this order (quote for buys with a limit price, base for
    /// sells).
    pub locked: Amount,
    /// Why it expired (`expiryReason`), when it did.
    pub expiry_reason: Option<ExpiryReason>,
    /// Amends so far (`MAX_NUM_ORDER_AMENDS`).
    pub amends: u32,
}

impl SimOrder {
    /// Quantity still to execute.
    pub fn remaining(&self) -> Qty {
        self.spec.qty - self.executed
    }

    /// Buy or sell.
    pub fn side(&self) -> Side {
        self.spec.side
    }

    /// The limit price a working order rests at (`None` for market and market stops).
    pub fn limit(&self) -> Option<Price> {
        if self.spec.order_type.has_limit_price() {
            self.spec.price
        } else {
            None
        }
    }

    /// Time in force (GTC when not given: market orders never rest anyway).
    pub fn tif(&self) -> TimeInForce {
        self.spec.time_in_force.unwrap_or(TimeInForce::Gtc)
    }

    /// True while the stop condition has not fired (counts against `MAX_NUM_ALGO_ORDERS`).
    pub fn is_pending_stop(&self) -> bool {
        self.trigger.is_some()
    }

    /// Whether a working limit at `limit` would take liquidity at market price `price`.
    pub fn marketable_at(&self, price: Price) -> bool {
        match (self.limit(), self.side()) {
            (None, _) => true,
            (Some(l), Side::Buy) => l >= price,
            (Some(l), Side::Sell) => l <= price,
        }
    }

    /// True for market orders and triggered market stops (no price to rest at).
    pub fn is_market_like(&self) -> bool {
        matches!(
            self.spec.order_type,
            OrderType::Market | OrderType::StopLoss | OrderType::TakeProfit
        )
    }

    /// The Binance view of this order.
    pub fn report(&self, symbol: &Symbol) -> OrderReport {
        OrderReport {
            symbol: symbol.clone(),
            order_id: self.id,
            client_id: self.client_id.clone(),
            side: self.spec.side,
            spec: self.spec.clone(),
            status: self.status,
            executed_qty: self.executed,
            cumulative_quote: self.cum_quote,
            time_ms: self.time_ms,
            update_ms: self.update_ms,
            expiry_reason: self.expiry_reason.clone(),
        }
    }
}
