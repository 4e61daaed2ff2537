//! What a failed request means: HTTP status + headers + body → [`ExchangeError`], and why an
//! order was refused ([`RejectReason`]).
//!
//! Classification (first match wins):
//!
//! | condition                                                    | result                   |
//! |--------------------------------------------------------------|--------------------------|
//! | connect failed, nothing sent                                 | `Transport`              |
//! | timeout / connection dropped after sending                   | `Unknown`                |
//! | HTTP 418, or -1003 "… IP banned until `<ms>`"                | `RateLimited{banned}`    |
//! | HTTP 429, -1003, -1015                                       | `RateLimited`            |
//! | -1021                                                        | `ClockSkew`              |
//! | -1000, -1001, -1006, -1007, -1008                            | `Unknown`                |
//! | HTTP 5xx (any body)                                          | `Unknown`                |
//! | other code in a 4xx body                                     | `Rejected`               |
//! | 403 without a Binance body (Binance's WAF refused it)        | `Rejected` with code 0   |
//! | other 4xx without a Binance body (408, 499 from a proxy)     | `Unknown`                |
//!
//! -1000/-1001/-1008 are not documented as "status unknown", but nothing guarantees they were
//! not processed: treating them as unknown costs one query, the opposite could cost a duplicate
//! order. Likewise a 4xx that is not Binance's `{code,msg}` came from something in between (a
//! proxy or load balancer timing out, 408/499): it says nothing about whether Binance got the
//! request. Only 403 is documented as a refusal before the API (the WAF limit).
//! `Retry-After` is in seconds; without it a 429 waits [`DEFAULT_RETRY_AFTER_MS`] and a 418
//! starts at [`MIN_BAN_MS`] (the limiter escalates repeated ones, see [`ban_length_ms`]).

use super::transport::{HttpResponse, TransportError};
use super::wire::ErrorBody;
use crate::ports::exchange::{codes, ApiError, ExchangeError};

/// How long to stay quiet after a 429 that carries no `Retry-After`.
pub const DEFAULT_RETRY_AFTER_MS: u64 = 60_000;
/// The shortest IP ban Binance documents (418): 2 minutes.
pub const MIN_BAN_MS: u64 = 2 * 60_000;
/// The longest IP ban Binance documents, for repeat offenders: 3 days.
pub const MAX_BAN_MS: u64 = 3 * 24 * 60 * 60_000;
/// HTTP status of Binance's WAF refusing a request before the API sees it.
const WAF_REFUSED: u16 = 403;
/// How long to wait after -1015 (order rate) without `Retry-After`: one ORDERS window.
pub const DEFAULT_ORDER_RATE_WAIT_MS: u64 = 10_000;

/// Codes whose execution status is unknown (see the module doc).
pub const UNKNOWN_OUTCOME_CODES: [i32; 5] = [
    codes::UNKNOWN,
    -1001,
    codes::UNEXPECTED_RESP,
    codes::TIMEOUT,
    -1008,
];

/// A transport failure → port error: only "nothing was sent" is safe to retry blindly.
pub fn from_transport(e: &TransportError) -> ExchangeError {
    match e {
        TransportError::NotSent(m) => ExchangeError::Transport(m.clone()),
        TransportError::MaybeSent(m) => ExchangeError::Unknown(format!("no response: {m}")),
    }
}

/// Reads Binance's `{code,msg}` body, if it is one.
pub fn api_error(body: &str) -> Option<ApiError> {
    serde_json::from_str::<ErrorBody>(body)
        .ok()
        .map(|b| ApiError {
            code: b.code,
            msg: b.msg,
        })
}

/// `Retry-After` in milliseconds (the header is in seconds).
pub fn retry_after_ms(resp: &HttpResponse) -> Option<u64> {
    resp.header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| s.saturating_mul(1000))
}

