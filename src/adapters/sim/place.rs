//! Placing an order: Binance's checks in order, locking, immediate matching as taker at the
//! last price (price improvement for marketable limits), `IOC`/`FOK`, `LIMIT_MAKER` and
//! stop-would-trigger rejections.

use super::engine::SimExchange;
use super::errors;
use super::orders::SimOrder;
use super::trailing::Trigger;
use crate::core::filters::SymbolStatus;
use crate::core::money::{Amount, Price, Qty};
use crate::core::order::{ExpiryReason, OrderSpec, OrderStatus, OrderType, Side, TimeInForce};
use crate::core::symbol::Asset;
use crate::ports::exchange::{ApiError, ExchangeTrade, NewOrder, OrderReport};

/// Parameter presence rules per type (Binance's -1102 / -1106 request checks).
fn check_params(spec: &OrderSpec) -> Result<(), ApiError> {
    use OrderType::*;
    let t = spec.order_type;
    let needs_price = t.has_limit_price();
    let needs_tif = matches!(t, Limit | StopLossLimit | TakeProfitLimit);
    if needs_price && spec.price.is_none() {
        return Err(errors::missing_param("price"));
    }
    if !needs_price && spec.price.is_some() {
        return Err(errors::param_not_required("price"));
    }
    if needs_tif && spec.time_in_force.is_none() {
        return Err(errors::missing_param("timeInForce"));
    }
    if !needs_tif && spec.time_in_force.is_some() {
        return Err(errors::param_not_required("timeInForce"));
    }
    if t.is_algo() {
        if spec.stop_price.is_none() && spec.trailing_delta.is_none() {
            return Err(errors::missing_either("stopPrice", "trailingDelta"));
        }
    } else if spec.stop_price.is_some() {
        return Err(errors::param_not_required("stopPrice"));
    } else if spec.trailing_delta.is_some() {
        return Err(errors::param_not_required("trailingDelta"));
    }
    Ok(())
}

/// What an order reserves at placement: `(asset, amount)`; market buys reserve nothing but
/// need `last × qty` free quote.
fn reservation(spec: &OrderSpec, base: &Asset, quote: &Asset) -> Option<(Asset, Amount)> {
    match (spec.side, spec.order_type.has_limit_price(), spec.price) {
        (Side::Buy, true, Some(p)) => Some((quote.clone(), (p * spec.qty).as_amount())),
        (Side::Buy, _, _) => None,
        (Side::Sell, _, _) => Some((base.clone(), spec.qty.as_amount())),
    }
}

