//! Bringing the store up to date with the exchange: fills and order states (pending intents:
//! `intents.rs`).

use crate::apps::bot::{trade_cursor_key, Bot, BotError};
use crate::core::money::Quote;
use crate::core::symbol::Symbol;
use crate::ports::exchange::{
    earliest_created_ms, Exchange, ExchangeError, ExchangeTrade, OrderRef, OrderReport,
};
use crate::ports::store::{EventLevel, FillRecord, OrderRecord, Store};

/// Most trades Binance returns per `myTrades` page.
const TRADES_PAGE: usize = 1000;

impl<E: Exchange, S: Store> Bot<E, S> {
    /// Brings fills and orders up to date; returns the new fills' count and the symbol's open
    /// orders. The open orders are read first and unjournalled orders of ours adopted before
    /// the trades are synced, so every trade of them finds its order; and every execution the
    /// open orders show is then among the fills the plan sees.
    pub(super) async fn sync(&mut self, now: i64) -> Result<(usize, Vec<OrderReport>), BotError> {
        let symbol = self.settings.strategy.symbol.clone();
        let open = self.exchange.open_orders(&symbol).await?;
        self.metrics.set_foreign_open_orders(open.foreign.len());
        self.adopt_unknown(&open).await?;
        let fills = self.sync_fills(now).await?;
        self.sync_orders(&open).await?;
        Ok((fills, open.ours))
    }

    /// Records our new trades as fills, exactly once, and advances the trade cursor. A trade of
    /// an order the journal lacks is looked up by order id: ours (our prefix and one of our
    /// intents) → the order is adopted first; someone else's (manual trading on the same
    /// account) → skipped. An order that cannot be read yet stops the sync *before* its trade,
    /// the cursor stays there, and the step fails: its fill is never skipped.
    pub(super) async fn sync_fills(&mut self, now: i64) -> Result<usize, BotError> {
        let symbol = self.settings.strategy.symbol.clone();
        let key = trade_cursor_key(&symbol, &self.settings.prefix);
        let mut cursor: u64 = match self.store.config_value(&key).await? {
            Some(v) => v.parse().unwrap_or(0),
            None => 0,
        };
        let mut stored = cursor;
        let mut new = 0;
        loop {
            let trades = self.exchange.my_trades(&symbol, cursor).await?;
            let page = trades.len();
            for t in trades {
                let journalled = self.store.order_by_exchange_id(&symbol, t.order_id).await?;
                let order = match journalled {
                    // Another grid's order on this symbol (a shared store): its own cursor
                    // reads the trade and journals it; this grid passes it by.
                    Some(order) if !self.owns_order(&order) => {
                        cursor = cursor.max(t.trade_id + 1);
                        continue;
                    }
                    Some(order) => order,
                    None => match self.traded_order(&t).await {
                        Ok(Some(order)) => order,
                        Ok(None) => {
                            tracing::debug!(
                                trade = t.trade_id,
                                order = t.order_id,
                                "foreign trade skipped"
                            );
                            cursor = cursor.max(t.trade_id + 1);
                            continue;
                        }
                        Err(e) => {
                            self.save_cursor(&key, cursor, stored, now).await?;
                            return Err(e);
                        }
                    },
                };
                cursor = cursor.max(t.trade_id + 1);
                if self.journal_trade(&order, &t, "").await? {
                    new += 1;
                }
            }
            stored = self.save_cursor(&key, cursor, stored, now).await?;
            if page < TRADES_PAGE {
                return Ok(new);
            }
        }
    }