/// The `<ms>` of "… IP banned until `<ms>`." in a -1003 message.
pub fn banned_until_ms(msg: &str) -> Option<i64> {
    let rest = &msg[msg.find("banned until")? + "banned until".len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// Whether the response is an IP ban: HTTP 418, or -1003 "… banned until `<ms>`".
pub fn is_ban(resp: &HttpResponse) -> bool {
    resp.status == 418 || ban_until_in_body(resp).is_some()
}

fn ban_until_in_body(resp: &HttpResponse) -> Option<i64> {
    api_error(&resp.body)
        .filter(|a| a.code == codes::TOO_MANY_REQUESTS)
        .and_then(|a| banned_until_ms(&a.msg))
}

/// How long a ban lasts when the response says so (`Retry-After`, or "banned until" in the
/// body: the longer of the two). `None`: the caller must assume a documented length.
pub fn ban_length_ms(resp: &HttpResponse, now_ms: i64) -> Option<u64> {
    let from_body =
        ban_until_in_body(resp).map(|t| u64::try_from(t.saturating_sub(now_ms)).unwrap_or(0));
    retry_after_ms(resp).into_iter().chain(from_body).max()
}

/// Classifies a non-2xx response. `now_ms` turns a "banned until" instant into a duration. A
/// ban of unstated length is reported as [`MIN_BAN_MS`]; the stateful caller escalates.
pub fn classify(resp: &HttpResponse, now_ms: i64) -> ExchangeError {
    let api = api_error(&resp.body);
    let retry_after = retry_after_ms(resp);
    let code = api.as_ref().map(|a| a.code);

    if is_ban(resp) {
        return ExchangeError::RateLimited {
            retry_after_ms: ban_length_ms(resp, now_ms).unwrap_or(MIN_BAN_MS),
            banned: true,
        };
    }
    if code == Some(codes::TOO_MANY_ORDERS) {
        return ExchangeError::RateLimited {
            retry_after_ms: retry_after.unwrap_or(DEFAULT_ORDER_RATE_WAIT_MS),
            banned: false,
        };
    }
    if resp.status == 429 || code == Some(codes::TOO_MANY_REQUESTS) {
        return ExchangeError::RateLimited {
            retry_after_ms: retry_after.unwrap_or(DEFAULT_RETRY_AFTER_MS),
            banned: false,
        };
    }
    match api {
        Some(a) if a.code == codes::INVALID_TIMESTAMP => ExchangeError::ClockSkew(a),
        Some(a) if UNKNOWN_OUTCOME_CODES.contains(&a.code) => {
            ExchangeError::Unknown(format!("HTTP {}: {a}", resp.status))
        }
        _ if resp.status >= 500 => {
            ExchangeError::Unknown(format!("HTTP {}: {}", resp.status, snippet(&resp.body)))
        }
        Some(a) => ExchangeError::Rejected(a),
        None if resp.status == WAF_REFUSED => ExchangeError::Rejected(ApiError {
            code: 0,
            msg: format!("HTTP {}: {}", resp.status, snippet(&resp.body)),
        }),
        // Not Binance's answer: a proxy in between gave up; the request may have gone through.
        None => ExchangeError::Unknown(format!(
            "HTTP {} without a Binance error body: {}",
            resp.status,
            snippet(&resp.body)
        )),
    }
}

/// The first 200 characters of a body, for error texts.
fn snippet(body: &str) -> String {
    body.chars().take(200).collect()
}

/// Why Binance refused an order or a cancel, read from the code and message (`errors.md`,
/// "Messages for -1010, -2010, -2011, -2038" and "Filter failures").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectReason {
    /// "Account has insufficient balance for requested action."
    InsufficientBalance,
    /// "Order would immediately match and take." (LIMIT_MAKER would cross).
    WouldTake,
    /// "Duplicate order sent.": an open order already has this client id — it exists.
    DuplicateOrder,
    /// "Order would trigger immediately." (stop price on the wrong side of the last price).
    StopWouldTrigger,
    /// "Filter failure: NAME".
    Filter(String),
    /// "Unknown order sent." or -2013 "Order does not exist."
    UnknownOrder,
    /// "Market is closed." — the symbol is not trading.
    MarketClosed,
    /// The order type, combination or feature is not enabled on the symbol.
    NotSupported,
    /// "Order was not canceled due to cancel restrictions."
    CancelRestricted,
    /// Trading disabled on the account or the API, or symbol not permitted.
    NotPermitted,
    /// -2026: the order is archived (zero-fill, older than 90 days).
    Archived,
    /// Anything else (bad parameter, precision, …).
    Other,
}

/// Classifies a refusal.
pub fn reject_reason(e: &ApiError) -> RejectReason {
    let m = e.msg.as_str();
    if e.code == codes::NO_SUCH_ORDER {
        return RejectReason::UnknownOrder;
    }
    if e.code == -2026 {
        return RejectReason::Archived;
    }
    if let Some(name) = e.filter_failure() {
        return RejectReason::Filter(name.to_string());
    }
    let has = |s: &str| m.contains(s);
    if has("insufficient balance") {
        RejectReason::InsufficientBalance
    } else if has("would immediately match and take") {
        RejectReason::WouldTake
    } else if has("Duplicate order sent") {
        RejectReason::DuplicateOrder
    } else if has("would trigger immediately") {
        RejectReason::StopWouldTrigger
    } else if has("Unknown order sent") {
        RejectReason::UnknownOrder
    } else if has("Market is closed") {
        RejectReason::MarketClosed
    } else if has("cancel restrictions") {
        RejectReason::CancelRestricted
    } else if has("not supported")
        || has("not support ")
        || has("Unsupported order combination")
        || has("may not use pegged")
        || has("cannot be used with this order type")
    {
        RejectReason::NotSupported
    } else if has("disabled on this account")
        || has("may not place or cancel")
        || has("not permitted")
        || has("restricted for this account")
        || has("trading is not enabled")
    {
        RejectReason::NotPermitted
    } else {
        RejectReason::Other
    }
}

#[cfg(test)]
mod tests;
