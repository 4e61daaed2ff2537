//! Per-basket books (position, VWAP, realised P&L per sell) replayed from the store's fills with
//! [`Position::replay`], cached, and refreshed only for baskets whose fill count changed.
//!
//! A request costs one `COUNT(*)` when nothing changed; when fills arrived, one `GROUP BY`
//! and a reload of the changed baskets only. The money math is the core's.

use crate::core::basket::Basket;
use crate::core::client_id::IdPrefix;
use crate::core::fill::Fill;
use crate::core::money::Quote;
use crate::core::order::Side;
use crate::core::strategy::position::Position;
use crate::core::symbol::{Asset, Symbol};
use crate::ports::store::{BasketRecord, FillQuery, Store, StoreError};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::Mutex;

/// More changed baskets than this are reloaded with one query for all fills.
const BULK_RELOAD: usize = 32;

/// One basket's replayed fills.
#[derive(Debug, Clone)]
pub struct Book {
    /// The basket's symbol (a portfolio's totals are kept per grid: symbol and prefix).
    pub symbol: Symbol,
    /// The basket's grid's client-id prefix (two grids may trade one symbol).
    pub prefix: IdPrefix,
    /// Position after all fills.
    pub position: Position,
    /// Realised P&L of each sell, by trade id.
    pub sell_pnl: BTreeMap<u64, Quote>,
    /// Fills replayed.
    pub fills: u64,
}

impl Book {
    /// Replays `fills` of `basket`, a basket of the grid with `prefix`.
    pub fn replay(
        basket: &Basket,
        prefix: &IdPrefix,
        fills: &[Fill],
        base: &Asset,
        quote: &Asset,
    ) -> Self {
        let mut sell_pnl = BTreeMap::new();
        let mut realised = Quote::ZERO;
        let position = Position::replay(basket, fills, base, quote, |fill, pos| {
            if fill.side == Side::Sell {
                sell_pnl.insert(fill.trade_id, pos.realised_pnl - realised);
            }
            realised = pos.realised_pnl;
        });
        Self {
            symbol: basket.config.symbol.clone(),
            prefix: prefix.clone(),
            position,
            sell_pnl,
            fills: fills.len() as u64,
        }
    }
}

/// Totals over every basket's sells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Sum of realised P&L.
    pub realised: Quote,
    /// Sells counted as trades.
    pub trades: u64,
    /// Sells with a positive P&L.
    pub wins: u64,
    /// Sells with a negative P&L.
    pub losses: u64,
    /// Sum of the positive P&Ls.
    pub won: Quote,
    /// Sum of the negative P&Ls.
    pub lost: Quote,
}

/// The base and quote asset of each traded pair: a basket's fees are booked by its own pair
/// (a fee in AVAX shrinks an AVAXUSDT position, not a FILUSDT one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairs {
    first: (Asset, Asset),
    by_symbol: BTreeMap<Symbol, (Asset, Asset)>,
}

impl Pairs {
    /// One pair (the first: its quote is the one totals are in).
    pub fn one(symbol: Symbol, base: Asset, quote: Asset) -> Self {
        let first = (base, quote);
        Self {
            by_symbol: BTreeMap::from([(symbol, first.clone())]),
            first,
        }
    }

    /// Adds a pair.
    pub fn add(&mut self, symbol: Symbol, base: Asset, quote: Asset) {
        self.by_symbol.insert(symbol, (base, quote));
    }

    /// The quote asset of the first pair.
    pub fn quote(&self) -> &Asset {
        &self.first.1
    }

    /// `symbol`'s base and quote: a known pair's, else (a symbol no longer traded) the first
    /// pair's quote and what is left of the symbol without it as the base.
    pub fn assets(&self, symbol: &Symbol) -> (Asset, Asset) {
        if let Some(p) = self.by_symbol.get(symbol) {
            return p.clone();
        }
        let quote = self.first.1.clone();
        let base = symbol
            .as_str()
            .strip_suffix(quote.as_str())
            .and_then(|b| Asset::parse(b).ok())
            .unwrap_or_else(|| self.first.0.clone());
        (base, quote)
    }

    /// A basket's book, booked by its pair.
    pub fn replay(&self, record: &BasketRecord, fills: &[Fill]) -> Book {
        let (base, quote) = self.assets(&record.basket.config.symbol);
        Book::replay(&record.basket, &record.prefix, fills, &base, &quote)
    }
}

/// The cached books of all baskets.
#[derive(Debug, Clone)]
pub struct Ledger {
    pairs: Pairs,
    /// The latest books (read without waiting).
    current: Arc<std::sync::Mutex<Option<Books>>>,
    /// Held while the books are rebuilt, so only one request replays.
    rebuild: Arc<Mutex<()>>,
}

/// What a refresh hands out: a consistent view of the books (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct Books {
    /// Book per basket with fills.
    pub books: Arc<HashMap<u32, Arc<Book>>>,
    /// Totals over all of them.
    pub totals: Totals,
    /// Totals per grid: symbol and client-id prefix (a portfolio's grids).
    pub by_grid: Arc<BTreeMap<(Symbol, IdPrefix), Totals>>,
    /// Fills in the store when they were built.
    pub fills: u64,
}

