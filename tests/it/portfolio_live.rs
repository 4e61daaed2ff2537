//! `paper --portfolio`'s orchestrator on the exchange server: three grids (FILUSDT, AVAXUSDT,
//! LINKUSDT) on one simulated account, one store, one client budget, one loop; synthetic
//! candles stepped by hand, a few dozen minutes each, so the whole file runs in seconds.
//! Each test would fail without the rule it names: the budget wall, each risk limit's trip
//! and its action, the per-grid controls.

use crate::harness::{client, root, serve_on_loopback, KEY, SECRET};
use binance_trader::adapters::binance::rest::BinanceRest;
use binance_trader::adapters::binance::transport::{HttpTransport, ReqwestTransport};
use binance_trader::adapters::klines::Candle;
use binance_trader::adapters::sim::server::{
    ApiCredential, FaultConfig, SimServer, SimServerConfig, Speed,
};
use binance_trader::adapters::store::SqlStore;
use binance_trader::apps::bot::{BotMetrics, BotSettings};
use binance_trader::apps::portfolio::{
    request_grid_command, GridCommand, GridPlan, GridView, Portfolio, PortfolioMetrics, Setup,
    GRID_RECEIPT_PREFIX,
};
use binance_trader::core::basket::BasketStatus;
use binance_trader::core::client_id::IdPrefix;
use binance_trader::core::money::{Amount, Pct, Price, Qty, Quote};
use binance_trader::core::order::Side;
use binance_trader::core::risk::{
    DailyLoss, Limit, LimitKind, LossWindow, RiskLimits, TripAction, Verdict,
};
use binance_trader::core::strategy::config::{StrategyConfig, TrailDown};
use binance_trader::core::symbol::{Asset, Symbol};
use binance_trader::ports::exchange::Exchange;
use binance_trader::ports::store::Store;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::sync::Arc;

type P = Portfolio<BinanceRest<ReqwestTransport>, SqlStore>;

pub(crate) const SYMBOLS: [&str; 3] = ["FILUSDT", "AVAXUSDT", "LINKUSDT"];
const NAMES: [&str; 3] = ["fil", "avax", "link"];
/// 2023-11-14 23:50 UTC: ten minutes before a UTC midnight.
pub(crate) const START: i64 = 1_700_006_400_000 - 600_000;

/// A price path from 4.000: `(candles, move per candle in ‰)` pieces.
pub(crate) fn path(pieces: &[(usize, i64)]) -> Vec<Candle> {
    let mut last = dec!(4);
    let mut out = Vec::new();
    for &(n, permille) in pieces {
        for _ in 0..n {
            let open = last;
            let close = (open * (Decimal::ONE + Decimal::new(permille, 3))).round_dp(3);
            last = close;
            let t = START + out.len() as i64 * 60_000;
            out.push(Candle {
                open_time_ms: t,
                open: Price::new(open),
                high: Price::new(open.max(close) + dec!(0.001)),
                low: Price::new(open.min(close) - dec!(0.001)),
                close: Price::new(close),
                volume: Qty::new(dec!(100000)),
                close_time_ms: t + 59_999,
            });
        }
    }
    out
}

/// The bundled portfolio grid strategy (`config/portfolio-grid.toml`) on `symbol`, its
/// ladder sized for `ladder` quote.
pub(crate) fn strategy(symbol: &str, ladder: &str) -> StrategyConfig {
    let text = std::fs::read_to_string(root().join("config/portfolio-grid.toml")).unwrap();
    let text = format!("symbol = \"{symbol}\"\nquote_budget = {ladder}\n{text}");
    StrategyConfig::from_toml_str(&text).unwrap()
}

/// [`strategy`] with the grid file's earlier stop, 25 % and `"follow"`: a grid that reopens
/// lower after its hard stop (the shipped `"stop"` never reopens, so nothing would buy after).
pub(crate) fn following_strategy(symbol: &str, ladder: &str) -> StrategyConfig {
    let mut config = strategy(symbol, ladder);
    config.hard_stop_pct = Pct::new(dec!(25));
    config.trail_down = TrailDown::Follow;
    config
}

pub(crate) struct Rig {
    pub(crate) sim: SimServer,
    _stop: tokio::sync::oneshot::Sender<()>,
    pub(crate) base: String,
    pub(crate) portfolio: P,
    pub(crate) store: SqlStore,
    metrics: Arc<BotMetrics>,
    pub(crate) setup: RigSetup,
    _dir: tempfile::TempDir,
}

