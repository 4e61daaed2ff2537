//! What an exchange operator changes on a running market (Binance, 2026): a symbol's trading
//! status (`CANCEL_ONLY`, `HALT`, …) and the Price Range Execution Rule. Tests and the
//! exchange-sim admin endpoints use these to put a client in those situations.

use super::engine::SimExchange;
use super::errors;
use super::orders::OrderRef;
use crate::core::filters::SymbolStatus;
use crate::core::money::Amount;
use crate::core::money::Price;
use crate::core::order::{ExpiryReason, OrderStatus};
use crate::core::symbol::{Asset, Symbol};
use crate::ports::exchange::ApiError;
use crate::ports::exchange::OrderReport;
use rust_decimal::Decimal;

/// The Price Range Execution Rule (`faqs/price_range_execution_rules.md`): a taker may only
/// trade at prices within `[reference × mult_down, reference × mult_up]`; a taker order that
/// would trade outside is `EXPIRED` with `EXECUTION_RULE_PRICE_RANGE_EXCEEDED`, nothing
/// executed. One pair of multipliers serves both sides (Binance has one per side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceRange {
    /// The reference price (on Binance a moving average of trades; here set by the operator).
    pub reference: Price,
    /// Lowest allowed price as a multiple of the reference.
    pub mult_down: Decimal,
    /// Highest allowed price as a multiple of the reference.
    pub mult_up: Decimal,
}

impl PriceRange {
    /// Whether a taker may trade at `price`.
    pub fn allows(&self, price: Price) -> bool {
        let r = self.reference.get();
        let p = price.get();
        p >= r * self.mult_down && p <= r * self.mult_up
    }
}

impl SimExchange {
    /// Sets a symbol's status. Only `TRADING` accepts new orders (others: -2010 "Market is
    /// closed."); cancels work in every status.
    pub fn set_symbol_status(
        &mut self,
        symbol: &Symbol,
        status: SymbolStatus,
    ) -> Result<(), ApiError> {
        let s = self.sym(symbol)?;
        self.books[s].rules.status = status;
        Ok(())
    }

    /// The exchange expires one open order with `reason` (as Binance does in maintenance,
    /// `EXCHANGE_CANCELED`; tests also use it to hand a client a price-range expiry at a
    /// chosen moment). -2011 when the order is not open.
    pub fn expire_open(
        &mut self,
        symbol: &Symbol,
        order: &OrderRef,
        reason: Option<ExpiryReason>,
        now_ms: i64,
    ) -> Result<OrderReport, ApiError> {
        self.close_open(symbol, order, OrderStatus::Expired, reason, now_ms)
    }

    /// Sets (or with `None` removes) the account's `MAX_ASSET` limit on `asset`: no single
    /// order may move more of it (base: quantity; quote: notional). -1013 "Filter failure:
    /// MAX_ASSET" beyond (Binance's pattern for filter failures).
    pub fn set_max_asset(&mut self, asset: Asset, limit: Option<Amount>) {
        match limit {
            Some(l) => self.max_asset.insert(asset, l),
            None => self.max_asset.remove(&asset),
        };
    }

    /// The account's `MAX_ASSET` limits.
    pub fn max_assets(&self) -> Vec<(Asset, Amount)> {
        self.max_asset
            .iter()
            .map(|(a, l)| (a.clone(), *l))
            .collect()
    }

    /// The `MAX_ASSET` check of a new order of book `s` at `last` (market orders' notional).
    pub(super) fn check_max_asset(
        &self,
        s: usize,
        spec: &crate::core::order::OrderSpec,
        last: Option<Price>,
    ) -> Result<(), ApiError> {
        let rules = &self.books[s].rules;
        let over =
            |asset: &Asset, amount: Amount| self.max_asset.get(asset).is_some_and(|l| amount > *l);
        let notional = spec.price.or(last).map(|p| (p * spec.qty).as_amount());
        if over(&rules.base_asset, spec.qty.as_amount())
            || notional.is_some_and(|n| over(&rules.quote_asset, n))
        {
            return Err(errors::filter_failure_named("MAX_ASSET"));
        }
        Ok(())
    }

    /// Sets or clears (`None`) the Price Range Execution Rule of a symbol.
    pub fn set_price_range(
        &mut self,
        symbol: &Symbol,
        rule: Option<PriceRange>,
    ) -> Result<(), ApiError> {
        let s = self.sym(symbol)?;
        self.books[s].price_range = rule;
        Ok(())
    }
}
