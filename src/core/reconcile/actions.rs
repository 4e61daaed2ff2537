//! What [`super::reconcile`] decides: the actions, their execution order, and the counts.

use crate::core::client_id::ClientOrderId;
use crate::core::money::Qty;
use crate::core::order::{OrderRef, OrderSpec, Slot};
use std::collections::BTreeMap;

/// Cancel one of our open orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancel {
    /// The order to cancel (`origClientOrderId`).
    pub client_id: ClientOrderId,
    /// Its exchange order id when known (`orderId`: unambiguous once the order has closed).
    pub exchange_id: Option<u64>,
    /// Its slot.
    pub slot: Slot,
}

/// Place a new order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Create {
    /// The new order's id (`newClientOrderId`), never used before.
    pub client_id: ClientOrderId,
    /// What to place; `spec.qty` is the quantity still wanted for the slot.
    pub spec: OrderSpec,
}

/// Swap one open order for a new one in the same slot (`order/cancelReplace`, or a cancel
/// followed by a create).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replace {
    /// The open order to cancel (`cancelOrigClientOrderId`).
    pub cancel: ClientOrderId,
    /// Its exchange order id when known.
    pub cancel_exchange_id: Option<u64>,
    /// The new order's id (`newClientOrderId`), never used before.
    pub client_id: ClientOrderId,
    /// What to place instead.
    pub spec: OrderSpec,
}

/// Reduce one open order's quantity in place (`order/amend/keepPriority`): same order id, same
/// client id, same place in the queue. Only ever a reduction, so it can never add exposure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amend {
    /// The order, which keeps this id (it is sent as `newClientOrderId` too).
    pub client_id: ClientOrderId,
    /// Its exchange order id when known.
    pub exchange_id: Option<u64>,
    /// Its slot.
    pub slot: Slot,
    /// The order's new *total* quantity (`newQty`): its executed quantity as planned plus the
    /// quantity still wanted. Binance compares `newQty` with the original quantity.
    pub new_qty: Qty,
    /// The executed quantity the plan saw: a larger one in the answer means it filled since.
    pub executed_qty: Qty,
}

impl Amend {
    /// How to name the order to the exchange: by exchange id when known.
    pub fn order_ref(&self) -> OrderRef {
        match self.exchange_id {
            Some(id) => OrderRef::Id(id),
            None => OrderRef::Client(self.client_id.clone()),
        }
    }
}

impl Cancel {
    /// How to name the order to the exchange: by exchange id when known.
    pub fn order_ref(&self) -> OrderRef {
        match self.exchange_id {
            Some(id) => OrderRef::Id(id),
            None => OrderRef::Client(self.client_id.clone()),
        }
    }
}

impl Replace {
    /// The cancel half, for executors that cannot replace in one request.
    pub fn cancel_half(&self) -> Cancel {
        Cancel {
            client_id: self.cancel.clone(),
            exchange_id: self.cancel_exchange_id,
            slot: self.spec.slot,
        }
    }

    /// The create half, for executors that cannot replace in one request.
    pub fn create_half(&self) -> Create {
        Create {
            client_id: self.client_id.clone(),
            spec: self.spec.clone(),
        }
    }
}

/// One step for the executor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Cancel an open order.
    Cancel(Cancel),
    /// Reduce an open order's quantity in place.
    Amend(Amend),
    /// Cancel an open order and place its successor.
    Replace(Replace),
    /// Place a new order.
    Create(Create),
}

/// Counts for logs and the dashboard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconcileStats {
    /// Plain cancels (not counting the cancel half of replaces).
    pub cancelled: usize,
    /// Plain creates (not counting the create half of replaces).
    pub created: usize,
    /// Replaces.
    pub replaced: usize,
    /// Amends (quantity reduced in place).
    pub amended: usize,
    /// Desired orders already on the book as wanted.
    pub unchanged: usize,
    /// Open orders without our prefix (manual orders, other bots), left alone.
    pub foreign_ignored: usize,
    /// Our open orders of other baskets, left alone.
    pub other_basket_ignored: usize,
    /// Our entries of this basket whose status is not open; only their revision counts.
    pub closed_ignored: usize,
}

/// The result of [`super::reconcile`]: the actions, grouped and each group already in
/// execution order, plus the revisions to persist before sending any of them.
///
/// Execution order: all `cancels`, then all `amends` (they only reduce, like cancels), then all
/// `replaces`, then all `creates` ([`Self::actions`]). An executor without
/// `order/cancelReplace` uses [`Self::two_step_actions`], which splits each replace so every
/// cancel precedes every create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciliation {
    /// Open orders to cancel, in slot order (buys first), then by revision.
    pub cancels: Vec<Cancel>,
    /// Open orders to reduce in place, in slot order.
    pub amends: Vec<Amend>,
    /// Open orders to replace, sells first, then in slot order.
    pub replaces: Vec<Replace>,
    /// Orders to place, sells first, then in slot order.
    pub creates: Vec<Create>,
    /// Counts.
    pub stats: ReconcileStats,
    /// The new highest revision of every slot that gets a new id. The orchestrator writes
    /// these to the store *before* sending, so an id is never reused, even after a crash.
    pub revisions_to_persist: BTreeMap<Slot, u32>,
}

impl Reconciliation {
    /// True when the book already matches the plan.
    pub fn is_empty(&self) -> bool {
        self.cancels.is_empty()
            && self.amends.is_empty()
            && self.replaces.is_empty()
            && self.creates.is_empty()
    }

    /// Every action in execution order: cancels, amends, replaces, creates.
    pub fn actions(&self) -> impl Iterator<Item = Action> + '_ {
        let cancels = self.cancels.iter().cloned().map(Action::Cancel);
        let amends = self.amends.iter().cloned().map(Action::Amend);
        let replaces = self.replaces.iter().cloned().map(Action::Replace);
        let creates = self.creates.iter().cloned().map(Action::Create);
        cancels.chain(amends).chain(replaces).chain(creates)
    }

    /// Every action without `order/cancelReplace`: all cancels (plain, then the cancel halves
    /// of replaces), then the amends, then all creates (the create halves of replaces, then
    /// plain creates).
    pub fn two_step_actions(&self) -> impl Iterator<Item = Action> + '_ {
        let cancels = self.cancels.iter().cloned();
        let replace_cancels = self.replaces.iter().map(Replace::cancel_half);
        let amends = self.amends.iter().cloned().map(Action::Amend);
        let replace_creates = self.replaces.iter().map(Replace::create_half);
        let creates = self.creates.iter().cloned();
        cancels
            .chain(replace_cancels)
            .map(Action::Cancel)
            .chain(amends)
            .chain(replace_creates.chain(creates).map(Action::Create))
    }
}
