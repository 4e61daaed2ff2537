//! The SQL store: one [`SqlStore`] over SQLite or PostgreSQL implementing
//! [`crate::ports::store::Store`] (`.spec/store.md`).
//!
//! Every query is written once with `$n` placeholders (SQLite accepts them too) and runtime
//! binding; `rows` hides the two backends' value types.

mod baskets;
mod commands;
mod dump;
mod journal;
mod lock;
mod migrate;
mod orders;
mod outbox;
mod port;
mod rows;

pub use dump::{Col, Dump, TableSpec, TABLES};
pub use lock::InstanceLock;

use crate::ports::store::StoreError;
use rows::{Arg, RowGet};
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::query::Query;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Postgres, Sqlite};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// How long SQLite waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The bot's database: SQLite (a file) or PostgreSQL. `Debug` names the backend only: the
/// PostgreSQL connect options hold the password.
#[derive(Clone)]
pub struct SqlStore {
    backend: Backend,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend_name())
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
enum Backend {
    Sqlite {
        pool: SqlitePool,
        /// One connection at `synchronous=NORMAL` for the event log (`None` in memory: the
        /// database is the main pool's one connection). An event row costs no fsync of its
        /// own and becomes durable with the next journal commit, which fsyncs the whole WAL
        /// (`.spec/store.md`, "Event rows").
        events: Option<SqlitePool>,
        /// `<dbfile>.lock`; `None` for an in-memory database.
        lock_path: Option<PathBuf>,
    },
    Postgres {
        pool: PgPool,
        /// For the lock's dedicated connection.
        options: Box<PgConnectOptions>,
    },
}

/// Maps a driver error; unique-constraint violations become [`StoreError::Duplicate`].
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        if d.is_unique_violation() {
            return StoreError::Duplicate(d.message().to_string());
        }
    }
    StoreError::Database(e.to_string())
}

impl SqlStore {
    /// Opens the database and applies pending migrations.
    ///
    /// `postgres://…` / `postgresql://…` → PostgreSQL; `sqlite:…` (e.g.
    /// `sqlite://data/bot.db?mode=rwc`, `sqlite::memory:`) or a plain file path → SQLite,
    /// created with its parent directory if missing, in WAL mode with foreign keys on,
    /// `synchronous=FULL` and a busy timeout.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::Database(format!("bad PostgreSQL URL: {e}")))?;
            let pool = PgPoolOptions::new()
                .max_connections(5)
                .acquire_timeout(Duration::from_secs(15))
                .connect_with(options.clone())
                .await
                .map_err(db_err)?;
            Backend::Postgres {
                pool,
                options: Box::new(options),
            }
        } else {
            Self::open_sqlite(url).await?
        };
        let store = Self { backend };
        migrate::run(&store).await?;
        Ok(store)
    }

    async fn open_sqlite(url: &str) -> Result<Backend, StoreError> {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::Database(format!("bad SQLite URL: {e}")))?;
            // A journal file is created on first use unless the URL asks for read-only or
            // read-write-existing explicitly.
            if in_memory || url.contains("mode=") {
                options
            } else {
                options.create_if_missing(true)
            }
        } else {
            SqliteConnectOptions::new()
                .filename(url)
                .create_if_missing(true)
        };
        let options = options
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Full);
        let (options, lock_path, max) = if in_memory {
            (options, None, 1)
        } else {
            let file = options.get_filename().to_path_buf();
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Database(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
            let mut lock = file.clone().into_os_string();
            lock.push(".lock");
            (
                options.journal_mode(SqliteJournalMode::Wal),
                Some(PathBuf::from(lock)),
                4,
            )
        };
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            // An in-memory database lives as long as its one connection.
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await
            .map_err(db_err)?;
        let events = match in_memory {
            true => None,
            false => Some(
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options.synchronous(SqliteSynchronous::Normal))
                    .await
                    .map_err(db_err)?,
            ),
        };
        Ok(Backend::Sqlite {
            pool,
            events,
            lock_path,
        })
    }

    /// The SQLite file a database URL names (`None` for PostgreSQL and in-memory databases),
    /// so a reader can tell "no journal yet" without creating one.
    pub fn sqlite_file(url: &str) -> Option<PathBuf> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return None;
        }
        if url.contains(":memory:") || url.contains("mode=memory") {
            return None;
        }
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url).ok()?;
            return Some(options.get_filename().to_path_buf());
        }
        Some(PathBuf::from(url))
    }

    /// Takes the single-instance lock: an exclusive OS lock on `<dbfile>.lock` (SQLite) or a
    /// session advisory lock keyed by the current schema on a dedicated connection
    /// (PostgreSQL). `Err(Locked)` while another holder lives; dropping the guard releases it.
    pub async fn lock_instance(&self) -> Result<InstanceLock, StoreError> {
        match &self.backend {
            Backend::Sqlite { lock_path, .. } => InstanceLock::file(lock_path.as_deref()),
            Backend::Postgres { options, .. } => InstanceLock::postgres(options).await,
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres { .. } => "postgres",
        }
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { pool, events, .. } => {
                if let Some(events) = events {
                    events.close().await;
                }
                pool.close().await
            }
            Backend::Postgres { pool, .. } => pool.close().await,
        }
    }

    /// Appends a row to the event log: on SQLite files over the event connection
    /// (`synchronous=NORMAL`), elsewhere as [`Self::execute`].
    pub(crate) async fn execute_event(&self, sql: &str, args: &[Arg]) -> Result<u64, StoreError> {
        match &self.backend {
            Backend::Sqlite {
                events: Some(events),
                ..
            } => bind_sqlite(sqlx::query(sql), args)
                .execute(events)
                .await
                .map(|r| r.rows_affected())
                .map_err(db_err),
            _ => self.execute(sql, args).await,
        }
    }

    /// `PRAGMA synchronous` of the journal's connections and of the event connection (SQLite
    /// files only): 2 is FULL, 1 NORMAL.
    #[cfg(test)]
    pub(crate) async fn sqlite_sync_levels(&self) -> Option<(i64, i64)> {
        let Backend::Sqlite {
            pool,
            events: Some(events),
            ..
        } = &self.backend
        else {
            return None;
        };
        let level = |p: &SqlitePool| {
            let p = p.clone();
            async move {
                sqlx::query_scalar::<_, i64>("PRAGMA synchronous")
                    .fetch_one(&p)
                    .await
                    .unwrap()
            }
        };
        Some((level(pool).await, level(events).await))
    }

    /// Runs one statement; returns the number of rows it changed.
    pub(crate) async fn execute(&self, sql: &str, args: &[Arg]) -> Result<u64, StoreError> {
        match &self.backend {
            Backend::Sqlite { pool, .. } => bind_sqlite(sqlx::query(sql), args)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
            Backend::Postgres { pool, .. } => bind_pg(sqlx::query(sql), args)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
        }
        .map_err(db_err)
    }

    /// Runs statements in one transaction; returns the rows each changed.
    pub(crate) async fn transaction(
        &self,
        statements: &[(&str, Vec<Arg>)],
    ) -> Result<Vec<u64>, StoreError> {
        let mut changed = Vec::with_capacity(statements.len());
        match &self.backend {
            Backend::Sqlite { pool, .. } => {
                let mut tx = pool.begin().await.map_err(db_err)?;
                for (sql, args) in statements {
                    let r = bind_sqlite(sqlx::query(sql), args)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    changed.push(r.rows_affected());
                }
                tx.commit().await.map_err(db_err)?;
            }
            Backend::Postgres { pool, .. } => {
                let mut tx = pool.begin().await.map_err(db_err)?;
                for (sql, args) in statements {
                    let r = bind_pg(sqlx::query(sql), args)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    changed.push(r.rows_affected());
                }
                tx.commit().await.map_err(db_err)?;
            }
        }
        Ok(changed)
    }

    /// Runs a query and decodes every row.
    pub(crate) async fn fetch_all<T>(
        &self,
        sql: &str,
        args: &[Arg],
        decode: fn(&dyn RowGet) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        match &self.backend {
            Backend::Sqlite { pool, .. } => {
                let rows = bind_sqlite(sqlx::query(sql), args)
                    .fetch_all(pool)
                    .await
                    .map_err(db_err)?;
                rows.iter().map(|r| decode(r)).collect()
            }
            Backend::Postgres { pool, .. } => {
                let rows = bind_pg(sqlx::query(sql), args)
                    .fetch_all(pool)
                    .await
                    .map_err(db_err)?;
                rows.iter().map(|r| decode(r)).collect()
            }
        }
    }

    /// Runs a query and decodes its first row, if any.
    pub(crate) async fn fetch_optional<T>(
        &self,
        sql: &str,
        args: &[Arg],
        decode: fn(&dyn RowGet) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.fetch_all(sql, args, decode).await?.into_iter().next())
    }
}

