//! What a Binance kline dump's file name says about its candles (pure string parsing).
//!
//! Binance names its dumps `SYMBOL-INTERVAL-YYYY-MM.csv` (monthly) and
//! `SYMBOL-INTERVAL-YYYY-MM-DD.csv` (daily), e.g. `FILUSDT-1m-2023-04.csv`; gzipped copies add
//! `.gz`. A name of any other shape tells nothing: the caller must be told the symbol, never
//! guess it from a fragment of the name.

use crate::core::symbol::Symbol;

/// The only interval the backtester and the simulated exchange replay.
pub const ONE_MINUTE: &str = "1m";

/// Binance's kline intervals, as they appear in dump names.
const INTERVALS: [&str; 16] = [
    "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w",
    "1mo",
];

/// The parts of a dump file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpName {
    /// The trading pair, e.g. `FILUSDT`.
    pub symbol: Symbol,
    /// The candle interval, e.g. `1m`.
    pub interval: String,
    /// `YYYY-MM` or `YYYY-MM-DD`.
    pub period: String,
}

/// Parses a file name (not a path) of Binance's dump shape; `None` when it is not one.
pub fn parse_dump_name(file_name: &str) -> Option<DumpName> {
    let stem = file_name
        .strip_suffix(".csv.gz")
        .or_else(|| file_name.strip_suffix(".csv"))?;
    let parts: Vec<&str> = stem.split('-').collect();
    let (symbol, interval, date) = match parts.as_slice() {
        [symbol, interval, date @ ..] if date.len() == 2 || date.len() == 3 => {
            (*symbol, *interval, date)
        }
        _ => return None,
    };
    let symbol_chars_ok = !symbol.chars().any(|c| {
        c.is_ascii_lowercase() || c.is_whitespace() || c.is_control() || c == '.' || c == '/'
    });
    if !symbol_chars_ok || !INTERVALS.contains(&interval) || !is_date(date) {
        return None;
    }
    Some(DumpName {
        symbol: Symbol::parse(symbol).ok()?,
        interval: interval.to_string(),
        period: date.join("-"),
    })
}

/// `[YYYY, MM]` or `[YYYY, MM, DD]` with a month 01–12 and a day 01–31.
fn is_date(parts: &[&str]) -> bool {
    let number = |s: &str, width: usize, max: u32| {
        s.len() == width
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|v| (1..=max).contains(&v))
    };
    match parts {
        [y, m] => number(y, 4, 9999) && number(m, 2, 12),
        [y, m, d] => number(y, 4, 9999) && number(m, 2, 12) && number(d, 2, 31),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbol_of(name: &str) -> Option<String> {
        parse_dump_name(name).map(|n| n.symbol.as_str().to_string())
    }

    #[test]
    fn monthly_and_daily_dumps_gzipped_or_plain_name_their_symbol() {
        for (name, symbol, period) in [
            ("FILUSDT-1m-2023-04.csv.gz", "FILUSDT", "2023-04"),
            ("FILUSDT-1m-2023-04.csv", "FILUSDT", "2023-04"),
            ("SOLUSDC-1m-2025-01-31.csv", "SOLUSDC", "2025-01-31"),
            ("NEARUSDT-1m-2023-10-01.csv.gz", "NEARUSDT", "2023-10-01"),
            ("1000SATSUSDT-1m-2024-02.csv", "1000SATSUSDT", "2024-02"),
            ("币安人生USDT-1m-2025-11.csv", "币安人生USDT", "2025-11"),
        ] {
            let parsed = parse_dump_name(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(parsed.symbol.as_str(), symbol, "{name}");
            assert_eq!(parsed.interval, "1m", "{name}");
            assert_eq!(parsed.period, period, "{name}");
        }
    }

    #[test]
    fn other_intervals_are_read_as_such() {
        let parsed = parse_dump_name("FILUSDT-5m-2023-04.csv").unwrap();
        assert_eq!(parsed.interval, "5m");
        assert_eq!(
            parse_dump_name("FILUSDT-1mo-2023-04.csv").unwrap().interval,
            "1mo"
        );
    }

    #[test]
    fn names_of_any_other_shape_tell_nothing() {
        for name in [
            "candles.csv",
            "FILUSDT.csv",
            "FILUSDT-1m.csv",
            "FILUSDT-1m-2023.csv",
            "FILUSDT-1m-2023-04.zip",
            "FILUSDT-1m-2023-04.csv.bak",
            "FILUSDT-1m-2023-04.txt",
            "FILUSDT-1m-2023-04 (1).csv",
            "filusdt-1m-2023-04.csv",
            "FILUSDT-2m-2023-04.csv",
            "FILUSDT-1m-2023-13.csv",
            "FILUSDT-1m-2023-00.csv",
            "FILUSDT-1m-2023-04-32.csv",
            "FILUSDT-1m-23-04.csv",
            "FILUSDT-1m-2023-04-01-02.csv",
            "-1m-2023-04.csv",
            "FIL-USDT-1m-2023-04.csv",
            "FIL USDT-1m-2023-04.csv",
            ".csv",
            "",
        ] {
            assert_eq!(symbol_of(name), None, "{name}");
        }
    }
}
