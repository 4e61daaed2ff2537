//! Signed (`USER_DATA` / `TRADE`) endpoints: account, commission, orders, cancels,
//! cancel-replace and trades. Parameter rules follow `rest-api.md`; engine rejections pass
//! through with their codes.

use super::fail::Fail;
use super::params::Params;
use super::wire;
use super::Ctx;
use crate::adapters::sim::{CancelReplaceError, OrderRef};
use crate::core::client_id::ClientOrderId;
use crate::core::order::{OrderSpec, OrderType, Side, Slot, TimeInForce};
use crate::core::symbol::Symbol;
use crate::ports::exchange::{codes, ApiError, NewOrder, OrderReport};
use serde_json::{json, Value};

/// `GET /api/v3/account`: every asset of the served symbols (zero balances included, as
/// Binance lists them), or only non-zero ones with `omitZeroBalances=true`.
pub fn account(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let omit = p
        .opt_enum(
            "omitZeroBalances",
            |v| match v {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            (
                codes::ILLEGAL_CHARS,
                "Illegal characters found in parameter 'omitZeroBalances'; legal range is 'true, false'.",
            ),
        )?
        .unwrap_or(false);
    let mut account = ctx.ex.account();
    if !omit {
        for asset in &ctx.ctl.assets {
            if !account.balances.iter().any(|b| &b.asset == asset) {
                account.balances.push(crate::core::fill::Balance {
                    asset: asset.clone(),
                    free: crate::core::money::Amount::ZERO,
                    locked: crate::core::money::Amount::ZERO,
                });
            }
        }
        account.balances.sort_by(|a, b| a.asset.cmp(&b.asset));
    }
    Ok(wire::account(&account, ctx.now_ms))
}

/// `GET /api/v3/rateLimit/order`: the `ORDERS` windows and what they counted.
pub fn rate_limit_order(ctx: &mut Ctx, _p: &Params) -> Result<Value, Fail> {
    Ok(Value::Array(ctx.ctl.limits.order_counts(ctx.now_ms)))
}

/// `GET /api/v3/openOrderList`: order lists (OCO, OTO, …) are not modelled, so there are none.
pub fn no_order_lists(_ctx: &mut Ctx, _p: &Params) -> Result<Value, Fail> {
    Ok(json!([]))
}

/// `GET /api/v3/allOrderList`: none (not modelled); the parameters are still checked.
pub fn all_order_lists(_ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let from_id: Option<u64> = p.opt_int("fromId")?;
    let start: Option<i64> = p.opt_int("startTime")?;
    let end: Option<i64> = p.opt_int("endTime")?;
    let limit: usize = p.opt_int("limit")?.unwrap_or(500);
    if !(1..=1000).contains(&limit) {
        return Err(Fail::illegal("limit", "1-1000"));
    }
    if from_id.is_some() && (start.is_some() || end.is_some()) {
        return Err(Fail::bad(
            -1128,
            "Combination of optional parameters invalid.",
        ));
    }
    check_window(start, end)?;
    Ok(json!([]))
}

/// `POST /api/v3/order/test`: every check of `POST order`, run on a copy of the engine, so
/// nothing is placed. With `computeCommissionRates=true`, the rates the order would pay.
pub fn test_order(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    let compute = p
        .opt_enum(
            "computeCommissionRates",
            |v| match v {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            (
                codes::ILLEGAL_CHARS,
                "Illegal characters found in parameter 'computeCommissionRates'; legal range is 'true, false'.",
            ),
        )?
        .unwrap_or(false);
    let generated = ctx.ctl.next_generated;
    let (order, _) = new_order(ctx, p, &symbol)?;
    // A test order takes no server-made id.
    ctx.ctl.next_generated = generated;
    let mut copy = ctx.ex.clone();
    copy.place(&order, ctx.now_ms)?;
    if !compute {
        return Ok(json!({}));
    }
    Ok(wire::test_commission(&ctx.ex.account()))
}

/// `GET /api/v3/account/commission`.
pub fn commission(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    ctx.ex.last_price(&symbol)?;
    Ok(wire::commission(symbol.as_str(), &ctx.ex.account()))
}

/// `GET /api/v3/openOrders` (one symbol, or all when `symbol` is absent).
pub fn open_orders(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbols = match p.symbol_opt()? {
        Some(s) => vec![s],
        None => ctx.ctl.symbols.clone(),
    };
    let mut rows = Vec::new();
    for s in &symbols {
        rows.extend(ctx.ex.open_orders(s)?.iter().map(wire::order));
        rows.extend(foreign_rows(ctx, s, None, None));
    }
    Ok(Value::Array(rows))
}

/// The test-injected foreign orders of `symbol` created in `[start, end]` (when given).
fn foreign_rows(ctx: &Ctx, symbol: &Symbol, start: Option<i64>, end: Option<i64>) -> Vec<Value> {
    ctx.ctl
        .foreign_orders
        .iter()
        .filter(|row| row.get("symbol").and_then(Value::as_str) == Some(symbol.as_str()))
        .filter(|row| {
            let time = row.get("time").and_then(Value::as_i64);
            time.is_none_or(|t| start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e))
        })
        .cloned()
        .collect()
}

/// `newOrderRespType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RespType {
    Ack,
    Result,
    Full,
}

