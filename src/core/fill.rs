//! Executions (fills) and balances.

use crate::core::money::{Amount, Price, Qty, Quote};
use crate::core::order::{Side, Slot};
use crate::core::symbol::Asset;
use serde::{Deserialize, Serialize};

/// A fee paid on one fill, in whatever asset the exchange charged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commission {
    /// Amount charged.
    pub amount: Amount,
    /// Asset charged (quote, base, or BNB at a discount).
    pub asset: Asset,
    /// For a fee in a third asset (neither base nor quote, e.g. BNB): its value in the
    /// symbol's quote asset at the fill, as the bot journalled it (`amount` × the
    /// `<ASSET><QUOTE>` last price read when the fill was synced), so the P&L it enters is
    /// reproducible. `None` for base/quote fees, or when no price was available.
    #[serde(default)]
    pub quote_value: Option<Quote>,
}

/// One execution of one of our orders, as `myTrades` or an `executionReport` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    /// Exchange trade id: unique per symbol; fills are synced exactly once by it.
    pub trade_id: u64,
    /// Exchange order id of the order that filled.
    pub order_id: u64,
    /// Slot of the order inside its basket.
    pub slot: Slot,
    /// Buy or sell.
    pub side: Side,
    /// Execution price.
    pub price: Price,
    /// Executed base quantity (gross, before a base-asset commission).
    pub qty: Qty,
    /// Fee for this execution.
    pub commission: Commission,
    /// Whether our order was the maker.
    pub is_maker: bool,
    /// Execution time, Unix milliseconds.
    pub time_ms: i64,
}

impl Fill {
    /// Quote value of the execution (`price × qty`).
    pub fn notional(&self) -> Quote {
        self.price * self.qty
    }
}

/// Free and locked amounts of one asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// Asset name.
    pub asset: Asset,
    /// Available for new orders.
    pub free: Amount,
    /// Reserved by open orders.
    pub locked: Amount,
}

impl Balance {
    /// Free plus locked.
    pub fn total(&self) -> Amount {
        self.free + self.locked
    }
}
