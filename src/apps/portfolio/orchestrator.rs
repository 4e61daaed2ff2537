//! [`Portfolio`] and its [`Portfolio::step`] (the loop order is in the module docs).

use super::cash::CashBook;
use super::history::EquityHistory;
use super::metrics::{limit_name, PortfolioMetrics};
use crate::apps::bot::runner::wall_ms;
use crate::apps::bot::{pair_key, Bot, BotError, BotSettings, Gate, StepReport};
use crate::apps::notify::compose::{RISK_CLEARED, RISK_LIMIT};
use crate::core::basket::BasketStatus;
use crate::core::client_id::IdPrefix;
use crate::core::correlation::{CorrelationTracker, CorrelationWindow};
use crate::core::money::{Price, Qty, Quote};
use crate::core::risk::{
    evaluate, AccountSnapshot, LimitKind, RiskLimits, SymbolState, Trip, Verdict,
};
use crate::core::strategy::config::StrategyConfig;
use crate::core::symbol::{Asset, Symbol};
use crate::ports::exchange::{Account, Exchange, ExchangeError};
use crate::ports::store::{Event, EventLevel, Store, StoreError};
use std::collections::BTreeMap;

/// `bot_config` key of the equity's peak: the kill switch's reference survives a restart.
pub const PEAK_KEY: &str = "portfolio_peak_equity";

pub use crate::ports::operator::{load_held, CORRELATION_KEY, HELD_KEY};

/// `bot_config` key holding the server time of the last loop in which no grid acted (the
/// grids' bots share the single bot's key, which any one grid's quiet step would set).
pub const PORTFOLIO_QUIESCENT_KEY: &str = "portfolio_quiescent_at_ms";

