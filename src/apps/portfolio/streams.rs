//! The portfolio driven by the exchange's events: one user-data stream and one combined
//! market stream for every grid (`.spec/portfolio.md`, "Streams"), with polling as the
//! safety net and the fallback — the single bot's rules (`apps::bot::live`) over many grids.
//!
//! - A **fill** or another order update of a grid's (its symbol, its client-id prefix) is
//!   journalled at once by that grid's bot and makes that grid due: a loop runs now that
//!   reads the account again (the limits see the new position) and steps that grid in full.
//! - A **price** is kept for the next loop, which values the account with it instead of
//!   reading tickers, and makes the grids on that symbol due at most every `price_replan`;
//!   with both streams up they plan on the journal (`Bot::step_on_journal`) and the loop
//!   reuses the last account read: request weight does not grow with how often prices move.
//! - Every loop evaluates the limits for **every** grid; a grid whose verdict changed steps
//!   too, so a kill switch met on one grid's fill closes the others in the same loop.
//! - **Streams up**: the full loop (every grid, REST reads, prices too) runs every `full_every`; the
//!   fills it finds that no stream had pushed are drift (event `stream_drift`, `/metrics`).
//!   **Down** (either): the full loop runs every `interval`, as without streams. **Gap**: a
//!   full loop heals over REST before anything else.
//!
//! Events are hints, REST and the journal the truth: a lost event costs latency, never money.

use super::orchestrator::{GridStep, LoopPlan, LoopReport, Portfolio, PortfolioError};
use super::runner::{pause_after, record_loop};
use crate::adapters::binance::ws::{spawn_streams, WsConfig};
use crate::adapters::binance::Credentials;
use crate::apps::bot::live::{LivePacing, FOLLOW_UPS};
use crate::apps::bot::runner::{BotCommand, QUEUE_POLL};
use crate::core::money::Price;
use crate::core::symbol::Symbol;
use crate::ports::events::{EventSource, ExchangeEvent, StreamKind, StreamState};
use crate::ports::exchange::Exchange;
use crate::ports::store::{EventLevel, Store};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// What the loop knows of the streams and owes the grids.
#[derive(Default)]
struct Feed {
    /// The user-data stream is up: every account change is pushed.
    user_up: bool,
    /// The market stream is up: `pushed` prices are current.
    market_up: bool,
    /// The last price pushed per symbol (cleared when the market stream goes down).
    pushed: BTreeMap<Symbol, Price>,
    /// Grids due, and how each steps.
    due: BTreeMap<usize, GridStep>,
    /// An account change was pushed since the last account read.
    account_changed: bool,
    /// When each grid last stepped for a price alone.
    last_price_step: BTreeMap<usize, Instant>,
    /// Follow-up steps in a row per grid (a step that acted is followed at once).
    follow_ups: BTreeMap<usize, u32>,
}

impl Feed {
    fn both_up(&self) -> bool {
        self.user_up && self.market_up
    }

    /// Keeps the prices a loop read over REST for the symbols the market stream has not
    /// pushed since it came up: `bookTicker` pushes every change, so while the stream stays
    /// up a symbol with no push has not moved.
    fn keep_read_prices(&mut self, report: &LoopReport) {
        if self.market_up {
            for (s, p) in &report.prices {
                self.pushed.entry(s.clone()).or_insert(*p);
            }
        }
    }

    fn prices(&self) -> BTreeMap<Symbol, Price> {
        match self.market_up {
            true => self.pushed.clone(),
            false => BTreeMap::new(),
        }
    }
}

/// Runs the portfolio until `stop` turns true: on its streams when `streams` gives their
/// configuration and the account's credentials (one user-data and one market connection for
/// every grid symbol), polling every `interval` otherwise (`--no-streams`).
pub async fn run_portfolio<E: Exchange, S: Store>(
    portfolio: &mut Portfolio<E, S>,
    streams: Option<(&WsConfig, Arc<Credentials>)>,
    interval: Duration,
    stop: watch::Receiver<bool>,
    commands: mpsc::Receiver<BotCommand>,
) -> Result<u64, PortfolioError> {
    match streams {
        None => super::runner::run_until(portfolio, interval, stop, commands).await,
        Some((ws, credentials)) => {
            let events = spawn_streams(ws, Some(credentials), portfolio.symbols());
            let pacing = LivePacing::default();
            run_with_events(portfolio, events, interval, pacing, stop, commands).await
        }
    }
}