/// Three grids, each with `budget` of the account's `quote` and a ladder sized for
/// `ladder`, on three price paths, under `limits`.
pub(crate) async fn rig(
    paths: [Vec<Candle>; 3],
    quote: &str,
    budget: &str,
    ladder: &str,
    limits: RiskLimits,
) -> Rig {
    rig_with(paths, quote, budget, ladder, limits, strategy).await
}

/// As [`rig`], each grid's strategy from `grid` (symbol, ladder).
async fn rig_with(
    paths: [Vec<Candle>; 3],
    quote: &str,
    budget: &str,
    ladder: &str,
    limits: RiskLimits,
    grid: fn(&str, &str) -> StrategyConfig,
) -> Rig {
    let info = std::fs::read_to_string(root().join("data/exchange_info.json")).unwrap();
    let markets = SYMBOLS
        .iter()
        .zip(paths)
        .map(|(s, c)| (Symbol::parse(s).unwrap(), c))
        .collect();
    let sim = SimServer::new(SimServerConfig {
        exchange_info_json: info,
        markets,
        balances: vec![(Asset::parse("USDT").unwrap(), Amount::parse(quote).unwrap())],
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
    let setup = RigSetup {
        quote: quote.into(),
        budget: budget.into(),
        ladder: ladder.into(),
        limits,
        grid,
    };
    let (portfolio, metrics) = setup.start(&base, &store).await;
    Rig {
        sim,
        _stop: stop,
        base,
        portfolio,
        store,
        metrics,
        setup,
        _dir: dir,
    }
}

/// What a rig's portfolio is built from (again, for a restart).
pub(crate) struct RigSetup {
    pub(crate) quote: String,
    pub(crate) budget: String,
    pub(crate) ladder: String,
    pub(crate) limits: RiskLimits,
    /// Each grid's strategy from its symbol and ladder ([`strategy`] unless a test needs
    /// another).
    pub(crate) grid: fn(&str, &str) -> StrategyConfig,
}

impl RigSetup {
    /// A portfolio of the three grids on the exchange at `base` and `store`.
    async fn start(&self, base: &str, store: &SqlStore) -> (P, Arc<BotMetrics>) {
        self.start_on(client(base), store).await
    }

    /// A portfolio of the three grids on `shared` (each grid a view of it) and `store`.
    pub(crate) async fn start_on<T: HttpTransport + Clone>(
        &self,
        shared: BinanceRest<T>,
        store: &SqlStore,
    ) -> (Portfolio<BinanceRest<T>, SqlStore>, Arc<BotMetrics>) {
        let plans = SYMBOLS
            .iter()
            .zip(NAMES)
            .map(|(s, n)| GridPlan {
                name: n.to_string(),
                prefix: IdPrefix::default(),
                strategy: (self.grid)(s, &self.ladder),
                budget: Quote::new(self.budget.parse().unwrap()),
            })
            .collect();
        let pm = PortfolioMetrics::default();
        let metrics = Arc::new(BotMetrics::with_extra(|r| pm.register(r)));
        let portfolio = Portfolio::new(
            plans,
            |p| shared.for_prefix(p.clone()),
            store.clone(),
            Setup {
                limits: self.limits.clone(),
                initial_equity: Quote::new(self.quote.parse().unwrap()),
                settings: BotSettings::new(strategy("FILUSDT", "300")).with_intent_grace(0),
                metrics: pm,
                bot_metrics: metrics.clone(),
            },
        )
        .await
        .unwrap();
        (portfolio, metrics)
    }
}

/// One grid's orders of ours resting on the exchange.
#[derive(Debug, Default, Clone, Copy)]
struct Resting {
    buys: usize,
    sells: usize,
    buy_notional: Quote,
}

impl Rig {
    /// One loop, then every grid's resting orders.
    async fn turn(&mut self) -> (Vec<GridView>, Vec<Resting>) {
        self.portfolio.step().await.unwrap();
        let views = self.portfolio.grids();
        let ex = client(&self.base);
        let mut resting = Vec::new();
        for s in SYMBOLS {
            let open = ex.open_orders(&Symbol::parse(s).unwrap()).await.unwrap();
            let mut r = Resting::default();
            for o in open.iter() {
                match o.spec.side {
                    Side::Buy => {
                        r.buys += 1;
                        let left = o.spec.qty - o.executed_qty;
                        r.buy_notional += o.spec.price.unwrap_or(Price::ZERO) * left;
                    }
                    Side::Sell => r.sells += 1,
                }
            }
            resting.push(r);
        }
        (views, resting)
    }

    /// The process restarts: a new portfolio on the same journal and exchange.
    async fn restart(&mut self) {
        let (portfolio, metrics) = self.setup.start(&self.base, &self.store).await;
        self.portfolio = portfolio;
        self.metrics = metrics;
    }

    /// One minute of all three symbols.
    fn minute(&self) {
        self.sim.step(SYMBOLS.len());
    }

    async fn events(&self, kind: &str) -> Vec<String> {
        self.store
            .events(100_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.message)
            .collect()
    }

    async fn no_insufficient_balance(&self) {
        let failed = self.events("action_failed").await;
        assert!(
            failed
                .iter()
                .all(|m| !m.contains("-2010") && !m.to_lowercase().contains("insufficient")),
            "the exchange refused for funds: {failed:?}"
        );
    }

    async fn statuses(&self, symbol: &str) -> Vec<BasketStatus> {
        let s = Symbol::parse(symbol).unwrap();
        self.store
            .baskets(false)
            .await
            .unwrap()
            .into_iter()
            .filter(|b| b.symbol == s)
            .map(|b| b.basket.status)
            .collect()
    }
}

fn flat(n: usize) -> Vec<Candle> {
    path(&[(n, 0)])
}

/// Budgets: the account holds exactly the three budgets (500 each), while each strategy
/// wants a 1000 ladder; all three slide through their ladders. Without the budget rule the
/// first grid would spend the others' money and they would meet "insufficient balance".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_grid_spends_beyond_its_budget_on_a_shared_account() {
    let slide = || path(&[(2, 0), (16, -10), (4, 0)]);
    let mut rig = rig(
        [slide(), slide(), slide()],
        "1500",
        "500",
        "1000",
        RiskLimits::default(),
    )
    .await;
    let mut cut = false;
    for _ in 0..22 {
        let (views, resting) = rig.turn().await;
        for (v, r) in views.iter().zip(&resting) {
            assert!(v.cash >= Quote::ZERO, "{}: cash {}", v.name, v.cash);
            assert!(
                r.buy_notional <= v.cash,
                "{}: resting buys {} > cash {}",
                v.name,
                r.buy_notional,
                v.cash
            );
            assert!(
                v.budget - v.cash <= v.budget,
                "{} spent beyond its budget",
                v.name
            );
            cut |= r.buys > 0 && r.buys < 6;
        }
        rig.minute();
    }
    assert!(
        cut,
        "a ladder was never cut by its budget: the test proves nothing"
    );
    rig.no_insufficient_balance().await;
    let placed = rig.events("order_placed").await;
    assert!(
        placed.len() >= 9,
        "too few orders to mean anything: {}",
        placed.len()
    );
}

/// The kill switch (`max_drawdown` with `close`): every grid is emergency-closed at once,
/// the trip is an event and a metric with its value, and nothing buys again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drawdown_kill_switch_closes_every_grid_and_keeps_them_closed() {
    let slide = || path(&[(2, 0), (14, -10), (6, 5)]);
    let limits = RiskLimits {
        max_drawdown: Some(Limit {
            threshold: Pct::new(dec!(2)),
            action: TripAction::Close,
        }),
        ..RiskLimits::default()
    };
    let mut rig = rig([slide(), slide(), slide()], "10000", "3000", "2300", limits).await;
    let mut closed_at = None;
    for i in 0..22 {
        let (views, resting) = rig.turn().await;
        if closed_at.is_none() && views.iter().all(|v| v.verdict == Verdict::Close) {
            closed_at = Some(i);
        }
        if closed_at.is_some_and(|c| i > c + 1) {
            for (v, r) in views.iter().zip(&resting) {
                assert_eq!(r.buys, 0, "{} buys after the kill switch", v.name);
                assert_eq!(
                    v.verdict,
                    Verdict::Close,
                    "{}: the kill switch latches",
                    v.name
                );
            }
        }
        rig.minute();
    }
    assert!(closed_at.is_some(), "the kill switch never tripped");
    for s in SYMBOLS {
        let statuses = rig.statuses(s).await;
        assert_eq!(
            statuses.first(),
            Some(&BasketStatus::EmergencyClosed),
            "{s}: {statuses:?}"
        );
        assert!(
            !statuses.contains(&BasketStatus::Active),
            "{s} reopened: {statuses:?}"
        );
    }
    let trips = rig.events("risk_limit").await;
    for n in NAMES {
        assert!(
            trips
                .iter()
                .any(|m| m.starts_with(&format!("grid {n}: max_drawdown tripped at "))),
            "{n}: {trips:?}"
        );
    }
    assert_eq!(rig.events("risk_close").await.len(), 3);
    let text = rig.metrics.encode();
    assert!(
        text.contains("bot_portfolio_risk_tripped{grid=\"fil\",limit=\"max_drawdown\"} 1"),
        "{text}"
    );
    assert!(text.contains("bot_portfolio_risk_threshold{grid=\"fil\",limit=\"max_drawdown\"} 2"));
    assert!(text.contains("bot_portfolio_risk_trips_total{grid=\"link\",limit=\"max_drawdown\"} 1"));
    // A restart remembers what holds: the latched kill switch is not announced again.
    let announced = trips.len();
    rig.restart().await;
    for _ in 0..3 {
        let (views, resting) = rig.turn().await;
        for (v, r) in views.iter().zip(&resting) {
            assert_eq!(v.verdict, Verdict::Close, "{}", v.name);
            assert_eq!(r.buys, 0, "{} buys after a restart", v.name);
            assert!(v.holding.contains(&LimitKind::MaxDrawdown), "{}", v.name);
        }
        rig.minute();
    }
    let after = rig.events("risk_limit").await;
    assert_eq!(
        after.len(),
        announced,
        "announced again after a restart: {after:?}"
    );
    let status = binance_trader::apps::status::read_store(&rig.store, "sqlite")
        .await
        .unwrap();
    for n in NAMES {
        assert!(
            status
                .alerts
                .iter()
                .any(|a| a.starts_with(&format!("grid {n}: risk limit max_drawdown holds"))),
            "{n}: {:?}",
            status.alerts
        );
    }
    let text = rig.metrics.encode();
    assert!(
        text.contains("bot_portfolio_risk_tripped{grid=\"fil\",limit=\"max_drawdown\"} 1"),
        "a held limit is shown after a restart: {text}"
    );
}

