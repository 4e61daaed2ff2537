//! Kline files (Binance CSV dumps, plain or gzipped) and the binary kline cache.

use super::{assert_clear, config, input};
use crate::adapters::klines::{cache, csv, Candle};
use crate::core::money::{Price, Qty};
use crate::core::symbol::Symbol;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::io::{Read, Write};
use std::path::Path;

/// The first lines of every bundled kline file, plain and gzipped, plus the other shapes a
/// parser must accept (spot: no header, 8 decimals, µs times).
fn csv_seeds() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/klines");
    let mut seeds = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for path in names.iter().take(3) {
        let gz = std::fs::read(path).unwrap();
        let mut text = String::new();
        let _ = flate2::read::MultiGzDecoder::new(&gz[..])
            .take(1_500)
            .read_to_string(&mut text);
        let head: String = text.lines().take(6).collect::<Vec<_>>().join("\n");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(head.as_bytes()).unwrap();
        seeds.push(enc.finish().unwrap());
        seeds.push(head.into_bytes());
    }
    seeds.push(
        b"1735689600000000,3.56600000,3.57000000,3.50000000,3.51000000,1234.00000000,1735689659999999,4400.1,10,1,1,0\n\
          1735689660000000,3.51000000,3.52000000,3.49000000,3.50000000,0.50000000,1735689719999999,1.7,2,0,0,0\n"
            .to_vec(),
    );
    seeds
}

fn candle_from(parts: [(u32, u32, u32, bool, u32); 5], times: (i64, i64)) -> Candle {
    let d = |(lo, mid, hi, neg, scale): (u32, u32, u32, bool, u32)| {
        Decimal::from_parts(lo, mid, hi, neg, scale % 29)
    };
    Candle {
        open_time_ms: times.0,
        open: Price::new(d(parts[0])),
        high: Price::new(d(parts[1])),
        low: Price::new(d(parts[2])),
        close: Price::new(d(parts[3])),
        volume: Qty::new(d(parts[4])),
        close_time_ms: times.1,
    }
}

fn key() -> cache::SourceKey {
    cache::SourceKey::of(b"fuzz source", &Symbol::parse("FILUSDT").unwrap())
}

fn cache_seeds() -> Vec<Vec<u8>> {
    let ok = |t: i64| Candle {
        open_time_ms: t,
        open: Price::new(Decimal::new(3566, 3)),
        high: Price::new(Decimal::new(357, 2)),
        low: Price::new(Decimal::new(35, 1)),
        close: Price::new(Decimal::new(351, 2)),
        volume: Qty::new(Decimal::new(1234, 0)),
        close_time_ms: t + 59_999,
    };
    vec![
        cache::encode(&key(), &[]),
        cache::encode(&key(), &[ok(1_735_689_600_000)]),
        cache::encode(&key(), &[ok(1_735_689_600_000), ok(1_735_689_660_000)]),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_kline_csv(bytes in input(csv_seeds())) {
        match csv::parse(&bytes, Path::new("fuzz.csv")) {
            Ok(candles) => {
                for c in &candles {
                    prop_assert!(c.low <= c.high, "{c:?}");
                }
            }
            Err(e) => assert_clear(&e),
        }
    }

    #[test]
    fn fuzz_kline_cache_bytes(bytes in input(cache_seeds())) {
        if let Err(e) = cache::decode(&bytes, &key()) {
            assert_clear(&e);
        }
    }

    #[test]
    fn fuzz_kline_cache_records(
        rows in proptest::collection::vec(
            (any::<[(u32, u32, u32, bool, u32); 5]>(), any::<(i64, i64)>()),
            0..4,
        )
    ) {
        // Odd records behind a valid header and checksum: every record check is reached.
        let candles: Vec<Candle> = rows.into_iter().map(|(p, t)| candle_from(p, t)).collect();
        match cache::decode(&cache::encode(&key(), &candles), &key()) {
            Ok(back) => prop_assert_eq!(back, candles),
            Err(e) => assert_clear(&e),
        }
    }
}
