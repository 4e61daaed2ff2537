//! The book after a reconciliation, assuming every action succeeded.

use super::Reconciliation;
use crate::core::client_id::ClientOrderId;
use crate::core::money::Qty;
use crate::core::order::{OpenOrder, OrderStatus};
use std::collections::BTreeSet;

/// The open orders after executing `rec` on `actual`, every action succeeding: cancelled
/// orders (plain and replaced) are gone, amended ones shrink in place, the rest keep their place, and new orders follow in
/// execution order as fresh `NEW` orders without an exchange id. For tests and the
/// backtester's bookkeeping; the live bot reads the book back from the exchange instead.
pub fn apply(actual: &[OpenOrder], rec: &Reconciliation) -> Vec<OpenOrder> {
    let gone: BTreeSet<&ClientOrderId> = rec
        .cancels
        .iter()
        .map(|c| &c.client_id)
        .chain(rec.replaces.iter().map(|r| &r.cancel))
        .collect();
    let kept = actual
        .iter()
        .filter(|o| !gone.contains(&o.client_id))
        .cloned()
        .map(|mut o| {
            if let Some(a) = rec.amends.iter().find(|a| a.client_id == o.client_id) {
                o.spec.qty = a.new_qty;
            }
            o
        });
    let placed = rec
        .replaces
        .iter()
        .map(|r| (&r.client_id, &r.spec))
        .chain(rec.creates.iter().map(|c| (&c.client_id, &c.spec)))
        .map(|(client_id, spec)| OpenOrder {
            client_id: client_id.clone(),
            exchange_id: None,
            spec: spec.clone(),
            executed_qty: Qty::ZERO,
            status: OrderStatus::New,
        });
    kept.chain(placed).collect()
}
