//! A store seeded with known baskets, orders, fills and snapshots, the P&L they must give
//! (computed by hand below), a fake bot that answers commands, and a small HTTP client.
//!
//! Pair FILUSDT, budget 1000 USDT, last price 4.50 (latest snapshot).
//! Basket 1 (closed): buy 10 @ 5 (fee 0.05 USDT) → cost 50.05; buy 10 @ 4 (fee 0.04) → 20 FIL
//!   for 90.09, VWAP 4.5045; sell 10 @ 5 (fee 0.05): 50 − 0.05 − 45.045 = +4.905;
//!   sell 10 @ 4.2 (fee 0.042): 42 − 0.042 − 45.045 = −3.087. Realised +1.818.
//! Basket 2 (active): buy 4 @ 5, buy 6 @ 4 (fee in BNB: not in the cost) → 10 for 44, VWAP
//!   4.4; sell 5 @ 5 (fee 0.025): 25 − 0.025 − 22 = +2.975; buy 2 @ 3 (B3, partly filled) →
//!   7 FIL for 28, VWAP 4. Unrealised at 4.5: 31.5 − 28 = +3.5.
//! Basket 3 (paused by the operator): nothing filled.
//! Totals: realised 4.793, unrealised 3.5, combined 8.293, ROI 0.8293 %, 3 trades, 2 wins
//! (66.6667 %), average win (4.905 + 2.975) / 2 = 3.94, average loss −3.087.

use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::apps::bot::emergency::CloseReport;
use binance_trader::apps::bot::runner::BotCommand;
pub use binance_trader::apps::dashboard::auth::{self, Access};
use binance_trader::apps::dashboard::{self, DashboardState, Pair, Running};
use binance_trader::apps::trade::Mode;
use binance_trader::core::basket::{Basket, BasketStatus};
use binance_trader::core::client_id::{ClientOrderId, IdPrefix};
use binance_trader::core::fill::{Balance, Commission, Fill};
use binance_trader::core::filters::{SymbolFilters, SymbolRules};
use binance_trader::core::money::{Amount, Price, Qty, Quote};
use binance_trader::core::order::{OrderSpec, OrderStatus, Slot};
use binance_trader::core::strategy::config::StrategyConfig;
use binance_trader::core::symbol::{Asset, Symbol};
use binance_trader::ports::exchange::OrderReport;
use binance_trader::ports::store::{AccountSnapshot, BasketRecord, FillRecord, Store};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

pub fn d(s: &str) -> rust_decimal::Decimal {
    rust_decimal::Decimal::from_str(s).unwrap()
}

fn asset(s: &str) -> Asset {
    Asset::parse(s).unwrap()
}

/// FILUSDT with tick 0.001 and step 0.01: prices show 3 decimals, quantities 2.
pub fn pair() -> Pair {
    Pair::from_rules(&SymbolRules::basic(
        Symbol::parse("FILUSDT").unwrap(),
        asset("FIL"),
        asset("USDT"),
        SymbolFilters::basic(d("0.001"), d("0.01"), d("5")),
    ))
}

pub fn basket(id: u32, status: BasketStatus, reason: Option<&str>) -> BasketRecord {
    let config =
        StrategyConfig::from_toml_str(include_str!("../../../config/backtest.toml")).unwrap();
    BasketRecord {
        basket: Basket {
            id,
            anchor: Price::new(d("5")),
            config,
            status,
            carried_qty: Qty::ZERO,
            carried_cost: Quote::ZERO,
            created_ms: 1_700_000_000_000 + i64::from(id),
            trail_root: None,
        },
        symbol: pair().symbol,
        prefix: Default::default(),
        closed_ms: None,
        reason: reason.map(str::to_string),
    }
}

/// A fill; trade `t` happens at `T0 + t` seconds.
pub fn fill(
    basket_id: u32,
    t: u64,
    slot: Slot,
    price: &str,
    qty: &str,
    fee: &str,
    fee_asset: &str,
) -> FillRecord {
    FillRecord {
        basket_id,
        symbol: pair().symbol,
        fill: Fill {
            trade_id: t,
            order_id: 100 + t,
            slot,
            side: slot.side(),
            price: Price::new(d(price)),
            qty: Qty::new(d(qty)),
            commission: Commission {
                amount: Amount::new(d(fee)),
                asset: asset(fee_asset),
                quote_value: None,
            },
            is_maker: true,
            time_ms: 1_700_000_000_000 + i64::try_from(t).unwrap() * 1_000,
        },
    }
}

pub fn client_id(basket_id: u32, slot: Slot) -> ClientOrderId {
    ClientOrderId::ours(&IdPrefix::default(), basket_id, slot, 1)
}

