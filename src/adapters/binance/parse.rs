//! Wire structs ([`super::wire`]) → port and core types, in one place.
//!
//! Rules:
//! - decimals are parsed exactly into `Price` / `Qty` / `Quote` / `Amount`, never through floats;
//! - an order's `spec.slot` is only meaningful for our own ids: [`slot_for`] reads it from the
//!   client id; foreign orders get a placeholder (`B65535` for buys, `EXIT` for sells) that
//!   callers must ignore because `parse_ours` returns `None` for them;
//! - `price` is kept only for types that carry a limit price (Binance sends `0` for market
//!   orders), `stopPrice` only when non-zero, `timeInForce` only for `LIMIT`,
//!   `STOP_LOSS_LIMIT` and `TAKE_PROFIT_LIMIT` (Binance echoes `GTC` on market and
//!   `LIMIT_MAKER` orders, where the parameter may not be sent);
//! - `time_ms` is the creation time (`time`, else `transactTime`, else `workingTime`),
//!   `update_ms` the last update (`updateTime`, else `transactTime`, else `time_ms`).

use super::wire;
use crate::adapters::klines::Candle;
use crate::core::client_id::{ClientOrderId, IdPrefix};
use crate::core::fill::{Balance, Commission, Fill};
use crate::core::money::{Amount, Price, Qty, Quote};
use crate::core::order::{
    ExpiryReason, OrderSpec, OrderStatus, OrderType, Side, Slot, TimeInForce,
};
use crate::core::symbol::{Asset, Symbol};
use crate::ports::exchange::{Account, BookTicker, ExchangeTrade, ForeignOrder, OrderReport};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use std::str::FromStr;

/// A field Binance sent that we cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read Binance field `{field}` = `{value}`")]
pub struct ParseError {
    /// Binance field name.
    pub field: &'static str,
    /// The value as received (never a secret: responses carry none).
    pub value: String,
}

fn err(field: &'static str, value: impl Into<String>) -> ParseError {
    ParseError {
        field,
        value: value.into(),
    }
}

fn required<'a>(field: &'static str, v: &'a Option<String>) -> Result<&'a str, ParseError> {
    v.as_deref().ok_or_else(|| err(field, "<missing>"))
}

fn price(field: &'static str, s: &str) -> Result<Price, ParseError> {
    Price::parse_non_negative(s).map_err(|_| err(field, s))
}

fn qty(field: &'static str, s: &str) -> Result<Qty, ParseError> {
    Qty::parse_non_negative(s).map_err(|_| err(field, s))
}

fn quote(field: &'static str, s: &str) -> Result<Quote, ParseError> {
    Quote::parse_non_negative(s).map_err(|_| err(field, s))
}

fn amount(field: &'static str, s: &str) -> Result<Amount, ParseError> {
    Amount::parse(s).map_err(|_| err(field, s))
}

fn decimal(field: &'static str, s: &str) -> Result<Decimal, ParseError> {
    Decimal::from_str(s.trim()).map_err(|_| err(field, s))
}

fn symbol(s: &str) -> Result<Symbol, ParseError> {
    Symbol::parse(s).map_err(|_| err("symbol", s))
}

fn asset(field: &'static str, s: &str) -> Result<Asset, ParseError> {
    Asset::parse(s).map_err(|_| err(field, s))
}

/// Binance side text → [`Side`].
pub fn side(s: &str) -> Result<Side, ParseError> {
    match s {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        _ => Err(err("side", s)),
    }
}

/// Binance status text → [`OrderStatus`].
pub fn status(s: &str) -> Result<OrderStatus, ParseError> {
    Ok(match s {
        "NEW" => OrderStatus::New,
        "PARTIALLY_FILLED" => OrderStatus::PartiallyFilled,
        "FILLED" => OrderStatus::Filled,
        "CANCELED" => OrderStatus::Canceled,
        "PENDING_CANCEL" => OrderStatus::PendingCancel,
        "REJECTED" => OrderStatus::Rejected,
        "EXPIRED" => OrderStatus::Expired,
        "EXPIRED_IN_MATCH" => OrderStatus::ExpiredInMatch,
        _ => return Err(err("status", s)),
    })
}

