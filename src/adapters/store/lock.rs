//! The single-instance lock: one bot per database.

use super::db_err;
use crate::ports::store::StoreError;
use fs4::fs_std::FileExt;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::Connection;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// First key of the PostgreSQL advisory lock ("btrd"); the second is the schema's hash, so
/// bots on different schemas of one database do not block each other.
const PG_LOCK_CLASS: i32 = 0x6274_7264;
const PG_TRY_LOCK: &str = "SELECT pg_try_advisory_lock($1, hashtext(current_schema()))";
const PG_UNLOCK: &str = "SELECT pg_advisory_unlock($1, hashtext(current_schema()))";

/// Proof that this process is the only bot on the database; released on drop.
#[derive(Debug)]
pub struct InstanceLock {
    holder: Holder,
}

#[derive(Debug)]
enum Holder {
    /// An exclusive `flock` on the open lock file (released when the file closes).
    File { _file: File, _path: PathBuf },
    /// The session holding the advisory lock (released when the session ends).
    Postgres(Option<PgConnection>),
    /// In-memory SQLite: nothing to share, nothing to lock.
    Memory,
}

impl InstanceLock {
    pub(super) fn file(path: Option<&Path>) -> Result<Self, StoreError> {
        let Some(path) = path else {
            return Ok(Self {
                holder: Holder::Memory,
            });
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| StoreError::Database(format!("cannot open {}: {e}", path.display())))?;
        match FileExt::try_lock_exclusive(&file) {
            Ok(true) => Ok(Self {
                holder: Holder::File {
                    _file: file,
                    _path: path.to_path_buf(),
                },
            }),
            Ok(false) => Err(StoreError::Locked(format!("{} is held", path.display()))),
            Err(e) => Err(StoreError::Database(format!(
                "cannot lock {}: {e}",
                path.display()
            ))),
        }
    }

    pub(super) async fn postgres(options: &PgConnectOptions) -> Result<Self, StoreError> {
        let mut conn = PgConnection::connect_with(options).await.map_err(db_err)?;
        let got: bool = sqlx::query_scalar(PG_TRY_LOCK)
            .bind(PG_LOCK_CLASS)
            .fetch_one(&mut conn)
            .await
            .map_err(db_err)?;
        if got {
            Ok(Self {
                holder: Holder::Postgres(Some(conn)),
            })
        } else {
            let _ = conn.close().await;
            Err(StoreError::Locked(
                "PostgreSQL advisory lock is held by another session".into(),
            ))
        }
    }

    /// Checks the lock still holds. A file lock lives as long as the process; a PostgreSQL
    /// advisory lock lives as long as its session, which a network failure, a server restart
    /// or an idle timeout can end without a word: then another bot could start, and this one
    /// must stop (`Err(Locked)`).
    pub async fn verify(&mut self) -> Result<(), StoreError> {
        match &mut self.holder {
            Holder::Postgres(Some(conn)) => conn.ping().await.map_err(|e| {
                StoreError::Locked(format!("the advisory lock's session was lost: {e}"))
            }),
            Holder::Postgres(None) => Err(StoreError::Locked("the lock was released".into())),
            Holder::File { .. } | Holder::Memory => Ok(()),
        }
    }

    /// Releases the lock now and waits until it is released (dropping also releases it; for
    /// PostgreSQL the server then frees it when it notices the closed connection).
    pub async fn release(mut self) -> Result<(), StoreError> {
        if let Holder::Postgres(conn) = &mut self.holder {
            if let Some(mut conn) = conn.take() {
                sqlx::query_scalar::<_, bool>(PG_UNLOCK)
                    .bind(PG_LOCK_CLASS)
                    .fetch_one(&mut conn)
                    .await
                    .map_err(db_err)?;
                conn.close().await.map_err(db_err)?;
            }
        }
        Ok(())
    }
}