/// Loops on events until `stop` turns true; returns the number of loops run (full and
/// partial). `interval` is the polling pause while a stream is down.
pub async fn run_with_events<E: Exchange, S: Store, V: EventSource>(
    portfolio: &mut Portfolio<E, S>,
    mut events: V,
    interval: Duration,
    pacing: LivePacing,
    mut stop: watch::Receiver<bool>,
    mut commands: mpsc::Receiver<BotCommand>,
) -> Result<u64, PortfolioError> {
    let mut feed = Feed::default();
    let mut events_open = true;
    let mut loops = 0;
    let mut failures: u32 = 0;
    let mut next_full = Instant::now();
    let mut next_due = Instant::now();
    let mut queue = tokio::time::interval(QUEUE_POLL);
    portfolio
        .bot_metrics()
        .set_streams(false, "starting: polling until the stream is up".into());
    loop {
        if *stop.borrow() {
            return Ok(loops);
        }
        // Every event known is applied before a loop runs: a pushed fill is journalled and
        // its grid made due before the loop that would otherwise find it over REST.
        tokio::select! {
            biased;
            event = events.next_event(), if events_open => {
                let Some(event) = event else {
                    events_open = false;
                    feed.user_up = false;
                    feed.market_up = false;
                    portfolio
                        .bot_metrics()
                        .set_streams(false, "polling: the event source ended".into());
                    next_full = next_full.min(Instant::now() + interval);
                    continue;
                };
                portfolio.bot_metrics().stream_event();
                match on_event(portfolio, &mut feed, event, pacing).await {
                    Heal::Now => next_full = Instant::now(),
                    Heal::Poll => next_full = next_full.min(Instant::now() + interval),
                    Heal::No => {}
                }
                if !feed.due.is_empty() {
                    next_due = next_due.min(Instant::now());
                }
            }
            _ = tokio::time::sleep_until(next_full) => {
                // The full loop reads every price from the exchange with the orders and trades
                // its grids sync (a pushed price may predate them).
                let plan = LoopPlan {
                    due: None,
                    pushed: BTreeMap::new(),
                    fresh_account: true,
                };
                let result = portfolio.run_loop(&plan).await;
                record_loop(portfolio.store(), &result).await;
                feed.account_changed = false;
                feed.due.clear();
                let steady = if feed.both_up() { pacing.full_every } else { interval };
                let pause = match &result {
                    Ok(report) => {
                        loops += 1;
                        failures = 0;
                        if feed.user_up {
                            note_drift(portfolio, report).await;
                        }
                        follow_up(&mut feed, report);
                        feed.keep_read_prices(report);
                        steady
                    }
                    Err(err) => {
                        failures += 1;
                        tracing::warn!(error = %err, "portfolio loop skipped");
                        match pause_after(err, steady, failures) {
                            Some(p) => p,
                            None => return result.map(|_| loops),
                        }
                    }
                };
                next_full = Instant::now() + pause;
                next_due = Instant::now();
            }
            _ = tokio::time::sleep_until(next_due), if !feed.due.is_empty() => {
                let due = std::mem::take(&mut feed.due);
                let full = due.values().any(|h| *h == GridStep::Full);
                let plan = LoopPlan {
                    due: Some(due),
                    pushed: feed.prices(),
                    fresh_account: full || feed.account_changed || !feed.user_up,
                };
                let result = portfolio.run_loop(&plan).await;
                record_loop(portfolio.store(), &result).await;
                if plan.fresh_account {
                    feed.account_changed = false;
                }
                match &result {
                    Ok(report) => {
                        loops += 1;
                        follow_up(&mut feed, report);
                        feed.keep_read_prices(report);
                        next_due = Instant::now();
                    }
                    Err(err) => {
                        failures += 1;
                        tracing::warn!(error = %err, "portfolio loop skipped");
                        // The grids stay due; the next full loop covers them anyway.
                        if let Some(due) = &plan.due {
                            feed.due.extend(due.iter().map(|(i, h)| (*i, *h)));
                        }
                        match pause_after(err, interval, failures) {
                            Some(p) => next_due = Instant::now() + p,
                            None => return result.map(|_| loops),
                        }
                    }
                }
            }
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return Ok(loops);
                }
            }
            Some(command) = commands.recv() => portfolio.handle(command).await,
            // Per-grid commands and close-all from another process, queued in the store.
            _ = queue.tick() => portfolio.serve_commands().await,
        }
    }
}

