//! `PUT /api/v3/order/amend/keepPriority` (TRADE, weight 4, no ORDERS count): reduce an open
//! order's quantity in place (`sim/amend.rs` has the rules). `amendAllowed` and
//! `MAX_NUM_ORDER_AMENDS` come from the served exchangeInfo. The answer is
//! `{"transactTime","executionId","amendedOrder":{…}}` as in `rest-api.md`.

use super::fail::Fail;
use super::params::Params;
use super::wire::dec;
use super::Ctx;
use crate::adapters::sim::{AmendRules, OrderRef};
use crate::core::symbol::Symbol;
use serde_json::{json, Value};

/// `amendAllowed` and `MAX_NUM_ORDER_AMENDS` of `symbol` in exchangeInfo.
fn amend_rules(info: &Value, symbol: &Symbol) -> AmendRules {
    let entry = info["symbols"]
        .as_array()
        .and_then(|l| l.iter().find(|s| s["symbol"] == symbol.as_str()));
    let Some(e) = entry else {
        return AmendRules::default();
    };
    let max_amends = e["filters"].as_array().and_then(|fs| {
        fs.iter()
            .find(|f| f["filterType"] == "MAX_NUM_ORDER_AMENDS")
            .and_then(|f| f["maxNumOrderAmends"].as_u64())
            .and_then(|n| u32::try_from(n).ok())
    });
    AmendRules {
        allowed: e["amendAllowed"].as_bool().unwrap_or(false),
        max_amends,
    }
}

/// `PUT /api/v3/order/amend/keepPriority`.
pub fn amend(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    let r = match p.opt_int::<u64>("orderId")? {
        Some(id) => OrderRef::Id(id),
        None => p
            .opt_client_id("origClientOrderId")?
            .map(OrderRef::Client)
            .ok_or_else(|| Fail::missing_either("origClientOrderId", "orderId"))?,
    };
    let new_qty = p
        .opt_qty("newQty")?
        .ok_or_else(|| Fail::missing("newQty"))?;
    let new_id = match p.opt_client_id("newClientOrderId")? {
        Some(id) => id,
        None => ctx.ctl.generated_id(),
    };
    let rules = amend_rules(&ctx.ctl.info, &symbol);
    let orig = ctx.ex.query(&symbol, &r).ok().map(|o| o.client_id);
    let o = ctx
        .ex
        .amend_keep_priority(&symbol, &r, new_qty, new_id, rules, ctx.now_ms)?;
    // An amend is the order's replacement too (the latency benchmark's accept log).
    if let Some(log) = &mut ctx.ctl.accepts {
        log.push(std::time::Instant::now());
    }
    let tif = o.spec.time_in_force.map_or("GTC", |t| t.as_str());
    Ok(json!({
        "transactTime": ctx.now_ms,
        "executionId": o.order_id,
        "amendedOrder": {
            "symbol": o.symbol.as_str(),
            "orderId": o.order_id,
            "orderListId": -1,
            "origClientOrderId": orig.as_ref().map_or("", |c| c.as_str()),
            "clientOrderId": o.client_id.as_str(),
            "price": dec(o.spec.price.map_or(rust_decimal::Decimal::ZERO, |p| p.get())),
            "qty": dec(o.spec.qty.get()),
            "executedQty": dec(o.executed_qty.get()),
            "preventedQty": dec(rust_decimal::Decimal::ZERO),
            "quoteOrderQty": dec(rust_decimal::Decimal::ZERO),
            "cumulativeQuoteQty": dec(o.cumulative_quote.get()),
            "status": o.status.as_str(),
            "timeInForce": tif,
            "type": o.spec.order_type.as_str(),
            "side": o.side.as_str(),
            "workingTime": o.time_ms,
            "selfTradePreventionMode": "NONE",
        }
    }))
}