impl Books {
    /// A basket's book, or an empty replay (carried dust only) when it has no fills.
    pub fn book(&self, record: &BasketRecord, ledger: &Ledger) -> Arc<Book> {
        self.books
            .get(&record.basket.id)
            .cloned()
            .unwrap_or_else(|| Arc::new(ledger.pairs.replay(record, &[])))
    }

    /// The totals of one grid's baskets — `symbol` under `prefix` — (zero without fills).
    pub fn totals_of(&self, symbol: &Symbol, prefix: &IdPrefix) -> Totals {
        self.by_grid
            .get(&(symbol.clone(), prefix.clone()))
            .copied()
            .unwrap_or_default()
    }

    /// Realised P&L of one sell, if it is known.
    pub fn sell_pnl(&self, basket_id: u32, trade_id: u64) -> Option<Quote> {
        self.books
            .get(&basket_id)
            .and_then(|b| b.sell_pnl.get(&trade_id).copied())
    }
}

impl Ledger {
    /// A ledger booking each basket by its pair.
    pub fn new(pairs: Pairs) -> Self {
        Self {
            pairs,
            current: Arc::default(),
            rebuild: Arc::default(),
        }
    }

    fn current(&self, fills: u64) -> Option<Books> {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|b| b.fills == fills)
            .cloned()
    }

    /// Brings the books up to date with the store and returns them. When no fill arrived this
    /// is one `COUNT(*)` and no lock is waited for.
    pub async fn refresh<S: Store>(&self, store: &S) -> Result<Books, StoreError> {
        let total = store.count_fills(&FillQuery::default()).await?;
        if let Some(books) = self.current(total) {
            return Ok(books);
        }
        let _one = self.rebuild.lock().await;
        let total = store.count_fills(&FillQuery::default()).await?;
        if let Some(books) = self.current(total) {
            return Ok(books);
        }
        let previous = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_default();
        let counts = store.fill_counts().await?;
        let mut map: HashMap<u32, Arc<Book>> = previous
            .books
            .iter()
            .filter(|(id, _)| counts.contains_key(id))
            .map(|(id, b)| (*id, b.clone()))
            .collect();
        let changed: Vec<u32> = counts
            .iter()
            .filter(|(id, n)| map.get(*id).is_none_or(|b| b.fills != **n))
            .map(|(id, _)| *id)
            .collect();
        let replayed = if changed.len() > BULK_RELOAD {
            self.replay_all(store, &changed).await?
        } else {
            self.replay_each(store, &changed).await?
        };
        map.extend(replayed);
        let mut grids: BTreeMap<(&Symbol, &IdPrefix), Vec<&Arc<Book>>> = BTreeMap::new();
        for book in map.values() {
            grids
                .entry((&book.symbol, &book.prefix))
                .or_default()
                .push(book);
        }
        let by_grid = grids
            .into_iter()
            .map(|((s, p), books)| ((s.clone(), p.clone()), totals(books.into_iter())))
            .collect();
        let books = Books {
            totals: totals(map.values()),
            by_grid: Arc::new(by_grid),
            books: Arc::new(map),
            // Fills that arrived while replaying make the next request look again.
            fills: total,
        };
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(books.clone());
        Ok(books)
    }
}

impl Ledger {
    async fn replay_each<S: Store>(
        &self,
        store: &S,
        ids: &[u32],
    ) -> Result<Vec<(u32, Arc<Book>)>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(record) = store.basket(id).await? {
                let fills = store.basket_fills(id).await?;
                let book = self.pairs.replay(&record, &fills);
                out.push((id, Arc::new(book)));
            }
        }
        Ok(out)
    }

    /// One query for all fills and one for all baskets instead of two per basket.
    async fn replay_all<S: Store>(
        &self,
        store: &S,
        ids: &[u32],
    ) -> Result<Vec<(u32, Arc<Book>)>, StoreError> {
        let mut fills: HashMap<u32, Vec<Fill>> = HashMap::new();
        for rec in store.fills(&FillQuery::default()).await? {
            fills.entry(rec.basket_id).or_default().push(rec.fill);
        }
        let baskets: HashMap<u32, BasketRecord> = store
            .baskets(false)
            .await?
            .into_iter()
            .map(|r| (r.basket.id, r))
            .collect();
        Ok(ids
            .iter()
            .filter_map(|id| {
                let basket = baskets.get(id)?;
                let of = fills.get(id).map_or(&[][..], Vec::as_slice);
                Some((*id, Arc::new(self.pairs.replay(basket, of))))
            })
            .collect())
    }
}

fn totals<'a>(books: impl Iterator<Item = &'a Arc<Book>>) -> Totals {
    let mut t = Totals::default();
    for book in books {
        t.realised += book.position.realised_pnl;
        for &pnl in book.sell_pnl.values() {
            t.trades += 1;
            if pnl.is_positive() {
                t.wins += 1;
                t.won += pnl;
            } else if pnl < Quote::ZERO {
                t.losses += 1;
                t.lost += pnl;
            }
        }
    }
    t
}
