//! The range grid's state, replayed from its fills. A **cell** `k` (1-based, `k < levels`)
//! is the pair of level `k` (its buy `Bk`) and level `k + 1` (its sell `S(k+1)`):
//!
//! - **Buying**: `Bk` rests for the rest of its slice. A slice is `quote per level / price`
//!   floored to the step, `quote per level = (quote_budget + reinvested profit) / (levels − 1)`.
//!   The round's buy is complete when what is left of the slice is not an order any more
//!   (below `minQty` or the notional minimum); then the cell is Selling.
//! - **Selling**: `S(k+1)` offers what the cell holds (bought net of base commissions,
//!   floored to the step). When what is left cannot form a sell, the round is complete: its
//!   profit (sell proceeds net of quote fees − buy cost with quote fees) is booked, and the
//!   cell is Buying again with a new slice (dust stays held and rides with the next sell).
//! - **Idle**: a cell whose buy level was at or above the start price (the basket's anchor):
//!   it holds nothing and waits; the grid buys no base at start.
//!
//! Fills are replayed in `(time_ms, trade_id)` order, so the state — and the slice sizes,
//! which depend on the profit booked before each round starts — is a pure function of them.
//! Third-asset (BNB) fees are not in the reinvested profit.

use crate::core::fill::Fill;
use crate::core::filters::SymbolFilters;
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::{Side, Slot};
use crate::core::symbol::Asset;
use rust_decimal::Decimal;

/// What a cell is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// Start price at or below its buy level: nothing yet.
    Idle,
    /// Its buy rests.
    Buying,
    /// Its sell rests.
    Selling,
}

/// One cell: buy at `buy`, sell at `sell` (the next level up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cell {
    /// Level of the buy (1-based); the sell is at level `k + 1`.
    pub k: u16,
    pub buy: Price,
    pub sell: Price,
    pub state: State,
    /// Base held by the cell: bought net of base fees, minus sold.
    pub held: Qty,
    /// This round's slice.
    pub target: Qty,
    /// Gross bought this round.
    pub bought: Qty,
    round_cost: Quote,
    round_proceeds: Quote,
}

/// The replayed grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Grid {
    pub cells: Vec<Cell>,
    /// Profit of completed rounds.
    pub profit: Quote,
}

/// What the replay needs besides the fills.
pub(super) struct Setup<'a> {
    pub prices: &'a [Price],
    pub anchor: Price,
    pub budget: Quote,
    pub reinvest: bool,
    pub filters: &'a SymbolFilters,
    pub base: &'a Asset,
    pub quote: &'a Asset,
}

/// True when `qty` at `price` is an order the exchange takes (`minQty`, notional minimum).
pub(super) fn placeable(qty: Qty, price: Price, filters: &SymbolFilters) -> bool {
    price.is_positive() && qty.is_positive() && qty >= filters.min_qty_at(price)
}

impl Setup<'_> {
    /// The slice bought at `price` with `profit` booked so far.
    fn slice(&self, price: Price, profit: Quote) -> Qty {
        let cells = Decimal::from(self.prices.len().saturating_sub(1).max(1) as u64);
        let extra = if self.reinvest && profit.is_positive() {
            profit
        } else {
            Quote::ZERO
        };
        let per_level = Quote::new((self.budget + extra).get() / cells);
        if !price.is_positive() {
            return Qty::ZERO;
        }
        self.filters
            .round_qty_down(Qty::new(per_level.get() / price.get()))
    }

    /// Replays `fills` over the grid at its start.
    pub(super) fn replay(&self, fills: &[Fill]) -> Grid {
        let mut grid = Grid {
            cells: self
                .prices
                .windows(2)
                .zip(1u16..)
                .map(|(w, k)| Cell {
                    k,
                    buy: w[0],
                    sell: w[1],
                    state: if w[0] < self.anchor {
                        State::Buying
                    } else {
                        State::Idle
                    },
                    held: Qty::ZERO,
                    target: self.slice(w[0], Quote::ZERO),
                    bought: Qty::ZERO,
                    round_cost: Quote::ZERO,
                    round_proceeds: Quote::ZERO,
                })
                .collect(),
            profit: Quote::ZERO,
        };
        let mut sorted: Vec<&Fill> = fills.iter().collect();
        sorted.sort_by_key(|f| (f.time_ms, f.trade_id));
        for fill in sorted {
            self.apply(&mut grid, fill);
        }
        grid
    }

    fn apply(&self, grid: &mut Grid, fill: &Fill) {
        let index = match (fill.slot, fill.side) {
            (Slot::Buy(k), Side::Buy) => usize::from(k).checked_sub(1),
            (Slot::Sell(k), Side::Sell) => usize::from(k).checked_sub(2),
            _ => None,
        };
        let Some(cell) = index.and_then(|i| grid.cells.get_mut(i)) else {
            return;
        };
        let fee = &fill.commission;
        let base_fee = if &fee.asset == self.base {
            fee.amount.as_qty()
        } else {
            Qty::ZERO
        };
        let quote_fee = if &fee.asset == self.quote {
            fee.amount.as_quote()
        } else {
            Quote::ZERO
        };
        match fill.side {
            Side::Buy => {
                cell.held += fill.qty - base_fee;
                cell.bought += fill.qty;
                cell.round_cost += fill.notional() + quote_fee;
                let rest = self.filters.round_qty_down(cell.target - cell.bought);
                if cell.state != State::Selling && !placeable(rest, cell.buy, self.filters) {
                    cell.state = State::Selling;
                    cell.bought = Qty::ZERO;
                }
            }
            Side::Sell => {
                cell.held -= fill.qty + base_fee;
                cell.round_proceeds += fill.notional() - quote_fee;
                let rest = self.filters.round_qty_down(cell.held.max(Qty::ZERO));
                if cell.state == State::Selling && !placeable(rest, cell.sell, self.filters) {
                    grid.profit += cell.round_proceeds - cell.round_cost;
                    cell.round_cost = Quote::ZERO;
                    cell.round_proceeds = Quote::ZERO;
                    cell.state = State::Buying;
                    cell.bought = Qty::ZERO;
                    cell.target = self.slice(cell.buy, grid.profit);
                }
            }
        }
    }
}
