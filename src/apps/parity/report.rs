//! `parity`'s output: a terminal report (what was replayed, the totals of both sides, then
//! one line per difference) and the same facts as one JSON document.

use crate::apps::mode::Mode;
use crate::apps::parity::compare::{n, Difference, RunRows};
use crate::apps::parity::{mode_name, Outcome};
use crate::core::money::Quote;
use serde_json::{json, Value};
use std::fmt::Write;

fn totals(rows: &RunRows) -> (usize, usize, Quote) {
    let pnl = rows.pnl.values().fold(Quote::ZERO, |a, b| a + *b);
    (rows.orders.len(), rows.fills.len(), pnl)
}

fn verdict(o: &Outcome) -> &'static str {
    let lockstep = o.session.speed.as_deref() == Some("step");
    match (o.differences.is_empty(), o.session.mode, lockstep) {
        (true, _, _) => "no difference",
        (false, Mode::Paper, true) => "DIFFERENCES: same engine, same timing, so each is a defect",
        (false, Mode::Paper, false) => {
            "differences: same engine, but the replay ran on the wall clock and can outrun the \
             bot (latency, then diverging orders); paper --speed step has the backtester's timing"
        }
        (false, _, _) => "differences, each classified below",
    }
}

/// The terminal report.
pub fn text(o: &Outcome) -> String {
    let mut s = String::new();
    let (count, from, to) = o.candles;
    let grid = o
        .grid
        .as_ref()
        .map_or(String::new(), |g| format!(", grid {g}"));
    let _ = writeln!(
        s,
        "parity: {} session on {}{grid}, {count} candles from {from} to {to} (Unix ms)",
        mode_name(o.session.mode),
        o.session.symbol
    );
    if !o.basket_ids.is_empty() {
        let ids: Vec<String> = o
            .basket_ids
            .iter()
            .map(|(n, id)| format!("{n}={id}"))
            .collect();
        let _ = writeln!(
            s,
            "baskets numbered in the grid (number=journal id): {}",
            ids.join(" ")
        );
    }
    let _ = writeln!(
        s,
        "{:<10} {:>7} {:>7} {:>16}",
        "", "orders", "fills", "realised P&L"
    );
    for (name, rows) in [("journal", &o.journal), ("backtest", &o.backtest)] {
        let (orders, fills, pnl) = totals(rows);
        let _ = writeln!(s, "{name:<10} {orders:>7} {fills:>7} {:>16}", n(pnl.get()));
    }
    let _ = writeln!(s, "{}: {}", verdict(o), o.differences.len());
    if !o.differences.is_empty() {
        let _ = writeln!(
            s,
            "{:>6}  {:<13} {:<5} {:<44} {:<44} detail",
            "basket", "kind", "slot", "journal", "backtest"
        );
        for d in &o.differences {
            let _ = writeln!(s, "{}", line(d));
        }
    }
    s
}

fn line(d: &Difference) -> String {
    let slot = d.slot.map_or("-".to_string(), |s| s.to_string());
    let dash = |t: &str| {
        if t.is_empty() {
            "-".to_string()
        } else {
            t.to_string()
        }
    };
    format!(
        "{:>6}  {:<13} {:<5} {:<44} {:<44} {}",
        d.basket,
        d.kind.as_str(),
        slot,
        dash(&d.journal),
        dash(&d.backtest),
        d.detail
    )
}

/// The `--json` document.
pub fn json(o: &Outcome) -> Value {
    let side = |rows: &RunRows| {
        let (orders, fills, pnl) = totals(rows);
        json!({ "orders": orders, "fills": fills, "realized_pnl": pnl.to_string(),
                "realized_pnl_by_basket": rows.pnl.iter()
                    .map(|(id, q)| (id.to_string(), Value::String(q.to_string())))
                    .collect::<serde_json::Map<_, _>>() })
    };
    let (count, from, to) = o.candles;
    json!({
        "grid": o.grid,
        "basket_ids": o.basket_ids.iter()
            .map(|(n, id)| (n.to_string(), Value::from(*id)))
            .collect::<serde_json::Map<_, _>>(),
        "mode": o.session.mode,
        "speed": o.session.speed,
        "symbol": o.session.symbol.to_string(),
        "candles": count,
        "from_ms": from,
        "to_ms": to,
        "journal": side(&o.journal),
        "backtest": side(&o.backtest),
        "verdict": verdict(o),
        "differences": o.differences,
    })
}

/// The `--json` document of a whole journal: one grid's document as it is; a portfolio's
/// grids under `grids`, with every grid's differences also counted at the top.
pub fn json_all(outcomes: &[Outcome]) -> Value {
    match outcomes {
        [one] if one.grid.is_none() => json(one),
        many => {
            let count: usize = many.iter().map(|o| o.differences.len()).sum();
            json!({
                "grids": many.iter().map(json).collect::<Vec<_>>(),
                "differences": count,
            })
        }
    }
}
