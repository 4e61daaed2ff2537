//! A symbol's exchange rules (`exchangeInfo` filters), rounding to them, and the validator that
//! names the filter an order breaks.
//!
//! Entry points: [`SymbolRules`] (one symbol's rules; parsed from Binance's real JSON in
//! [`parse`]), [`SymbolFilters::round_price`] / [`SymbolFilters::round_qty_down`], and
//! [`SymbolFilters::check`] which returns the first [`FilterViolation`] in Binance's order.
//!
//! Rounding rules: buy prices round *down* to the tick (never pay more than planned), sell
//! prices round *up* (never sell cheaper than planned), quantities always round *down* to the
//! step (never sell more than held, never spend more than budgeted). Ticks and steps count from
//! `minPrice` / `minQty` exactly as Binance checks them.

pub mod account;
pub mod parse;

use crate::core::money::{Price, Qty, Quote};
use crate::core::order::{OrderSpec, OrderType, Side};
use crate::core::symbol::{Asset, Symbol};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Trading status of a symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SymbolStatus {
    /// Normal trading.
    Trading,
    /// Trading halted.
    Halt,
    /// Trading break.
    Break,
    /// Only cancels are accepted (since 2026-07).
    CancelOnly,
    /// Any other status Binance may add: treated as "do not place".
    #[serde(other)]
    Other,
}

/// One symbol's trading rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolRules {
    /// The pair.
    pub symbol: Symbol,
    /// Trading status.
    pub status: SymbolStatus,
    /// Base asset (what the grid buys).
    pub base_asset: Asset,
    /// Quote asset (what the grid spends).
    pub quote_asset: Asset,
    /// Order types the symbol allows.
    pub order_types: Vec<OrderType>,
    /// Whether `trailingDelta` is allowed.
    pub allow_trailing_stop: bool,
    /// Whether `order/cancelReplace` is allowed.
    pub cancel_replace_allowed: bool,
    /// Whether `order/amend/keepPriority` is allowed (`amendAllowed`).
    pub amend_allowed: bool,
    /// The filters.
    pub filters: SymbolFilters,
}

impl SymbolRules {
    /// A trading symbol with `filters`, every order type, trailing stops and cancel-replace
    /// allowed (for tools and tests that know only the basic filters).
    pub fn basic(symbol: Symbol, base: Asset, quote: Asset, filters: SymbolFilters) -> Self {
        Self {
            symbol,
            status: SymbolStatus::Trading,
            base_asset: base,
            quote_asset: quote,
            order_types: vec![
                OrderType::Limit,
                OrderType::LimitMaker,
                OrderType::Market,
                OrderType::StopLoss,
                OrderType::StopLossLimit,
                OrderType::TakeProfit,
                OrderType::TakeProfitLimit,
            ],
            allow_trailing_stop: true,
            cancel_replace_allowed: true,
            amend_allowed: false,
            filters,
        }
    }
}

/// `PRICE_FILTER`: zero values disable the corresponding check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceFilter {
    /// Lowest price (0 = none).
    pub min_price: Price,
    /// Highest price (0 = none).
    pub max_price: Price,
    /// Price increment (0 = any).
    pub tick_size: Price,
}

/// `LOT_SIZE` or `MARKET_LOT_SIZE`: zero values disable the corresponding check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotSize {
    /// Smallest quantity.
    pub min_qty: Qty,
    /// Largest quantity (0 = none).
    pub max_qty: Qty,
    /// Quantity increment (0 = any).
    pub step_size: Qty,
}

/// `MIN_NOTIONAL` (older) or `NOTIONAL` (newer): bounds on `price × qty`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotionalFilter {
    /// Which filter Binance calls it (`MIN_NOTIONAL` or `NOTIONAL`), for error messages.
    pub kind: NotionalKind,
    /// Smallest notional.
    pub min_notional: Quote,
    /// Whether the minimum applies to market orders.
    pub apply_min_to_market: bool,
    /// Largest notional (`None` for `MIN_NOTIONAL`).
    pub max_notional: Option<Quote>,
    /// Whether the maximum applies to market orders.
    pub apply_max_to_market: bool,
}

