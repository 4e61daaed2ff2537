//! Parsing Binance's `GET /api/v3/exchangeInfo` JSON into [`ExchangeInfo`] and [`SymbolRules`].
//!
//! Entry points: [`exchange_info`] (the whole document: server time, rate limits, every
//! symbol) and [`symbol_rules`] (one symbol; other symbols in the document are not converted,
//! so one odd symbol elsewhere cannot block the one we trade).
//!
//! Rules:
//! - Wire structs mirror Binance's names and keep numbers as their JSON text; conversion to
//!   domain types happens here, in one place. Numbers may arrive as JSON numbers or as strings
//!   (`"limit": "10"` in ccxt's copy); both parse exactly (no float ever touches them: JSON
//!   numbers are read as raw text).
//! - Filter types the bot does not enforce (`ICEBERG_PARTS`, `MAX_POSITION`, new ones Binance
//!   adds) are ignored. A symbol without `PRICE_FILTER` or `LOT_SIZE` is an error naming the
//!   symbol and the filter; so is a filter listed twice or a negative filter value.
//! - `PERCENT_PRICE_BY_SIDE` wins over `PERCENT_PRICE` (mapped onto both sides); `NOTIONAL`
//!   wins over `MIN_NOTIONAL` when a symbol lists both (Binance replaced the latter in 2023).
//! - `rateLimits`: an empty object (the placeholder in Binance's docs) and unknown
//!   `rateLimitType`s are skipped; a known type with a missing or unknown field is an error,
//!   since the request budget is built from these numbers.

use super::{
    LotSize, NotionalFilter, NotionalKind, PercentPriceBySide, PriceFilter, SymbolFilters,
    SymbolRules, TrailingDeltaFilter,
};
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::OrderType;
use crate::core::symbol::{Asset, Symbol};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::str::FromStr;
use wire::{
    ExchangeInfoWire, FilterTag, LotSizeWire, MaxNumAlgoOrdersWire, MaxNumOrdersWire,
    MinNotionalWire, NotionalWire, Num, PercentPriceBySideWire, PercentPriceWire, PriceFilterWire,
    RateLimitWire, SymbolWire, TrailingDeltaWire,
};

mod wire;

/// The parts of `exchangeInfo` the bot uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeInfo {
    /// `serverTime`, Unix ms.
    pub server_time_ms: i64,
    /// The live request/order limits.
    pub rate_limits: Vec<RateLimit>,
    /// Every symbol's rules, by name.
    pub symbols: BTreeMap<Symbol, SymbolRules>,
}

/// One entry of `rateLimits`: at most `limit` units per `interval_num` × `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// What is counted.
    pub kind: RateLimitType,
    /// Window unit.
    pub interval: RateLimitInterval,
    /// Window length in units of `interval`.
    pub interval_num: u32,
    /// Allowed units per window.
    pub limit: u64,
}

impl RateLimit {
    /// The window length in seconds.
    pub fn window_secs(&self) -> u64 {
        self.interval.secs() * u64::from(self.interval_num)
    }
}

/// `rateLimitType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RateLimitType {
    /// `REQUEST_WEIGHT`: summed request weights per IP.
    RequestWeight,
    /// `ORDERS`: new orders per account.
    Orders,
    /// `RAW_REQUESTS`: request count per IP.
    RawRequests,
}

/// `interval` of a rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RateLimitInterval {
    /// `SECOND`.
    Second,
    /// `MINUTE`.
    Minute,
    /// `DAY`.
    Day,
}

impl RateLimitInterval {
    /// Length of one unit in seconds.
    pub fn secs(self) -> u64 {
        match self {
            RateLimitInterval::Second => 1,
            RateLimitInterval::Minute => 60,
            RateLimitInterval::Day => 86_400,
        }
    }
}