    /// A fee paid in a third asset (BNB), valued in the symbol's quote asset: the amount ×
    /// the `<ASSET><QUOTE>` price at the fill (its minute's close, so a fill synced after
    /// downtime is still valued when it was paid). Journalled with the fill, so the P&L it
    /// enters is reproducible.
    /// No such market (refused) → `None`: the fee is kept apart, unvalued, with a warning.
    pub(super) async fn fee_value(&self, t: &ExchangeTrade) -> Result<Option<Quote>, BotError> {
        let (base, quote) = (&self.rules.base_asset, &self.rules.quote_asset);
        let asset = &t.commission_asset;
        if asset == base || asset == quote || t.commission.is_zero() {
            return Ok(None);
        }
        let Ok(market) = Symbol::parse(&format!("{asset}{quote}")) else {
            return Ok(None);
        };
        match self.exchange.price_at(&market, t.time_ms).await {
            Ok(price) => Ok(Some(Quote::new(t.commission.get() * price.get()))),
            Err(ExchangeError::Rejected(e)) => {
                tracing::warn!(%market, code = e.code, "fee asset has no price: its fee is not valued");
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Writes the trade cursor when it moved (a quiet step writes nothing); returns it.
    async fn save_cursor(
        &self,
        key: &str,
        cursor: u64,
        stored: u64,
        now: i64,
    ) -> Result<u64, BotError> {
        if cursor != stored {
            self.store
                .set_config_value(key, &cursor.to_string(), now)
                .await?;
        }
        Ok(cursor)
    }

    /// The order of a trade the journal lacks, adopted when it is ours; `None` when it is
    /// someone else's. An error when it cannot be read (the exchange does not know it yet):
    /// whose it is cannot be told, so its trade must wait.
    async fn traded_order(&mut self, t: &ExchangeTrade) -> Result<Option<OrderRecord>, BotError> {
        // Before this grid's first basket on the symbol nothing can be ours (an account's
        // history, read by a new journal): no lookup, which could fail on an old order.
        let first = self
            .store
            .baskets(false)
            .await?
            .into_iter()
            .filter(|b| self.owns_basket(b))
            .map(|b| b.basket.created_ms)
            .min();
        if first.is_none_or(|ms| t.time_ms < earliest_created_ms(ms)) {
            return Ok(None);
        }
        let by_id = OrderRef::Id(t.order_id);
        let Some(report) = self.exchange.query(&t.symbol, &by_id).await? else {
            return Err(BotError::Exchange(ExchangeError::Unknown(format!(
                "trade {} of order {}: the order cannot be read yet; fills wait for it",
                t.trade_id, t.order_id
            ))));
        };
        if !self.adopt(&report).await? {
            return Ok(None);
        }
        Ok(self
            .store
            .order_by_exchange_id(&t.symbol, t.order_id)
            .await?)
    }

    /// Refreshes every order of ours: those on the book from `open`, those the store still
    /// believes open but the book no longer has by querying them (filled, cancelled, expired).
    pub(super) async fn sync_orders(&mut self, open: &[OrderReport]) -> Result<(), BotError> {
        let symbol = &self.settings.strategy.symbol;
        for record in self.store.open_orders().await? {
            if !self.owns_order(&record) {
                continue;
            }
            if let Some(now) = open.iter().find(|r| r.order_id == record.report.order_id) {
                if now != &record.report {
                    let mut now = now.clone();
                    now.spec.slot = record.slot;
                    self.store.upsert_order(record.basket_id, &now).await?;
                }
                continue;
            }
            // By exchange id: the client id may since have been reused by someone else.
            if let Some(mut report) = self
                .exchange
                .query(symbol, &OrderRef::Id(record.report.order_id))
                .await?
            {
                report.spec.slot = record.slot;
                self.store.upsert_order(record.basket_id, &report).await?;
            }
        }
        Ok(())
    }

    /// Records open orders that carry our prefix, a basket of ours and the id of one of our
    /// intents but are missing from the store (an intent wrongly concluded absent because the
    /// exchange's lookup lagged longer than the grace period): from now on their fills are
    /// attributed, never dropped.
    async fn adopt_unknown(&mut self, open: &[OrderReport]) -> Result<(), BotError> {
        for report in open {
            let known = self
                .store
                .order_by_exchange_id(&report.symbol, report.order_id)
                .await?
                .is_some();
            if !known {
                self.adopt(report).await?;
            }
        }
        Ok(())
    }

    /// Records an order the journal lacks if it is ours: our prefix, a basket of ours on its
    /// symbol, and the client id of one of our intents, created no earlier than that intent
    /// (an older order with the id is a namesake). Returns whether it was adopted.
    async fn adopt(&mut self, report: &OrderReport) -> Result<bool, BotError> {
        let Some(parsed) = report.client_id.parse_ours(&self.settings.prefix) else {
            return Ok(false);
        };
        let basket = self.store.basket(parsed.basket).await?;
        if basket.is_none_or(|b| b.symbol != report.symbol || b.prefix != self.settings.prefix) {
            return Ok(false);
        }
        // Only an id this journal wrote an intent for (a placement it gave up on): an order
        // it never meant to place is someone else's, even with our prefix.
        let intents = self.store.intents(parsed.basket).await?;
        let Some(intent) = intents.iter().find(|i| i.client_id == report.client_id) else {
            tracing::warn!(client_id = %report.client_id, "order with our prefix but no intent: not adopted");
            return Ok(false);
        };
        if report.time_ms < earliest_created_ms(intent.created_ms) {
            tracing::warn!(client_id = %report.client_id, "order older than our intent: a namesake, not adopted");
            return Ok(false);
        }
        let mut report = report.clone();
        report.spec.slot = parsed.slot;
        self.store.upsert_order(parsed.basket, &report).await?;
        let text = format!(
            "order {} found on the exchange but not in the journal: recorded",
            report.client_id
        );
        let now = report.update_ms;
        self.event(
            now,
            Some(parsed.basket),
            EventLevel::Warn,
            "order_adopted",
            text,
        )
        .await?;
        Ok(true)
    }

    /// Journals one trade of a journalled order as a fill (its fee valued at the fill's
    /// minute) and, when it is new, its "fill" event. `how` tags where it came from
    /// (`", pushed"` for the stream, empty for the REST sweep). Returns whether it was new.
    pub(super) async fn journal_trade(
        &mut self,
        order: &OrderRecord,
        t: &ExchangeTrade,
        how: &str,
    ) -> Result<bool, BotError> {
        let mut fill = t.to_fill(order.slot);
        fill.commission.quote_value = self.fee_value(t).await?;
        let inserted = self
            .store
            .insert_fill(&FillRecord {
                basket_id: order.basket_id,
                symbol: self.settings.strategy.symbol.clone(),
                fill,
            })
            .await?;
        if inserted {
            crash_point!("bot::fill_inserted");
            let text = format!(
                "{} {} {} at {} ({}{how})",
                order.slot,
                t.side.as_str(),
                t.qty,
                t.price,
                order.report.client_id
            );
            self.event(
                t.time_ms,
                Some(order.basket_id),
                EventLevel::Info,
                "fill",
                text,
            )
            .await?;
        }
        Ok(inserted)
    }
}
