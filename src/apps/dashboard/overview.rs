//! The portfolio overview (`/` when the dashboard runs a portfolio of several grids): one row
//! per grid and the totals above them, built from records the reader fetched. Pure: no
//! store, no clock.
//!
//! A grid's status is read from its baskets and the limits holding for it, so it is what the
//! journal says, whichever process wrote it:
//! - **trading**: it has an active basket, or none open and its newest did not end by an
//!   emergency close (between two baskets);
//! - **paused**: its open baskets are paused (by the operator or a rule), none active;
//! - **closed by risk** / **closed by operator**: nothing open but a `closing` basket, or
//!   its newest basket ended `emergency_closed`; by risk while a limit with the action
//!   `close` holds for it, else by the operator (`grid NAME close`, Close all).

use super::format;
use super::grids::GridInfo;
use super::ledger::Totals;
use super::view::BasketView;
use crate::core::basket::BasketStatus;
use crate::core::money::{Price, Qty, Quote};
use crate::core::risk::{Trip, TripAction};
use rust_decimal::Decimal;
use serde::Serialize;

/// What the overview shows (`/api/portfolio` as JSON).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OverviewView {
    /// Sums over the grids.
    pub totals: OverviewTotals,
    /// One row per grid, in the portfolio file's order.
    pub grids: Vec<GridRow>,
    /// The grid symbols' correlation, once the running portfolio wrote it.
    pub correlation: Option<super::correlation::CorrelationView>,
}

/// The totals at the top of the overview (all grids' quote is the portfolio's one quote).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct OverviewTotals {
    /// Realised P&L of every grid.
    pub realised: Quote,
    /// Unrealised P&L of every grid's open baskets, each at its own symbol's price.
    pub unrealised: Quote,
    /// Realised + unrealised.
    pub combined: Quote,
    /// Every grid's position at its symbol's price.
    pub position_value: Quote,
    /// Open orders of all grids.
    pub open_orders: usize,
    /// Grids trading.
    pub trading: usize,
    /// Grids with at least one risk limit holding.
    pub limited: usize,
}

/// One grid's row.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GridRow {
    /// The grid's name.
    pub name: String,
    /// Its page (`/grids/{name}`, the name percent-encoded).
    pub href: String,
    /// Its symbol.
    pub symbol: String,
    /// `trading`, `paused`, `closed_by_risk` or `closed_by_operator`.
    pub status: &'static str,
    /// Its symbol's latest price (its own latest account snapshot).
    pub last_price: Option<Price>,
    /// Base held by its open baskets.
    pub position: Qty,
    /// The position at `last_price`.
    pub position_value: Quote,
    /// Realised P&L of all its baskets.
    pub realised: Quote,
    /// Unrealised P&L of its open baskets at `last_price`.
    pub unrealised: Quote,
    /// Its open orders.
    pub open_orders: usize,
    /// The risk limits holding for it (none: every limit clear).
    pub held: Vec<HeldLimit>,
}

/// A risk limit holding for a grid, as the portfolio last saw it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HeldLimit {
    /// The limit's name as in the portfolio file and `/metrics` (`max_drawdown`, …).
    pub limit: String,
    /// Its value when last seen.
    pub value: Decimal,
    /// The threshold it reached.
    pub threshold: Decimal,
    /// `no_new_buys` or `close`.
    pub action: &'static str,
}

/// What the reader gathered for one grid.
pub struct GridInput<'a> {
    /// The grid.
    pub grid: &'a GridInfo,
    /// Its open baskets' rows (at its symbol's price and precision).
    pub baskets: &'a [BasketView],
    /// The status of its newest basket when none is open.
    pub newest_closed: Option<BasketStatus>,
    /// Its baskets' totals.
    pub totals: Totals,
    /// Its open orders.
    pub open_orders: usize,
    /// Its symbol's latest price.
    pub last_price: Option<Price>,
    /// The limits holding for it.
    pub held: &'a [Trip],
}

/// One grid's row.
pub fn grid_row(input: &GridInput<'_>) -> GridRow {
    let p = input.grid.pair.precision();
    let position: Qty = input.baskets.iter().map(|b| b.position).sum();
    let unrealised: Quote = input.baskets.iter().map(|b| b.unrealised).sum();
    GridRow {
        name: input.grid.name.clone(),
        href: super::grids::grid_path(&input.grid.name),
        symbol: input.grid.pair.symbol.to_string(),
        status: status(input),
        last_price: input.last_price.map(|v| p.price(v)),
        position: p.qty(position),
        position_value: format::quote(input.last_price.map_or(Quote::ZERO, |v| v * position)),
        realised: format::quote(input.totals.realised),
        unrealised: format::quote(unrealised),
        open_orders: input.open_orders,
        held: input.held.iter().map(held_limit).collect(),
    }
}

/// The overview of the rows.
pub fn overview(grids: Vec<GridRow>) -> OverviewView {
    let mut t = OverviewTotals::default();
    for g in &grids {
        t.realised += g.realised;
        t.unrealised += g.unrealised;
        t.position_value += g.position_value;
        t.open_orders += g.open_orders;
        t.trading += usize::from(g.status == "trading");
        t.limited += usize::from(!g.held.is_empty());
    }
    t.combined = t.realised + t.unrealised;
    OverviewView {
        totals: t,
        grids,
        correlation: None,
    }
}

