//! [`Bot`] and its [`Bot::step`].

use crate::apps::bot::execute::OnChange;
use crate::apps::bot::holds::BuyHolds;
use crate::apps::bot::{BotMetrics, BotSettings, QUIESCENT_KEY};
use crate::core::basket::{Basket, BasketStatus};
use crate::core::cycle::{self, CycleInput, Lifecycle};
use crate::core::filters::SymbolRules;
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::OpenOrder;
use crate::core::strategy::plan::Market;
use crate::core::strategy::volatility;
use crate::core::symbol::Symbol;
use crate::ports::exchange::{Exchange, ExchangeError, OrderReport};
use crate::ports::store::{
    AccountSnapshot, BasketRecord, Event, EventLevel, OrderRecord, Store, StoreError,
};
use std::sync::Arc;

/// Why a step stopped early. Either way nothing is lost: the next step starts over from the
/// exchange and the store.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    /// The exchange failed or refused a read; retry after a backoff.
    #[error("exchange: {0}")]
    Exchange(#[from] ExchangeError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// An operator request that does not apply (pausing a closed basket, say).
    #[error("{0}")]
    Refused(String),
}

/// What one step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepReport {
    /// Server time the step ran at, Unix ms.
    pub server_ms: i64,
    /// Intents still unresolved (nothing else ran when non-zero).
    pub pending: usize,
    /// New fills recorded.
    pub fills: usize,
    /// Orders placed or cancelled.
    pub actions: usize,
    /// Actions that failed (rejected, unknown outcome, rate limited).
    pub failed: usize,
    /// Baskets closed, reanchored or paused.
    pub lifecycle: usize,
}

impl StepReport {
    /// Nothing happened and nothing is left to do at this market time.
    pub fn quiescent(&self) -> bool {
        self.pending == 0
            && self.fills == 0
            && self.actions == 0
            && self.failed == 0
            && self.lifecycle == 0
    }
}

/// Where a step reads the open orders it plans with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpenFrom {
    /// The exchange (open orders, then the trades from the cursor): the heal.
    Exchange,
    /// The journal (`Bot::step_on_journal`).
    Journal,
}

/// The bot for one symbol: an exchange, a store and the settings.
pub struct Bot<E, S> {
    pub(super) exchange: E,
    pub(super) store: S,
    pub(super) settings: BotSettings,
    pub(super) rules: SymbolRules,
    pub(super) metrics: Arc<BotMetrics>,
    last_snapshot_ms: Option<i64>,
    /// Server time the symbol's status was last read (`trading_status.rs`).
    pub(super) status_checked_ms: Option<i64>,
    /// `expiryReason` of expired orders already read and journalled, by exchange order id.
    pub(super) expiry_reasons:
        std::collections::BTreeMap<u64, Option<crate::core::order::ExpiryReason>>,
    /// When [`Self::rules`] were last read (server time; `None` until the first step).
    pub(super) rules_read_ms: Option<i64>,
    /// Baskets whose buys wait for funds (see `holds.rs`).
    pub(super) buy_holds: BuyHolds,
    /// Orders whose amend the exchange refused: replaced from then on (in memory: after a
    /// restart one more refused amend costs a request, then the same).
    pub(super) amend_refused: std::collections::BTreeSet<crate::core::client_id::ClientOrderId>,
    /// A price pushed by the market stream since the last step: the step plans with it
    /// instead of reading the ticker (`live.rs`).
    pub(super) stream_price: Option<Price>,
    /// The account a portfolio read for its limits this loop: a snapshot due in this step
    /// books it instead of reading the account again (20 weight per grid).
    account_hint: Option<crate::ports::exchange::Account>,
    /// The server time a portfolio read for this loop, for a step planned on the journal
    /// (a price alone): one time read per loop instead of one per grid.
    time_hint: Option<i64>,
    /// The server time a step on the journal runs at and when (local clock) it was known: an
    /// order placed while it is fresh journals its intent at that time without reading it
    /// again.
    pub(super) step_clock: Option<(i64, std::time::Instant)>,
    /// What a portfolio lets this bot buy (`apps::portfolio`); a lone bot is never gated.
    pub(super) gate: Gate,
    /// A portfolio cleared the limit that emergency-closed this grid: the next step may open
    /// a basket after the `emergency_closed` one (once; in memory, so a restart keeps the grid
    /// closed until the operator resumes it).
    pub(super) reopen: bool,
    /// The closed one-minute candles of the symbol, when the settings keep any
    /// ([`BotSettings::candle_window`]).
    pub(super) candles: Option<super::candles::CandleFeed>,
    /// Candles added since the last step fed the indicators.
    pub(super) fresh_candles: super::candles::Fresh,
    /// The strategy's indicators (`indicators.rs`); `None` when it reads none.
    pub(super) indicators: Option<crate::core::indicators::Indicators>,
}

