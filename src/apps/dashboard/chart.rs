//! The price chart's data (`GET /api/chart`): candles of a time range and the active
//! basket drawn on them — anchor, every buy level (filled, resting or only planned), TP1,
//! TP2, the hard stop, the trailing sell and the zone extension — with its fills as markers.
//! A range grid draws its own lines instead (`chart/range.rs`: lower, upper, levels, its
//! resting buys and sells, the stop loss).
//! Pure: the reader fetches candles, orders and fills; the levels come from the core's own
//! plan ([`plan`], [`planned_levels`]), so the chart shows exactly what the bot would do —
//! with `[volatility]`, at the factor frozen in the basket (`volatility::effective`).
//! Decimals are strings (exact); the page's script turns them into chart numbers.

mod range;
mod signal;

use super::format::Precision;
use crate::adapters::klines::Candle;
use crate::core::basket::Basket;
use crate::core::fill::Fill;
use crate::core::filters::SymbolRules;
use crate::core::money::{Price, Qty};
use crate::core::order::{Side, Slot};
use crate::core::strategy::kind::StrategyKind;
use crate::core::strategy::levels::{extension_levels, planned_levels, Level};
use crate::core::strategy::plan::{plan, Market};
use crate::core::strategy::volatility;
use crate::ports::store::OrderRecord;
use serde::Serialize;

/// A time range of the chart and the candles that draw it (at most 1000: one request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Range {
    /// The last day in 5-minute candles (288).
    Day,
    /// The last week in 1-hour candles (168).
    Week,
    /// Everything the exchange has, in daily candles (at most 1000).
    All,
}

impl Range {
    /// `1d`, `1w` or `all` (empty: `1d`).
    pub fn parse(text: Option<&str>) -> Result<Self, String> {
        match text.map(str::trim).unwrap_or("") {
            "" | "1d" => Ok(Range::Day),
            "1w" => Ok(Range::Week),
            "all" => Ok(Range::All),
            other => Err(format!("bad range {other:?}: 1d, 1w or all")),
        }
    }

    /// The kline interval (Binance's name) and how many candles.
    pub fn interval(self) -> (&'static str, u16) {
        match self {
            Range::Day => ("5m", 288),
            Range::Week => ("1h", 168),
            Range::All => ("1d", 1000),
        }
    }

    /// Length of one candle in ms.
    pub fn interval_ms(self) -> i64 {
        match self {
            Range::Day => 5 * 60_000,
            Range::Week => 3_600_000,
            Range::All => 86_400_000,
        }
    }
}

/// One candle; `time` in Unix seconds (the chart library's unit).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChartCandle {
    /// Open time, Unix s.
    pub time: i64,
    /// Open.
    pub open: Price,
    /// High.
    pub high: Price,
    /// Low.
    pub low: Price,
    /// Close.
    pub close: Price,
}

/// A horizontal line of the basket.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChartLine {
    /// `anchor`, `buy`, `ext`, `tp1`, `tp2`, `stop`, `trail`; a range grid's `range` (lower,
    /// upper), `level`, `buy`, `sell`, `stop`.
    pub kind: &'static str,
    /// What the line says on the axis (`B2`, `TP1`, `Anchor`…).
    pub label: String,
    /// Price.
    pub price: Price,
    /// `filled`, `partial`, `resting` (an order is on the book) or `planned`.
    pub state: &'static str,
}

/// A fill drawn on its candle.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChartMarker {
    /// The open time of the candle holding the fill, Unix s.
    pub time: i64,
    /// Exact fill time, Unix ms.
    pub time_ms: i64,
    /// BUY / SELL.
    pub side: &'static str,
    /// Slot.
    pub slot: String,
    /// Price.
    pub price: Price,
    /// Quantity.
    pub qty: Qty,
    /// Commission with its asset.
    pub fee: String,
}

/// `/api/chart`.
#[derive(Debug, Clone, Serialize)]
pub struct ChartView {
    /// The pair.
    pub symbol: String,
    /// The range shown.
    pub range: Range,
    /// Kline interval of the candles.
    pub interval: &'static str,
    /// Decimals of prices (the tick's).
    pub price_dp: u32,
    /// Candles, oldest first.
    pub candles: Vec<ChartCandle>,
    /// The basket drawn (the newest active or paused one).
    pub basket_id: Option<u32>,
    /// Its lines.
    pub lines: Vec<ChartLine>,
    /// Its fills.
    pub markers: Vec<ChartMarker>,
    /// Why there are no candles, if the exchange could not be asked.
    pub candles_error: Option<String>,
}