/// Reads the new-order parameters shared by `POST order` and `cancelReplace`.
fn new_order(ctx: &mut Ctx, p: &Params, symbol: &Symbol) -> Result<(NewOrder, RespType), Fail> {
    let side = p
        .opt_enum(
            "side",
            |v| match v {
                "BUY" => Some(Side::Buy),
                "SELL" => Some(Side::Sell),
                _ => None,
            },
            (-1117, "Invalid side."),
        )?
        .ok_or_else(|| Fail::missing("side"))?;
    let order_type: OrderType = p
        .opt_enum("type", |v| v.parse().ok(), (-1116, "Invalid orderType."))?
        .ok_or_else(|| Fail::missing("type"))?;
    let time_in_force = p.opt_enum(
        "timeInForce",
        |v| match v {
            "GTC" => Some(TimeInForce::Gtc),
            "IOC" => Some(TimeInForce::Ioc),
            "FOK" => Some(TimeInForce::Fok),
            _ => None,
        },
        (-1115, "Invalid timeInForce."),
    )?;
    if p.opt("quoteOrderQty").is_some()
        || p.opt_decimal("icebergQty")?.is_some_and(|q| !q.is_zero())
    {
        return Err(Fail::unsupported());
    }
    let qty = p
        .opt_qty("quantity")?
        .ok_or_else(|| Fail::missing("quantity"))?;
    let client_id = match p.opt_client_id("newClientOrderId")? {
        Some(id) => id,
        None => ctx.ctl.generated_id(),
    };
    let resp = p
        .opt_enum(
            "newOrderRespType",
            |v| match v {
                "ACK" => Some(RespType::Ack),
                "RESULT" => Some(RespType::Result),
                "FULL" => Some(RespType::Full),
                _ => None,
            },
            (-1100, "Illegal characters found in parameter 'newOrderRespType'; legal range is 'ACK, RESULT, FULL'."),
        )?
        .unwrap_or(match order_type {
            OrderType::Market | OrderType::Limit => RespType::Full,
            _ => RespType::Ack,
        });
    let spec = OrderSpec {
        // The exchange never sees slots; a placeholder with the right side.
        slot: match side {
            Side::Buy => Slot::Buy(1),
            Side::Sell => Slot::Exit,
        },
        side,
        order_type,
        price: p.opt_price("price")?,
        qty,
        stop_price: p.opt_price("stopPrice")?,
        trailing_delta: p.opt_int("trailingDelta")?,
        time_in_force,
    };
    let order = NewOrder {
        symbol: symbol.clone(),
        client_id,
        spec,
    };
    Ok((order, resp))
}

fn respond(
    r: &OrderReport,
    resp: RespType,
    now: i64,
    fills: &[crate::ports::exchange::ExchangeTrade],
) -> Value {
    match resp {
        RespType::Ack => wire::ack(r, now),
        RespType::Result => wire::result(r, now),
        RespType::Full => wire::full(r, now, fills),
    }
}

/// `POST /api/v3/order`.
pub fn place(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    let (order, resp) = new_order(ctx, p, &symbol)?;
    let stp = super::stp::mode(p)?;
    let (report, fills) = ctx.ex.place_with_fills(&order, ctx.now_ms)?;
    let mut answer = respond(&report, resp, ctx.now_ms, &fills);
    super::stp::echo(&mut answer, stp);
    Ok(answer)
}

/// `orderId` or `origClientOrderId` (with their `cancel…` names in cancel-replace).
fn order_ref(p: &Params, id: &str, client: &str) -> Result<OrderRef, Fail> {
    if let Some(n) = p.opt_int::<u64>(id)? {
        return Ok(OrderRef::Id(n));
    }
    p.opt_client_id(client)?
        .map(OrderRef::Client)
        .ok_or_else(|| Fail::missing_either(client, id))
}

