//! One portfolio replay: every grid's candles in time order, the risk limits evaluated on the
//! whole account after each minute's fills and before any grid's cycle.
//!
//! Decisions:
//! - One simulated account holds the whole equity and every symbol, as the real account
//!   does. Grids are told apart by their client-id prefix (each sees and cancels only the
//!   orders its prefix marks) and by the exchange order ids they placed (a fill goes to the
//!   grid whose order it is). Each grid books its cash from its own fills, and the budget
//!   rule (`core::portfolio::budget`, the bot's rule too) holds its buys to that cash, so a
//!   grid never spends another grid's money although the exchange would let it.
//! - The portfolio's equity is the account's: every grid's cash and position plus the quote
//!   no grid was given; at the end the engine's balances must equal that booking.
//! - A minute runs in three steps: every grid's resting orders fill along its candle; the
//!   account snapshot (equity, peak, day start, 24 h ago, positions at the closes, open
//!   orders, hard stops) gives each grid its verdict; each grid cycles under its verdict.
//! - The symbols' correlation (`core::correlation`) is fed every candle's close at its close
//!   time, after the minute's fills and before the snapshot: the group cap sees the hour's
//!   return once the hour's last close is in, as a trader would.
//! - The day's start equity is the equity at the last close before 00:00 UTC; "24 h ago" is
//!   the latest close at least 24 h old (the earliest one during the first day).

use super::load::LoadedPortfolio;
use crate::adapters::klines::Candle;
use crate::adapters::sim::{SimConfig, SimExchange, SimSymbol, SymbolId};
use crate::apps::backtest::record::{BacktestRecord, EquityPoint};
use crate::apps::backtest::run::Runner;
use crate::core::correlation::{CorrelationMatrix, CorrelationTracker};
use crate::core::money::{Price, Qty, Quote};
use crate::core::risk::{
    evaluate, utc_day_start_ms, AccountSnapshot, LimitKind, RiskLimits, SymbolState, Trip, Verdict,
};
use crate::core::symbol::Symbol;
use anyhow::{bail, Context};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

const DAY_MS: i64 = 86_400_000;

/// A limit starting or ceasing to hold for a grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TripEvent {
    /// Close time of the minute it was seen.
    pub time_ms: i64,
    /// The grid.
    pub grid: String,
    /// `true` when the limit tripped, `false` when it cleared.
    pub tripped: bool,
    /// The trip (for a clearing, the last value seen while tripped).
    pub trip: Trip,
}

/// One grid's replay.
#[derive(Debug, Clone)]
pub struct GridResult {
    /// The grid's name.
    pub name: String,
    /// Its budget (its simulated account's starting quote).
    pub budget: Quote,
    /// Lowest cash seen at a close (never negative: the budget rule is a hard wall).
    pub min_quote: Quote,
    /// Most quote ever tied up in the position and resting buys, i.e. `budget − min_quote`.
    pub max_invested: Quote,
    /// Base bought with the budget at the first open (buy-and-hold, no fee).
    pub hold_qty: Qty,
    /// Orders and cancels the exchange refused (an overdrawn buy would be one).
    pub rejections: usize,
    /// The usual single-grid record.
    pub record: BacktestRecord,
}

/// The whole account at one close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PortfolioPoint {
    /// Close time.
    pub time_ms: i64,
    /// Cash + positions at their closes.
    pub equity: Quote,
    /// Value of every position (the part of equity not in quote).
    pub exposure: Quote,
    /// Buy-and-hold of the same budgets at this close.
    pub buy_and_hold: Quote,
}

/// One portfolio replay.
#[derive(Debug, Clone)]
pub struct PortfolioRecord {
    /// Starting equity.
    pub initial_equity: Quote,
    /// Quote no grid was given.
    pub unallocated: Quote,
    /// The limits this replay ran with.
    pub limits: RiskLimits,
    /// Each grid, in file order.
    pub grids: Vec<GridResult>,
    /// The account at every close.
    pub curve: Vec<PortfolioPoint>,
    /// Every trip and clearing, in time order.
    pub trips: Vec<TripEvent>,
    /// The symbols' correlation at the last close.
    pub correlation: CorrelationMatrix,
}