/// `no_new_buys` limits: while one holds for a grid, that grid has no buy resting (its
/// resting buys are cancelled) and keeps its sells; the position cap holds only the grid
/// whose symbol reached it, the exposure cap every grid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_new_buys_limits_hold_the_buys_of_the_grids_they_concern() {
    // FIL slides from minute 2; AVAX and LINK dip a little from minute 10, once FIL's
    // position is capped.
    let fil = path(&[(2, 0), (12, -10), (8, 0)]);
    let dip = || path(&[(10, 0), (3, -8), (9, 0)]);
    let limits = RiskLimits {
        max_position_value: Some(Limit {
            threshold: Quote::new(dec!(600)),
            action: TripAction::NoNewBuys,
        }),
        max_exposure: Some(Limit {
            threshold: Pct::new(dec!(8)),
            action: TripAction::NoNewBuys,
        }),
        ..RiskLimits::default()
    };
    let mut rig = rig([fil, dip(), dip()], "10000", "3000", "2300", limits).await;
    let mut seen = std::collections::BTreeSet::new();
    let mut position_only_fil = false;
    for _ in 0..22 {
        let (views, resting) = rig.turn().await;
        for (v, r) in views.iter().zip(&resting) {
            if v.verdict == Verdict::NoNewBuys {
                assert_eq!(
                    r.buys, 0,
                    "{}: buys rest while {:?} holds",
                    v.name, v.holding
                );
            }
            seen.extend(v.holding.iter().map(|l| (v.name.clone(), *l)));
        }
        let pos: Vec<&str> = views
            .iter()
            .filter(|v| v.holding.contains(&LimitKind::MaxPositionValue))
            .map(|v| v.name.as_str())
            .collect();
        position_only_fil |= pos == ["fil"] && views.iter().any(|v| v.verdict == Verdict::Allow);
        rig.minute();
    }
    assert!(
        position_only_fil,
        "the position cap never held FIL alone: {seen:?}"
    );
    for n in NAMES {
        assert!(
            seen.contains(&(n.to_string(), LimitKind::MaxExposure)),
            "{n}: {seen:?}"
        );
    }
    let trips = rig.events("risk_limit").await;
    assert!(trips
        .iter()
        .any(|m| m.contains("max_position_value tripped at") && m.ends_with("no new buys")));
    rig.no_insufficient_balance().await;
}