/// Which notional filter a symbol uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotionalKind {
    /// `MIN_NOTIONAL`.
    MinNotional,
    /// `NOTIONAL`.
    Notional,
}

/// `PERCENT_PRICE_BY_SIDE` (and plain `PERCENT_PRICE`, which uses one pair for both sides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PercentPriceBySide {
    /// Buy price ≤ reference × this.
    pub bid_multiplier_up: Decimal,
    /// Buy price ≥ reference × this.
    pub bid_multiplier_down: Decimal,
    /// Sell price ≤ reference × this.
    pub ask_multiplier_up: Decimal,
    /// Sell price ≥ reference × this.
    pub ask_multiplier_down: Decimal,
}

/// `TRAILING_DELTA`: allowed `trailingDelta` range in BIPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailingDeltaFilter {
    /// Min for BUY STOP_LOSS* and SELL TAKE_PROFIT*.
    pub min_above: u32,
    /// Max for BUY STOP_LOSS* and SELL TAKE_PROFIT*.
    pub max_above: u32,
    /// Min for BUY TAKE_PROFIT* and SELL STOP_LOSS*.
    pub min_below: u32,
    /// Max for BUY TAKE_PROFIT* and SELL STOP_LOSS*.
    pub max_below: u32,
}

/// All filters of one symbol that the bot honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolFilters {
    /// `PRICE_FILTER`.
    pub price: PriceFilter,
    /// `LOT_SIZE`.
    pub lot: LotSize,
    /// `MARKET_LOT_SIZE`, if present.
    pub market_lot: Option<LotSize>,
    /// `NOTIONAL` or `MIN_NOTIONAL`, if present.
    pub notional: Option<NotionalFilter>,
    /// `PERCENT_PRICE_BY_SIDE` or `PERCENT_PRICE`, if present.
    pub percent_price: Option<PercentPriceBySide>,
    /// `MAX_NUM_ORDERS`, if present.
    pub max_num_orders: Option<u32>,
    /// `MAX_NUM_ALGO_ORDERS`, if present.
    pub max_num_algo_orders: Option<u32>,
    /// `TRAILING_DELTA`, if present.
    pub trailing_delta: Option<TrailingDeltaFilter>,
}

/// Which filter an order breaks, with the numbers that broke it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterViolation {
    /// Price below `minPrice`, above `maxPrice` or off the tick.
    #[error("Filter failure: PRICE_FILTER ({0})")]
    PriceFilter(String),
    /// Price outside the percent band around the reference price.
    #[error("Filter failure: PERCENT_PRICE_BY_SIDE ({0})")]
    PercentPriceBySide(String),
    /// Quantity below `minQty`, above `maxQty` or off the step.
    #[error("Filter failure: LOT_SIZE ({0})")]
    LotSize(String),
    /// Market quantity outside `MARKET_LOT_SIZE`.
    #[error("Filter failure: MARKET_LOT_SIZE ({0})")]
    MarketLotSize(String),
    /// Notional below the `MIN_NOTIONAL` minimum.
    #[error("Filter failure: MIN_NOTIONAL ({0})")]
    MinNotional(String),
    /// Notional outside the `NOTIONAL` bounds.
    #[error("Filter failure: NOTIONAL ({0})")]
    Notional(String),
    /// Too many open orders on the symbol.
    #[error("Filter failure: MAX_NUM_ORDERS ({0})")]
    MaxNumOrders(String),
    /// Too many open stop orders on the symbol.
    #[error("Filter failure: MAX_NUM_ALGO_ORDERS ({0})")]
    MaxNumAlgoOrders(String),
    /// `trailingDelta` out of the allowed range.
    #[error("Filter failure: TRAILING_DELTA ({0})")]
    TrailingDelta(String),
    /// The order lacks a field its type needs, or has one it must not have.
    #[error("invalid order: {0}")]
    Malformed(String),
}

