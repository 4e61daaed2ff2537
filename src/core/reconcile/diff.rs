//! The diff itself: index both sides by slot, decide per slot, order the result.

use super::{Amend, Replace};
use super::{Cancel, Create, ReconcileError, ReconcileInput, ReconcileStats, Reconciliation};
use crate::core::client_id::{ClientOrderId, ParsedId};
use crate::core::order::{OpenOrder, OrderSpec, Side, Slot};
use std::collections::{BTreeMap, BTreeSet};

/// Our orders of the basket in one slot.
#[derive(Default)]
struct SlotBook<'a> {
    /// Open entries, by ascending revision (oldest placement first).
    open: Vec<(u32, &'a OpenOrder)>,
    /// Highest revision seen, open or not.
    max_rev: u32,
}

/// Diffs the desired orders of one basket against the exchange's open orders.
///
/// Fails when the plan repeats a slot or wants a non-positive quantity, when the exchange
/// lists one of our ids twice, or when a slot's revision counter would overflow. See the
/// module doc for the rules and the execution order.
pub fn reconcile(input: &ReconcileInput<'_>) -> Result<Reconciliation, ReconcileError> {
    let desired = index_desired(input.desired)?;
    let mut stats = ReconcileStats::default();
    let books = index_ours(input, &mut stats)?;
    let slots: BTreeSet<Slot> = desired.keys().chain(books.keys()).copied().collect();

    let mut out = Reconciliation::default();
    let empty = SlotBook::default();
    for slot in slots {
        let book = books.get(&slot).unwrap_or(&empty);
        let Some(spec) = desired.get(&slot) else {
            out.cancels
                .extend(book.open.iter().map(|(_, o)| cancel(o, slot)));
            continue;
        };
        if let Some(keep) = book.open.iter().position(|(_, o)| matches(o, spec)) {
            stats.unchanged += 1;
            out.cancels.extend(
                book.open
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != keep)
                    .map(|(_, (_, o))| cancel(o, slot)),
            );
            continue;
        }
        if let Some(((_, newest), older)) = book.open.split_last() {
            if amendable(input, newest, spec) {
                out.cancels
                    .extend(older.iter().map(|(_, o)| cancel(o, slot)));
                out.amends.push(Amend {
                    client_id: newest.client_id.clone(),
                    exchange_id: newest.exchange_id,
                    slot,
                    new_qty: newest.executed_qty + spec.qty,
                    executed_qty: newest.executed_qty,
                });
                continue;
            }
        }
        let stored = input.revisions.get(&slot).copied().unwrap_or(0);
        let used = stored.max(book.max_rev);
        let rev = used
            .checked_add(1)
            .ok_or(ReconcileError::RevisionExhausted { slot, rev: used })?;
        out.revisions_to_persist.insert(slot, rev);
        let client_id = ClientOrderId::ours(input.prefix, input.basket, slot, rev);
        let spec = (*spec).clone();
        match book.open.split_last() {
            Some(((_, newest), older)) => {
                out.cancels
                    .extend(older.iter().map(|(_, o)| cancel(o, slot)));
                out.replaces.push(Replace {
                    cancel: newest.client_id.clone(),
                    cancel_exchange_id: newest.exchange_id,
                    client_id,
                    spec,
                });
            }
            None => out.creates.push(Create { client_id, spec }),
        }
    }

    // Slots were visited in order, so cancels are already in slot order (buys first).
    out.replaces.sort_by_key(|r| placement_key(&r.spec));
    out.creates.sort_by_key(|c| placement_key(&c.spec));
    stats.cancelled = out.cancels.len();
    stats.replaced = out.replaces.len();
    stats.amended = out.amends.len();
    stats.created = out.creates.len();
    out.stats = stats;
    Ok(out)
}

/// Sells before buys, then slot order.
fn placement_key(spec: &OrderSpec) -> (bool, Slot) {
    (spec.side == Side::Buy, spec.slot)
}

/// True when the open order is exactly what the slot wants now.
fn matches(order: &OpenOrder, want: &OrderSpec) -> bool {
    same_but_qty(&order.spec, want) && order.remaining_qty() == want.qty
}

/// True when the open order may be amended into the wanted one: allowed, not refused before,
/// everything but the quantity equal, and the remaining quantity only shrinking.
fn amendable(input: &ReconcileInput<'_>, order: &OpenOrder, want: &OrderSpec) -> bool {
    input.amend_allowed
        && !input.amend_refused.contains(&order.client_id)
        && same_but_qty(&order.spec, want)
        && want.qty < order.remaining_qty()
}

fn same_but_qty(have: &OrderSpec, want: &OrderSpec) -> bool {
    have.side == want.side
        && have.order_type == want.order_type
        && have.price == want.price
        && same_stop(have, want)
        && have.trailing_delta == want.trailing_delta
        && have.time_in_force == want.time_in_force
}

/// Stop prices agree. A trailing order is planned with its activation `stopPrice` while the
/// price is below it and without once the price has reached it; resting, the two are the same
/// order: one with `stopPrice` starts trailing by itself when the price crosses it, and one
/// already trailing must not be reset to wait again for an activation it has passed (a
/// pullback would then never trigger it). Its limit price, derived from the activation, still
/// has to agree.
fn same_stop(have: &OrderSpec, want: &OrderSpec) -> bool {
    have.stop_price == want.stop_price
        || (want.trailing_delta.is_some()
            && (have.stop_price.is_none() || want.stop_price.is_none()))
}

fn cancel(order: &OpenOrder, slot: Slot) -> Cancel {
    Cancel {
        client_id: order.client_id.clone(),
        exchange_id: order.exchange_id,
        slot,
    }
}

fn index_desired(desired: &[OrderSpec]) -> Result<BTreeMap<Slot, &OrderSpec>, ReconcileError> {
    let mut by_slot = BTreeMap::new();
    for spec in desired {
        if !spec.qty.is_positive() {
            return Err(ReconcileError::NonPositiveQty {
                slot: spec.slot,
                qty: spec.qty,
            });
        }
        if by_slot.insert(spec.slot, spec).is_some() {
            return Err(ReconcileError::DuplicateSlot { slot: spec.slot });
        }
    }
    Ok(by_slot)
}

/// Our entries of this basket by slot; counts what is ignored.
fn index_ours<'a>(
    input: &ReconcileInput<'a>,
    stats: &mut ReconcileStats,
) -> Result<BTreeMap<Slot, SlotBook<'a>>, ReconcileError> {
    let mut books: BTreeMap<Slot, SlotBook<'a>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for order in input.actual {
        let Some(ParsedId { basket, slot, rev }) = order.client_id.parse_ours(input.prefix) else {
            stats.foreign_ignored += 1;
            continue;
        };
        if basket != input.basket {
            stats.other_basket_ignored += 1;
            continue;
        }
        if !seen.insert(&order.client_id) {
            return Err(ReconcileError::DuplicateClientId {
                client_id: order.client_id.clone(),
            });
        }
        let book = books.entry(slot).or_default();
        book.max_rev = book.max_rev.max(rev);
        if order.status.is_open() {
            book.open.push((rev, order));
        } else {
            stats.closed_ignored += 1;
        }
    }
    for book in books.values_mut() {
        // Revisions are unique within a slot (ids are unique), so this order is total.
        book.open.sort_by_key(|(rev, _)| *rev);
    }
    Ok(books)
}
