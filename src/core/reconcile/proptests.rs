//! The invariants listed in the module doc, numbered the same, over random plans, books
//! (ours, other baskets', foreign, partly filled, closed, several per slot) and revisions.
//! Value domains are tiny on purpose, so that matches, near-misses and duplicates are common.

use super::*;
use crate::core::client_id::ParsedId;
use crate::core::money::Price;
use crate::core::order::{OrderStatus, OrderType, TimeInForce};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeSet;

const BASKET: u32 = 3;

fn prefix() -> IdPrefix {
    IdPrefix::default()
}

fn slot() -> impl Strategy<Value = Slot> {
    prop_oneof![
        (1u16..=3).prop_map(Slot::Buy),
        Just(Slot::Ext(1)),
        Just(Slot::Tp1),
        Just(Slot::Tr),
    ]
}

/// Price level, quantity in tenths, and one of four order shapes.
type Shape = (i64, i64, u8);

fn shape() -> impl Strategy<Value = Shape> {
    (1i64..=3, 1i64..=4, 0u8..4)
}

fn build(slot: Slot, (level, tenths, kind): Shape) -> OrderSpec {
    let price = Price::new(Decimal::from(level * 10));
    let qty = Qty::new(Decimal::new(tenths, 1));
    let mut spec = OrderSpec::limit(slot, price, qty);
    match kind {
        0 => {}
        1 => {
            spec.order_type = OrderType::LimitMaker;
            spec.time_in_force = None;
        }
        _ => {
            spec.order_type = OrderType::StopLossLimit;
            spec.stop_price = Some(price);
            spec.trailing_delta = Some(100 * u32::from(kind));
        }
    }
    spec
}

fn desired() -> impl Strategy<Value = Vec<OrderSpec>> {
    proptest::collection::btree_map(slot(), shape(), 0..5)
        .prop_map(|m| m.into_iter().map(|(s, sh)| build(s, sh)).collect())
}

/// How an order of ours relates to the plan: a random order, or a copy of a desired order
/// (partly filled so that its remaining quantity is the wanted one) with at most one field
/// nudged, so that every compared field is exercised.
fn ours(desired: Vec<OrderSpec>) -> impl Strategy<Value = OpenOrder> {
    let picks = (any::<u8>(), 0usize..4, any::<usize>(), 0u8..9);
    (picks, slot(), 1u32..=6, shape(), 0i64..4).prop_map(
        move |((status, basket_pick, copy, nudge), slot, rev, shape, exec)| {
            // Mostly this basket; sometimes another one, including `30`, whose id starts
            // with our basket's digits.
            let basket = [BASKET, BASKET, 4, 30][basket_pick];
            let executed = Qty::new(Decimal::new(exec, 1));
            let spec = match desired.get(copy % (desired.len() * 2).max(1)) {
                Some(want) => nudged(want, executed, nudge),
                None => build(slot, shape),
            };
            let executed = executed.min(spec.qty - Qty::new(Decimal::new(1, 1)));
            OpenOrder {
                client_id: ClientOrderId::ours(&prefix(), basket, spec.slot, rev),
                exchange_id: Some(u64::from(rev)),
                spec,
                executed_qty: executed.max(Qty::ZERO),
                status: match status % 8 {
                    0 => OrderStatus::Filled,
                    1 => OrderStatus::Canceled,
                    2..=4 if executed.is_positive() => OrderStatus::PartiallyFilled,
                    _ => OrderStatus::New,
                },
            }
        },
    )
}

