//! Baskets and order intents.

use super::rows::{enum_col, enum_text, json, num, opt_enum_col, parsed, Arg, RowGet};
use super::SqlStore;
use crate::core::basket::{Basket, BasketStatus};
use crate::core::client_id::{ClientOrderId, IdPrefix};
use crate::core::missing_order::MissStreak;
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::{OrderSpec, Slot};
use crate::core::strategy::config::StrategyConfig;
use crate::ports::store::{BasketRecord, IntentState, OrderIntent, StoreError};
use std::collections::BTreeMap;

const BASKET_COLUMNS: &str =
    "id, symbol, anchor, status, config, carried_qty, carried_cost, created_ms, closed_ms, reason, \
     trail_root, prefix";

const INTENT_COLUMNS: &str = "client_id, basket_id, symbol, slot, rev, side, order_type, price, \
     qty, stop_price, trailing_delta, time_in_force, created_ms, state, note";

fn decode_basket(r: &dyn RowGet) -> Result<BasketRecord, StoreError> {
    let basket = Basket {
        id: num(r, "id")?,
        anchor: Price::new(r.dec("anchor")?),
        config: frozen_config(r)?,
        status: enum_col(r, "status")?,
        carried_qty: Qty::new(r.dec("carried_qty")?),
        carried_cost: Quote::new(r.dec("carried_cost")?),
        created_ms: r.int("created_ms")?,
        trail_root: r.opt_dec("trail_root")?.map(Price::new),
    };
    Ok(BasketRecord {
        basket,
        symbol: parsed_symbol(r)?,
        closed_ms: r.opt_int("closed_ms")?,
        reason: r.opt_text("reason")?,
        prefix: IdPrefix::parse(&r.text("prefix")?)
            .map_err(|e| StoreError::Corrupt(format!("column prefix: {e}")))?,
    })
}

/// A basket's frozen configuration. One journalled before `trail_down` existed (2026-12-06)
/// lacks the key, and its grid followed the price down after a hard stop: it still does,
/// although an omitted key in a strategy file now means `"stop"` (`.spec/configuration.md`).
fn frozen_config(r: &dyn RowGet) -> Result<StrategyConfig, StoreError> {
    let mut config: serde_json::Value = json(r, "config")?;
    if let Some(keys) = config.as_object_mut() {
        keys.entry("trail_down").or_insert_with(|| "follow".into());
    }
    serde_json::from_value(config).map_err(|e| StoreError::Corrupt(format!("column config: {e}")))
}

pub(super) fn parsed_symbol(r: &dyn RowGet) -> Result<crate::core::symbol::Symbol, StoreError> {
    crate::core::symbol::Symbol::parse(&r.text("symbol")?)
        .map_err(|e| StoreError::Corrupt(format!("column symbol: {e}")))
}

pub(super) fn parsed_client_id(r: &dyn RowGet, col: &str) -> Result<ClientOrderId, StoreError> {
    ClientOrderId::parse(&r.text(col)?)
        .map_err(|e| StoreError::Corrupt(format!("column {col}: {e}")))
}

/// Reads the spec columns shared by `order_intents` and `orders`.
pub(super) fn decode_spec(r: &dyn RowGet, type_col: &str) -> Result<OrderSpec, StoreError> {
    Ok(OrderSpec {
        slot: parsed(r, "slot")?,
        side: enum_col(r, "side")?,
        order_type: parsed(r, type_col)?,
        price: r.opt_dec("price")?.map(Price::new),
        qty: Qty::new(r.dec("qty")?),
        stop_price: r.opt_dec("stop_price")?.map(Price::new),
        trailing_delta: r
            .opt_int("trailing_delta")?
            .map(|v| {
                u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("trailing_delta {v}")))
            })
            .transpose()?,
        time_in_force: opt_enum_col(r, "time_in_force")?,
    })
}

/// Binds the spec columns in `decode_spec`'s order after `slot`: side, type, price, qty, stop,
/// trailing delta, time in force.
pub(super) fn spec_args(spec: &OrderSpec) -> [Arg; 7] {
    [
        Arg::text(enum_text(&spec.side)),
        Arg::text(spec.order_type.as_str()),
        Arg::Dec(spec.price.map(Price::get)),
        Arg::dec(spec.qty.get()),
        Arg::Dec(spec.stop_price.map(Price::get)),
        Arg::Int(spec.trailing_delta.map(i64::from)),
        Arg::Text(spec.time_in_force.map(|t| t.as_str().to_string())),
    ]
}

fn decode_intent(r: &dyn RowGet) -> Result<OrderIntent, StoreError> {
    Ok(OrderIntent {
        client_id: parsed_client_id(r, "client_id")?,
        basket_id: num(r, "basket_id")?,
        symbol: parsed_symbol(r)?,
        rev: num(r, "rev")?,
        spec: decode_spec(r, "order_type")?,
        created_ms: r.int("created_ms")?,
        state: enum_col(r, "state")?,
        note: r.opt_text("note")?,
    })
}

