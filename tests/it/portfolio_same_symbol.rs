//! Two grids on one symbol, live (issue 15): grids `a` (prefix `ga`) and `b` (the default
//! prefix `gb`) trade FILUSDT on one simulated account and one journal. Each opens, reads and
//! closes only its own baskets (the journal keys them by symbol and prefix), journals only its
//! own orders' fills with its own trade cursor, and holds to its own budget (its cash from
//! its own fills); an emergency close of one leaves the other's orders alone; a restart
//! resumes both. The same (symbol, prefix) twice is still refused before any order.

use crate::harness::{client, root, serve_on_loopback, KEY, SECRET};
use crate::portfolio_live::{path, strategy, START};
use binance_trader::adapters::binance::rest::BinanceRest;
use binance_trader::adapters::binance::transport::ReqwestTransport;
use binance_trader::adapters::sim::server::{
    ApiCredential, FaultConfig, SimServer, SimServerConfig, Speed,
};
use binance_trader::adapters::store::SqlStore;
use binance_trader::apps::bot::{trade_cursor_key, BotMetrics, BotSettings};
use binance_trader::apps::portfolio::{
    request_grid_command, GridCommand, GridPlan, GridView, Portfolio, PortfolioMetrics, Setup,
};
use binance_trader::core::basket::BasketStatus;
use binance_trader::core::client_id::IdPrefix;
use binance_trader::core::money::{Amount, Price, Quote};
use binance_trader::core::order::Side;
use binance_trader::core::risk::RiskLimits;
use binance_trader::core::symbol::{Asset, Symbol};
use binance_trader::ports::exchange::Exchange;
use binance_trader::ports::store::Store;
use rust_decimal_macros::dec;
use std::collections::BTreeSet;
use std::sync::Arc;

type P = Portfolio<BinanceRest<ReqwestTransport>, SqlStore>;

const FIL: &str = "FILUSDT";

fn fil() -> Symbol {
    Symbol::parse(FIL).unwrap()
}

/// Grid `a` (budget 600) and grid `b` (budget 400) on FILUSDT, each strategy wanting a
/// ladder of 1000: the budget rule binds both.
fn plans(prefix_a: &str, prefix_b: &str) -> Vec<GridPlan> {
    [("a", prefix_a, dec!(600)), ("b", prefix_b, dec!(400))]
        .into_iter()
        .map(|(name, prefix, budget)| GridPlan {
            name: name.into(),
            prefix: IdPrefix::parse(prefix).unwrap(),
            strategy: strategy(FIL, "1000"),
            budget: Quote::new(budget),
        })
        .collect()
}

async fn portfolio(
    shared: &BinanceRest<ReqwestTransport>,
    store: &SqlStore,
    plans: Vec<GridPlan>,
) -> Result<P, String> {
    Portfolio::new(
        plans,
        |p| shared.for_prefix(p.clone()),
        store.clone(),
        Setup {
            limits: RiskLimits::default(),
            initial_equity: Quote::new(dec!(1000)),
            settings: BotSettings::new(strategy(FIL, "300")).with_intent_grace(0),
            metrics: PortfolioMetrics::default(),
            bot_metrics: Arc::new(BotMetrics::new()),
        },
    )
    .await
    .map_err(|e| e.to_string())
}

struct Two {
    sim: SimServer,
    _stop: tokio::sync::oneshot::Sender<()>,
    base: String,
    store: SqlStore,
    _dir: tempfile::TempDir,
}

async fn two() -> Two {
    // Down 4 % (the first levels fill), up 5 % (take-profits fill), then flat.
    let candles = path(&[(2, 0), (7, -6), (10, 5), (12, 0)]);
    let sim = SimServer::new(SimServerConfig {
        exchange_info_json: std::fs::read_to_string(root().join("data/exchange_info.json"))
            .unwrap(),
        markets: vec![(fil(), candles)],
        balances: vec![(
            Asset::parse("USDT").unwrap(),
            Amount::parse("1000").unwrap(),
        )],
        speed: Speed::Manual,
        credentials: vec![ApiCredential {
            key: KEY.into(),
            secret: SECRET.to_string().into(),
        }],
        faults: FaultConfig::default(),
        start_ms: START,
    })
    .unwrap();
    let (base, stop) = serve_on_loopback(&sim).await;
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!(
        "sqlite://{}",
        dir.path().join("p.sqlite").display()
    ))
    .await
    .unwrap();
    Two {
        sim,
        _stop: stop,
        base,
        store,
        _dir: dir,
    }
}

/// A grid's resting orders on the exchange (its prefix's view): client ids and buy notional.
async fn resting(base: &str, prefix: &str) -> (BTreeSet<String>, Quote, usize) {
    let view = client(base).for_prefix(IdPrefix::parse(prefix).unwrap());
    let open = view.open_orders(&fil()).await.unwrap();
    let mut ids = BTreeSet::new();
    let (mut notional, mut buys) = (Quote::ZERO, 0);
    for o in open.iter() {
        ids.insert(o.client_id.to_string());
        if o.spec.side == Side::Buy {
            buys += 1;
            notional += o.spec.price.unwrap_or(Price::ZERO) * (o.spec.qty - o.executed_qty);
        }
    }
    (ids, notional, buys)
}

