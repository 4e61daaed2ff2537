//! Exact, strict TOML reading.
//!
//! The `toml` crate hands a TOML float to serde as a binary float, so `0.1` would only come
//! back as a decimal by way of the float's shortest text, and a value such as
//! `0.12345678901234567891` would lose digits. We parse the document into `toml`'s spanned
//! tree first, replace every float by a string holding its *source text* (underscores already
//! removed by the parser), and deserialize that tree: `Decimal` reads strings exactly. Strings
//! and integers are accepted unchanged, so `tp1_pct = 1.5`, `"1.5"` and `2` all work.
//!
//! Errors carry the key path (tracked by `serde_path_to_error`) and the line and column of the
//! offending value.

use super::ConfigError;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A float we rewrote as text: where it was and how it was written.
struct Rewritten {
    span: Range<usize>,
    text: String,
}

/// Parses `text` into `T` with floats read exactly.
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, ConfigError> {
    let mut root = DeTable::parse(text).map_err(|e| located(text, String::new(), &e))?;
    let mut rewritten = Vec::new();
    for (_, value) in root.get_mut().iter_mut() {
        floats_to_text(value, &mut rewritten);
    }
    let deserializer = toml::de::Deserializer::from(root);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let mut err = located(text, path, e.inner());
        if let (ConfigError::Toml { message, .. }, Some(span)) = (&mut err, e.inner().span()) {
            // Say "float" where the user wrote a float, not the string we turned it into.
            if let Some(r) = rewritten.iter().find(|r| r.span == span) {
                *message = message.replace(
                    &format!("string \"{}\"", r.text),
                    &format!("float `{}`", r.text),
                );
            }
        }
        err
    })
}

fn floats_to_text<'i>(value: &mut Spanned<DeValue<'i>>, rewritten: &mut Vec<Rewritten>) {
    let span = value.span();
    match value.get_mut() {
        v @ DeValue::Float(_) => {
            let DeValue::Float(f) = &*v else { return };
            let text = f.as_str().to_string();
            *v = DeValue::String(Cow::Owned(text.clone()));
            rewritten.push(Rewritten { span, text });
        }
        DeValue::Array(items) => {
            for item in items.iter_mut() {
                floats_to_text(item, rewritten);
            }
        }
        DeValue::Table(table) => {
            for (_, item) in table.iter_mut() {
                floats_to_text(item, rewritten);
            }
        }
        DeValue::String(_) | DeValue::Integer(_) | DeValue::Boolean(_) | DeValue::Datetime(_) => {}
    }
}

fn located(text: &str, path: String, e: &toml::de::Error) -> ConfigError {
    let (line, column) = match e.span() {
        Some(span) => {
            let (l, c) = line_column(text, span.start);
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    ConfigError::Toml {
        path,
        message: e.message().trim_end().to_string(),
        line,
        column,
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}
