//! `GET /api/v3/myFilters` (USER_DATA, weight 40): the filters relevant to the account on a
//! symbol. `exchangeFilters` come from exchangeInfo, `symbolFilters` are the symbol's
//! account-count filters from exchangeInfo (`MAX_NUM_*`, `MAX_POSITION`), `assetFilters` the
//! account's `MAX_ASSET` limits on the symbol's base and quote asset (set by the operator:
//! `POST /sim/max-asset`).

use super::fail::Fail;
use super::params::Params;
use super::wire::dec;
use super::{lock, Ctx, SimServer};
use crate::core::money::Amount;
use crate::core::symbol::Asset;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Symbol filters that count what the account has (the ones myFilters repeats).
const ACCOUNT_FILTERS: [&str; 6] = [
    "MAX_NUM_ORDERS",
    "MAX_NUM_ALGO_ORDERS",
    "MAX_NUM_ICEBERG_ORDERS",
    "MAX_NUM_ORDER_LISTS",
    "MAX_NUM_ORDER_AMENDS",
    "MAX_POSITION",
];

/// `GET /api/v3/myFilters?symbol=`.
pub fn my_filters(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    ctx.ex.last_price(&symbol)?; // -1121 for an unknown symbol
    let info = &ctx.ctl.info;
    let entry = info["symbols"]
        .as_array()
        .and_then(|l| l.iter().find(|s| s["symbol"] == symbol.as_str()));
    let of_type = |f: &&Value| {
        f["filterType"]
            .as_str()
            .is_some_and(|t| ACCOUNT_FILTERS.contains(&t))
    };
    let symbol_filters: Vec<Value> = entry
        .and_then(|e| e["filters"].as_array())
        .map(|l| l.iter().filter(of_type).cloned().collect())
        .unwrap_or_default();
    let (base, quote) = entry
        .map(|e| (e["baseAsset"].as_str(), e["quoteAsset"].as_str()))
        .unwrap_or((None, None));
    let asset_filters: Vec<Value> = ctx
        .ex
        .max_assets()
        .into_iter()
        .filter(|(a, _)| Some(a.as_str()) == base || Some(a.as_str()) == quote)
        .map(
            |(a, l)| json!({"filterType": "MAX_ASSET", "asset": a.as_str(), "limit": dec(l.get())}),
        )
        .collect();
    Ok(json!({
        "exchangeFilters": info.get("exchangeFilters").cloned().unwrap_or(json!([])),
        "symbolFilters": symbol_filters,
        "assetFilters": asset_filters,
    }))
}

impl SimServer {
    /// Sets (or with `None` removes) the account's `MAX_ASSET` limit on `asset`.
    pub fn set_max_asset(&self, asset: Asset, limit: Option<Amount>) {
        lock(&self.exchange).set_max_asset(asset, limit);
    }
}

#[derive(serde::Deserialize)]
pub(super) struct MaxAssetBody {
    asset: Asset,
    limit: Option<Amount>,
}

/// `POST /sim/max-asset` `{"asset","limit"}` (no `limit`: removed). Answers 204.
pub(super) async fn set_max_asset(
    State(s): State<SimServer>,
    Json(b): Json<MaxAssetBody>,
) -> Response {
    s.set_max_asset(b.asset, b.limit);
    StatusCode::NO_CONTENT.into_response()
}
