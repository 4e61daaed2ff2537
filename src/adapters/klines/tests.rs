use super::*;
use crate::core::money::Price;
use flate2::write::GzEncoder;
use flate2::Compression;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::io::Write;
use tempfile::TempDir;

/// (open ms, open, high, low, close, volume) of a small series with one gap after the third.
const ROWS: [(i64, &str, &str, &str, &str, &str); 4] = [
    (1_735_689_600_000, "3.566", "3.57", "3.5", "3.51", "1234"),
    (1_735_689_660_000, "3.51", "3.52", "3.49", "3.5", "0.5"),
    (1_735_689_720_000, "3.5", "3.5", "3.5", "3.5", "0"),
    (1_735_689_840_000, "3.5", "3.61", "3.45", "3.6", "77.25"),
];

#[derive(Clone, Copy)]
enum Shape {
    /// USDⓈ-M futures dump: header, ms, short decimals.
    Futures,
    /// Spot dump before 2025: no header, ms, 8 decimals.
    SpotMs,
    /// Spot dump since 2025: no header, µs, 8 decimals.
    SpotMicros,
}

fn wide(v: &str) -> String {
    format!("{:.8}", v.parse::<Decimal>().unwrap())
}

fn csv_text(shape: Shape) -> String {
    let mut out = String::new();
    if let Shape::Futures = shape {
        out.push_str("open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n");
    }
    for (t, o, h, l, c, v) in ROWS {
        let (t, close_t) = match shape {
            Shape::SpotMicros => (t * 1000, (t + 60_000) * 1000 - 1),
            _ => (t, t + 59_999),
        };
        let f = |s: &str| match shape {
            Shape::Futures => s.to_string(),
            _ => wide(s),
        };
        out.push_str(&format!(
            "{t},{},{},{},{},{},{close_t},100.5,42,{},50.25,0\n",
            f(o),
            f(h),
            f(l),
            f(c),
            f(v),
            f(v)
        ));
    }
    out
}

fn fil() -> Symbol {
    Symbol::parse("FILUSDT").unwrap()
}

/// Test files of FILUSDT, whatever their names.
fn set(files: &[PathBuf]) -> CandleFiles {
    CandleFiles {
        symbol: fil(),
        files: files.to_vec(),
    }
}

fn gzip(text: &str) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap()
}

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn expected() -> Vec<Candle> {
    ROWS.iter()
        .map(|&(t, o, h, l, c, v)| Candle {
            open_time_ms: t,
            open: Price::parse(o).unwrap(),
            high: Price::parse(h).unwrap(),
            low: Price::parse(l).unwrap(),
            close: Price::parse(c).unwrap(),
            volume: Qty::parse(v).unwrap(),
            close_time_ms: t + 59_999,
        })
        .collect()
}

/// Byte-level identity: same values *and* same decimal scale.
fn bits(candles: &[Candle]) -> Vec<[u8; 16]> {
    candles
        .iter()
        .flat_map(|c| {
            [
                c.open.get(),
                c.high.get(),
                c.low.get(),
                c.close.get(),
                c.volume.get(),
            ]
        })
        .map(|d| d.serialize())
        .collect()
}

#[test]
fn all_shapes_gzipped_or_plain_give_identical_candles() {
    let dir = TempDir::new().unwrap();
    let want = expected();
    for (label, shape) in [
        ("futures", Shape::Futures),
        ("spot-ms", Shape::SpotMs),
        ("spot-us", Shape::SpotMicros),
    ] {
        let text = csv_text(shape);
        for (suffix, bytes) in [("csv", text.clone().into_bytes()), ("csv.gz", gzip(&text))] {
            let path = write(&dir, &format!("{label}.{suffix}"), &bytes);
            let got = load_file(&path, &fil(), None).unwrap();
            assert_eq!(got, want, "{label}.{suffix}");
            assert_eq!(
                bits(&got),
                bits(&want),
                "{label}.{suffix}: decimal scale differs"
            );
        }
    }
}