/// Candles for the chart, at the tick's decimals.
pub fn candles(raw: &[Candle], p: Precision) -> Vec<ChartCandle> {
    raw.iter()
        .map(|c| ChartCandle {
            time: c.open_time_ms.div_euclid(1000),
            open: p.price(c.open),
            high: p.price(c.high),
            low: p.price(c.low),
            close: p.price(c.close),
        })
        .collect()
}

/// The fills as markers, each on the candle of `range` holding it.
pub fn markers(fills: &[Fill], range: Range, p: Precision) -> Vec<ChartMarker> {
    let step = range.interval_ms();
    fills
        .iter()
        .map(|f| ChartMarker {
            time: (f.time_ms - f.time_ms.rem_euclid(step)).div_euclid(1000),
            time_ms: f.time_ms,
            side: f.side.as_str(),
            slot: f.slot.to_string(),
            price: p.price(f.price),
            qty: p.qty(f.qty),
            fee: format!(
                "{} {}",
                f.commission.amount.get().normalize(),
                f.commission.asset
            ),
        })
        .collect()
}

/// The basket's lines at `last`: anchor, hard stop, every planned and extension buy, and
/// the sells the plan wants (TP1, TP2, trailing, exit); a range grid's are `chart/range.rs`'s,
/// a mean reversion's or trend's `chart/signal.rs`'s.
pub fn lines(
    basket: &Basket,
    fills: &[Fill],
    open: &[OrderRecord],
    last: Price,
    rules: &SymbolRules,
    p: Precision,
) -> Vec<ChartLine> {
    let market = Market {
        last,
        now_ms: fills.last().map_or(basket.created_ms, |f| f.time_ms),
        reference: None,
        indicators: None,
    };
    // The levels as planned: a grid's at the volatility factor frozen in its basket.
    let effective = volatility::effective(&basket.config, &market);
    let config = effective.as_ref();
    match &config.kind {
        StrategyKind::Range(range) => {
            return range::lines(range, basket, fills, open, last, rules, p)
        }
        StrategyKind::MeanReversion(_) | StrategyKind::Trend(_) => {
            return signal::lines(basket, open, p)
        }
        StrategyKind::Basket => {}
    }
    let resting = |slot: Slot| {
        open.iter()
            .any(|o| o.basket_id == basket.id && o.slot == slot && o.report.status.is_open())
    };
    let mut out = vec![
        ChartLine {
            kind: "anchor",
            label: "Anchor".into(),
            price: p.price(basket.anchor),
            state: "planned",
        },
        ChartLine {
            kind: "stop",
            label: "Hard stop".into(),
            price: p.price(basket.anchor.scale(config.hard_stop_pct.down_factor())),
            state: "planned",
        },
    ];
    let buys = planned_levels(config, basket.anchor, &rules.filters);
    let ext = extension_levels(config, basket.anchor, &rules.filters);
    for (kind, level) in buys
        .iter()
        .map(|l| ("buy", l))
        .chain(ext.iter().map(|l| ("ext", l)))
    {
        out.push(ChartLine {
            kind,
            label: level.slot.to_string(),
            price: p.price(level.price),
            state: buy_state(level, fills, resting(level.slot)),
        });
    }
    for order in plan(config, basket, fills, &market, rules).orders {
        let kind = match order.slot {
            Slot::Tp1 => "tp1",
            Slot::Tp2 => "tp2",
            Slot::Tr => "trail",
            Slot::Exit => "stop",
            Slot::Buy(_) | Slot::Ext(_) | Slot::Sell(_) => continue,
        };
        let Some(price) = order.stop_price.or(order.price) else {
            continue;
        };
        out.push(ChartLine {
            kind,
            label: order.slot.to_string(),
            price: p.price(price),
            state: if resting(order.slot) {
                "resting"
            } else {
                "planned"
            },
        });
    }
    out
}

fn buy_state(level: &Level, fills: &[Fill], resting: bool) -> &'static str {
    let bought: Qty = fills
        .iter()
        .filter(|f| f.side == Side::Buy && f.slot == level.slot)
        .map(|f| f.qty)
        .sum();
    if bought.is_positive() && bought >= level.qty {
        "filled"
    } else if bought.is_positive() {
        "partial"
    } else if resting {
        "resting"
    } else {
        "planned"
    }
}
