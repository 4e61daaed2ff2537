//! The portfolio overview's correlation matrix: the stored matrix (`ports::operator`,
//! written by the running portfolio) as rows of cells labelled by base asset, each cell
//! marked when it joins its two symbols into one correlated group. Pure.

use crate::core::correlation::CorrelationMatrix;
use crate::core::symbol::Symbol;
use crate::ports::operator::StoredCorrelation;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// The matrix as the overview shows it (`/api/portfolio`'s `correlation`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CorrelationView {
    /// Minutes per return.
    pub return_minutes: i64,
    /// Returns in the window.
    pub window_returns: usize,
    /// Joint returns a pair needs.
    pub min_returns: usize,
    /// The correlated-group cap's threshold, when the cap is on.
    pub threshold: Option<Decimal>,
    /// Column labels (base assets, in the rows' order).
    pub labels: Vec<String>,
    /// One row per symbol.
    pub rows: Vec<CorrelationRow>,
    /// The correlated groups of more than one symbol at `threshold` (labels joined by `+`).
    pub groups: Vec<String>,
}

/// One symbol's row.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CorrelationRow {
    /// Its label.
    pub label: String,
    /// One cell per column.
    pub cells: Vec<CorrelationCell>,
}

/// One pair's cell.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CorrelationCell {
    /// `self` (the diagonal), `value`, `warming` (too few returns) or `flat` (no movement).
    pub state: &'static str,
    /// The correlation, two places (only for `value`).
    pub value: Option<Decimal>,
    /// Whether this pair links its symbols into one group at the cap's threshold.
    pub linked: bool,
}

/// The view of `stored`, each symbol labelled by `labels` (its base asset; else the symbol).
pub fn view(stored: &StoredCorrelation, labels: &BTreeMap<Symbol, String>) -> CorrelationView {
    let m = &stored.matrix;
    let label = |s: &Symbol| labels.get(s).cloned().unwrap_or_else(|| s.to_string());
    let rows = m
        .symbols
        .iter()
        .map(|a| CorrelationRow {
            label: label(a),
            cells: m
                .symbols
                .iter()
                .map(|b| cell(m, stored.threshold, a, b))
                .collect(),
        })
        .collect();
    let groups = stored.threshold.map_or_else(Vec::new, |t| {
        m.groups(t)
            .into_iter()
            .filter(|g| g.len() > 1)
            .map(|g| g.iter().map(label).collect::<Vec<_>>().join("+"))
            .collect()
    });
    CorrelationView {
        return_minutes: m.return_minutes,
        window_returns: m.window_returns,
        min_returns: m.min_returns,
        threshold: stored.threshold,
        labels: m.symbols.iter().map(label).collect(),
        rows,
        groups,
    }
}

fn cell(
    m: &CorrelationMatrix,
    threshold: Option<Decimal>,
    a: &Symbol,
    b: &Symbol,
) -> CorrelationCell {
    if a == b {
        return CorrelationCell {
            state: "self",
            value: None,
            linked: false,
        };
    }
    let Some(p) = m.pair(a, b) else {
        return CorrelationCell {
            state: "warming",
            value: None,
            linked: false,
        };
    };
    let linked = threshold.is_some_and(|t| m.links(p, t));
    match p.correlation {
        Some(c) => CorrelationCell {
            state: "value",
            value: Some(c.round_dp(2)),
            linked,
        },
        None if p.returns < m.min_returns => CorrelationCell {
            state: "warming",
            value: None,
            linked,
        },
        None => CorrelationCell {
            state: "flat",
            value: None,
            linked,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::correlation::PairCorrelation;
    use rust_decimal_macros::dec;

    fn sym(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    #[test]
    fn cells_are_labelled_by_base_asset_and_marked_where_they_group() {
        let stored = StoredCorrelation {
            threshold: Some(dec!(0.8)),
            matrix: CorrelationMatrix {
                return_minutes: 60,
                window_returns: 168,
                min_returns: 24,
                symbols: vec![sym("AVAXUSDT"), sym("FILUSDT"), sym("LTCUSDT")],
                pairs: vec![
                    PairCorrelation {
                        a: sym("AVAXUSDT"),
                        b: sym("FILUSDT"),
                        returns: 100,
                        correlation: Some(dec!(0.8123)),
                    },
                    PairCorrelation {
                        a: sym("AVAXUSDT"),
                        b: sym("LTCUSDT"),
                        returns: 100,
                        correlation: Some(dec!(0.1)),
                    },
                    PairCorrelation {
                        a: sym("FILUSDT"),
                        b: sym("LTCUSDT"),
                        returns: 3,
                        correlation: None,
                    },
                ],
            },
        };
        let labels = BTreeMap::from([(sym("AVAXUSDT"), "AVAX".to_string())]);
        let v = view(&stored, &labels);
        assert_eq!(v.labels, ["AVAX", "FILUSDT", "LTCUSDT"]);
        let avax = &v.rows[0].cells;
        assert_eq!((avax[0].state, avax[0].linked), ("self", false));
        assert_eq!((avax[1].value, avax[1].linked), (Some(dec!(0.81)), true));
        assert_eq!((avax[2].value, avax[2].linked), (Some(dec!(0.1)), false));
        // Warming links (the safe side): all three are one group.
        assert_eq!(
            (v.rows[1].cells[2].state, v.rows[1].cells[2].linked),
            ("warming", true)
        );
        assert_eq!(v.groups, ["AVAX+FILUSDT+LTCUSDT"]);
    }
}