#[test]
fn cache_round_trip_equals_the_csv_parse() {
    let dir = TempDir::new().unwrap();
    let cache_dir = dir.path().join("cache");
    let source = write(&dir, "X-1m.csv.gz", &gzip(&csv_text(Shape::SpotMicros)));
    let first = load_file(&source, &fil(), Some(&cache_dir)).unwrap();
    let key = cache::SourceKey::of(&std::fs::read(&source).unwrap(), &fil());
    let cached = cache::read(&cache::path_for(&cache_dir, &source), &key).unwrap();
    assert_eq!(bits(&cached), bits(&first));
    assert_eq!(cached, first);
    assert_eq!(load_file(&source, &fil(), Some(&cache_dir)).unwrap(), first);
    let names: Vec<_> = std::fs::read_dir(&cache_dir).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary files left behind");
}

#[test]
fn the_cache_records_the_symbol_and_one_of_another_symbol_is_rebuilt() {
    let dir = TempDir::new().unwrap();
    let cache_dir = dir.path().join("cache");
    let source = write(&dir, "candles.csv", csv_text(Shape::SpotMs).as_bytes());
    let cache_path = cache::path_for(&cache_dir, &source);
    let as_fil = load_file(&source, &fil(), Some(&cache_dir)).unwrap();
    let image = std::fs::read(&cache_path).unwrap();
    assert_eq!(&image[72..76], &7u32.to_le_bytes());
    assert_eq!(&image[76..83], b"FILUSDT");

    let near = Symbol::parse("NEARUSDT").unwrap();
    let bytes = std::fs::read(&source).unwrap();
    assert_eq!(
        cache::read(&cache_path, &cache::SourceKey::of(&bytes, &near)).unwrap_err(),
        "built for symbol FILUSDT, not NEARUSDT"
    );
    assert_eq!(load_file(&source, &near, Some(&cache_dir)).unwrap(), as_fil);
    let rebuilt = std::fs::read(&cache_path).unwrap();
    assert_eq!(
        &rebuilt[76..84],
        b"NEARUSDT",
        "rewritten for the symbol now given"
    );
    assert!(cache::read(&cache_path, &cache::SourceKey::of(&bytes, &fil())).is_err());
}

#[test]
fn a_changed_source_invalidates_the_cache() {
    let dir = TempDir::new().unwrap();
    let cache_dir = dir.path().join("cache");
    let source = write(&dir, "X.csv", csv_text(Shape::Futures).as_bytes());
    load_file(&source, &fil(), Some(&cache_dir)).unwrap();
    // Same length, different content: only the hash can tell.
    let changed = csv_text(Shape::Futures).replace(",3.6,77.25,", ",3.5,77.25,");
    assert_eq!(changed.len(), csv_text(Shape::Futures).len());
    std::fs::write(&source, &changed).unwrap();
    let key = cache::SourceKey::of(changed.as_bytes(), &fil());
    let cache_path = cache::path_for(&cache_dir, &source);
    assert_eq!(
        cache::read(&cache_path, &key).unwrap_err(),
        "source changed"
    );
    let reloaded = load_file(&source, &fil(), Some(&cache_dir)).unwrap();
    assert_eq!(reloaded[3].close, Price::new(dec!(3.5)));
    assert_eq!(cache::read(&cache_path, &key).unwrap(), reloaded);
}