pub fn order(
    basket_id: u32,
    id: u64,
    slot: Slot,
    price: &str,
    qty: &str,
    status: OrderStatus,
    executed: &str,
) -> OrderReport {
    let spec = OrderSpec::limit(slot, Price::new(d(price)), Qty::new(d(qty)));
    OrderReport {
        symbol: pair().symbol,
        order_id: id,
        client_id: client_id(basket_id, slot),
        side: spec.side,
        spec,
        status,
        executed_qty: Qty::new(d(executed)),
        cumulative_quote: Quote::ZERO,
        time_ms: 1_700_000_000_000,
        update_ms: 1_700_000_000_000,
        expiry_reason: None,
    }
}

pub fn snapshot(t: i64, total: &str) -> AccountSnapshot {
    let bal = |a: &str, free: &str, locked: &str| Balance {
        asset: asset(a),
        free: Amount::new(d(free)),
        locked: Amount::new(d(locked)),
    };
    AccountSnapshot {
        time_ms: 1_700_000_000_000 + t,
        symbol: pair().symbol,
        quote_balance: Quote::new(d("965")),
        base_balance: Qty::new(d("7")),
        price: Price::new(d("4.5")),
        total_value: Quote::new(d(total)),
        balances: vec![bal("USDT", "950", "15"), bal("FIL", "2", "5")],
    }
}

/// The store described in the module docs.
pub async fn seed<S: Store>(s: &S) {
    s.insert_basket(&basket(1, BasketStatus::Closed, None))
        .await
        .unwrap();
    s.insert_basket(&basket(2, BasketStatus::Active, None))
        .await
        .unwrap();
    s.insert_basket(&basket(
        3,
        BasketStatus::Error,
        Some("paused by the operator"),
    ))
    .await
    .unwrap();
    for f in [
        fill(1, 1, Slot::Buy(1), "5", "10", "0.05", "USDT"),
        fill(1, 2, Slot::Buy(2), "4", "10", "0.04", "USDT"),
        fill(1, 3, Slot::Tp1, "5", "10", "0.05", "USDT"),
        fill(1, 4, Slot::Tp2, "4.2", "10", "0.042", "USDT"),
        fill(2, 5, Slot::Buy(1), "5", "4", "0", "USDT"),
        fill(2, 6, Slot::Buy(2), "4", "6", "0.01", "BNB"),
        fill(2, 7, Slot::Tp1, "5", "5", "0.025", "USDT"),
        fill(2, 8, Slot::Buy(3), "3", "2", "0", "USDT"),
    ] {
        assert!(s.insert_fill(&f).await.unwrap());
    }
    for (basket_id, id, slot, price, qty, status, executed) in [
        (1, 11, Slot::Buy(1), "5", "10", OrderStatus::Filled, "10"),
        (
            2,
            21,
            Slot::Buy(3),
            "3",
            "10",
            OrderStatus::PartiallyFilled,
            "2",
        ),
        (2, 22, Slot::Tp2, "4.8", "5", OrderStatus::New, "0"),
        (2, 23, Slot::Buy(4), "2.5", "10", OrderStatus::Canceled, "0"),
    ] {
        let report = order(basket_id, id, slot, price, qty, status, executed);
        s.upsert_order(basket_id, &report).await.unwrap();
    }
    for (t, total) in [(1_000, "1000"), (2_000, "1005"), (3_000, "1008.293")] {
        s.insert_snapshot(&snapshot(t, total)).await.unwrap();
    }
}

/// What the fake bot received.
pub type Received = Arc<Mutex<Vec<String>>>;

/// A bot that answers commands: close-all reports two baskets, pause/resume work on basket 2
/// and 3 only.
pub fn fake_bot() -> (mpsc::Sender<BotCommand>, Received) {
    let (tx, mut rx) = mpsc::channel::<BotCommand>(4);
    let got: Received = Arc::default();
    let log = got.clone();
    tokio::spawn(async move {
        while let Some(cmd) = rx.recv().await {
            match cmd {
                BotCommand::CloseAll(reply) => {
                    log.lock().unwrap().push("close-all".into());
                    let _ = reply.send(Ok(CloseReport {
                        baskets: vec![2, 3],
                        cancelled: vec![client_id(2, Slot::Buy(3)), client_id(2, Slot::Tp2)],
                        placed: vec![(
                            client_id(2, Slot::Exit),
                            Price::new(d("4.365")),
                            Qty::new(d("7")),
                        )],
                        ..CloseReport::default()
                    }));
                }
                BotCommand::Pause(id, reply) => {
                    log.lock().unwrap().push(format!("pause {id}"));
                    let _ = reply.send(if id == 2 {
                        Ok(())
                    } else {
                        Err(format!("basket {id} is closed, not active"))
                    });
                }
                BotCommand::Resume(id, reply) => {
                    log.lock().unwrap().push(format!("resume {id}"));
                    let _ = reply.send(if id == 3 {
                        Ok(())
                    } else {
                        Err(format!("basket {id} is active, not paused"))
                    });
                }
            }
        }
    });
    (tx, got)
}

/// A seeded dashboard on 127.0.0.1:0 with the fake bot.
pub async fn start(mode: Mode, password_hash: Option<String>) -> (Running, Received) {
    start_with_access(mode, password_hash, Access::default()).await
}