fn time_in_force(s: &str) -> Result<TimeInForce, ParseError> {
    match s {
        "GTC" => Ok(TimeInForce::Gtc),
        "IOC" => Ok(TimeInForce::Ioc),
        "FOK" => Ok(TimeInForce::Fok),
        _ => Err(err("timeInForce", s)),
    }
}

/// The slot of an order: from our client id, else the placeholder for foreign orders.
pub fn slot_for(client_id: &ClientOrderId, prefix: &IdPrefix, side: Side) -> Slot {
    match client_id.parse_ours(prefix) {
        Some(parsed) => parsed.slot,
        None => match side {
            Side::Buy => Slot::Buy(u16::MAX),
            Side::Sell => Slot::Exit,
        },
    }
}

/// The client id of the order an [`wire::OrderWire`] describes: for cancel responses that is
/// `origClientOrderId` (the `clientOrderId` there names the cancel request).
pub fn order_client_id(w: &wire::OrderWire) -> Result<ClientOrderId, ParseError> {
    let text = w
        .orig_client_order_id
        .as_deref()
        .unwrap_or(&w.client_order_id);
    ClientOrderId::parse(text).map_err(|_| err("clientOrderId", text))
}

/// An order in RESULT/FULL/query/cancel shape → [`OrderReport`]; `slot` is ours to give.
/// Fails on ACK shapes (no `status`).
pub fn order_report(w: &wire::OrderWire, slot: Slot) -> Result<OrderReport, ParseError> {
    let side = side(required("side", &w.side)?)?;
    let type_text = required("type", &w.order_type)?;
    let order_type = OrderType::from_str(type_text).map_err(|_| err("type", type_text))?;
    let limit_price = match order_type.has_limit_price() {
        true => Some(price("price", required("price", &w.price)?)?),
        false => None,
    };
    let stop_price = match w.stop_price.as_deref() {
        Some(s) => Some(price("stopPrice", s)?).filter(|p| !p.is_zero()),
        None => None,
    };
    let tif = match order_type {
        OrderType::Limit | OrderType::StopLossLimit | OrderType::TakeProfitLimit => {
            Some(time_in_force(required("timeInForce", &w.time_in_force)?)?)
        }
        _ => None,
    };
    let time_ms = w
        .time
        .or(w.transact_time)
        .or(w.working_time)
        .ok_or_else(|| err("time", "<missing>"))?;
    Ok(OrderReport {
        symbol: symbol(&w.symbol)?,
        order_id: w.order_id,
        client_id: order_client_id(w)?,
        side,
        spec: OrderSpec {
            slot,
            side,
            order_type,
            price: limit_price,
            qty: qty("origQty", required("origQty", &w.orig_qty)?)?,
            stop_price,
            trailing_delta: w.trailing_delta,
            time_in_force: tif,
        },
        status: status(required("status", &w.status)?)?,
        executed_qty: qty("executedQty", required("executedQty", &w.executed_qty)?)?,
        cumulative_quote: quote(
            "cummulativeQuoteQty",
            required("cummulativeQuoteQty", &w.cummulative_quote_qty)?,
        )?,
        time_ms,
        update_ms: w.update_time.or(w.transact_time).unwrap_or(time_ms),
        expiry_reason: w.expiry_reason.as_deref().and_then(ExpiryReason::new),
    })
}

/// [`order_report`] with the slot read from the client id.
pub fn order_report_ours(
    w: &wire::OrderWire,
    prefix: &IdPrefix,
) -> Result<OrderReport, ParseError> {
    let client_id = order_client_id(w)?;
    let side = side(required("side", &w.side)?)?;
    order_report(w, slot_for(&client_id, prefix, side))
}

/// One row of `openOrders` / `allOrders`, sorted by whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRow {
    /// Carries our prefix and reads in full.
    Ours(OrderReport),
    /// Anyone else's, kept opaque.
    Foreign(ForeignOrder),
}

