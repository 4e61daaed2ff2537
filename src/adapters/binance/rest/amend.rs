//! `PUT /api/v3/order/amend/keepPriority` (weight 4, no ORDERS unit): reduce an open order's
//! quantity and keep its place in the queue.
//!
//! Unknown outcome: an amend to the same `newQty` cannot reduce twice (a repeat is refused
//! as "would change no state"), so resolution is simple: query the order; if its quantity is
//! `newQty` (or it has closed) that is the answer, otherwise the outcome stays `Unknown` and
//! the caller may send the same amend again.

use super::{unreadable, BinanceRest, Failure};
use crate::adapters::binance::endpoints;
use crate::adapters::binance::rate_limit::Priority;
use crate::adapters::binance::request::Params;
use crate::adapters::binance::transport::HttpTransport;
use crate::adapters::binance::{parse, wire};
use crate::core::client_id::ClientOrderId;
use crate::core::money::Qty;
use crate::core::symbol::Symbol;
use crate::ports::exchange::{ExchangeError, OrderRef, OrderReport};
use serde_json::Value;

/// `amendedOrder` in the order shape the parser knows (`qty` → `origQty`, Binance's
/// `cumulativeQuoteQty` → `cummulativeQuoteQty`, `transactTime` as the update time).
fn amended_order(body: &str) -> Result<wire::OrderWire, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let mut o = v.get("amendedOrder").cloned().ok_or("no amendedOrder")?;
    let m = o.as_object_mut().ok_or("amendedOrder is not an object")?;
    if let Some(q) = m.remove("qty") {
        m.insert("origQty".into(), q);
    }
    if let Some(q) = m.remove("cumulativeQuoteQty") {
        m.insert("cummulativeQuoteQty".into(), q);
    }
    // The order's own id, not the one it had before (`origClientOrderId` names that).
    m.remove("origClientOrderId");
    if let Some(t) = v.get("transactTime") {
        m.insert("updateTime".into(), t.clone());
        m.entry("time").or_insert_with(|| t.clone());
    }
    serde_json::from_value(o).map_err(|e| e.to_string())
}

impl<T: HttpTransport> BinanceRest<T> {
    /// Reduces `order` to `new_qty`, keeping its queue place; it then carries `new_id` (send
    /// the current id to keep it).
    pub async fn amend_keep_priority(
        &self,
        symbol: &Symbol,
        order: &OrderRef,
        new_qty: Qty,
        new_id: &ClientOrderId,
    ) -> Result<OrderReport, ExchangeError> {
        let params = match order {
            OrderRef::Id(id) => Params::new()
                .push("symbol", symbol.as_str())
                .push("orderId", *id),
            OrderRef::Client(c) => Params::new()
                .push("symbol", symbol.as_str())
                .push("origClientOrderId", c.as_str()),
        }
        .push("newClientOrderId", new_id.as_str())
        .push("newQty", new_qty.canonical());
        let path = endpoints::ORDER_AMEND.path;
        let reason = match self
            .call(&endpoints::ORDER_AMEND, &params, Priority::Normal)
            .await
        {
            Ok(sent) => match amended_order(&sent.response.body) {
                Ok(w) => {
                    return parse::order_report_ours(&w, &self.config.id_prefix)
                        .map_err(|e| unreadable(path, e))
                }
                Err(e) => e,
            },
            Err(Failure {
                error: ExchangeError::Unknown(reason),
                ..
            }) => reason,
            Err(f) => return Err(f.error),
        };
        // Unknown: look at the order by exchange id when we have it, else by the new id.
        let lookup = match order {
            OrderRef::Id(id) => OrderRef::Id(*id),
            OrderRef::Client(_) => OrderRef::Client(new_id.clone()),
        };
        match self.query_order(symbol, &lookup).await {
            Ok(Some(r)) if r.spec.qty == new_qty || !r.status.is_open() => Ok(r),
            _ => Err(ExchangeError::Unknown(format!(
                "amend of {order:?} to {new_qty}: {reason}"
            ))),
        }
    }
}