/// The open-order cap trips on the account's count and drops the buys while it holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_open_order_cap_trips_and_holds_buys() {
    let limits = RiskLimits {
        max_open_orders: Some(Limit {
            threshold: 10,
            action: TripAction::NoNewBuys,
        }),
        ..RiskLimits::default()
    };
    let mut rig = rig([flat(8), flat(8), flat(8)], "10000", "3000", "2300", limits).await;
    let mut tripped = false;
    for _ in 0..6 {
        let (views, resting) = rig.turn().await;
        for (v, r) in views.iter().zip(&resting) {
            if v.holding.contains(&LimitKind::MaxOpenOrders) {
                tripped = true;
                assert_eq!(r.buys, 0, "{}: buys rest under the cap", v.name);
            }
        }
        rig.minute();
    }
    assert!(tripped, "three ladders of six never reached 10 open orders");
    let trips = rig.events("risk_limit").await;
    assert!(
        trips
            .iter()
            .any(|m| m.contains("max_open_orders tripped at ") && m.contains("(threshold 10)")),
        "{trips:?}"
    );
}

/// The daily loss limit with `close` over the UTC day: it closes the grids; at the next
/// UTC day the loss starts from zero, the limit clears and the grids reopen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_loss_close_reopens_the_grids_on_the_next_utc_day() {
    // Minutes 0–9 are before midnight.
    let slide = || path(&[(2, 0), (7, -10), (14, 0)]);
    let limits = RiskLimits {
        daily_loss: Some(DailyLoss {
            max_loss: Quote::new(dec!(30)),
            window: LossWindow::UtcDay,
            action: TripAction::Close,
        }),
        ..RiskLimits::default()
    };
    let mut rig = rig([slide(), slide(), slide()], "10000", "3000", "2300", limits).await;
    let mut closed_before_midnight = false;
    for i in 0..20 {
        let (views, _) = rig.turn().await;
        if i < 10 && views.iter().all(|v| v.closed_by_risk) {
            closed_before_midnight = true;
        }
        rig.minute();
    }
    assert!(
        closed_before_midnight,
        "the daily loss never closed the grids"
    );
    assert_eq!(
        rig.events("risk_reopen").await.len(),
        3,
        "the grids did not reopen"
    );
    for s in SYMBOLS {
        let statuses = rig.statuses(s).await;
        assert_eq!(
            statuses.first(),
            Some(&BasketStatus::Active),
            "{s}: {statuses:?}"
        );
        assert!(
            statuses.contains(&BasketStatus::EmergencyClosed),
            "{s}: {statuses:?}"
        );
    }
    assert_eq!(rig.events("risk_cleared").await.len(), 3);
}

