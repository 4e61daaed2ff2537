//! Public market-data endpoints built on the candle tape (`tape.rs`): `ticker/24hr`,
//! `ticker` (rolling window), `depth`, `trades`, `historicalTrades`, `aggTrades`.

use super::fail::Fail;
use super::market::{last_price, one_or_list, ticker_symbols};
use super::params::Params;
use super::tape::{self, PublicTrade, PER_CANDLE};
use super::wire::dec;
use super::Ctx;
use crate::core::order::OrderType;
use crate::core::order::Side;
use crate::core::symbol::Symbol;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const MINUTE_MS: i64 = 60_000;

/// Statistics of the candles opening in `[from_ms, now]`.
struct Window {
    open: Decimal,
    high: Decimal,
    low: Decimal,
    last: Decimal,
    prev_close: Decimal,
    last_qty: Decimal,
    totals: tape::Totals,
    first_id: i64,
    last_id: i64,
}

fn window(ctx: &Ctx, symbol: &Symbol, from_ms: i64) -> Result<Window, Fail> {
    let last = last_price(ctx, symbol)?;
    let seen = ctx.ctl.feed.seen(symbol);
    let k0 = seen.partition_point(|c| c.open_time_ms < from_ms);
    let prev_close = k0.checked_sub(1).map_or(last, |k| seen[k].close.get());
    let cs = &seen[k0..];
    if cs.is_empty() {
        return Ok(Window {
            open: last,
            high: last,
            low: last,
            last,
            prev_close,
            last_qty: Decimal::ZERO,
            totals: tape::Totals::default(),
            first_id: -1,
            last_id: -1,
        });
    }
    let ids = |k: usize| i64::try_from(k as u64 * PER_CANDLE).unwrap_or(i64::MAX);
    Ok(Window {
        open: cs[0].open.get(),
        high: cs.iter().map(|c| c.high.get()).max().unwrap_or(last),
        low: cs.iter().map(|c| c.low.get()).min().unwrap_or(last),
        last,
        prev_close,
        last_qty: tape::trades_of(seen, seen.len() - 1)[3].qty,
        totals: tape::totals(seen, k0..seen.len()),
        first_id: ids(k0) + 1,
        last_id: ids(seen.len()),
    })
}

/// `type`: FULL (default) or MINI.
fn mini(p: &Params) -> Result<bool, Fail> {
    Ok(p.opt_enum(
        "type",
        |v| match v {
            "FULL" => Some(false),
            "MINI" => Some(true),
            _ => None,
        },
        (
            -1100,
            "Illegal characters found in parameter 'type'; legal range is 'FULL, MINI'.",
        ),
    )?
    .unwrap_or(false))
}

/// One ticker row; `with_book` adds the 24hr-only fields (prevClose, lastQty, bid/ask).
fn row(
    ctx: &Ctx,
    s: &Symbol,
    w: &Window,
    (open_ms, close_ms): (i64, i64),
    mini: bool,
    with_book: bool,
) -> Value {
    let mut m = Map::new();
    m.insert("symbol".into(), s.as_str().into());
    if !mini {
        let change = w.last - w.open;
        let pct = if w.open.is_zero() {
            Decimal::ZERO
        } else {
            change * Decimal::from(100) / w.open
        };
        let wavg = if w.totals.volume.is_zero() {
            Decimal::ZERO
        } else {
            w.totals.quote_volume / w.totals.volume
        };
        m.insert("priceChange".into(), dec(change).into());
        m.insert(
            "priceChangePercent".into(),
            format!("{:.3}", pct.round_dp(3)).into(),
        );
        m.insert("weightedAvgPrice".into(), dec(wavg).into());
        if with_book {
            let qty = ctx
                .ctl
                .feed
                .seen(s)
                .last()
                .map_or(Decimal::ZERO, |c| c.volume.get());
            m.insert("prevClosePrice".into(), dec(w.prev_close).into());
            m.insert("lastPrice".into(), dec(w.last).into());
            m.insert("lastQty".into(), dec(w.last_qty).into());
            m.insert("bidPrice".into(), dec(w.last).into());
            m.insert("bidQty".into(), dec(qty).into());
            m.insert("askPrice".into(), dec(w.last).into());
            m.insert("askQty".into(), dec(qty).into());
        }
    }
    m.insert("openPrice".into(), dec(w.open).into());
    m.insert("highPrice".into(), dec(w.high).into());
    m.insert("lowPrice".into(), dec(w.low).into());
    m.insert("lastPrice".into(), dec(w.last).into());
    m.insert("volume".into(), dec(w.totals.volume).into());
    m.insert("quoteVolume".into(), dec(w.totals.quote_volume).into());
    m.insert("openTime".into(), open_ms.into());
    m.insert("closeTime".into(), close_ms.into());
    m.insert("firstId".into(), w.first_id.into());
    m.insert("lastId".into(), w.last_id.into());
    m.insert("count".into(), w.totals.count.into());
    Value::Object(m)
}

