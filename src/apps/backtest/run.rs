//! The backtest runner: candles → simulated exchange → the live cycle code → a
//! [`BacktestRecord`].
//!
//! Each candle goes through [`SimExchange::on_candle_id`] first (orders resting from earlier
//! candles fill along the candle's path); then, only when something changed, the basket runs
//! one [`cycle::decide`] at the candle's close — the same plan → lifecycle → reconcile code the
//! bot runs — and its actions are executed on the engine. Orders placed at a close only see
//! later candles, so there is no look-ahead.
//!
//! "Something changed" means: a fill, the close leaving the plan's replan band
//! (`PlanMeta::replan_below/above`), or the reanchor cooldown ending. Between those the plan is
//! provably unchanged (invariant 5 of `core::strategy::plan`), which is what lets a year of
//! 1-minute candles run in a fraction of a second.
//!
//! A strategy that reads indicators (`kind::indicator_spec`) gets them fed here: each candle,
//! once its fills are booked, is pushed into the grid's `core::indicators::Indicators` and
//! the plan at its close reads the snapshot — a closed candle, so no look-ahead. Its plan
//! changes with every candle, so such a grid replans at every close; the others pay nothing.
//!
//! Balances are booked from the trades and checked against the engine's at the end: a
//! mismatch is a bug and fails the run.

use crate::adapters::klines::Candle;
use crate::adapters::sim::{OrderRef, SimConfig, SimExchange, SimSymbol};
use crate::apps::backtest::record::{
    BacktestRecord, BasketOutcome, EquityPoint, Ledger, TradeMark,
};
use crate::core::basket::{Basket, BasketStatus};
use crate::core::client_id::{ClientOrderId, IdPrefix};
use crate::core::cycle::{self, CycleInput, Lifecycle};
use crate::core::fill::Fill;
use crate::core::filters::SymbolRules;
use crate::core::indicators::Indicators;
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::{OpenOrder, OrderSpec, OrderType, Side, Slot};
use crate::core::reconcile::{Action, Create};
use crate::core::risk::Verdict;
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::kind::indicator_spec;
use crate::core::strategy::plan::Market;
use crate::core::strategy::volatility;
use crate::ports::exchange::{ExchangeTrade, NewOrder, OrderReport};
use anyhow::{anyhow, bail, Context};
use std::collections::BTreeMap;

/// What one backtest needs besides the candles.
#[derive(Debug, Clone)]
pub struct BacktestSpec {
    /// Strategy configuration (validated by the caller).
    pub config: StrategyConfig,
    /// The symbol's rules.
    pub rules: SymbolRules,
    /// Starting quote balance.
    pub initial_quote: Quote,
}

/// How often the progress callback is called, in candles.
pub const PROGRESS_EVERY: u64 = 1 << 16;

/// Cycles one candle may run at most (fills at placement can trigger another cycle).
const MAX_CYCLES_PER_CANDLE: usize = 8;

/// Runs one backtest. `progress` is called with the number of candles done every
/// [`PROGRESS_EVERY`] candles.
pub fn run(
    spec: &BacktestSpec,
    candles: &[Candle],
    progress: &(dyn Fn(u64) + Sync),
) -> anyhow::Result<BacktestRecord> {
    run_with_orders(spec, candles, progress).map(|(record, _)| record)
}

/// [`run`], also returning every order the run placed as the exchange last reports it
/// (oldest first; client ids carry the default prefix), for `parity`.
pub fn run_with_orders(
    spec: &BacktestSpec,
    candles: &[Candle],
    progress: &(dyn Fn(u64) + Sync),
) -> anyhow::Result<(BacktestRecord, Vec<OrderReport>)> {
    let first = candles.first().context("no candles to replay")?;
    let mut sim = SimExchange::new(SimConfig::standard(
        vec![SimSymbol {
            rules: spec.rules.clone(),
            initial_price: Some(first.open),
        }],
        vec![(
            spec.rules.quote_asset.clone(),
            spec.initial_quote.as_amount(),
        )],
    ));
    let sym = sim
        .symbol_id(&spec.rules.symbol)
        .context("simulated exchange lost its only symbol")?;
    let mut bt = Runner::new(spec, IdPrefix::default(), false, first);
    for (i, candle) in candles.iter().enumerate() {
        let trades = sim.on_candle_id(sym, candle).to_vec();
        bt.book_all(&trades)?;
        bt.decide(&mut sim, candle, Verdict::Allow)?;
        if (i as u64 + 1) % PROGRESS_EVERY == 0 {
            progress(i as u64 + 1);
        }
    }
    bt.check_balances(&sim)?;
    let orders = sim
        .all_orders(&spec.rules.symbol)
        .map_err(|e| anyhow!("listing the simulated orders: {e:?}"))?;
    Ok((bt.finish(candles)?, orders))
}