/// The cool-down after a hard stop: FIL's basket hits its hard stop; FIL opens no buy for
/// the cool-down's minutes, then trades again; AVAX and LINK are not held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hard_stop_cooldown_holds_that_symbols_buys_for_its_length() {
    let fil = path(&[(1, 0), (10, -30), (14, 0)]);
    let limits = RiskLimits {
        hard_stop_cooldown_ms: Some(5 * 60_000),
        ..RiskLimits::default()
    };
    let paths = [fil, flat(25), flat(25)];
    let mut rig = rig_with(paths, "10000", "3000", "2300", limits, following_strategy).await;
    let mut held = Vec::new();
    let mut fil_buys_after = false;
    for i in 0..25 {
        let (views, resting) = rig.turn().await;
        if views[0].holding.contains(&LimitKind::HardStopCooldown) {
            held.push(i);
            assert_eq!(resting[0].buys, 0, "FIL buys during its cool-down");
        } else if !held.is_empty() && resting[0].buys > 0 {
            fil_buys_after = true;
        }
        assert!(views[1].holding.is_empty() && views[2].holding.is_empty());
        rig.minute();
    }
    assert!(rig
        .statuses("FILUSDT")
        .await
        .contains(&BasketStatus::Stopped));
    // The stop's own loop evaluated before the stop; the next four minutes are within the
    // five-minute cool-down; the fifth minute's loop is not (it holds while `< cool-down`).
    assert_eq!(held.len(), 4, "the cool-down held {held:?}");
    assert_eq!(held[3] - held[0], 3, "one stretch: {held:?}");
    assert!(fil_buys_after, "FIL never bought again after its cool-down");
}

