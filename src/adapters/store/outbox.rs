//! `impl Outbox for SqlStore`: the `notification_outbox` table (migration 0007) and the reads
//! the notifier needs from the journal (events by row id, the snapshot at a time).
//!
//! A claim is one `UPDATE … WHERE state = 'pending' … RETURNING`: a row another deliverer
//! claimed first no longer matches (PostgreSQL re-checks the condition on the row it waited
//! for), so no row is handed out twice.

use super::journal::{decode_event, decode_snapshot, EVENT_COLUMNS, SNAPSHOT_COLUMNS};
use super::orders::clamp;
use super::rows::{enum_col, Arg, RowGet};
use super::SqlStore;
use crate::ports::outbox::{ChannelKind, NewNotification, Notification, Outbox, OutboxState};
use crate::ports::store::{AccountSnapshot, Event, StoreError};

const COLUMNS: &str = "id, channel, dedup_key, kind, level, title, body, event_ms, created_ms, \
                       state, attempts, next_attempt_ms, sent_ms, last_error";

/// Longest error text kept per row (a receiver's answer can be a whole HTML page).
const MAX_ERROR_CHARS: usize = 500;

fn decode(r: &dyn RowGet) -> Result<Notification, StoreError> {
    let corrupt = |col: &str, e: String| StoreError::Corrupt(format!("column {col}: {e}"));
    Ok(Notification {
        id: r.int("id")?,
        item: NewNotification {
            channel: r
                .text("channel")?
                .parse()
                .map_err(|e| corrupt("channel", e))?,
            dedup_key: r.text("dedup_key")?,
            kind: r.text("kind")?,
            level: enum_col(r, "level")?,
            title: r.text("title")?,
            body: r.text("body")?,
            event_ms: r.int("event_ms")?,
        },
        state: enum_col(r, "state")?,
        attempts: u32::try_from(r.int("attempts")?).unwrap_or(u32::MAX),
        created_ms: r.int("created_ms")?,
        next_attempt_ms: r.int("next_attempt_ms")?,
        sent_ms: r.opt_int("sent_ms")?,
        last_error: r.opt_text("last_error")?,
    })
}

/// `$first, $first+1, …` for `n` bound values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn short(error: &str) -> String {
    error.chars().take(MAX_ERROR_CHARS).collect()
}

impl Outbox for SqlStore {
    async fn enqueue(
        &self,
        items: &[NewNotification],
        cursor: Option<(&str, i64)>,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let insert = "INSERT INTO notification_outbox (channel, dedup_key, kind, level, title, \
                      body, event_ms, created_ms, state, attempts, next_attempt_ms) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $8) \
                      ON CONFLICT (channel, dedup_key) DO NOTHING";
        let mut statements: Vec<(&str, Vec<Arg>)> = items
            .iter()
            .map(|n| {
                let args = vec![
                    Arg::text(n.channel.as_str()),
                    Arg::text(n.dedup_key.as_str()),
                    Arg::text(n.kind.as_str()),
                    Arg::text(n.level.as_str()),
                    Arg::text(n.title.as_str()),
                    Arg::text(n.body.as_str()),
                    Arg::int(n.event_ms),
                    Arg::int(now_ms),
                ];
                (insert, args)
            })
            .collect();
        if let Some((key, value)) = cursor {
            statements.push((
                "INSERT INTO bot_config (key, value, updated_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
                 updated_ms = excluded.updated_ms",
                vec![
                    Arg::text(key),
                    Arg::text(value.to_string()),
                    Arg::int(now_ms),
                ],
            ));
        }
        if statements.is_empty() {
            return Ok(0);
        }
        let changed = self.transaction(&statements).await?;
        Ok(changed.iter().take(items.len()).sum())
    }

