//! Backend-neutral bind values and row access, so every query is written once.
//!
//! SQLite stores money as canonical decimal text, PostgreSQL as `NUMERIC`; both read back as
//! a normalized [`Decimal`] (no trailing zeros), so values compare equal to what was written.

use crate::ports::store::StoreError;
use rust_decimal::Decimal;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use std::str::FromStr;

/// One bind parameter.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// An integer (ids, times, counts).
    Int(Option<i64>),
    /// Text (names, enums as their wire names, JSON).
    Text(Option<String>),
    /// Money.
    Dec(Option<Decimal>),
    /// A flag.
    Bool(bool),
}

impl Arg {
    pub(crate) fn int(v: impl Into<i64>) -> Self {
        Arg::Int(Some(v.into()))
    }
    pub(crate) fn text(v: impl Into<String>) -> Self {
        Arg::Text(Some(v.into()))
    }
    pub(crate) fn dec(v: Decimal) -> Self {
        Arg::Dec(Some(v))
    }
}

/// Converts an exchange id (u64) to the BIGINT column type.
pub(crate) fn id_to_i64(id: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(id).map_err(|_| StoreError::Database(format!("{what} {id} exceeds BIGINT")))
}

fn corrupt(col: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("column {col}: {e}"))
}

/// Typed access to one result row, whatever the backend.
pub(crate) trait RowGet {
    /// A nullable integer.
    fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError>;
    /// A nullable text.
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError>;
    /// A nullable decimal, normalized.
    fn opt_dec(&self, col: &str) -> Result<Option<Decimal>, StoreError>;
    /// A flag.
    fn boolean(&self, col: &str) -> Result<bool, StoreError>;

    /// A non-null integer.
    fn int(&self, col: &str) -> Result<i64, StoreError> {
        self.opt_int(col)?
            .ok_or_else(|| corrupt(col, "unexpected NULL"))
    }
    /// A non-null text.
    fn text(&self, col: &str) -> Result<String, StoreError> {
        self.opt_text(col)?
            .ok_or_else(|| corrupt(col, "unexpected NULL"))
    }
    /// A non-null decimal.
    fn dec(&self, col: &str) -> Result<Decimal, StoreError> {
        self.opt_dec(col)?
            .ok_or_else(|| corrupt(col, "unexpected NULL"))
    }
}

/// A non-null integer that must fit `T` (u32 ids, u64 exchange ids).
pub(crate) fn num<T: TryFrom<i64>>(row: &dyn RowGet, col: &str) -> Result<T, StoreError> {
    let v = row.int(col)?;
    T::try_from(v).map_err(|_| corrupt(col, format!("{v} out of range")))
}

/// A non-null text parsed with `FromStr`.
pub(crate) fn parsed<T: FromStr>(row: &dyn RowGet, col: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    row.text(col)?.parse().map_err(|e| corrupt(col, e))
}

/// A JSON text column.
pub(crate) fn json<T: serde::de::DeserializeOwned>(
    row: &dyn RowGet,
    col: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(&row.text(col)?).map_err(|e| corrupt(col, e))
}

impl RowGet for SqliteRow {
    fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
        self.try_get(col).map_err(|e| corrupt(col, e))
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        self.try_get(col).map_err(|e| corrupt(col, e))
    }
    fn opt_dec(&self, col: &str) -> Result<Option<Decimal>, StoreError> {
        match self.opt_text(col)? {
            None => Ok(None),
            Some(text) => Decimal::from_str(&text)
                .map(|d| Some(d.normalize()))
                .map_err(|e| corrupt(col, e)),
        }
    }
    fn boolean(&self, col: &str) -> Result<bool, StoreError> {
        self.try_get(col).map_err(|e| corrupt(col, e))
    }
}

impl RowGet for PgRow {
    fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
        self.try_get(col).map_err(|e| corrupt(col, e))
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        self.try_get(col).map_err(|e| corrupt(col, e))
    }
    fn opt_dec(&self, col: &str) -> Result<Option<Decimal>, StoreError> {
        let v: Option<Decimal> = self.try_get(col).map_err(|e| corrupt(col, e))?;
        Ok(v.map(|d| d.normalize()))
    }
    fn boolean(&self, col: &str) -> Result<bool, StoreError> {
        self.try_get(col).map_err(|e| corrupt(col, e))
    }
}

/// The wire name of a serde enum (`PARTIALLY_FILLED`, `emergency_closed`, `BUY`).
pub(crate) fn enum_text<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => unreachable!("enum did not serialize to a string: {other:?}"),
    }
}

/// A serde enum read back from its wire name.
pub(crate) fn enum_col<T: serde::de::DeserializeOwned>(
    row: &dyn RowGet,
    col: &str,
) -> Result<T, StoreError> {
    let text = row.text(col)?;
    serde_json::from_value(serde_json::Value::String(text)).map_err(|e| corrupt(col, e))
}

/// A nullable serde enum read back from its wire name.
pub(crate) fn opt_enum_col<T: serde::de::DeserializeOwned>(
    row: &dyn RowGet,
    col: &str,
) -> Result<Option<T>, StoreError> {
    row.opt_text(col)?
        .map(|text| {
            serde_json::from_value(serde_json::Value::String(text)).map_err(|e| corrupt(col, e))
        })
        .transpose()
}