/// Per-grid controls through the store's command rows: pause leaves the grid's orders and
/// decides nothing; resume trades again; close sells that grid alone and keeps it closed
/// until resumed. The other grids trade on throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grid_is_paused_resumed_and_closed_on_its_own() {
    let wave = || path(&[(2, 0), (4, -8), (14, 0)]);
    let mut rig = rig(
        [wave(), wave(), wave()],
        "10000",
        "3000",
        "2300",
        RiskLimits::default(),
    )
    .await;
    for _ in 0..4 {
        rig.turn().await;
        rig.minute();
    }
    let receipt = |store: SqlStore| async move {
        store
            .config_value(&format!("{GRID_RECEIPT_PREFIX}avax"))
            .await
            .unwrap()
            .unwrap_or_default()
    };
    request_grid_command(&rig.store, "avax", GridCommand::Pause)
        .await
        .unwrap();
    let (_, before) = rig.turn().await;
    assert!(receipt(rig.store.clone())
        .await
        .contains("done: grid avax paused"));
    assert_eq!(
        rig.statuses("AVAXUSDT").await.first(),
        Some(&BasketStatus::Error)
    );
    assert!(
        before[1].buys + before[1].sells > 0,
        "a pause leaves the orders"
    );
    rig.minute();
    let (_, after) = rig.turn().await;
    assert_eq!(
        rig.statuses("FILUSDT").await.first(),
        Some(&BasketStatus::Active)
    );
    assert_eq!(
        after[1].buys, before[1].buys,
        "nothing decided for a paused grid"
    );

    request_grid_command(&rig.store, "avax", GridCommand::Resume)
        .await
        .unwrap();
    rig.turn().await;
    assert_eq!(
        rig.statuses("AVAXUSDT").await.first(),
        Some(&BasketStatus::Active)
    );

    request_grid_command(&rig.store, "avax", GridCommand::Close)
        .await
        .unwrap();
    rig.minute();
    let (_, closed) = rig.turn().await;
    assert!(receipt(rig.store.clone())
        .await
        .contains("done: grid avax closed"));
    for _ in 0..3 {
        rig.minute();
        let (_, r) = rig.turn().await;
        assert_eq!(r[1].buys, 0, "a closed grid buys nothing");
        assert!(r[0].buys > 0 && r[2].buys > 0, "the other grids trade on");
    }
    assert_eq!(closed[1].buys, 0);
    let avax = rig.statuses("AVAXUSDT").await;
    assert!(
        matches!(
            avax.first(),
            Some(BasketStatus::EmergencyClosed | BasketStatus::Closing)
        ),
        "{avax:?}"
    );
    let base = client(&rig.base).account().await.unwrap();
    let avax_left = base
        .balances
        .iter()
        .find(|b| b.asset.as_str() == "AVAX")
        .map_or(Decimal::ZERO, |b| b.total().get());
    assert!(
        avax_left < dec!(0.01),
        "AVAX left after the close: {avax_left}"
    );

    request_grid_command(&rig.store, "avax", GridCommand::Resume)
        .await
        .unwrap();
    rig.turn().await;
    rig.turn().await;
    assert_eq!(
        rig.statuses("AVAXUSDT").await.first(),
        Some(&BasketStatus::Active),
        "resume reopens"
    );
}

/// `binance-trader grid NAME ACTION` from another process: refused while no portfolio holds
/// the journal; with one running, the loop takes the command and the receipt is printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grid_command_reaches_the_running_loop_and_prints_its_receipt() {
    let mut rig = rig(
        [flat(6), flat(6), flat(6)],
        "10000",
        "3000",
        "2300",
        RiskLimits::default(),
    )
    .await;
    rig.turn().await;
    let db = rig._dir.path().join("p.sqlite");
    let grid = |action: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_binance-trader"))
            .args(["grid", "avax", action, "--database", db.to_str().unwrap()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let out = grid("pause").wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no portfolio runs on this journal"));
    assert_eq!(
        rig.statuses("AVAXUSDT").await.first(),
        Some(&BasketStatus::Active)
    );

    let _running = rig.store.lock_instance().await.unwrap();
    let mut child = grid("pause");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no receipt"
        );
        rig.portfolio.serve_commands().await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("pause ") && stdout.contains(": done: grid avax paused"),
        "{stdout}"
    );
    assert_eq!(
        rig.statuses("AVAXUSDT").await.first(),
        Some(&BasketStatus::Error)
    );
    assert_eq!(
        rig.statuses("FILUSDT").await.first(),
        Some(&BasketStatus::Active)
    );
}

