//! Binary cache of one kline file: fixed 96-byte records behind a 156-byte header.
//!
//! Layout (all integers little-endian):
//!
//! | offset | size | field                                                   |
//! |--------|------|---------------------------------------------------------|
//! | 0      | 8    | magic `BTKLINES`                                        |
//! | 8      | 4    | format version (`2`; version 1 had no symbol)           |
//! | 12     | 4    | record size (`96`)                                      |
//! | 16     | 8    | source file length in bytes                             |
//! | 24     | 32   | SHA-256 of the source file's bytes                      |
//! | 56     | 8    | record count                                            |
//! | 64     | 8    | checksum of the records (see [`checksum`])              |
//! | 72     | 4    | symbol length in bytes (1–80)                           |
//! | 76     | 80   | symbol, UTF-8, zero-padded                              |
//! | 156    | 96×n | records: open ms i64, close ms i64, then open, high, low, close, volume as `Decimal::serialize()` (16 bytes each) |
//!
//! A cache is used only if magic, version, record size, source length and hash and symbol all
//! match, the file length equals header + count × 96, the checksum matches, every decimal's
//! flag bytes are valid and every candle passes the same checks as a CSV row. Anything else
//! (a version 1 file too): rebuild.
//! Files are written to a temporary name in the same directory, synced, then renamed, so a
//! reader never sees a half-written cache.

use super::{check_candle, Candle};
use crate::core::money::{Price, Qty};
use crate::core::symbol::Symbol;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const MAGIC: [u8; 8] = *b"BTKLINES";
const VERSION: u32 = 2;
/// Bytes reserved for the symbol: 20 characters of up to 4 UTF-8 bytes each.
const SYMBOL_BYTES: usize = 80;
/// Where the symbol's length sits; the symbol follows it.
const SYMBOL_AT: usize = 72;
/// Header size; the records start here.
pub const HEADER: usize = SYMBOL_AT + 4 + SYMBOL_BYTES;
const RECORD: usize = 96;

/// What identifies the source a cache was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceKey {
    /// Source length in bytes.
    pub len: u64,
    /// SHA-256 of the source bytes.
    pub sha256: [u8; 32],
    /// The symbol the candles are of.
    pub symbol: Symbol,
}

impl SourceKey {
    /// The key of a source file's bytes holding `symbol`'s candles.
    pub fn of(bytes: &[u8], symbol: &Symbol) -> Self {
        Self {
            len: bytes.len() as u64,
            sha256: Sha256::digest(bytes).into(),
            symbol: symbol.clone(),
        }
    }
}

/// The cache file for `source` in `dir`: the source's file name plus a hash of its full path,
/// so equally named files in different folders do not evict each other.
pub fn path_for(dir: &Path, source: &Path) -> PathBuf {
    let full = std::fs::canonicalize(source).unwrap_or_else(|_| source.to_path_buf());
    let path_hash = Sha256::digest(full.to_string_lossy().as_bytes());
    let name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "klines".into());
    dir.join(format!("{name}.{}.klc", hex::encode(&path_hash[..8])))
}

/// Loads a cache if it is valid for `key`; otherwise says why not.
pub fn read(path: &Path, key: &SourceKey) -> Result<Vec<Candle>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("unreadable: {e}"))?;
    decode(&bytes, key)
}