/// One grid's replay, driven candle by candle on a simulated exchange it does not own:
/// [`run`] gives it one of its own, the portfolio runner shares one account among many grids
/// (it books each candle's fills first, [`Runner::book_all`], then runs [`Runner::decide`], so
/// the risk limits see every grid's fills before any grid places an order).
pub(crate) struct Runner<'a> {
    spec: &'a BacktestSpec,
    prefix: IdPrefix,
    /// On a shared account the grid's buys must fit its cash (`core::portfolio::budget`);
    /// off alone on its account, where the exchange's balance is the wall.
    budget_rule: bool,
    basket: Option<Basket>,
    next_basket_id: u32,
    fills: Vec<Fill>,
    revisions: BTreeMap<Slot, u32>,
    order_slots: BTreeMap<u64, (u32, Slot)>,
    band: (Option<Price>, Option<Price>),
    reanchor_at: Option<i64>,
    dirty: bool,
    ledger: Ledger,
    quote: Quote,
    base: Qty,
    equity: Vec<EquityPoint>,
    trades: Vec<TradeMark>,
    outcomes: Vec<(BasketOutcome, Ledger)>,
    rejections: usize,
    /// The risk gate of the last cycle (`Allow` outside a portfolio).
    gate: Verdict,
    /// Emergency-closed by a risk limit; reopens when the gate is no longer `Close`.
    halted: bool,
    /// When a basket last ended by its hard stop.
    last_hard_stop_ms: Option<i64>,
    /// The strategy's indicators, fed with every candle (`None`: it reads none).
    indicators: Option<Indicators>,
    /// A grid with volatility sizing waits for its measure's window before its first basket
    /// anchors (so the factor it freezes is known): the candle close that opens it.
    waiting_for_volatility: bool,
}

impl<'a> Runner<'a> {
    /// A grid of `spec` whose orders carry `prefix`; with `budget_rule` its buys are held to
    /// its cash (a grid on a shared account).
    pub(crate) fn new(
        spec: &'a BacktestSpec,
        prefix: IdPrefix,
        budget_rule: bool,
        first: &Candle,
    ) -> Self {
        let rules = &spec.rules;
        let mut runner = Self {
            spec,
            prefix,
            budget_rule,
            basket: None,
            next_basket_id: 1,
            fills: Vec::new(),
            revisions: BTreeMap::new(),
            order_slots: BTreeMap::new(),
            band: (None, None),
            reanchor_at: None,
            dirty: true,
            ledger: Ledger::default(),
            quote: spec.initial_quote,
            base: Qty::ZERO,
            equity: Vec::new(),
            trades: Vec::new(),
            outcomes: Vec::new(),
            rejections: 0,
            gate: Verdict::Allow,
            halted: false,
            last_hard_stop_ms: None,
            indicators: indicator_spec(&spec.config).map(Indicators::new),
            waiting_for_volatility: !volatility::may_anchor(&spec.config, None),
        };
        if !runner.waiting_for_volatility {
            let anchor = rules.filters.round_price_down(first.open);
            let basket = runner.fresh_basket(anchor, Qty::ZERO, Quote::ZERO, first.open_time_ms);
            runner.open_basket(basket);
        }
        runner
    }

    /// A fresh basket at `anchor` (no trail behind it), carrying `carried_qty` at
    /// `carried_cost`; a grid with volatility sizing freezes the factor of now.
    fn fresh_basket(
        &self,
        anchor: Price,
        carried_qty: Qty,
        carried_cost: Quote,
        now_ms: i64,
    ) -> Basket {
        let snapshot = self.indicators.as_ref().and_then(Indicators::warm_snapshot);
        Basket {
            id: self.next_basket_id,
            anchor,
            config: volatility::anchor(&self.spec.config, snapshot.as_ref()),
            status: BasketStatus::Active,
            carried_qty,
            carried_cost,
            created_ms: now_ms,
            trail_root: None,
        }
    }

    /// Opens `basket`, whose id is the next one (`fresh_basket` and `cycle::next_basket` are
    /// given it).
    fn open_basket(&mut self, basket: Basket) {
        let (id, anchor, now_ms) = (basket.id, basket.anchor, basket.created_ms);
        debug_assert_eq!(id, self.next_basket_id);
        self.next_basket_id += 1;
        self.outcomes.push((
            BasketOutcome {
                id,
                anchor,
                opened_ms: now_ms,
                closed_ms: None,
                status: BasketStatus::Active,
                realized_pnl: Quote::ZERO,
                fees: Quote::ZERO,
                max_depth: 0,
            },
            Ledger::default(),
        ));
        self.basket = Some(basket);
        self.fills.clear();
        self.revisions.clear();
        self.dirty = true;
    }