/// `want` with `executed` already filled, and one field changed unless `nudge` is 0 or 1.
fn nudged(want: &OrderSpec, executed: Qty, nudge: u8) -> OrderSpec {
    let tenth = Decimal::new(1, 1);
    let mut spec = OrderSpec {
        qty: want.qty + executed,
        ..want.clone()
    };
    match nudge {
        2 => spec.price = spec.price.map(|p| Price::new(p.get() + tenth)),
        3 => {
            spec.stop_price = Some(Price::new(
                spec.stop_price.map_or(tenth, |p| p.get() - tenth),
            ))
        }
        4 => spec.trailing_delta = Some(spec.trailing_delta.map_or(50, |d| d + 1)),
        5 => spec.time_in_force = spec.time_in_force.map_or(Some(TimeInForce::Ioc), |_| None),
        6 => spec.qty += Qty::new(tenth),
        7 => spec.order_type = OrderType::TakeProfitLimit,
        8 if spec.qty > Qty::new(tenth) => spec.qty -= Qty::new(tenth),
        _ => {}
    }
    spec
}

fn foreign() -> impl Strategy<Value = OpenOrder> {
    (0usize..4, 0u32..5, slot(), shape()).prop_map(|(kind, n, slot, shape)| {
        let text = match kind {
            0 => format!("web_{n}"),
            1 => format!("xy{BASKET}-{slot}-{n}"),
            2 => format!("gb0{BASKET}-{slot}-{}", n + 1),
            _ => format!("gb{BASKET}-{slot}"),
        };
        OpenOrder {
            client_id: ClientOrderId::parse(&text).unwrap(),
            exchange_id: None,
            spec: build(slot, shape),
            executed_qty: Qty::ZERO,
            status: OrderStatus::New,
        }
    })
}

/// The exchange's report: client ids are unique, as Binance guarantees for open orders.
fn actual(desired: Vec<OrderSpec>) -> impl Strategy<Value = Vec<OpenOrder>> {
    let entry = prop_oneof![3 => ours(desired), 1 => foreign()];
    proptest::collection::vec(entry, 0..10).prop_map(|orders| {
        let mut seen = BTreeSet::new();
        orders
            .into_iter()
            .filter(|o| seen.insert(o.client_id.clone()))
            .collect()
    })
}

/// Whether amending is allowed, and which orders' amends were refused.
#[derive(Debug, Clone)]
struct AmendPolicy {
    allowed: bool,
    refused: BTreeSet<ClientOrderId>,
}

type Scenario = (
    Vec<OrderSpec>,
    Vec<OpenOrder>,
    BTreeMap<Slot, u32>,
    AmendPolicy,
);

/// A plan, a report near it, the store's revisions and the amend policy (some orders of the
/// report refused, picked by the bits of a mask).
fn scenario() -> impl Strategy<Value = Scenario> {
    desired()
        .prop_flat_map(|d| (Just(d.clone()), actual(d), revisions()))
        .prop_flat_map(|(d, a, r)| (Just(d), Just(a), Just(r), any::<bool>(), any::<u16>()))
        .prop_map(|(d, a, r, allowed, mask)| {
            let refused = a
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << (i % 16)) != 0)
                .map(|(_, o)| o.client_id.clone())
                .collect();
            (d, a, r, AmendPolicy { allowed, refused })
        })
}

fn revisions() -> impl Strategy<Value = BTreeMap<Slot, u32>> {
    proptest::collection::btree_map(slot(), 0u32..9, 0..4)
}

fn run(
    desired: &[OrderSpec],
    actual: &[OpenOrder],
    revs: &BTreeMap<Slot, u32>,
    amend: &AmendPolicy,
) -> Reconciliation {
    let prefix = prefix();
    reconcile(&ReconcileInput {
        prefix: &prefix,
        basket: BASKET,
        desired,
        actual,
        revisions: revs,
        amend_allowed: amend.allowed,
        amend_refused: &amend.refused,
    })
    .unwrap()
}

fn parsed(order: &OpenOrder) -> Option<ParsedId> {
    order.client_id.parse_ours(&prefix())
}

/// Ours, this basket, on the book: the only entries the reconciler may touch.
fn managed(order: &OpenOrder) -> bool {
    parsed(order).is_some_and(|p| p.basket == BASKET) && order.status.is_open()
}

