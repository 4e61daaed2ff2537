//! Market streams (`web-socket-streams.md`): which stream names exist and what each one
//! pushes when a candle is fed. Every payload is built from the REST answer of the same
//! moment (`ticker/24hr`, `ticker/bookTicker`, `depth`, `klines`, the tape), so a client
//! that mixes streams and REST sees one market.
//!
//! The market moves once per candle, so that is when events go out: per candle, `@trade` and
//! `@aggTrade` carry its four tape trades, `@kline_<i>` the kline of `i` it belongs to
//! (closed, `x: true`, when the candle ends the interval), `@bookTicker`, `@ticker`,
//! `@miniTicker` and `@depth<5|10|20>` the state after it. Binance's "every 1000/2000 ms"
//! repeats of an unchanged ticker or kline are not sent: between candles nothing changes.
//! Only streams some connection subscribed to are built (`interest`), so a server without
//! stream subscribers pays nothing per candle.

use super::params::Params;
use super::tape::{self, Interval, PER_CANDLE};
use super::wire::dec;
use super::{market, tickers, Ctx};
use crate::core::symbol::Symbol;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::broadcast;

/// How many events a slow connection may lag before it loses the oldest.
const CHANNEL_CAPACITY: usize = 8192;

/// One stream event: the stream's name and its raw payload.
#[derive(Debug)]
pub struct StreamEvent {
    /// Canonical stream name (`filusdt@trade`).
    pub stream: String,
    /// The payload (`data` of a combined stream frame).
    pub data: Value,
}

/// What a stream name asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Trade,
    AggTrade,
    Kline(String),
    BookTicker,
    Ticker,
    MiniTicker,
    Depth(u8),
}

/// A stream name that is not served, as Binance's error message says it.
pub const INVALID_STREAM: &str = "Invalid request: invalid stream";

/// The canonical form of `name` (symbol lower-cased, as Binance's names are) when it is a
/// served stream of a served symbol, else `None`.
pub fn canonical(name: &str, symbols: &[Symbol]) -> Option<String> {
    parse(name, symbols)?;
    let (symbol, rest) = name.split_once('@')?;
    Some(format!("{}@{rest}", symbol.to_ascii_lowercase()))
}

fn parse(name: &str, symbols: &[Symbol]) -> Option<(Symbol, Kind)> {
    let (sym, rest) = name.split_once('@')?;
    let symbol = symbols
        .iter()
        .find(|s| s.as_str().eq_ignore_ascii_case(sym))?
        .clone();
    let kind = match rest {
        "trade" => Kind::Trade,
        "aggTrade" => Kind::AggTrade,
        "bookTicker" => Kind::BookTicker,
        "ticker" => Kind::Ticker,
        "miniTicker" => Kind::MiniTicker,
        _ => {
            if let Some(i) = rest.strip_prefix("kline_") {
                // `1s` is refused as by `klines`: the data has minute resolution.
                Interval::parse(i)?;
                Kind::Kline(i.to_string())
            } else {
                let levels = rest.strip_prefix("depth")?;
                let levels = levels
                    .strip_suffix("@100ms")
                    .or_else(|| levels.strip_suffix("@1000ms"))
                    .unwrap_or(levels);
                match levels {
                    "5" => Kind::Depth(5),
                    "10" => Kind::Depth(10),
                    "20" => Kind::Depth(20),
                    _ => return None,
                }
            }
        }
    };
    Some((symbol, kind))
}

/// The stream side of the server: the event channel and which streams are wanted.
#[derive(Debug)]
pub struct MarketStreams {
    tx: broadcast::Sender<Arc<StreamEvent>>,
    /// Canonical stream name → number of subscriptions (over all connections).
    interest: BTreeMap<String, usize>,
}

impl Default for MarketStreams {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(CHANNEL_CAPACITY).0,
            interest: BTreeMap::new(),
        }
    }
}

