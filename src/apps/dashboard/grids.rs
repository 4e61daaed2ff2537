//! The grids of a portfolio as the dashboard knows them (`.spec/dashboard.md`, "Portfolio").
//! The portfolio hands them over when it builds the dashboard
//! ([`super::DashboardState::with_grids`]); a single bot has none and keeps the one-symbol
//! pages.

use super::ledger::Pairs;
use super::pair::Pair;
use crate::core::client_id::IdPrefix;

/// One grid of a portfolio: its name (the operator's handle, `/grids/{name}`), its client-id
/// prefix (which open orders are its) and its pair (symbol, assets, rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridInfo {
    /// The name in the portfolio file.
    pub name: String,
    /// Its client-id prefix.
    pub prefix: IdPrefix,
    /// Its pair.
    pub pair: Pair,
}

/// The grids of a portfolio, in the file's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grids(Vec<GridInfo>);

impl Grids {
    /// The grids in the file's order.
    pub fn new(grids: Vec<GridInfo>) -> Self {
        Self(grids)
    }

    /// A portfolio of more than one grid gets the overview on `/`; one grid (or a single
    /// bot) keeps the one-symbol page.
    pub fn is_portfolio(&self) -> bool {
        self.0.len() > 1
    }

    /// Every grid, in the file's order.
    pub fn all(&self) -> &[GridInfo] {
        &self.0
    }

    /// The grid named `name`.
    pub fn get(&self, name: &str) -> Option<&GridInfo> {
        self.0.iter().find(|g| g.name == name)
    }

    /// Every grid's pair, `first` first (its quote is the one totals are in), for the ledger.
    pub fn pairs(&self, first: &Pair) -> Pairs {
        let mut pairs = Pairs::one(
            first.symbol.clone(),
            first.base.clone(),
            first.quote.clone(),
        );
        for g in &self.0 {
            let p = &g.pair;
            if p.symbol != first.symbol {
                pairs.add(p.symbol.clone(), p.base.clone(), p.quote.clone());
            }
        }
        pairs
    }
}

/// `/grids/{name}` with the name percent-encoded (a name is any text of the portfolio file;
/// axum's `Path` decodes it again).
pub fn grid_path(name: &str) -> String {
    let mut out = String::from("/grids/");
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_path_encodes_everything_but_unreserved_characters() {
        assert_eq!(grid_path("near-1_a.b~"), "/grids/near-1_a.b~");
        assert_eq!(grid_path("a b/c?ä"), "/grids/a%20b%2Fc%3F%C3%A4");
    }
}