/// `GET /api/v3/ticker/24hr`: the last 24 hours of the tape; FULL or MINI; one symbol, a
/// `symbols` list, or every symbol.
pub fn ticker_24hr(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let mini = mini(p)?;
    let (symbols, list) = ticker_symbols(ctx, p)?;
    let span = (ctx.now_ms - 86_400_000, ctx.now_ms);
    let mut rows = Vec::new();
    for s in &symbols {
        let w = window(ctx, s, span.0)?;
        rows.push(row(ctx, s, &w, span, mini, true));
    }
    Ok(one_or_list(rows, list))
}

/// Weight of `ticker/24hr`: 2 for one symbol (or up to 20 in `symbols`), 40 up to 100, else 80.
pub fn weight_24hr(p: &Params) -> u64 {
    match (p.opt("symbol"), symbols_count(p)) {
        (Some(_), _) => 2,
        (None, Some(n)) if n <= 20 => 2,
        (None, Some(n)) if n <= 100 => 40,
        _ => 80,
    }
}

fn symbols_count(p: &Params) -> Option<usize> {
    let list: Vec<String> = serde_json::from_str(p.opt("symbols")?).ok()?;
    Some(list.len())
}

/// `windowSize` in ms: `1m`–`59m`, `1h`–`23h`, `1d`–`7d` (default `1d`).
fn window_size(p: &Params) -> Result<i64, Fail> {
    let Some(text) = p.opt("windowSize") else {
        return Ok(86_400_000);
    };
    let invalid = || Fail::illegal("windowSize", "1m-59m, 1h-23h, 1d-7d");
    let (n, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = n.parse().map_err(|_| invalid())?;
    let (max, unit_ms) = match unit {
        "m" => (59, MINUTE_MS),
        "h" => (23, 60 * MINUTE_MS),
        "d" => (7, 24 * 60 * MINUTE_MS),
        _ => return Err(invalid()),
    };
    if !(1..=max).contains(&n) {
        return Err(invalid());
    }
    Ok(n * unit_ms)
}

/// `GET /api/v3/ticker`: rolling window statistics; `openTime` starts on a minute, as on
/// Binance. `symbol` or `symbols` (at most 100) is mandatory.
pub fn ticker_window(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    if p.opt("symbol").is_none() && p.opt("symbols").is_none() {
        return Err(Fail::missing_either("symbol", "symbols"));
    }
    if symbols_count(p).is_some_and(|n| n > 100) {
        return Err(Fail::bad(
            -1101,
            "Too many values sent for parameter 'symbols', max allowed is 100.",
        ));
    }
    let size = window_size(p)?;
    let mini = mini(p)?;
    let (symbols, list) = ticker_symbols(ctx, p)?;
    let from = ctx.now_ms - size;
    let open_ms = from - from.rem_euclid(MINUTE_MS);
    let mut rows = Vec::new();
    for s in &symbols {
        let w = window(ctx, s, open_ms)?;
        rows.push(row(ctx, s, &w, (open_ms, ctx.now_ms), mini, false));
    }
    Ok(one_or_list(rows, list))
}

/// Weight of `ticker`: 4 per symbol, at most 200.
pub fn weight_window(p: &Params) -> u64 {
    let n = if p.opt("symbol").is_some() {
        1
    } else {
        symbols_count(p).unwrap_or(1)
    };
    (4 * n as u64).min(200)
}

/// `limit` of `depth`: default 100, at most 5000 (larger values give 5000, as on Binance).
fn depth_limit(p: &Params) -> Result<usize, Fail> {
    let limit: i64 = p.opt_int("limit")?.unwrap_or(100);
    if limit < 1 {
        return Err(Fail::illegal("limit", "1-5000"));
    }
    Ok(usize::try_from(limit.min(5000)).unwrap_or(5000))
}

/// Weight of `depth` by `limit`: 5, 25, 50, 250.
pub fn weight_depth(p: &Params) -> u64 {
    match p.opt_int::<i64>("limit").ok().flatten().unwrap_or(100) {
        ..=100 => 5,
        101..=500 => 25,
        501..=1000 => 50,
        _ => 250,
    }
}

/// `GET /api/v3/depth`: the book the fill model trades against. The model fills any
/// marketable order at the last price (no spread, no walking the book), so the market side is
/// one level per side at the last price with the last candle's volume (what `bookTicker`
/// shows); the account's own resting `LIMIT`/`LIMIT_MAKER` orders are added at their prices
/// with their open quantity. Empty before the first price.
pub fn depth(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    let limit = depth_limit(p)?;
    let last = ctx.ex.last_price(&symbol)?;
    let seen = ctx.ctl.feed.seen(&symbol);
    let volume = seen.last().map_or(Decimal::ZERO, |c| c.volume.get());
    let mut bids: BTreeMap<Decimal, Decimal> = BTreeMap::new();
    let mut asks: BTreeMap<Decimal, Decimal> = BTreeMap::new();
    if let Some(last) = last.filter(|_| !volume.is_zero()) {
        bids.insert(last.get(), volume);
        asks.insert(last.get(), volume);
    }
    for o in ctx.ex.open_orders(&symbol)? {
        let (Some(price), true) = (
            o.spec.price,
            matches!(o.spec.order_type, OrderType::Limit | OrderType::LimitMaker),
        ) else {
            continue;
        };
        let open = o.spec.qty.get() - o.executed_qty.get();
        let side = match o.side {
            Side::Buy => &mut bids,
            Side::Sell => &mut asks,
        };
        *side.entry(price.get()).or_default() += open;
    }
    let level = |(p, q): (&Decimal, &Decimal)| json!([dec(*p), dec(*q)]);
    Ok(json!({
        "lastUpdateId": seen.len() as u64 * PER_CANDLE,
        "bids": bids.iter().rev().take(limit).map(level).collect::<Vec<_>>(),
        "asks": asks.iter().take(limit).map(level).collect::<Vec<_>>(),
    }))
}

/// `limit` of the trade lists: default 500, 1–1000.
fn trade_limit(p: &Params) -> Result<usize, Fail> {
    let limit: i64 = p.opt_int("limit")?.unwrap_or(500);
    if !(1..=1000).contains(&limit) {
        return Err(Fail::illegal("limit", "1-1000"));
    }
    Ok(usize::try_from(limit).unwrap_or(500))
}

fn trade_row(t: &PublicTrade) -> Value {
    json!({
        "id": t.id,
        "price": dec(t.price),
        "qty": dec(t.qty),
        "quoteQty": dec(t.price * t.qty),
        "time": t.time_ms,
        "isBuyerMaker": t.buyer_maker,
        "isBestMatch": true,
    })
}

/// `GET /api/v3/trades`: the most recent trades of the tape.
pub fn trades(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    let limit = trade_limit(p)?;
    ctx.ex.last_price(&symbol)?;
    let seen = ctx.ctl.feed.seen(&symbol);
    Ok(tape::recent_trades(seen, limit)
        .iter()
        .map(trade_row)
        .collect())
}

/// `GET /api/v3/historicalTrades`: from `fromId` on, or the most recent.
pub fn historical_trades(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    let limit = trade_limit(p)?;
    ctx.ex.last_price(&symbol)?;
    let seen = ctx.ctl.feed.seen(&symbol);
    let rows = match p.opt_int::<u64>("fromId")? {
        Some(from) => tape::trades_from(seen, from, limit),
        None => tape::recent_trades(seen, limit),
    };
    Ok(rows.iter().map(trade_row).collect())
}

/// `GET /api/v3/aggTrades`: every tape trade is its own aggregate (ids equal). `fromId`, or
/// `startTime`/`endTime` (inclusive), or the most recent.
pub fn agg_trades(ctx: &mut Ctx, p: &Params) -> Result<Value, Fail> {
    let symbol = p.symbol()?;
    let limit = trade_limit(p)?;
    ctx.ex.last_price(&symbol)?;
    let seen = ctx.ctl.feed.seen(&symbol);
    let from_id: Option<u64> = p.opt_int("fromId")?;
    let start: Option<i64> = p.opt_int("startTime")?;
    let end: Option<i64> = p.opt_int("endTime")?;
    let rows = if let Some(from) = from_id {
        tape::trades_from(seen, from, limit)
    } else if start.is_some() || end.is_some() {
        // Candles are a minute apart and their trades lie inside them.
        let k0 = start.map_or(0, |s| seen.partition_point(|c| c.close_time_ms < s));
        let first = k0 as u64 * PER_CANDLE + 1;
        let in_range = |t: &PublicTrade| {
            start.is_none_or(|s| t.time_ms >= s) && end.is_none_or(|e| t.time_ms <= e)
        };
        let all: Vec<PublicTrade> = (first..)
            .map_while(|id| tape::trade_by_id(seen, id))
            .skip_while(|t| !in_range(t))
            .take_while(in_range)
            .collect();
        if start.is_some() {
            all.into_iter().take(limit).collect()
        } else {
            let skip = all.len().saturating_sub(limit);
            all.into_iter().skip(skip).collect()
        }
    } else {
        tape::recent_trades(seen, limit)
    };
    Ok(rows
        .iter()
        .map(|t| {
            json!({
                "a": t.id, "p": dec(t.price), "q": dec(t.qty), "f": t.id, "l": t.id,
                "T": t.time_ms, "m": t.buyer_maker, "M": true,
            })
        })
        .collect())
}