/// Replays `p` under `limits` (pass `RiskLimits::default()` for none).
pub fn run(p: &LoadedPortfolio, limits: &RiskLimits) -> anyhow::Result<PortfolioRecord> {
    let symbols: Vec<&Symbol> = p.candles.keys().collect();
    let series: Vec<&[Candle]> = p.candles.values().map(Vec::as_slice).collect();
    let grid_sym: Vec<usize> = p
        .grids
        .iter()
        .map(|g| symbols.iter().position(|s| **s == g.spec.rules.symbol))
        .collect::<Option<_>>()
        .ok_or_else(|| anyhow::anyhow!("a grid's symbol has no candles"))?;
    let mut sim = shared_account(p, &symbols, &series, &grid_sym)?;
    let sym_ids: Vec<SymbolId> = symbols
        .iter()
        .map(|s| sim.symbol_id(s))
        .collect::<Option<_>>()
        .ok_or_else(|| anyhow::anyhow!("the simulated account lost a symbol"))?;
    let mut runners = Vec::with_capacity(p.grids.len());
    for (g, &s) in p.grids.iter().zip(&grid_sym) {
        let first = series[s]
            .first()
            .ok_or_else(|| anyhow::anyhow!("no candles of {}", symbols[s]))?;
        runners.push(Runner::new(&g.spec, g.prefix.clone(), true, first));
    }
    let budgets: Vec<Quote> = p.grids.iter().map(|g| g.spec.initial_quote).collect();
    let unallocated = p.initial_equity - budgets.iter().copied().sum::<Quote>();
    let hold_qty: Vec<Qty> = p
        .grids
        .iter()
        .zip(&grid_sym)
        .map(|(g, &s)| g.spec.initial_quote / series[s][0].open)
        .collect();
    let limits_on = *limits != RiskLimits::default();
    let mut acc = Account::new(p.initial_equity);
    let mut min_quote = budgets.clone();
    let mut tripped: Vec<BTreeMap<LimitKind, Trip>> = vec![BTreeMap::new(); p.grids.len()];
    let mut trips = Vec::new();
    let mut curve = Vec::new();
    let mut ptr = vec![0usize; series.len()];
    let mut price: Vec<Price> = series.iter().map(|s| s[0].open).collect();
    let mut verdicts = vec![Verdict::Allow; p.grids.len()];
    let mut tracker = CorrelationTracker::new(p.correlation, symbols.iter().map(|s| (*s).clone()));
    while let Some(t) = series
        .iter()
        .zip(&ptr)
        .filter_map(|(s, &i)| s.get(i).map(|c| c.open_time_ms))
        .min()
    {
        let now: Vec<Option<&Candle>> = series
            .iter()
            .zip(&ptr)
            .map(|(s, &i)| s.get(i).filter(|c| c.open_time_ms == t))
            .collect();
        let close_ms = now
            .iter()
            .flatten()
            .map(|c| c.close_time_ms)
            .max()
            .unwrap_or(t);
        for (s, c) in now.iter().enumerate() {
            if let Some(c) = c {
                let trades = sim.on_candle_id(sym_ids[s], c).to_vec();
                for t in &trades {
                    let g = (0..runners.len())
                        .find(|&g| grid_sym[g] == s && runners[g].owns(t.order_id))
                        .ok_or_else(|| {
                            anyhow::anyhow!("a fill of no grid's order {}", t.order_id)
                        })?;
                    runners[g].book_all(std::slice::from_ref(t))?;
                }
            }
        }
        for (s, c) in now.iter().enumerate() {
            if let Some(c) = c {
                price[s] = c.close;
                tracker.observe(symbols[s], c.close_time_ms, c.close);
            }
        }
        if limits_on {
            let equity = equity_of(&runners, &grid_sym, &price, unallocated);
            let mut snap = acc.snapshot(
                close_ms, equity, &runners, &grid_sym, &price, &symbols, &sim, limits,
            );
            if limits.correlated_exposure.is_some() {
                snap.correlation = tracker.matrix().clone();
            }
            for (g, grid) in p.grids.iter().enumerate() {
                let v = evaluate(limits, &snap, &grid.spec.rules.symbol);
                note_trips(close_ms, &grid.name, &v.trips, &mut tripped[g], &mut trips);
                verdicts[g] = v.verdict;
            }
        }
        for (g, r) in runners.iter_mut().enumerate() {
            if let Some(c) = now[grid_sym[g]] {
                r.decide(&mut sim, c, verdicts[g])?;
            }
            min_quote[g] = min_quote[g].min(r.holdings().0);
        }
        let equity = equity_of(&runners, &grid_sym, &price, unallocated);
        acc.close(close_ms, equity);
        let exposure = runners
            .iter()
            .zip(&grid_sym)
            .map(|(r, &s)| price[s] * r.holdings().1)
            .sum();
        let hold = unallocated
            + hold_qty
                .iter()
                .zip(&grid_sym)
                .map(|(q, &s)| price[s] * *q)
                .sum::<Quote>();
        curve.push(PortfolioPoint {
            time_ms: close_ms,
            equity,
            exposure,
            buy_and_hold: hold,
        });
        for (s, c) in now.iter().enumerate() {
            if c.is_some() {
                ptr[s] += 1;
            }
        }
    }
    check_balances(&sim, &runners, &grid_sym, &symbols, p, unallocated)?;
    let mut grids = Vec::with_capacity(runners.len());
    for (g, r) in runners.into_iter().enumerate() {
        let rejections = r.rejections();
        let record = r.finish(series[grid_sym[g]])?;
        grids.push(GridResult {
            name: p.grids[g].name.clone(),
            budget: budgets[g],
            min_quote: min_quote[g],
            max_invested: budgets[g] - min_quote[g],
            hold_qty: hold_qty[g],
            rejections,
            record,
        });
    }
    Ok(PortfolioRecord {
        initial_equity: p.initial_equity,
        unallocated,
        limits: limits.clone(),
        grids,
        curve,
        trips,
        correlation: tracker.matrix().clone(),
    })
}