impl MarketStreams {
    /// A receiver of every stream event from now on.
    pub fn receiver(&self) -> broadcast::Receiver<Arc<StreamEvent>> {
        self.tx.subscribe()
    }

    /// One more subscription to `stream` (canonical).
    pub fn want(&mut self, stream: &str) {
        *self.interest.entry(stream.to_string()).or_default() += 1;
    }

    /// One subscription to `stream` fewer.
    pub fn unwant(&mut self, stream: &str) {
        if let Some(n) = self.interest.get_mut(stream) {
            *n -= 1;
            if *n == 0 {
                self.interest.remove(stream);
            }
        }
    }

    /// The subscribed streams of `symbol`.
    fn wanted(&self, symbol: &Symbol) -> Vec<String> {
        let prefix = format!("{}@", symbol.as_str().to_ascii_lowercase());
        self.interest
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect()
    }

    fn send(&self, stream: String, data: Value) {
        // No receiver is not an error: the last connection may just have left.
        let _ = self.tx.send(Arc::new(StreamEvent { stream, data }));
    }
}

/// Publishes the subscribed streams of `symbol` after its latest candle was fed.
pub fn publish_candle(ctx: &mut Ctx, symbol: &Symbol) {
    let wanted = ctx.ctl.market.wanted(symbol);
    if wanted.is_empty() {
        return;
    }
    let mut out: Vec<(String, Value)> = Vec::new();
    let symbols = ctx.ctl.symbols.clone();
    for stream in wanted {
        let Some((_, kind)) = parse(&stream, &symbols) else {
            continue;
        };
        for data in payloads(ctx, symbol, &kind) {
            out.push((stream.clone(), data));
        }
    }
    // Trades first, then the state they led to, as they happen on Binance.
    out.sort_by_key(|(s, _)| !(s.ends_with("@trade") || s.ends_with("@aggTrade")));
    for (stream, data) in out {
        ctx.ctl.market.send(stream, data);
    }
}

impl super::SimServer {
    /// The current state of `stream` (canonical) for a new subscriber: Binance repeats
    /// tickers, klines and books every 1–2 s, so a subscriber has the state within a second;
    /// here it gets it at once, then on every candle. Trade streams have no state: nothing.
    pub(super) fn stream_snapshot(&self, stream: &str) -> Vec<Value> {
        let mut ctl = super::lock(&self.control);
        let mut ex = super::lock(&self.exchange);
        let Some((symbol, kind)) = parse(stream, &ctl.symbols) else {
            return Vec::new();
        };
        if matches!(kind, Kind::Trade | Kind::AggTrade) {
            return Vec::new();
        }
        let now_ms = ctl.now_ms();
        let mut ctx = Ctx {
            ex: &mut ex,
            ctl: &mut ctl,
            now_ms,
        };
        payloads(&mut ctx, &symbol, &kind)
    }
}