    /// Whether the exchange order `order_id` is this grid's.
    pub(crate) fn owns(&self, order_id: u64) -> bool {
        self.order_slots.contains_key(&order_id)
    }

    /// Books trades of this grid's resting orders (the candle's fills).
    pub(crate) fn book_all(&mut self, trades: &[ExchangeTrade]) -> anyhow::Result<()> {
        for t in trades {
            self.book(t)?;
        }
        if !trades.is_empty() {
            self.dirty = true;
        }
        Ok(())
    }

    /// Runs the cycles at the candle's close under the risk `gate`, then marks equity.
    pub(crate) fn decide(
        &mut self,
        sim: &mut SimExchange,
        c: &Candle,
        gate: Verdict,
    ) -> anyhow::Result<()> {
        let (last, now) = (c.close, c.close_time_ms);
        if let Some(indicators) = &mut self.indicators {
            indicators.push(c);
            // A grid's plan reads its frozen factor, not the candle: it keeps its band.
            self.dirty |= !volatility::freezes(&self.spec.config.kind);
            let snapshot = indicators.warm_snapshot();
            if self.waiting_for_volatility
                && volatility::may_anchor(&self.spec.config, snapshot.as_ref())
            {
                self.waiting_for_volatility = false;
                let anchor = rules_round(&self.spec.rules, last);
                self.open_basket(self.fresh_basket(anchor, Qty::ZERO, Quote::ZERO, now));
            }
        }
        if gate != self.gate {
            self.gate = gate;
            self.dirty = true;
            if gate == Verdict::Close {
                self.emergency_close(sim, now)?;
            } else if self.halted {
                self.halted = false;
                let dust = self.base;
                let anchor = rules_round(&self.spec.rules, last);
                self.open_basket(self.fresh_basket(anchor, dust, last * dust, now));
            }
        }
        let outside =
            self.band.0.is_some_and(|b| last <= b) || self.band.1.is_some_and(|a| last >= a);
        let cooldown_over = self.reanchor_at.is_some_and(|t| now >= t);
        if self.basket.is_some() && (self.dirty || outside || cooldown_over) {
            self.cycles(sim, last, now)?;
        }
        self.equity.push(EquityPoint {
            time_ms: now,
            equity: self.quote + self.base * last,
            price: last,
            position: self.base,
        });
        Ok(())
    }

    /// Runs cycles at one instant until nothing more happens.
    fn cycles(&mut self, sim: &mut SimExchange, last: Price, now: i64) -> anyhow::Result<()> {
        for _ in 0..MAX_CYCLES_PER_CANDLE {
            self.dirty = false;
            self.cycle(sim, last, now)?;
            if !self.dirty || self.basket.is_none() {
                return Ok(());
            }
        }
        Ok(())
    }

    fn cycle(&mut self, sim: &mut SimExchange, last: Price, now: i64) -> anyhow::Result<()> {
        let Some(basket) = self.basket.clone() else {
            return Ok(());
        };
        let rules = &self.spec.rules;
        let open = self.own_open_orders(sim)?;
        let decision = cycle::decide_budgeted(
            &CycleInput {
                prefix: &self.prefix,
                basket: &basket,
                fills: &self.fills,
                open_orders: &open,
                revisions: &self.revisions,
                market: Market {
                    last,
                    now_ms: now,
                    reference: None,
                    indicators: self.indicators.as_ref().and_then(Indicators::warm_snapshot),
                },
                rules,
                // The backtest replaces: its fill model has no queue for an amend to keep.
                amend_allowed: false,
                amend_refused: &Default::default(),
            },
            self.gate == Verdict::Allow,
            self.budget_rule.then_some(self.quote),
        );
        let outcome = &mut self.outcomes.last_mut().context("no basket outcome")?.0;
        outcome.max_depth = outcome.max_depth.max(decision.plan.meta.depth);
        self.revisions
            .extend(decision.reconciliation.revisions_to_persist.clone());
        for action in decision.reconciliation.two_step_actions() {
            self.execute(sim, action, basket.id, now)?;
        }
        let meta = &decision.plan.meta;
        match &decision.lifecycle {
            Lifecycle::Continue => {
                self.band = (meta.replan_below, meta.replan_above);
                self.reanchor_at = meta.reanchor_eligible_at_ms.filter(|t| *t > now);
            }
            Lifecycle::Pause { reason } => {
                tracing::warn!(basket = basket.id, %reason, "basket paused");
                self.end_basket(BasketStatus::Error, now);
            }
            end @ (Lifecycle::Close { .. } | Lifecycle::Reanchor { .. }) => {
                let status = match end {
                    Lifecycle::Close { status, .. } => *status,
                    _ => BasketStatus::Reanchored,
                };
                if status == BasketStatus::Stopped {
                    self.last_hard_stop_ms = Some(now);
                }
                self.end_basket(status, now);
                let snapshot = self.indicators.as_ref().and_then(Indicators::warm_snapshot);
                let id = self.next_basket_id;
                let next =
                    cycle::next_basket(&basket, end, rules, last, id, now, snapshot.as_ref());
                if let Some(next) = next {
                    self.open_basket(next);
                }
            }
        }
        Ok(())
    }

