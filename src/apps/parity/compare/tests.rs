//! Each kind of difference from one changed field; identical runs give none.

use super::*;
use rust_decimal::Decimal;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn order(slot: Slot, price: &str, qty: &str, time_ms: i64) -> OrderRow {
    OrderRow {
        basket: 1,
        slot,
        side: slot.side(),
        order_type: OrderType::Limit,
        price: Some(Price::new(d(price))),
        stop_price: None,
        qty: Qty::new(d(qty)),
        time_ms,
    }
}

fn fill(slot: Slot, price: &str, qty: &str, time_ms: i64) -> FillRow {
    FillRow {
        basket: 1,
        slot,
        side: slot.side(),
        price: Price::new(d(price)),
        qty: Qty::new(d(qty)),
        fee: Some(Quote::new(d(price) * d(qty) / d("1000"))),
        time_ms,
        order_price: Some(Price::new(d("4.000"))),
        order_qty: Qty::new(d("10")),
    }
}

fn run() -> RunRows {
    RunRows {
        orders: vec![
            order(Slot::Buy(1), "4.000", "10", 100),
            order(Slot::Tp1, "4.100", "5", 200),
        ],
        fills: vec![fill(Slot::Buy(1), "4.000", "10", 150)],
        pnl: [(1, Quote::ZERO)].into_iter().collect(),
    }
}

struct Case {
    label: &'static str,
    change: fn(&mut RunRows),
    kinds: &'static [Kind],
}

#[test]
fn each_changed_field_is_reported_as_its_kind() {
    let cases = [
        Case {
            label: "same",
            change: |_| {},
            kinds: &[],
        },
        Case {
            label: "placement time only",
            change: |r| r.orders[0].time_ms = 999,
            kinds: &[],
        },
        Case {
            label: "order price",
            change: |r| r.orders[1].price = Some(Price::new(d("4.2"))),
            kinds: &[Kind::MissingOrder, Kind::ExtraOrder],
        },
        Case {
            label: "order removed",
            change: |r| {
                r.orders.remove(1);
            },
            kinds: &[Kind::MissingOrder],
        },
        Case {
            label: "fill price",
            change: |r| r.fills[0].price = Price::new(d("3.990")),
            kinds: &[Kind::Slippage],
        },
        Case {
            label: "fill qty",
            change: |r| r.fills[0].qty = Qty::new(d("4")),
            kinds: &[Kind::PartialFill],
        },
        Case {
            label: "fill time",
            change: |r| r.fills[0].time_ms = 60_150,
            kinds: &[Kind::Latency],
        },
        Case {
            label: "fee only",
            change: |r| r.fills[0].fee = Some(Quote::new(d("0.1"))),
            kinds: &[Kind::Fee],
        },
        Case {
            label: "fill removed",
            change: |r| {
                r.fills.clear();
            },
            kinds: &[Kind::MissingFill],
        },
        Case {
            label: "fill added",
            change: |r| r.fills.push(fill(Slot::Tp1, "4.100", "5", 300)),
            kinds: &[Kind::ExtraFill],
        },
        Case {
            label: "pnl",
            change: |r| {
                r.pnl.insert(1, Quote::new(d("0.5")));
            },
            kinds: &[Kind::Pnl],
        },
    ];
    for case in cases {
        let mut journal = run();
        (case.change)(&mut journal);
        let kinds: Vec<Kind> = compare(&journal, &run()).iter().map(|d| d.kind).collect();
        assert_eq!(kinds, case.kinds, "{}", case.label);
    }
}

#[test]
fn slippage_names_the_level_and_the_amount() {
    let mut journal = run();
    journal.fills[0].price = Price::new(d("3.990"));
    let diffs = compare(&journal, &run());
    assert_eq!(diffs.len(), 1);
    assert!(
        diffs[0].detail.contains("3.990") && diffs[0].detail.contains("level 4.000"),
        "{}",
        diffs[0].detail
    );
}