    async fn claim(
        &self,
        channel: ChannelKind,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        let sql = format!(
            "UPDATE notification_outbox SET state = 'sending', lease_until_ms = $1 \
             WHERE state = 'pending' AND id IN (SELECT id FROM notification_outbox \
             WHERE channel = $2 AND state = 'pending' AND next_attempt_ms <= $3 \
             ORDER BY id LIMIT $4) RETURNING {COLUMNS}"
        );
        let args = [
            Arg::int(lease_until_ms),
            Arg::text(channel.as_str()),
            Arg::int(now_ms),
            Arg::int(limit),
        ];
        let mut rows = self.fetch_all(&sql, &args, decode).await?;
        rows.sort_by_key(|n| n.id);
        Ok(rows)
    }

    async fn mark_sent(&self, ids: &[i64], now_ms: i64) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE notification_outbox SET state = 'sent', sent_ms = $1, lease_until_ms = NULL, \
             attempts = attempts + 1 WHERE state = 'sending' AND id IN ({})",
            placeholders(2, ids.len())
        );
        let mut args = vec![Arg::int(now_ms)];
        args.extend(ids.iter().map(|&id| Arg::int(id)));
        self.execute(&sql, &args).await.map(|_| ())
    }

    async fn release(
        &self,
        ids: &[i64],
        next_attempt_ms: i64,
        attempted: bool,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE notification_outbox SET state = 'pending', lease_until_ms = NULL, \
             next_attempt_ms = $1, attempts = attempts + $2, \
             last_error = COALESCE($3, last_error) WHERE state = 'sending' AND id IN ({})",
            placeholders(4, ids.len())
        );
        let mut args = vec![
            Arg::int(next_attempt_ms),
            Arg::int(i64::from(attempted)),
            Arg::Text(error.map(short)),
        ];
        args.extend(ids.iter().map(|&id| Arg::int(id)));
        self.execute(&sql, &args).await.map(|_| ())
    }

    async fn give_up(
        &self,
        ids: &[i64],
        state: OutboxState,
        error: &str,
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE notification_outbox SET state = $1, lease_until_ms = NULL, \
             attempts = attempts + 1, last_error = $2 WHERE state = 'sending' AND id IN ({})",
            placeholders(3, ids.len())
        );
        let mut args = vec![Arg::text(state.as_str()), Arg::text(short(error))];
        args.extend(ids.iter().map(|&id| Arg::int(id)));
        self.execute(&sql, &args).await.map(|_| ())
    }

    async fn expired_claims(&self, now_ms: i64) -> Result<Vec<Notification>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notification_outbox WHERE state = 'sending' \
             AND lease_until_ms < $1 ORDER BY id"
        );
        self.fetch_all(&sql, &[Arg::int(now_ms)], decode).await
    }

    async fn deliveries(&self, limit: u64) -> Result<Vec<Notification>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM notification_outbox ORDER BY id DESC LIMIT $1");
        self.fetch_all(&sql, &[Arg::int(clamp(limit))], decode)
            .await
    }

    async fn events_after(
        &self,
        after_id: i64,
        limit: u64,
    ) -> Result<Vec<(i64, Event)>, StoreError> {
        let sql =
            format!("SELECT id, {EVENT_COLUMNS} FROM events WHERE id > $1 ORDER BY id LIMIT $2");
        self.fetch_all(&sql, &[Arg::int(after_id), Arg::int(clamp(limit))], |r| {
            Ok((r.int("id")?, decode_event(r)?))
        })
        .await
    }

    async fn last_event_id(&self) -> Result<i64, StoreError> {
        self.fetch_optional("SELECT MAX(id) AS id FROM events", &[], |r| r.opt_int("id"))
            .await
            .map(|v| v.flatten().unwrap_or(0))
    }

    async fn snapshot_at(&self, time_ms: i64) -> Result<Option<AccountSnapshot>, StoreError> {
        let sql = format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM account_snapshots WHERE time_ms <= $1 \
             ORDER BY time_ms DESC, id DESC LIMIT 1"
        );
        self.fetch_optional(&sql, &[Arg::int(time_ms)], decode_snapshot)
            .await
    }
}