/// Everything but the new ids an action mentions.
fn touched(rec: &Reconciliation) -> Vec<ClientOrderId> {
    let cancels = rec.cancels.iter().map(|c| c.client_id.clone());
    cancels
        .chain(rec.replaces.iter().map(|r| r.cancel.clone()))
        .chain(rec.amends.iter().map(|a| a.client_id.clone()))
        .collect()
}

fn new_ids(rec: &Reconciliation) -> Vec<(ClientOrderId, Slot)> {
    let replaced = rec
        .replaces
        .iter()
        .map(|r| (r.client_id.clone(), r.spec.slot));
    replaced
        .chain(
            rec.creates
                .iter()
                .map(|c| (c.client_id.clone(), c.spec.slot)),
        )
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn applying_the_actions_yields_the_desired_set(
        (desired, actual, revs, policy) in scenario()
    ) {
        let rec = run(&desired, &actual, &revs, &policy);
        let after = apply(&actual, &rec);
        let untouched_before: Vec<&OpenOrder> = actual.iter().filter(|o| !managed(o)).collect();
        let untouched_after: Vec<&OpenOrder> = after.iter().filter(|o| !managed(o)).collect();
        prop_assert_eq!(untouched_after, untouched_before);

        let mut by_slot: BTreeMap<Slot, Vec<&OpenOrder>> = BTreeMap::new();
        for order in after.iter().filter(|o| managed(o)) {
            by_slot.entry(parsed(order).unwrap().slot).or_default().push(order);
        }
        prop_assert_eq!(by_slot.len(), desired.len());
        for want in &desired {
            let have = by_slot.get(&want.slot).map(Vec::as_slice).unwrap_or_default();
            prop_assert_eq!(have.len(), 1, "slot {}", want.slot);
            let have = have[0];
            prop_assert_eq!(have.remaining_qty(), want.qty);
            prop_assert_eq!(
                OrderSpec { qty: want.qty, slot: want.slot, ..have.spec.clone() },
                want.clone()
            );
        }
        prop_assert_eq!(
            rec.stats.unchanged + rec.stats.amended + rec.stats.replaced + rec.stats.created,
            desired.len()
        );
    }

    #[test]
    fn reconciling_the_result_again_does_nothing(
        (desired, actual, revs, policy) in scenario()
    ) {
        let rec = run(&desired, &actual, &revs, &policy);
        let after = apply(&actual, &rec);
        let mut persisted = revs.clone();
        persisted.extend(rec.revisions_to_persist.iter().map(|(s, r)| (*s, *r)));
        for revs in [&revs, &persisted] {
            let again = run(&desired, &after, revs, &policy);
            prop_assert!(again.is_empty(), "{:?}", again);
            prop_assert!(again.revisions_to_persist.is_empty());
        }
    }

    #[test]
    fn foreign_and_other_basket_orders_are_never_touched(
        (desired, actual, revs, policy) in scenario()
    ) {
        let rec = run(&desired, &actual, &revs, &policy);
        let managed_ids: BTreeSet<&ClientOrderId> =
            actual.iter().filter(|o| managed(o)).map(|o| &o.client_id).collect();
        for id in touched(&rec) {
            prop_assert!(managed_ids.contains(&id), "{} is not ours to touch", id);
        }
        for (id, _) in new_ids(&rec) {
            prop_assert_eq!(id.parse_ours(&prefix()).map(|p| p.basket), Some(BASKET));
        }
        let ignored = actual.iter().filter(|o| parsed(o).is_none()).count();
        prop_assert_eq!(rec.stats.foreign_ignored, ignored);
    }

    #[test]
    fn new_ids_are_fresh_and_pass_every_known_revision(
        (desired, actual, revs, policy) in scenario()
    ) {
        let rec = run(&desired, &actual, &revs, &policy);
        let existing: BTreeSet<&ClientOrderId> = actual.iter().map(|o| &o.client_id).collect();
        let mut fresh = BTreeSet::new();
        for (id, slot) in new_ids(&rec) {
            prop_assert!(!existing.contains(&id), "{} reused", id);
            prop_assert!(fresh.insert(id.clone()), "{} issued twice", id);
            let rev = id.parse_ours(&prefix()).unwrap().rev;
            prop_assert_eq!(id.parse_ours(&prefix()).unwrap().slot, slot);
            prop_assert!(rev > revs.get(&slot).copied().unwrap_or(0));
            let seen = actual
                .iter()
                .filter_map(parsed)
                .filter(|p| p.basket == BASKET && p.slot == slot)
                .map(|p| p.rev);
            for old in seen {
                prop_assert!(rev > old);
            }
            prop_assert_eq!(rec.revisions_to_persist.get(&slot), Some(&rev));
        }
        prop_assert_eq!(rec.revisions_to_persist.len(), fresh.len());
    }

    #[test]
    fn every_cancel_comes_before_every_create(
        (desired, actual, revs, policy) in scenario()
    ) {
        let rec = run(&desired, &actual, &revs, &policy);
        let rank = |a: &Action| match a {
            Action::Cancel(_) => 0,
            Action::Amend(_) => 1,
            Action::Replace(_) => 2,
            Action::Create(_) => 3,
        };
        let ranks: Vec<u8> = rec.actions().map(|a| rank(&a)).collect();
        prop_assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{:?}", ranks);

        let steps: Vec<u8> = rec.two_step_actions().map(|a| rank(&a)).collect();
        prop_assert!(steps.iter().all(|r| *r != 2), "two-step form has no replace");
        prop_assert!(steps.windows(2).all(|w| w[0] <= w[1]), "{:?}", steps);
        let total =
            rec.cancels.len() + rec.amends.len() + 2 * rec.replaces.len() + rec.creates.len();
        prop_assert_eq!(steps.len(), total);
    }

    #[test]
    fn result_is_deterministic_and_ignores_input_order(
        ((desired, actual, revs, policy), (d_shuffled, a_shuffled)) in scenario().prop_flat_map(|s| {
            let shuffled = (Just(s.0.clone()).prop_shuffle(), Just(s.1.clone()).prop_shuffle());
            (Just(s), shuffled)
        })
    ) {
        let rec = run(&desired, &actual, &revs, &policy);
        prop_assert_eq!(&run(&desired, &actual, &revs, &policy), &rec);
        prop_assert_eq!(&run(&d_shuffled, &a_shuffled, &revs, &policy), &rec);
    }

    /// Invariant 7, and the converse: an order that only has to shrink is amended whenever
    /// allowed and not refused, never replaced.
    #[test]
    fn amends_only_shrink_and_are_used_whenever_allowed(
        (desired, actual, revs, policy) in scenario()
    ) {
        let rec = run(&desired, &actual, &revs, &policy);
        let want = |slot: Slot| desired.iter().find(|d| d.slot == slot).unwrap();
        if !policy.allowed {
            prop_assert!(rec.amends.is_empty());
        }
        for a in &rec.amends {
            prop_assert!(!policy.refused.contains(&a.client_id));
            let order = actual.iter().find(|o| o.client_id == a.client_id).unwrap();
            prop_assert!(managed(order));
            prop_assert_eq!(parsed(order).unwrap().slot, a.slot);
            prop_assert_eq!(a.executed_qty, order.executed_qty);
            prop_assert_eq!(a.new_qty - order.executed_qty, want(a.slot).qty);
            prop_assert!(a.new_qty < order.spec.qty && a.new_qty > order.executed_qty);
        }
        for r in &rec.replaces {
            let order = actual.iter().find(|o| o.client_id == r.cancel).unwrap();
            let only_shrinks = OrderSpec { qty: order.spec.qty, ..r.spec.clone() } == order.spec
                && r.spec.qty < order.remaining_qty();
            prop_assert!(
                !(policy.allowed && only_shrinks && !policy.refused.contains(&order.client_id)),
                "{} should have been amended", r.cancel
            );
        }
    }
}