/// Why an `exchangeInfo` document could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeInfoError {
    /// Not JSON, or not the shape of `exchangeInfo`.
    #[error("exchangeInfo: {0}")]
    Json(String),
    /// A required filter is absent.
    #[error("exchangeInfo: symbol {symbol} has no {filter} filter")]
    MissingFilter {
        /// The symbol.
        symbol: String,
        /// `PRICE_FILTER` or `LOT_SIZE`.
        filter: &'static str,
    },
    /// A filter the bot enforces is listed twice.
    #[error("exchangeInfo: symbol {symbol} lists {filter} twice")]
    DuplicateFilter {
        /// The symbol.
        symbol: String,
        /// The filter type.
        filter: String,
    },
    /// A symbol appears twice in `symbols`.
    #[error("exchangeInfo: symbol {0} is listed twice")]
    DuplicateSymbol(String),
    /// The requested symbol is not in the document.
    #[error("exchangeInfo: symbol {0} not found")]
    SymbolNotFound(String),
    /// A field is missing, malformed or out of range.
    #[error("exchangeInfo: {place}: {problem}")]
    Field {
        /// Where: `symbol FILUSDT, LOT_SIZE` or `rateLimits[2]`.
        place: String,
        /// What was wrong, with the field name and value.
        problem: String,
    },
}

/// Parses a whole `exchangeInfo` response.
pub fn exchange_info(json: &str) -> Result<ExchangeInfo, ExchangeInfoError> {
    let wire: ExchangeInfoWire = from_json(json)?;
    let server_time_ms = wire
        .server_time
        .int::<i64>("serverTime")
        .map_err(|problem| field("document", problem))?;
    let mut rate_limits = Vec::with_capacity(wire.rate_limits.len());
    for (i, rl) in wire.rate_limits.iter().enumerate() {
        if let Some(limit) = rate_limit(rl).map_err(|p| field(&format!("rateLimits[{i}]"), p))? {
            rate_limits.push(limit);
        }
    }
    let mut symbols = BTreeMap::new();
    for s in &wire.symbols {
        let rules = rules(s)?;
        if symbols.insert(rules.symbol.clone(), rules).is_some() {
            return Err(ExchangeInfoError::DuplicateSymbol(s.symbol.clone()));
        }
    }
    Ok(ExchangeInfo {
        server_time_ms,
        rate_limits,
        symbols,
    })
}

/// Parses one symbol's rules out of an `exchangeInfo` response.
pub fn symbol_rules(json: &str, symbol: &Symbol) -> Result<SymbolRules, ExchangeInfoError> {
    let wire: ExchangeInfoWire = from_json(json)?;
    let mut found = wire.symbols.iter().filter(|s| s.symbol == symbol.as_str());
    let first = found
        .next()
        .ok_or_else(|| ExchangeInfoError::SymbolNotFound(symbol.to_string()))?;
    if found.next().is_some() {
        return Err(ExchangeInfoError::DuplicateSymbol(symbol.to_string()));
    }
    rules(first)
}

fn from_json<T: DeserializeOwned>(json: &str) -> Result<T, ExchangeInfoError> {
    serde_json::from_str(json).map_err(|e| ExchangeInfoError::Json(e.to_string()))
}

fn field(place: &str, problem: String) -> ExchangeInfoError {
    ExchangeInfoError::Field {
        place: place.to_string(),
        problem,
    }
}

fn rate_limit(w: &RateLimitWire) -> Result<Option<RateLimit>, String> {
    let kind = match w.rate_limit_type.as_deref() {
        Some("REQUEST_WEIGHT") => RateLimitType::RequestWeight,
        Some("ORDERS") => RateLimitType::Orders,
        Some("RAW_REQUESTS") => RateLimitType::RawRequests,
        // The docs' `{}` placeholder, or a limiter type this bot does not budget.
        _ => return Ok(None),
    };
    let interval = match w.interval.as_deref() {
        Some("SECOND") => RateLimitInterval::Second,
        Some("MINUTE") => RateLimitInterval::Minute,
        Some("DAY") => RateLimitInterval::Day,
        other => return Err(format!("unknown interval {other:?}")),
    };
    let interval_num = w
        .interval_num
        .as_ref()
        .ok_or("missing intervalNum")?
        .int("intervalNum")?;
    let limit = w.limit.as_ref().ok_or("missing limit")?.int("limit")?;
    Ok(Some(RateLimit {
        kind,
        interval,
        interval_num,
        limit,
    }))
}

/// Where a filter value sits, for error messages.
#[derive(Clone, Copy)]
struct Place<'a> {
    symbol: &'a str,
    filter: &'a str,
}

