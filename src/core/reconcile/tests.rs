use super::*;
use crate::core::money::Price;
use crate::core::order::{OrderStatus, OrderType, Side, TimeInForce};
use std::collections::BTreeSet;

const BASKET: u32 = 7;

fn p(text: &str) -> Price {
    Price::parse(text).unwrap()
}

fn q(text: &str) -> Qty {
    Qty::parse(text).unwrap()
}

fn limit(slot: Slot, price: &str, qty: &str) -> OrderSpec {
    OrderSpec::limit(slot, p(price), q(qty))
}

fn trailing(stop: &str, qty: &str, delta: u32) -> OrderSpec {
    OrderSpec {
        slot: Slot::Tr,
        side: Side::Sell,
        order_type: OrderType::StopLossLimit,
        price: Some(p(stop)),
        qty: q(qty),
        stop_price: Some(p(stop)),
        trailing_delta: Some(delta),
        time_in_force: Some(TimeInForce::Gtc),
    }
}

fn id(text: &str) -> ClientOrderId {
    ClientOrderId::parse(text).unwrap()
}

fn open(client_id: &str, spec: OrderSpec, executed: &str) -> OpenOrder {
    let executed_qty = q(executed);
    OpenOrder {
        client_id: id(client_id),
        exchange_id: Some(1),
        spec,
        executed_qty,
        status: if executed_qty.is_zero() {
            OrderStatus::New
        } else {
            OrderStatus::PartiallyFilled
        },
    }
}

fn run(
    desired: &[OrderSpec],
    actual: &[OpenOrder],
    revisions: &[(Slot, u32)],
) -> Result<Reconciliation, ReconcileError> {
    let prefix = IdPrefix::default();
    let revisions: BTreeMap<Slot, u32> = revisions.iter().copied().collect();
    reconcile(&ReconcileInput {
        prefix: &prefix,
        basket: BASKET,
        desired,
        actual,
        revisions: &revisions,
        amend_allowed: false,
        amend_refused: &BTreeSet::new(),
    })
}

fn render_spec(spec: &OrderSpec) -> String {
    let price = spec.price.map(|p| p.to_string()).unwrap_or_default();
    format!(
        "{} {} {price} x {}",
        spec.order_type.as_str(),
        spec.side.as_str(),
        spec.qty
    )
}

fn render(action: &Action) -> String {
    match action {
        Action::Cancel(c) => format!("cancel {}", c.client_id),
        Action::Replace(r) => {
            format!(
                "replace {} by {} {}",
                r.cancel,
                r.client_id,
                render_spec(&r.spec)
            )
        }
        Action::Create(c) => format!("create {} {}", c.client_id, render_spec(&c.spec)),
        Action::Amend(a) => format!("amend {} to {}", a.client_id, a.new_qty),
    }
}

struct TestCase {
    name: &'static str,
    desired: Vec<OrderSpec>,
    actual: Vec<OpenOrder>,
    revisions: Vec<(Slot, u32)>,
    actions: Vec<&'static str>,
    unchanged: usize,
}

