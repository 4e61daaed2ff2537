//! A grid's cash from its own fills: budget + what its sells brought − what its buys cost −
//! its fees paid in the quote asset (`.spec/portfolio.md`, "Budget rule"). Profits stay the
//! grid's, losses shrink what it may buy; another grid's fills never count.

use crate::core::basket::BasketStatus;
use crate::core::client_id::IdPrefix;
use crate::core::fill::Fill;
use crate::core::money::Quote;
use crate::core::order::Side;
use crate::core::symbol::{Asset, Symbol};
use crate::ports::store::{Store, StoreError};
use std::collections::BTreeMap;

/// What a grid's ended baskets moved, kept so that a loop reads only the open baskets' fills.
#[derive(Debug, Default)]
pub(super) struct CashBook {
    ended: BTreeMap<u32, Quote>,
}

impl CashBook {
    /// The grid's cash now: `budget` plus the quote flow of every basket of the grid
    /// (`symbol`, `prefix`): another grid on the same symbol spends its own cash.
    pub(super) async fn cash<S: Store>(
        &mut self,
        store: &S,
        (symbol, prefix): (&Symbol, &IdPrefix),
        quote: &Asset,
        budget: Quote,
    ) -> Result<Quote, StoreError> {
        let mut cash = budget;
        for record in store.baskets(false).await? {
            if &record.symbol != symbol || &record.prefix != prefix {
                continue;
            }
            let id = record.basket.id;
            if let Some(flow) = self.ended.get(&id) {
                cash += *flow;
                continue;
            }
            let fills = store.basket_fills(id).await?;
            let flow: Quote = fills.iter().map(|f| flow_of(f, quote)).sum();
            // An ended basket has no order left: its fills are final (synced before it ended).
            let open = matches!(
                record.basket.status,
                BasketStatus::Active | BasketStatus::Error | BasketStatus::Closing
            );
            if !open {
                self.ended.insert(id, flow);
            }
            cash += flow;
        }
        Ok(cash)
    }
}

/// One fill's effect on the grid's quote.
fn flow_of(f: &Fill, quote: &Asset) -> Quote {
    let notional = f.notional();
    let fee = if &f.commission.asset == quote {
        f.commission.amount.as_quote()
    } else {
        Quote::ZERO
    };
    match f.side {
        Side::Buy => Quote::ZERO - notional - fee,
        Side::Sell => notional - fee,
    }
}
