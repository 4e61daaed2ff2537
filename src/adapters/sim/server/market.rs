//! Public (`NONE` security) endpoints: exchangeInfo, price and book tickers, klines, avgPrice
//! (the tape-based ones are in `tickers.rs`).

use super::fail::Fail;
use super::params::Params;
use super::tape::{self, Interval};
use super::wire::{self, dec};
use super::Ctx;
use crate::core::symbol::Symbol;
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// `GET /api/v3/exchangeInfo`: the configured document with the current `serverTime`, cut to
/// `symbol` or `symbols` when given.
pub fn exchange_info(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let wanted = wanted_symbols(ctx, p)?;
    let mut info = ctx.ctl.info.clone();
    info["serverTime"] = ctx.now_ms.into();
    if let (Some(w), Some(Value::Array(list))) = (wanted, info.get_mut("symbols")) {
        list.retain(|s| {
            s.get("symbol")
                .and_then(Value::as_str)
                .is_some_and(|n| w.iter().any(|x| x.as_str() == n))
        });
    }
    Ok(info)
}

/// `symbol` or `symbols` (a JSON array of names); `None` when neither was sent. Unknown
/// names are -1121.
fn wanted_symbols(ctx: &Ctx, p: &Params) -> Result<Option<Vec<Symbol>>, Fail> {
    let names: Vec<String> = match (p.opt("symbol"), p.opt("symbols")) {
        (Some(_), Some(_)) => {
            return Err(Fail::bad(
                -1106,
                "Parameter 'symbols' sent when not required.",
            ))
        }
        (Some(s), None) => vec![s.to_string()],
        (None, Some(list)) => serde_json::from_str(list).map_err(|_| {
            Fail::illegal(
                "symbols",
                "^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$",
            )
        })?,
        (None, None) => return Ok(None),
    };
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        let s = Symbol::parse(&n).map_err(|_| crate::adapters::sim::errors::bad_symbol())?;
        if !ctx.ctl.symbols.contains(&s) {
            return Err(crate::adapters::sim::errors::bad_symbol().into());
        }
        out.push(s);
    }
    Ok(Some(out))
}

/// Symbols a ticker request asks for, and whether the answer is a list.
pub(super) fn ticker_symbols(ctx: &Ctx, p: &Params) -> Result<(Vec<Symbol>, bool), Fail> {
    Ok(match wanted_symbols(ctx, p)? {
        Some(w) => (w, p.opt("symbols").is_some()),
        None => (ctx.ctl.symbols.clone(), true),
    })
}

pub(super) fn one_or_list(mut rows: Vec<Value>, list: bool) -> Value {
    if list {
        Value::Array(rows)
    } else {
        rows.pop().unwrap_or(Value::Null)
    }
}

pub(super) fn last_price(ctx: &Ctx, s: &Symbol) -> Result<Decimal, Fail> {
    Ok(ctx.ex.last_price(s)?.map_or(Decimal::ZERO, |p| p.get()))
}

/// `GET /api/v3/ticker/price`.
pub fn ticker_price(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let (symbols, list) = ticker_symbols(ctx, p)?;
    let mut rows = Vec::new();
    for s in &symbols {
        rows.push(json!({"symbol": s.as_str(), "price": dec(last_price(ctx, s)?)}));
    }
    Ok(one_or_list(rows, list))
}

/// `GET /api/v3/ticker/bookTicker`: bid = ask = last price (the model has no spread); the
/// quantities are the last candle's volume (zero for a symbol without candles).
pub fn book_ticker(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let (symbols, list) = ticker_symbols(ctx, p)?;
    let mut rows = Vec::new();
    for s in &symbols {
        let bt = ctx.ex.book_ticker(s)?;
        let qty = ctx
            .ctl
            .feed
            .seen(s)
            .last()
            .map_or(Decimal::ZERO, |c| c.volume.get());
        rows.push(json!({
            "symbol": s.as_str(),
            "bidPrice": dec(bt.bid.get()),
            "bidQty": dec(qty),
            "askPrice": dec(bt.ask.get()),
            "askQty": dec(qty),
        }));
    }
    Ok(one_or_list(rows, list))
}