#[test]
fn a_truncated_or_corrupt_cache_is_rebuilt() {
    let dir = TempDir::new().unwrap();
    let cache_dir = dir.path().join("cache");
    let source = write(&dir, "X.csv", csv_text(Shape::SpotMs).as_bytes());
    let want = load_file(&source, &fil(), Some(&cache_dir)).unwrap();
    let key = cache::SourceKey::of(&std::fs::read(&source).unwrap(), &fil());
    let cache_path = cache::path_for(&cache_dir, &source);
    let good = std::fs::read(&cache_path).unwrap();
    let reseal = |mut image: Vec<u8>| {
        let sum = cache::checksum(&image[cache::HEADER..]);
        image[64..72].copy_from_slice(&sum.to_le_bytes());
        image
    };
    type Damage = fn(&mut Vec<u8>);
    // (label, damage, recompute the checksum so deeper checks are reached, expected reason)
    let cases: [(&str, Damage, bool, &str); 8] = [
        ("empty", |b| b.clear(), false, "shorter than its header"),
        // The previous format: the same fields without the symbol.
        (
            "version 1 file",
            |b| {
                b.drain(72..cache::HEADER);
                b[8..12].copy_from_slice(&1u32.to_le_bytes());
            },
            false,
            "not a version 2",
        ),
        (
            "symbol padding not zero",
            |b| b[cache::HEADER - 1] = b'X',
            false,
            "invalid symbol field",
        ),
        (
            "cut mid-record",
            |b| b.truncate(b.len() - 10),
            false,
            "record bytes",
        ),
        ("wrong magic", |b| b[0] = b'X', false, "not a version 2"),
        (
            "flipped payload bit",
            |b| b[cache::HEADER + 20] ^= 1,
            false,
            "checksum mismatch",
        ),
        (
            "bad decimal flags",
            |b| b[cache::HEADER + 16] = 0xff,
            true,
            "invalid decimal",
        ),
        // Swap the first candle's high (offset 32) and low (offset 48).
        (
            "inconsistent OHLC",
            |b| {
                let (high, low) = (cache::HEADER + 32, cache::HEADER + 48);
                let h: Vec<u8> = b[high..high + 16].to_vec();
                b.copy_within(low..low + 16, high);
                b[low..low + 16].copy_from_slice(&h);
            },
            true,
            "OHLC inconsistent",
        ),
    ];
    for (label, damage, resealed, why) in cases {
        let mut image = good.clone();
        damage(&mut image);
        let image = if resealed { reseal(image) } else { image };
        std::fs::write(&cache_path, &image).unwrap();
        let err = cache::read(&cache_path, &key).unwrap_err();
        assert!(err.contains(why), "{label}: `{err}` lacks `{why}`");
        assert_eq!(
            load_file(&source, &fil(), Some(&cache_dir)).unwrap(),
            want,
            "{label}"
        );
        assert_eq!(
            std::fs::read(&cache_path).unwrap(),
            good,
            "{label}: cache rewritten"
        );
    }
}

#[test]
fn an_unwritable_cache_dir_is_not_fatal() {
    let dir = TempDir::new().unwrap();
    let source = write(&dir, "X.csv", csv_text(Shape::SpotMs).as_bytes());
    let not_a_dir = write(&dir, "cache", b"a file");
    assert_eq!(
        load_file(&source, &fil(), Some(&not_a_dir)).unwrap(),
        expected()
    );
}

#[test]
fn bad_rows_give_errors_naming_file_and_line() {
    let good = "1700000000000,1,2,0.5,1.5,10,1700000059999,0,0,0,0,0";
    let cases = [
        (
            "price not a number",
            "1700000060000,1,2,O.5,1.5,10,1700000119999,0,0,0,0,0",
            2,
            "low `O.5` is not a decimal number",
        ),
        (
            "too few columns",
            "1700000060000,1,2,0.5,1.5,10,1700000119999",
            2,
            "7 columns, expected 12",
        ),
        (
            "too many columns",
            "1700000060000,1,2,0.5,1.5,10,1700000119999,0,0,0,0,0,0",
            2,
            "13 columns, expected 12",
        ),
        (
            "missing close time",
            "1700000060000,1,2,0.5,1.5,10",
            2,
            "missing column close_time",
        ),
        (
            "low above open",
            "1700000060000,1,2,1.2,1.5,10,1700000119999,0,0,0,0,0",
            2,
            "OHLC inconsistent",
        ),
        (
            "close above high",
            "1700000060000,1,2,0.5,2.5,10,1700000119999,0,0,0,0,0",
            2,
            "OHLC inconsistent",
        ),
        (
            "zero price",
            "1700000060000,0,0,0,0,10,1700000119999,0,0,0,0,0",
            2,
            "low 0 must be positive",
        ),
        (
            "negative volume",
            "1700000060000,1,2,0.5,1.5,-1,1700000119999,0,0,0,0,0",
            2,
            "volume -1 must not be negative",
        ),
        (
            "repeated open time",
            good,
            2,
            "not after the previous row's",
        ),
        (
            "close before open",
            "1700000060000,1,2,0.5,1.5,10,1700000000000,0,0,0,0,0",
            2,
            "before open time",
        ),
        (
            "time not an integer",
            "17e11,1,2,0.5,1.5,10,1700000119999,0,0,0,0,0",
            2,
            "open_time `17e11` is not an integer timestamp",
        ),
        (
            "header below line 1",
            "open_time,open,high,low,close,volume,close_time,a,b,c,d,e",
            2,
            "open_time `open_time`",
        ),
    ];
    let dir = TempDir::new().unwrap();
    for (label, bad, line, part) in cases {
        let path = write(&dir, "bad.csv", format!("{good}\n{bad}\n").as_bytes());
        let err = load_file(&path, &fil(), None).unwrap_err().to_string();
        let place = format!("{}:{line}: ", path.display());
        assert!(
            err.starts_with(&place),
            "{label}: `{err}` does not start with `{place}`"
        );
        assert!(err.contains(part), "{label}: `{err}` lacks `{part}`");
    }
}