/// The risk and budget gate a portfolio puts on one grid before the reconciler runs
/// (`core::cycle::decide_budgeted`, the backtest's call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    /// False while a risk limit says "no new buys": buys are dropped, resting ones cancelled.
    pub buys_allowed: bool,
    /// The grid's cash: buys that do not fit it are dropped (`None`: no budget rule).
    pub cash: Option<Quote>,
}

impl Default for Gate {
    fn default() -> Self {
        Self {
            buys_allowed: true,
            cash: None,
        }
    }
}

impl<E: Exchange, S: Store> Bot<E, S> {
    /// A bot; reads the symbol's rules from the exchange.
    pub async fn new(exchange: E, store: S, settings: BotSettings) -> Result<Self, BotError> {
        let rules = exchange.symbol_rules(&settings.strategy.symbol).await?;
        Ok(Self {
            exchange,
            store,
            rules,
            metrics: Arc::new(BotMetrics::new()),
            last_snapshot_ms: None,
            status_checked_ms: None,
            expiry_reasons: Default::default(),
            rules_read_ms: None,
            buy_holds: BuyHolds::default(),
            amend_refused: Default::default(),
            stream_price: None,
            account_hint: None,
            time_hint: None,
            step_clock: None,
            gate: Gate::default(),
            reopen: false,
            // Never fewer than the strategy's warm-up needs (settings built by hand).
            candles: (settings.candle_window > 0).then(|| {
                super::candles::CandleFeed::new(
                    settings.strategy.symbol.clone(),
                    settings
                        .candle_window
                        .max(super::indicators::candle_window(&settings.strategy)),
                )
            }),
            fresh_candles: super::candles::Fresh::default(),
            indicators: super::indicators::for_strategy(&settings.strategy),
            settings,
        })
    }