#[test]
fn reconcile_table() {
    let b1 = Slot::Buy(1);
    let cases = vec![
        TestCase {
            name: "book matches the plan: no action",
            desired: vec![limit(b1, "100", "2"), limit(Slot::Tp1, "120", "1")],
            actual: vec![
                open("gb7-B1-1", limit(b1, "100", "2"), "0"),
                open("gb7-TP1-3", limit(Slot::Tp1, "120", "1"), "0"),
            ],
            revisions: vec![(b1, 1), (Slot::Tp1, 3)],
            actions: vec![],
            unchanged: 2,
        },
        TestCase {
            name: "prices compare by value, not by scale",
            desired: vec![limit(b1, "100.00", "2.0")],
            actual: vec![open("gb7-B1-1", limit(b1, "100", "2"), "0")],
            revisions: vec![],
            actions: vec![],
            unchanged: 1,
        },
        TestCase {
            name: "price change: replace",
            desired: vec![limit(b1, "99", "2")],
            actual: vec![open("gb7-B1-1", limit(b1, "100", "2"), "0")],
            revisions: vec![(b1, 1)],
            actions: vec!["replace gb7-B1-1 by gb7-B1-2 LIMIT BUY 99 x 2"],
            unchanged: 0,
        },
        TestCase {
            name: "partly filled, same remaining: unchanged",
            desired: vec![limit(b1, "100", "1.5")],
            actual: vec![open("gb7-B1-1", limit(b1, "100", "2"), "0.5")],
            revisions: vec![],
            actions: vec![],
            unchanged: 1,
        },
        TestCase {
            name: "partly filled, other remaining: replace with the remaining",
            desired: vec![limit(b1, "100", "1")],
            actual: vec![open("gb7-B1-1", limit(b1, "100", "2"), "0.5")],
            revisions: vec![],
            actions: vec!["replace gb7-B1-1 by gb7-B1-2 LIMIT BUY 100 x 1"],
            unchanged: 0,
        },
        TestCase {
            name: "slot no longer wanted: cancel",
            desired: vec![limit(b1, "100", "2")],
            actual: vec![
                open("gb7-B1-1", limit(b1, "100", "2"), "0"),
                open("gb7-B2-1", limit(Slot::Buy(2), "90", "3"), "0"),
            ],
            revisions: vec![],
            actions: vec!["cancel gb7-B2-1"],
            unchanged: 1,
        },
        TestCase {
            name: "missing order: create with revision 1",
            desired: vec![limit(b1, "100", "2")],
            actual: vec![],
            revisions: vec![],
            actions: vec!["create gb7-B1-1 LIMIT BUY 100 x 2"],
            unchanged: 0,
        },
        TestCase {
            name: "duplicates in a slot, one matches: keep it, cancel the rest",
            desired: vec![limit(b1, "100", "2")],
            actual: vec![
                open("gb7-B1-3", limit(b1, "101", "2"), "0"),
                open("gb7-B1-2", limit(b1, "100", "2"), "0"),
                open("gb7-B1-1", limit(b1, "99", "2"), "0"),
            ],
            revisions: vec![(b1, 3)],
            actions: vec!["cancel gb7-B1-1", "cancel gb7-B1-3"],
            unchanged: 1,
        },
        TestCase {
            name: "duplicates in a slot, two match: keep the oldest",
            desired: vec![limit(b1, "100", "2")],
            actual: vec![
                open("gb7-B1-5", limit(b1, "100", "2"), "0"),
                open("gb7-B1-4", limit(b1, "100", "2"), "0"),
            ],
            revisions: vec![],
            actions: vec!["cancel gb7-B1-5"],
            unchanged: 1,
        },
        TestCase {
            name: "duplicates in a slot, none matches: replace the newest, cancel the rest",
            desired: vec![limit(b1, "98", "2")],
            actual: vec![
                open("gb7-B1-2", limit(b1, "100", "2"), "0"),
                open("gb7-B1-1", limit(b1, "99", "2"), "0"),
                open("gb7-B1-3", limit(b1, "101", "2"), "0"),
            ],
            revisions: vec![(b1, 3)],
            actions: vec![
                "cancel gb7-B1-1",
                "cancel gb7-B1-2",
                "replace gb7-B1-3 by gb7-B1-4 LIMIT BUY 98 x 2",
            ],
            unchanged: 0,
        },
        TestCase {
            name: "foreign, other-prefix and other-basket orders are untouched",
            desired: vec![],
            actual: vec![
                open("web_abc123", limit(b1, "100", "2"), "0"),
                open("xy7-B1-1", limit(b1, "100", "2"), "0"),
                open("gb8-B1-1", limit(b1, "100", "2"), "0"),
                open("gb70-B1-1", limit(b1, "100", "2"), "0"),
            ],
            revisions: vec![],
            actions: vec![],
            unchanged: 0,
        },
        TestCase {
            name: "new revision passes the store's",
            desired: vec![limit(b1, "100", "2")],
            actual: vec![open("gb7-B1-2", limit(b1, "101", "2"), "0")],
            revisions: vec![(b1, 5)],
            actions: vec!["replace gb7-B1-2 by gb7-B1-6 LIMIT BUY 100 x 2"],
            unchanged: 0,
        },
        TestCase {
            name: "new revision passes the exchange's",
            desired: vec![limit(b1, "100", "2")],
            actual: vec![open("gb7-B1-9", limit(b1, "101", "2"), "0")],
            revisions: vec![(b1, 2)],
            actions: vec!["replace gb7-B1-9 by gb7-B1-10 LIMIT BUY 100 x 2"],
            unchanged: 0,
        },
        TestCase {
            name: "closed entry is neither kept nor cancelled, but its revision counts",
            desired: vec![limit(b1, "100", "2")],
            actual: vec![OpenOrder {
                status: OrderStatus::Filled,
                ..open("gb7-B1-4", limit(b1, "100", "2"), "2")
            }],
            revisions: vec![(b1, 1)],
            actions: vec!["create gb7-B1-5 LIMIT BUY 100 x 2"],
            unchanged: 0,
        },
        TestCase {
            name: "trailing delta change: replace",
            desired: vec![trailing("110", "1", 150)],
            actual: vec![open("gb7-TR-1", trailing("110", "1", 100), "0")],
            revisions: vec![],
            actions: vec!["replace gb7-TR-1 by gb7-TR-2 STOP_LOSS_LIMIT SELL 110 x 1"],
            unchanged: 0,
        },
        TestCase {
            name: "stop price change: replace",
            desired: vec![OrderSpec {
                stop_price: Some(p("111")),
                ..trailing("110", "1", 100)
            }],
            actual: vec![open("gb7-TR-1", trailing("110", "1", 100), "0")],
            revisions: vec![],
            actions: vec!["replace gb7-TR-1 by gb7-TR-2 STOP_LOSS_LIMIT SELL 110 x 1"],
            unchanged: 0,
        },
        TestCase {
            name: "time in force or type change: replace",
            desired: vec![
                OrderSpec {
                    time_in_force: Some(TimeInForce::Ioc),
                    ..limit(b1, "100", "2")
                },
                OrderSpec {
                    order_type: OrderType::LimitMaker,
                    time_in_force: None,
                    ..limit(Slot::Tp1, "120", "1")
                },
            ],
            actual: vec![
                open("gb7-B1-1", limit(b1, "100", "2"), "0"),
                open("gb7-TP1-1", limit(Slot::Tp1, "120", "1"), "0"),
            ],
            revisions: vec![],
            actions: vec![
                "replace gb7-TP1-1 by gb7-TP1-2 LIMIT_MAKER SELL 120 x 1",
                "replace gb7-B1-1 by gb7-B1-2 LIMIT BUY 100 x 2",
            ],
            unchanged: 0,
        },
        TestCase {
            name: "order: cancels buys first, then replaces and creates sells first",
            desired: vec![
                limit(b1, "100", "2"),
                limit(Slot::Ext(1), "80", "1"),
                limit(Slot::Tp1, "120", "1"),
                limit(Slot::Tp2, "130", "1"),
            ],
            actual: vec![
                open("gb7-TR-1", trailing("110", "1", 100), "0"),
                open("gb7-B2-1", limit(Slot::Buy(2), "90", "3"), "0"),
                open("gb7-TP2-1", limit(Slot::Tp2, "131", "1"), "0"),
                open("gb7-B1-1", limit(b1, "101", "2"), "0"),
            ],
            revisions: vec![],
            actions: vec![
                "cancel gb7-B2-1",
                "cancel gb7-TR-1",
                "replace gb7-TP2-1 by gb7-TP2-2 LIMIT SELL 130 x 1",
                "replace gb7-B1-1 by gb7-B1-2 LIMIT BUY 100 x 2",
                "create gb7-TP1-1 LIMIT SELL 120 x 1",
                "create gb7-X1-1 LIMIT BUY 80 x 1",
            ],
            unchanged: 0,
        },
    ];
    for case in cases {
        let rec = run(&case.desired, &case.actual, &case.revisions)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let actions: Vec<String> = rec.actions().map(|a| render(&a)).collect();
        assert_eq!(actions, case.actions, "{}", case.name);
        assert_eq!(rec.stats.unchanged, case.unchanged, "{}", case.name);
    }
}

