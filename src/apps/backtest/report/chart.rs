//! Server-side SVG geometry for the HTML charts: coordinates, ticks and markers as plain
//! numbers and labels; the template turns them into elements (and escapes every label).
//!
//! Coordinates are exact decimals rounded to 0.1 px, so the page is byte-identical too.

use super::{fixed, utc_parts};
use rust_decimal::Decimal;
use std::fmt::Write;

/// Width of the SVG viewBox.
pub(crate) const WIDTH: i64 = 960;
/// Height of the SVG viewBox.
pub(crate) const HEIGHT: i64 = 300;
const LEFT: i64 = 78;
const RIGHT: i64 = 14;
const TOP: i64 = 10;
const BOTTOM: i64 = 26;

/// One axis tick: where, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tick {
    /// x (for time ticks) or y (for value ticks), in px.
    pub pos: String,
    /// Label.
    pub label: String,
    /// SVG `text-anchor`: the end ticks align inwards so their labels stay inside.
    pub anchor: &'static str,
}

/// One fill marker: a triangle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Marker {
    /// Polygon points.
    pub points: String,
    /// CSS class: `buy` or `sell`.
    pub class: &'static str,
    /// Tooltip text.
    pub title: String,
}

/// A line chart ready for the template.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Chart {
    /// Polyline points `x,y x,y …`.
    pub line: String,
    /// A second series on the same scale (the buy-and-hold benchmark), empty when none.
    pub benchmark: String,
    /// Time ticks along the bottom.
    pub x_ticks: Vec<Tick>,
    /// Value ticks along the left.
    pub y_ticks: Vec<Tick>,
    /// Fill markers (price chart only).
    pub markers: Vec<Marker>,
    /// Plot area left edge, px.
    pub left: i64,
    /// Plot area right edge, px.
    pub right: i64,
    /// Plot area top edge, px.
    pub top: i64,
    /// Plot area bottom edge, px.
    pub bottom: i64,
}

/// Maps time and value to pixels.
pub(crate) struct Scale {
    t0: i64,
    t1: i64,
    lo: Decimal,
    hi: Decimal,
}

fn px(d: Decimal) -> String {
    let r = d.round_dp(1).normalize();
    if r.is_zero() {
        "0".into()
    } else {
        r.to_string()
    }
}

impl Scale {
    /// A scale over `t0..=t1` and the values, padded by 5 % of their range.
    pub(crate) fn new(t0: i64, t1: i64, values: impl Iterator<Item = Decimal>) -> Self {
        let (mut lo, mut hi) = (None::<Decimal>, None::<Decimal>);
        for v in values {
            lo = Some(lo.map_or(v, |l| l.min(v)));
            hi = Some(hi.map_or(v, |h| h.max(v)));
        }
        let (lo, hi) = (lo.unwrap_or_default(), hi.unwrap_or_default());
        let pad = if hi > lo {
            (hi - lo) / Decimal::from(20)
        } else {
            Decimal::ONE
        };
        Self {
            t0,
            t1,
            lo: lo - pad,
            hi: hi + pad,
        }
    }

    /// x of a time, px.
    pub(crate) fn x(&self, t: i64) -> Decimal {
        let width = Decimal::from(WIDTH - LEFT - RIGHT);
        let span = self.t1 - self.t0;
        let frac = if span > 0 {
            Decimal::from(t - self.t0) / Decimal::from(span)
        } else {
            Decimal::new(5, 1)
        };
        Decimal::from(LEFT) + width * frac
    }

    /// y of a value, px.
    pub(crate) fn y(&self, v: Decimal) -> Decimal {
        let height = Decimal::from(HEIGHT - TOP - BOTTOM);
        Decimal::from(TOP) + height * (self.hi - v) / (self.hi - self.lo)
    }

    fn x_ticks(&self) -> Vec<Tick> {
        let span = self.t1 - self.t0;
        (0..6)
            .map(|k| {
                let t = self.t0 + span * k / 5;
                let (y, mo, d, h, mi) = utc_parts(t);
                let label = if span >= 3 * 86_400_000 {
                    format!("{y:04}-{mo:02}-{d:02}")
                } else {
                    format!("{mo:02}-{d:02} {h:02}:{mi:02}")
                };
                let anchor = match k {
                    0 => "start",
                    5 => "end",
                    _ => "middle",
                };
                Tick {
                    pos: px(self.x(t)),
                    label,
                    anchor,
                }
            })
            .collect()
    }

    fn y_ticks(&self) -> Vec<Tick> {
        let range = self.hi - self.lo;
        let dp = if range >= Decimal::from(50) {
            0
        } else if range >= Decimal::ONE {
            2
        } else {
            6
        };
        (0..5)
            .map(|k| {
                let v = self.lo + range * Decimal::from(k) / Decimal::from(4);
                Tick {
                    pos: px(self.y(v)),
                    label: fixed(v, dp),
                    anchor: "end",
                }
            })
            .collect()
    }
}

/// Polyline points of `(time, value)` points on `scale`.
pub(crate) fn polyline(scale: &Scale, points: &[(i64, Decimal)]) -> String {
    let mut line = String::with_capacity(points.len() * 14);
    for (i, &(t, v)) in points.iter().enumerate() {
        let sep = if i == 0 { "" } else { " " };
        // Writing to a String cannot fail.
        let _ = write!(line, "{sep}{},{}", px(scale.x(t)), px(scale.y(v)));
    }
    line
}

/// A line chart of `(time, value)` points (already downsampled).
pub(crate) fn line_chart(scale: &Scale, points: &[(i64, Decimal)]) -> Chart {
    Chart {
        line: polyline(scale, points),
        benchmark: String::new(),
        x_ticks: scale.x_ticks(),
        y_ticks: scale.y_ticks(),
        markers: Vec::new(),
        left: LEFT,
        right: WIDTH - RIGHT,
        top: TOP,
        bottom: HEIGHT - BOTTOM,
    }
}

/// A triangle at `(t, price)`: pointing up for a buy, down for a sell.
pub(crate) fn marker(scale: &Scale, t: i64, price: Decimal, buy: bool, title: String) -> Marker {
    let (x, y) = (scale.x(t), scale.y(price));
    let (half, tall) = (Decimal::new(45, 1), Decimal::from(8));
    // Buys sit just below the price (apex touching it), sells just above.
    let (apex, base) = if buy { (y, y + tall) } else { (y, y - tall) };
    Marker {
        points: format!(
            "{},{} {},{} {},{}",
            px(x),
            px(apex),
            px(x - half),
            px(base),
            px(x + half),
            px(base)
        ),
        class: if buy { "buy" } else { "sell" },
        title,
    }
}