/// [`start`] with access settings (TLS proxy, client-address header, delays, idle timeout).
pub async fn start_with_access(
    mode: Mode,
    password_hash: Option<String>,
    access: Access,
) -> (Running, Received) {
    let store = MemoryStore::new();
    seed(&store).await;
    let (tx, got) = fake_bot();
    let state = DashboardState::new(store, tx, mode, pair(), password_hash)
        .unwrap()
        .with_access(access)
        .unwrap();
    let running = dashboard::spawn("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap();
    (running, got)
}

/// A dashboard (paper mode, the fake bot) whose only basket, 1 (active, FILUSDT), runs
/// `config` (`None`: the fixtures' basket grid), with `orders` on the exchange and one
/// account snapshot at 4.50; a portfolio's `grids` when not empty.
pub async fn start_with_basket(
    config: Option<StrategyConfig>,
    orders: &[OrderReport],
    grids: Vec<dashboard::GridInfo>,
) -> Running {
    let store = MemoryStore::new();
    let mut record = basket(1, BasketStatus::Active, None);
    if let Some(config) = config {
        record.basket.config = config;
    }
    store.insert_basket(&record).await.unwrap();
    for o in orders {
        store.upsert_order(1, o).await.unwrap();
    }
    store
        .insert_snapshot(&snapshot(1_000, "1000"))
        .await
        .unwrap();
    let (tx, _) = fake_bot();
    let state = DashboardState::new(store, tx, Mode::Paper, pair(), None)
        .unwrap()
        .with_grids(grids);
    dashboard::spawn("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap()
}

/// The strategy file `file` under `config/`.
pub fn strategy_file(file: &str) -> StrategyConfig {
    let text = std::fs::read_to_string(crate::harness::root().join("config").join(file)).unwrap();
    StrategyConfig::from_toml_str(&text).unwrap()
}

/// A password hash that is quick to check (the production parameters take 64 MiB and three
/// passes per check; the limiter and session tests check many passwords).
pub fn quick_hash(password: &str) -> String {
    auth::hash_password_with(password, 1024, 1).unwrap()
}

/// A minimal HTTP client: no redirects followed, one cookie jar line kept by hand.
pub struct Http {
    pub base: String,
    client: reqwest::Client,
    pub cookies: Vec<(String, String)>,
    /// Headers sent with every request (a proxy's `X-Forwarded-For`, say).
    pub headers: Vec<(String, String)>,
}

/// An answer.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }

    /// The value of the first `_csrf` hidden field.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"_csrf\" value=\"")
            .expect("a CSRF field")
            + 20;
        self.body[at..].split('"').next().unwrap().to_string()
    }
}

impl Http {
    pub fn new(running: &Running) -> Self {
        Self {
            base: format!("http://{}", running.addr),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
            headers: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let mut request = if self.cookies.is_empty() {
            request
        } else {
            request.header("cookie", self.cookie_header())
        };
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        for v in response.headers().get_all("set-cookie") {
            let first = v.to_str().unwrap().split(';').next().unwrap();
            let (k, val) = first.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            if !val.is_empty() {
                self.cookies.push((k.to_string(), val.to_string()));
            }
        }
        Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let r = self.client.get(format!("{}{path}", self.base));
        self.finish(r).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let r = self.client.post(format!("{}{path}", self.base)).form(form);
        self.finish(r).await
    }
}

/// `baskets` closed baskets with `orders` filled or cancelled orders and `fills` fills each
/// (alternating buys and sells), plus basket `baskets + 1` active with two open orders.
pub async fn seed_bulk<S: Store>(s: &S, baskets: u32, orders: u64, fills: u64) {
    let mut trade = 1_000_000;
    for id in 1..=baskets + 1 {
        let active = id == baskets + 1;
        let status = if active {
            BasketStatus::Active
        } else {
            BasketStatus::Closed
        };
        s.insert_basket(&basket(id, status, None)).await.unwrap();
        let n = if active { 2 } else { orders };
        for k in 0..n {
            let slot = Slot::Buy(u16::try_from(k + 1).unwrap());
            let (st, ex) = match (active, k % 2) {
                (true, _) => (OrderStatus::New, "0"),
                (false, 0) => (OrderStatus::Filled, "1"),
                _ => (OrderStatus::Canceled, "0"),
            };
            let mut report = order(id, u64::from(id) * 1_000 + k, slot, "4", "1", st, ex);
            report.client_id = ClientOrderId::ours(&IdPrefix::default(), id, slot, 1);
            s.upsert_order(id, &report).await.unwrap();
        }
        for k in 0..if active { 0 } else { fills } {
            trade += 1;
            let (slot, price) = if k % 2 == 0 {
                (Slot::Buy(1), "4")
            } else {
                (Slot::Tp1, "4.1")
            };
            s.insert_fill(&fill(id, trade, slot, price, "1", "0.001", "USDT"))
                .await
                .unwrap();
        }
    }
    for t in 0..600 {
        s.insert_snapshot(&snapshot(t * 60_000, "1000"))
            .await
            .unwrap();
    }
}