impl FilterViolation {
    /// Binance's filter name (`"LOT_SIZE"` …), `None` for a malformed order.
    pub fn filter_name(&self) -> Option<&'static str> {
        Some(match self {
            FilterViolation::PriceFilter(_) => "PRICE_FILTER",
            FilterViolation::PercentPriceBySide(_) => "PERCENT_PRICE_BY_SIDE",
            FilterViolation::LotSize(_) => "LOT_SIZE",
            FilterViolation::MarketLotSize(_) => "MARKET_LOT_SIZE",
            FilterViolation::MinNotional(_) => "MIN_NOTIONAL",
            FilterViolation::Notional(_) => "NOTIONAL",
            FilterViolation::MaxNumOrders(_) => "MAX_NUM_ORDERS",
            FilterViolation::MaxNumAlgoOrders(_) => "MAX_NUM_ALGO_ORDERS",
            FilterViolation::TrailingDelta(_) => "TRAILING_DELTA",
            FilterViolation::Malformed(_) => return None,
        })
    }
}

/// Floors `value` to `origin + k × step`; a zero step leaves it unchanged.
fn floor_to(value: Decimal, origin: Decimal, step: Decimal) -> Decimal {
    if step.is_zero() {
        return value;
    }
    origin + ((value - origin) / step).floor() * step
}

/// Ceils `value` to `origin + k × step`; a zero step leaves it unchanged.
fn ceil_to(value: Decimal, origin: Decimal, step: Decimal) -> Decimal {
    if step.is_zero() {
        return value;
    }
    origin + ((value - origin) / step).ceil() * step
}

fn on_grid(value: Decimal, origin: Decimal, step: Decimal) -> bool {
    step.is_zero() || ((value - origin) % step).is_zero()
}

impl SymbolFilters {
    /// Simple filters for tests and examples: tick, step, minimum notional; no other limits.
    pub fn basic(tick_size: Decimal, step_size: Decimal, min_notional: Decimal) -> Self {
        Self {
            price: PriceFilter {
                min_price: Price::new(tick_size),
                max_price: Price::ZERO,
                tick_size: Price::new(tick_size),
            },
            lot: LotSize {
                min_qty: Qty::new(step_size),
                max_qty: Qty::ZERO,
                step_size: Qty::new(step_size),
            },
            market_lot: None,
            notional: Some(NotionalFilter {
                kind: NotionalKind::Notional,
                min_notional: Quote::new(min_notional),
                apply_min_to_market: true,
                max_notional: None,
                apply_max_to_market: false,
            }),
            percent_price: None,
            max_num_orders: None,
            max_num_algo_orders: None,
            trailing_delta: None,
        }
    }

    /// Rounds a price to the tick: down for buys, up for sells.
    pub fn round_price(&self, side: Side, price: Price) -> Price {
        match side {
            Side::Buy => self.round_price_down(price),
            Side::Sell => self.round_price_up(price),
        }
    }

    /// Rounds a price down to the tick.
    pub fn round_price_down(&self, price: Price) -> Price {
        let p = &self.price;
        Price::new(floor_to(price.get(), p.min_price.get(), p.tick_size.get()))
    }

    /// Rounds a price up to the tick.
    pub fn round_price_up(&self, price: Price) -> Price {
        let p = &self.price;
        Price::new(ceil_to(price.get(), p.min_price.get(), p.tick_size.get()))
    }

    /// Rounds a quantity down to the lot step (never below zero).
    pub fn round_qty_down(&self, qty: Qty) -> Qty {
        let l = &self.lot;
        if qty < l.min_qty {
            // Below the minimum the step grid is undefined; floor from zero instead.
            return Qty::new(floor_to(qty.get(), Decimal::ZERO, l.step_size.get())).max(Qty::ZERO);
        }
        Qty::new(floor_to(qty.get(), l.min_qty.get(), l.step_size.get()))
    }

