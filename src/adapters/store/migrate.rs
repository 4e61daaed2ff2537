//! Embedded, forward-only migrations, one list per backend, recorded in `schema_migrations`.

use super::{db_err, Backend, SqlStore};
use crate::ports::store::StoreError;
use sqlx::Connection;

/// `(version, name, sql)`, in order.
type Migration = (i64, &'static str, &'static str);

const SQLITE: &[Migration] = &[
    (
        1,
        "init",
        include_str!("../../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "intent_miss_streak",
        include_str!("../../../migrations/sqlite/0002_intent_miss_streak.sql"),
    ),
    (
        3,
        "fill_fee_value",
        include_str!("../../../migrations/sqlite/0003_fill_fee_value.sql"),
    ),
    (
        4,
        "basket_closing",
        include_str!("../../../migrations/sqlite/0004_basket_closing.sql"),
    ),
    (
        5,
        "basket_notes",
        include_str!("../../../migrations/sqlite/0005_basket_notes.sql"),
    ),
    (
        6,
        "bot_commands",
        include_str!("../../../migrations/sqlite/0006_bot_commands.sql"),
    ),
    (
        7,
        "notification_outbox",
        include_str!("../../../migrations/sqlite/0007_notification_outbox.sql"),
    ),
    (
        8,
        "basket_trail_root",
        include_str!("../../../migrations/sqlite/0008_basket_trail_root.sql"),
    ),
    (
        9,
        "basket_grid",
        include_str!("../../../migrations/sqlite/0009_basket_grid.sql"),
    ),
];

const POSTGRES: &[Migration] = &[
    (
        1,
        "init",
        include_str!("../../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "intent_miss_streak",
        include_str!("../../../migrations/postgres/0002_intent_miss_streak.sql"),
    ),
    (
        3,
        "fill_fee_value",
        include_str!("../../../migrations/postgres/0003_fill_fee_value.sql"),
    ),
    (
        4,
        "basket_closing",
        include_str!("../../../migrations/postgres/0004_basket_closing.sql"),
    ),
    (
        5,
        "basket_notes",
        include_str!("../../../migrations/postgres/0005_basket_notes.sql"),
    ),
    (
        6,
        "bot_commands",
        include_str!("../../../migrations/postgres/0006_bot_commands.sql"),
    ),
    (
        7,
        "notification_outbox",
        include_str!("../../../migrations/postgres/0007_notification_outbox.sql"),
    ),
    (
        8,
        "basket_trail_root",
        include_str!("../../../migrations/postgres/0008_basket_trail_root.sql"),
    ),
    (
        9,
        "basket_grid",
        include_str!("../../../migrations/postgres/0009_basket_grid.sql"),
    ),
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)";
const APPLIED: &str = "SELECT COUNT(*) FROM schema_migrations WHERE version = $1";
const RECORD: &str =
    "INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)";
/// Serializes concurrent migrators on one PostgreSQL schema ("btmg").
const PG_LOCK: &str = "SELECT pg_advisory_xact_lock(1651797351, hashtext(current_schema()))";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Applies every migration not yet recorded, each in its own transaction.
pub(super) async fn run(store: &SqlStore) -> Result<(), StoreError> {
    match &store.backend {
        Backend::Sqlite { pool, .. } => {
            let mut conn = pool.acquire().await.map_err(db_err)?;
            sqlx::raw_sql(CREATE_TABLE)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            // Foreign keys off while the schema changes (a table rebuild drops the parent of
            // other tables' keys; SQLite ignores this pragma inside a transaction), checked
            // before each commit, on again afterwards.
            sqlx::raw_sql("PRAGMA foreign_keys = OFF")
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            for &(version, name, sql) in SQLITE {
                // IMMEDIATE takes the write lock up front: two processes cannot both apply.
                sqlx::raw_sql("BEGIN IMMEDIATE")
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
                let step = async {
                    let done: i64 = sqlx::query_scalar(APPLIED)
                        .bind(version)
                        .fetch_one(&mut *conn)
                        .await?;
                    if done == 0 {
                        sqlx::raw_sql(sql).execute(&mut *conn).await?;
                        let broken = sqlx::raw_sql("PRAGMA foreign_key_check")
                            .fetch_all(&mut *conn)
                            .await?;
                        if !broken.is_empty() {
                            return Err(sqlx::Error::Protocol(format!(
                                "{} rows violate a foreign key",
                                broken.len()
                            )));
                        }
                        sqlx::query(RECORD)
                            .bind(version)
                            .bind(name)
                            .bind(now_ms())
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok::<(), sqlx::Error>(())
                }
                .await;
                let end = if step.is_ok() { "COMMIT" } else { "ROLLBACK" };
                sqlx::raw_sql(end)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
                if let Err(e) = step {
                    let _ = sqlx::raw_sql("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await;
                    return Err(migration_failed(version, name, e));
                }
            }
            sqlx::raw_sql("PRAGMA foreign_keys = ON")
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
        }
        Backend::Postgres { pool, .. } => {
            let mut conn = pool.acquire().await.map_err(db_err)?;
            for &(version, name, sql) in POSTGRES {
                let mut tx = conn.begin().await.map_err(db_err)?;
                let step = async {
                    sqlx::raw_sql(PG_LOCK).execute(&mut *tx).await?;
                    sqlx::raw_sql(CREATE_TABLE).execute(&mut *tx).await?;
                    let done: i64 = sqlx::query_scalar(APPLIED)
                        .bind(version)
                        .fetch_one(&mut *tx)
                        .await?;
                    if done == 0 {
                        sqlx::raw_sql(sql).execute(&mut *tx).await?;
                        sqlx::query(RECORD)
                            .bind(version)
                            .bind(name)
                            .bind(now_ms())
                            .execute(&mut *tx)
                            .await?;
                    }
                    Ok::<(), sqlx::Error>(())
                }
                .await;
                step.map_err(|e| migration_failed(version, name, e))?;
                tx.commit().await.map_err(db_err)?;
            }
        }
    }
    Ok(())
}

fn migration_failed(version: i64, name: &str, e: sqlx::Error) -> StoreError {
    StoreError::Database(format!("migration {version} ({name}) failed: {e}"))
}