/// Why a loop stopped early or the portfolio cannot start.
#[derive(Debug, thiserror::Error)]
pub enum PortfolioError {
    /// The exchange failed a read the whole loop needs (time, account, a price).
    #[error("exchange: {0}")]
    Exchange(#[from] ExchangeError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A grid's bot failed outside its step (starting, closing).
    #[error("{0}")]
    Bot(#[from] BotError),
    /// The grids cannot run together.
    #[error("{0}")]
    Config(String),
}

/// One grid as the orchestrator starts it.
#[derive(Debug, Clone)]
pub struct GridPlan {
    /// Its name in the portfolio file.
    pub name: String,
    /// Its client-id prefix.
    pub prefix: IdPrefix,
    /// Its strategy (symbol and the ladder's budget set by the portfolio loader).
    pub strategy: StrategyConfig,
    /// Its budget in quote: its buys never commit more than its cash.
    pub budget: Quote,
}

/// What the grids share besides the store and the exchange.
pub struct Setup {
    /// The account-wide limits (all off: `RiskLimits::default()`).
    pub limits: RiskLimits,
    /// The starting equity (the peak's floor; budgets were computed from it).
    pub initial_equity: Quote,
    /// Every grid's bot settings (interval, intent grace, emergency margin, …); each grid's
    /// strategy and prefix replace the template's.
    pub settings: BotSettings,
    /// The portfolio's metrics (registered in `bot_metrics`' registry by the caller).
    pub metrics: PortfolioMetrics,
    /// The bots' counters, shared by every grid.
    pub bot_metrics: std::sync::Arc<crate::apps::bot::BotMetrics>,
}

/// One grid: its bot and what the orchestrator keeps about it.
pub(super) struct Grid<E, S> {
    pub(super) name: String,
    pub(super) budget: Quote,
    pub(super) bot: Bot<E, S>,
    cash: CashBook,
    /// The limits holding for this grid, with the values last seen.
    held: BTreeMap<LimitKind, Trip>,
    /// A `close` verdict emergency-closed the grid; it reopens when the verdict clears.
    pub(super) closed_by_risk: bool,
    /// The operator paused or closed the grid: nothing reopens it but a resume.
    pub(super) operator_hold: bool,
    last_cash: Quote,
    last_verdict: Verdict,
}

impl<E, S> Grid<E, S> {
    pub(super) fn symbol(&self) -> &Symbol
    where
        E: Exchange,
        S: Store,
    {
        &self.bot.settings().strategy.symbol
    }
}

/// What the loop shows of one grid (tests, the terminal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridView {
    /// The grid's name.
    pub name: String,
    /// Its symbol.
    pub symbol: Symbol,
    /// Its budget.
    pub budget: Quote,
    /// Its cash at the last loop.
    pub cash: Quote,
    /// Its verdict at the last loop.
    pub verdict: Verdict,
    /// The limits holding for it.
    pub holding: Vec<LimitKind>,
    /// Emergency-closed by a limit, waiting for it to clear.
    pub closed_by_risk: bool,
    /// Paused or closed by the operator.
    pub operator_hold: bool,
}

/// What one loop did.
#[derive(Debug, Clone, Default)]
pub struct LoopReport {
    /// Server time of the loop.
    pub server_ms: i64,
    /// The account's equity at the loop's start.
    pub equity: Quote,
    /// Each grid's step (in grid order); `None` when it failed (logged).
    pub steps: Vec<Option<StepReport>>,
    /// Trips and clearings this loop (each one an event too).
    pub trip_events: usize,
    /// The price each grid symbol was valued at.
    pub prices: BTreeMap<Symbol, Price>,
}

impl LoopReport {
    /// Every grid stepped and none had anything to do.
    pub fn quiescent(&self) -> bool {
        self.steps
            .iter()
            .all(|s| s.as_ref().is_some_and(|r| r.quiescent()))
    }
}

/// Many grids on one account: one store, one exchange client budget, one loop.
pub struct Portfolio<E, S> {
    pub(super) grids: Vec<Grid<E, S>>,
    pub(super) store: S,
    /// A view of the shared client for the account-wide reads (account, prices, open orders).
    pub(super) exchange: E,
    limits: RiskLimits,
    quote: Asset,
    history: EquityHistory,
    pub(super) metrics: PortfolioMetrics,
    /// The last account read (reused by a loop that does not read it again).
    last_account: Option<Account>,
    /// Open and open algo orders per symbol at the last read (the open-order cap).
    last_open_counts: BTreeMap<Symbol, (u32, u32)>,
    /// The grid symbols' correlation, fed the loop's prices (`.spec/portfolio.md`).
    pub(super) correlation: CorrelationTracker,
    /// Whether this process wrote the matrix yet (the first loop writes it).
    correlation_written: bool,
    /// When the correlation was fed and seeded from candles (`correlation_seed`).
    pub(super) correlation_seed: super::correlation_seed::SeedState,
    /// The closed candles of the symbols whose grids read indicators, one feed per symbol.
    pub(super) candles: super::candles::SymbolCandles,
}

/// What one loop does (see [`Portfolio::run_loop`]).
#[derive(Debug, Clone, Default)]
pub(super) struct LoopPlan {
    /// The grids due and how each steps; `None`: every grid, in full.
    pub(super) due: Option<BTreeMap<usize, GridStep>>,
    /// Prices the market stream pushed, used instead of reading the ticker.
    pub(super) pushed: BTreeMap<Symbol, Price>,
    /// Read the account (and the open orders, for that cap) again.
    pub(super) fresh_account: bool,
}

impl LoopPlan {
    /// The polling loop: every grid in full, every read fresh.
    pub(super) fn full() -> Self {
        Self {
            due: None,
            pushed: BTreeMap::new(),
            fresh_account: true,
        }
    }
}

/// How a grid steps in a loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GridStep {
    /// Open orders and trades read from the exchange (the heal).
    Full,
    /// Planned on the journal's open orders: a price alone while every account change is
    /// pushed (`Bot::step_on_journal`).
    OnJournal,
}

