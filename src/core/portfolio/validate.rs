//! Static rules of a portfolio file, all reported at once.

use super::{GridConfig, PortfolioConfig};
use crate::core::client_id::IdPrefix;
use crate::core::money::Quote;
use crate::core::symbol::Symbol;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// One broken rule: the key to change, its value as read, and the rule in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key} = {value}: {rule}")]
pub struct PortfolioError {
    /// Key path (`grid[2].budget_pct`, `risk.max_exposure.pct`).
    pub key: String,
    /// The value as read.
    pub value: String,
    /// The rule it breaks.
    pub rule: String,
}

fn err(key: impl Into<String>, value: impl ToString, rule: impl Into<String>) -> PortfolioError {
    PortfolioError {
        key: key.into(),
        value: value.to_string(),
        rule: rule.into(),
    }
}

impl PortfolioConfig {
    /// Every static rule; `equity` (the starting quote) lets budgets be checked against it.
    pub fn validate(&self, equity: Option<Quote>) -> Result<(), Vec<PortfolioError>> {
        let mut errors = Vec::new();
        if self.grids.is_empty() {
            errors.push(err("grid", "[]", "a portfolio needs at least one [[grid]]"));
        }
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        let mut ids: BTreeMap<(String, String), usize> = BTreeMap::new();
        for (i, g) in self.grids.iter().enumerate() {
            let key = |k: &str| format!("grid[{i}].{k}");
            if g.name.trim().is_empty() {
                errors.push(err(key("name"), "\"\"", "must not be empty"));
            } else if let Some(first) = names.insert(&g.name, i) {
                errors.push(err(
                    key("name"),
                    &g.name,
                    format!("grid names must be unique (grid[{first}] has it too)"),
                ));
            }
            if Symbol::parse(&g.symbol).is_err() {
                errors.push(err(key("symbol"), &g.symbol, "not a symbol name"));
            }
            if g.strategy.is_none() && g.overrides.is_empty() {
                errors.push(err(
                    key("strategy"),
                    "(none)",
                    "name a strategy file or give the strategy in [grid.overrides]",
                ));
            }
            check_budget(&mut errors, i, g);
            let prefix = g
                .client_id_prefix
                .clone()
                .unwrap_or_else(|| IdPrefix::default().as_str().to_string());
            if IdPrefix::parse(&prefix).is_err() {
                errors.push(err(
                    key("client_id_prefix"),
                    &prefix,
                    "1 to 8 ASCII letters",
                ));
            } else if let Some(first) = ids.insert((g.symbol.clone(), prefix.clone()), i) {
                errors.push(err(
                    key("client_id_prefix"),
                    &prefix,
                    format!(
                        "grid[{first}] trades {} with the same prefix; two grids on one \
                         symbol need different client_id_prefix values",
                        g.symbol
                    ),
                ));
            }
        }
        check_budget_sum(&mut errors, &self.grids, equity);
        self.check_risk(&mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn check_risk(&self, errors: &mut Vec<PortfolioError>) {
        let r = &self.risk;
        let pct = |errors: &mut Vec<PortfolioError>, key: &str, v: Decimal, max: Decimal| {
            if v <= Decimal::ZERO || v > max {
                errors.push(err(key, v, format!("must be > 0 and at most {max}")));
            }
        };
        if let Some(l) = &r.max_drawdown {
            pct(errors, "risk.max_drawdown.pct", l.pct.get(), dec100());
        }
        if let Some(l) = &r.max_exposure {
            pct(errors, "risk.max_exposure.pct", l.pct.get(), dec100());
        }
        if let Some(l) = &r.daily_loss {
            if !l.quote.is_positive() {
                errors.push(err("risk.daily_loss.quote", l.quote, "must be > 0"));
            }
        }
        if let Some(l) = &r.max_position_value {
            if !l.quote.is_positive() {
                errors.push(err("risk.max_position_value.quote", l.quote, "must be > 0"));
            }
        }
        if r.hard_stop_cooldown_minutes == Some(0) {
            errors.push(err(
                "risk.hard_stop_cooldown_minutes",
                0,
                "must be > 0 (leave it out to turn the cool-down off)",
            ));
        }
        if let Some(l) = &r.max_open_orders {
            if l.count == 0 {
                errors.push(err("risk.max_open_orders.count", 0, "must be > 0"));
            }
        }
        if let Some(l) = &r.correlated_exposure {
            let t = l.threshold;
            if t <= Decimal::ZERO || t > Decimal::ONE {
                errors.push(err(
                    "risk.correlated_exposure.threshold",
                    t,
                    "a correlation: must be > 0 and at most 1",
                ));
            }
            pct(
                errors,
                "risk.correlated_exposure.max_pct",
                l.max_pct.get(),
                dec100(),
            );
        }
        self.check_correlation(errors);
    }

    /// `[correlation]`: whole returns in the window, enough of them to correlate.
    fn check_correlation(&self, errors: &mut Vec<PortfolioError>) {
        let c = &self.correlation;
        let minutes = c.return_minutes();
        if minutes == 0 || minutes > 1440 {
            errors.push(err(
                "correlation.return_minutes",
                minutes,
                "must be 1 to 1440 (a day)",
            ));
            return;
        }
        let window = u64::from(c.window_hours()) * 60;
        if window == 0 || window % u64::from(minutes) != 0 {
            errors.push(err(
                "correlation.window_hours",
                c.window_hours(),
                format!("must be > 0 and hold a whole number of {minutes}-minute returns"),
            ));
            return;
        }
        let returns = window / u64::from(minutes);
        if c.min_returns() < 3 || u64::from(c.min_returns()) > returns {
            errors.push(err(
                "correlation.min_returns",
                c.min_returns(),
                format!(
                    "must be at least 3 (two returns always correlate ±1) and at most the \
                     {returns} returns the window holds"
                ),
            ));
        }
    }
}

fn dec100() -> Decimal {
    Decimal::ONE_HUNDRED
}

fn check_budget(errors: &mut Vec<PortfolioError>, i: usize, g: &GridConfig) {
    match (g.budget, g.budget_pct) {
        (Some(_), Some(_)) | (None, None) => errors.push(err(
            format!("grid[{i}].budget"),
            g.budget.map_or("(none)".into(), |b| b.to_string()),
            "give exactly one of budget (quote) and budget_pct (share of equity)",
        )),
        (Some(b), None) if !b.is_positive() => {
            errors.push(err(format!("grid[{i}].budget"), b, "must be > 0"))
        }
        (None, Some(p)) if p.get() <= Decimal::ZERO || p.get() > dec100() => errors.push(err(
            format!("grid[{i}].budget_pct"),
            p,
            "must be > 0 and at most 100",
        )),
        _ => {}
    }
}

/// The budgets together must fit the starting equity (one grid never spends another's).
fn check_budget_sum(errors: &mut Vec<PortfolioError>, grids: &[GridConfig], equity: Option<Quote>) {
    let pct_sum: Decimal = grids
        .iter()
        .filter_map(|g| g.budget_pct)
        .map(|p| p.get())
        .sum();
    if pct_sum > dec100() {
        errors.push(err(
            "grid[*].budget_pct",
            pct_sum,
            "the shares sum to more than 100 % of equity",
        ));
    }
    if let Some(equity) = equity {
        let total: Quote = grids.iter().map(|g| g.budget_for(equity)).sum();
        if total > equity {
            errors.push(err(
                "grid[*].budget",
                total,
                format!("the budgets sum to more than the starting equity {equity}"),
            ));
        }
    }
}