impl SqlStore {
    pub(super) async fn insert_basket_row(&self, rec: &BasketRecord) -> Result<(), StoreError> {
        let b = &rec.basket;
        let config = serde_json::to_string(&b.config)
            .map_err(|e| StoreError::Database(format!("cannot encode config: {e}")))?;
        let sql = format!(
            "INSERT INTO baskets ({BASKET_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        );
        let args = [
            Arg::int(b.id),
            Arg::text(rec.symbol.as_str()),
            Arg::dec(b.anchor.get()),
            Arg::text(b.status.as_str()),
            Arg::text(config),
            Arg::dec(b.carried_qty.get()),
            Arg::dec(b.carried_cost.get()),
            Arg::int(b.created_ms),
            Arg::Int(rec.closed_ms),
            Arg::Text(rec.reason.clone()),
            Arg::Dec(b.trail_root.map(Price::get)),
            Arg::text(rec.prefix.as_str()),
        ];
        self.execute(&sql, &args).await.map(|_| ())
    }

    pub(super) async fn basket_row(&self, id: u32) -> Result<Option<BasketRecord>, StoreError> {
        let sql = format!("SELECT {BASKET_COLUMNS} FROM baskets WHERE id = $1");
        self.fetch_optional(&sql, &[Arg::int(id)], decode_basket)
            .await
    }

    pub(super) async fn basket_rows(
        &self,
        active_only: bool,
    ) -> Result<Vec<BasketRecord>, StoreError> {
        let filter = if active_only {
            "WHERE status = 'active'"
        } else {
            ""
        };
        self.baskets_where(filter).await
    }

    pub(super) async fn open_basket_rows(&self) -> Result<Vec<BasketRecord>, StoreError> {
        self.baskets_where("WHERE status IN ('active', 'error', 'closing')")
            .await
    }

    async fn baskets_where(&self, filter: &str) -> Result<Vec<BasketRecord>, StoreError> {
        let sql = format!("SELECT {BASKET_COLUMNS} FROM baskets {filter} ORDER BY id DESC");
        self.fetch_all(&sql, &[], decode_basket).await
    }

    pub(super) async fn max_basket(&self) -> Result<u32, StoreError> {
        let sql = "SELECT COALESCE(MAX(id), 0) AS id FROM baskets";
        let max = self
            .fetch_optional(sql, &[], |r| num::<u32>(r, "id"))
            .await?;
        Ok(max.unwrap_or(0))
    }

    pub(super) async fn update_basket_status(
        &self,
        id: u32,
        status: BasketStatus,
        closed_ms: Option<i64>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE baskets SET status = $1, closed_ms = $2, reason = $3 WHERE id = $4";
        let args = [
            Arg::text(status.as_str()),
            Arg::Int(closed_ms),
            Arg::Text(reason.map(str::to_string)),
            Arg::int(id),
        ];
        match self.execute(sql, &args).await? {
            0 => Err(StoreError::NotFound(format!("basket {id}"))),
            _ => Ok(()),
        }
    }

    pub(super) async fn insert_intent_row(&self, i: &OrderIntent) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO order_intents ({INTENT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        );
        let mut args = vec![
            Arg::text(i.client_id.as_str()),
            Arg::int(i.basket_id),
            Arg::text(i.symbol.as_str()),
            Arg::text(i.spec.slot.to_string()),
            Arg::int(i.rev),
        ];
        args.extend(spec_args(&i.spec));
        args.extend([
            Arg::int(i.created_ms),
            Arg::text(i.state.as_str()),
            Arg::Text(i.note.clone()),
        ]);
        self.execute(&sql, &args).await.map(|_| ())
    }

    pub(super) async fn intent_rows(
        &self,
        where_clause: &str,
        args: &[Arg],
    ) -> Result<Vec<OrderIntent>, StoreError> {
        let sql = format!(
            "SELECT {INTENT_COLUMNS} FROM order_intents WHERE {where_clause} \
             ORDER BY created_ms, id"
        );
        self.fetch_all(&sql, args, decode_intent).await
    }

    pub(super) async fn set_intent_state(
        &self,
        client_id: &ClientOrderId,
        state: IntentState,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE order_intents SET state = $1, note = $2 WHERE client_id = $3";
        let args = [
            Arg::text(state.as_str()),
            Arg::Text(note.map(str::to_string)),
            Arg::text(client_id.as_str()),
        ];
        match self.execute(sql, &args).await? {
            0 => Err(StoreError::NotFound(format!("intent {client_id}"))),
            _ => Ok(()),
        }
    }

    pub(super) async fn intent_streak_row(
        &self,
        client_id: &ClientOrderId,
    ) -> Result<MissStreak, StoreError> {
        let sql = "SELECT first_miss_ms, misses FROM order_intents WHERE client_id = $1";
        let found = self
            .fetch_optional(sql, &[Arg::text(client_id.as_str())], |r| {
                Ok(MissStreak {
                    first_ms: r.opt_int("first_miss_ms")?,
                    misses: num(r, "misses")?,
                })
            })
            .await?;
        found.ok_or_else(|| StoreError::NotFound(format!("intent {client_id}")))
    }

    pub(super) async fn set_intent_streak_row(
        &self,
        client_id: &ClientOrderId,
        streak: &MissStreak,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE order_intents SET first_miss_ms = $1, misses = $2 WHERE client_id = $3";
        let args = [
            Arg::Int(streak.first_ms),
            Arg::int(streak.misses),
            Arg::text(client_id.as_str()),
        ];
        match self.execute(sql, &args).await? {
            0 => Err(StoreError::NotFound(format!("intent {client_id}"))),
            _ => Ok(()),
        }
    }

    pub(super) async fn revision_rows(
        &self,
        basket_id: u32,
    ) -> Result<BTreeMap<Slot, u32>, StoreError> {
        let sql =
            "SELECT slot, MAX(rev) AS rev FROM order_intents WHERE basket_id = $1 GROUP BY slot";
        let rows = self
            .fetch_all(sql, &[Arg::int(basket_id)], |r| {
                Ok((parsed::<Slot>(r, "slot")?, num::<u32>(r, "rev")?))
            })
            .await?;
        Ok(rows.into_iter().collect())
    }
}
