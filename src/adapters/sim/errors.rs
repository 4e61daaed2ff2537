//! Binance's rejections, with the exact codes and texts of `errors.md`
//! (`tests/fixtures/binance-docs/errors.json`), so a server in front of the simulated exchange
//! can pass them through unchanged.

use crate::core::filters::FilterViolation;
use crate::core::order::OrderType;
use crate::ports::exchange::{codes, ApiError};

fn err(code: i32, msg: impl Into<String>) -> ApiError {
    ApiError {
        code,
        msg: msg.into(),
    }
}

/// -1121 "Invalid symbol."
pub fn bad_symbol() -> ApiError {
    err(codes::BAD_SYMBOL, "Invalid symbol.")
}

/// -1102 for one missing mandatory parameter.
pub fn missing_param(name: &str) -> ApiError {
    err(
        codes::MANDATORY_PARAM_EMPTY_OR_MALFORMED,
        format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
    )
}

/// -1102 when neither of two alternative parameters was sent.
pub fn missing_either(a: &str, b: &str) -> ApiError {
    err(
        codes::MANDATORY_PARAM_EMPTY_OR_MALFORMED,
        format!("Param '{a}' or '{b}' must be sent, but both were empty/null!"),
    )
}

/// -1106 for a parameter the order type does not take.
pub fn param_not_required(name: &str) -> ApiError {
    err(-1106, format!("Parameter '{name}' sent when not required."))
}

/// -1013 "Filter failure: NAME".
pub fn filter_failure(v: &FilterViolation) -> ApiError {
    match v.filter_name() {
        Some(name) => err(codes::FILTER_FAILURE, format!("Filter failure: {name}")),
        // `check` only reports Malformed for missing fields, which `place` validates first.
        None => err(
            codes::MANDATORY_PARAM_EMPTY_OR_MALFORMED,
            "A mandatory parameter was not sent, was empty/null, or malformed.",
        ),
    }
}

/// -1013 for a count filter by name (`MAX_NUM_ORDERS`, `MAX_NUM_ALGO_ORDERS`).
pub fn filter_failure_named(name: &str) -> ApiError {
    err(codes::FILTER_FAILURE, format!("Filter failure: {name}"))
}

fn rejected(msg: &str) -> ApiError {
    err(codes::NEW_ORDER_REJECTED, msg)
}

/// -2010 "Market is closed." (symbol not `TRADING`).
pub fn market_closed() -> ApiError {
    rejected("Market is closed.")
}

/// -2010 "Duplicate order sent." (client id of an open order).
pub fn duplicate_order() -> ApiError {
    rejected("Duplicate order sent.")
}

/// -2010 "Account has insufficient balance for requested action."
pub fn insufficient_balance() -> ApiError {
    rejected("Account has insufficient balance for requested action.")
}

/// -2010 "Order would immediately match and take." (`LIMIT_MAKER` that crosses).
pub fn would_take() -> ApiError {
    rejected("Order would immediately match and take.")
}

/// -2010 "Order would trigger immediately." (stop condition already true).
pub fn would_trigger() -> ApiError {
    rejected("Order would trigger immediately.")
}

/// -2010 "Trailing stop orders are not supported for this symbol."
pub fn trailing_not_supported() -> ApiError {
    rejected("Trailing stop orders are not supported for this symbol.")
}

/// -2010 "Order cancel-replace is not supported for this symbol."
pub fn cancel_replace_not_supported() -> ApiError {
    rejected("Order cancel-replace is not supported for this symbol.")
}

/// -2010 when the market cannot serve a market order at all (no price known yet).
pub fn no_liquidity() -> ApiError {
    rejected("Order book liquidity is less than `LOT_SIZE` filter minimum quantity.")
}

/// -2010 for an order type the symbol does not list in `orderTypes`.
pub fn type_not_supported(t: OrderType) -> ApiError {
    rejected(match t {
        OrderType::Market => "Market orders are not supported for this symbol.",
        OrderType::StopLoss => "Stop loss orders are not supported for this symbol.",
        OrderType::StopLossLimit => "Stop loss limit orders are not supported for this symbol.",
        OrderType::TakeProfit => "Take profit orders are not supported for this symbol.",
        OrderType::TakeProfitLimit => "Take profit limit orders are not supported for this symbol.",
        OrderType::Limit | OrderType::LimitMaker => "Unsupported order combination",
    })
}

/// -2011 "Unknown order sent." (cancel of an order that is not open).
pub fn cancel_unknown() -> ApiError {
    err(codes::CANCEL_REJECTED, "Unknown order sent.")
}

/// -2013 "Order does not exist." (query of an order never placed).
pub fn no_such_order() -> ApiError {
    err(codes::NO_SUCH_ORDER, "Order does not exist.")
}

/// -2021 "Order cancel-replace partially failed."
pub fn cancel_replace_partial() -> ApiError {
    err(
        codes::CANCEL_REPLACE_PARTIAL,
        "Order cancel-replace partially failed.",
    )
}

/// -2022 "Order cancel-replace failed."
pub fn cancel_replace_failed() -> ApiError {
    err(codes::CANCEL_REPLACE_FAILED, "Order cancel-replace failed.")
}
