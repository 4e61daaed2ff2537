//! The notifier's source: tails the journal's event log by row id and queues what
//! [`compose`] makes of each event, one row per channel that wants its category, in the same
//! transaction as the cursor (so an event is queued once, whatever restarts). Also queues the
//! daily summary when the market clock (latest event or quiescent step) passes midnight UTC.

use super::compose::{self, BasketFacts, DayFacts, Notice, Origin};
use super::config::Pacing;
use crate::apps::bot::QUIESCENT_KEY;
use crate::apps::dashboard::ledger::Pairs;
use crate::core::money::Quote;
use crate::core::order::Side;
use crate::core::symbol::{Asset, Symbol};
use crate::ports::outbox::{ChannelKind, NewNotification, Outbox};
use crate::ports::store::{EventLevel, FillQuery, Store, StoreError};
use std::collections::BTreeMap;

/// `bot_config` key: the last event row id queued.
pub const EVENT_CURSOR_KEY: &str = "notify:event_cursor";
/// `bot_config` key: the start (Unix ms) of the last UTC day summarized.
pub const DAILY_DONE_KEY: &str = "notify:daily_done_ms";

const DAY_MS: i64 = 86_400_000;
/// Events read per pass.
const PAGE: u64 = 200;

/// The source's state between passes.
pub(super) struct Source<S> {
    pub store: S,
    /// Mode, and the label of events that belong to no basket (the symbol for a single bot,
    /// `portfolio` for several grids); a basket's events are labelled with its symbol.
    pub origin: Origin,
    /// The traded pairs (a basket's P&L is booked by its own).
    pub pairs: Pairs,
    pub channels: Vec<(ChannelKind, Pacing)>,
    /// Latest event time seen (market clock).
    pub market_ms: i64,
    /// Symbol of each basket seen (events carry only the basket id).
    pub basket_symbols: BTreeMap<u32, Symbol>,
}

impl<S: Store + Outbox> Source<S> {
    /// Starts the cursor at the end of the log when there is none: a journal's history is
    /// not news.
    pub async fn init(&self, now_ms: i64) -> Result<(), StoreError> {
        if self.store.config_value(EVENT_CURSOR_KEY).await?.is_none() {
            let last = self.store.last_event_id().await?;
            self.store
                .enqueue(&[], Some((EVENT_CURSOR_KEY, last)), now_ms)
                .await?;
        }
        Ok(())
    }

    /// One pass: queues every new event's notification; returns how many events were read.
    pub async fn pass(&mut self, now_ms: i64) -> Result<usize, StoreError> {
        let mut read = 0;
        loop {
            let cursor: i64 = self
                .store
                .config_value(EVENT_CURSOR_KEY)
                .await?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let events = self.store.events_after(cursor, PAGE).await?;
            let Some(&(last_id, _)) = events.last() else {
                break;
            };
            let mut items = Vec::new();
            for (id, event) in &events {
                self.market_ms = self.market_ms.max(event.time_ms);
                let facts = match (event.kind.as_str(), event.basket_id) {
                    ("basket_ended", Some(b)) => self.basket_facts(b).await?,
                    _ => None,
                };
                let origin = match event.basket_id {
                    Some(b) => match self.basket_symbol(b).await? {
                        Some(symbol) => Origin {
                            mode: self.origin.mode,
                            symbol: symbol.to_string(),
                        },
                        None => self.origin.clone(),
                    },
                    None => self.origin.clone(),
                };
                if let Some(notice) = compose::for_event(&origin, *id, event, facts.as_ref()) {
                    items.extend(self.per_channel(&notice));
                }
            }
            self.store
                .enqueue(&items, Some((EVENT_CURSOR_KEY, last_id)), now_ms)
                .await?;
            read += events.len();
            if (events.len() as u64) < PAGE {
                break;
            }
        }
        self.daily(now_ms).await?;
        Ok(read)
    }

    fn per_channel(&self, notice: &Notice) -> Vec<NewNotification> {
        self.channels
            .iter()
            .filter(|(_, p)| p.events.iter().any(|e| e == notice.kind))
            .map(|(channel, _)| NewNotification {
                channel: *channel,
                dedup_key: notice.dedup_key.clone(),
                kind: notice.kind.to_string(),
                level: notice.level,
                title: notice.title.clone(),
                body: notice.body.clone(),
                event_ms: notice.time_ms,
            })
            .collect()
    }

