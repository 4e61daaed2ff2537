//! The JSON report: fixed field order (struct order), every decimal a canonical string
//! (full precision), times as Unix ms plus a UTC text for the run period.
//!
//! Layout: `format`, `run`, `summary`, `config` (the strategy configuration as given),
//! `baskets` (all), `equity` (downsampled curve with the full point count, each point with
//! the buy-and-hold equity beside the strategy's), `trades` (all). Format 2 added the
//! buy-and-hold benchmark, P&L / max drawdown and Calmar.

use super::{canonical, utc_minute, Report};
use crate::apps::backtest::metrics::{BasketCounts, Summary};
use crate::apps::backtest::record::{BasketOutcome, EquityPoint, TradeMark};
use crate::core::order::{Side, Slot};
use crate::core::strategy::config::StrategyConfig;
use crate::core::symbol::{Asset, Symbol};
use rust_decimal::Decimal;
use serde::Serialize;

/// Format tag, bumped when the layout changes.
const FORMAT: &str = "binance-trader/backtest-report/2";

#[derive(Serialize)]
struct Doc<'a> {
    format: &'static str,
    run: Run<'a>,
    summary: JsonSummary,
    config: &'a StrategyConfig,
    baskets: Vec<JsonBasket>,
    equity: Series,
    trades: Vec<JsonTrade>,
}

#[derive(Serialize)]
struct Run<'a> {
    symbol: &'a Symbol,
    base_asset: &'a Asset,
    quote_asset: &'a Asset,
    candles: u64,
    start_ms: i64,
    end_ms: i64,
    start_utc: String,
    end_utc: String,
}

#[derive(Serialize)]
struct JsonSummary {
    initial_equity: String,
    final_equity: String,
    final_quote: String,
    final_base: String,
    final_price: String,
    open_cost: String,
    realized_pnl: String,
    unrealized_pnl: String,
    fees: String,
    total_pnl: String,
    roi_pct: String,
    max_drawdown: String,
    max_drawdown_pct: String,
    max_drawdown_peak_ms: Option<i64>,
    max_drawdown_trough_ms: Option<i64>,
    sharpe: Option<String>,
    daily_returns: u32,
    baskets: JsonBasketCounts,
    round_trips: u32,
    wins: u32,
    losses: u32,
    win_rate_pct: Option<String>,
    avg_win: Option<String>,
    avg_loss: Option<String>,
    time_in_market_pct: String,
    fills: u64,
    buys: u64,
    sells: u64,
    pnl_over_max_drawdown: Option<String>,
    calmar: Option<String>,
    buy_and_hold: JsonHold,
}

#[derive(Serialize)]
struct JsonHold {
    budget: String,
    entry: String,
    qty: String,
    pnl: String,
    max_drawdown: String,
    max_drawdown_pct: String,
    pnl_over_max_drawdown: Option<String>,
    strategy_minus_hold: String,
}

#[derive(Serialize)]
struct JsonBasketCounts {
    opened: u32,
    closed: u32,
    stopped: u32,
    emergency_closed: u32,
    reanchored: u32,
    active: u32,
    error: u32,
}

#[derive(Serialize)]
struct JsonBasket {
    id: u32,
    anchor: String,
    opened_ms: i64,
    closed_ms: Option<i64>,
    status: &'static str,
    realized_pnl: String,
    fees: String,
    net_pnl: String,
    max_depth: u16,
}

#[derive(Serialize)]
struct Series {
    points_total: usize,
    points: Vec<JsonPoint>,
}

#[derive(Serialize)]
struct JsonPoint {
    time_ms: i64,
    equity: String,
    price: String,
    position: String,
    buy_and_hold: String,
}

#[derive(Serialize)]
struct JsonTrade {
    time_ms: i64,
    basket: u32,
    slot: Slot,
    side: Side,
    price: String,
    qty: String,
    fee: String,
    fee_base: String,
}

fn c(d: Decimal) -> String {
    canonical(d)
}

