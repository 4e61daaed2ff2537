//! Stand-in answers outside the spot `/api`: what widely used clients call by default while
//! they load markets (ccxt's `load_markets` asks for the wallet's coins, the margin pairs and
//! the futures and options exchangeInfo; `fetch_trading_fees` and `fetch_status` ask the
//! wallet too). The simulator models a spot account only: the coin
//! list names the served assets with their balances and no networks (no deposits or
//! withdrawals); margin pairs, futures and options are empty lists in Binance's shapes, so a
//! client learns there is nothing to trade there instead of failing on a 404.

use super::fail::Fail;
use super::params::Params;
use super::wire::dec;
use super::Ctx;
use serde_json::{json, Value};

/// `GET /sapi/v1/capital/config/getall`: every asset of the served symbols, with the spot
/// balance as `free`/`locked`; deposits and withdrawals are off and there are no networks.
pub fn coins(ctx: &mut Ctx, _p: &Params) -> Result<Value, Fail> {
    let balances = ctx.ex.balances();
    let coins: Vec<Value> = ctx
        .ctl
        .assets
        .iter()
        .map(|asset| {
            json!({
                "coin": asset.as_str(),
                "depositAllEnable": false,
                "withdrawAllEnable": false,
                "name": asset.as_str(),
                "free": dec(balances.free(asset).get()),
                "locked": dec(balances.locked(asset).get()),
                "freeze": "0",
                "withdrawing": "0",
                "ipoing": "0",
                "ipoable": "0",
                "storage": "0",
                "isLegalMoney": false,
                "trading": true,
                "networkList": [],
            })
        })
        .collect();
    Ok(Value::Array(coins))
}

/// `GET /sapi/v1/asset/tradeFee` (`symbol` optional): the account's maker and taker rates for
/// every exchangeInfo symbol (an unknown `symbol` gives `[]`).
pub fn trade_fees(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let wanted = p.symbol_opt()?;
    let account = ctx.ex.account();
    let fees: Vec<Value> = ctx
        .ctl
        .symbols
        .iter()
        .filter(|s| wanted.as_ref().is_none_or(|w| w == *s))
        .map(|s| {
            json!({
                "symbol": s.as_str(),
                "makerCommission": dec(account.maker_rate),
                "takerCommission": dec(account.taker_rate),
            })
        })
        .collect();
    Ok(Value::Array(fees))
}

/// `GET /sapi/v1/system/status`: the stand-in is never in maintenance while it answers.
pub fn system_status(_ctx: &mut Ctx, _p: &Params) -> Result<Value, Fail> {
    Ok(json!({"status": 0, "msg": "normal"}))
}

/// `GET /sapi/v1/margin/allPairs` and `/sapi/v1/margin/isolated/allPairs`: margin is not
/// modelled, so no symbol is marginable.
pub fn no_pairs(_ctx: &mut Ctx, _p: &Params) -> Result<Value, Fail> {
    Ok(json!([]))
}

/// `GET /fapi/v1/exchangeInfo` (USDⓈ-M futures): no contracts are listed.
pub fn usd_m_futures(ctx: &mut Ctx, _p: &Params) -> Result<Value, Fail> {
    Ok(json!({
        "timezone": "UTC",
        "serverTime": ctx.now_ms,
        "rateLimits": [],
        "exchangeFilters": [],
        "assets": [],
        "symbols": [],
    }))
}

/// `GET /dapi/v1/exchangeInfo` (COIN-M futures): no contracts are listed.
pub fn coin_m_futures(ctx: &mut Ctx, _p: &Params) -> Result<Value, Fail> {
    Ok(json!({
        "timezone": "UTC",
        "serverTime": ctx.now_ms,
        "rateLimits": [],
        "exchangeFilters": [],
        "symbols": [],
    }))
}

/// `GET /eapi/v1/exchangeInfo` (options): no contracts are listed.
pub fn options(ctx: &mut Ctx, _p: &Params) -> Result<Value, Fail> {
    Ok(json!({
        "timezone": "UTC",
        "serverTime": ctx.now_ms,
        "rateLimits": [],
        "optionContracts": [],
        "optionAssets": [],
        "optionSymbols": [],
    }))
}