    /// The smallest quantity worth ordering at `price`: `minQty`, raised to meet the notional
    /// minimum, rounded up to the step.
    pub fn min_qty_at(&self, price: Price) -> Qty {
        let l = &self.lot;
        let mut min = l.min_qty;
        if let (Some(n), true) = (&self.notional, price.is_positive()) {
            let needed = n.min_notional / price;
            if needed > min {
                min = Qty::new(ceil_to(needed.get(), l.min_qty.get(), l.step_size.get()));
            }
        }
        min
    }

    /// Checks one order against the price, lot, notional, percent-price and trailing filters,
    /// in the order Binance applies them. `reference` is the price the percent band and market
    /// notionals are measured against (Binance's weighted average or reference price); with
    /// `None` those checks are skipped.
    pub fn check(
        &self,
        order: &OrderSpec,
        reference: Option<Price>,
    ) -> Result<(), FilterViolation> {
        let is_market = matches!(
            order.order_type,
            OrderType::Market | OrderType::StopLoss | OrderType::TakeProfit
        );
        let limit_price = if order.order_type.has_limit_price() {
            Some(order.price.ok_or_else(|| {
                FilterViolation::Malformed(format!("{} needs a price", order.order_type.as_str()))
            })?)
        } else {
            if order.price.is_some() {
                return Err(FilterViolation::Malformed(format!(
                    "{} takes no price",
                    order.order_type.as_str()
                )));
            }
            None
        };
        if !order.order_type.is_algo()
            && (order.stop_price.is_some() || order.trailing_delta.is_some())
        {
            // Binance rejects these (-1106 "Parameter … sent when not required").
            return Err(FilterViolation::Malformed(format!(
                "{} takes no stopPrice or trailingDelta",
                order.order_type.as_str()
            )));
        }
        if order.order_type.is_algo()
            && order.stop_price.is_none()
            && order.trailing_delta.is_none()
        {
            return Err(FilterViolation::Malformed(format!(
                "{} needs a stopPrice or a trailingDelta",
                order.order_type.as_str()
            )));
        }
        if !order.qty.is_positive() {
            return Err(FilterViolation::LotSize(format!(
                "quantity {} must be positive",
                order.qty
            )));
        }
        for price in limit_price.iter().chain(order.stop_price.iter()) {
            self.check_price(*price)?;
        }
        if is_market {
            if let Some(m) = &self.market_lot {
                check_lot(m, order.qty).map_err(FilterViolation::MarketLotSize)?;
            }
        }
        check_lot(&self.lot, order.qty).map_err(FilterViolation::LotSize)?;
        if let (Some(pp), Some(reference)) = (&self.percent_price, reference) {
            if let Some(price) = limit_price {
                check_percent(pp, order.side, price, reference)?;
            }
        }
        if let Some(n) = &self.notional {
            let price = limit_price.or(if is_market { reference } else { None });
            if let Some(price) = price {
                check_notional(n, price * order.qty, is_market)?;
            }
        }
        if let (Some(t), Some(delta)) = (&self.trailing_delta, order.trailing_delta) {
            check_trailing(t, order, delta)?;
        }
        Ok(())
    }

    /// Checks a whole set of orders for the symbol against `MAX_NUM_ORDERS` and
    /// `MAX_NUM_ALGO_ORDERS`.
    pub fn check_counts(&self, orders: &[OrderSpec]) -> Result<(), FilterViolation> {
        if let Some(max) = self.max_num_orders {
            if orders.len() > max as usize {
                return Err(FilterViolation::MaxNumOrders(format!(
                    "{} orders, at most {max}",
                    orders.len()
                )));
            }
        }
        if let Some(max) = self.max_num_algo_orders {
            let algo = orders.iter().filter(|o| o.order_type.is_algo()).count();
            if algo > max as usize {
                return Err(FilterViolation::MaxNumAlgoOrders(format!(
                    "{algo} stop orders, at most {max}"
                )));
            }
        }
        Ok(())
    }