impl Place<'_> {
    fn err(self, problem: String) -> ExchangeInfoError {
        field(&format!("symbol {}, {}", self.symbol, self.filter), problem)
    }

    fn wire<T: DeserializeOwned>(self, raw: &RawValue) -> Result<T, ExchangeInfoError> {
        serde_json::from_str(raw.get()).map_err(|e| self.err(e.to_string()))
    }

    fn dec(self, n: &Num, name: &str) -> Result<Decimal, ExchangeInfoError> {
        n.dec(name).map_err(|p| self.err(p))
    }

    fn int<T: FromStr>(self, n: &Num, name: &str) -> Result<T, ExchangeInfoError> {
        n.int(name).map_err(|p| self.err(p))
    }

    fn once<T>(self, slot: &mut Option<T>, value: T) -> Result<(), ExchangeInfoError> {
        if slot.replace(value).is_some() {
            return Err(ExchangeInfoError::DuplicateFilter {
                symbol: self.symbol.to_string(),
                filter: self.filter.to_string(),
            });
        }
        Ok(())
    }
}

/// The filters found on one symbol, before defaults and precedence are applied.
#[derive(Default)]
struct Found {
    price: Option<PriceFilter>,
    lot: Option<LotSize>,
    market_lot: Option<LotSize>,
    min_notional: Option<NotionalFilter>,
    notional: Option<NotionalFilter>,
    percent_price: Option<PercentPriceBySide>,
    percent_price_by_side: Option<PercentPriceBySide>,
    max_num_orders: Option<u32>,
    max_num_algo_orders: Option<u32>,
    trailing_delta: Option<TrailingDeltaFilter>,
}

fn rules(w: &SymbolWire) -> Result<SymbolRules, ExchangeInfoError> {
    let name_err = |what: &str, value: &str| {
        field(
            &format!("symbol {}", w.symbol),
            format!("{what} `{value}` is not a valid name"),
        )
    };
    let symbol = Symbol::parse(&w.symbol).map_err(|_| name_err("symbol", &w.symbol))?;
    let base_asset =
        Asset::parse(&w.base_asset).map_err(|_| name_err("baseAsset", &w.base_asset))?;
    let quote_asset =
        Asset::parse(&w.quote_asset).map_err(|_| name_err("quoteAsset", &w.quote_asset))?;
    let mut found = Found::default();
    for raw in &w.filters {
        let tag: FilterTag = Place {
            symbol: &w.symbol,
            filter: "filters",
        }
        .wire(raw)?;
        let at = Place {
            symbol: &w.symbol,
            filter: &tag.filter_type,
        };
        filter(at, raw, &mut found)?;
    }
    let missing = |filter| ExchangeInfoError::MissingFilter {
        symbol: w.symbol.clone(),
        filter,
    };
    let filters = SymbolFilters {
        price: found.price.ok_or_else(|| missing("PRICE_FILTER"))?,
        lot: found.lot.ok_or_else(|| missing("LOT_SIZE"))?,
        market_lot: found.market_lot,
        notional: found.notional.or(found.min_notional),
        percent_price: found.percent_price_by_side.or(found.percent_price),
        max_num_orders: found.max_num_orders,
        max_num_algo_orders: found.max_num_algo_orders,
        trailing_delta: found.trailing_delta,
    };
    Ok(SymbolRules {
        symbol,
        status: w.status,
        base_asset,
        quote_asset,
        // Order types Binance may add later are not ones the bot places: skip them.
        order_types: w
            .order_types
            .iter()
            .filter_map(|t| t.parse::<OrderType>().ok())
            .collect(),
        allow_trailing_stop: w.allow_trailing_stop,
        cancel_replace_allowed: w.cancel_replace_allowed,
        amend_allowed: w.amend_allowed,
        filters,
    })
}

