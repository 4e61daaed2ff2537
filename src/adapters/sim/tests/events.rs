//! The simulated exchange as an event source: orders, trades, cancels and balances reported
//! once each, in order; nothing from before the tracker started.

use super::*;
use crate::adapters::sim::events::SimEventTracker;
use crate::ports::events::{Dedup, ExchangeEvent};

fn kinds(events: &[ExchangeEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            ExchangeEvent::Order(u) => format!(
                "{} {} {}",
                u.report.client_id,
                u.report.status.as_str(),
                u.trade
                    .as_ref()
                    .map_or("-".into(), |t| t.trade_id.to_string())
            ),
            ExchangeEvent::Balances { .. } => "balances".into(),
            ExchangeEvent::Price(_) => "price".into(),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn orders_trades_and_balances_are_reported_once_from_the_start_on() {
    let mut ex = exchange("100");
    ex.place(&limit("old", Side::Buy, "90", "0.1"), 0).unwrap();
    let mut tracker = SimEventTracker::starting_at(&ex, &[sol()]);
    assert!(kinds(&tracker.changes(&ex, &[sol()], 0))
        .iter()
        .all(|k| k == "price"));
    ex.place(&limit("buy1", Side::Buy, "99", "0.1"), 1).unwrap();
    assert_eq!(
        kinds(&tracker.changes(&ex, &[sol()], 1)),
        ["buy1 NEW -", "balances"]
    );
    feed(&mut ex, &candle(1, "100", "100", "98", "98", "1000"));
    let after_fill = kinds(&tracker.changes(&ex, &[sol()], 2));
    assert!(
        after_fill.contains(&"buy1 FILLED 1".to_string()),
        "{after_fill:?}"
    );
    assert!(after_fill.contains(&"balances".to_string()));
    ex.cancel(
        &sol(),
        &crate::adapters::sim::OrderRef::Client(cid("old")),
        3,
    )
    .unwrap();
    let cancelled = kinds(&tracker.changes(&ex, &[sol()], 3));
    assert!(
        cancelled.contains(&"old CANCELED -".to_string()),
        "{cancelled:?}"
    );
    assert!(
        tracker.changes(&ex, &[sol()], 4).is_empty(),
        "nothing twice"
    );
}

#[test]
fn dedup_passes_each_trade_and_each_order_state_once() {
    let mut ex = exchange("100");
    let mut tracker = SimEventTracker::starting_at(&ex, &[sol()]);
    ex.place(&limit("b", Side::Buy, "99", "0.1"), 1).unwrap();
    feed(&mut ex, &candle(1, "100", "100", "98", "98", "1000"));
    let events = tracker.changes(&ex, &[sol()], 2);
    let mut dedup = Dedup::new(16);
    let first: Vec<bool> = events.iter().map(|e| dedup.first_time(e)).collect();
    assert!(first.iter().all(|f| *f));
    let again: Vec<bool> = events
        .iter()
        .filter(|e| matches!(e, ExchangeEvent::Order(_)))
        .map(|e| dedup.first_time(e))
        .collect();
    assert!(
        !again.is_empty() && again.iter().all(|f| !*f),
        "repeats dropped"
    );
}
