//! Orders (the exchange's last report of each) and fills (exactly once by trade id).

use super::baskets::{decode_spec, parsed_client_id, parsed_symbol, spec_args};
use super::rows::{enum_col, enum_text, id_to_i64, num, Arg, RowGet};
use super::SqlStore;
use crate::core::fill::{Commission, Fill};
use crate::core::money::{Amount, Price, Qty, Quote};
use crate::core::order::OrderStatus;
use crate::core::symbol::{Asset, Symbol};
use crate::ports::exchange::OrderReport;
use crate::ports::store::{FillQuery, FillRecord, OrderRecord, StoreError};

const ORDER_COLUMNS: &str = "client_order_id, symbol, exchange_order_id, basket_id, slot, side, \
     type, price, qty, stop_price, trailing_delta, time_in_force, status, executed_qty, \
     cumulative_quote, created_ms, updated_ms, filled_ms";

/// Insert, or refresh the live fields of the row with this client id: the quantity too,
/// which an amend reduces in place (same ids). A report older than the stored one
/// (`updated_ms` smaller) changes nothing, so a late echo cannot undo a fill or an amend.
const UPSERT_ORDER: &str = "ON CONFLICT (client_order_id) DO UPDATE SET \
     qty = excluded.qty, status = excluded.status, executed_qty = excluded.executed_qty, \
     cumulative_quote = excluded.cumulative_quote, updated_ms = excluded.updated_ms, \
     filled_ms = COALESCE(orders.filled_ms, excluded.filled_ms) \
     WHERE excluded.updated_ms >= orders.updated_ms";

const MARK_PLACED: &str =
    "UPDATE order_intents SET state = 'placed' WHERE client_id = $1 AND state <> 'placed'";

const FILL_COLUMNS: &str = "symbol, trade_id, basket_id, exchange_order_id, slot, side, price, \
     qty, quote, commission, commission_asset, is_maker, time_ms, commission_quote";

const FILL_FILTER: &str = "($1 IS NULL OR basket_id = $1) AND ($2 IS NULL OR side = $2) \
     AND ($3 IS NULL OR symbol = $3) AND ($4 IS NULL OR time_ms >= $4) \
     AND ($5 IS NULL OR time_ms < $5)";

fn decode_order(r: &dyn RowGet) -> Result<OrderRecord, StoreError> {
    let spec = decode_spec(r, "type")?;
    let report = OrderReport {
        symbol: parsed_symbol(r)?,
        order_id: num(r, "exchange_order_id")?,
        client_id: parsed_client_id(r, "client_order_id")?,
        side: spec.side,
        status: enum_col(r, "status")?,
        executed_qty: Qty::new(r.dec("executed_qty")?),
        cumulative_quote: Quote::new(r.dec("cumulative_quote")?),
        time_ms: r.int("created_ms")?,
        update_ms: r.int("updated_ms")?,
        // Not a column: the journal records it as an event when the order is seen expiring.
        expiry_reason: None,
        spec,
    };
    Ok(OrderRecord {
        basket_id: num(r, "basket_id")?,
        slot: report.spec.slot,
        report,
    })
}

fn decode_fill(r: &dyn RowGet) -> Result<FillRecord, StoreError> {
    let asset = Asset::parse(&r.text("commission_asset")?)
        .map_err(|e| StoreError::Corrupt(format!("column commission_asset: {e}")))?;
    Ok(FillRecord {
        basket_id: num(r, "basket_id")?,
        symbol: parsed_symbol(r)?,
        fill: Fill {
            trade_id: num(r, "trade_id")?,
            order_id: num(r, "exchange_order_id")?,
            slot: super::rows::parsed(r, "slot")?,
            side: enum_col(r, "side")?,
            price: Price::new(r.dec("price")?),
            qty: Qty::new(r.dec("qty")?),
            commission: Commission {
                amount: Amount::new(r.dec("commission")?),
                asset,
                quote_value: r.opt_dec("commission_quote")?.map(Quote::new),
            },
            is_maker: r.boolean("is_maker")?,
            time_ms: r.int("time_ms")?,
        },
    })
}

fn fill_filter_args(q: &FillQuery) -> Vec<Arg> {
    vec![
        Arg::Int(q.basket_id.map(i64::from)),
        Arg::Text(q.side.map(|s| s.as_str().to_string())),
        Arg::Text(q.symbol.as_ref().map(|s| s.as_str().to_string())),
        Arg::Int(q.from_ms),
        Arg::Int(q.to_ms),
    ]
}

fn count(r: &dyn RowGet) -> Result<u64, StoreError> {
    num(r, "n")
}

