//! Building requests without I/O: parameters → query string → signature → URL and headers.
//!
//! Every parameter travels in the query string, for every method, with an empty body; so the
//! signed `totalParams` is exactly the query string before `&signature=`. Parameters are
//! percent-encoded as `application/x-www-form-urlencoded` (UTF-8, uppercase hex), then
//! `recvWindow` and `timestamp` are appended, the result is signed, and `signature` comes last
//! (percent-encoded too: an Ed25519 signature is base64 and may contain `+`, `/`, `=`).
//! Signed requests carry the `X-MBX-APIKEY` header.
//!
//! Decimals are sent in canonical form (`0.5`, not `0.50000000`) and never in exponent form.

use super::credentials::Credentials;
use super::endpoints::{Endpoint, Security};
use super::transport::HttpRequest;
use crate::core::client_id::ClientOrderId;
use crate::core::order::{OrderType, TimeInForce};
use crate::ports::exchange::NewOrder;

/// Header carrying the API key.
pub const API_KEY_HEADER: &str = "X-MBX-APIKEY";

/// Request parameters in the order they are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(&'static str, String)>);

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one parameter.
    pub fn push(mut self, name: &'static str, value: impl ToString) -> Self {
        self.0.push((name, value.to_string()));
        self
    }

    /// Appends one parameter when present.
    pub fn push_opt(self, name: &'static str, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.push(name, v),
            None => self,
        }
    }

    /// The parameters.
    pub fn pairs(&self) -> &[(&'static str, String)] {
        &self.0
    }

    /// `name=value&…`, form-urlencoded.
    pub fn encode(&self) -> String {
        // Serialising (&str, String) pairs cannot fail.
        serde_urlencoded::to_string(&self.0).unwrap_or_default()
    }
}

/// What a signed request needs besides its parameters.
#[derive(Debug, Clone, Copy)]
pub struct Signing<'a> {
    /// Key and signer.
    pub credentials: &'a Credentials,
    /// `timestamp`: estimated server time, ms.
    pub timestamp_ms: i64,
    /// `recvWindow`, ms.
    pub recv_window_ms: u64,
}

/// The query string that gets signed: the parameters, then `recvWindow` and `timestamp`.
pub fn signed_payload(params: &Params, timestamp_ms: i64, recv_window_ms: u64) -> String {
    params
        .clone()
        .push("recvWindow", recv_window_ms)
        .push("timestamp", timestamp_ms)
        .encode()
}

/// The full request for `endpoint` under `base_url`. Signed endpoints need `signing`;
/// without it the request goes out unsigned (the server will refuse it).
pub fn build(
    base_url: &str,
    endpoint: &Endpoint,
    params: &Params,
    signing: Option<Signing<'_>>,
) -> HttpRequest {
    let base = base_url.trim_end_matches('/');
    let mut headers = Vec::new();
    let query = match (endpoint.security, signing) {
        (Security::Signed, Some(s)) => {
            let payload = signed_payload(params, s.timestamp_ms, s.recv_window_ms);
            let signature = s.credentials.signer().sign(&payload);
            headers.push((
                API_KEY_HEADER.to_string(),
                s.credentials.api_key().to_string(),
            ));
            let sig = Params::new().push("signature", signature).encode();
            format!("{payload}&{sig}")
        }
        _ => params.encode(),
    };
    let url = if query.is_empty() {
        format!("{base}{}", endpoint.path)
    } else {
        format!("{base}{}?{query}", endpoint.path)
    };
    HttpRequest {
        method: endpoint.method,
        url,
        headers,
    }
}

fn sends_time_in_force(t: OrderType) -> bool {
    matches!(
        t,
        OrderType::Limit | OrderType::StopLossLimit | OrderType::TakeProfitLimit
    )
}

/// The order fields shared by `order` and `order/cancelReplace`: side, type, timeInForce,
/// quantity, price, stopPrice, trailingDelta, newClientOrderId, newOrderRespType=RESULT.
fn order_fields(params: Params, order: &NewOrder) -> Params {
    let spec = &order.spec;
    let tif = match sends_time_in_force(spec.order_type) {
        true => Some(spec.time_in_force.unwrap_or(TimeInForce::Gtc).as_str()),
        false => None,
    };
    let price = match spec.order_type.has_limit_price() {
        true => spec.price.map(|p| p.canonical()),
        false => None,
    };
    params
        .push("side", spec.side.as_str())
        .push("type", spec.order_type.as_str())
        .push_opt("timeInForce", tif)
        .push("quantity", spec.qty.canonical())
        .push_opt("price", price)
        .push_opt("stopPrice", spec.stop_price.map(|p| p.canonical()))
        .push_opt("trailingDelta", spec.trailing_delta)
        .push("newClientOrderId", order.client_id.as_str())
        .push("newOrderRespType", "RESULT")
}

/// Parameters of `POST /api/v3/order`.
pub fn new_order_params(order: &NewOrder) -> Params {
    order_fields(Params::new().push("symbol", order.symbol.as_str()), order)
}

/// What cancelReplace does when the cancel fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReplaceMode {
    /// Do not place the new order if the cancel fails.
    StopOnFailure,
    /// Place the new order even if the cancel fails.
    AllowFailure,
}

impl CancelReplaceMode {
    /// Binance's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            CancelReplaceMode::StopOnFailure => "STOP_ON_FAILURE",
            CancelReplaceMode::AllowFailure => "ALLOW_FAILURE",
        }
    }
}

/// Parameters of `POST /api/v3/order/cancelReplace`: cancel `cancel_id`, place `order`.
pub fn cancel_replace_params(
    cancel_id: &ClientOrderId,
    order: &NewOrder,
    mode: CancelReplaceMode,
) -> Params {
    let params = Params::new()
        .push("symbol", order.symbol.as_str())
        .push("cancelReplaceMode", mode.as_str())
        .push("cancelOrigClientOrderId", cancel_id.as_str());
    order_fields(params, order)
}

#[cfg(test)]
mod tests;