/// One simulated account with every symbol of the portfolio and the whole equity in quote.
fn shared_account(
    p: &LoadedPortfolio,
    symbols: &[&Symbol],
    series: &[&[Candle]],
    grid_sym: &[usize],
) -> anyhow::Result<SimExchange> {
    let quote = &p
        .grids
        .first()
        .context("a portfolio without grids")?
        .spec
        .rules
        .quote_asset;
    let mut markets = Vec::with_capacity(symbols.len());
    for (s, sym) in symbols.iter().enumerate() {
        let Some(g) = grid_sym.iter().position(|&gs| gs == s) else {
            continue;
        };
        let rules = &p.grids[g].spec.rules;
        if &rules.quote_asset != quote {
            bail!(
                "{sym} is quoted in {}, the portfolio in {quote}: one account, one quote asset",
                rules.quote_asset
            );
        }
        markets.push(SimSymbol {
            rules: rules.clone(),
            initial_price: series[s].first().map(|c| c.open),
        });
    }
    Ok(SimExchange::new(SimConfig::standard(
        markets,
        vec![(quote.clone(), p.initial_equity.as_amount())],
    )))
}

/// The engine's balances must equal the grids' bookings (plus the unallocated quote): a
/// mismatch is a bug and fails the run.
fn check_balances(
    sim: &SimExchange,
    runners: &[Runner<'_>],
    grid_sym: &[usize],
    symbols: &[&Symbol],
    p: &LoadedPortfolio,
    unallocated: Quote,
) -> anyhow::Result<()> {
    let b = sim.balances();
    let total = |a| b.free(a) + b.locked(a);
    let quote = &p.grids[0].spec.rules.quote_asset;
    let booked = unallocated + runners.iter().map(|r| r.holdings().0).sum::<Quote>();
    if total(quote).as_quote() != booked {
        bail!(
            "bookkeeping mismatch: the account holds {} {quote}, the grids booked {booked}",
            total(quote)
        );
    }
    for (s, sym) in symbols.iter().enumerate() {
        let Some(g) = grid_sym.iter().position(|&gs| gs == s) else {
            continue;
        };
        let base = &p.grids[g].spec.rules.base_asset;
        let booked: Qty = runners
            .iter()
            .zip(grid_sym)
            .filter(|(_, &gs)| gs == s)
            .map(|(r, _)| r.holdings().1)
            .sum();
        if total(base).as_qty() != booked {
            bail!(
                "bookkeeping mismatch on {sym}: the account holds {} {base}, its grids booked \
                 {booked}",
                total(base)
            );
        }
    }
    Ok(())
}

fn equity_of(runners: &[Runner<'_>], grid_sym: &[usize], price: &[Price], free: Quote) -> Quote {
    free + runners
        .iter()
        .zip(grid_sym)
        .map(|(r, &s)| {
            let (q, b) = r.holdings();
            q + price[s] * b
        })
        .sum::<Quote>()
}

/// Records the limits that started or stopped holding for one grid.
fn note_trips(
    time_ms: i64,
    grid: &str,
    now: &[Trip],
    held: &mut BTreeMap<LimitKind, Trip>,
    events: &mut Vec<TripEvent>,
) {
    for t in now {
        if !held.contains_key(&t.limit) {
            events.push(TripEvent {
                time_ms,
                grid: grid.to_string(),
                tripped: true,
                trip: t.clone(),
            });
        }
        held.insert(t.limit, t.clone());
    }
    let cleared: Vec<LimitKind> = held
        .keys()
        .filter(|k| !now.iter().any(|t| t.limit == **k))
        .copied()
        .collect();
    for k in cleared {
        if let Some(trip) = held.remove(&k) {
            events.push(TripEvent {
                time_ms,
                grid: grid.to_string(),
                tripped: false,
                trip,
            });
        }
    }
}

/// The account history the limits need: peak, the day's start, the last 24 h.
struct Account {
    peak: Quote,
    day: i64,
    day_start: Quote,
    last: Quote,
    window: VecDeque<(i64, Quote)>,
}

impl Account {
    fn new(initial: Quote) -> Self {
        Self {
            peak: initial,
            day: i64::MIN,
            day_start: initial,
            last: initial,
            window: VecDeque::new(),
        }
    }

    /// The snapshot at `now_ms` with the current `equity` (after this minute's fills).
    #[allow(clippy::too_many_arguments)]
    fn snapshot(
        &mut self,
        now_ms: i64,
        equity: Quote,
        runners: &[Runner<'_>],
        grid_sym: &[usize],
        price: &[Price],
        symbols: &[&Symbol],
        sim: &SimExchange,
        limits: &RiskLimits,
    ) -> AccountSnapshot {
        let day = utc_day_start_ms(now_ms);
        if day != self.day {
            self.day = day;
            self.day_start = self.last;
        }
        self.peak = self.peak.max(equity);
        while self.window.len() > 1 && self.window[1].0 <= now_ms - DAY_MS {
            self.window.pop_front();
        }
        let ago = self.window.front().map_or(self.last, |(_, e)| *e);
        let mut states: BTreeMap<Symbol, SymbolState> = BTreeMap::new();
        for (r, &s) in runners.iter().zip(grid_sym) {
            let st = states
                .entry(symbols[s].clone())
                .or_insert_with(|| SymbolState {
                    qty: Qty::ZERO,
                    price: price[s],
                    open_orders: 0,
                    open_algo_orders: 0,
                    max_num_orders: r.rules().filters.max_num_orders,
                    max_num_algo_orders: r.rules().filters.max_num_algo_orders,
                    last_hard_stop_ms: None,
                });
            st.qty += r.holdings().1;
            st.last_hard_stop_ms = st.last_hard_stop_ms.max(r.last_hard_stop_ms());
        }
        if limits.max_open_orders.is_some() {
            // Counted once per symbol, on the account: every grid's and anyone's orders.
            for (sym, st) in &mut states {
                let open = sim.open_orders(sym).unwrap_or_default();
                st.open_orders = open.len() as u32;
                st.open_algo_orders =
                    open.iter().filter(|o| o.spec.order_type.is_algo()).count() as u32;
            }
        }
        AccountSnapshot {
            now_ms,
            equity,
            peak_equity: self.peak,
            day_start_equity: self.day_start,
            equity_24h_ago: ago,
            symbols: states,
            correlation: CorrelationMatrix::default(),
        }
    }

    /// Books the equity at a close (after the grids acted).
    fn close(&mut self, now_ms: i64, equity: Quote) {
        self.peak = self.peak.max(equity);
        self.last = equity;
        self.window.push_back((now_ms, equity));
    }
}

/// The portfolio curve as equity points (for the shared drawdown metric).
pub fn equity_points(curve: &[PortfolioPoint], hold: bool) -> Vec<EquityPoint> {
    curve
        .iter()
        .map(|p| EquityPoint {
            time_ms: p.time_ms,
            equity: if hold { p.buy_and_hold } else { p.equity },
            price: Price::ZERO,
            position: Qty::ZERO,
        })
        .collect()
}
