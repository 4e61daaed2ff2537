//! The reads behind a portfolio's pages: the overview (one row per grid) and one grid's
//! live part and chart. Each grid is shown at its own symbol's latest snapshot price (the
//! bot's last read, shared by the grids, is whichever grid stepped last) and precision.
//!
//! Bounded like the one-symbol page: open orders, open baskets, the cached snapshots
//! (`Reader::recent`) and books ([`super::ledger`]), one `bot_config` row for the limits
//! holding, `MAX(id)`; all baskets are read only when a basket was added or left the open
//! ones (`read::NewestCache`).

use super::chart::{ChartView, Range};
use super::grids::GridInfo;
use super::ledger::Books;
use super::overview::{self, GridInput, OverviewView};
use super::read::{PriceSource, Reader};
use super::view::{self, BasketView, LiveView};
use crate::core::basket::BasketStatus;
use crate::core::client_id::IdPrefix;
use crate::core::money::Price;
use crate::core::symbol::Symbol;
use crate::ports::store::{BasketRecord, OrderRecord, Store, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

impl<S: Store> Reader<S> {
    /// The overview of every grid.
    pub async fn overview(&self) -> Result<OverviewView, StoreError> {
        let books = self.ledger.refresh(&*self.store).await?;
        let latest = self.store.snapshots(1).await?.pop();
        let recent = self.recent(latest.as_ref()).await?;
        let open = self.store.open_orders().await?;
        let records = self.store.open_baskets().await?;
        let newest = self.newest_closed(&records).await?;
        let held = crate::ports::operator::load_held(&*self.store).await?;
        let rows = self
            .grids
            .all()
            .iter()
            .map(|grid| {
                let last = recent.prices.get(&grid.pair.symbol).copied();
                let baskets = self.grid_baskets(grid, &books, &records, &open, last);
                overview::grid_row(&GridInput {
                    grid,
                    baskets: &baskets,
                    newest_closed: newest
                        .get(&(grid.pair.symbol.clone(), grid.prefix.clone()))
                        .copied(),
                    totals: books.totals_of(&grid.pair.symbol, &grid.prefix),
                    open_orders: open.iter().filter(|o| is_of(grid, o)).count(),
                    last_price: last,
                    held: held.get(&grid.name).map_or(&[][..], Vec::as_slice),
                })
            })
            .collect();
        let mut view = overview::overview(rows);
        if let Some(stored) = crate::ports::operator::load_correlation(&*self.store).await? {
            let labels = self
                .grids
                .all()
                .iter()
                .map(|g| (g.pair.symbol.clone(), g.pair.base.to_string()))
                .collect();
            view.correlation = Some(super::correlation::view(&stored, &labels));
        }
        Ok(view)
    }

    /// One grid's live part: its baskets and open orders, its P&L, at its own price; the
    /// account's balances and equity.
    pub async fn grid_live_view(&self, grid: &GridInfo) -> Result<LiveView, StoreError> {
        let books = self.ledger.refresh(&*self.store).await?;
        let latest = self.store.snapshots(1).await?.pop();
        let recent = self.recent(latest.as_ref()).await?;
        let last = recent.prices.get(&grid.pair.symbol).copied();
        let open: Vec<OrderRecord> = self
            .store
            .open_orders()
            .await?
            .into_iter()
            .filter(|o| is_of(grid, o))
            .collect();
        let records = self.store.open_baskets().await?;
        let baskets = self.grid_baskets(grid, &books, &records, &open, last);
        let budget = records
            .iter()
            .find(|r| is_grids(grid, r))
            .map(|r| r.basket.config.quote_budget);
        let unrealised = baskets.iter().map(|b| b.unrealised).sum();
        let precision = grid.pair.precision();
        Ok(LiveView {
            mode: self.mode,
            symbol: grid.pair.symbol.to_string(),
            last_price: last.map(|p| precision.price(p)),
            streams: self.metrics.stream_status(),
            summary: view::summary_of(
                books.totals_of(&grid.pair.symbol, &grid.prefix),
                unrealised,
                budget,
            ),
            open_orders: open
                .iter()
                .map(|o| view::open_row(o, last, precision))
                .collect(),
            baskets,
            balances: latest.map(|s| s.balances).unwrap_or_default(),
            equity: recent.equity.clone(),
        })
    }

    /// One grid's price chart (its symbol's candles and newest open basket).
    pub async fn grid_chart_view(
        &self,
        grid: &GridInfo,
        range: Range,
    ) -> Result<ChartView, StoreError> {
        let latest = self.store.snapshots(1).await?.pop();
        let last = self
            .recent(latest.as_ref())
            .await?
            .prices
            .get(&grid.pair.symbol)
            .copied();
        self.chart_of(&grid.pair, PriceSource::Known(last), range)
            .await
    }

    fn grid_baskets(
        &self,
        grid: &GridInfo,
        books: &Books,
        records: &[BasketRecord],
        open: &[OrderRecord],
        last: Option<Price>,
    ) -> Vec<BasketView> {
        let precision = grid.pair.precision();
        records
            .iter()
            .filter(|r| is_grids(grid, r))
            .map(|r| {
                let book = books.book(r, &self.ledger);
                view::basket_view(r, &book, open, last, precision)
            })
            .collect()
    }

    /// The newest basket's status of each grid (symbol and prefix); re-read only when a basket was added or
    /// one left the open ones (see [`super::read::NewestCache`]).
    async fn newest_closed(
        &self,
        open: &[BasketRecord],
    ) -> Result<Arc<BTreeMap<(Symbol, IdPrefix), BasketStatus>>, StoreError> {
        let key = (
            self.store.max_basket_id().await?,
            open.iter().map(|r| r.basket.id).collect::<Vec<_>>(),
        );
        if let Some((k, map)) = self
            .newest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            if *k == key {
                return Ok(map.clone());
            }
        }
        let mut map = BTreeMap::new();
        for r in self.store.baskets(false).await? {
            map.entry((r.symbol, r.prefix)).or_insert(r.basket.status);
        }
        let map = Arc::new(map);
        *self.newest.lock().unwrap_or_else(|e| e.into_inner()) = Some((key, map.clone()));
        Ok(map)
    }
}

/// Whether `record` is a basket of `grid`'s: its symbol, under its prefix.
fn is_grids(grid: &GridInfo, record: &BasketRecord) -> bool {
    record.symbol == grid.pair.symbol && record.prefix == grid.prefix
}

/// Whether `order` is `grid`'s: its symbol, under its client-id prefix.
fn is_of(grid: &GridInfo, order: &OrderRecord) -> bool {
    order.report.symbol == grid.pair.symbol && grid.prefix.marks(order.report.client_id.as_str())
}