fn status(input: &GridInput<'_>) -> &'static str {
    let open = |s: BasketStatus| input.baskets.iter().any(|b| b.status == s.as_str());
    if open(BasketStatus::Active) {
        return "trading";
    }
    if open(BasketStatus::Error) {
        return "paused";
    }
    let closed = open(BasketStatus::Closing)
        || (input.baskets.is_empty() && input.newest_closed == Some(BasketStatus::EmergencyClosed));
    if !closed {
        return "trading";
    }
    if input.held.iter().any(|t| t.action == TripAction::Close) {
        "closed_by_risk"
    } else {
        "closed_by_operator"
    }
}

fn held_limit(t: &Trip) -> HeldLimit {
    let name = |v: serde_json::Result<serde_json::Value>| {
        v.ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    HeldLimit {
        limit: name(serde_json::to_value(t.limit)),
        value: t.value.normalize(),
        threshold: t.threshold.normalize(),
        action: match t.action {
            TripAction::NoNewBuys => "no_new_buys",
            TripAction::Close => "close",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::dashboard::pair::Pair;
    use crate::core::client_id::IdPrefix;
    use crate::core::risk::LimitKind;
    use crate::core::symbol::{Asset, Symbol};

    fn grid() -> GridInfo {
        GridInfo {
            name: "fil".into(),
            prefix: IdPrefix::parse("fa").unwrap(),
            pair: Pair {
                symbol: Symbol::parse("FILUSDT").unwrap(),
                base: Asset::parse("FIL").unwrap(),
                quote: Asset::parse("USDT").unwrap(),
                rules: None,
            },
        }
    }

    fn basket(status: BasketStatus) -> BasketView {
        BasketView {
            id: 1,
            symbol: "FILUSDT".into(),
            status: status.as_str(),
            reason: None,
            anchor: Price::new(Decimal::from(5)),
            levels_filled: 1,
            vwap: None,
            position: Qty::new(Decimal::from(2)),
            realised: Quote::ZERO,
            unrealised: Quote::new(Decimal::from(-1)),
            next_tp: Vec::new(),
            strategy: "basket",
            vol_factor: None,
        }
    }

    fn trip(action: TripAction) -> Trip {
        Trip {
            limit: LimitKind::MaxDrawdown,
            value: Decimal::new(90, 1),
            threshold: Decimal::from(8),
            action,
        }
    }

    #[test]
    fn a_grids_status_follows_its_baskets_and_the_limits_holding() {
        struct Case {
            label: &'static str,
            baskets: Vec<BasketView>,
            newest_closed: Option<BasketStatus>,
            held: Vec<Trip>,
            want: &'static str,
        }
        let cases = [
            Case {
                label: "active basket",
                baskets: vec![basket(BasketStatus::Active)],
                newest_closed: None,
                held: vec![trip(TripAction::NoNewBuys)],
                want: "trading",
            },
            Case {
                label: "paused basket",
                baskets: vec![basket(BasketStatus::Error)],
                newest_closed: None,
                held: vec![],
                want: "paused",
            },
            Case {
                label: "between baskets",
                baskets: vec![],
                newest_closed: Some(BasketStatus::Closed),
                held: vec![],
                want: "trading",
            },
            Case {
                label: "emergency closed, close limit holds",
                baskets: vec![],
                newest_closed: Some(BasketStatus::EmergencyClosed),
                held: vec![trip(TripAction::Close)],
                want: "closed_by_risk",
            },
            Case {
                label: "emergency closed, no close limit",
                baskets: vec![],
                newest_closed: Some(BasketStatus::EmergencyClosed),
                held: vec![trip(TripAction::NoNewBuys)],
                want: "closed_by_operator",
            },
            Case {
                label: "exit sell resting",
                baskets: vec![basket(BasketStatus::Closing)],
                newest_closed: None,
                held: vec![],
                want: "closed_by_operator",
            },
        ];
        let g = grid();
        for c in cases {
            let row = grid_row(&GridInput {
                grid: &g,
                baskets: &c.baskets,
                newest_closed: c.newest_closed,
                totals: Totals::default(),
                open_orders: 0,
                last_price: None,
                held: &c.held,
            });
            assert_eq!(row.status, c.want, "{}", c.label);
        }
    }

    #[test]
    fn totals_sum_the_rows_and_value_positions_at_their_own_price() {
        let g = grid();
        let baskets = [basket(BasketStatus::Active)];
        let held = [trip(TripAction::NoNewBuys)];
        let row = grid_row(&GridInput {
            grid: &g,
            baskets: &baskets,
            newest_closed: None,
            totals: Totals {
                realised: Quote::new(Decimal::from(3)),
                ..Totals::default()
            },
            open_orders: 4,
            last_price: Some(Price::new(Decimal::new(45, 1))),
            held: &held,
        });
        assert_eq!(row.position_value, Quote::new(Decimal::from(9)));
        assert_eq!(row.held[0].limit, "max_drawdown");
        assert_eq!(row.held[0].action, "no_new_buys");
        let mut other = row.clone();
        other.held.clear();
        other.status = "paused";
        let v = overview(vec![row, other]);
        assert_eq!(v.totals.realised, Quote::new(Decimal::from(6)));
        assert_eq!(v.totals.unrealised, Quote::new(Decimal::from(-2)));
        assert_eq!(v.totals.combined, Quote::new(Decimal::from(4)));
        assert_eq!(v.totals.position_value, Quote::new(Decimal::from(18)));
        assert_eq!(v.totals.open_orders, 8);
        assert_eq!((v.totals.trading, v.totals.limited), (1, 1));
    }
}