/// `status` on a portfolio's journal: every grid's symbol is listed, each basket and order is
/// shown with its own symbol, and each basket's unrealised P&L is at its own symbol's last
/// price (three paths that part ways: one falls fast, one slowly, one not at all).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_every_grid_at_its_own_price() {
    let mut rig = rig(
        [
            path(&[(2, 0), (10, -10)]),
            path(&[(2, 0), (10, -4)]),
            path(&[(2, 0), (4, -10), (6, 8)]),
        ],
        "10000",
        "3000",
        "1000",
        RiskLimits::default(),
    )
    .await;
    for _ in 0..12 {
        rig.turn().await;
        rig.minute();
    }
    rig.turn().await;
    let view = binance_trader::apps::status::read_store(&rig.store, "sqlite")
        .await
        .unwrap();
    let mut listed = view.symbols.clone();
    listed.sort();
    let mut want: Vec<String> = SYMBOLS.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(listed, want);
    let snapshots = rig.store.snapshots(200).await.unwrap();
    let last = |s: &str| {
        snapshots
            .iter()
            .rev()
            .find(|x| x.symbol.as_str() == s)
            .map(|x| x.price)
            .unwrap()
    };
    let prices: Vec<Price> = SYMBOLS.iter().map(|s| last(s)).collect();
    assert!(
        prices[0] < prices[1] && prices[1] < prices[2],
        "the paths did not part: {prices:?}"
    );
    let mut held = 0;
    for b in &view.baskets {
        let Some(vwap) = b.vwap else { continue };
        held += 1;
        let want = b.position * last(&b.symbol) - b.position * vwap;
        let off = (b.unrealised.get() - want.get()).abs();
        assert!(
            off < dec!(0.05),
            "basket {} ({}): unrealised {} but {} at its own price",
            b.id,
            b.symbol,
            b.unrealised,
            want
        );
    }
    assert!(held >= 2, "too few positions to prove anything: {held}");
    for o in &view.open_orders {
        let basket = rig.store.basket(o.basket_id).await.unwrap().unwrap();
        assert_eq!(o.symbol, basket.symbol.to_string());
    }
    let text = binance_trader::apps::status_table::render(&view);
    assert!(text.contains("symbols: "), "{text}");
    for s in SYMBOLS {
        assert!(text.contains(s), "{s} missing:\n{text}");
    }
}

