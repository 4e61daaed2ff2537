//! The report's interactive price chart: the dashboard's own chart (`assets/chart.js` on the
//! vendored lightweight-charts, both inlined so the file stays self-contained) over candles
//! built from the run's price samples, with every fill as a marker (price, quantity, fee on
//! hover) and the last basket's grid as the dashboard draws the active one: anchor, buy and
//! extension levels, TP1, TP2, trailing and hard stop (the dashboard's [`chart::lines`], at
//! the run's last price). The SVG chart above it stays for readers without scripts.

use super::{canonical, Report};
use crate::apps::backtest::record::{BacktestRecord, TradeMark};
use crate::apps::dashboard::chart::{self, ChartLine};
use crate::apps::dashboard::format::Precision;
use crate::core::basket::Basket;
use crate::core::fill::{Commission, Fill};
use crate::core::filters::SymbolRules;
use crate::core::money::{Amount, Quote};
use serde_json::json;
use std::collections::BTreeMap;

/// The vendored chart library.
pub(super) const LIBRARY: &str = include_str!(
    "../../../../assets/vendor/lightweight-charts/lightweight-charts.standalone.production.js"
);
/// The dashboard's chart script.
pub(super) const SCRIPT: &str = include_str!("../../../../assets/chart.js");
/// Most candles drawn (the interval grows with the run's length).
const MAX_CANDLES: i64 = 1_000;

/// The chart's data as JSON for a `<script type="application/json">` block: every `<` is
/// written `\u003c`, so no text from the record can end or open an element there.
pub(super) fn data(report: &Report<'_>) -> String {
    let r = report.record;
    let span = (r.end_ms - r.start_ms).max(60_000);
    let step = ((span / MAX_CANDLES).max(60_000) + 59_999) / 60_000 * 60_000;
    let mut candles: BTreeMap<i64, [rust_decimal::Decimal; 4]> = BTreeMap::new();
    for p in &r.equity {
        let price = p.price.get();
        let open = p.time_ms - p.time_ms.rem_euclid(step);
        candles
            .entry(open)
            .and_modify(|c| {
                c[1] = c[1].max(price);
                c[2] = c[2].min(price);
                c[3] = price;
            })
            .or_insert([price, price, price, price]);
    }
    let dp = r
        .equity
        .iter()
        .map(|p| p.price.get().normalize().scale())
        .max()
        .unwrap_or(2);
    let candles: Vec<_> = candles
        .iter()
        .map(|(t, c)| {
            json!({"time": t / 1000, "open": canonical(c[0]), "high": canonical(c[1]),
                   "low": canonical(c[2]), "close": canonical(c[3])})
        })
        .collect();
    let markers: Vec<_> = r
        .trades
        .iter()
        .map(|t| {
            json!({"time": (t.time_ms - t.time_ms.rem_euclid(step)) / 1000, "time_ms": t.time_ms,
                   "side": t.side.as_str(), "slot": t.slot.to_string(),
                   "price": canonical(t.price.get()), "qty": canonical(t.qty.get()),
                   "fee": format!("{} {}", canonical(t.fee.get()), r.quote_asset)})
        })
        .collect();
    let (basket_id, lines) = match report.rules {
        Some(rules) => last_basket_lines(r, rules),
        None => (None, Vec::new()),
    };
    let dp = report
        .rules
        .map_or(dp, |rules| Precision::of(&rules.filters).price_dp);
    json!({
        "symbol": r.symbol.to_string(), "range": "all", "interval": format!("{}m", step / 60_000),
        "price_dp": dp, "candles": candles, "basket_id": basket_id, "lines": lines,
        "markers": markers, "candles_error": null,
    })
    .to_string()
    .replace('<', "\\u003c")
}

/// The last basket of the run with its lines at the last price (none when the run opened no
/// basket).
fn last_basket_lines(r: &BacktestRecord, rules: &SymbolRules) -> (Option<u32>, Vec<ChartLine>) {
    let Some(last) = r.baskets.last() else {
        return (None, Vec::new());
    };
    let basket = Basket {
        id: last.id,
        anchor: last.anchor,
        config: r.config.clone(),
        status: last.status,
        carried_qty: crate::core::money::Qty::ZERO,
        carried_cost: Quote::ZERO,
        created_ms: last.opened_ms,
        trail_root: None,
    };
    let fills: Vec<Fill> = r
        .trades
        .iter()
        .zip(1u64..)
        .filter(|(t, _)| t.basket == last.id)
        .map(|(t, n)| fill_of(t, n, r))
        .collect();
    let precision = Precision::of(&rules.filters);
    let lines = chart::lines(&basket, &fills, &[], r.final_price, rules, precision);
    (Some(last.id), lines)
}

/// A run's fill as the bot journals one (commission in base when the run charged base).
fn fill_of(t: &TradeMark, n: u64, r: &BacktestRecord) -> Fill {
    let commission = if t.fee_base.is_positive() {
        Commission {
            amount: Amount::new(t.fee_base.get()),
            asset: r.base_asset.clone(),
            quote_value: Some(t.fee),
        }
    } else {
        Commission {
            amount: Amount::new(t.fee.get()),
            asset: r.quote_asset.clone(),
            quote_value: Some(t.fee),
        }
    };
    Fill {
        trade_id: n,
        order_id: n,
        slot: t.slot,
        side: t.side,
        price: t.price,
        qty: t.qty,
        commission,
        is_maker: true,
        time_ms: t.time_ms,
    }
}