#[test]
fn stats_count_every_kind() {
    let actual = vec![
        open("gb7-B1-1", limit(Slot::Buy(1), "100", "2"), "0"),
        open("gb7-B1-2", limit(Slot::Buy(1), "100", "2"), "0"),
        open("gb7-B2-1", limit(Slot::Buy(2), "90", "2"), "0"),
        open("gb7-B3-1", limit(Slot::Buy(3), "80", "2"), "0"),
        OpenOrder {
            status: OrderStatus::Canceled,
            ..open("gb7-TP1-1", limit(Slot::Tp1, "120", "1"), "0")
        },
        open("web_1", limit(Slot::Buy(1), "100", "2"), "0"),
        open("gb9-B1-1", limit(Slot::Buy(1), "100", "2"), "0"),
        open("gb9-B2-1", limit(Slot::Buy(2), "100", "2"), "0"),
    ];
    let desired = vec![
        limit(Slot::Buy(1), "100", "2"),
        limit(Slot::Buy(2), "91", "2"),
        limit(Slot::Tp1, "120", "1"),
    ];
    let rec = run(&desired, &actual, &[]).unwrap();
    let expected = ReconcileStats {
        cancelled: 2,
        created: 1,
        replaced: 1,
        amended: 0,
        unchanged: 1,
        foreign_ignored: 1,
        other_basket_ignored: 2,
        closed_ignored: 1,
    };
    assert_eq!(rec.stats, expected);
    let persist: Vec<(Slot, u32)> = rec.revisions_to_persist.into_iter().collect();
    assert_eq!(persist, vec![(Slot::Buy(2), 2), (Slot::Tp1, 2)]);
}

