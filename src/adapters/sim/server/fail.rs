//! A failed request: HTTP status plus Binance's `{"code":…,"msg":"…"}` body (and `data` for
//! cancel-replace failures, `Retry-After` for 429/418).

use crate::ports::exchange::{codes, ApiError};
use axum::http::StatusCode;
use serde_json::{json, Value};

/// One error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Fail {
    /// HTTP status (400 unless the code says otherwise).
    pub status: StatusCode,
    /// Binance error code.
    pub code: i32,
    /// Binance message.
    pub msg: String,
    /// `data` of a -2021/-2022 answer.
    pub data: Option<Value>,
    /// Seconds for the `Retry-After` header (429, 418).
    pub retry_after_secs: Option<u64>,
}

impl Fail {
    /// A 400 with `code` and `msg`.
    pub fn bad(code: i32, msg: impl Into<String>) -> Self {
        Self::with_status(StatusCode::BAD_REQUEST, code, msg)
    }

    /// Any status with `code` and `msg`.
    pub fn with_status(status: StatusCode, code: i32, msg: impl Into<String>) -> Self {
        Self {
            status,
            code,
            msg: msg.into(),
            data: None,
            retry_after_secs: None,
        }
    }

    /// -1102 for one missing mandatory parameter.
    pub fn missing(name: &str) -> Self {
        Self::bad(
            codes::MANDATORY_PARAM_EMPTY_OR_MALFORMED,
            format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
        )
    }

    /// -1102 when neither of two alternatives was sent.
    pub fn missing_either(a: &str, b: &str) -> Self {
        Self::bad(
            codes::MANDATORY_PARAM_EMPTY_OR_MALFORMED,
            format!("Param '{a}' or '{b}' must be sent, but both were empty/null!"),
        )
    }

    /// -1100 for a value outside its legal range.
    pub fn illegal(name: &str, range: &str) -> Self {
        Self::bad(
            codes::ILLEGAL_CHARS,
            format!("Illegal characters found in parameter '{name}'; legal range is '{range}'."),
        )
    }

    /// -1020 for a feature the simulated exchange does not model.
    pub fn unsupported() -> Self {
        Self::bad(-1020, "This operation is not supported.")
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        match &self.data {
            Some(d) => json!({"code": self.code, "msg": self.msg, "data": d}),
            None => json!({"code": self.code, "msg": self.msg}),
        }
    }
}

/// The HTTP status Binance uses for an engine rejection code.
pub fn status_of(code: i32) -> StatusCode {
    match code {
        codes::BAD_API_KEY_FMT | codes::REJECTED_MBX_KEY => StatusCode::UNAUTHORIZED,
        codes::CANCEL_REPLACE_PARTIAL | codes::CANCEL_REPLACE_FAILED => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    }
}

impl From<ApiError> for Fail {
    fn from(e: ApiError) -> Self {
        Self::with_status(status_of(e.code), e.code, e.msg)
    }
}
