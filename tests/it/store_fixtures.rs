//! Fixtures for the store contract: per-test databases and records with awkward decimals.

use binance_trader::adapters::store::SqlStore;
use binance_trader::core::basket::{Basket, BasketStatus};
use binance_trader::core::client_id::{ClientOrderId, IdPrefix};
use binance_trader::core::fill::{Balance, Commission, Fill};
use binance_trader::core::money::{Amount, Price, Qty, Quote};
use binance_trader::core::order::{OrderSpec, OrderStatus, OrderType, Side, Slot, TimeInForce};
use binance_trader::core::strategy::config::StrategyConfig;
use binance_trader::core::symbol::{Asset, Symbol};
use binance_trader::ports::exchange::OrderReport;
use binance_trader::ports::store::{
    AccountSnapshot, BasketRecord, Event, EventLevel, FillRecord, IntentState, OrderIntent,
};
use sqlx::Connection;

/// What a skipped PostgreSQL test prints.
pub const PG_SKIPPED: &str = "PostgreSQL store tests skipped: TEST_DATABASE_URL not set";

/// Generates `sqlite::<name>` and `postgres::<name>` tests for each contract function.
macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = super::fixtures::TestDb::sqlite().await;
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = super::fixtures::TestDb::postgres().await else {
                        eprintln!("{}", super::fixtures::PG_SKIPPED);
                        return;
                    };
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}

/// A fresh, empty database for one test.
pub struct TestDb {
    pub store: SqlStore,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    schema: Option<PgSchema>,
}

impl TestDb {
    /// A SQLite file in a temporary directory.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("bot.db").display());
        let store = SqlStore::connect(&url).await.unwrap();
        assert_eq!(store.backend_name(), "sqlite");
        Self {
            store,
            url,
            _dir: Some(dir),
            schema: None,
        }
    }

    /// A fresh schema on `TEST_DATABASE_URL`, or `None` when it is not set.
    pub async fn postgres() -> Option<Self> {
        let schema = PgSchema::create().await?;
        let store = SqlStore::connect(&schema.url).await.unwrap();
        assert_eq!(store.backend_name(), "postgres");
        Some(Self {
            store,
            url: schema.url.clone(),
            _dir: None,
            schema: Some(schema),
        })
    }

    /// Closes the store and drops the test schema.
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some(schema) = self.schema {
            schema.drop().await;
        }
    }
}

/// A uniquely named schema on the test server; `url` points `search_path` at it.
pub struct PgSchema {
    pub url: String,
    admin_url: String,
    name: String,
}

impl PgSchema {
    pub async fn create() -> Option<Self> {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())?;
        let name = format!("bt_test_{:016x}", rand::random::<u64>());
        let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        sqlx::raw_sql(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let sep = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{sep}options[search_path]={name}");
        Some(Self {
            url,
            admin_url,
            name,
        })
    }