#[test]
fn two_step_actions_put_every_cancel_first() {
    let desired = vec![limit(Slot::Buy(1), "99", "2"), limit(Slot::Tp1, "120", "1")];
    let actual = vec![
        open("gb7-B1-1", limit(Slot::Buy(1), "100", "2"), "0"),
        open("gb7-B2-1", limit(Slot::Buy(2), "90", "2"), "0"),
    ];
    let rec = run(&desired, &actual, &[]).unwrap();
    let steps: Vec<String> = rec.two_step_actions().map(|a| render(&a)).collect();
    assert_eq!(
        steps,
        vec![
            "cancel gb7-B2-1",
            "cancel gb7-B1-1",
            "create gb7-B1-2 LIMIT BUY 99 x 2",
            "create gb7-TP1-1 LIMIT SELL 120 x 1",
        ]
    );
}

#[test]
fn apply_then_reconcile_is_quiet() {
    let desired = vec![limit(Slot::Buy(1), "99", "2"), limit(Slot::Tp1, "120", "1")];
    let actual = vec![
        open("web_1", limit(Slot::Buy(1), "100", "2"), "0"),
        open("gb7-B1-1", limit(Slot::Buy(1), "100", "2"), "0.5"),
        open("gb7-B2-1", limit(Slot::Buy(2), "90", "2"), "0"),
    ];
    let rec = run(&desired, &actual, &[]).unwrap();
    let after = apply(&actual, &rec);
    let ids: Vec<&str> = after.iter().map(|o| o.client_id.as_str()).collect();
    assert_eq!(ids, vec!["web_1", "gb7-B1-2", "gb7-TP1-1"]);
    let again = run(&desired, &after, &[]).unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert!(again.revisions_to_persist.is_empty());
}

