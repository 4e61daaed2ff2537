//! User Data Stream and market-stream payloads (`user-data-stream.md`, `web-socket-streams.md`)
//! → [`ExchangeEvent`]s. Wire structs keep Binance's one-letter names and decimals as text;
//! the order and trade go through the REST parser ([`parse::order_report`]), so an
//! `executionReport` is read by exactly the rules an order query is.
//!
//! Frames: user data arrives as `{"subscriptionId": n, "event": {...}}`, connection events
//! as `{"event": {"e": "serverShutdown"}}`, combined market streams as
//! `{"stream": "...", "data": {...}}`.

use crate::adapters::binance::parse::{self, ParseError};
use crate::adapters::binance::wire::OrderWire;
use crate::core::client_id::IdPrefix;
use crate::core::fill::Balance;
use crate::core::money::{Amount, Price, Qty, Quote};
use crate::core::symbol::{Asset, Symbol};
use crate::ports::events::{ExchangeEvent, OrderUpdate, PriceUpdate};
use crate::ports::exchange::{BookTicker, ExchangeTrade};
use serde::Deserialize;
use serde_json::Value;

/// What one frame of a stream means to the connection that read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A domain event.
    Event(ExchangeEvent),
    /// `eventStreamTerminated`: the subscription ended (events may be lost).
    Terminated,
    /// `serverShutdown`: connect anew now.
    ServerShutdown,
    /// An answer to one of our requests (by id).
    Response(Value),
    /// Something we do not act on (an event type we ignore).
    Ignored,
}