impl<E: Exchange, S: Store + Clone> Portfolio<E, S> {
    /// Starts the grids: each plan gets its bot (the exchange view `exchange_for` makes for
    /// its prefix; the store shared). Refused before any order: two grids on one symbol
    /// (the live journal keys a symbol's baskets and trade cursor by symbol; the backtest
    /// runs them), grids with different quote assets.
    pub async fn new(
        plans: Vec<GridPlan>,
        exchange_for: impl Fn(&IdPrefix) -> E,
        store: S,
        setup: Setup,
    ) -> Result<Self, PortfolioError> {
        check_plans(&plans)?;
        let exchange = exchange_for(&plans[0].prefix);
        let Setup {
            limits,
            initial_equity,
            settings,
            metrics,
            bot_metrics,
        } = setup;
        let mut grids = Vec::new();
        let mut quote: Option<Asset> = None;
        let candles = super::candles::SymbolCandles::new(plans.iter().map(|p| &p.strategy));
        for plan in plans {
            let mut s = settings.clone();
            s.strategy = plan.strategy.clone();
            s.prefix = plan.prefix.clone();
            s.shares_store = true;
            // The portfolio reads each symbol's candles once for all its grids.
            s.candle_window = 0;
            let bot = Bot::new(exchange_for(&plan.prefix), store.clone(), s)
                .await?
                .with_metrics(bot_metrics.clone());
            let q = bot.rules().quote_asset.clone();
            match &quote {
                Some(first) if first != &q => {
                    return Err(PortfolioError::Config(format!(
                        "grid {} trades against {q}, the others against {first}: one \
                         portfolio has one quote asset (its equity and budgets are in it)",
                        plan.name
                    )))
                }
                _ => quote = Some(q),
            }
            metrics.grid(&plan.name, plan.budget, plan.budget, Verdict::Allow);
            // As the single bot's runner does: `status` books commissions by the pair.
            let pair = format!("{}/{}", bot.rules().base_asset, bot.rules().quote_asset);
            store
                .set_config_value(&pair_key(&bot.rules().symbol), &pair, wall_ms())
                .await?;
            let held = load_held(&store)
                .await?
                .remove(&plan.name)
                .unwrap_or_default()
                .into_iter()
                .map(|t| (t.limit, t))
                .collect();
            grids.push(Grid {
                name: plan.name,
                budget: plan.budget,
                bot,
                cash: CashBook::default(),
                held,
                closed_by_risk: false,
                operator_hold: false,
                last_cash: plan.budget,
                last_verdict: Verdict::Allow,
            });
        }
        let symbols: Vec<Symbol> = grids.iter().map(|g| g.bot.rules().symbol.clone()).collect();
        let peak = match store.config_value(PEAK_KEY).await? {
            Some(v) => v.parse().map(Quote::new).unwrap_or(initial_equity),
            None => initial_equity,
        };
        Ok(Self {
            grids,
            store,
            exchange,
            limits,
            quote: quote.unwrap_or_else(|| unreachable!("at least one grid")),
            history: EquityHistory::new(initial_equity, peak),
            metrics,
            last_account: None,
            last_open_counts: BTreeMap::new(),
            correlation: CorrelationTracker::new(CorrelationWindow::default(), symbols),
            correlation_written: false,
            correlation_seed: Default::default(),
            candles,
        })
    }

    /// Measures the correlation over `window` (the portfolio file's `[correlation]`) instead
    /// of the default 60-minute returns over 7 days.
    pub fn with_correlation(mut self, window: CorrelationWindow) -> Self {
        self.correlation = CorrelationTracker::new(window, self.symbols());
        self
    }
}

/// At least one grid, unique names, one grid per symbol.
fn check_plans(plans: &[GridPlan]) -> Result<(), PortfolioError> {
    if plans.is_empty() {
        return Err(PortfolioError::Config(
            "a portfolio needs at least one grid".into(),
        ));
    }
    // Two grids may share a symbol, not a (symbol, prefix): the journal tells a grid's baskets,
    // trade cursor and pending close apart by both, and the exchange its orders by the prefix.
    let mut seen: BTreeMap<(&Symbol, &str), &str> = BTreeMap::new();
    let mut names = std::collections::BTreeSet::new();
    for p in plans {
        if !names.insert(p.name.as_str()) {
            return Err(PortfolioError::Config(format!(
                "two grids are named {}",
                p.name
            )));
        }
        let key = (&p.strategy.symbol, p.prefix.as_str());
        if let Some(other) = seen.insert(key, &p.name) {
            return Err(PortfolioError::Config(format!(
                "grids {other} and {} both trade {} with client-id prefix {}: grids on one \
                 symbol need different prefixes (client_id_prefix)",
                p.name,
                p.strategy.symbol,
                p.prefix.as_str()
            )));
        }
    }
    Ok(())
}