/// `GET /api/v3/order`. By order id: the engine's answer. By client id: the open order with
/// the id, else the newest closed one (the oldest under the `oldest_namesake` fault), among
/// those the order store shows (all of them, unless the `lookup_lag_ms` fault hides the young
/// ones); none → -2013.
pub fn query(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    let r = order_ref(p, "orderId", "origClientOrderId")?;
    let OrderRef::Client(id) = &r else {
        return Ok(wire::order(&ctx.ex.query(&symbol, &r)?));
    };
    let faults = &ctx.ctl.faults.config;
    let namesakes: Vec<OrderReport> = ctx
        .ex
        .all_orders(&symbol)?
        .into_iter()
        .filter(|o| &o.client_id == id && faults.stored(o.time_ms, ctx.now_ms))
        .collect();
    let closed = if faults.oldest_namesake {
        namesakes.first()
    } else {
        namesakes.last()
    };
    namesakes
        .iter()
        .find(|o| o.status.is_open())
        .or(closed)
        .map(wire::order)
        .ok_or_else(|| crate::adapters::sim::errors::no_such_order().into())
}

/// The cancel's own client id (`newClientOrderId`, or a generated one).
fn cancel_id(ctx: &mut Ctx, p: &Params, name: &str) -> Result<ClientOrderId, Fail> {
    Ok(match p.opt_client_id(name)? {
        Some(id) => id,
        None => ctx.ctl.generated_id(),
    })
}

/// `DELETE /api/v3/order`.
pub fn cancel(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    let r = order_ref(p, "orderId", "origClientOrderId")?;
    let id = cancel_id(ctx, p, "newClientOrderId")?;
    let report = ctx.ex.cancel(&symbol, &r, ctx.now_ms)?;
    Ok(wire::cancel(&report, id.as_str(), ctx.now_ms))
}

/// `DELETE /api/v3/openOrders`: cancels every open order of the symbol; -2011 when none.
pub fn cancel_all(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    let open = ctx.ex.open_orders(&symbol)?;
    if open.is_empty() {
        return Err(crate::adapters::sim::errors::cancel_unknown().into());
    }
    let mut rows = Vec::new();
    for o in open {
        let id = ctx.ctl.generated_id();
        let r = ctx
            .ex
            .cancel(&symbol, &OrderRef::Id(o.order_id), ctx.now_ms)?;
        rows.push(wire::cancel(&r, id.as_str(), ctx.now_ms));
    }
    Ok(Value::Array(rows))
}

fn err_json(e: &ApiError) -> Value {
    json!({"code": e.code, "msg": e.msg})
}

/// `POST /api/v3/order/cancelReplace` (`STOP_ON_FAILURE` only; `ALLOW_FAILURE` is -1020).
/// Failures are HTTP 409 with -2021/-2022 and each half's outcome in `data`.
pub fn cancel_replace(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    match p.req("cancelReplaceMode")? {
        "STOP_ON_FAILURE" => {}
        "ALLOW_FAILURE" => return Err(Fail::unsupported()),
        _ => {
            return Err(Fail::illegal(
                "cancelReplaceMode",
                "STOP_ON_FAILURE, ALLOW_FAILURE",
            ))
        }
    }
    let target = order_ref(p, "cancelOrderId", "cancelOrigClientOrderId")?;
    let cid = cancel_id(ctx, p, "cancelNewClientOrderId")?;
    let (order, resp) = new_order(ctx, p, &symbol)?;
    let now = ctx.now_ms;
    match ctx.ex.cancel_replace(&symbol, &target, &order, now) {
        Ok(done) => {
            let fills = ctx.ex.my_trades(&symbol, None, 1000)?;
            let fills: Vec<_> = fills
                .into_iter()
                .filter(|t| t.order_id == done.new_order.order_id)
                .collect();
            Ok(json!({
                "cancelResult": "SUCCESS",
                "newOrderResult": "SUCCESS",
                "cancelResponse": wire::cancel(&done.cancel, cid.as_str(), now),
                "newOrderResponse": respond(&done.new_order, resp, now, &fills),
            }))
        }
        Err(CancelReplaceError::Rejected(e)) => Err(e.into()),
        Err(CancelReplaceError::Failed(f)) => {
            let (cancel_result, cancel_response) = match &f.cancel {
                Ok(r) => ("SUCCESS", wire::cancel(r, cid.as_str(), now)),
                Err(e) => ("FAILURE", err_json(e)),
            };
            let (new_result, new_response) = match &f.new_order {
                None => ("NOT_ATTEMPTED", Value::Null),
                Some(Ok(r)) => ("SUCCESS", respond(r, resp, now, &[])),
                Some(Err(e)) => ("FAILURE", err_json(e)),
            };
            let mut fail = Fail::from(f.error.clone());
            fail.data = Some(json!({
                "cancelResult": cancel_result,
                "newOrderResult": new_result,
                "cancelResponse": cancel_response,
                "newOrderResponse": new_response,
            }));
            Err(fail)
        }
    }
}

