//! Buys wait for funds: after Binance refused a basket's buy for "insufficient balance", the
//! bot stops sending that basket's new buys instead of re-sending the same plan every step
//! (each refusal costs request weight and fills the event log), until the free quote balance
//! covers the refused buy again: the operator deposited, or sells or cancels freed funds.
//!
//! Rules: the balances are read right after the refusal (the event says what was free) and
//! then at most once a minute of server time while the hold lasts. Only new buys wait:
//! cancels, replacements of resting buys (their funds are on the book already) and every sell
//! go on. Holds live in memory: a restart tries once more and holds again if still short.

use crate::apps::bot::{Bot, BotError};
use crate::core::money::Quote;
use crate::core::order::{OrderSpec, Side};
use crate::core::reconcile::Action;
use crate::ports::exchange::Exchange;
use crate::ports::store::{EventLevel, Store};
use std::collections::BTreeMap;

/// How often a hold re-reads the balances (server time).
const RECHECK_MS: i64 = 60_000;

/// One basket's hold: what the refused buy needed, when the balances were last read.
#[derive(Debug, Clone, Copy)]
struct Hold {
    needed: Quote,
    checked_ms: i64,
}

/// Baskets whose new buys wait for funds.
#[derive(Debug, Default)]
pub(crate) struct BuyHolds(BTreeMap<u32, Hold>);

impl<E: Exchange, S: Store> Bot<E, S> {
    /// Free quote balance, read now.
    async fn free_quote(&self) -> Result<Quote, BotError> {
        let account = self.exchange.account().await?;
        Ok(account
            .balances
            .iter()
            .find(|b| b.asset == self.rules.quote_asset)
            .map_or(Quote::ZERO, |b| b.free.as_quote()))
    }

    /// After an "insufficient balance" refusal of `spec` in basket `id`: reads the balances
    /// and, for a buy, holds the basket's new buys until the free quote covers it.
    pub(super) async fn on_insufficient_balance(
        &mut self,
        id: u32,
        spec: &OrderSpec,
        now: i64,
    ) -> Result<(), BotError> {
        let account = self.exchange.account().await?;
        let free = |asset| {
            account
                .balances
                .iter()
                .find(|b| &b.asset == asset)
                .map(|b| b.free.to_string())
                .unwrap_or_else(|| "0".into())
        };
        let (quote, base) = (&self.rules.quote_asset, &self.rules.base_asset);
        let balances = format!("free {} {quote}, {} {base}", free(quote), free(base));
        if spec.side == Side::Sell {
            let text = format!("a sell was refused for insufficient balance ({balances})");
            return self
                .event(
                    now,
                    Some(id),
                    EventLevel::Warn,
                    "insufficient_balance",
                    text,
                )
                .await;
        }
        let needed = spec.price.map_or(Quote::ZERO, |p| p * spec.qty);
        self.buy_holds.0.insert(
            id,
            Hold {
                needed,
                checked_ms: now,
            },
        );
        let text = format!(
            "basket {id}: buy of {needed} {quote} refused for insufficient balance ({balances}); \
             new buys wait until the free balance covers it"
        );
        self.event(now, Some(id), EventLevel::Warn, "buys_paused", text)
            .await
    }

    /// `actions` without the new buys while basket `id` waits for funds; lifts the hold once
    /// the free quote balance covers the refused buy (read at most once a minute).
    pub(super) async fn without_held_buys(
        &mut self,
        id: u32,
        actions: Vec<Action>,
        now: i64,
    ) -> Result<Vec<Action>, BotError> {
        let Some(hold) = self.buy_holds.0.get(&id).copied() else {
            return Ok(actions);
        };
        let wants_buy = actions
            .iter()
            .any(|a| matches!(a, Action::Create(c) if c.spec.side == Side::Buy));
        if !wants_buy {
            return Ok(actions);
        }
        if now.saturating_sub(hold.checked_ms) >= RECHECK_MS {
            let free = self.free_quote().await?;
            if free >= hold.needed && free.is_positive() {
                self.buy_holds.0.remove(&id);
                let text = format!(
                    "basket {id}: {free} {} free again; buying resumes",
                    self.rules.quote_asset
                );
                self.event(now, Some(id), EventLevel::Info, "buys_resumed", text)
                    .await?;
                return Ok(actions);
            }
            if let Some(h) = self.buy_holds.0.get_mut(&id) {
                h.checked_ms = now;
            }
        }
        Ok(actions
            .into_iter()
            .filter(|a| !matches!(a, Action::Create(c) if c.spec.side == Side::Buy))
            .collect())
    }
}