fn filter(at: Place<'_>, raw: &RawValue, found: &mut Found) -> Result<(), ExchangeInfoError> {
    match at.filter {
        "PRICE_FILTER" => {
            let w: PriceFilterWire = at.wire(raw)?;
            let f = PriceFilter {
                min_price: Price::new(at.dec(&w.min_price, "minPrice")?),
                max_price: Price::new(at.dec(&w.max_price, "maxPrice")?),
                tick_size: Price::new(at.dec(&w.tick_size, "tickSize")?),
            };
            at.once(&mut found.price, f)
        }
        "LOT_SIZE" => at.once(&mut found.lot, lot_size(at, raw)?),
        "MARKET_LOT_SIZE" => at.once(&mut found.market_lot, lot_size(at, raw)?),
        "MIN_NOTIONAL" => {
            let w: MinNotionalWire = at.wire(raw)?;
            let f = NotionalFilter {
                kind: NotionalKind::MinNotional,
                min_notional: Quote::new(at.dec(&w.min_notional, "minNotional")?),
                apply_min_to_market: w.apply_to_market,
                max_notional: None,
                apply_max_to_market: false,
            };
            at.once(&mut found.min_notional, f)
        }
        "NOTIONAL" => {
            let w: NotionalWire = at.wire(raw)?;
            let f = NotionalFilter {
                kind: NotionalKind::Notional,
                min_notional: Quote::new(at.dec(&w.min_notional, "minNotional")?),
                apply_min_to_market: w.apply_min_to_market,
                max_notional: Some(Quote::new(at.dec(&w.max_notional, "maxNotional")?)),
                apply_max_to_market: w.apply_max_to_market,
            };
            at.once(&mut found.notional, f)
        }
        "PERCENT_PRICE" => {
            let w: PercentPriceWire = at.wire(raw)?;
            let (up, down) = (
                at.dec(&w.multiplier_up, "multiplierUp")?,
                at.dec(&w.multiplier_down, "multiplierDown")?,
            );
            let f = PercentPriceBySide {
                bid_multiplier_up: up,
                bid_multiplier_down: down,
                ask_multiplier_up: up,
                ask_multiplier_down: down,
            };
            at.once(&mut found.percent_price, f)
        }
        "PERCENT_PRICE_BY_SIDE" => {
            let w: PercentPriceBySideWire = at.wire(raw)?;
            let f = PercentPriceBySide {
                bid_multiplier_up: at.dec(&w.bid_multiplier_up, "bidMultiplierUp")?,
                bid_multiplier_down: at.dec(&w.bid_multiplier_down, "bidMultiplierDown")?,
                ask_multiplier_up: at.dec(&w.ask_multiplier_up, "askMultiplierUp")?,
                ask_multiplier_down: at.dec(&w.ask_multiplier_down, "askMultiplierDown")?,
            };
            at.once(&mut found.percent_price_by_side, f)
        }
        "MAX_NUM_ORDERS" => {
            let w: MaxNumOrdersWire = at.wire(raw)?;
            let n = at.int(&w.max_num_orders, "maxNumOrders")?;
            at.once(&mut found.max_num_orders, n)
        }
        "MAX_NUM_ALGO_ORDERS" => {
            let w: MaxNumAlgoOrdersWire = at.wire(raw)?;
            let n = at.int(&w.max_num_algo_orders, "maxNumAlgoOrders")?;
            at.once(&mut found.max_num_algo_orders, n)
        }
        "TRAILING_DELTA" => {
            let w: TrailingDeltaWire = at.wire(raw)?;
            let f = TrailingDeltaFilter {
                min_above: at.int(&w.min_trailing_above_delta, "minTrailingAboveDelta")?,
                max_above: at.int(&w.max_trailing_above_delta, "maxTrailingAboveDelta")?,
                min_below: at.int(&w.min_trailing_below_delta, "minTrailingBelowDelta")?,
                max_below: at.int(&w.max_trailing_below_delta, "maxTrailingBelowDelta")?,
            };
            at.once(&mut found.trailing_delta, f)
        }
        // Binance adds filter types over time; ones the bot does not enforce are ignored.
        _ => Ok(()),
    }
}

fn lot_size(at: Place<'_>, raw: &RawValue) -> Result<LotSize, ExchangeInfoError> {
    let w: LotSizeWire = at.wire(raw)?;
    Ok(LotSize {
        min_qty: Qty::new(at.dec(&w.min_qty, "minQty")?),
        max_qty: Qty::new(at.dec(&w.max_qty, "maxQty")?),
        step_size: Qty::new(at.dec(&w.step_size, "stepSize")?),
    })
}

#[cfg(test)]
mod tests;
