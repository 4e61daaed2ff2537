//! Reading Binance kline CSV dumps (spot or USDⓈ-M futures layout, gzipped or plain).
//!
//! Columns: `open_time, open, high, low, close, volume, close_time, quote_volume, count,
//! taker_buy_volume, taker_buy_quote_volume, ignore`; only the first 7 are used, but a row
//! must have all 12. A header row is allowed on line 1 only. Times of 10^14 or more are
//! microseconds (10^14 ms would be the year 5138) and are floored to milliseconds.

use super::{check_candle, Candle, KlineError};
use crate::core::money::{Price, Qty};
use flate2::read::MultiGzDecoder;
use rust_decimal::Decimal;
use std::io::{BufRead, BufReader, ErrorKind};
use std::path::Path;
use std::str::FromStr;

/// Columns in every Binance kline row.
const COLUMNS: usize = 12;
/// Open times at or above this are microseconds.
const MICROS_THRESHOLD: i64 = 100_000_000_000_000;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Parses a whole kline file held in memory (gzipped or plain); `path` names it in errors.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Vec<Candle>, KlineError> {
    if bytes.starts_with(&GZIP_MAGIC) {
        parse_text(
            BufReader::with_capacity(1 << 16, MultiGzDecoder::new(bytes)),
            path,
        )
    } else {
        parse_text(bytes, path)
    }
}

/// Parses kline CSV text from a reader; `path` names it in errors.
pub fn parse_text(mut reader: impl BufRead, path: &Path) -> Result<Vec<Candle>, KlineError> {
    let err = |line: usize, message: String| KlineError::Parse {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut candles: Vec<Candle> = Vec::with_capacity(44_640);
    let mut buf = String::with_capacity(256);
    let mut line_no = 0;
    loop {
        buf.clear();
        line_no += 1;
        match reader.read_line(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::InvalidData => {
                return Err(err(
                    line_no,
                    format!("not UTF-8 text or not valid gzip: {e}"),
                ))
            }
            Err(e) => return Err(err(line_no, format!("read failed: {e}"))),
        }
        let line = buf.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        if line_no == 1 && line.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue; // header row of the futures dumps
        }
        let candle = parse_row(line).map_err(|m| err(line_no, m))?;
        check_candle(&candle).map_err(|m| err(line_no, m))?;
        if let Some(prev) = candles.last() {
            if candle.open_time_ms <= prev.open_time_ms {
                return Err(err(
                    line_no,
                    format!(
                        "open time {} not after the previous row's {}",
                        candle.open_time_ms, prev.open_time_ms
                    ),
                ));
            }
        }
        candles.push(candle);
    }
    Ok(candles)
}

/// Parses one data row into a candle (no cross-row checks).
fn parse_row(line: &str) -> Result<Candle, String> {
    let mut cols = line.split(',');
    let mut next = |name: &str| cols.next().ok_or_else(|| format!("missing column {name}"));
    let open_time_ms = time(next("open_time")?, "open_time")?;
    let open = price(next("open")?, "open")?;
    let high = price(next("high")?, "high")?;
    let low = price(next("low")?, "low")?;
    let close = price(next("close")?, "close")?;
    let volume = Qty::new(decimal(next("volume")?, "volume")?);
    let close_time_ms = time(next("close_time")?, "close_time")?;
    let count = 7 + cols.count();
    if count != COLUMNS {
        return Err(format!("{count} columns, expected {COLUMNS}"));
    }
    Ok(Candle {
        open_time_ms,
        open,
        high,
        low,
        close,
        volume,
        close_time_ms,
    })
}

fn time(field: &str, name: &str) -> Result<i64, String> {
    let v: i64 = field
        .trim()
        .parse()
        .map_err(|_| format!("{name} `{field}` is not an integer timestamp"))?;
    if v < 0 {
        return Err(format!("{name} `{field}` is negative"));
    }
    Ok(if v >= MICROS_THRESHOLD { v / 1000 } else { v })
}

fn decimal(field: &str, name: &str) -> Result<Decimal, String> {
    Decimal::from_str(field.trim())
        .map(|d| d.normalize())
        .map_err(|_| format!("{name} `{field}` is not a decimal number"))
}

fn price(field: &str, name: &str) -> Result<Price, String> {
    decimal(field, name).map(Price::new)
}