    fn end_basket(&mut self, status: BasketStatus, now: i64) {
        if let Some((outcome, _)) = self.outcomes.last_mut() {
            outcome.status = status;
            outcome.closed_ms = Some(now);
        }
        self.basket = None;
        self.band = (None, None);
        self.reanchor_at = None;
    }

    fn execute(
        &mut self,
        sim: &mut SimExchange,
        action: Action,
        basket: u32,
        now: i64,
    ) -> anyhow::Result<()> {
        let symbol = self.spec.rules.symbol.clone();
        match action {
            Action::Cancel(c) => {
                if let Err(e) = sim.cancel(&symbol, &OrderRef::Client(c.client_id), now) {
                    tracing::debug!(error = %e, "cancel rejected");
                    self.rejections += 1;
                }
            }
            Action::Create(c) => {
                let order = NewOrder {
                    symbol,
                    client_id: c.client_id,
                    spec: c.spec,
                };
                match sim.place_with_fills(&order, now) {
                    Ok((report, trades)) => {
                        self.order_slots
                            .insert(report.order_id, (basket, order.spec.slot));
                        for t in &trades {
                            self.book(t)?;
                        }
                        if !trades.is_empty() {
                            self.dirty = true;
                        }
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, slot = %order.spec.slot, "order rejected");
                        self.rejections += 1;
                    }
                }
            }
            Action::Amend(_) => bail!("the backtest does not amend"),
            Action::Replace(r) => {
                self.execute(sim, Action::Cancel(r.cancel_half()), basket, now)?;
                self.execute(sim, Action::Create(r.create_half()), basket, now)?;
            }
        }
        Ok(())
    }

    /// Books one trade: balances, ledgers, marks, and the basket's fills.
    fn book(&mut self, t: &ExchangeTrade) -> anyhow::Result<()> {
        let rules = &self.spec.rules;
        let (basket, slot) = *self
            .order_slots
            .get(&t.order_id)
            .with_context(|| format!("trade {} of unknown order {}", t.trade_id, t.order_id))?;
        let (fee, fee_base) = if t.commission_asset == rules.quote_asset {
            (t.commission.as_quote(), Qty::ZERO)
        } else if t.commission_asset == rules.base_asset {
            (t.price * t.commission.as_qty(), t.commission.as_qty())
        } else {
            bail!(
                "commission in {} is not modelled by the backtest",
                t.commission_asset
            );
        };
        let mark = TradeMark {
            time_ms: t.time_ms,
            basket,
            slot,
            side: t.side,
            price: t.price,
            qty: t.qty,
            fee,
            fee_base,
        };
        match t.side {
            Side::Buy => {
                self.quote -= t.quote_qty;
                self.base += t.qty;
            }
            Side::Sell => {
                self.quote += t.quote_qty;
                self.base -= t.qty;
            }
        }
        self.quote -= fee - t.price * fee_base;
        self.base -= fee_base;
        self.ledger.apply(&mark);
        if let Some((outcome, ledger)) = self.outcomes.iter_mut().find(|(o, _)| o.id == basket) {
            ledger.apply(&mark);
            outcome.realized_pnl = ledger.realized_pnl;
            outcome.fees = ledger.fees;
        }
        self.trades.push(mark);
        if self.basket.as_ref().is_some_and(|b| b.id == basket) {
            self.fills.push(t.to_fill(slot));
        }
        Ok(())
    }

    /// A risk limit's `Close`: cancel every order of the grid, sell the position at market
    /// (what the lot size allows; dust stays), end the basket as `emergency_closed`, and open
    /// nothing until the gate reopens.
    fn emergency_close(&mut self, sim: &mut SimExchange, now: i64) -> anyhow::Result<()> {
        let symbol = self.spec.rules.symbol.clone();
        for o in self.own_open_orders(sim)? {
            let id = OrderRef::Client(o.client_id.clone());
            if let Err(e) = sim.cancel(&symbol, &id, now) {
                tracing::debug!(error = %e, "emergency cancel rejected");
                self.rejections += 1;
            }
        }
        let qty = self.spec.rules.filters.round_qty_down(self.base);
        if let (Some(basket), true) = (self.basket.as_ref().map(|b| b.id), qty.is_positive()) {
            let rev = self.revisions.get(&Slot::Exit).map_or(1, |r| r + 1);
            self.revisions.insert(Slot::Exit, rev);
            let order = NewOrder {
                symbol,
                client_id: ClientOrderId::ours(&self.prefix, basket, Slot::Exit, rev),
                spec: OrderSpec {
                    slot: Slot::Exit,
                    side: Side::Sell,
                    order_type: OrderType::Market,
                    price: None,
                    qty,
                    stop_price: None,
                    trailing_delta: None,
                    time_in_force: None,
                },
            };
            self.execute(
                sim,
                Action::Create(Create {
                    client_id: order.client_id,
                    spec: order.spec,
                }),
                basket,
                now,
            )?;
        }
        // Only a grid that was trading reopens when the gate does.
        self.halted = self.basket.is_some();
        if self.halted {
            self.end_basket(BasketStatus::EmergencyClosed, now);
        }
        Ok(())
    }

    /// The grid's symbol rules.
    pub(crate) fn rules(&self) -> &SymbolRules {
        &self.spec.rules
    }

    /// Quote and base this grid holds (booked from its trades).
    pub(crate) fn holdings(&self) -> (Quote, Qty) {
        (self.quote, self.base)
    }

    /// This grid's open orders on the exchange: those its client-id prefix marks (the
    /// symbol may be shared with another grid of another prefix).
    fn own_open_orders(&self, sim: &SimExchange) -> anyhow::Result<Vec<OpenOrder>> {
        Ok(sim
            .open_orders(&self.spec.rules.symbol)
            .map_err(|e| anyhow!("open orders: {e}"))?
            .into_iter()
            .map(OpenOrder::from)
            .filter(|o| o.client_id.parse_ours(&self.prefix).is_some())
            .collect())
    }

    /// Orders and cancels the exchange refused.
    pub(crate) fn rejections(&self) -> usize {
        self.rejections
    }

    /// When a basket of this grid last ended by its hard stop.
    pub(crate) fn last_hard_stop_ms(&self) -> Option<i64> {
        self.last_hard_stop_ms
    }

    /// Alone on its account: the engine's balances must equal what the grid booked.
    fn check_balances(&self, sim: &SimExchange) -> anyhow::Result<()> {
        let rules = &self.spec.rules;
        let balances = sim.balances();
        let engine_quote =
            (balances.free(&rules.quote_asset) + balances.locked(&rules.quote_asset)).as_quote();
        let engine_base =
            (balances.free(&rules.base_asset) + balances.locked(&rules.base_asset)).as_qty();
        if (engine_quote, engine_base) != (self.quote, self.base) {
            bail!(
                "bookkeeping mismatch: engine holds {engine_quote} {} and {engine_base} {}, \
                 the runner booked {} and {}",
                rules.quote_asset,
                rules.base_asset,
                self.quote,
                self.base
            );
        }
        Ok(())
    }

    /// The grid's record over `candles` (its symbol's).
    pub(crate) fn finish(self, candles: &[Candle]) -> anyhow::Result<BacktestRecord> {
        let rules = &self.spec.rules;
        if self.rejections > 0 {
            tracing::info!(
                rejections = self.rejections,
                "orders or cancels rejected during the run"
            );
        }
        let last = candles.last().context("no candles")?;
        Ok(BacktestRecord {
            symbol: rules.symbol.clone(),
            quote_asset: rules.quote_asset.clone(),
            base_asset: rules.base_asset.clone(),
            candles: candles.len() as u64,
            start_ms: candles[0].open_time_ms,
            end_ms: last.close_time_ms,
            first_open: candles[0].open,
            initial_quote: self.spec.initial_quote,
            final_quote: self.quote,
            final_base: self.base,
            final_price: last.close,
            realized_pnl: self.ledger.realized_pnl,
            open_cost: self.ledger.open_cost,
            fees: self.ledger.fees,
            equity: self.equity,
            trades: self.trades,
            baskets: self.outcomes.into_iter().map(|(o, _)| o).collect(),
            config: self.spec.config.clone(),
        })
    }
}

fn rules_round(rules: &SymbolRules, last: Price) -> Price {
    rules.filters.round_price_down(last)
}