impl SimExchange {
    /// Places an order and returns its report with the trades it made at once. Checks, in
    /// order: symbol (-1121), parameters (-1102/-1106), status TRADING, order type allowed,
    /// trailing allowed, duplicate open client id, filters against the last price (-1013),
    /// `MAX_NUM_ORDERS`/`MAX_NUM_ALGO_ORDERS`, balance, `LIMIT_MAKER` would take, stop would
    /// trigger immediately (all -2010 unless noted).
    pub fn place_with_fills(
        &mut self,
        order: &NewOrder,
        now_ms: i64,
    ) -> Result<(OrderReport, Vec<ExchangeTrade>), ApiError> {
        self.out.clear();
        let s = self.sym(&order.symbol)?;
        let spec = &order.spec;
        check_params(spec)?;
        let book = &self.books[s];
        let rules = &book.rules;
        if rules.status != SymbolStatus::Trading {
            return Err(errors::market_closed());
        }
        if !rules.order_types.contains(&spec.order_type) {
            return Err(errors::type_not_supported(spec.order_type));
        }
        if spec.trailing_delta.is_some() && !rules.allow_trailing_stop {
            return Err(errors::trailing_not_supported());
        }
        self.check_duplicate(s, order)?;
        let book = &self.books[s];
        let rules = &book.rules;
        rules
            .filters
            .check(spec, book.last)
            .map_err(|v| errors::filter_failure(&v))?;
        self.check_max_asset(s, spec, book.last)?;
        let book = &self.books[s];
        let rules = &book.rules;
        if let Some(max) = rules.filters.max_num_orders {
            if book.open.len() >= max as usize {
                return Err(errors::filter_failure_named("MAX_NUM_ORDERS"));
            }
        }
        if let (Some(max), true) = (rules.filters.max_num_algo_orders, spec.order_type.is_algo()) {
            if book.open.iter().filter(|o| o.is_pending_stop()).count() >= max as usize {
                return Err(errors::filter_failure_named("MAX_NUM_ALGO_ORDERS"));
            }
        }
        let last = book.last;
        if spec.order_type == OrderType::Market && last.is_none() {
            return Err(errors::no_liquidity());
        }
        let reserve = reservation(spec, &rules.base_asset, &rules.quote_asset);
        let enough = match (&reserve, last) {
            (Some((asset, amount)), _) => self.balances.free(asset) >= *amount,
            (None, Some(p)) if spec.order_type == OrderType::Market => {
                self.balances.free(&rules.quote_asset) >= (p * spec.qty).as_amount()
            }
            (None, _) => true,
        };
        if !enough {
            return Err(errors::insufficient_balance());
        }
        let trigger = Trigger::new(
            spec.side,
            spec.order_type,
            spec.stop_price,
            spec.trailing_delta,
            last,
            &rules.filters,
        );
        let mut o = SimOrder {
            id: 0,
            client_id: order.client_id.clone(),
            spec: spec.clone(),
            status: OrderStatus::New,
            executed: Qty::ZERO,
            cum_quote: Default::default(),
            time_ms: now_ms,
            update_ms: now_ms,
            trigger,
            locked: Amount::ZERO,
            expiry_reason: None,
            amends: 0,
        };
        if let Some(p) = last {
            if spec.order_type == OrderType::LimitMaker && o.marketable_at(p) {
                return Err(errors::would_take());
            }
            if o.trigger.as_ref().is_some_and(|t| t.holds_now(p)) {
                return Err(errors::would_trigger());
            }
        }
        if let Some((asset, amount)) = reserve {
            let locked = self.balances.lock(&asset, amount);
            debug_assert!(locked, "balance checked above");
            o.locked = amount;
        }
        o.id = self.take_order_id();
        self.books[s].open.push(o);
        let i = self.books[s].open.len() - 1;
        self.work(s, i, last, now_ms);
        let report = self.books[s].open[i].report(&order.symbol);
        self.books[s].archive_closed();
        self.books[s].refresh_bounds();
        Ok((report, std::mem::take(&mut self.out)))
    }

    /// An order that just became working (placed, or its stop fired) at market price `price`:
    /// takes liquidity if marketable, then applies its time in force. `price: None` (no market
    /// yet) leaves a limit resting.
    pub(super) fn work(&mut self, s: usize, i: usize, price: Option<Price>, time_ms: i64) {
        let o = &self.books[s].open[i];
        if o.trigger.is_some() {
            return;
        }
        let tif = o.tif();
        let market_like = o.is_market_like();
        let marketable = price.filter(|p| o.marketable_at(*p));
        let range = self.books[s].price_range;
        if marketable.is_some_and(|p| range.is_some_and(|r| !r.allows(p))) {
            // Taking outside the allowed band: expired before any trade (Binance 2026-03).
            self.close_rest(s, i, OrderStatus::Expired, time_ms);
            self.books[s].open[i].expiry_reason = ExpiryReason::new(ExpiryReason::PRICE_RANGE);
            return;
        }
        if let Some(p) = marketable {
            self.execute(s, i, p, false, time_ms, tif == TimeInForce::Fok);
        }
        let o = &self.books[s].open[i];
        let expires = market_like || tif != TimeInForce::Gtc;
        if o.status.is_open() && expires {
            self.close_rest(s, i, OrderStatus::Expired, time_ms);
            let reason = match tif {
                TimeInForce::Ioc => Some("UNFILLED_IOC_QUANTITY_EXPIRED"),
                TimeInForce::Fok => Some("UNFILLED_FOK_ORDER_EXPIRED"),
                TimeInForce::Gtc => None,
            };
            self.books[s].open[i].expiry_reason = reason.and_then(ExpiryReason::new);
        }
    }
}