/// Sorts one order row: ours (our prefix) must read in full, else the error; any other row
/// is foreign, readable or not (an OTO leg `PENDING_NEW`, a type we do not know, a shape we
/// do not expect), and is kept as Binance sent it.
pub fn order_row(row: &Value, prefix: &IdPrefix) -> Result<OrderRow, ParseError> {
    let text = |key: &str| row.get(key).and_then(Value::as_str).unwrap_or("");
    let client = row
        .get("origClientOrderId")
        .and_then(Value::as_str)
        .unwrap_or(text("clientOrderId"));
    let read = wire::OrderWire::deserialize(row)
        .map_err(|e| err("order", e.to_string()))
        .and_then(|w| order_report_ours(&w, prefix));
    if prefix.marks(client) {
        return read.map(OrderRow::Ours);
    }
    let order_id = row.get("orderId").and_then(|v| match v {
        Value::String(s) => s.trim().parse().ok(),
        _ => v.as_u64(),
    });
    Ok(OrderRow::Foreign(ForeignOrder {
        order_id,
        client_id: client.to_string(),
        side: text("side").to_string(),
        order_type: text("type").to_string(),
        status: text("status").to_string(),
        note: match read {
            Ok(_) => "not ours".to_string(),
            Err(e) => e.to_string(),
        },
    }))
}

/// The fills of a FULL new-order response as core [`Fill`]s. They happened at placement, so
/// our order was the taker.
pub fn fills(w: &wire::OrderWire, slot: Slot) -> Result<Vec<Fill>, ParseError> {
    let side = side(required("side", &w.side)?)?;
    let time_ms = w.transact_time.or(w.time).unwrap_or_default();
    w.fills
        .iter()
        .map(|f| {
            Ok(Fill {
                trade_id: f.trade_id,
                order_id: w.order_id,
                slot,
                side,
                price: price("price", &f.price)?,
                qty: qty("qty", &f.qty)?,
                commission: Commission {
                    amount: amount("commission", &f.commission)?,
                    asset: asset("commissionAsset", &f.commission_asset)?,
                    quote_value: None,
                },
                is_maker: false,
                time_ms,
            })
        })
        .collect()
}

/// One `myTrades` row → [`ExchangeTrade`].
pub fn trade(w: &wire::MyTrade) -> Result<ExchangeTrade, ParseError> {
    Ok(ExchangeTrade {
        symbol: symbol(&w.symbol)?,
        trade_id: w.id,
        order_id: w.order_id,
        side: if w.is_buyer { Side::Buy } else { Side::Sell },
        price: price("price", &w.price)?,
        qty: qty("qty", &w.qty)?,
        quote_qty: quote("quoteQty", &w.quote_qty)?,
        commission: amount("commission", &w.commission)?,
        commission_asset: asset("commissionAsset", &w.commission_asset)?,
        is_maker: w.is_maker,
        time_ms: w.time,
    })
}

/// `account` → [`Account`]: non-zero balances in Binance's order, maker/taker fractions.
pub fn account(w: &wire::AccountWire) -> Result<Account, ParseError> {
    let mut balances = Vec::new();
    for b in &w.balances {
        let balance = Balance {
            asset: asset("asset", &b.asset)?,
            free: amount("free", &b.free)?,
            locked: amount("locked", &b.locked)?,
        };
        if !balance.total().is_zero() {
            balances.push(balance);
        }
    }
    Ok(Account {
        balances,
        maker_rate: decimal("commissionRates.maker", &w.commission_rates.maker)?,
        taker_rate: decimal("commissionRates.taker", &w.commission_rates.taker)?,
        can_trade: w.can_trade,
        can_withdraw: w.can_withdraw,
    })
}

/// `ticker/price` → last price.
pub fn ticker_price(w: &wire::TickerPrice) -> Result<Price, ParseError> {
    price("price", &w.price)
}

/// `ticker/bookTicker` → [`BookTicker`].
pub fn book_ticker(w: &wire::BookTickerWire) -> Result<BookTicker, ParseError> {
    Ok(BookTicker {
        bid: price("bidPrice", &w.bid_price)?,
        ask: price("askPrice", &w.ask_price)?,
    })
}

/// One kline row → [`Candle`].
pub fn candle(k: &wire::Kline) -> Result<Candle, ParseError> {
    Ok(Candle {
        open_time_ms: k.open_time,
        open: price("open", &k.open)?,
        high: price("high", &k.high)?,
        low: price("low", &k.low)?,
        close: price("close", &k.close)?,
        volume: qty("volume", &k.volume)?,
        close_time_ms: k.close_time,
    })
}

#[cfg(test)]
mod open_set_tests;
#[cfg(test)]
mod tests;