#[test]
fn truncated_gzip_and_empty_files_are_errors() {
    let dir = TempDir::new().unwrap();
    let gz = gzip(&csv_text(Shape::Futures));
    let cut = write(&dir, "cut.csv.gz", &gz[..gz.len() / 2]);
    let err = load_file(&cut, &fil(), None).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}:", cut.display())), "{err}");
    let header_only = write(
        &dir,
        "empty.csv",
        b"open_time,open,high,low,close,volume,close_time,a,b,c,d,e\n",
    );
    assert!(matches!(
        load_klines(&set(&[header_only]), None),
        Err(KlineError::Empty { .. })
    ));
}

#[test]
fn files_concatenate_in_time_order_and_overlaps_are_rejected() {
    let dir = TempDir::new().unwrap();
    let row = |t: i64| format!("{t},1,2,0.5,1.5,10,{},0,0,0,0,0\n", t + 59_999);
    let early = write(&dir, "a.csv", (row(0) + &row(60_000)).as_bytes());
    let late = write(&dir, "b.csv", (row(180_000) + &row(240_000)).as_bytes());
    let overlapping = write(&dir, "c.csv", row(60_000).as_bytes());
    let k = load_klines(&set(&[late.clone(), early.clone()]), None).unwrap();
    let opens: Vec<i64> = k.candles.iter().map(|c| c.open_time_ms).collect();
    assert_eq!(opens, [0, 60_000, 180_000, 240_000]);
    assert_eq!(k.gaps, 1, "the missing 120 000 candle between the files");
    let err = load_klines(&set(&[early, late, overlapping]), None).unwrap_err();
    assert!(
        matches!(
            err,
            KlineError::Overlap {
                first_open_ms: 60_000,
                prev_close_ms: 119_999,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(count_gaps(&expected()), 1);
}

#[test]
fn bundled_filusdt_april_2023_loads_43200_candles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = root.join("data/klines/FILUSDT-1m-2023-04.csv.gz");
    let cache_dir = TempDir::new().unwrap();
    let k = load_klines(&set(std::slice::from_ref(&source)), Some(cache_dir.path())).unwrap();
    assert_eq!(k.candles.len(), 43_200);
    assert_eq!(k.gaps, 0);
    // First and last rows of the file, as printed there.
    let first = Candle {
        open_time_ms: 1_680_307_200_000,
        open: Price::new(dec!(5.685)),
        high: Price::new(dec!(5.695)),
        low: Price::new(dec!(5.684)),
        close: Price::new(dec!(5.692)),
        volume: Qty::new(dec!(28753.6)),
        close_time_ms: 1_680_307_259_999,
    };
    let last = Candle {
        open_time_ms: 1_682_899_140_000,
        open: Price::new(dec!(5.420)),
        high: Price::new(dec!(5.424)),
        low: Price::new(dec!(5.409)),
        close: Price::new(dec!(5.414)),
        volume: Qty::new(dec!(112970.2)),
        close_time_ms: 1_682_899_199_999,
    };
    assert_eq!(k.candles[0], first);
    assert_eq!(k.candles[43_199], last);
    let again = load_candles(&set(&[source]), Some(cache_dir.path())).unwrap();
    assert_eq!(
        again, k.candles,
        "second load (from the cache) is identical"
    );
}