#[test]
fn refuses_what_it_cannot_decide() {
    let b1 = Slot::Buy(1);
    let cases = [
        (
            "plan repeats a slot",
            run(&[limit(b1, "100", "2"), limit(b1, "99", "1")], &[], &[]),
            ReconcileError::DuplicateSlot { slot: b1 },
        ),
        (
            "plan wants zero quantity",
            run(&[limit(b1, "100", "0")], &[], &[]),
            ReconcileError::NonPositiveQty {
                slot: b1,
                qty: q("0"),
            },
        ),
        (
            "exchange lists our id twice",
            run(
                &[],
                &[
                    open("gb7-B1-1", limit(b1, "100", "2"), "0"),
                    open("gb7-B1-1", limit(b1, "100", "2"), "0"),
                ],
                &[],
            ),
            ReconcileError::DuplicateClientId {
                client_id: id("gb7-B1-1"),
            },
        ),
        (
            "revision counter is full",
            run(&[limit(b1, "100", "2")], &[], &[(b1, u32::MAX)]),
            ReconcileError::RevisionExhausted {
                slot: b1,
                rev: u32::MAX,
            },
        ),
    ];
    for (name, got, want) in cases {
        assert_eq!(got, Err(want), "{name}");
    }
}

#[test]
fn a_trailing_sell_is_not_reset_when_the_price_crosses_its_activation() {
    let armed = trailing("150.32", "0.345", 100);
    let trailing_now = OrderSpec {
        stop_price: None,
        ..armed.clone()
    };
    // Placed while the price was above the activation (no stopPrice), then the price fell
    // back below it: the plan wants the armed form again, and the trailing order stays.
    let rec = run(
        std::slice::from_ref(&armed),
        &[open("gb7-TR-2", trailing_now.clone(), "0")],
        &[(Slot::Tr, 2)],
    )
    .unwrap();
    assert!(rec.is_empty(), "{rec:?}");
    // Placed armed, and the price has since crossed the activation: it trails by itself.
    let rec = run(
        std::slice::from_ref(&trailing_now),
        &[open("gb7-TR-1", armed.clone(), "0")],
        &[(Slot::Tr, 1)],
    )
    .unwrap();
    assert!(rec.is_empty(), "{rec:?}");
    // A different limit (a new VWAP) or another activation still replaces it.
    let moved = OrderSpec {
        price: Some(p("150.50")),
        ..armed.clone()
    };
    let rec = run(
        &[moved],
        &[open("gb7-TR-2", trailing_now, "0")],
        &[(Slot::Tr, 2)],
    )
    .unwrap();
    assert_eq!(rec.replaces.len(), 1);
    let other = OrderSpec {
        stop_price: Some(p("151")),
        ..armed.clone()
    };
    let rec = run(&[other], &[open("gb7-TR-1", armed, "0")], &[(Slot::Tr, 1)]).unwrap();
    assert_eq!(rec.replaces.len(), 1);
}

/// Reconciles with amending allowed and `refused` amends refused before.
fn run_amending(desired: &[OrderSpec], actual: &[OpenOrder], refused: &[&str]) -> Vec<String> {
    let prefix = IdPrefix::default();
    let refused: BTreeSet<ClientOrderId> = refused.iter().map(|r| id(r)).collect();
    let rec = reconcile(&ReconcileInput {
        prefix: &prefix,
        basket: BASKET,
        desired,
        actual,
        revisions: &BTreeMap::new(),
        amend_allowed: true,
        amend_refused: &refused,
    })
    .unwrap();
    assert_eq!(rec.stats.amended, rec.amends.len());
    if !rec.amends.is_empty() {
        assert!(
            rec.revisions_to_persist.len() < desired.len(),
            "amends use no new id"
        );
    }
    rec.actions().map(|a| render(&a)).collect()
}