/// What an event asks of the full loop.
enum Heal {
    /// Run it now (a stream came up: whatever happened before is read over REST).
    Now,
    /// A stream is down: poll at `interval`.
    Poll,
    No,
}

async fn on_event<E: Exchange, S: Store>(
    portfolio: &mut Portfolio<E, S>,
    feed: &mut Feed,
    event: ExchangeEvent,
    pacing: LivePacing,
) -> Heal {
    match event {
        ExchangeEvent::Stream { kind, state } => {
            let up = !matches!(state, StreamState::Down { .. });
            match kind {
                StreamKind::User => feed.user_up = up,
                StreamKind::Market => {
                    feed.market_up = up;
                    if !up {
                        feed.pushed.clear();
                    }
                    portfolio.candles.on_stream(&state);
                }
            }
            let text = match (&state, feed.both_up()) {
                (StreamState::Down { reason }, _) => format!("streams down ({reason}): polling"),
                (StreamState::Gap { reason }, _) => {
                    format!("streams up again ({reason}): healed over REST")
                }
                (StreamState::Up, true) => "streams up: event-driven".into(),
                (StreamState::Up, false) => "streams coming up: polling meanwhile".into(),
            };
            portfolio.bot_metrics().set_streams(feed.both_up(), text);
            match (up, kind) {
                (false, _) => Heal::Poll,
                // A user stream (re)subscribed: heal what happened before it.
                (true, StreamKind::User) => Heal::Now,
                (true, StreamKind::Market) => Heal::No,
            }
        }
        ExchangeEvent::Order(u) => {
            feed.account_changed = true;
            let Some(i) = portfolio.grid_of_order(&u.report.symbol, &u.report.client_id) else {
                return Heal::No;
            };
            if let Some(t) = &u.trade {
                if let Err(e) = portfolio.journal_pushed_fill(i, t).await {
                    tracing::warn!(error = %e, "pushed fill not journalled; the next step heals");
                }
            }
            feed.due.insert(i, GridStep::Full);
            Heal::No
        }
        ExchangeEvent::Balances { .. } | ExchangeEvent::BalanceDelta { .. } => {
            feed.account_changed = true;
            Heal::No
        }
        ExchangeEvent::Price(p) => {
            if let Some((symbol, fresh)) = portfolio.candles.on_price(&portfolio.exchange, &p).await
            {
                portfolio.add_candles(&symbol, &fresh);
            }
            let now = Instant::now();
            feed.pushed.insert(p.symbol().clone(), p.price());
            if !feed.both_up() {
                // Polling values the account and plans with fresh reads anyway.
                return Heal::No;
            }
            for i in portfolio.grids_on(p.symbol()) {
                let last = feed.last_price_step.get(&i).copied();
                if last.is_none_or(|t| now >= t + pacing.price_replan) {
                    feed.last_price_step.insert(i, now);
                    feed.due.entry(i).or_insert(GridStep::OnJournal);
                }
            }
            Heal::No
        }
        ExchangeEvent::OrderList { .. } => Heal::No,
    }
}

/// A grid whose step acted (orders sent, a basket closed or opened) may have left work for
/// the next one (the next basket's grid, a replace's create): it is due again at once, at
/// most `FOLLOW_UPS` times in a row. A failed step waits for the next loop.
fn follow_up(feed: &mut Feed, report: &LoopReport) {
    for (i, step) in report.steps.iter().enumerate() {
        let acted = step
            .as_ref()
            .is_some_and(|r| r.failed == 0 && r.pending == 0 && (r.actions > 0 || r.lifecycle > 0));
        let n = feed.follow_ups.entry(i).or_default();
        if acted && *n < FOLLOW_UPS {
            *n += 1;
            feed.due.insert(i, GridStep::Full);
        } else {
            *n = 0;
        }
    }
}

/// A full loop while the user stream was up found fills no stream had pushed: drift, an
/// event and a metric (the dashboard shows it).
async fn note_drift<E: Exchange, S: Store>(portfolio: &Portfolio<E, S>, report: &LoopReport) {
    let fills: usize = report.steps.iter().flatten().map(|r| r.fills).sum();
    if fills == 0 {
        return;
    }
    portfolio.bot_metrics().drift_found(fills as u64);
    let text = format!("the full reconcile found {fills} fill(s) the stream had not delivered");
    let _ = super::orchestrator::append(
        portfolio.store(),
        report.server_ms,
        EventLevel::Warn,
        "stream_drift",
        text,
    )
    .await;
}