impl<E: Exchange, S: Store> Portfolio<E, S> {
    /// The metrics to register in `/metrics`.
    pub fn metrics(&self) -> &PortfolioMetrics {
        &self.metrics
    }

    /// The shared store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The pairs the grids trade (the notifier books each basket by its pair).
    pub fn pairs(&self) -> crate::apps::dashboard::ledger::Pairs {
        let rules = |g: &Grid<E, S>| {
            let r = g.bot.rules();
            (
                r.symbol.clone(),
                r.base_asset.clone(),
                r.quote_asset.clone(),
            )
        };
        let (s, b, q) = rules(&self.grids[0]);
        let mut pairs = crate::apps::dashboard::ledger::Pairs::one(s, b, q);
        for g in &self.grids[1..] {
            let (s, b, q) = rules(g);
            pairs.add(s, b, q);
        }
        pairs
    }

    /// The bots' counters (shared by every grid): streams, drift, errors.
    pub fn bot_metrics(&self) -> &crate::apps::bot::BotMetrics {
        self.grids[0].bot.metrics()
    }

    /// The grid an order of the account belongs to: its symbol, and its client-id prefix on
    /// the order's id (`None`: another program's order, or an unknown symbol).
    pub(super) fn grid_of_order(
        &self,
        symbol: &Symbol,
        client_id: &crate::core::client_id::ClientOrderId,
    ) -> Option<usize> {
        self.grids
            .iter()
            .position(|g| g.symbol() == symbol && g.bot.settings().prefix.marks(client_id.as_str()))
    }

    /// The symbols the grids trade, each once (the market stream's subscriptions).
    pub fn symbols(&self) -> Vec<Symbol> {
        let mut out: Vec<Symbol> = Vec::new();
        for g in &self.grids {
            if !out.contains(g.symbol()) {
                out.push(g.symbol().clone());
            }
        }
        out
    }

    /// The grids trading `symbol`.
    pub(super) fn grids_on(&self, symbol: &Symbol) -> Vec<usize> {
        (0..self.grids.len())
            .filter(|i| self.grids[*i].symbol() == symbol)
            .collect()
    }

    /// Journals a fill the user stream pushed, by grid `i`'s bot (see the single bot's
    /// `journal_pushed_fill`: the trade cursor stays, the REST sync finds it there).
    pub(super) async fn journal_pushed_fill(
        &mut self,
        i: usize,
        trade: &crate::ports::exchange::ExchangeTrade,
    ) -> Result<bool, BotError> {
        self.grids[i].bot.journal_pushed_fill(trade).await
    }

    /// Hands candles of `symbol` to every grid on it (each bot feeds its indicators from
    /// them at its next step).
    pub(super) fn add_candles(
        &mut self,
        symbol: &Symbol,
        fresh: &crate::apps::bot::candles::Fresh,
    ) {
        if fresh.candles.is_empty() && !fresh.reloaded {
            return;
        }
        for g in &mut self.grids {
            if g.symbol() == symbol {
                g.bot.add_candles(fresh.clone());
            }
        }
    }

    /// The first grid's bot (the dashboard's pair).
    pub fn first_bot(&self) -> &Bot<E, S> {
        &self.grids[0].bot
    }

    /// The grids as the last loop left them.
    pub fn grids(&self) -> Vec<GridView> {
        self.grids
            .iter()
            .map(|g| GridView {
                name: g.name.clone(),
                symbol: g.symbol().clone(),
                budget: g.budget,
                cash: g.last_cash,
                verdict: g.last_verdict,
                holding: g.held.keys().copied().collect(),
                closed_by_risk: g.closed_by_risk,
                operator_hold: g.operator_hold,
            })
            .collect()
    }

    /// One loop (see the module docs): every grid steps in full, on fresh account reads.
    pub async fn step(&mut self) -> Result<LoopReport, PortfolioError> {
        self.run_loop(&LoopPlan::full()).await
    }