#[test]
fn only_shrinking_is_amended_in_place_with_the_new_total() {
    let b1 = Slot::Buy(1);
    let shrink = [open("gb7-B1-1", limit(b1, "100", "2"), "0")];
    assert_eq!(
        run_amending(&[limit(b1, "100", "1.5")], &shrink, &[]),
        ["amend gb7-B1-1 to 1.5"]
    );
    // `newQty` is the total: the executed 0.5 plus the 1 still wanted.
    let partly = [open("gb7-B1-1", limit(b1, "100", "2"), "0.5")];
    assert_eq!(
        run_amending(&[limit(b1, "100", "1")], &partly, &[]),
        ["amend gb7-B1-1 to 1.5"]
    );
    // Growing, or any other field changing, is a replace.
    assert_eq!(
        run_amending(&[limit(b1, "100", "3")], &shrink, &[]),
        ["replace gb7-B1-1 by gb7-B1-2 LIMIT BUY 100 x 3"]
    );
    assert_eq!(
        run_amending(&[limit(b1, "99", "1")], &shrink, &[]),
        ["replace gb7-B1-1 by gb7-B1-2 LIMIT BUY 99 x 1"]
    );
    let mut maker = limit(b1, "100", "1");
    maker.order_type = OrderType::LimitMaker;
    maker.time_in_force = None;
    assert_eq!(
        run_amending(&[maker], &shrink, &[]),
        ["replace gb7-B1-1 by gb7-B1-2 LIMIT_MAKER BUY 100 x 1"]
    );
}

#[test]
fn a_refused_or_disallowed_amend_falls_back_to_replace() {
    let b1 = Slot::Buy(1);
    let shrink = [open("gb7-B1-1", limit(b1, "100", "2"), "0")];
    assert_eq!(
        run_amending(&[limit(b1, "100", "1.5")], &shrink, &["gb7-B1-1"]),
        ["replace gb7-B1-1 by gb7-B1-2 LIMIT BUY 100 x 1.5"]
    );
    // Disallowed: the default of every other test here.
    let rec = run(&[limit(b1, "100", "1.5")], &shrink, &[]).unwrap();
    assert!(rec.amends.is_empty());
    assert_eq!(rec.replaces.len(), 1);
}

#[test]
fn duplicates_in_a_slot_amend_the_newest_and_cancel_the_rest() {
    let b1 = Slot::Buy(1);
    let actual = [
        open("gb7-B1-2", limit(b1, "100", "2"), "0"),
        open("gb7-B1-1", limit(b1, "100", "3"), "0"),
    ];
    assert_eq!(
        run_amending(&[limit(b1, "100", "1")], &actual, &[]),
        ["cancel gb7-B1-1", "amend gb7-B1-2 to 1"]
    );
}

#[test]
fn amends_come_after_cancels_and_before_creates_in_both_forms() {
    let actual = [
        open("gb7-B1-1", limit(Slot::Buy(1), "100", "2"), "0"),
        open("gb7-B2-1", limit(Slot::Buy(2), "90", "2"), "0"),
    ];
    let desired = [
        limit(Slot::Buy(1), "100", "1"),
        limit(Slot::Buy(3), "80", "1"),
    ];
    let prefix = IdPrefix::default();
    let rec = reconcile(&ReconcileInput {
        prefix: &prefix,
        basket: BASKET,
        desired: &desired,
        actual: &actual,
        revisions: &BTreeMap::new(),
        amend_allowed: true,
        amend_refused: &BTreeSet::new(),
    })
    .unwrap();
    let expected = [
        "cancel gb7-B2-1",
        "amend gb7-B1-1 to 1",
        "create gb7-B3-1 LIMIT BUY 80 x 1",
    ];
    let all: Vec<String> = rec.actions().map(|a| render(&a)).collect();
    let two_step: Vec<String> = rec.two_step_actions().map(|a| render(&a)).collect();
    assert_eq!(all, expected);
    assert_eq!(two_step, expected);
    let after = apply(&actual, &rec);
    let b1 = after
        .iter()
        .find(|o| o.client_id == id("gb7-B1-1"))
        .unwrap();
    assert_eq!((b1.spec.qty, b1.exchange_id), (q("1"), Some(1)));
}