impl SqlStore {
    pub(super) async fn upsert_order_row(
        &self,
        basket_id: u32,
        rep: &OrderReport,
    ) -> Result<(), StoreError> {
        let filled_ms = (rep.status == OrderStatus::Filled).then_some(rep.update_ms);
        let mut args = vec![
            Arg::text(rep.client_id.as_str()),
            Arg::text(rep.symbol.as_str()),
            Arg::int(id_to_i64(rep.order_id, "order id")?),
            Arg::int(basket_id),
            Arg::text(rep.spec.slot.to_string()),
        ];
        args.extend(spec_args(&rep.spec));
        args.extend([
            Arg::text(enum_text(&rep.status)),
            Arg::dec(rep.executed_qty.get()),
            Arg::dec(rep.cumulative_quote.get()),
            Arg::int(rep.time_ms),
            Arg::int(rep.update_ms),
            Arg::Int(filled_ms),
        ]);
        let insert = format!(
            "INSERT INTO orders ({ORDER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14, $15, $16, $17, $18) {UPSERT_ORDER}"
        );
        let mark = vec![Arg::text(rep.client_id.as_str())];
        self.transaction(&[(&insert, args), (MARK_PLACED, mark)])
            .await
            .map(|_| ())
    }

    pub(super) async fn order_rows(
        &self,
        where_clause: &str,
        args: &[Arg],
    ) -> Result<Vec<OrderRecord>, StoreError> {
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE {where_clause} ORDER BY created_ms, id"
        );
        self.fetch_all(&sql, args, decode_order).await
    }

    pub(super) async fn order_by_exchange(
        &self,
        symbol: &Symbol,
        order_id: u64,
    ) -> Result<Option<OrderRecord>, StoreError> {
        let args = [
            Arg::text(symbol.as_str()),
            Arg::int(id_to_i64(order_id, "order id")?),
        ];
        let rows = self
            .order_rows("symbol = $1 AND exchange_order_id = $2", &args)
            .await?;
        Ok(rows.into_iter().next())
    }

    pub(super) async fn count_order_rows(
        &self,
        status: Option<OrderStatus>,
    ) -> Result<u64, StoreError> {
        let sql = "SELECT COUNT(*) AS n FROM orders WHERE ($1 IS NULL OR status = $1)";
        let args = [Arg::Text(status.map(|s| enum_text(&s)))];
        Ok(self.fetch_optional(sql, &args, count).await?.unwrap_or(0))
    }

    pub(super) async fn insert_fill_row(&self, rec: &FillRecord) -> Result<bool, StoreError> {
        let f = &rec.fill;
        let sql = format!(
            "INSERT INTO fills ({FILL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14) ON CONFLICT (symbol, trade_id) DO NOTHING"
        );
        let args = [
            Arg::text(rec.symbol.as_str()),
            Arg::int(id_to_i64(f.trade_id, "trade id")?),
            Arg::int(rec.basket_id),
            Arg::int(id_to_i64(f.order_id, "order id")?),
            Arg::text(f.slot.to_string()),
            Arg::text(f.side.as_str()),
            Arg::dec(f.price.get()),
            Arg::dec(f.qty.get()),
            Arg::dec(f.notional().get()),
            Arg::dec(f.commission.amount.get()),
            Arg::text(f.commission.asset.as_str()),
            Arg::Bool(f.is_maker),
            Arg::int(f.time_ms),
            Arg::Dec(f.commission.quote_value.map(|q| q.get())),
        ];
        Ok(self.execute(&sql, &args).await? == 1)
    }

    pub(super) async fn basket_fill_rows(&self, basket_id: u32) -> Result<Vec<Fill>, StoreError> {
        let sql =
            format!("SELECT {FILL_COLUMNS} FROM fills WHERE basket_id = $1 ORDER BY trade_id");
        let rows = self
            .fetch_all(&sql, &[Arg::int(basket_id)], decode_fill)
            .await?;
        Ok(rows.into_iter().map(|r| r.fill).collect())
    }

    /// `limit == 0` means no limit.
    pub(super) async fn fill_rows(&self, q: &FillQuery) -> Result<Vec<FillRecord>, StoreError> {
        let sql = format!(
            "SELECT {FILL_COLUMNS} FROM fills WHERE {FILL_FILTER} \
             ORDER BY time_ms DESC, trade_id DESC LIMIT $6 OFFSET $7"
        );
        let limit = if q.limit == 0 {
            i64::MAX
        } else {
            clamp(q.limit)
        };
        let mut args = fill_filter_args(q);
        args.extend([Arg::int(limit), Arg::int(clamp(q.offset))]);
        self.fetch_all(&sql, &args, decode_fill).await
    }

    pub(super) async fn fill_count_rows(
        &self,
    ) -> Result<std::collections::BTreeMap<u32, u64>, StoreError> {
        let sql = "SELECT basket_id, COUNT(*) AS n FROM fills GROUP BY basket_id";
        let rows = self
            .fetch_all(sql, &[], |r| Ok((num(r, "basket_id")?, count(r)?)))
            .await?;
        Ok(rows.into_iter().collect())
    }

    pub(super) async fn count_fill_rows(&self, q: &FillQuery) -> Result<u64, StoreError> {
        let sql = format!("SELECT COUNT(*) AS n FROM fills WHERE {FILL_FILTER}");
        Ok(self
            .fetch_optional(&sql, &fill_filter_args(q), count)
            .await?
            .unwrap_or(0))
    }
}

/// A u64 count as BIGINT (saturating).
pub(super) fn clamp(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