    /// One loop as `plan` says: the account-wide verdicts are always evaluated for every
    /// grid (a trip or a clearing is booked at once), but only the grids due step — and any
    /// grid whose verdict changed since its last step, so that a trip met on one grid's fill
    /// reaches the others now. The quiescent mark is only written by a full loop.
    pub(super) async fn run_loop(&mut self, plan: &LoopPlan) -> Result<LoopReport, PortfolioError> {
        self.serve_commands().await;
        let now = self.exchange.server_time().await?;
        for (symbol, fresh) in self.candles.poll(&self.exchange, now).await {
            self.add_candles(&symbol, &fresh);
        }
        let prices = self.prices(&plan.pushed).await?;
        let snap = self.snapshot(now, &prices, plan.fresh_account).await?;
        self.metrics.account(snap.equity, snap.peak_equity);
        let mut report = LoopReport {
            server_ms: now,
            equity: snap.equity,
            prices: prices.clone(),
            ..LoopReport::default()
        };
        for i in 0..self.grids.len() {
            let symbol = self.grids[i].symbol().clone();
            let verdict = evaluate(&self.limits, &snap, &symbol);
            report.trip_events += self.note_trips(i, now, &verdict.trips).await?;
            let how = match &plan.due {
                None => Some(GridStep::Full),
                Some(due) => due.get(&i).copied().or_else(|| {
                    (verdict.verdict != self.grids[i].last_verdict).then_some(GridStep::Full)
                }),
            };
            let step = match how {
                Some(how) => {
                    self.grid_step(i, verdict.verdict, prices[&symbol], now, how)
                        .await
                }
                // Not due: nothing ran, nothing is owed.
                None => Some(StepReport {
                    server_ms: now,
                    ..StepReport::default()
                }),
            };
            report.steps.push(step);
        }
        if plan.due.is_none() && report.quiescent() {
            self.store
                .set_config_value(PORTFOLIO_QUIESCENT_KEY, &now.to_string(), now)
                .await?;
        }
        Ok(report)
    }