/// Decodes and verifies a cache image.
pub fn decode(bytes: &[u8], key: &SourceKey) -> Result<Vec<Candle>, String> {
    if bytes.len() < HEADER {
        return Err("shorter than its header".into());
    }
    let (header, payload) = bytes.split_at(HEADER);
    let u32_at = |o: usize| u32::from_le_bytes(header[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(header[o..o + 8].try_into().unwrap());
    if header[0..8] != MAGIC || u32_at(8) != VERSION || u32_at(12) != RECORD as u32 {
        return Err(format!("not a version {VERSION} kline cache"));
    }
    if u64_at(16) != key.len || header[24..56] != key.sha256 {
        return Err("source changed".into());
    }
    let cached = symbol_in(header)?;
    if cached != key.symbol.as_str() {
        return Err(format!("built for symbol {cached}, not {}", key.symbol));
    }
    let count = u64_at(56);
    if Some(payload.len() as u64) != count.checked_mul(RECORD as u64) {
        return Err(format!(
            "{} record bytes for {count} records",
            payload.len()
        ));
    }
    if checksum(payload) != u64_at(64) {
        return Err("checksum mismatch".into());
    }
    let mut candles = Vec::with_capacity(payload.len() / RECORD);
    let mut prev_open = i64::MIN;
    for (i, r) in payload.chunks_exact(RECORD).enumerate() {
        let candle = Candle {
            open_time_ms: i64::from_le_bytes(r[0..8].try_into().unwrap()),
            close_time_ms: i64::from_le_bytes(r[8..16].try_into().unwrap()),
            open: Price::new(dec_at(r, 16)?),
            high: Price::new(dec_at(r, 32)?),
            low: Price::new(dec_at(r, 48)?),
            close: Price::new(dec_at(r, 64)?),
            volume: Qty::new(dec_at(r, 80)?),
        };
        if candle.open_time_ms <= prev_open {
            return Err(format!("record {i}: open time not increasing"));
        }
        check_candle(&candle).map_err(|m| format!("record {i}: {m}"))?;
        prev_open = candle.open_time_ms;
        candles.push(candle);
    }
    Ok(candles)
}

/// The symbol recorded in a header: its length in range, UTF-8, zero padding after it.
fn symbol_in(header: &[u8]) -> Result<&str, String> {
    let len = u32::from_le_bytes(header[SYMBOL_AT..SYMBOL_AT + 4].try_into().unwrap()) as usize;
    let field = &header[SYMBOL_AT + 4..HEADER];
    if len == 0 || len > SYMBOL_BYTES || field[len..].iter().any(|&b| b != 0) {
        return Err("invalid symbol field".into());
    }
    std::str::from_utf8(&field[..len]).map_err(|_| "invalid symbol field".into())
}

/// Reads the decimal at `offset`, rejecting flag bytes `Decimal::serialize` never writes.
fn dec_at(record: &[u8], offset: usize) -> Result<Decimal, String> {
    let b: [u8; 16] = record[offset..offset + 16].try_into().unwrap();
    if b[0] != 0 || b[1] != 0 || b[2] > 28 || b[3] & 0x7f != 0 {
        return Err("invalid decimal".into());
    }
    Ok(Decimal::deserialize(b))
}

/// Encodes candles into a cache image for `key`.
pub fn encode(key: &SourceKey, candles: &[Candle]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(candles.len() * RECORD);
    for c in candles {
        payload.extend_from_slice(&c.open_time_ms.to_le_bytes());
        payload.extend_from_slice(&c.close_time_ms.to_le_bytes());
        for d in [
            c.open.get(),
            c.high.get(),
            c.low.get(),
            c.close.get(),
            c.volume.get(),
        ] {
            payload.extend_from_slice(&d.serialize());
        }
    }
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(RECORD as u32).to_le_bytes());
    out.extend_from_slice(&key.len.to_le_bytes());
    out.extend_from_slice(&key.sha256);
    out.extend_from_slice(&(candles.len() as u64).to_le_bytes());
    out.extend_from_slice(&checksum(&payload).to_le_bytes());
    let symbol = key.symbol.as_str().as_bytes();
    out.extend_from_slice(&(symbol.len() as u32).to_le_bytes());
    let mut field = [0u8; SYMBOL_BYTES];
    field[..symbol.len()].copy_from_slice(symbol);
    out.extend_from_slice(&field);
    out.extend_from_slice(&payload);
    out
}

/// Writes a cache atomically: temporary file in the same directory, fsync, rename.
pub fn write(path: &Path, key: &SourceKey, candles: &[Candle]) -> std::io::Result<()> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}-{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&encode(key, candles))?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// FNV-1a over little-endian 8-byte words (the payload is always a multiple of 8 bytes).
/// Every step is a bijection of the running state, so any single changed word changes it.
pub fn checksum(payload: &[u8]) -> u64 {
    payload.chunks_exact(8).fold(0xcbf2_9ce4_8422_2325, |h, w| {
        (h ^ u64::from_le_bytes(w.try_into().unwrap())).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