/// The events of one stream for the latest candle of `symbol`.
fn payloads(ctx: &mut Ctx, symbol: &Symbol, kind: &Kind) -> Vec<Value> {
    let now = ctx.now_ms;
    let s = symbol.as_str();
    let seen = ctx.ctl.feed.seen(symbol);
    let Some(k) = seen.len().checked_sub(1) else {
        return Vec::new();
    };
    let params = Params::parse(&format!("symbol={s}"), "").ok();
    match kind {
        Kind::Trade => tape::trades_of(seen, k)
            .iter()
            .map(|t| {
                json!({"e": "trade", "E": now, "s": s, "t": t.id, "p": dec(t.price),
                       "q": dec(t.qty), "T": t.time_ms, "m": t.buyer_maker, "M": true})
            })
            .collect(),
        Kind::AggTrade => tape::trades_of(seen, k)
            .iter()
            .map(|t| {
                json!({"e": "aggTrade", "E": now, "s": s, "a": t.id, "p": dec(t.price),
                       "q": dec(t.qty), "f": t.id, "l": t.id, "T": t.time_ms,
                       "m": t.buyer_maker, "M": true})
            })
            .collect(),
        Kind::Kline(i) => {
            let Some(interval) = Interval::parse(i) else {
                return Vec::new();
            };
            let Some(row) = tape::klines(seen, interval, None, None, 1).pop() else {
                return Vec::new();
            };
            let first = seen.partition_point(|c| c.open_time_ms < row.open_ms) as u64;
            let closed = seen[k].close_time_ms >= row.close_ms;
            vec![json!({"e": "kline", "E": now, "s": s, "k": {
                "t": row.open_ms, "T": row.close_ms, "s": s, "i": i,
                "f": first * PER_CANDLE + 1, "L": seen.len() as u64 * PER_CANDLE,
                "o": dec(row.open), "c": dec(row.close), "h": dec(row.high), "l": dec(row.low),
                "v": dec(row.totals.volume), "n": row.totals.count, "x": closed,
                "q": dec(row.totals.quote_volume), "V": dec(row.totals.taker_buy_volume),
                "Q": dec(row.totals.taker_buy_quote), "B": "0"}})]
        }
        Kind::BookTicker => {
            let update_id = seen.len() as u64 * PER_CANDLE;
            let Some(Ok(r)) = params.map(|p| market::book_ticker(ctx, &p)) else {
                return Vec::new();
            };
            vec![
                json!({"u": update_id, "s": s, "b": r["bidPrice"], "B": r["bidQty"],
                        "a": r["askPrice"], "A": r["askQty"]}),
            ]
        }
        Kind::Ticker => {
            let Some(Ok(r)) = params.map(|p| tickers::ticker_24hr(ctx, &p)) else {
                return Vec::new();
            };
            vec![json!({"e": "24hrTicker", "E": now, "s": s,
                "p": r["priceChange"], "P": r["priceChangePercent"], "w": r["weightedAvgPrice"],
                "x": r["prevClosePrice"], "c": r["lastPrice"], "Q": r["lastQty"],
                "b": r["bidPrice"], "B": r["bidQty"], "a": r["askPrice"], "A": r["askQty"],
                "o": r["openPrice"], "h": r["highPrice"], "l": r["lowPrice"],
                "v": r["volume"], "q": r["quoteVolume"], "O": r["openTime"], "C": r["closeTime"],
                "F": r["firstId"], "L": r["lastId"], "n": r["count"]})]
        }
        Kind::MiniTicker => {
            let p = Params::parse(&format!("symbol={s}&type=MINI"), "").ok();
            let Some(Ok(r)) = p.map(|p| tickers::ticker_24hr(ctx, &p)) else {
                return Vec::new();
            };
            vec![
                json!({"e": "24hrMiniTicker", "E": now, "s": s, "c": r["lastPrice"],
                "o": r["openPrice"], "h": r["highPrice"], "l": r["lowPrice"],
                "v": r["volume"], "q": r["quoteVolume"]}),
            ]
        }
        Kind::Depth(levels) => {
            let p = Params::parse(&format!("symbol={s}&limit={levels}"), "").ok();
            match p.map(|p| tickers::depth(ctx, &p)) {
                Some(Ok(book)) => vec![book],
                _ => Vec::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_binance_streams_of_served_symbols() {
        let symbols = [Symbol::parse("FILUSDT").unwrap()];
        let ok = |n: &str| canonical(n, &symbols);
        assert_eq!(ok("filusdt@trade").as_deref(), Some("filusdt@trade"));
        assert_eq!(ok("FILUSDT@kline_1m").as_deref(), Some("filusdt@kline_1m"));
        assert_eq!(
            ok("filusdt@depth5@100ms").as_deref(),
            Some("filusdt@depth5@100ms")
        );
        for bad in [
            "filusdt",
            "btcusdt@trade",
            "filusdt@kline_1s",
            "filusdt@kline_2m",
            "filusdt@depth7",
            "filusdt@Trade",
        ] {
            assert_eq!(ok(bad), None, "{bad}");
        }
    }
}
