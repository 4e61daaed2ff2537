//! Orders the exchange expired under the Price Range Execution Rule (`expiryReason`
//! `EXECUTION_RULE_PRICE_RANGE_EXCEEDED`, since 2026-03): the market traded outside the band
//! around Binance's reference price, a moving average. Placing the same order again at once
//! would most likely expire again, step after step. So, as a trader would:
//! - the expiry and its reason are journalled (event `order_expired`, warn);
//! - the slot waits [`HOLD_MS`] (a minute of server time, for the reference to move) before
//!   it is placed again; other slots carry on;
//! - the third such expiry of one slot within [`WINDOW_MS`] pauses the basket (status `error`
//!   with the reason): the market is not coming back into the band, the operator looks.
//!
//! The store keeps no reason, so the reason of each recently expired order is read from the
//! exchange once (`GET order`, weight 4) and remembered for the bot's lifetime.

use crate::apps::bot::{Bot, BotError};
use crate::core::order::{ExpiryReason, OrderStatus, Slot};
use crate::core::reconcile::Action;
use crate::ports::exchange::{Exchange, OrderRef};
use crate::ports::store::{EventLevel, Store};
use std::collections::BTreeSet;

/// How long a slot waits after a price-range expiry, server ms.
pub const HOLD_MS: i64 = 60_000;
/// The window in which [`MAX_EXPIRIES`] expiries of one slot pause the basket, server ms.
pub const WINDOW_MS: i64 = 15 * 60_000;
/// Price-range expiries of one slot within [`WINDOW_MS`] that pause the basket.
pub const MAX_EXPIRIES: usize = 3;

/// One price-range expiry of a slot at `at_ms` (server time of the expiry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    /// The slot whose order expired.
    pub slot: Slot,
    /// When it expired.
    pub at_ms: i64,
}

/// What the recent expiries mean now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Slots that must not be placed this step.
    pub held: BTreeSet<Slot>,
    /// Pause the basket with this reason.
    pub pause: Option<String>,
}

/// The verdict at `now` from the price-range expiries of one basket.
pub fn verdict(expiries: &[Expiry], now: i64) -> Verdict {
    let mut v = Verdict::default();
    let recent = || expiries.iter().filter(|e| now - e.at_ms < WINDOW_MS);
    for e in recent() {
        if now - e.at_ms < HOLD_MS {
            v.held.insert(e.slot);
        }
        let count = recent().filter(|x| x.slot == e.slot).count();
        if count >= MAX_EXPIRIES && v.pause.is_none() {
            v.pause = Some(format!(
                "{count} orders of slot {} expired by the price-range execution rule within {} \
                 minutes (EXECUTION_RULE_PRICE_RANGE_EXCEEDED): the market is outside Binance's \
                 allowed band; resume once it is back",
                e.slot,
                WINDOW_MS / 60_000
            ));
        }
    }
    v
}

/// `actions` without the creates and replaces of held slots.
pub fn without_held(actions: Vec<Action>, held: &BTreeSet<Slot>) -> Vec<Action> {
    actions
        .into_iter()
        .filter(|a| match a {
            // Both only reduce what rests.
            Action::Cancel(_) | Action::Amend(_) => true,
            Action::Create(c) => !held.contains(&c.spec.slot),
            Action::Replace(r) => !held.contains(&r.spec.slot),
        })
        .collect()
}

impl<E: Exchange, S: Store> Bot<E, S> {
    /// The price-range verdict for one basket at `now` (reasons read and journalled once).
    pub(super) async fn price_range_verdict(
        &mut self,
        basket_id: u32,
        now: i64,
    ) -> Result<Verdict, BotError> {
        let mut expiries = Vec::new();
        for record in self.store.orders(basket_id).await? {
            let r = &record.report;
            if r.status != OrderStatus::Expired || now - r.update_ms >= WINDOW_MS {
                continue;
            }
            let reason = match self.expiry_reasons.get(&r.order_id) {
                Some(known) => known.clone(),
                None => {
                    let reason = self.read_expiry_reason(r.order_id).await?;
                    self.journal_expiry(basket_id, &record, reason.as_ref(), now)
                        .await?;
                    self.expiry_reasons.insert(r.order_id, reason.clone());
                    reason
                }
            };
            if reason.is_some_and(|x| x.is_price_range()) {
                expiries.push(Expiry {
                    slot: record.slot,
                    at_ms: r.update_ms,
                });
            }
        }
        Ok(verdict(&expiries, now))
    }

    async fn read_expiry_reason(&self, order_id: u64) -> Result<Option<ExpiryReason>, BotError> {
        let symbol = &self.settings.strategy.symbol;
        let report = self.exchange.query(symbol, &OrderRef::Id(order_id)).await?;
        Ok(report.and_then(|r| r.expiry_reason))
    }

    async fn journal_expiry(
        &self,
        basket_id: u32,
        record: &crate::ports::store::OrderRecord,
        reason: Option<&ExpiryReason>,
        now: i64,
    ) -> Result<(), BotError> {
        let id = &record.report.client_id;
        let slot = record.slot;
        let (level, text) = match reason {
            Some(r) if r.is_price_range() => (
                EventLevel::Warn,
                format!(
                    "order {id} ({slot}) expired: {} (price-range execution rule); the slot \
                     waits {} s before it is placed again",
                    r.as_str(),
                    HOLD_MS / 1000
                ),
            ),
            Some(r) => (
                EventLevel::Info,
                format!("order {id} ({slot}) expired: {}", r.as_str()),
            ),
            None => (
                EventLevel::Info,
                format!("order {id} ({slot}) expired (no reason given)"),
            ),
        };
        self.event(now, Some(basket_id), level, "order_expired", text)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_waits_a_minute_and_the_third_expiry_pauses() {
        let e = |slot, at_ms| Expiry { slot, at_ms };
        let one = [e(Slot::Buy(1), 1_000)];
        assert_eq!(verdict(&one, 1_000).held, BTreeSet::from([Slot::Buy(1)]));
        assert_eq!(verdict(&one, 60_999).held.len(), 1);
        assert!(
            verdict(&one, 61_000).held.is_empty(),
            "placed again after a minute"
        );
        assert_eq!(verdict(&one, 61_000).pause, None);
        let three = [
            e(Slot::Buy(1), 1_000),
            e(Slot::Tp1, 50_000),
            e(Slot::Buy(1), 62_000),
            e(Slot::Buy(1), 123_000),
        ];
        let v = verdict(&three, 124_000);
        assert!(v.pause.as_deref().unwrap().contains("slot B1"), "{v:?}");
        // Older than the window: forgotten.
        let v = verdict(&three, 1_000 + WINDOW_MS);
        assert_eq!(v.pause, None);
        assert!(v.held.is_empty());
    }
}
