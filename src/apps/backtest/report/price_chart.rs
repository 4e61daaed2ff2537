//! The report's interactive price chart: the dashboard's own chart (`assets/chart.js` on the
//! vendored lightweight-charts, both inlined so the file stays self-contained) over candles
//! built from the run's price samples, with every fill as a marker (price, quantity, fee on
//! hover). The SVG chart above it stays for readers without scripts.

use super::{canonical, Report};
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
    json!({
        "symbol": r.symbol.to_string(), "range": "all", "interval": format!("{}m", step / 60_000),
        "price_dp": dp, "candles": candles, "basket_id": null, "lines": [],
        "markers": markers, "candles_error": null,
    })
    .to_string()
    .replace('<', "\\u003c")
}
