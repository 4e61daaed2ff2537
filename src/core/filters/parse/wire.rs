//! Wire structs for `exchangeInfo`: they mirror Binance's field names and keep every number as
//! its exact JSON text. Section names refer to binance-spot-api-docs `rest-api.md` and
//! `filters.md`.

use crate::core::filters::SymbolStatus;
use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::str::FromStr;

/// A JSON number or numeric string, kept as its exact text until converted.
#[derive(Debug)]
pub(super) struct Num(pub(super) String);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        let text = raw.get();
        if text.starts_with('"') {
            serde_json::from_str::<String>(text)
                .map(Num)
                .map_err(D::Error::custom)
        } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            Ok(Num(text.to_string()))
        } else {
            Err(D::Error::custom(format!(
                "expected a number or a numeric string, got {text}"
            )))
        }
    }
}

impl Num {
    /// An exact decimal that must not be negative.
    pub(super) fn dec(&self, name: &str) -> Result<Decimal, String> {
        let text = self.0.trim();
        let value = Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .map_err(|_| format!("{name} `{}` is not a decimal number", self.0))?;
        if value.is_sign_negative() && !value.is_zero() {
            return Err(format!("{name} `{}` must not be negative", self.0));
        }
        Ok(value)
    }

    /// An integer of type `T` (counts, BIPS, milliseconds).
    pub(super) fn int<T: FromStr>(&self, name: &str) -> Result<T, String> {
        self.0
            .trim()
            .parse()
            .map_err(|_| format!("{name} `{}` is not a valid integer here", self.0))
    }
}

/// Mirrors the response of `GET /api/v3/exchangeInfo` (rest-api.md, "Exchange information").
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExchangeInfoWire {
    pub(super) server_time: Num,
    #[serde(default)]
    pub(super) rate_limits: Vec<RateLimitWire>,
    pub(super) symbols: Vec<SymbolWire>,
}

/// Mirrors one `rateLimits` entry (rest-api.md, "ENUM definitions", "Rate limiters").
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RateLimitWire {
    pub(super) rate_limit_type: Option<String>,
    pub(super) interval: Option<String>,
    pub(super) interval_num: Option<Num>,
    pub(super) limit: Option<Num>,
}

/// Mirrors one `symbols` entry (rest-api.md, "Exchange information"); filters stay raw until
/// their `filterType` is known.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SymbolWire {
    pub(super) symbol: String,
    pub(super) status: SymbolStatus,
    pub(super) base_asset: String,
    pub(super) quote_asset: String,
    #[serde(default)]
    pub(super) order_types: Vec<String>,
    #[serde(default)]
    pub(super) allow_trailing_stop: bool,
    #[serde(default)]
    pub(super) cancel_replace_allowed: bool,
    #[serde(default)]
    pub(super) amend_allowed: bool,
    #[serde(default)]
    pub(super) filters: Vec<Box<RawValue>>,
}

/// The tag every filter object carries (filters.md).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FilterTag {
    pub(super) filter_type: String,
}

/// filters.md, "PRICE_FILTER".
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PriceFilterWire {
    pub(super) min_price: Num,
    pub(super) max_price: Num,
    pub(super) tick_size: Num,
}

/// filters.md, "LOT_SIZE" and "MARKET_LOT_SIZE".
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LotSizeWire {
    pub(super) min_qty: Num,
    pub(super) max_qty: Num,
    pub(super) step_size: Num,
}

/// filters.md, "MIN_NOTIONAL".
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MinNotionalWire {
    pub(super) min_notional: Num,
    pub(super) apply_to_market: bool,
}

/// filters.md, "NOTIONAL".
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct NotionalWire {
    pub(super) min_notional: Num,
    pub(super) apply_min_to_market: bool,
    pub(super) max_notional: Num,
    pub(super) apply_max_to_market: bool,
}

/// filters.md, "PERCENT_PRICE".
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PercentPriceWire {
    pub(super) multiplier_up: Num,
    pub(super) multiplier_down: Num,
}

/// filters.md, "PERCENT_PRICE_BY_SIDE".
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PercentPriceBySideWire {
    pub(super) bid_multiplier_up: Num,
    pub(super) bid_multiplier_down: Num,
    pub(super) ask_multiplier_up: Num,
    pub(super) ask_multiplier_down: Num,
}

/// filters.md, "MAX_NUM_ORDERS".
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MaxNumOrdersWire {
    pub(super) max_num_orders: Num,
}

/// filters.md, "MAX_NUM_ALGO_ORDERS".
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MaxNumAlgoOrdersWire {
    pub(super) max_num_algo_orders: Num,
}

/// filters.md, "TRAILING_DELTA".
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrailingDeltaWire {
    pub(super) min_trailing_above_delta: Num,
    pub(super) max_trailing_above_delta: Num,
    pub(super) min_trailing_below_delta: Num,
    pub(super) max_trailing_below_delta: Num,
}