fn summary(report: &Report<'_>) -> JsonSummary {
    let (r, s): (_, &Summary) = (report.record, &report.summary);
    let time = |i: Option<usize>| i.map(|i| r.equity[i].time_ms);
    let BasketCounts {
        opened,
        closed,
        stopped,
        emergency_closed,
        reanchored,
        active,
        error,
    } = s.baskets;
    let rt = &s.round_trips;
    let h = &s.buy_and_hold;
    JsonSummary {
        initial_equity: c(s.initial_equity.get()),
        final_equity: c(s.final_equity.get()),
        final_quote: c(r.final_quote.get()),
        final_base: c(r.final_base.get()),
        final_price: c(r.final_price.get()),
        open_cost: c(r.open_cost.get()),
        realized_pnl: c(s.realized_pnl.get()),
        unrealized_pnl: c(s.unrealized_pnl.get()),
        fees: c(s.fees.get()),
        total_pnl: c(s.total_pnl.get()),
        roi_pct: c(s.roi_pct),
        max_drawdown: c(s.drawdown.amount.get()),
        max_drawdown_pct: c(s.drawdown.pct),
        max_drawdown_peak_ms: time(s.drawdown.peak_index),
        max_drawdown_trough_ms: time(s.drawdown.trough_index),
        sharpe: s.sharpe.map(c),
        daily_returns: s.daily_returns,
        baskets: JsonBasketCounts {
            opened,
            closed,
            stopped,
            emergency_closed,
            reanchored,
            active,
            error,
        },
        round_trips: rt.count,
        wins: rt.wins,
        losses: rt.losses,
        win_rate_pct: rt.win_rate_pct.map(c),
        avg_win: rt.avg_win.map(|q| c(q.get())),
        avg_loss: rt.avg_loss.map(|q| c(q.get())),
        time_in_market_pct: c(s.time_in_market_pct),
        fills: s.fills,
        buys: s.buys,
        sells: s.sells,
        pnl_over_max_drawdown: s.pnl_over_drawdown.map(c),
        calmar: s.calmar.map(c),
        buy_and_hold: JsonHold {
            budget: c(h.budget.get()),
            entry: c(h.entry.get()),
            qty: c(h.qty.get()),
            pnl: c(h.pnl.get()),
            max_drawdown: c(h.drawdown.amount.get()),
            max_drawdown_pct: c(h.drawdown.pct),
            pnl_over_max_drawdown: h.pnl_over_drawdown.map(c),
            strategy_minus_hold: c((s.total_pnl - h.pnl).get()),
        },
    }
}

fn basket(b: &BasketOutcome) -> JsonBasket {
    JsonBasket {
        id: b.id,
        anchor: c(b.anchor.get()),
        opened_ms: b.opened_ms,
        closed_ms: b.closed_ms,
        status: b.status.as_str(),
        realized_pnl: c(b.realized_pnl.get()),
        fees: c(b.fees.get()),
        net_pnl: c((b.realized_pnl - b.fees).get()),
        max_depth: b.max_depth,
    }
}

fn point(report: &Report<'_>, p: &EquityPoint) -> JsonPoint {
    let hold = report
        .summary
        .buy_and_hold
        .equity_at(report.record.initial_quote, p.price);
    JsonPoint {
        time_ms: p.time_ms,
        equity: c(p.equity.get()),
        price: c(p.price.get()),
        position: c(p.position.get()),
        buy_and_hold: c(hold.get()),
    }
}

fn trade(t: &TradeMark) -> JsonTrade {
    JsonTrade {
        time_ms: t.time_ms,
        basket: t.basket,
        slot: t.slot,
        side: t.side,
        price: c(t.price.get()),
        qty: c(t.qty.get()),
        fee: c(t.fee.get()),
        fee_base: c(t.fee_base.get()),
    }
}

/// Renders the document, pretty-printed with a final newline.
pub(super) fn render(report: &Report<'_>) -> String {
    let r = report.record;
    let doc = Doc {
        format: FORMAT,
        run: Run {
            symbol: &r.symbol,
            base_asset: &r.base_asset,
            quote_asset: &r.quote_asset,
            candles: r.candles,
            start_ms: r.start_ms,
            end_ms: r.end_ms,
            start_utc: utc_minute(r.start_ms),
            end_utc: utc_minute(r.end_ms),
        },
        summary: summary(report),
        config: &r.config,
        baskets: r.baskets.iter().map(basket).collect(),
        equity: Series {
            points_total: r.equity.len(),
            points: report
                .equity_indices()
                .into_iter()
                .map(|i| point(report, &r.equity[i]))
                .collect(),
        },
        trades: r.trades.iter().map(trade).collect(),
    };
    // Plain structs of strings and integers always serialize.
    let mut text = serde_json::to_string_pretty(&doc).expect("report JSON serializes");
    text.push('\n');
    text
}
