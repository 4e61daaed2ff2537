//! Tests of the simulated exchange: helpers here, one module per area.

mod events;
mod fees;
mod fills;
mod place;
mod proptests;
mod trailing;

use super::{SimConfig, SimExchange, SimSymbol};
use crate::adapters::klines::Candle;
use crate::core::client_id::ClientOrderId;
use crate::core::filters::{SymbolFilters, SymbolRules, SymbolStatus};
use crate::core::money::{Amount, Price, Qty};
use crate::core::order::{OrderSpec, OrderStatus, OrderType, Side, Slot, TimeInForce};
use crate::core::symbol::{Asset, Symbol};
use crate::ports::exchange::{ExchangeTrade, NewOrder};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

/// Decimal from text (tests only).
pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub fn p(s: &str) -> Price {
    Price::new(d(s))
}

pub fn q(s: &str) -> Qty {
    Qty::new(d(s))
}

pub fn a(s: &str) -> Amount {
    Amount::new(d(s))
}

pub fn asset(s: &str) -> Asset {
    Asset::parse(s).unwrap()
}

pub fn sol() -> Symbol {
    Symbol::parse("SOLUSDC").unwrap()
}

/// SOLUSDC: tick 0.01, step 0.001, min notional 5, every order type, trailing 10..2000 BIPS.
pub fn rules() -> SymbolRules {
    let mut filters = SymbolFilters::basic(d("0.01"), d("0.001"), d("5"));
    filters.trailing_delta = Some(crate::core::filters::TrailingDeltaFilter {
        min_above: 10,
        max_above: 2000,
        min_below: 10,
        max_below: 2000,
    });
    SymbolRules::basic(sol(), asset("SOL"), asset("USDC"), filters)
}

/// 10 000 USDC and 10 SOL, 0.1 % fees, SOLUSDC at `price`.
pub fn config(price: &str) -> SimConfig {
    SimConfig::standard(
        vec![SimSymbol {
            rules: rules(),
            initial_price: Some(p(price)),
        }],
        vec![(asset("USDC"), a("10000")), (asset("SOL"), a("10"))],
    )
}

pub fn exchange(price: &str) -> SimExchange {
    SimExchange::new(config(price))
}

pub fn cid(s: &str) -> ClientOrderId {
    ClientOrderId::parse(s).unwrap()
}

fn spec(side: Side, t: OrderType) -> OrderSpec {
    OrderSpec {
        slot: if side == Side::Buy {
            Slot::Buy(1)
        } else {
            Slot::Tp1
        },
        side,
        order_type: t,
        price: None,
        qty: Qty::ZERO,
        stop_price: None,
        trailing_delta: None,
        time_in_force: None,
    }
}

pub fn new_order(id: &str, spec: OrderSpec) -> NewOrder {
    NewOrder {
        symbol: sol(),
        client_id: cid(id),
        spec,
    }
}

pub fn limit_tif(id: &str, side: Side, price: &str, qty: &str, tif: TimeInForce) -> NewOrder {
    let mut s = spec(side, OrderType::Limit);
    s.price = Some(p(price));
    s.qty = q(qty);
    s.time_in_force = Some(tif);
    new_order(id, s)
}

pub fn limit(id: &str, side: Side, price: &str, qty: &str) -> NewOrder {
    limit_tif(id, side, price, qty, TimeInForce::Gtc)
}

pub fn limit_maker(id: &str, side: Side, price: &str, qty: &str) -> NewOrder {
    let mut s = spec(side, OrderType::LimitMaker);
    s.price = Some(p(price));
    s.qty = q(qty);
    new_order(id, s)
}

pub fn market(id: &str, side: Side, qty: &str) -> NewOrder {
    let mut s = spec(side, OrderType::Market);
    s.qty = q(qty);
    new_order(id, s)
}

/// A stop-limit (`STOP_LOSS_LIMIT` / `TAKE_PROFIT_LIMIT`), GTC.
pub fn stop_limit(
    id: &str,
    side: Side,
    t: OrderType,
    stop: Option<&str>,
    trailing: Option<u32>,
    price: &str,
    qty: &str,
) -> NewOrder {
    let mut s = spec(side, t);
    s.price = Some(p(price));
    s.qty = q(qty);
    s.stop_price = stop.map(p);
    s.trailing_delta = trailing;
    s.time_in_force = Some(TimeInForce::Gtc);
    new_order(id, s)
}

/// A one-minute candle starting at minute `m` (Unix ms = m × 60 000).
pub fn candle(m: i64, o: &str, h: &str, l: &str, c: &str, vol: &str) -> Candle {
    Candle {
        open_time_ms: m * 60_000,
        open: p(o),
        high: p(h),
        low: p(l),
        close: p(c),
        volume: q(vol),
        close_time_ms: m * 60_000 + 59_999,
    }
}

/// A candle with one price (a single trade).
pub fn flat(m: i64, price: &str) -> Candle {
    candle(m, price, price, price, price, "1000")
}

/// Feeds a candle; returns its trades.
pub fn feed(ex: &mut SimExchange, c: &Candle) -> Vec<ExchangeTrade> {
    ex.on_candle(&sol(), c).unwrap().to_vec()
}

pub fn status(ex: &SimExchange, id: &str) -> OrderStatus {
    ex.query(&sol(), &super::OrderRef::Client(cid(id)))
        .unwrap()
        .status
}

/// Checks invariant 2 of the module doc: every asset's total equals its initial amount plus
/// what the trades bought or sold minus commissions, and locked equals what the open orders
/// still reserve (limit × remaining quote for buys, remaining base for sells).
pub fn assert_reconciles(ex: &SimExchange, initial: &[(Asset, Amount)]) {
    let mut expected: BTreeMap<Asset, Amount> = initial.iter().cloned().collect();
    let (base, quote) = (asset("SOL"), asset("USDC"));
    let mut add = |asset: &Asset, amount: Amount| {
        *expected.entry(asset.clone()).or_default() += amount;
    };
    for t in ex.my_trades(&sol(), Some(0), 1000).unwrap() {
        let (b, qn) = (t.qty.as_amount(), t.quote_qty.as_amount());
        match t.side {
            Side::Buy => {
                add(&base, b);
                add(&quote, -qn);
            }
            Side::Sell => {
                add(&base, -b);
                add(&quote, qn);
            }
        }
        add(&t.commission_asset, -t.commission);
    }
    let mut locked: BTreeMap<Asset, Amount> = BTreeMap::new();
    for o in ex.open_orders(&sol()).unwrap() {
        let rest = o.spec.qty - o.executed_qty;
        match (o.side, o.spec.price) {
            (Side::Buy, Some(price)) if o.spec.order_type.has_limit_price() => {
                *locked.entry(quote.clone()).or_default() += (price * rest).as_amount()
            }
            (Side::Buy, _) => {}
            (Side::Sell, _) => *locked.entry(base.clone()).or_default() += rest.as_amount(),
        }
    }
    for (asset, total) in &expected {
        let b = ex.balances();
        assert_eq!(b.free(asset) + b.locked(asset), *total, "total of {asset}");
        assert!(b.free(asset) >= Amount::ZERO, "free {asset} negative");
        assert_eq!(
            b.locked(asset),
            locked.get(asset).copied().unwrap_or_default(),
            "locked {asset}"
        );
    }
}

pub fn initial() -> Vec<(Asset, Amount)> {
    vec![(asset("USDC"), a("10000")), (asset("SOL"), a("10"))]
}
