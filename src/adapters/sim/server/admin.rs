//! Operator changes over the admin API (loopback, no auth): `POST /sim/symbol-status`
//! (`{"symbol","status"}`, e.g. `CANCEL_ONLY`) and `POST /sim/execution-rule`
//! (`{"symbol","referencePrice","multDown","multUp"}`, or without `referencePrice` to clear
//! the Price Range Execution Rule). `exchangeInfo` shows the new status at once.

use super::{lock, SimServer};
use crate::adapters::sim::{OrderRef, PriceRange};
use crate::core::filters::SymbolStatus;
use crate::core::money::Price;
use crate::core::order::ExpiryReason;
use crate::core::symbol::Symbol;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde_json::Value;

impl SimServer {
    /// Puts `symbol` in `status` (engine and served exchangeInfo).
    pub fn set_symbol_status(&self, symbol: &Symbol, status: SymbolStatus) -> Result<(), String> {
        let mut ctl = lock(&self.control);
        let mut ex = lock(&self.exchange);
        ex.set_symbol_status(symbol, status).map_err(|e| e.msg)?;
        let text = serde_json::to_value(status).map_err(|e| e.to_string())?;
        if let Some(Value::Array(list)) = ctl.info.get_mut("symbols") {
            for s in list {
                if s.get("symbol").and_then(Value::as_str) == Some(symbol.as_str()) {
                    s["status"] = text.clone();
                }
            }
        }
        Ok(())
    }

    /// The exchange expires one open order of `symbol` with `reason`, at server time.
    pub fn expire_order(
        &self,
        symbol: &Symbol,
        order_id: u64,
        reason: Option<ExpiryReason>,
    ) -> Result<(), String> {
        let ctl = lock(&self.control);
        let now = ctl.now_ms();
        lock(&self.exchange)
            .expire_open(symbol, &OrderRef::Id(order_id), reason, now)
            .map(|_| ())
            .map_err(|e| e.msg)
    }

    /// Sets or clears the Price Range Execution Rule of `symbol`.
    pub fn set_price_range(&self, symbol: &Symbol, rule: Option<PriceRange>) -> Result<(), String> {
        lock(&self.exchange)
            .set_price_range(symbol, rule)
            .map_err(|e| e.msg)
    }
}

#[derive(serde::Deserialize)]
pub(super) struct StatusBody {
    symbol: String,
    status: SymbolStatus,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RuleBody {
    symbol: String,
    reference_price: Option<Price>,
    mult_down: Option<Decimal>,
    mult_up: Option<Decimal>,
}

fn answer(result: Result<(), String>) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

fn symbol(name: &str) -> Result<Symbol, String> {
    Symbol::parse(name).map_err(|e| e.to_string())
}

pub(super) async fn symbol_status(
    State(s): State<SimServer>,
    Json(b): Json<StatusBody>,
) -> Response {
    answer(symbol(&b.symbol).and_then(|sym| s.set_symbol_status(&sym, b.status)))
}

pub(super) async fn execution_rule(
    State(s): State<SimServer>,
    Json(b): Json<RuleBody>,
) -> Response {
    let rule = b.reference_price.map(|reference| PriceRange {
        reference,
        mult_down: b.mult_down.unwrap_or(Decimal::ZERO),
        mult_up: b.mult_up.unwrap_or(Decimal::MAX),
    });
    answer(symbol(&b.symbol).and_then(|sym| s.set_price_range(&sym, rule)))
}

/// `POST /sim/deposit` body.
#[derive(serde::Deserialize)]
pub struct DepositBody {
    asset: String,
    amount: String,
}

/// `POST /sim/deposit` `{"asset","amount"}`: credits a deposit (`balanceUpdate` on the User
/// Data Stream). Answers 204, or 400 naming the bad field.
pub async fn deposit(State(s): State<SimServer>, Json(b): Json<DepositBody>) -> Response {
    let asset = match crate::core::symbol::Asset::parse(&b.asset) {
        Ok(a) => a,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("asset: {e}")).into_response(),
    };
    let amount = match crate::core::money::Amount::parse(&b.amount) {
        Ok(a) => a,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("amount: {e}")).into_response(),
    };
    s.deposit(&asset, amount);
    StatusCode::NO_CONTENT.into_response()
}