    pub async fn drop(self) {
        let mut conn = sqlx::PgConnection::connect(&self.admin_url).await.unwrap();
        let sql = format!("DROP SCHEMA {} CASCADE", self.name);
        sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
}

pub fn symbol() -> Symbol {
    Symbol::parse("SOLUSDC").unwrap()
}

pub fn price(s: &str) -> Price {
    Price::parse(s).unwrap()
}

pub fn qty(s: &str) -> Qty {
    Qty::parse(s).unwrap()
}

pub fn quote(s: &str) -> Quote {
    Quote::parse(s).unwrap()
}

fn amount(s: &str) -> Amount {
    Amount::parse(s).unwrap()
}

/// An active basket with many decimal places and trailing zeros; an even id is a trailed one
/// (its origin, `trail_root`, set).
pub fn basket(id: u32) -> BasketRecord {
    let config =
        StrategyConfig::from_toml_str(include_str!("../../config/strategy.example.toml")).unwrap();
    BasketRecord {
        basket: Basket {
            id,
            anchor: price("123.45000000"),
            config,
            status: BasketStatus::Active,
            carried_qty: qty("0.000000000000000123"),
            carried_cost: quote("12345678901234.5678901234"),
            created_ms: 1_700_000_000_000 + i64::from(id),
            trail_root: (id % 2 == 0).then(|| price("120.1230000")),
        },
        symbol: symbol(),
        prefix: Default::default(),
        closed_ms: None,
        reason: None,
    }
}

/// A pending intent; take-profits use every optional spec field.
pub fn intent(basket_id: u32, slot: Slot, rev: u32, created_ms: i64) -> OrderIntent {
    let mut spec = OrderSpec::limit(slot, price("0.00001230"), qty("1234.5678900000"));
    if slot == Slot::Tp1 {
        spec.order_type = OrderType::TakeProfitLimit;
        spec.stop_price = Some(price("0.000012290"));
        spec.trailing_delta = Some(150);
        spec.time_in_force = Some(TimeInForce::Gtc);
    }
    if slot == Slot::Tr {
        spec.order_type = OrderType::Market;
        spec.price = None;
        spec.time_in_force = None;
    }
    OrderIntent {
        client_id: ClientOrderId::ours(&IdPrefix::default(), basket_id, slot, rev),
        basket_id,
        symbol: symbol(),
        rev,
        spec,
        created_ms,
        state: IntentState::Pending,
        note: None,
    }
}

/// The exchange's report of an intent's order.
pub fn report(
    intent: &OrderIntent,
    order_id: u64,
    status: OrderStatus,
    executed: &str,
    update_ms: i64,
) -> OrderReport {
    OrderReport {
        symbol: symbol(),
        order_id,
        client_id: intent.client_id.clone(),
        side: intent.spec.side,
        spec: intent.spec.clone(),
        status,
        executed_qty: qty(executed),
        cumulative_quote: quote("0.015185185185000"),
        time_ms: intent.created_ms,
        update_ms,
        expiry_reason: None,
    }
}

/// A fill of basket `basket_id`; buys are B1, sells TP1.
pub fn fill_record(basket_id: u32, trade_id: u64, side: Side, time_ms: i64) -> FillRecord {
    FillRecord {
        basket_id,
        symbol: symbol(),
        fill: Fill {
            trade_id,
            order_id: trade_id + 1_000,
            slot: if side == Side::Buy {
                Slot::Buy(1)
            } else {
                Slot::Tp1
            },
            side,
            price: price("0.00001230"),
            qty: qty("1234.5678900000"),
            commission: Commission {
                amount: amount("0.00000123450000"),
                asset: Asset::parse("BNB").unwrap(),
                quote_value: Some(binance_trader::core::money::Quote::new(
                    rust_decimal::Decimal::new(74, 5),
                )),
            },
            is_maker: trade_id % 2 == 0,
            time_ms,
        },
    }
}

pub fn snapshot(time_ms: i64) -> AccountSnapshot {
    AccountSnapshot {
        time_ms,
        symbol: symbol(),
        quote_balance: quote("100.10"),
        base_balance: qty("1.500000001"),
        price: price("150.12345678"),
        total_value: quote("325.2851851970012345"),
        balances: vec![
            Balance {
                asset: Asset::parse("USDC").unwrap(),
                free: amount("100.10"),
                locked: amount("0"),
            },
            Balance {
                asset: Asset::parse("SOL").unwrap(),
                free: amount("0.000000001"),
                locked: amount("1.50000000"),
            },
        ],
    }
}

pub fn event(time_ms: i64, basket_id: Option<u32>, level: EventLevel, kind: &str) -> Event {
    Event {
        time_ms,
        basket_id,
        level,
        kind: kind.to_string(),
        message: format!("{kind} happened"),
    }
}

pub fn ids(baskets: &[BasketRecord]) -> Vec<u32> {
    baskets.iter().map(|b| b.basket.id).collect()
}

pub fn trades(fills: &[FillRecord]) -> Vec<u64> {
    fills.iter().map(|f| f.fill.trade_id).collect()
}