    /// Acts on one grid's verdict, sets its gate and steps its bot; a failed step is logged
    /// (the next loop retries) and does not stop the other grids.
    async fn grid_step(
        &mut self,
        i: usize,
        verdict: Verdict,
        last: Price,
        now: i64,
        how: GridStep,
    ) -> Option<StepReport> {
        let quote = self.quote.clone();
        let store_cash = {
            let g = &mut self.grids[i];
            let (symbol, prefix) = (g.symbol().clone(), g.bot.settings().prefix.clone());
            g.cash
                .cash(&self.store, (&symbol, &prefix), &quote, g.budget)
                .await
        };
        let g = &mut self.grids[i];
        let cash = match store_cash {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(grid = %g.name, error = %e, "reading the grid's fills failed");
                return None;
            }
        };
        if verdict == Verdict::Close && !g.closed_by_risk {
            match g.bot.close_all().await {
                Ok(closed) => {
                    // A close that met problems left baskets open: the next loop runs it
                    // again (the single bot's rule for its emergency close).
                    g.closed_by_risk = closed.errors.is_empty();
                    let text = format!(
                        "grid {}: emergency close by a risk limit: {}",
                        g.name,
                        closed.summary()
                    );
                    let _ = append(&self.store, now, EventLevel::Error, "risk_close", text).await;
                }
                Err(e) => {
                    tracing::error!(grid = %g.name, error = %e, "risk close failed; retried next loop");
                    return None;
                }
            }
        }
        if verdict != Verdict::Close && g.closed_by_risk {
            g.closed_by_risk = false;
            if !g.operator_hold {
                g.bot.allow_reopen();
                let text = format!(
                    "grid {}: the limit that closed it cleared; it reopens",
                    g.name
                );
                let _ = append(&self.store, now, EventLevel::Warn, "risk_reopen", text).await;
            }
        }
        g.last_cash = cash;
        g.last_verdict = verdict;
        self.metrics.grid(&g.name, cash, g.budget, verdict);
        g.bot.set_gate(Gate {
            buys_allowed: verdict == Verdict::Allow,
            cash: Some(cash),
        });
        g.bot.set_price_hint(last);
        if let Some(account) = &self.last_account {
            g.bot.set_account_hint(account.clone());
        }
        g.bot.set_time_hint(now);
        let stepped = match how {
            GridStep::Full => g.bot.step().await,
            GridStep::OnJournal => g.bot.step_on_journal().await,
        };
        match stepped {
            Ok(r) => Some(r),
            Err(e) => {
                g.bot.metrics().error();
                tracing::warn!(grid = %g.name, error = %e, "grid step skipped");
                None
            }
        }
    }

    /// Every grid's symbol's last price: the one the market stream pushed, else one read per
    /// symbol (shared with the grid's step).
    async fn prices(
        &self,
        pushed: &BTreeMap<Symbol, Price>,
    ) -> Result<BTreeMap<Symbol, Price>, PortfolioError> {
        let mut prices = pushed.clone();
        for g in &self.grids {
            let s = g.symbol();
            if !prices.contains_key(s) {
                prices.insert(s.clone(), self.exchange.ticker_price(s).await?);
            }
        }
        Ok(prices)
    }

    /// The account as the limits see it: equity = quote + every grid symbol's base at its
    /// price; positions, open orders (only read when that limit is set) and hard stops.
    /// Without `fresh` the last loop's account and open-order counts are reused with the new
    /// prices (a price step while every account change is pushed and re-read on its own).
    async fn snapshot(
        &mut self,
        now: i64,
        prices: &BTreeMap<Symbol, Price>,
        fresh: bool,
    ) -> Result<AccountSnapshot, PortfolioError> {
        let account = match (&self.last_account, fresh) {
            (Some(a), false) => a.clone(),
            _ => {
                let a = self.exchange.account().await?;
                self.last_account = Some(a.clone());
                a
            }
        };
        let total = |asset: &Asset| {
            account
                .balances
                .iter()
                .find(|b| &b.asset == asset)
                .map(|b| b.total())
                .unwrap_or_default()
        };
        let mut equity = total(&self.quote).as_quote();
        let mut symbols = BTreeMap::new();
        let baskets = self.store.baskets(false).await?;
        for g in &self.grids {
            let rules = g.bot.rules();
            if symbols.contains_key(&rules.symbol) {
                // A second grid on the symbol: its base is the same balance, counted once (the
                // position cap is per symbol across its grids).
                continue;
            }
            let price = prices[&rules.symbol];
            let qty: Qty = total(&rules.base_asset).as_qty();
            equity += price * qty;
            let last_hard_stop_ms = baskets
                .iter()
                .filter(|b| b.symbol == rules.symbol && b.basket.status == BasketStatus::Stopped)
                .filter_map(|b| b.closed_ms)
                .max();
            let (mut open_orders, mut open_algo_orders) = (0, 0);
            if self.limits.max_open_orders.is_some() {
                let cached = self.last_open_counts.get(&rules.symbol).copied();
                (open_orders, open_algo_orders) = match (cached, fresh) {
                    (Some(counts), false) => counts,
                    _ => {
                        let open = self.exchange.open_orders(&rules.symbol).await?;
                        let counts = (
                            (open.ours.len() + open.foreign.len()) as u32,
                            open.ours
                                .iter()
                                .filter(|o| o.spec.order_type.is_algo())
                                .count() as u32,
                        );
                        self.last_open_counts.insert(rules.symbol.clone(), counts);
                        counts
                    }
                };
            }
            symbols.insert(
                rules.symbol.clone(),
                SymbolState {
                    qty,
                    price,
                    open_orders,
                    open_algo_orders,
                    max_num_orders: rules.filters.max_num_orders,
                    max_num_algo_orders: rules.filters.max_num_algo_orders,
                    last_hard_stop_ms,
                },
            );
        }
        self.observe_prices(now, &symbols).await?;
        let before = self.history.peak;
        let seen = self.history.observe(now, equity);
        if seen.peak > before {
            self.store
                .set_config_value(PEAK_KEY, &seen.peak.get().to_string(), now)
                .await?;
        }
        Ok(AccountSnapshot {
            now_ms: now,
            equity,
            peak_equity: seen.peak,
            day_start_equity: seen.day_start,
            equity_24h_ago: seen.ago_24h,
            symbols,
            correlation: self.correlation.matrix().clone(),
        })
    }

    /// Feeds each symbol's price at the loop's server time to the correlation; when a bucket
    /// closed, the matrix is written for the dashboard (`CORRELATION_KEY`).
    async fn observe_prices(
        &mut self,
        now: i64,
        symbols: &BTreeMap<Symbol, SymbolState>,
    ) -> Result<(), StoreError> {
        let mut changed = self.keep_correlation_seeded(now).await;
        for (symbol, state) in symbols {
            changed |= self.correlation.observe(symbol, now, state.price);
        }
        if changed || !self.correlation_written {
            self.correlation_written = true;
            let stored = crate::ports::operator::StoredCorrelation {
                threshold: self.limits.correlated_exposure.map(|c| c.min_correlation),
                matrix: self.correlation.matrix().clone(),
            };
            let json = serde_json::to_string(&stored)
                .map_err(|e| StoreError::Corrupt(format!("correlation matrix: {e}")))?;
            self.store
                .set_config_value(CORRELATION_KEY, &json, now)
                .await?;
        }
        Ok(())
    }

    /// Books the limits that started or stopped holding for grid `i`: an event each (store
    /// and log) and the metrics. Returns how many.
    async fn note_trips(
        &mut self,
        i: usize,
        now: i64,
        trips: &[Trip],
    ) -> Result<usize, StoreError> {
        let mut events = Vec::new();
        let g = &mut self.grids[i];
        for t in trips {
            if g.held.contains_key(&t.limit) {
                self.metrics.held(&g.name, t);
            } else {
                self.metrics.tripped(&g.name, t);
                let action = match t.action {
                    crate::core::risk::TripAction::NoNewBuys => "no new buys",
                    crate::core::risk::TripAction::Close => "close",
                };
                events.push((
                    EventLevel::Warn,
                    RISK_LIMIT,
                    format!(
                        "grid {}: {} tripped at {} (threshold {}): {action}",
                        g.name,
                        limit_name(t.limit),
                        t.value.normalize(),
                        t.threshold.normalize()
                    ),
                ));
            }
            g.held.insert(t.limit, t.clone());
        }
        let cleared: Vec<LimitKind> = g
            .held
            .keys()
            .filter(|k| !trips.iter().any(|t| t.limit == **k))
            .copied()
            .collect();
        for k in cleared {
            if let Some(t) = g.held.remove(&k) {
                self.metrics.cleared(&g.name, k);
                events.push((
                    EventLevel::Info,
                    RISK_CLEARED,
                    format!(
                        "grid {}: {} cleared (last value {}, threshold {})",
                        g.name,
                        limit_name(k),
                        t.value.normalize(),
                        t.threshold.normalize()
                    ),
                ));
            }
        }
        let n = events.len();
        if n > 0 {
            // Before the events: a crash between the two repeats no announcement.
            let held: BTreeMap<&str, Vec<&Trip>> = self
                .grids
                .iter()
                .filter(|g| !g.held.is_empty())
                .map(|g| (g.name.as_str(), g.held.values().collect()))
                .collect();
            let json = serde_json::to_string(&held).unwrap_or_else(|_| "{}".into());
            self.store.set_config_value(HELD_KEY, &json, now).await?;
        }
        for (level, kind, text) in events {
            append(&self.store, now, level, kind, text).await?;
        }
        Ok(n)
    }
}

/// Appends an event to the store and the log.
pub(super) async fn append<S: Store>(
    store: &S,
    now: i64,
    level: EventLevel,
    kind: &str,
    message: String,
) -> Result<(), StoreError> {
    match level {
        EventLevel::Info => tracing::info!(kind, "{message}"),
        EventLevel::Warn => tracing::warn!(kind, "{message}"),
        EventLevel::Error => tracing::error!(kind, "{message}"),
    }
    store
        .append_event(&Event {
            time_ms: now,
            basket_id: None,
            level,
            kind: kind.to_string(),
            message,
        })
        .await
}