/// A grid's cash as its own journalled fills give it: budget + sells − buys − USDT fees.
async fn cash_from_journal(store: &SqlStore, prefix: &str, budget: Quote) -> Quote {
    let mut cash = budget;
    for b in store.baskets(false).await.unwrap() {
        if b.prefix.as_str() != prefix {
            continue;
        }
        for f in store.basket_fills(b.basket.id).await.unwrap() {
            let fee = if f.commission.asset.as_str() == "USDT" {
                f.commission.amount.as_quote()
            } else {
                Quote::ZERO
            };
            match f.side {
                Side::Buy => cash = cash - f.notional() - fee,
                Side::Sell => cash = cash + f.notional() - fee,
            }
        }
    }
    cash
}

/// Every basket belongs to one of the grids; every order and fill of a basket carries its
/// grid's prefix; every trade of the account is journalled exactly once.
async fn journal_is_per_grid(t: &Two) {
    let mut fills = 0;
    for b in t.store.baskets(false).await.unwrap() {
        let prefix = b.prefix.clone();
        assert!(["ga", "gb"].contains(&prefix.as_str()), "{prefix:?}");
        let orders = t.store.orders(b.basket.id).await.unwrap();
        for o in &orders {
            assert!(
                prefix.marks(o.report.client_id.as_str()),
                "basket {} of {} holds {}",
                b.basket.id,
                prefix.as_str(),
                o.report.client_id
            );
        }
        for f in t.store.basket_fills(b.basket.id).await.unwrap() {
            assert!(
                orders.iter().any(|o| o.report.order_id == f.order_id),
                "fill {} in basket {} of another grid's order",
                f.trade_id,
                b.basket.id
            );
            fills += 1;
        }
    }
    let trades = client(&t.base).my_trades(&fil(), 0).await.unwrap();
    assert_eq!(fills, trades.len(), "every trade once as a fill");
}

/// One loop: the equity counts the symbol's base once, and each grid's cash is what its own
/// fills give it (the journal before the loop: a grid's step syncs only its own fills).
/// `a_open`: grid a steps (a closed grid is not stepped and its cash not re-read).
async fn turn(t: &Two, p: &mut P, check_equity: bool, a_open: bool) -> Vec<GridView> {
    let cash_a = cash_from_journal(&t.store, "ga", Quote::new(dec!(600))).await;
    let cash_b = cash_from_journal(&t.store, "gb", Quote::new(dec!(400))).await;
    let account = client(&t.base).account().await.unwrap();
    let report = p.step().await.unwrap();
    if check_equity {
        let total = |a: &str| {
            account
                .balances
                .iter()
                .find(|b| b.asset.as_str() == a)
                .map(|b| b.total())
                .unwrap_or_default()
        };
        let want = total("USDT").as_quote() + report.prices[&fil()] * total("FIL").as_qty();
        assert_eq!(report.equity, want, "the symbol's base counted once");
    }
    let views = p.grids();
    if a_open {
        assert_eq!(views[0].cash, cash_a, "grid a's cash is its own fills'");
    }
    assert_eq!(views[1].cash, cash_b, "grid b's cash is its own fills'");
    for (v, prefix) in views.iter().zip(["ga", "gb"]) {
        let (_, notional, _) = resting(&t.base, prefix).await;
        assert!(v.cash >= Quote::ZERO, "{}: cash {}", v.name, v.cash);
        assert!(
            notional <= v.cash,
            "{}: resting buys {notional} > cash {}",
            v.name,
            v.cash
        );
    }
    views
}