/// `GET /api/v3/klines` and `uiKlines`: the candles seen so far aggregated to `interval`
/// (every Binance interval but `1s`; the interval in progress is included, as on Binance),
/// in the `timeZone` given (default UTC). A one-minute candle is only seen once closed, so
/// `1m` rows are all closed. With `startTime` the first `limit` from it; otherwise the last
/// `limit` up to `endTime`.
pub fn klines(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    let interval =
        Interval::parse(p.req("interval")?).ok_or_else(|| Fail::bad(-1120, "Invalid interval."))?;
    let interval = match p.opt("timeZone") {
        None => interval,
        Some(text) => interval.in_time_zone(
            time_zone_ms(text).ok_or_else(|| Fail::illegal("timeZone", "[-12:00 to +14:00]"))?,
        ),
    };
    ctx.ex.last_price(&symbol)?;
    let limit: i64 = p.opt_int("limit")?.unwrap_or(500);
    if !(1..=1000).contains(&limit) {
        return Err(Fail::illegal("limit", "1-1000"));
    }
    let start: Option<i64> = p.opt_int("startTime")?;
    let end: Option<i64> = p.opt_int("endTime")?;
    let seen = ctx.ctl.feed.seen(&symbol);
    let rows = tape::klines(
        seen,
        interval,
        start,
        end,
        usize::try_from(limit).unwrap_or(500),
    );
    Ok(Value::Array(rows.iter().map(wire::kline).collect()))
}

/// A `timeZone` as Binance takes it (`rest-api.md`, klines): hours (`8`, `-1`) or hours and
/// minutes (`05:45`, `-1:00`), optionally signed, from -12:00 to +14:00 inclusive; its offset
/// ahead of UTC in ms.
pub(super) fn time_zone_ms(text: &str) -> Option<i64> {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "00"));
    let digits = |s: &str, max_len| {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i64>().ok())
            .flatten()
    };
    let (h, m) = (digits(hours, 2)?, digits(minutes, 2)?);
    if minutes.len() != 2 || m >= 60 {
        return None;
    }
    let total = sign * (h * 60 + m);
    (-12 * 60..=14 * 60)
        .contains(&total)
        .then_some(total * 60_000)
}

/// `GET /api/v3/avgPrice`: volume-weighted mean close of the last 5 candles seen (plain last
/// price when they have no volume).
pub fn avg_price(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    let last = last_price(ctx, &symbol)?;
    let seen = ctx.ctl.feed.seen(&symbol);
    let recent = &seen[seen.len().saturating_sub(5)..];
    let vol: Decimal = recent.iter().map(|c| c.volume.get()).sum();
    let price = if vol.is_zero() {
        last
    } else {
        recent
            .iter()
            .map(|c| c.close.get() * c.volume.get())
            .sum::<Decimal>()
            / vol
    };
    let close_time = recent.last().map_or(ctx.now_ms, |c| c.close_time_ms);
    Ok(json!({"mins": 5, "price": dec(price), "closeTime": close_time}))
}

#[cfg(test)]
mod tests {
    use super::time_zone_ms;

    #[test]
    fn time_zones_are_hours_or_hours_and_minutes_within_minus_12_and_plus_14() {
        let h = 3_600_000;
        for (text, want) in [
            ("0", Some(0)),
            ("8", Some(8 * h)),
            ("+8", Some(8 * h)),
            ("-1:00", Some(-h)),
            ("05:45", Some(5 * h + 45 * 60_000)),
            ("14:00", Some(14 * h)),
            ("-12:00", Some(-12 * h)),
            ("14:01", None),
            ("-12:30", None),
            ("15", None),
            ("8:5", None),
            ("8:60", None),
            ("", None),
            ("UTC", None),
            ("+-1", None),
        ] {
            assert_eq!(time_zone_ms(text), want, "{text:?}");
        }
    }
}
