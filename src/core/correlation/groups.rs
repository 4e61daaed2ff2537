//! Correlated groups: single linkage over the matrix at a threshold.

use super::CorrelationMatrix;
use crate::core::symbol::Symbol;
use rust_decimal::Decimal;
use std::collections::BTreeSet;

impl CorrelationMatrix {
    /// The groups at `threshold`: connected components of the pairs that
    /// [link](CorrelationMatrix::links), sorted by their first symbol. Every symbol of the
    /// matrix is in exactly one group (alone if nothing links it).
    pub fn groups(&self, threshold: Decimal) -> Vec<BTreeSet<Symbol>> {
        let mut groups: Vec<BTreeSet<Symbol>> = Vec::new();
        let mut seen: BTreeSet<&Symbol> = BTreeSet::new();
        for start in &self.symbols {
            if !seen.insert(start) {
                continue;
            }
            let mut group = BTreeSet::from([start.clone()]);
            let mut todo = vec![start];
            while let Some(s) = todo.pop() {
                for p in self.pairs.iter().filter(|p| self.links(p, threshold)) {
                    let other = if &p.a == s {
                        &p.b
                    } else if &p.b == s {
                        &p.a
                    } else {
                        continue;
                    };
                    if seen.insert(other) {
                        group.insert(other.clone());
                        todo.push(other);
                    }
                }
            }
            groups.push(group);
        }
        groups
    }

    /// The group holding `symbol` at `threshold` (just `symbol` when the matrix does not know
    /// it).
    pub fn group_of(&self, symbol: &Symbol, threshold: Decimal) -> BTreeSet<Symbol> {
        self.groups(threshold)
            .into_iter()
            .find(|g| g.contains(symbol))
            .unwrap_or_else(|| BTreeSet::from([symbol.clone()]))
    }
}
