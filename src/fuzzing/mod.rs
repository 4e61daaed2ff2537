//! Fuzzing the parsers that outside input reaches (issue 12): arbitrary bytes, and valid
//! inputs mutated byte-wise, token-wise and (for JSON) value-wise. Every input must give a
//! result or a clear error, never a panic. Proptest drives it (stable Rust, shrinking).
//!
//! `FUZZ_CASES` sets the inputs per parser (default [`DEFAULT_CASES`], what CI runs); the
//! README records the largest run. Targets: `fuzzing::configs`, `fuzzing::klines`,
//! `adapters::binance::rest::fuzz` (every response the client parses, and error answers),
//! `adapters::sim::server::routes::fuzz` (request parameters, signatures, every endpoint).
//! Run them all with `cargo test --lib fuzz`.

mod configs;
mod klines;

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

/// Inputs per parser when `FUZZ_CASES` is not set.
pub const DEFAULT_CASES: u32 = 2_000;

/// Inputs per parser for this run.
pub fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// Proptest settings for a fuzz target: [`cases`] inputs, no regression files (a failure is
/// fixed and pinned by a named test instead).
pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 4_096,
        ..ProptestConfig::default()
    }
}

/// Tokens that break parsers: delimiters, extreme numbers, odd text.
const TOKENS: &[&str] = &[
    "\"",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "=",
    "\n",
    "\\",
    "'",
    "#",
    ".",
    "-",
    "+",
    "e",
    "null",
    "true",
    "0",
    "-0",
    "-1",
    "1e400",
    "-1e400",
    "1e-400",
    "NaN",
    "inf",
    "0x10",
    "18446744073709551616",
    "9223372036854775808",
    "-9223372036854775809",
    "79228162514264337593543950336",
    "0.0000000000000000000000000000001",
    "1_000",
    "\u{0}",
    "é",
    "\u{202e}",
    "\"\"\"",
    "[[",
    "]]",
    "{}",
    "[]",
    "''",
    "%",
    "%zz",
    "&",
    "&&",
    "==",
];

/// JSON values that break readers of Binance JSON.
fn tricky_values() -> Vec<Value> {
    serde_json::from_str(
        r#"[null, true, false, 0, -1, 1.5, 18446744073709551615, -9223372036854775808,
            1e308, -1e308, "", "0", "-0", "-1", "1e400", "NaN", "abc", "é",
            "79228162514264337593543950336", "0.00000000000000000000000000000001",
            "-0.00000001", " 1", "1 ", [], {}, [1, 2], {"code": -1}]"#,
    )
    .expect("valid JSON")
}

/// One edit of a mutated input.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Flip one bit.
    Flip(Index, u8),
    /// Insert one byte.
    Insert(Index, u8),
    /// Delete up to 16 bytes.
    Delete(Index, u8),
    /// Insert a token from [`TOKENS`].
    Token(Index, Index),
    /// Copy a chunk elsewhere.
    Splice(Index, Index, u8),
    /// Cut the input here.
    Truncate(Index),
    /// Replace the right-hand side of one `key = value` line (TOML) with a token.
    Rhs(Index, Index),
    /// Replace one JSON value (any depth) with a tricky one.
    Json(Index, Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<Index>(), any::<Index>()).prop_map(|(i, t)| Edit::Token(i, t)),
        (any::<Index>(), any::<Index>(), any::<u8>()).prop_map(|(a, b, n)| Edit::Splice(a, b, n)),
        any::<Index>().prop_map(Edit::Truncate),
        (any::<Index>(), any::<Index>()).prop_map(|(l, t)| Edit::Rhs(l, t)),
        (any::<Index>(), any::<Index>()).prop_map(|(n, v)| Edit::Json(n, v)),
    ]
}

fn at(i: &Index, len: usize) -> usize {
    if len == 0 {
        0
    } else {
        i.index(len + 1)
    }
}

/// Every node of a JSON document, as JSON pointers.
fn pointers(v: &Value, here: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                pointers(
                    child,
                    format!("{here}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(here);
}

/// Applies `edits` to `seed`.
pub fn mutate(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for e in edits {
        match e {
            Edit::Flip(i, bit) if !b.is_empty() => {
                let p = i.index(b.len());
                b[p] ^= 1 << (bit % 8);
            }
            Edit::Insert(i, byte) => {
                let p = at(i, b.len());
                b.insert(p, *byte);
            }
            Edit::Delete(i, n) if !b.is_empty() => {
                let p = i.index(b.len());
                let end = (p + usize::from(n % 16) + 1).min(b.len());
                b.drain(p..end);
            }
            Edit::Token(i, t) => {
                let p = at(i, b.len());
                let tok = TOKENS[t.index(TOKENS.len())].as_bytes();
                b.splice(p..p, tok.iter().copied());
            }
            Edit::Splice(from, to, n) if !b.is_empty() => {
                let p = from.index(b.len());
                let end = (p + usize::from(*n) + 1).min(b.len());
                let chunk = b[p..end].to_vec();
                let q = at(to, b.len());
                b.splice(q..q, chunk);
            }
            Edit::Truncate(i) => {
                let p = at(i, b.len());
                b.truncate(p);
            }
            Edit::Rhs(line, t) => {
                let text = String::from_utf8_lossy(&b).into_owned();
                let lines: Vec<&str> = text.lines().collect();
                let with_eq: Vec<usize> = (0..lines.len())
                    .filter(|&n| lines[n].contains('='))
                    .collect();
                if with_eq.is_empty() {
                    continue;
                }
                let n = with_eq[line.index(with_eq.len())];
                let key = lines[n].split('=').next().unwrap_or("");
                let tok = TOKENS[t.index(TOKENS.len())];
                let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                out[n] = format!("{key}= {tok}");
                b = out.join("\n").into_bytes();
            }
            Edit::Json(node, value) => {
                let Ok(mut doc) = serde_json::from_slice::<Value>(&b) else {
                    continue;
                };
                let mut all = Vec::new();
                pointers(&doc, String::new(), &mut all);
                let tricky = tricky_values();
                let replacement = tricky[value.index(tricky.len())].clone();
                let target = &all[node.index(all.len())];
                match doc.pointer_mut(target) {
                    Some(slot) => *slot = replacement,
                    None => continue,
                }
                b = serde_json::to_vec(&doc).unwrap_or_default();
            }
            _ => {}
        }
    }
    b
}

/// Arbitrary bytes (a quarter of the inputs), or a seed of `corpus` under up to 8 edits.
pub fn input(corpus: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    assert!(!corpus.is_empty());
    let mutated = (
        proptest::sample::select(corpus),
        proptest::collection::vec(edit(), 0..8),
    )
        .prop_map(|(seed, edits)| mutate(&seed, &edits));
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..512),
        3 => mutated,
    ]
}

/// The same as text (lossy), for parsers of `&str`.
pub fn text_input(corpus: Vec<Vec<u8>>) -> impl Strategy<Value = String> {
    input(corpus).prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// A readable error: says something, and not only whitespace.
pub fn assert_clear(error: &dyn std::fmt::Display) {
    let text = error.to_string();
    assert!(!text.trim().is_empty(), "an error without a message");
}

/// Files of the repository, for seeds.
pub fn repo_file(path: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn json_edits_keep_json(node in any::<Index>(), value in any::<Index>()) {
            let seed = br#"{"a": {"b": [1, "2"]}, "c": "x"}"#;
            let out = mutate(seed, &[Edit::Json(node, value)]);
            prop_assert!(serde_json::from_slice::<Value>(&out).is_ok());
        }
    }
}
