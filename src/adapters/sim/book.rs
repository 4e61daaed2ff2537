//! One symbol's state: rules, last price, open and closed orders, trades, and the thresholds
//! that let a candle which cannot touch anything cost a few comparisons.

use super::orders::{OrderRef, SimOrder};
use crate::core::client_id::ClientOrderId;
use crate::core::filters::SymbolRules;
use crate::core::money::{Price, Qty};
use crate::core::order::Side;
use crate::ports::exchange::ExchangeTrade;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// One symbol of the simulated exchange.
#[derive(Debug, Clone)]
pub(super) struct Book {
    pub rules: SymbolRules,
    /// Last traded price (close of the last candle, or a fill at placement).
    pub last: Option<Price>,
    /// Volume of the last candle (liquidity for the volume cap); `None` before any candle.
    pub volume: Option<Qty>,
    /// Quantity our fills took from that candle's liquidity.
    pub liq_used: Qty,
    /// Open orders (working or pending stops), oldest first.
    pub open: Vec<SimOrder>,
    /// Closed orders by id (kept for `query`).
    pub closed: BTreeMap<u64, SimOrder>,
    /// Latest closed order id per client id.
    pub closed_by_client: BTreeMap<ClientOrderId, u64>,
    /// Our trades, oldest first.
    pub trades: Vec<ExchangeTrade>,
    /// A candle with `high >= up` may change something.
    pub up: Option<Price>,
    /// A candle with `low <= down` may change something.
    pub down: Option<Price>,
    /// Some order must see every candle (trailing stop without a first price).
    pub always_slow: bool,
    /// The Price Range Execution Rule, when the operator set one.
    pub price_range: Option<super::PriceRange>,
}

fn min_opt(a: Option<Price>, b: Price) -> Option<Price> {
    Some(a.map_or(b, |a| a.min(b)))
}

fn max_opt(a: Option<Price>, b: Price) -> Option<Price> {
    Some(a.map_or(b, |a| a.max(b)))
}

impl Book {
    pub fn new(rules: SymbolRules, last: Option<Price>) -> Self {
        Self {
            rules,
            last,
            volume: None,
            liq_used: Qty::ZERO,
            open: Vec::new(),
            closed: BTreeMap::new(),
            closed_by_client: BTreeMap::new(),
            trades: Vec::new(),
            up: None,
            down: None,
            always_slow: false,
            price_range: None,
        }
    }

    /// Recomputes the fast-path thresholds from the open orders.
    pub fn refresh_bounds(&mut self) {
        let (mut up, mut down, mut slow) = (None, None, false);
        for o in &self.open {
            if let Some(t) = &o.trigger {
                let (u, d, s) = t.bounds();
                if let Some(u) = u {
                    up = min_opt(up, u);
                }
                if let Some(d) = d {
                    down = max_opt(down, d);
                }
                slow |= s;
            } else if let Some(l) = o.limit() {
                match o.side() {
                    Side::Buy => down = max_opt(down, l),
                    Side::Sell => up = min_opt(up, l),
                }
            }
        }
        self.up = up;
        self.down = down;
        self.always_slow = slow;
    }

    /// Base quantity still available to our fills under the volume cap (`None`: unlimited).
    pub fn liquidity(&self, share: Option<Decimal>) -> Option<Qty> {
        let (share, volume) = (share?, self.volume?);
        let cap = self.rules.filters.round_qty_down(volume.scale(share));
        Some((cap - self.liq_used).max(Qty::ZERO))
    }

    /// Index of an open order.
    pub fn find_open(&self, r: &OrderRef) -> Option<usize> {
        self.open.iter().position(|o| match r {
            OrderRef::Id(id) => o.id == *id,
            OrderRef::Client(c) => &o.client_id == c,
        })
    }

    /// An order, open or closed (by client id: the open one, else the latest closed one).
    pub fn find(&self, r: &OrderRef) -> Option<&SimOrder> {
        if let Some(i) = self.find_open(r) {
            return Some(&self.open[i]);
        }
        let id = match r {
            OrderRef::Id(id) => *id,
            OrderRef::Client(c) => *self.closed_by_client.get(c)?,
        };
        self.closed.get(&id)
    }

    /// Moves every order that is no longer open from `open` to `closed`.
    pub fn archive_closed(&mut self) {
        if self.open.iter().all(|o| o.status.is_open()) {
            return;
        }
        let (still, done): (Vec<_>, Vec<_>) = std::mem::take(&mut self.open)
            .into_iter()
            .partition(|o| o.status.is_open());
        self.open = still;
        for o in done {
            self.closed_by_client.insert(o.client_id.clone(), o.id);
            self.closed.insert(o.id, o);
        }
    }
}
