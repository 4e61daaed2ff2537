//! Order Amend Keep Priority (`PUT /api/v3/order/amend/keepPriority`, 2025): reduce the
//! quantity of an open order in place. It keeps its order id and its place among the open
//! orders (this engine fills by candle path, so "queue place" is its position in the book's
//! list, which an amend does not touch); the reservation shrinks with it.
//!
//! Checks, in order: symbol (-1121), `amendAllowed` (-2038 "Order amend is not supported for
//! this symbol."), status `TRADING` (-2038 "Market is closed."), the order is open (-2038
//! "Unknown order sent."), `newQty` below the order's quantity (-2038 "Order amend (quantity
//! increase) is not supported." / "The requested action would change no state; rejecting"),
//! the symbol's filters on the amended order (-1013), `MAX_NUM_ORDER_AMENDS` (-1013
//! "Filter failure: MAX_NUM_ORDER_AMENDS"). A `newQty` at or below the executed quantity
//! ends the order: `EXPIRED`, its quantity the executed one.

use super::engine::SimExchange;
use super::errors;
use super::orders::OrderRef;
use crate::core::client_id::ClientOrderId;
use crate::core::filters::SymbolStatus;
use crate::core::money::Qty;
use crate::core::order::{OrderStatus, Side};
use crate::core::symbol::Symbol;
use crate::ports::exchange::{codes, ApiError, OrderReport};

/// Binance's code for a refused amend.
pub const ORDER_AMEND_REJECTED: i32 = -2038;

/// What exchangeInfo says about amending on a symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AmendRules {
    /// `amendAllowed`.
    pub allowed: bool,
    /// `MAX_NUM_ORDER_AMENDS.maxNumOrderAmends`: amends one order may have.
    pub max_amends: Option<u32>,
}

fn refused(msg: &str) -> ApiError {
    ApiError {
        code: ORDER_AMEND_REJECTED,
        msg: msg.to_string(),
    }
}

impl SimExchange {
    /// Reduces an open order's quantity to `new_qty` in place; `new_id` becomes its client id.
    pub fn amend_keep_priority(
        &mut self,
        symbol: &Symbol,
        order: &OrderRef,
        new_qty: Qty,
        new_id: ClientOrderId,
        rules: AmendRules,
        now_ms: i64,
    ) -> Result<OrderReport, ApiError> {
        let s = self.sym(symbol)?;
        if !rules.allowed {
            return Err(refused("Order amend is not supported for this symbol."));
        }
        if self.books[s].rules.status != SymbolStatus::Trading {
            return Err(refused("Market is closed."));
        }
        let i = self.books[s]
            .find_open(order)
            .ok_or_else(|| refused("Unknown order sent."))?;
        let book = &self.books[s];
        let o = &book.open[i];
        if new_qty == o.spec.qty {
            return Err(refused(
                "The requested action would change no state; rejecting",
            ));
        }
        if new_qty > o.spec.qty || !new_qty.is_positive() {
            return Err(refused("Order amend (quantity increase) is not supported."));
        }
        let mut amended = o.spec.clone();
        amended.qty = new_qty;
        if new_qty > o.executed {
            book.rules
                .filters
                .check(&amended, book.last)
                .map_err(|v| errors::filter_failure(&v))?;
        }
        if rules.max_amends.is_some_and(|max| o.amends >= max) {
            return Err(ApiError {
                code: codes::FILTER_FAILURE,
                msg: "Filter failure: MAX_NUM_ORDER_AMENDS".into(),
            });
        }
        let (side, price, old_qty, executed) = (o.side(), o.limit(), o.spec.qty, o.executed);
        let kept = new_qty.max(executed);
        let released = match (side, price) {
            (Side::Buy, Some(p)) => (p * (old_qty - kept)).as_amount(),
            (Side::Buy, None) => crate::core::money::Amount::ZERO,
            (Side::Sell, _) => (old_qty - kept).as_amount(),
        };
        let asset = match side {
            Side::Buy => self.books[s].rules.quote_asset.clone(),
            Side::Sell => self.books[s].rules.base_asset.clone(),
        };
        let released = released.min(self.books[s].open[i].locked);
        self.balances.unlock(&asset, released);
        let o = &mut self.books[s].open[i];
        o.locked -= released;
        o.spec.qty = kept;
        o.client_id = new_id;
        o.amends += 1;
        o.update_ms = now_ms;
        if new_qty <= executed {
            self.close_rest(s, i, OrderStatus::Expired, now_ms);
        }
        let report = self.books[s].open[i].report(symbol);
        self.books[s].archive_closed();
        self.books[s].refresh_bounds();
        Ok(report)
    }
}