fn bind_sqlite<'q>(
    mut query: Query<'q, Sqlite, SqliteArguments<'q>>,
    args: &'q [Arg],
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    for arg in args {
        query = match arg {
            Arg::Int(v) => query.bind(*v),
            Arg::Text(v) => query.bind(v.as_deref()),
            // Canonical text: exact, and equal values are equal strings.
            Arg::Dec(v) => query.bind(v.map(|d| d.normalize().to_string())),
            Arg::Bool(v) => query.bind(*v),
        };
    }
    query
}

fn bind_pg<'q>(
    mut query: Query<'q, Postgres, PgArguments>,
    args: &'q [Arg],
) -> Query<'q, Postgres, PgArguments> {
    for arg in args {
        query = match arg {
            Arg::Int(v) => query.bind(*v),
            Arg::Text(v) => query.bind(v.as_deref()),
            Arg::Dec(v) => query.bind(v.map(|d| d.normalize())),
            Arg::Bool(v) => query.bind(*v),
        };
    }
    query
}

#[cfg(test)]
mod tests {
    use super::SqlStore;
    use crate::ports::store::{Event, EventLevel, Store};

    /// The journal's commits fsync (an intent must survive a power cut before its order is
    /// sent); the event log's do not, and its rows are read back through the journal's pool.
    #[tokio::test]
    async fn a_sqlite_file_journals_at_full_and_logs_events_at_normal() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("bot.db").display());
        let store = SqlStore::connect(&url).await.unwrap();
        assert_eq!(store.sqlite_sync_levels().await, Some((2, 1)));
        let event = Event {
            time_ms: 7,
            basket_id: None,
            level: EventLevel::Info,
            kind: "fill".into(),
            message: "B1 BUY".into(),
        };
        store.append_event(&event).await.unwrap();
        store.close().await;
        let again = SqlStore::connect(&url).await.unwrap();
        assert_eq!(again.events(10).await.unwrap(), vec![event]);
    }
}