    fn check_price(&self, price: Price) -> Result<(), FilterViolation> {
        let p = &self.price;
        if !price.is_positive() {
            return Err(FilterViolation::PriceFilter(format!(
                "price {price} must be positive"
            )));
        }
        if p.min_price.is_positive() && price < p.min_price {
            return Err(FilterViolation::PriceFilter(format!(
                "price {price} below minPrice {}",
                p.min_price
            )));
        }
        if p.max_price.is_positive() && price > p.max_price {
            return Err(FilterViolation::PriceFilter(format!(
                "price {price} above maxPrice {}",
                p.max_price
            )));
        }
        if !on_grid(price.get(), p.min_price.get(), p.tick_size.get()) {
            return Err(FilterViolation::PriceFilter(format!(
                "price {price} not a multiple of tickSize {}",
                p.tick_size
            )));
        }
        Ok(())
    }
}

fn check_lot(l: &LotSize, qty: Qty) -> Result<(), String> {
    if qty < l.min_qty {
        return Err(format!("quantity {qty} below minQty {}", l.min_qty));
    }
    if l.max_qty.is_positive() && qty > l.max_qty {
        return Err(format!("quantity {qty} above maxQty {}", l.max_qty));
    }
    if !on_grid(qty.get(), l.min_qty.get(), l.step_size.get()) {
        return Err(format!(
            "quantity {qty} not a multiple of stepSize {}",
            l.step_size
        ));
    }
    Ok(())
}

fn check_percent(
    pp: &PercentPriceBySide,
    side: Side,
    price: Price,
    reference: Price,
) -> Result<(), FilterViolation> {
    let (up, down) = match side {
        Side::Buy => (pp.bid_multiplier_up, pp.bid_multiplier_down),
        Side::Sell => (pp.ask_multiplier_up, pp.ask_multiplier_down),
    };
    let (hi, lo) = (reference.scale(up), reference.scale(down));
    if price > hi || price < lo {
        return Err(FilterViolation::PercentPriceBySide(format!(
            "{} price {price} outside [{lo}, {hi}] around reference {reference}",
            side.as_str()
        )));
    }
    Ok(())
}

fn check_notional(
    n: &NotionalFilter,
    notional: Quote,
    is_market: bool,
) -> Result<(), FilterViolation> {
    let wrap = |msg: String| match n.kind {
        NotionalKind::MinNotional => FilterViolation::MinNotional(msg),
        NotionalKind::Notional => FilterViolation::Notional(msg),
    };
    if (!is_market || n.apply_min_to_market) && notional < n.min_notional {
        return Err(wrap(format!(
            "notional {notional} below minNotional {}",
            n.min_notional
        )));
    }
    if let Some(max) = n.max_notional {
        if (!is_market || n.apply_max_to_market) && notional > max {
            return Err(wrap(format!("notional {notional} above maxNotional {max}")));
        }
    }
    Ok(())
}

fn check_trailing(
    t: &TrailingDeltaFilter,
    order: &OrderSpec,
    delta: u32,
) -> Result<(), FilterViolation> {
    use OrderType::*;
    let above = matches!(
        (order.side, order.order_type),
        (Side::Buy, StopLoss | StopLossLimit) | (Side::Sell, TakeProfit | TakeProfitLimit)
    );
    let (min, max, which) = if above {
        (t.min_above, t.max_above, "Above")
    } else {
        (t.min_below, t.max_below, "Below")
    };
    if delta < min || delta > max {
        return Err(FilterViolation::TrailingDelta(format!(
            "trailingDelta {delta} outside [{min}, {max}] (Trailing{which}Delta)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
