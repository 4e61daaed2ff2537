//! Binance kline (candle) data: the CSV layouts of Binance's public dumps and a fast binary
//! cache built on first read.
//!
//! Entry points: [`files::one_symbol`] / [`files::group_by_symbol`] (which symbol the files
//! are, from their names or given; a mismatch is refused before anything is read),
//! [`load_candles`] / [`load_klines`] (several monthly files of one symbol, concatenated in
//! time order, each read through the cache) and [`csv::parse`] (one file's bytes, no cache).
//!
//! Accepted CSV shapes (details in `.spec/data.md`): gzipped or plain (detected by the gzip
//! magic bytes, not the file name); with the futures dumps' header row or without (spot dumps);
//! open/close times in milliseconds or microseconds (spot dumps since 2025; detected by
//! magnitude, normalised to ms); any decimal width (values are normalised, so `3.56600000` and
//! `3.566` give identical candles). 12 columns; the first 7 are used.
//!
//! Invariants of every returned series: `0 < low ≤ open, close ≤ high`, `volume ≥ 0`,
//! `open_time ≤ close_time`, open times strictly increasing, no two files overlapping. Gaps
//! (missing candles) are counted in [`Klines::gaps`], not rejected.
//!
//! The cache ([`cache`]) is an optimisation only: it is keyed by the source's length and
//! SHA-256, checksummed and re-validated on load, rebuilt whenever anything is off, and a
//! failure to write it is logged, never fatal.

pub mod cache;
pub mod csv;
pub mod files;
pub mod name;

pub use files::{CandleFiles, SymbolError};

use crate::core::money::Qty;
use crate::core::symbol::Symbol;
use std::path::{Path, PathBuf};

/// One candle; the type lives in the core, so that strategies and ports can read candles.
pub use crate::core::candle::Candle;

/// The default cache directory, relative to the working directory.
pub const DEFAULT_CACHE_DIR: &str = "data/cache";

/// Why kline files could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KlineError {
    /// The file could not be read.
    #[error("reading {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A row is malformed or breaks an invariant.
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number (the header, if any, is line 1).
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// The file holds no candles.
    #[error("{}: no candles", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// Two files cover the same time.
    #[error("{} overlaps {}: its first candle opens at {first_open_ms} ms, not after the other's last close at {prev_close_ms} ms", second.display(), first.display())]
    Overlap {
        /// The earlier file.
        first: PathBuf,
        /// The file that starts too early.
        second: PathBuf,
        /// Close time of the earlier file's last candle.
        prev_close_ms: i64,
        /// Open time of the later file's first candle.
        first_open_ms: i64,
    },
}

/// A loaded candle series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Klines {
    /// The symbol the candles are of.
    pub symbol: Symbol,
    /// Candles in strictly increasing open time.
    pub candles: Vec<Candle>,
    /// How many times a candle opens later than the previous one closed (+1 ms).
    pub gaps: usize,
}

/// Loads kline files of one symbol (any order) into one series, through the cache in
/// `cache_dir` when given (`None` reads the CSVs every time). Logs the gap count when there
/// are gaps.
pub fn load_candles(
    set: &CandleFiles,
    cache_dir: Option<&Path>,
) -> Result<Vec<Candle>, KlineError> {
    let klines = load_klines(set, cache_dir)?;
    if klines.gaps > 0 {
        tracing::warn!(
            gaps = klines.gaps,
            files = set.files.len(),
            symbol = %set.symbol,
            "kline series has gaps"
        );
    }
    Ok(klines.candles)
}

/// Loads kline files of one symbol (any order) into one series with its gap count; rejects
/// overlapping files.
pub fn load_klines(set: &CandleFiles, cache_dir: Option<&Path>) -> Result<Klines, KlineError> {
    let mut files = Vec::with_capacity(set.files.len());
    for path in &set.files {
        let candles = load_file(path, &set.symbol, cache_dir)?;
        if candles.is_empty() {
            return Err(KlineError::Empty { path: path.clone() });
        }
        files.push((path, candles));
    }
    files.sort_by_key(|(_, c)| c[0].open_time_ms);
    for pair in files.windows(2) {
        let (prev, next) = (&pair[0], &pair[1]);
        let prev_close_ms = prev.1[prev.1.len() - 1].close_time_ms;
        let first_open_ms = next.1[0].open_time_ms;
        if first_open_ms <= prev_close_ms {
            return Err(KlineError::Overlap {
                first: prev.0.clone(),
                second: next.0.clone(),
                prev_close_ms,
                first_open_ms,
            });
        }
    }
    let mut candles = Vec::with_capacity(files.iter().map(|(_, c)| c.len()).sum());
    for (_, c) in files {
        candles.extend(c);
    }
    let gaps = count_gaps(&candles);
    Ok(Klines {
        symbol: set.symbol.clone(),
        candles,
        gaps,
    })
}

/// Reads one file of `symbol`'s candles through the cache (when `cache_dir` is given); the
/// cache records the symbol, so one built for another symbol is rebuilt, never misread.
pub fn load_file(
    path: &Path,
    symbol: &Symbol,
    cache_dir: Option<&Path>,
) -> Result<Vec<Candle>, KlineError> {
    let bytes = std::fs::read(path).map_err(|source| KlineError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let Some(dir) = cache_dir else {
        return csv::parse(&bytes, path);
    };
    let key = cache::SourceKey::of(&bytes, symbol);
    let cache_path = cache::path_for(dir, path);
    match cache::read(&cache_path, &key) {
        Ok(candles) => return Ok(candles),
        Err(why) => tracing::debug!(cache = %cache_path.display(), %why, "rebuilding kline cache"),
    }
    let candles = csv::parse(&bytes, path)?;
    if let Err(e) = cache::write(&cache_path, &key, &candles) {
        tracing::warn!(cache = %cache_path.display(), error = %e, "could not write kline cache");
    }
    Ok(candles)
}

/// Checks one candle's own invariants (prices positive, OHLC consistent, times ordered).
pub(crate) fn check_candle(c: &Candle) -> Result<(), String> {
    if !c.low.is_positive() {
        return Err(format!("low {} must be positive", c.low));
    }
    if c.open < c.low || c.close < c.low || c.open > c.high || c.close > c.high {
        return Err(format!(
            "OHLC inconsistent: open {} high {} low {} close {}",
            c.open, c.high, c.low, c.close
        ));
    }
    if c.volume < Qty::ZERO {
        return Err(format!("volume {} must not be negative", c.volume));
    }
    if c.close_time_ms < c.open_time_ms {
        return Err(format!(
            "close time {} before open time {}",
            c.close_time_ms, c.open_time_ms
        ));
    }
    Ok(())
}

/// Counts the places where a candle opens later than the previous one closed (+1 ms).
pub fn count_gaps(candles: &[Candle]) -> usize {
    candles
        .windows(2)
        .filter(|w| w[1].open_time_ms > w[0].close_time_ms + 1)
        .count()
}

#[cfg(test)]
mod tests;
