//! The whole journal as rows, read in one consistent snapshot and written back in one
//! transaction, whatever the backend (`.spec/store.md` § Backup, export and import). Also
//! SQLite's online backup (`VACUUM INTO`) and the thinning of old account snapshots.
//!
//! Every table and column is listed in [`TABLES`] with its value type, so SQLite's decimal
//! text and PostgreSQL's `NUMERIC` travel as the same exact decimal string. A migration that
//! adds a table or column must add it here: `tests/it/backup.rs` compares this list with the
//! schema.

use super::rows::{Arg, RowGet};
use super::{db_err, Backend, SqlStore};
use crate::ports::store::StoreError;
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::Connection;
use std::str::FromStr;

/// A column's value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    /// BIGINT / INTEGER.
    Int,
    /// TEXT.
    Text,
    /// Money: SQLite decimal text, PostgreSQL NUMERIC; a JSON string either way.
    Dec,
    /// A flag (PostgreSQL BOOLEAN, SQLite 0/1).
    Bool,
}

use Col::{Bool, Dec, Int, Text};

/// One table: its name, whether its `id` is a PostgreSQL sequence, and its columns.
pub type TableSpec = (&'static str, bool, &'static [(&'static str, Col)]);

/// Every journal table, parents before children (the order rows are written in).
pub const TABLES: &[TableSpec] = &[
    (
        "baskets",
        false,
        &[
            ("id", Int),
            ("symbol", Text),
            ("anchor", Dec),
            ("status", Text),
            ("config", Text),
            ("carried_qty", Dec),
            ("carried_cost", Dec),
            ("created_ms", Int),
            ("closed_ms", Int),
            ("reason", Text),
            ("trail_root", Dec),
            ("prefix", Text),
        ],
    ),
    (
        "order_intents",
        true,
        &[
            ("id", Int),
            ("client_id", Text),
            ("basket_id", Int),
            ("symbol", Text),
            ("slot", Text),
            ("rev", Int),
            ("side", Text),
            ("order_type", Text),
            ("price", Dec),
            ("qty", Dec),
            ("stop_price", Dec),
            ("trailing_delta", Int),
            ("time_in_force", Text),
            ("created_ms", Int),
            ("state", Text),
            ("note", Text),
            ("first_miss_ms", Int),
            ("misses", Int),
        ],
    ),
    (
        "orders",
        true,
        &[
            ("id", Int),
            ("client_order_id", Text),
            ("symbol", Text),
            ("exchange_order_id", Int),
            ("basket_id", Int),
            ("slot", Text),
            ("side", Text),
            ("type", Text),
            ("price", Dec),
            ("qty", Dec),
            ("stop_price", Dec),
            ("trailing_delta", Int),
            ("time_in_force", Text),
            ("status", Text),
            ("executed_qty", Dec),
            ("cumulative_quote", Dec),
            ("created_ms", Int),
            ("updated_ms", Int),
            ("filled_ms", Int),
        ],
    ),
    (
        "fills",
        true,
        &[
            ("id", Int),
            ("symbol", Text),
            ("trade_id", Int),
            ("basket_id", Int),
            ("exchange_order_id", Int),
            ("slot", Text),
            ("side", Text),
            ("price", Dec),
            ("qty", Dec),
            ("quote", Dec),
            ("commission", Dec),
            ("commission_asset", Text),
            ("is_maker", Bool),
            ("time_ms", Int),
            ("commission_quote", Dec),
        ],
    ),
    (
        "account_snapshots",
        true,
        &[
            ("id", Int),
            ("time_ms", Int),
            ("symbol", Text),
            ("quote_balance", Dec),
            ("base_balance", Dec),
            ("price", Dec),
            ("total_value", Dec),
            ("balances", Text),
        ],
    ),
    (
        "bot_config",
        false,
        &[("key", Text), ("value", Text), ("updated_ms", Int)],
    ),
    (
        "events",
        true,
        &[
            ("id", Int),
            ("time_ms", Int),
            ("basket_id", Int),
            ("level", Text),
            ("kind", Text),
            ("message", Text),
        ],
    ),
    (
        "notification_outbox",
        true,
        &[
            ("id", Int),
            ("channel", Text),
            ("dedup_key", Text),
            ("kind", Text),
            ("level", Text),
            ("title", Text),
            ("body", Text),
            ("event_ms", Int),
            ("created_ms", Int),
            ("state", Text),
            ("attempts", Int),
            ("next_attempt_ms", Int),
            ("lease_until_ms", Int),
            ("sent_ms", Int),
            ("last_error", Text),
        ],
    ),
    (
        "basket_notes",
        false,
        &[("basket_id", Int), ("note", Text), ("updated_ms", Int)],
    ),
    (
        "bot_commands",
        true,
        &[
            ("id", Int),
            ("kind", Text),
            ("state", Text),
            ("requested_ms", Int),
            ("taken_ms", Int),
            ("done_ms", Int),
            ("receipt", Text),
        ],
    ),
];

/// The journal's rows, table by table in [`TABLES`] order, each row in column order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dump {
    /// The highest migration applied to the journal it was read from.
    pub schema_version: i64,
    /// `(table, rows)`.
    pub tables: Vec<(String, Vec<Vec<Value>>)>,
}

impl Dump {
    /// Rows per table.
    pub fn counts(&self) -> Vec<(String, usize)> {
        self.tables
            .iter()
            .map(|(t, rows)| (t.clone(), rows.len()))
            .collect()
    }
}

fn select_sql(table: &str, cols: &[(&str, Col)]) -> String {
    let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
    let order = if cols.iter().any(|(c, _)| *c == "id") {
        "id"
    } else {
        names[0]
    };
    format!("SELECT {} FROM {table} ORDER BY {order}", names.join(", "))
}

fn to_json(row: &dyn RowGet, cols: &[(&str, Col)]) -> Result<Vec<Value>, StoreError> {
    cols.iter()
        .map(|(name, col)| {
            Ok(match col {
                Int => row.opt_int(name)?.map_or(Value::Null, Value::from),
                Text => row.opt_text(name)?.map_or(Value::Null, Value::from),
                Dec => row
                    .opt_dec(name)?
                    .map_or(Value::Null, |d| Value::from(d.normalize().to_string())),
                Bool => Value::from(row.boolean(name)?),
            })
        })
        .collect()
}

fn to_arg(v: &Value, col: Col, table: &str, name: &str) -> Result<Arg, StoreError> {
    let bad = || StoreError::Corrupt(format!("{table}.{name}: unexpected value {v}"));
    Ok(match (col, v) {
        (Int, Value::Null) => Arg::Int(None),
        (Int, Value::Number(n)) => Arg::Int(Some(n.as_i64().ok_or_else(bad)?)),
        (Text, Value::Null) => Arg::Text(None),
        (Text, Value::String(s)) => Arg::Text(Some(s.clone())),
        (Dec, Value::Null) => Arg::Dec(None),
        (Dec, Value::String(s)) => Arg::Dec(Some(Decimal::from_str(s).map_err(|_| bad())?)),
        (Bool, Value::Bool(b)) => Arg::Bool(*b),
        _ => return Err(bad()),
    })
}

impl SqlStore {
    /// Reads every table in one consistent snapshot while the bot may be writing: a read
    /// transaction on one connection (SQLite WAL), or `REPEATABLE READ READ ONLY`
    /// (PostgreSQL).
    pub async fn read_dump(&self) -> Result<Dump, StoreError> {
        let mut dump = Dump::default();
        match &self.backend {
            Backend::Sqlite { pool, .. } => {
                let mut conn = pool.acquire().await.map_err(db_err)?;
                let mut tx = conn.begin().await.map_err(db_err)?;
                dump.schema_version =
                    sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db_err)?;
                for (table, _, cols) in TABLES {
                    let rows = sqlx::query(&select_sql(table, cols))
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    let rows = rows
                        .iter()
                        .map(|r| to_json(r, cols))
                        .collect::<Result<_, _>>()?;
                    dump.tables.push((table.to_string(), rows));
                }
                tx.commit().await.map_err(db_err)?;
            }
            Backend::Postgres { pool, .. } => {
                let mut tx = pool.begin().await.map_err(db_err)?;
                sqlx::raw_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                dump.schema_version =
                    sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db_err)?;
                for (table, _, cols) in TABLES {
                    let rows = sqlx::query(&select_sql(table, cols))
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    let rows = rows
                        .iter()
                        .map(|r| to_json(r, cols))
                        .collect::<Result<_, _>>()?;
                    dump.tables.push((table.to_string(), rows));
                }
                tx.commit().await.map_err(db_err)?;
            }
        }
        Ok(dump)
    }

    /// Whether every journal table is empty.
    pub async fn journal_is_empty(&self) -> Result<bool, StoreError> {
        for (table, _, _) in TABLES {
            let sql = format!("SELECT COUNT(*) AS n FROM {table}");
            let n = self
                .fetch_optional(&sql, &[], |r| r.int("n"))
                .await?
                .unwrap_or(0);
            if n > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Writes `dump` in one transaction (all or nothing), ids included, after deleting every
    /// row when `replace` (the caller checked that the journal was empty otherwise).
    /// PostgreSQL's id sequences then continue after the highest id.
    pub async fn write_dump(&self, dump: &Dump, replace: bool) -> Result<(), StoreError> {
        let mut statements: Vec<(String, Vec<Arg>)> = Vec::new();
        if replace {
            for (table, _, _) in TABLES.iter().rev() {
                statements.push((format!("DELETE FROM {table}"), Vec::new()));
            }
        }
        for (table, rows) in &dump.tables {
            let Some((_, _, cols)) = TABLES.iter().find(|(t, _, _)| t == table) else {
                return Err(StoreError::Corrupt(format!("unknown table {table}")));
            };
            let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                names.join(", "),
                (1..=cols.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for row in rows {
                if row.len() != cols.len() {
                    return Err(StoreError::Corrupt(format!(
                        "{table}: a row of {} values for {} columns",
                        row.len(),
                        cols.len()
                    )));
                }
                let args = row
                    .iter()
                    .zip(cols.iter())
                    .map(|(v, (name, col))| to_arg(v, *col, table, name))
                    .collect::<Result<Vec<_>, _>>()?;
                statements.push((sql.clone(), args));
            }
        }
        if let Backend::Postgres { .. } = &self.backend {
            for (table, serial, _) in TABLES {
                if *serial {
                    statements.push((
                        format!(
                            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                             (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                        ),
                        Vec::new(),
                    ));
                }
            }
        }
        let borrowed: Vec<(&str, Vec<Arg>)> = statements
            .iter()
            .map(|(s, a)| (s.as_str(), a.clone()))
            .collect();
        self.transaction(&borrowed).await.map(|_| ())
    }

    /// SQLite's online backup: `VACUUM INTO out`, a consistent, compact copy taken while the
    /// bot may be writing. `Err` for PostgreSQL (use [`SqlStore::read_dump`]).
    pub async fn vacuum_into(&self, out: &std::path::Path) -> Result<(), StoreError> {
        let Backend::Sqlite { pool, .. } = &self.backend else {
            return Err(StoreError::Database(
                "VACUUM INTO is SQLite's; PostgreSQL is backed up by an export".into(),
            ));
        };
        let path = out
            .to_str()
            .ok_or_else(|| StoreError::Database(format!("{} is not UTF-8", out.display())))?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(pool)
            .await
            .map_err(db_err)
            .map(|_| ())
    }

    /// Deletes account snapshots older than `before_ms` except the first of each
    /// `keep_every_ms` bucket per symbol (the equity curve keeps its shape at a coarser step).
    /// Returns the number deleted.
    pub async fn thin_snapshots(
        &self,
        before_ms: i64,
        keep_every_ms: i64,
    ) -> Result<u64, StoreError> {
        let sql = "DELETE FROM account_snapshots WHERE time_ms < $1 AND id NOT IN \
                   (SELECT MIN(id) FROM account_snapshots WHERE time_ms < $1 \
                   GROUP BY symbol, time_ms / $2)";
        self.execute(sql, &[Arg::int(before_ms), Arg::int(keep_every_ms.max(1))])
            .await
    }
}