    /// The symbol basket `id` trades (cached: a basket never changes symbol).
    async fn basket_symbol(&mut self, id: u32) -> Result<Option<Symbol>, StoreError> {
        if let Some(s) = self.basket_symbols.get(&id) {
            return Ok(Some(s.clone()));
        }
        let Some(record) = self.store.basket(id).await? else {
            return Ok(None);
        };
        self.basket_symbols.insert(id, record.symbol.clone());
        Ok(Some(record.symbol))
    }

    /// The asset summaries are in (the first pair's quote).
    fn summary_quote(&self) -> Asset {
        self.pairs.quote().clone()
    }

    async fn basket_facts(&self, id: u32) -> Result<Option<BasketFacts>, StoreError> {
        let Some(record) = self.store.basket(id).await? else {
            return Ok(None);
        };
        let fills = self.store.basket_fills(id).await?;
        let pairs = &self.pairs;
        let book = pairs.replay(&record, &fills);
        Ok(Some(BasketFacts {
            status: record.basket.status,
            pnl: book.position.realised_pnl,
            quote_asset: pairs.assets(&record.symbol).1.to_string(),
        }))
    }

    /// Queues the summary of every UTC day that ended since the last one summarized (the
    /// first day counted is the one the notifier first ran in).
    async fn daily(&mut self, now_ms: i64) -> Result<(), StoreError> {
        if let Some(q) = self.store.config_value(QUIESCENT_KEY).await? {
            self.market_ms = self.market_ms.max(q.parse().unwrap_or(0));
        }
        if self.market_ms <= 0 {
            return Ok(());
        }
        let today = self.market_ms.div_euclid(DAY_MS) * DAY_MS;
        let done = match self.store.config_value(DAILY_DONE_KEY).await? {
            Some(v) => v.parse().unwrap_or(today - DAY_MS),
            None => {
                let yesterday = today - DAY_MS;
                self.store
                    .enqueue(&[], Some((DAILY_DONE_KEY, yesterday)), now_ms)
                    .await?;
                yesterday
            }
        };
        let mut day = done + DAY_MS;
        while day < today {
            let facts = self.day_facts(day).await?;
            let notice = compose::daily_summary(&self.origin, &facts);
            self.store
                .enqueue(
                    &self.per_channel(&notice),
                    Some((DAILY_DONE_KEY, day)),
                    now_ms,
                )
                .await?;
            day += DAY_MS;
        }
        Ok(())
    }

    async fn day_facts(&self, start: i64) -> Result<DayFacts, StoreError> {
        let end = start + DAY_MS;
        let in_day = |t: i64| (start..end).contains(&t);
        let all = self.store.fills(&FillQuery::default()).await?;
        let mut facts = DayFacts {
            day_start_ms: start,
            quote_asset: self.summary_quote().to_string(),
            ..DayFacts::default()
        };
        let pairs = &self.pairs;
        let mut baskets: BTreeMap<u32, Vec<crate::core::fill::Fill>> = BTreeMap::new();
        for r in all {
            baskets.entry(r.basket_id).or_default().push(r.fill);
        }
        for (id, fills) in &baskets {
            for f in fills.iter().filter(|f| in_day(f.time_ms)) {
                match f.side {
                    Side::Buy => facts.buys += 1,
                    Side::Sell => facts.sells += 1,
                }
            }
            if !fills
                .iter()
                .any(|f| f.side == Side::Sell && in_day(f.time_ms))
            {
                continue;
            }
            let Some(record) = self.store.basket(*id).await? else {
                continue;
            };
            let book = pairs.replay(&record, fills);
            for f in fills
                .iter()
                .filter(|f| f.side == Side::Sell && in_day(f.time_ms))
            {
                facts.realised += book
                    .sell_pnl
                    .get(&f.trade_id)
                    .copied()
                    .unwrap_or(Quote::ZERO);
            }
        }
        facts.value_start = self
            .store
            .snapshot_at(start - 1)
            .await?
            .map(|s| s.total_value);
        facts.value_end = self
            .store
            .snapshot_at(end - 1)
            .await?
            .map(|s| s.total_value);
        facts.open_baskets = self.store.open_baskets().await?.len();
        for e in self.store.events(10_000).await? {
            if in_day(e.time_ms) {
                match e.level {
                    EventLevel::Warn => facts.warnings += 1,
                    EventLevel::Error => facts.errors += 1,
                    EventLevel::Info => {}
                }
            }
        }
        Ok(facts)
    }
}
