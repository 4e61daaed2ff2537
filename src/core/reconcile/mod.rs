//! The reconciler: desired orders vs our open orders → cancels, replaces, creates
//! (`.spec/strategy.md` §4–§5).
//!
//! The strategy says which orders one basket *should* have, one per [`Slot`]; the exchange says
//! which orders the symbol *has*. [`reconcile`] is a pure function from both (plus the highest
//! revision the store has already used per slot) to the actions that turn one into the other.
//! The orchestrator persists [`Reconciliation::revisions_to_persist`], then executes
//! [`Reconciliation::actions`] (with `order/cancelReplace`) or
//! [`Reconciliation::two_step_actions`] (plain cancel, then create). [`apply`] computes the
//! open orders after every action succeeded, for tests and the backtester's bookkeeping.
//!
//! Entry points: [`reconcile`], [`apply`], [`ReconcileInput`], [`Reconciliation`].
//!
//! Decisions:
//! - An order is identified by the (basket, slot) in its client id, never by its price.
//! - Orders compare on side, type, price, stop price, trailing delta, time in force and the
//!   *remaining* quantity (`qty − executed_qty`) against the desired quantity, which is what is
//!   still wanted for that slot. A partly filled order with the wanted remainder stays.
//! - An order that differs from the wanted one only by a *smaller* remaining quantity is
//!   amended in place ([`Amend`], `order/amend/keepPriority`: same order id, same client id,
//!   queue place kept) when [`ReconcileInput::amend_allowed`] and the order is not in
//!   [`ReconcileInput::amend_refused`]; otherwise it is replaced. `newQty` is the new total:
//!   executed plus wanted. The wanted quantity passed the filters as a new order's, so the
//!   amended total (at least as large, at the same price) passes their minimums too.
//! - Several open orders in one slot (after a crash): the oldest (lowest revision) that matches
//!   stays, because it has the better queue position; if none matches, the newest is replaced.
//!   All others are cancelled.
//! - Entries of `actual` whose status is not open (filled, cancelled, …) are not on the book:
//!   they are neither kept nor cancelled, but their revision still counts for the next id.
//! - A plan with two orders for one slot or a non-positive quantity, or an exchange report with
//!   one of our client ids twice, is a bug upstream: [`reconcile`] refuses it instead of guessing.
//! - Execution order: cancels in slot order (`B*`, `X*`, then `TP1`, `TP2`, `TR`, `EXIT`), so
//!   unwanted buys go first and cannot add to the position meanwhile; then replaces, then
//!   creates, both with sells before buys, so that the position is protected (TP/TR/EXIT)
//!   before more exposure is added if the executor stops half-way. Sells use base and buys use
//!   quote, so this order never starves a create of balance.
//!
//! Invariants (checked by `proptests.rs`):
//! 1. executing every action on `actual` ([`apply`]) leaves exactly the desired set for the
//!    basket (per slot: same side, type, prices, trailing delta, time in force, and remaining
//!    quantity equal to the desired quantity) plus the untouched foreign, other-basket and
//!    closed entries;
//! 2. reconciling again on that result yields no action;
//! 3. orders without our prefix or of another basket never appear in any action;
//! 4. a new client id never equals an existing one, and its revision exceeds both the
//!    persisted revision and every revision seen on the exchange for that slot;
//! 5. in [`Reconciliation::actions`] and [`Reconciliation::two_step_actions`] every cancel
//!    (including the cancel half of a replace in the two-step form) and every amend comes
//!    before every create;
//! 7. an amend names an open order of ours in this basket and only lowers its remaining
//!    quantity, to the wanted one, never to zero.
//! 6. the result is deterministic and does not depend on the order of `actual`.

mod actions;
mod apply;
mod diff;

pub use actions::{Action, Amend, Cancel, Create, ReconcileStats, Reconciliation, Replace};
pub use apply::apply;
pub use diff::reconcile;

use crate::core::client_id::{ClientOrderId, IdPrefix};
use crate::core::money::Qty;
use crate::core::order::{OpenOrder, OrderSpec, Slot};
use std::collections::BTreeMap;
use std::collections::BTreeSet;

/// Everything [`reconcile`] looks at, borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub struct ReconcileInput<'a> {
    /// This bot instance's client id prefix; orders without it are foreign.
    pub prefix: &'a IdPrefix,
    /// The basket being reconciled; our orders of other baskets are left alone.
    pub basket: u32,
    /// The orders the strategy wants, at most one per slot.
    pub desired: &'a [OrderSpec],
    /// The symbol's open orders as the exchange reports them (ours, other baskets', foreign).
    pub actual: &'a [OpenOrder],
    /// Highest revision already used per slot of this basket, as persisted by the store.
    pub revisions: &'a BTreeMap<Slot, u32>,
    /// Whether the symbol allows amending (`amendAllowed`) and the bot may use it.
    pub amend_allowed: bool,
    /// Our orders whose amend the exchange refused (say `MAX_NUM_ORDER_AMENDS` reached):
    /// they are replaced instead, so a refusal never repeats.
    pub amend_refused: &'a BTreeSet<ClientOrderId>,
}

/// Inputs [`reconcile`] refuses, because acting on them would mean guessing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    /// The plan has more than one order for one slot.
    #[error("the desired orders contain slot {slot} more than once")]
    DuplicateSlot {
        /// The repeated slot.
        slot: Slot,
    },
    /// The plan wants an order with a zero or negative quantity.
    #[error("the desired order for slot {slot} has quantity {qty}, which is not positive")]
    NonPositiveQty {
        /// The slot of the offending order.
        slot: Slot,
        /// Its quantity.
        qty: Qty,
    },
    /// The exchange reported one of our client ids on two orders.
    #[error("the open orders contain client id {client_id} more than once")]
    DuplicateClientId {
        /// The repeated id.
        client_id: ClientOrderId,
    },
    /// The slot's revision counter cannot grow any further.
    #[error("slot {slot} has used every revision up to {rev}")]
    RevisionExhausted {
        /// The slot.
        slot: Slot,
        /// The highest revision used.
        rev: u32,
    },
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
