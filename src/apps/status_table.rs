//! The terminal form of `binance-trader status`: short aligned tables, times in UTC.

use super::status::StatusView;
use crate::apps::backtest::report::utc_minute;
use crate::apps::bot::runner::wall_ms;

/// Left-aligned columns, two spaces apart.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("  {}\n", padded.join("  ").trim_end())
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        out.push_str(&line(row.clone()));
    }
    out
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn money(v: impl std::fmt::Display) -> String {
    let text = v.to_string();
    match rust_decimal::Decimal::from_str_exact(&text) {
        Ok(d) => format!("{:.2}", d.round_dp(2)),
        Err(_) => text,
    }
}

/// The whole report.
pub fn render(v: &StatusView) -> String {
    let mut out = String::new();
    if !v.journal {
        out.push_str(
            "no journal yet: the bot has not run with this database (see database_url in \
             config/bot.toml or DATABASE_URL)\n",
        );
        return out;
    }
    let many = v.symbols.len() > 1;
    match many {
        true => out.push_str(&format!(
            "database: {}   symbols: {}\n",
            v.database,
            v.symbols.join(", ")
        )),
        false => out.push_str(&format!(
            "database: {}   symbol: {}\n",
            v.database,
            v.symbol.as_deref().unwrap_or("- (no basket yet)")
        )),
    }
    match &v.last_step {
        Some(s) => out.push_str(&format!(
            "last step: {} UTC ({} s ago), {}\n",
            utc_minute(s.wall_ms),
            (wall_ms() - s.wall_ms).max(0) / 1000,
            s.outcome
        )),
        None => out.push_str("last step: none recorded\n"),
    }
    out.push_str(&format!(
        "last price: {}{}\n",
        opt(v.last_price),
        v.snapshot_ms.map_or(String::new(), |t| format!(
            " (snapshot {} UTC)",
            utc_minute(t)
        ))
    ));
    let s = &v.summary;
    out.push_str(&format!(
        "P&L: realised {}  unrealised {}  combined {}  ROI {}  trades {} (won {}, lost {})\n",
        money(s.realised),
        money(s.unrealised),
        money(s.combined),
        s.roi_pct
            .map_or("-".into(), |r| format!("{}%", r.round_dp(2))),
        s.trades,
        s.wins,
        s.losses
    ));
    if v.alerts.is_empty() {
        out.push_str("risk: nothing paused, closing or pending\n");
    } else {
        out.push_str("ATTENTION:\n");
        for a in &v.alerts {
            out.push_str(&format!("  - {a}\n"));
        }
    }
    out.push_str(&format!("\nbaskets ({} open)\n", v.baskets.len()));
    let rows: Vec<Vec<String>> = v
        .baskets
        .iter()
        .map(|b| {
            let mut row = vec![
                b.id.to_string(),
                if b.paused() {
                    "paused".into()
                } else {
                    b.status.to_string()
                },
                b.anchor.to_string(),
                b.levels_filled.to_string(),
                b.position.to_string(),
                opt(b.vwap.map(|p| p.get().round_dp(8).normalize())),
                money(b.realised),
                money(b.unrealised),
            ];
            if many {
                row.insert(1, b.symbol.clone());
            }
            row
        })
        .collect();
    let mut head = vec![
        "id",
        "status",
        "anchor",
        "levels",
        "position",
        "vwap",
        "realised",
        "unrealised",
    ];
    if many {
        head.insert(1, "symbol");
    }
    out.push_str(&table(&head, &rows));
    out.push_str(&format!("\nopen orders ({})\n", v.open_orders.len()));
    let rows: Vec<Vec<String>> = v
        .open_orders
        .iter()
        .map(|o| {
            let mut row = vec![
                o.basket_id.to_string(),
                o.slot.clone(),
                o.side.to_string(),
                o.order_type.to_string(),
                opt(o.price),
                o.qty.to_string(),
                o.executed.to_string(),
                o.client_id.clone(),
            ];
            if many {
                row.insert(1, o.symbol.clone());
            }
            row
        })
        .collect();
    let mut head = vec![
        "basket",
        "slot",
        "side",
        "type",
        "price",
        "qty",
        "executed",
        "client id",
    ];
    if many {
        head.insert(1, "symbol");
    }
    out.push_str(&table(&head, &rows));
    out.push_str("\nbalances (latest snapshot)\n");
    let rows: Vec<Vec<String>> = v
        .balances
        .iter()
        .map(|b| {
            vec![
                b.asset.to_string(),
                b.free.to_string(),
                b.locked.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(&["asset", "free", "locked"], &rows));
    if !v.recent_problems.is_empty() {
        out.push_str("\nlatest warnings and errors\n");
        for e in &v.recent_problems {
            out.push_str(&format!(
                "  {} UTC  {}  {}: {}\n",
                utc_minute(e.time_ms),
                e.level.as_str(),
                e.kind,
                e.message
            ));
        }
    }
    out
}
