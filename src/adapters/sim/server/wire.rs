//! JSON shapes of Binance's responses, built from the engine's domain types. Field names and
//! order follow the fixtures in `tests/fixtures/binance-docs/` (`order_query.json`,
//! `order_new_*.json`, `order_cancel.json`, `myTrades.json`, `account.json`, …); decimals are
//! strings with 8 decimals.

use super::tape::Kline;
use crate::ports::exchange::{Account, ExchangeTrade, OrderReport};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

/// A decimal as Binance prints it: 8 decimals.
pub fn dec(d: Decimal) -> String {
    format!("{:.8}", d.round_dp(8))
}

fn opt_dec(d: Option<Decimal>) -> String {
    dec(d.unwrap_or(Decimal::ZERO))
}

/// The fields every order shape shares, up to `side`.
fn core_fields(r: &OrderReport, m: &mut Map<String, Value>) {
    m.insert(
        "price".into(),
        opt_dec(r.spec.price.map(|p| p.get())).into(),
    );
    m.insert("origQty".into(), dec(r.spec.qty.get()).into());
    m.insert("executedQty".into(), dec(r.executed_qty.get()).into());
    m.insert("origQuoteOrderQty".into(), dec(Decimal::ZERO).into());
    m.insert(
        "cummulativeQuoteQty".into(),
        dec(r.cumulative_quote.get()).into(),
    );
    m.insert(
        "status".into(),
        serde_json::to_value(r.status).unwrap_or(Value::Null),
    );
    let tif = r.spec.time_in_force.map_or("GTC", |t| t.as_str());
    m.insert("timeInForce".into(), tif.into());
    m.insert("type".into(), r.spec.order_type.as_str().into());
    m.insert("side".into(), r.side.as_str().into());
    if let Some(sp) = r.spec.stop_price {
        m.insert("stopPrice".into(), dec(sp.get()).into());
    }
    if let Some(td) = r.spec.trailing_delta {
        m.insert("trailingDelta".into(), td.into());
    }
    // Only on expired orders, as Binance (since 2026-03).
    if let Some(reason) = &r.expiry_reason {
        m.insert("expiryReason".into(), reason.as_str().into());
    }
}

fn head(r: &OrderReport) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("symbol".into(), r.symbol.as_str().into());
    m.insert("orderId".into(), r.order_id.into());
    m.insert("orderListId".into(), (-1).into());
    m.insert("clientOrderId".into(), r.client_id.as_str().into());
    m
}

/// `GET /api/v3/order` and `openOrders` (`order_query.json`).
pub fn order(r: &OrderReport) -> Value {
    let mut m = head(r);
    core_fields(r, &mut m);
    m.entry("stopPrice")
        .or_insert_with(|| dec(Decimal::ZERO).into());
    m.insert("icebergQty".into(), dec(Decimal::ZERO).into());
    m.insert("time".into(), r.time_ms.into());
    m.insert("updateTime".into(), r.update_ms.into());
    // A pending stop is not on the book yet; the report does not say whether it triggered,
    // so an untouched stop order counts as not working.
    let pending = r.spec.order_type.is_algo() && r.executed_qty.is_zero();
    m.insert("isWorking".into(), (!pending).into());
    m.insert(
        "workingTime".into(),
        (if pending { -1 } else { r.time_ms }).into(),
    );
    m.insert("selfTradePreventionMode".into(), "NONE".into());
    Value::Object(m)
}

/// `newOrderRespType=ACK` (`order_new_ACK.json`).
pub fn ack(r: &OrderReport, transact_ms: i64) -> Value {
    let mut m = head(r);
    m.insert("transactTime".into(), transact_ms.into());
    Value::Object(m)
}

/// `newOrderRespType=RESULT` (`order_new_RESULT.json`).
pub fn result(r: &OrderReport, transact_ms: i64) -> Value {
    let mut m = head(r);
    m.insert("transactTime".into(), transact_ms.into());
    core_fields(r, &mut m);
    m.insert("workingTime".into(), r.time_ms.into());
    m.insert("selfTradePreventionMode".into(), "NONE".into());
    Value::Object(m)
}

/// `newOrderRespType=FULL` (`order_new_FULL.json`): RESULT plus the fills.
pub fn full(r: &OrderReport, transact_ms: i64, fills: &[ExchangeTrade]) -> Value {
    let mut v = result(r, transact_ms);
    let fills: Vec<Value> = fills
        .iter()
        .map(|t| {
            json!({
                "price": dec(t.price.get()),
                "qty": dec(t.qty.get()),
                "commission": dec(t.commission.get()),
                "commissionAsset": t.commission_asset.as_str(),
                "tradeId": t.trade_id,
            })
        })
        .collect();
    v["fills"] = Value::Array(fills);
    v
}