    /// Shares `metrics` with the bot (the dashboard exports them).
    pub fn with_metrics(mut self, metrics: Arc<BotMetrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The bot's counters.
    pub fn metrics(&self) -> &Arc<BotMetrics> {
        &self.metrics
    }

    /// Takes the bot apart (to restart it on the same store).
    pub fn into_store(self) -> S {
        self.store
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The exchange.
    pub fn exchange(&self) -> &E {
        &self.exchange
    }

    /// The settings.
    pub fn settings(&self) -> &BotSettings {
        &self.settings
    }

    /// Whether a basket is this bot's: its symbol and its prefix. Two grids of a portfolio
    /// may trade one symbol on one store; each reads only the baskets its prefix opened.
    pub fn owns_basket(&self, record: &BasketRecord) -> bool {
        record.symbol == self.settings.strategy.symbol && record.prefix == self.settings.prefix
    }

    /// Whether a journalled order is this bot's: its symbol, and its client id carries our
    /// prefix (every journalled order was placed under its grid's prefix).
    pub(super) fn owns_order(&self, record: &OrderRecord) -> bool {
        record.report.symbol == self.settings.strategy.symbol
            && self.settings.prefix.marks(record.report.client_id.as_str())
    }

    /// The symbol's rules as read at start.
    pub fn rules(&self) -> &SymbolRules {
        &self.rules
    }

    /// Sets the gate the next steps decide under (a portfolio sets it before every step).
    pub fn set_gate(&mut self, gate: Gate) {
        self.gate = gate;
    }

    /// A price read for this step by someone else (a portfolio reads every symbol's price
    /// once for the limits): the step plans with it instead of reading the ticker again.
    pub fn set_price_hint(&mut self, price: Price) {
        self.stream_price = Some(price);
    }

    /// The account as someone else just read it (a portfolio, for its limits): the next
    /// step's balance snapshot, when due, books it instead of reading it again.
    pub fn set_account_hint(&mut self, account: crate::ports::exchange::Account) {
        self.account_hint = Some(account);
    }

    /// The server time as a portfolio just read it: the next step planned on the journal
    /// uses it instead of reading the time again (a full step reads its own).
    pub fn set_time_hint(&mut self, server_ms: i64) {
        self.time_hint = Some(server_ms);
    }

    /// Lets the next step open a new basket after an emergency-closed one (a portfolio's
    /// limit that closed the grid has cleared, or the operator resumed the grid).
    pub fn allow_reopen(&mut self) {
        self.reopen = true;
    }

    /// One step (see the module docs of [`crate::apps::bot`]).
    pub async fn step(&mut self) -> Result<StepReport, BotError> {
        self.step_from(OpenFrom::Exchange).await
    }

    /// One step that plans on the journal's open orders instead of reading open orders and
    /// trades from the exchange: for a price alone while the user-data stream is up, when
    /// every change of the account since the last full step was pushed and triggered a full
    /// step (`live.rs`). A lost event leaves the journal behind until the next full step;
    /// the plan then sees an order as still open (no successor yet), and a cancel or create
    /// it sends still goes through the usual journal and unknown-outcome rules.
    pub(crate) async fn step_on_journal(&mut self) -> Result<StepReport, BotError> {
        self.step_from(OpenFrom::Journal).await
    }

    async fn step_from(&mut self, source: OpenFrom) -> Result<StepReport, BotError> {
        let symbol = self.settings.strategy.symbol.clone();
        let hint = self.time_hint.take();
        let now = match (source, hint) {
            (OpenFrom::Journal, Some(t)) => t,
            _ => self.exchange.server_time().await?,
        };
        // Only a step on the journal is short enough to trust its time for the intents it
        // writes (a full step reads open orders and trades first, and may wait on them).
        self.step_clock = (source == OpenFrom::Journal).then(|| (now, std::time::Instant::now()));
        let mut report = StepReport {
            server_ms: now,
            ..StepReport::default()
        };
        report.pending = self.resolve_intents(now).await?;
        if report.pending > 0 {
            return Ok(report);
        }
        if self.close_pending().await? {
            // An emergency close waited for an unknown outcome; it is known now.
            let closed = self.close_all().await?;
            report.lifecycle += closed.baskets.len();
            return Ok(report);
        }
        self.refresh_rules_if_due(now);
        self.check_trading_status(now).await?;
        self.poll_candles(now).await?;
        self.feed_indicators();
        let (fills, open) = match source {
            OpenFrom::Exchange => self.sync(now).await?,
            OpenFrom::Journal => (0, self.journal_open_orders(&symbol).await?),
        };
        report.fills = fills;
        report.lifecycle += self.finish_closing(now).await?;
        let last = match self.stream_price.take() {
            Some(pushed) => pushed,
            None => self.exchange.ticker_price(&symbol).await?,
        };
        self.metrics.set_last_price(last);
        if self.ensure_basket(last, now).await? {
            report.lifecycle += 1;
        }
        let open: Vec<OpenOrder> = open.into_iter().map(OpenOrder::from).collect();
        for record in self.store.baskets(true).await? {
            if !self.owns_basket(&record) {
                continue;
            }
            self.basket_cycle(&record.basket, &open, last, now, &mut report)
                .await?;
        }
        self.snapshot_if_due(last, now).await?;
        // Only a step that read the exchange may say nothing is left at this market time: a
        // step on the journal cannot know of a fill still on its way over the user-data
        // stream (the crash tests' lock-step and `parity` take this mark as "settled").
        if report.quiescent() && source == OpenFrom::Exchange {
            self.store
                .set_config_value(QUIESCENT_KEY, &now.to_string(), now)
                .await?;
        }
        Ok(report)
    }

    /// The journal's open orders of `symbol`, as the exchange last reported them.
    async fn journal_open_orders(&self, symbol: &Symbol) -> Result<Vec<OrderReport>, BotError> {
        Ok(self
            .store
            .open_orders()
            .await?
            .into_iter()
            .filter(|o| &o.report.symbol == symbol && self.owns_order(o))
            .map(|o| o.report)
            .collect())
    }

    /// Opens the first basket of the symbol at the last price when none is active.
    async fn ensure_basket(&mut self, last: Price, now: i64) -> Result<bool, BotError> {
        let active = self.store.baskets(true).await?;
        if active.iter().any(|b| self.owns_basket(b)) {
            return Ok(false);
        }
        let latest = self
            .store
            .baskets(false)
            .await?
            .into_iter()
            .find(|b| self.owns_basket(b));
        if let Some(prev) = &latest {
            let reopen = self.reopen && prev.basket.status == BasketStatus::EmergencyClosed;
            if !reopen
                && matches!(
                    prev.basket.status,
                    BasketStatus::Error | BasketStatus::EmergencyClosed | BasketStatus::Closing
                )
            {
                // The operator must look first: a paused or emergency-closed symbol stays idle.
                return Ok(false);
            }
            if !reopen
                && !prev.basket.config.auto_restart
                && prev.basket.status != BasketStatus::Reanchored
            {
                return Ok(false);
            }
            if prev.basket.status == BasketStatus::Stopped
                && !cycle::restarts_after_stop(&prev.basket)
            {
                // `trail_down` stopped the grid (or may have): the operator restarts it.
                return Ok(false);
            }
        }
        // A grid with volatility sizing anchors at its first known factor, as in a backtest.
        let snapshot = self.indicator_snapshot();
        if !volatility::may_anchor(&self.settings.strategy, snapshot.as_ref()) {
            return Ok(false);
        }
        self.reopen = false;
        let basket = Basket {
            id: self.next_basket_id(latest.is_some()).await?,
            anchor: self.rules.filters.round_price_down(last),
            config: volatility::anchor(&self.settings.strategy, snapshot.as_ref()),
            status: BasketStatus::Active,
            carried_qty: Qty::ZERO,
            carried_cost: Quote::ZERO,
            created_ms: now,
            trail_root: None,
        };
        self.open_basket(basket, now).await?;
        Ok(true)
    }

    /// The next basket id. A journal new to the symbol (`traded_here` false) starts after the
    /// highest basket of ours among the symbol's recent orders on the exchange (another
    /// journal's, say before a switch of database), so that client ids are not reused: a
    /// lookup by a reused id may answer with the old order.
    async fn next_basket_id(&self, traded_here: bool) -> Result<u32, BotError> {
        let next = self.store.max_basket_id().await? + 1;
        if traded_here {
            return Ok(next);
        }
        let seen = self
            .exchange
            .all_orders(&self.settings.strategy.symbol, None)
            .await?
            .iter()
            .filter_map(|o| o.client_id.parse_ours(&self.settings.prefix))
            .map(|p| p.basket)
            .max();
        Ok(seen.map_or(next, |b| b.saturating_add(1).max(next)))
    }

    async fn open_basket(&self, basket: Basket, now: i64) -> Result<(), BotError> {
        let message = format!(
            "basket {} opened on {} at anchor {}",
            basket.id, basket.config.symbol, basket.anchor
        );
        let id = basket.id;
        self.store
            .insert_basket(&BasketRecord {
                symbol: basket.config.symbol.clone(),
                prefix: self.settings.prefix.clone(),
                basket,
                closed_ms: None,
                reason: None,
            })
            .await?;
        self.event(now, Some(id), EventLevel::Info, "basket_opened", message)
            .await
    }

    async fn basket_cycle(
        &mut self,
        basket: &Basket,
        open: &[OpenOrder],
        last: Price,
        now: i64,
        report: &mut StepReport,
    ) -> Result<(), BotError> {
        let expired = self.price_range_verdict(basket.id, now).await?;
        if let Some(reason) = &expired.pause {
            report.lifecycle += 1;
            return self.pause_for(basket.id, reason, now).await;
        }
        let fills = self.store.basket_fills(basket.id).await?;
        let revisions = self.store.revisions(basket.id).await?;
        let decision = cycle::decide_budgeted(
            &CycleInput {
                prefix: &self.settings.prefix,
                basket,
                fills: &fills,
                open_orders: open,
                revisions: &revisions,
                market: Market {
                    last,
                    now_ms: now,
                    reference: None,
                    indicators: self.indicator_snapshot(),
                },
                rules: &self.rules,
                amend_allowed: self.rules.amend_allowed,
                amend_refused: &self.amend_refused,
            },
            self.gate.buys_allowed,
            self.gate.cash,
        );
        let (actions, _held) = super::trading_status::allowed_actions(
            self.rules.status,
            decision.reconciliation.two_step_actions().collect(),
        );
        let actions = super::price_range::without_held(actions, &expired.held);
        let actions = self.without_held_buys(basket.id, actions, now).await?;
        let outcome = self
            .execute(basket.id, actions, now, OnChange::Stop)
            .await?;
        report.actions += outcome.done;
        report.failed += outcome.failed;
        if outcome.failed > 0 {
            // Perhaps the market closed (CANCEL_ONLY): look at the status next step.
            self.recheck_trading_status();
        }
        if outcome.failed > 0 || outcome.changed {
            // Something is unsettled or the plan went stale: decide again next step before
            // any lifecycle change.
            return Ok(());
        }
        match &decision.lifecycle {
            Lifecycle::Continue => {}
            Lifecycle::Pause { reason } => {
                report.lifecycle += 1;
                self.pause_for(basket.id, reason, now).await?;
            }
            end @ (Lifecycle::Close { .. } | Lifecycle::Reanchor { .. }) => {
                report.lifecycle += 1;
                self.end_basket(basket, end, last, now).await?;
            }
        }
        Ok(())
    }

    /// Pauses a basket (status `error` with the reason): nothing is sent for it until the
    /// operator resumes it.
    async fn pause_for(&self, basket_id: u32, reason: &str, now: i64) -> Result<(), BotError> {
        self.store
            .set_basket_status(basket_id, BasketStatus::Error, Some(now), Some(reason))
            .await?;
        let text = format!("basket {basket_id} paused: {reason}");
        self.event(
            now,
            Some(basket_id),
            EventLevel::Error,
            "basket_paused",
            text,
        )
        .await
    }

    /// Opens the successor first (once: a crash in between finds it on the next step), then
    /// marks the basket ended.
    async fn end_basket(
        &mut self,
        basket: &Basket,
        end: &Lifecycle,
        last: Price,
        now: i64,
    ) -> Result<(), BotError> {
        let status = match end {
            Lifecycle::Close { status, .. } => *status,
            _ => BasketStatus::Reanchored,
        };
        let max_id = self.store.max_basket_id().await?;
        let successor_exists = max_id > basket.id
            && self
                .store
                .baskets(true)
                .await?
                .iter()
                .any(|b| b.basket.id > basket.id && self.owns_basket(b));
        if !successor_exists {
            let snapshot = self.indicator_snapshot();
            let (id, warm) = (max_id + 1, snapshot.as_ref());
            if let Some(next) = cycle::next_basket(basket, end, &self.rules, last, id, now, warm) {
                self.open_basket(next, now).await?;
                crash_point!("bot::successor_opened");
            }
        }
        self.store
            .set_basket_status(basket.id, status, Some(now), None)
            .await?;
        let text = format!("basket {} ended as {}", basket.id, status.as_str());
        self.event(now, Some(basket.id), EventLevel::Info, "basket_ended", text)
            .await
    }

    async fn snapshot_if_due(&mut self, last: Price, now: i64) -> Result<(), BotError> {
        if self
            .last_snapshot_ms
            .is_some_and(|t| now - t < self.settings.snapshot_every_ms && now >= t)
        {
            return Ok(());
        }
        let account = match self.account_hint.take() {
            Some(a) => a,
            None => self.exchange.account().await?,
        };
        let total = |asset| {
            account
                .balances
                .iter()
                .find(|b| &b.asset == asset)
                .map(|b| b.total())
                .unwrap_or_default()
        };
        let quote_balance = total(&self.rules.quote_asset).as_quote();
        let base_balance = total(&self.rules.base_asset).as_qty();
        self.store
            .insert_snapshot(&AccountSnapshot {
                time_ms: now,
                symbol: self.rules.symbol.clone(),
                quote_balance,
                base_balance,
                price: last,
                total_value: quote_balance + base_balance * last,
                balances: account.balances,
            })
            .await?;
        self.last_snapshot_ms = Some(now);
        Ok(())
    }

    /// Appends an event to the store and the log.
    pub(super) async fn event(
        &self,
        now: i64,
        basket_id: Option<u32>,
        level: EventLevel,
        kind: &str,
        message: String,
    ) -> Result<(), BotError> {
        match level {
            EventLevel::Info => tracing::info!(kind, basket = basket_id, "{message}"),
            EventLevel::Warn => tracing::warn!(kind, basket = basket_id, "{message}"),
            EventLevel::Error => tracing::error!(kind, basket = basket_id, "{message}"),
        }
        self.store
            .append_event(&Event {
                time_ms: now,
                basket_id,
                level,
                kind: kind.to_string(),
                message,
            })
            .await?;
        Ok(())
    }
}
