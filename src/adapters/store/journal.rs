//! Account snapshots, configuration values and the event log.

use super::baskets::parsed_symbol;
use super::orders::clamp;
use super::rows::{enum_col, json, Arg, RowGet};
use super::SqlStore;
use crate::core::money::{Price, Qty, Quote};
use crate::ports::store::{AccountSnapshot, Event, StoreError};

pub(super) const SNAPSHOT_COLUMNS: &str =
    "time_ms, symbol, quote_balance, base_balance, price, total_value, balances";

pub(super) const EVENT_COLUMNS: &str = "time_ms, basket_id, level, kind, message";

pub(super) fn decode_snapshot(r: &dyn RowGet) -> Result<AccountSnapshot, StoreError> {
    Ok(AccountSnapshot {
        time_ms: r.int("time_ms")?,
        symbol: parsed_symbol(r)?,
        quote_balance: Quote::new(r.dec("quote_balance")?),
        base_balance: Qty::new(r.dec("base_balance")?),
        price: Price::new(r.dec("price")?),
        total_value: Quote::new(r.dec("total_value")?),
        balances: json(r, "balances")?,
    })
}

pub(super) fn decode_event(r: &dyn RowGet) -> Result<Event, StoreError> {
    Ok(Event {
        time_ms: r.int("time_ms")?,
        basket_id: r
            .opt_int("basket_id")?
            .map(|v| u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("basket_id {v}"))))
            .transpose()?,
        level: enum_col(r, "level")?,
        kind: r.text("kind")?,
        message: r.text("message")?,
    })
}

impl SqlStore {
    pub(super) async fn insert_snapshot_row(&self, s: &AccountSnapshot) -> Result<(), StoreError> {
        // Balances are JSON text; serde writes their decimals as strings, so they stay exact.
        let balances = serde_json::to_string(&s.balances)
            .map_err(|e| StoreError::Database(format!("cannot encode balances: {e}")))?;
        let sql = format!(
            "INSERT INTO account_snapshots ({SNAPSHOT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        );
        let args = [
            Arg::int(s.time_ms),
            Arg::text(s.symbol.as_str()),
            Arg::dec(s.quote_balance.get()),
            Arg::dec(s.base_balance.get()),
            Arg::dec(s.price.get()),
            Arg::dec(s.total_value.get()),
            Arg::text(balances),
        ];
        self.execute(&sql, &args).await.map(|_| ())
    }

    pub(super) async fn snapshot_rows(
        &self,
        limit: u64,
    ) -> Result<Vec<AccountSnapshot>, StoreError> {
        let sql = format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM account_snapshots ORDER BY time_ms DESC, id DESC \
             LIMIT $1"
        );
        let mut rows = self
            .fetch_all(&sql, &[Arg::int(clamp(limit))], decode_snapshot)
            .await?;
        rows.reverse();
        Ok(rows)
    }

    pub(super) async fn config_row(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.fetch_optional(
            "SELECT value FROM bot_config WHERE key = $1",
            &[Arg::text(key)],
            |r| r.text("value"),
        )
        .await
    }

    pub(super) async fn set_config_row(
        &self,
        key: &str,
        value: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO bot_config (key, value, updated_ms) VALUES ($1, $2, $3) \
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
                   updated_ms = excluded.updated_ms";
        let args = [Arg::text(key), Arg::text(value), Arg::int(now_ms)];
        self.execute(sql, &args).await.map(|_| ())
    }

    pub(super) async fn basket_note_row(
        &self,
        basket_id: u32,
    ) -> Result<Option<String>, StoreError> {
        self.fetch_optional(
            "SELECT note FROM basket_notes WHERE basket_id = $1",
            &[Arg::int(basket_id)],
            |r| r.text("note"),
        )
        .await
    }

    pub(super) async fn set_basket_note_row(
        &self,
        basket_id: u32,
        text: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        if text.is_empty() {
            let sql = "DELETE FROM basket_notes WHERE basket_id = $1";
            return self.execute(sql, &[Arg::int(basket_id)]).await.map(|_| ());
        }
        let sql = "INSERT INTO basket_notes (basket_id, note, updated_ms) VALUES ($1, $2, $3) \
                   ON CONFLICT (basket_id) DO UPDATE SET note = excluded.note, \
                   updated_ms = excluded.updated_ms";
        let args = [Arg::int(basket_id), Arg::text(text), Arg::int(now_ms)];
        self.execute(sql, &args).await.map(|_| ())
    }

    pub(super) async fn basket_note_rows(
        &self,
    ) -> Result<std::collections::BTreeMap<u32, String>, StoreError> {
        let rows = self
            .fetch_all("SELECT basket_id, note FROM basket_notes", &[], |r| {
                Ok((super::rows::num(r, "basket_id")?, r.text("note")?))
            })
            .await?;
        Ok(rows.into_iter().collect())
    }

    pub(super) async fn insert_event_row(&self, e: &Event) -> Result<(), StoreError> {
        let sql = format!("INSERT INTO events ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5)");
        let args = [
            Arg::int(e.time_ms),
            Arg::Int(e.basket_id.map(i64::from)),
            Arg::text(e.level.as_str()),
            Arg::text(e.kind.as_str()),
            Arg::text(e.message.as_str()),
        ];
        self.execute_event(&sql, &args).await.map(|_| ())
    }

    pub(super) async fn event_rows(&self, limit: u64) -> Result<Vec<Event>, StoreError> {
        let sql =
            format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY time_ms DESC, id DESC LIMIT $1");
        self.fetch_all(&sql, &[Arg::int(clamp(limit))], decode_event)
            .await
    }
}