/// `DELETE /api/v3/order` (`order_cancel.json`): `clientOrderId` is the cancel's own id.
pub fn cancel(r: &OrderReport, cancel_id: &str, transact_ms: i64) -> Value {
    let mut m = Map::new();
    m.insert("symbol".into(), r.symbol.as_str().into());
    m.insert("origClientOrderId".into(), r.client_id.as_str().into());
    m.insert("orderId".into(), r.order_id.into());
    m.insert("orderListId".into(), (-1).into());
    m.insert("clientOrderId".into(), cancel_id.into());
    m.insert("transactTime".into(), transact_ms.into());
    core_fields(r, &mut m);
    m.insert("selfTradePreventionMode".into(), "NONE".into());
    Value::Object(m)
}

/// One row of `GET /api/v3/myTrades` (`myTrades.json`).
pub fn trade(t: &ExchangeTrade) -> Value {
    json!({
        "symbol": t.symbol.as_str(),
        "id": t.trade_id,
        "orderId": t.order_id,
        "orderListId": -1,
        "price": dec(t.price.get()),
        "qty": dec(t.qty.get()),
        "quoteQty": dec(t.quote_qty.get()),
        "commission": dec(t.commission.get()),
        "commissionAsset": t.commission_asset.as_str(),
        "time": t.time_ms,
        "isBuyer": t.side == crate::core::order::Side::Buy,
        "isMaker": t.is_maker,
        "isBestMatch": true,
    })
}

/// Rate → Binance's integer commission in basis points (`makerCommission: 10` for 0.1 %).
fn bps(rate: Decimal) -> Value {
    let v = (rate * Decimal::from(10_000)).round();
    json!(rust_decimal::prelude::ToPrimitive::to_i64(&v).unwrap_or(0))
}

/// `GET /api/v3/account` (`account.json`).
pub fn account(a: &Account, update_ms: i64) -> Value {
    let balances: Vec<Value> = a
        .balances
        .iter()
        .map(|b| json!({"asset": b.asset.as_str(), "free": dec(b.free.get()), "locked": dec(b.locked.get())}))
        .collect();
    json!({
        "makerCommission": bps(a.maker_rate),
        "takerCommission": bps(a.taker_rate),
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": rates(a),
        "canTrade": a.can_trade,
        "canWithdraw": a.can_withdraw,
        "canDeposit": false,
        "brokered": false,
        "requireSelfTradePrevention": false,
        "preventSor": false,
        "updateTime": update_ms,
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": 1,
    })
}

fn rates(a: &Account) -> Value {
    json!({
        "maker": dec(a.maker_rate),
        "taker": dec(a.taker_rate),
        "buyer": dec(Decimal::ZERO),
        "seller": dec(Decimal::ZERO),
    })
}

/// `GET /api/v3/account/commission` (`account_commission.json`): no special, tax or BNB
/// discount in the simulation.
pub fn commission(symbol: &str, a: &Account) -> Value {
    let zero = json!({"maker": dec(Decimal::ZERO), "taker": dec(Decimal::ZERO), "buyer": dec(Decimal::ZERO), "seller": dec(Decimal::ZERO)});
    json!({
        "symbol": symbol,
        "standardCommission": rates(a),
        "specialCommission": zero.clone(),
        "taxCommission": zero,
        "discount": {
            "enabledForAccount": false,
            "enabledForSymbol": false,
            "discountAsset": "BNB",
            "discount": dec(Decimal::ZERO),
        },
    })
}

/// `POST /api/v3/order/test` with `computeCommissionRates` (`order_test_2.json`): the
/// standard rates; no special or tax commission, no BNB discount in the simulation.
pub fn test_commission(a: &Account) -> Value {
    let zero = json!({"maker": dec(Decimal::ZERO), "taker": dec(Decimal::ZERO)});
    json!({
        "standardCommissionForOrder": {"maker": dec(a.maker_rate), "taker": dec(a.taker_rate)},
        "specialCommissionForOrder": zero.clone(),
        "taxCommissionForOrder": zero,
        "discount": {
            "enabledForAccount": false,
            "enabledForSymbol": false,
            "discountAsset": "BNB",
            "discount": dec(Decimal::ZERO),
        },
    })
}

/// One kline row (`klines.json`); volumes and counts come from the candle tape.
pub fn kline(k: &Kline) -> Value {
    json!([
        k.open_ms,
        dec(k.open),
        dec(k.high),
        dec(k.low),
        dec(k.close),
        dec(k.totals.volume),
        k.close_ms,
        dec(k.totals.quote_volume),
        k.totals.count,
        dec(k.totals.taker_buy_volume),
        dec(k.totals.taker_buy_quote),
        "0",
    ])
}