/// `executionReport` (user-data-stream.md, "Order Update").
#[derive(Debug, Deserialize)]
struct ExecutionReport {
    #[serde(rename = "E")]
    event_ms: i64,
    s: String,
    c: String,
    #[serde(rename = "S")]
    side: String,
    o: String,
    f: String,
    q: String,
    p: String,
    #[serde(rename = "P")]
    stop: String,
    #[serde(default)]
    d: Option<u32>,
    #[serde(rename = "C", default)]
    orig_client: Option<String>,
    x: String,
    #[serde(rename = "X")]
    status: String,
    i: u64,
    l: String,
    z: String,
    #[serde(rename = "L")]
    last_price: String,
    n: String,
    #[serde(rename = "N")]
    commission_asset: Option<String>,
    #[serde(rename = "T")]
    transact_ms: i64,
    t: i64,
    m: bool,
    #[serde(rename = "O")]
    created_ms: i64,
    #[serde(rename = "Z")]
    cum_quote: String,
    #[serde(rename = "Y")]
    last_quote: String,
    #[serde(rename = "W", default)]
    working_ms: Option<i64>,
    #[serde(rename = "eR", default)]
    expiry_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PositionEntry {
    a: String,
    f: String,
    l: String,
}

/// `outboundAccountPosition`.
#[derive(Debug, Deserialize)]
struct AccountPosition {
    #[serde(rename = "E")]
    event_ms: i64,
    #[serde(rename = "B")]
    balances: Vec<PositionEntry>,
}

/// `balanceUpdate`.
#[derive(Debug, Deserialize)]
struct BalanceUpdate {
    #[serde(rename = "E")]
    event_ms: i64,
    a: String,
    d: String,
}

/// `listStatus`.
#[derive(Debug, Deserialize)]
struct ListStatus {
    s: String,
    g: i64,
    #[serde(rename = "L")]
    list_order_status: String,
}

/// `<symbol>@bookTicker`.
#[derive(Debug, Deserialize)]
struct BookTickerEvent {
    s: String,
    b: String,
    a: String,
}

/// `<symbol>@kline_<interval>`.
#[derive(Debug, Deserialize)]
struct KlineEvent {
    k: KlineBody,
}

/// The kline of a `kline` event: the fields a [`Candle`](crate::core::candle::Candle) needs,
/// read by the same rules as a `klines` row ([`parse::candle`]).
#[derive(Debug, Deserialize)]
struct KlineBody {
    t: i64,
    #[serde(rename = "T")]
    close_ms: i64,
    s: String,
    i: String,
    o: String,
    h: String,
    l: String,
    c: String,
    v: String,
    x: bool,
}

/// A payload we could not read (a field's text, or the JSON shape).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Not the JSON shape Binance documents.
    #[error("unreadable {kind}: {reason}")]
    Shape {
        /// Event type.
        kind: String,
        /// serde's reason.
        reason: String,
    },
    /// A field's value.
    #[error(transparent)]
    Field(#[from] ParseError),
}

fn shape(kind: &str, e: impl std::fmt::Display) -> EventError {
    EventError::Shape {
        kind: kind.to_string(),
        reason: e.to_string(),
    }
}

fn field<T>(name: &'static str, text: &str, r: Result<T, impl Sized>) -> Result<T, ParseError> {
    r.map_err(|_| ParseError {
        field: name,
        value: text.to_string(),
    })
}

fn symbol(text: &str) -> Result<Symbol, ParseError> {
    field("s", text, Symbol::parse(text))
}

fn asset(text: &str) -> Result<Asset, ParseError> {
    field("a", text, Asset::parse(text))
}

/// Reads one text frame of the WebSocket API or of a combined market stream.
pub fn frame(text: &str, prefix: &IdPrefix) -> Result<Frame, EventError> {
    let v: Value = serde_json::from_str(text).map_err(|e| shape("frame", e))?;
    if v.get("id").is_some_and(|id| !id.is_null()) || v.get("status").is_some() {
        return Ok(Frame::Response(v));
    }
    if let (Some(stream), Some(data)) = (v.get("stream"), v.get("data")) {
        let stream = stream.as_str().unwrap_or_default();
        return market(stream, data.clone());
    }
    match v.get("event") {
        Some(event) => user_event(event.clone(), prefix),
        None => Ok(Frame::Ignored),
    }
}

/// One user-data (or connection) event.
pub fn user_event(event: Value, prefix: &IdPrefix) -> Result<Frame, EventError> {
    let kind = event
        .get("e")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Ok(match kind.as_str() {
        "executionReport" => {
            let w: ExecutionReport = serde_json::from_value(event).map_err(|e| shape(&kind, e))?;
            Frame::Event(ExchangeEvent::Order(Box::new(order_update(&w, prefix)?)))
        }
        "outboundAccountPosition" => {
            let w: AccountPosition = serde_json::from_value(event).map_err(|e| shape(&kind, e))?;
            let mut balances = Vec::with_capacity(w.balances.len());
            for b in &w.balances {
                balances.push(Balance {
                    asset: asset(&b.a)?,
                    free: field("f", &b.f, Amount::parse(&b.f))?,
                    locked: field("l", &b.l, Amount::parse(&b.l))?,
                });
            }
            Frame::Event(ExchangeEvent::Balances {
                time_ms: w.event_ms,
                balances,
            })
        }
        "balanceUpdate" => {
            let w: BalanceUpdate = serde_json::from_value(event).map_err(|e| shape(&kind, e))?;
            Frame::Event(ExchangeEvent::BalanceDelta {
                time_ms: w.event_ms,
                asset: asset(&w.a)?,
                delta: field("d", &w.d, Amount::parse(&w.d))?,
            })
        }
        "listStatus" => {
            let w: ListStatus = serde_json::from_value(event).map_err(|e| shape(&kind, e))?;
            Frame::Event(ExchangeEvent::OrderList {
                symbol: symbol(&w.s)?,
                list_id: w.g,
                status: w.list_order_status,
            })
        }
        "eventStreamTerminated" => Frame::Terminated,
        "serverShutdown" => Frame::ServerShutdown,
        _ => Frame::Ignored,
    })
}

/// An `executionReport` as the order's state (and the trade, for `x` = `TRADE`).
fn order_update(w: &ExecutionReport, prefix: &IdPrefix) -> Result<OrderUpdate, EventError> {
    // For a cancel, `c` is the cancel request's id and `C` the order's own.
    let (client, orig) = match w.orig_client.as_deref().filter(|c| !c.is_empty()) {
        Some(orig) => (w.c.clone(), Some(orig.to_string())),
        None => (w.c.clone(), None),
    };
    let order = OrderWire {
        symbol: w.s.clone(),
        order_id: w.i,
        order_list_id: None,
        client_order_id: client,
        orig_client_order_id: orig,
        transact_time: Some(w.transact_ms),
        price: Some(w.p.clone()),
        orig_qty: Some(w.q.clone()),
        executed_qty: Some(w.z.clone()),
        cummulative_quote_qty: Some(w.cum_quote.clone()),
        status: Some(w.status.clone()),
        time_in_force: Some(w.f.clone()),
        order_type: Some(w.o.clone()),
        side: Some(w.side.clone()),
        stop_price: Some(w.stop.clone()),
        trailing_delta: w.d,
        time: Some(w.created_ms),
        update_time: Some(w.transact_ms),
        working_time: w.working_ms,
        fills: Vec::new(),
        expiry_reason: w.expiry_reason.clone(),
        self_trade_prevention_mode: None,
    };
    let report = parse::order_report_ours(&order, prefix)?;
    let trade = match (w.x.as_str(), u64::try_from(w.t)) {
        ("TRADE", Ok(trade_id)) => Some(ExchangeTrade {
            symbol: report.symbol.clone(),
            trade_id,
            order_id: w.i,
            side: report.side,
            price: field("L", &w.last_price, Price::parse_non_negative(&w.last_price))?,
            qty: field("l", &w.l, Qty::parse_non_negative(&w.l))?,
            quote_qty: field("Y", &w.last_quote, Quote::parse_non_negative(&w.last_quote))?,
            commission: field("n", &w.n, Amount::parse(&w.n))?,
            commission_asset: asset(w.commission_asset.as_deref().unwrap_or_default())?,
            is_maker: w.m,
            time_ms: w.transact_ms,
        }),
        _ => None,
    };
    Ok(OrderUpdate {
        report,
        trade,
        event_ms: w.event_ms,
    })
}

/// One payload of a combined market stream: `bookTicker` and closed `kline_1m` candles;
/// open candles are ignored (their close is not a close yet), and so are other intervals
/// ([`PriceUpdate::KlineClosed`] is a one-minute candle, what the candle feed keeps).
pub fn market(stream: &str, data: Value) -> Result<Frame, EventError> {
    if stream.ends_with("@bookTicker") {
        let w: BookTickerEvent =
            serde_json::from_value(data).map_err(|e| shape("bookTicker", e))?;
        let ticker = BookTicker {
            bid: field("b", &w.b, Price::parse_non_negative(&w.b))?,
            ask: field("a", &w.a, Price::parse_non_negative(&w.a))?,
        };
        return Ok(Frame::Event(ExchangeEvent::Price(PriceUpdate::Book {
            symbol: symbol(&w.s)?,
            ticker,
        })));
    }
    if stream.contains("@kline_") {
        let w: KlineEvent = serde_json::from_value(data).map_err(|e| shape("kline", e))?;
        let k = w.k;
        if !k.x || k.i != "1m" {
            return Ok(Frame::Ignored);
        }
        let row = crate::adapters::binance::wire::Kline {
            open_time: k.t,
            open: k.o,
            high: k.h,
            low: k.l,
            close: k.c,
            volume: k.v,
            close_time: k.close_ms,
            quote_volume: String::new(),
            trades: 0,
        };
        return Ok(Frame::Event(ExchangeEvent::Price(
            PriceUpdate::KlineClosed {
                symbol: symbol(&k.s)?,
                candle: parse::candle(&row)?,
            },
        )));
    }
    Ok(Frame::Ignored)
}

#[cfg(test)]
mod tests;