/// The dashboard of a running portfolio (built as `paper --portfolio` builds it, with the
/// portfolio's grid list): the overview lists every grid at its own symbol's latest price,
/// and a grid's Close button reaches the running loop, closes that grid only and shows the
/// loop's receipt; the overview then shows it closed by the operator, the others trading.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_every_grid_and_closes_one_through_the_running_loop() {
    use crate::dashboard::fixtures::Http;
    use binance_trader::apps::dashboard::{self, DashboardState, Pair};
    let mut rig = rig(
        [
            path(&[(2, 0), (8, -10)]),
            path(&[(2, 0), (8, -4)]),
            path(&[(2, 0), (4, -10), (4, 8)]),
        ],
        "10000",
        "3000",
        "1000",
        RiskLimits::default(),
    )
    .await;
    for _ in 0..8 {
        rig.turn().await;
        rig.minute();
    }
    rig.turn().await;
    let (commands, _rx) = tokio::sync::mpsc::channel(1);
    let state = DashboardState::new(
        rig.store.clone(),
        commands,
        binance_trader::apps::trade::Mode::Paper,
        Pair::from_rules(rig.portfolio.first_bot().rules()),
        None,
    )
    .unwrap()
    .with_metrics(rig.metrics.clone())
    .with_grids(rig.portfolio.dashboard_grids());
    let running = dashboard::spawn("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap();
    let mut http = Http::new(&running);
    let json = http.get("/api/portfolio").await.json();
    let snapshots = rig.store.snapshots(200).await.unwrap();
    for (i, (name, symbol)) in NAMES.iter().zip(SYMBOLS).enumerate() {
        let row = &json["grids"][i];
        assert_eq!(row["name"], *name);
        assert_eq!(row["symbol"], symbol);
        let own = snapshots
            .iter()
            .rev()
            .find(|s| s.symbol.as_str() == symbol)
            .map(|s| s.price.get())
            .unwrap();
        let shown: Decimal = row["last_price"].as_str().unwrap().parse().unwrap();
        assert_eq!(shown, own, "{name}: {row}");
        assert_eq!(row["status"], "trading", "{name}");
        assert!(row["open_orders"].as_u64().unwrap() > 0, "{name}: {row}");
    }
    let positions: Vec<Decimal> = (0..3)
        .map(|i| {
            json["grids"][i]["position"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        positions
            .iter()
            .filter(|p| p.is_sign_positive() && !p.is_zero())
            .count()
            >= 2,
        "too few positions to prove anything: {positions:?}"
    );

    let csrf = http.get("/grids/avax").await.csrf();
    let mut post = Http::new(&running);
    let pressed = tokio::spawn(async move {
        post.post(
            "/grids/avax/close",
            &[("_csrf", &csrf), ("from", "overview")],
        )
        .await
    });
    let started = std::time::Instant::now();
    while !pressed.is_finished() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no receipt"
        );
        rig.portfolio.serve_commands().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let answer = pressed.await.unwrap();
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), "/");
    http.cookies = answer_cookies(&answer);
    let page = http.get("/").await.body;
    assert!(page.contains("done: grid avax closed"), "{page}");
    for _ in 0..3 {
        rig.minute();
        rig.turn().await;
    }
    let json = http.get("/api/portfolio").await.json();
    assert_eq!(json["grids"][1]["status"], "closed_by_operator", "{json}");
    assert_eq!(json["grids"][1]["open_orders"], 0, "{json}");
    assert_eq!(json["grids"][0]["status"], "trading");
    assert_eq!(json["grids"][2]["status"], "trading");
    assert!(json["grids"][0]["open_orders"].as_u64().unwrap() > 0);
    running.stop().await;
}

/// The flash cookie an answer set (the next page shows its receipt).
fn answer_cookies(answer: &crate::dashboard::fixtures::Answer) -> Vec<(String, String)> {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| {
            let first = v.to_str().ok()?.split(';').next()?;
            let (k, v) = first.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

/// The correlated-group cap in the live loop: while the correlation is warming (the first
/// day), the three grids are one group, so the group's share holds every grid's buys as FIL
/// alone fills it; the loop writes the matrix and the cap's threshold for the dashboard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correlated_group_cap_holds_the_whole_warming_group() {
    use binance_trader::core::risk::CorrelatedExposure;
    use binance_trader::ports::operator::{load_correlation, CORRELATION_KEY};
    let fil = path(&[(2, 0), (12, -10), (8, 0)]);
    let flat = || path(&[(22, 0)]);
    let limits = RiskLimits {
        correlated_exposure: Some(CorrelatedExposure {
            min_correlation: dec!(0.8),
            max: Pct::new(dec!(8)),
            action: TripAction::NoNewBuys,
        }),
        ..RiskLimits::default()
    };
    let mut rig = rig([fil, flat(), flat()], "10000", "3000", "2300", limits).await;
    let mut held = std::collections::BTreeSet::new();
    for _ in 0..22 {
        let (views, resting) = rig.turn().await;
        for (v, r) in views.iter().zip(&resting) {
            if v.holding.contains(&LimitKind::CorrelatedExposure) {
                held.insert(v.name.clone());
                assert_eq!(r.buys, 0, "{}: buys rest while the group cap holds", v.name);
            }
        }
        rig.minute();
    }
    assert_eq!(held.len(), NAMES.len(), "every grid of the group: {held:?}");
    assert!(rig
        .store
        .config_value(CORRELATION_KEY)
        .await
        .unwrap()
        .is_some());
    let stored = load_correlation(&rig.store).await.unwrap().unwrap();
    assert_eq!(stored.threshold, Some(dec!(0.8)));
    assert_eq!(stored.matrix.symbols.len(), 3);
    assert!(stored.matrix.pairs.iter().all(|p| p.correlation.is_none()));
}
