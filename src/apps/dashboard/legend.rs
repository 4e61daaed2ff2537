//! The price chart's legend, per strategy kind (`.spec/dashboard.md`, "Chart legend"): the
//! lines a basket grid draws (anchor, buy levels, extension, TP1/TP2, trailing, hard stop)
//! are not a range grid's (bounds, levels, orders, stop loss), and mean reversion and trend
//! draw no levels at all. The kind is the newest basket's of the pair: what the chart draws.

use crate::core::strategy::kind::StrategyKind;
use crate::core::symbol::Symbol;
use crate::ports::store::{Store, StoreError};

/// The locale key of the legend for strategies of `kind` (`None`: no basket yet, the
/// basket grid's, the default kind).
pub fn legend_key(kind: Option<&StrategyKind>) -> &'static str {
    match kind {
        None | Some(StrategyKind::Basket) => "chart-legend",
        Some(StrategyKind::Range(_)) => "chart-legend-range",
        Some(StrategyKind::MeanReversion(_) | StrategyKind::Trend(_)) => "chart-legend-signal",
    }
}

/// The legend key for `symbol`'s chart: its open basket's kind, else its newest basket's.
pub async fn legend_for<S: Store>(store: &S, symbol: &Symbol) -> Result<&'static str, StoreError> {
    let open = store.open_baskets().await?;
    if let Some(r) = open.iter().find(|r| &r.symbol == symbol) {
        return Ok(legend_key(Some(&r.basket.config.kind)));
    }
    let newest = store.max_basket_id().await?;
    let kind = store
        .basket(newest)
        .await?
        .filter(|r| &r.symbol == symbol)
        .map(|r| r.basket.config.kind);
    Ok(legend_key(kind.as_ref()))
}
