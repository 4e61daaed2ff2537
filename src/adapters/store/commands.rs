//! The operator command queue (`bot_commands`, migration 0006).

use super::rows::{enum_col, num, Arg, RowGet};
use super::SqlStore;
use crate::ports::operator::{CommandKind, CommandRecord, CommandState};
use crate::ports::store::StoreError;

const COLUMNS: &str = "id, kind, state, requested_ms, taken_ms, done_ms, receipt";

fn decode(r: &dyn RowGet) -> Result<CommandRecord, StoreError> {
    Ok(CommandRecord {
        id: num(r, "id")?,
        kind: enum_col(r, "kind")?,
        state: enum_col(r, "state")?,
        requested_ms: r.int("requested_ms")?,
        taken_ms: r.opt_int("taken_ms")?,
        done_ms: r.opt_int("done_ms")?,
        receipt: r.opt_text("receipt")?,
    })
}

fn id_arg(id: u64) -> Result<Arg, StoreError> {
    Ok(Arg::int(super::rows::id_to_i64(id, "command id")?))
}

impl SqlStore {
    pub(super) async fn insert_command_row(
        &self,
        kind: CommandKind,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let sql = "INSERT INTO bot_commands (kind, state, requested_ms) VALUES ($1, $2, $3) \
                   RETURNING id";
        let args = [
            Arg::text(kind.as_str()),
            Arg::text(CommandState::Pending.as_str()),
            Arg::int(now_ms),
        ];
        self.fetch_optional(sql, &args, |r| num(r, "id"))
            .await?
            .ok_or_else(|| StoreError::Database("INSERT … RETURNING gave no id".into()))
    }

    pub(super) async fn take_command_row(
        &self,
        fresh_since_ms: i64,
        now_ms: i64,
    ) -> Result<Option<CommandRecord>, StoreError> {
        let stale = "UPDATE bot_commands SET state = 'withdrawn', done_ms = $1, \
                     receipt = 'withdrawn: too old when a bot looked' \
                     WHERE state = 'pending' AND requested_ms < $2";
        self.execute(stale, &[Arg::int(now_ms), Arg::int(fresh_since_ms)])
            .await?;
        // The state test in the outer WHERE makes the take atomic under concurrent takers.
        let sql = format!(
            "UPDATE bot_commands SET state = 'taken', taken_ms = $1 \
             WHERE state = 'pending' AND id = \
               (SELECT id FROM bot_commands WHERE state = 'pending' ORDER BY id LIMIT 1) \
             RETURNING {COLUMNS}"
        );
        self.fetch_optional(&sql, &[Arg::int(now_ms)], decode).await
    }

    pub(super) async fn finish_command_row(
        &self,
        id: u64,
        state: CommandState,
        receipt: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE bot_commands SET state = $1, receipt = $2, done_ms = $3 \
                   WHERE id = $4 AND state = 'taken'";
        let args = [
            Arg::text(state.as_str()),
            Arg::text(receipt),
            Arg::int(now_ms),
            id_arg(id)?,
        ];
        match self.execute(sql, &args).await? {
            0 => Err(StoreError::NotFound(format!("taken command {id}"))),
            _ => Ok(()),
        }
    }

    pub(super) async fn withdraw_command_row(
        &self,
        id: u64,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE bot_commands SET state = 'withdrawn', done_ms = $1, \
                   receipt = 'withdrawn: no bot took it in time' \
                   WHERE id = $2 AND state = 'pending'";
        Ok(self.execute(sql, &[Arg::int(now_ms), id_arg(id)?]).await? > 0)
    }

    pub(super) async fn command_row(&self, id: u64) -> Result<Option<CommandRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM bot_commands WHERE id = $1");
        self.fetch_optional(&sql, &[id_arg(id)?], decode).await
    }
}