async fn active(store: &SqlStore, prefix: &str) -> Vec<u32> {
    store
        .baskets(true)
        .await
        .unwrap()
        .into_iter()
        .filter(|b| b.prefix.as_str() == prefix)
        .map(|b| b.basket.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_grids_trade_one_symbol_each_on_its_own_journal_and_budget() {
    let t = two().await;
    let shared = client(&t.base);
    let mut p = portfolio(&shared, &t.store, plans("ga", "gb"))
        .await
        .unwrap();
    for _ in 0..20 {
        turn(&t, &mut p, true, true).await;
        t.sim.step(1);
    }
    turn(&t, &mut p, true, true).await;
    // Both grids opened a basket of their own and trade it.
    let (a, b) = (active(&t.store, "ga").await, active(&t.store, "gb").await);
    assert_eq!((a.len(), b.len()), (1, 1), "{a:?} {b:?}");
    for prefix in ["ga", "gb"] {
        let (ids, _, _) = resting(&t.base, prefix).await;
        assert!(!ids.is_empty(), "grid {prefix} has nothing resting");
    }
    let filled = |prefix: &'static str| {
        let store = t.store.clone();
        async move {
            let mut n = 0;
            for b in store.baskets(false).await.unwrap() {
                if b.prefix.as_str() == prefix {
                    n += store.basket_fills(b.basket.id).await.unwrap().len();
                }
            }
            n
        }
    };
    assert!(
        filled("ga").await > 0 && filled("gb").await > 0,
        "both grids filled"
    );
    journal_is_per_grid(&t).await;
    // Each grid has its own trade cursor, and each has read every trade of the symbol.
    let last = client(&t.base)
        .my_trades(&fil(), 0)
        .await
        .unwrap()
        .last()
        .map(|t| t.trade_id + 1)
        .unwrap();
    for prefix in ["ga", "gb"] {
        let key = trade_cursor_key(&fil(), &IdPrefix::parse(prefix).unwrap());
        let cursor = t.store.config_value(&key).await.unwrap();
        assert_eq!(cursor, Some(last.to_string()), "{key}");
    }
    assert!(t
        .store
        .events(100_000)
        .await
        .unwrap()
        .iter()
        .all(|e| e.kind != "action_failed"));

    // A restart: a new portfolio on the same journal resumes both baskets, opens none.
    let before = t.store.baskets(false).await.unwrap().len();
    drop(p);
    let mut p = portfolio(&shared, &t.store, plans("ga", "gb"))
        .await
        .unwrap();
    turn(&t, &mut p, true, true).await;
    assert_eq!(t.store.baskets(false).await.unwrap().len(), before);
    assert_eq!(active(&t.store, "ga").await, a);
    assert_eq!(active(&t.store, "gb").await, b);

    // The emergency close of grid a leaves grid b's orders and basket alone.
    let (b_before, _, _) = resting(&t.base, "gb").await;
    request_grid_command(&t.store, "a", GridCommand::Close)
        .await
        .unwrap();
    turn(&t, &mut p, false, true).await;
    let (b_after, _, _) = resting(&t.base, "gb").await;
    assert!(b_before.is_subset(&b_after), "{b_before:?} -> {b_after:?}");
    assert_eq!(active(&t.store, "gb").await, b);
    let (_, _, a_buys) = resting(&t.base, "ga").await;
    assert_eq!(a_buys, 0, "grid a closed");
    let a_status = t.store.basket(a[0]).await.unwrap().unwrap().basket.status;
    assert!(
        matches!(
            a_status,
            BasketStatus::EmergencyClosed | BasketStatus::Closing
        ),
        "{a_status:?}"
    );
    for _ in 0..3 {
        t.sim.step(1);
        turn(&t, &mut p, true, false).await;
        assert_eq!(
            resting(&t.base, "ga").await.2,
            0,
            "a closed grid buys nothing"
        );
        assert!(
            !resting(&t.base, "gb").await.0.is_empty(),
            "grid b trades on"
        );
    }
    journal_is_per_grid(&t).await;
}

/// The same symbol and prefix twice is refused before any order (their client ids and
/// journal rows would be one grid's); so is a portfolio without grids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_symbol_with_the_same_prefix_twice_is_refused_before_any_order() {
    let t = two().await;
    let shared = client(&t.base);
    let err = portfolio(&shared, &t.store, plans("ga", "ga"))
        .await
        .err()
        .expect("refused");
    assert!(err.contains("need different prefixes"), "{err}");
    let err = portfolio(&shared, &t.store, vec![])
        .await
        .err()
        .expect("refused");
    assert!(err.contains("at least one grid"), "{err}");
    assert!(shared.open_orders(&fil()).await.unwrap().is_empty());
    assert!(client(&t.base)
        .for_prefix(IdPrefix::parse("ga").unwrap())
        .open_orders(&fil())
        .await
        .unwrap()
        .is_empty());
    assert!(t.store.baskets(false).await.unwrap().is_empty());
}

/// Grid `gb` starting while an open order `gb1-…` rests and basket 1 of the journal is grid
/// `ga`'s: the order is no basket of `gb` (another database placed it), so the start is
/// refused naming it; grid `ga`, whose basket it is not either, starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_in_another_grids_basket_number_is_a_stray_at_start() {
    use binance_trader::apps::trade::check_market;
    use binance_trader::core::client_id::ClientOrderId;
    use binance_trader::core::order::{OrderSpec, Slot};
    use binance_trader::ports::exchange::NewOrder;
    let t = two().await;
    let ga = client(&t.base).for_prefix(IdPrefix::parse("ga").unwrap());
    let mut p = portfolio(&ga, &t.store, plans("ga", "zz")).await.unwrap();
    p.step().await.unwrap();
    let first = t.store.basket(1).await.unwrap().expect("basket 1");
    assert_eq!(first.prefix.as_str(), "ga");
    drop(p);
    let gb = client(&t.base);
    let stray = NewOrder {
        symbol: fil(),
        client_id: ClientOrderId::ours(&IdPrefix::default(), 1, Slot::Buy(1), 9),
        spec: OrderSpec::limit(Slot::Buy(1), Price::new(dec!(3.5)), "3".parse().unwrap()),
    };
    gb.place(&stray).await.unwrap();
    let mut settings = BotSettings::new(strategy(FIL, "300")).with_intent_grace(0);
    let err = check_market(&gb, &t.store, &settings)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("gb1-B1-9"), "{err}");
    settings.prefix = IdPrefix::parse("ga").unwrap();
    check_market(&ga, &t.store, &settings).await.unwrap();
}