/// `GET /api/v3/myTrades`: `orderId` (with `fromId`), `fromId`, `startTime`/`endTime` (at
/// most 24 h apart), `limit` (default 500, at most 1000); Binance's other combinations are
/// -1128. Without `fromId`, the most recent trades (of the window).
pub fn my_trades(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    let limit: usize = p.opt_int("limit")?.unwrap_or(500);
    if !(1..=1000).contains(&limit) {
        return Err(Fail::illegal("limit", "1-1000"));
    }
    let from_id: Option<u64> = p.opt_int("fromId")?;
    let order_id: Option<u64> = p.opt_int("orderId")?;
    let start: Option<i64> = p.opt_int("startTime")?;
    let end: Option<i64> = p.opt_int("endTime")?;
    let timed = start.is_some() || end.is_some();
    if timed && (from_id.is_some() || order_id.is_some()) {
        return Err(Fail::bad(
            -1128,
            "Combination of optional parameters invalid.",
        ));
    }
    check_window(start, end)?;
    let all = ctx
        .ex
        .my_trades(&symbol, Some(from_id.unwrap_or(0)), usize::MAX)?;
    let picked: Vec<_> = all
        .into_iter()
        .filter(|t| order_id.is_none_or(|id| t.order_id == id))
        .filter(|t| start.is_none_or(|s| t.time_ms >= s) && end.is_none_or(|e| t.time_ms <= e))
        .collect();
    // From an id or a start: the first `limit`; otherwise the most recent `limit`.
    let skip = if from_id.is_some() || start.is_some() {
        0
    } else {
        picked.len().saturating_sub(limit)
    };
    Ok(Value::Array(
        picked
            .iter()
            .skip(skip)
            .take(limit)
            .map(wire::trade)
            .collect(),
    ))
}

/// `startTime`/`endTime` at most 24 hours apart (-1127).
fn check_window(start: Option<i64>, end: Option<i64>) -> Result<(), Fail> {
    if let (Some(s), Some(e)) = (start, end) {
        if e < s || e - s > ALL_ORDERS_WINDOW_MS {
            return Err(Fail::bad(
                codes::BAD_TIME_WINDOW,
                "More than 24 hours between startTime and endTime.",
            ));
        }
    }
    Ok(())
}

/// Longest `startTime`–`endTime` window `allOrders` accepts.
const ALL_ORDERS_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// `GET /api/v3/allOrders`: orders of every status the order store shows (see
/// `lookup_lag_ms`), oldest first. `orderId` → from that id
/// on; `startTime`/`endTime` (at most 24 h apart) → created in that window; neither → the
/// most recent. `limit` defaults to 500, at most 1000.
pub fn all_orders(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    let limit: usize = p.opt_int("limit")?.unwrap_or(500);
    if !(1..=1000).contains(&limit) {
        return Err(Fail::illegal("limit", "1-1000"));
    }
    let from_id: Option<u64> = p.opt_int("orderId")?;
    let start: Option<i64> = p.opt_int("startTime")?;
    let end: Option<i64> = p.opt_int("endTime")?;
    check_window(start, end)?;
    let faults = &ctx.ctl.faults.config;
    let rows: Vec<OrderReport> = ctx
        .ex
        .all_orders(&symbol)?
        .into_iter()
        .filter(|o| faults.stored(o.time_ms, ctx.now_ms))
        .filter(|o| from_id.is_none_or(|id| o.order_id >= id))
        .filter(|o| start.is_none_or(|s| o.time_ms >= s) && end.is_none_or(|e| o.time_ms <= e))
        .collect();
    // From an id or a start: the first `limit`; otherwise the most recent `limit`.
    let skip = if from_id.is_some() || start.is_some() {
        0
    } else {
        rows.len().saturating_sub(limit)
    };
    let mut page: Vec<Value> = rows
        .iter()
        .skip(skip)
        .take(limit)
        .map(wire::order)
        .collect();
    if from_id.is_none() {
        page.extend(foreign_rows(ctx, &symbol, start, end));
    }
    Ok(Value::Array(page))
}
