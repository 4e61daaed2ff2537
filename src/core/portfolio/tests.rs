//! Portfolio file parsing and validation: each rule names key, value and rule.

use super::*;
use crate::core::risk::{LossWindow, RiskLimits, TripAction};
use rust_decimal_macros::dec;

const GOOD: &str = r#"
[[grid]]
name = "fil"
symbol = "FILUSDT"
strategy = "fil.toml"
budget = 2000

[[grid]]
name = "near"
symbol = "NEARUSDT"
strategy = "near.toml"
budget_pct = 20.5
overrides = { levels = { count = 4 } }

[risk]
max_drawdown = { pct = 15, action = "close" }
daily_loss = { quote = 300.5, window = "rolling_24h", action = "no_new_buys" }
hard_stop_cooldown_minutes = 60
max_position_value = { quote = 2500, action = "no_new_buys" }
max_exposure = { pct = 60, action = "no_new_buys" }
max_open_orders = { count = 40, action = "no_new_buys" }
"#;

fn keys(text: &str, equity: Option<Quote>) -> Vec<String> {
    let config = PortfolioConfig::from_toml_str(text).unwrap();
    config
        .validate(equity)
        .unwrap_err()
        .into_iter()
        .map(|e| e.key)
        .collect()
}

#[test]
fn a_good_file_parses_exactly_and_converts_its_limits() {
    let c = PortfolioConfig::from_toml_str(GOOD).unwrap();
    c.validate(Some(Quote::new(dec!(10000)))).unwrap();
    assert_eq!(
        c.grids[1].budget_for(Quote::new(dec!(10000))),
        Quote::new(dec!(2050))
    );
    let l = c.risk.limits();
    assert_eq!(l.daily_loss.unwrap().max_loss, Quote::new(dec!(300.5)));
    assert_eq!(l.daily_loss.unwrap().window, LossWindow::Rolling24h);
    assert_eq!(l.hard_stop_cooldown_ms, Some(3_600_000));
    assert_eq!(l.max_drawdown.unwrap().action, TripAction::Close);
    assert_eq!(l.max_open_orders.unwrap().threshold, 40);
}

#[test]
fn no_risk_section_means_every_limit_off() {
    let text = GOOD.split("[risk]").next().unwrap();
    let c = PortfolioConfig::from_toml_str(text).unwrap();
    assert_eq!(c.risk.limits(), RiskLimits::default());
}

#[test]
fn unknown_keys_and_actions_are_refused_with_their_path() {
    let e = PortfolioConfig::from_toml_str(&GOOD.replace("budget = 2000", "budgte = 2000"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("budgte"), "{e}");
    let e = PortfolioConfig::from_toml_str(&GOOD.replace("\"close\"", "\"panic\""))
        .unwrap_err()
        .to_string();
    assert!(e.contains("risk.max_drawdown.action"), "{e}");
}

#[test]
fn two_grids_on_one_symbol_need_different_prefixes() {
    let same = GOOD.replace("symbol = \"NEARUSDT\"", "symbol = \"FILUSDT\"");
    let errors = PortfolioConfig::from_toml_str(&same)
        .unwrap()
        .validate(None)
        .unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].key, "grid[1].client_id_prefix");
    assert!(errors[0].to_string().contains("gb"), "{}", errors[0]);
    let fixed = same.replace(
        "budget_pct = 20.5",
        "budget_pct = 20.5\nclient_id_prefix = \"nb\"",
    );
    PortfolioConfig::from_toml_str(&fixed)
        .unwrap()
        .validate(None)
        .unwrap();
}

#[test]
fn budgets_need_exactly_one_form_and_must_fit_the_equity() {
    let both = GOOD.replace("budget = 2000", "budget = 2000\nbudget_pct = 5");
    assert_eq!(keys(&both, None), ["grid[0].budget"]);
    let none = GOOD.replace("budget = 2000", "");
    assert_eq!(keys(&none, None), ["grid[0].budget"]);
    assert_eq!(keys(GOOD, Some(Quote::new(dec!(2500)))), ["grid[*].budget"]);
    let over = GOOD.replace("budget_pct = 20.5", "budget_pct = 100.5");
    assert_eq!(
        keys(&over, None),
        ["grid[1].budget_pct", "grid[*].budget_pct"]
    );
}

#[test]
fn every_broken_rule_is_reported_at_once() {
    let bad = GOOD
        .replace("name = \"near\"", "name = \"fil\"")
        .replace("\"NEARUSDT\"", "\"NEAR USDT\"")
        .replace("pct = 15", "pct = 0")
        .replace("pct = 60", "pct = 101")
        .replace("quote = 2500", "quote = 0")
        .replace("count = 40", "count = 0")
        .replace("minutes = 60", "minutes = 0")
        .replace("quote = 300.5", "quote = -1");
    assert_eq!(
        keys(&bad, None),
        [
            "grid[1].name",
            "grid[1].symbol",
            "risk.max_drawdown.pct",
            "risk.max_exposure.pct",
            "risk.daily_loss.quote",
            "risk.max_position_value.quote",
            "risk.hard_stop_cooldown_minutes",
            "risk.max_open_orders.count",
        ]
    );
    let no_grid = PortfolioConfig::from_toml_str("").unwrap();
    assert_eq!(no_grid.validate(None).unwrap_err()[0].key, "grid");
}

#[test]
fn a_grid_without_strategy_file_or_overrides_is_refused() {
    let text = GOOD.replace("strategy = \"fil.toml\"", "");
    assert_eq!(keys(&text, None), ["grid[0].strategy"]);
    let prefix = GOOD.replace("budget = 2000", "budget = 2000\nclient_id_prefix = \"g-1\"");
    assert_eq!(keys(&prefix, None), ["grid[0].client_id_prefix"]);
}

#[test]
fn the_correlated_group_cap_and_its_window_convert_with_defaults() {
    let text = format!(
        "{GOOD}correlated_exposure = {{ threshold = 0.85, max_pct = 40 }}\n\n[correlation]\n\
         window_hours = 72\n"
    );
    let c = PortfolioConfig::from_toml_str(&text).unwrap();
    c.validate(None).unwrap();
    let l = c.risk.limits().correlated_exposure.unwrap();
    assert_eq!(
        (l.min_correlation, l.max.get(), l.action),
        (dec!(0.85), dec!(40), TripAction::NoNewBuys)
    );
    let w = c.correlation.window();
    assert_eq!(
        (w.return_ms, w.window_returns, w.min_returns),
        (3_600_000, 72, 24)
    );
    assert_eq!(
        PortfolioConfig::from_toml_str(GOOD)
            .unwrap()
            .correlation
            .window(),
        crate::core::correlation::CorrelationWindow::default()
    );
}

#[test]
fn the_correlated_group_cap_and_its_window_are_validated() {
    let text = format!(
        "{GOOD}correlated_exposure = {{ threshold = 1.2, max_pct = 0, action = \"close\" }}\n\n\
         [correlation]\nreturn_minutes = 45\nwindow_hours = 1\n"
    );
    let errors = PortfolioConfig::from_toml_str(&text)
        .unwrap()
        .validate(None)
        .unwrap_err();
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "risk.correlated_exposure.threshold",
            "risk.correlated_exposure.max_pct",
            "correlation.window_hours",
        ]
    );
    let few = format!("{GOOD}\n[correlation]\nwindow_hours = 12\nmin_returns = 13\n");
    assert_eq!(keys_of(&few), ["correlation.min_returns"]);
    let zero = format!("{GOOD}\n[correlation]\nreturn_minutes = 0\n");
    assert_eq!(keys_of(&zero), ["correlation.return_minutes"]);
    let typo = format!("{GOOD}\n[correlation]\nwindow_hour = 12\n");
    let e = PortfolioConfig::from_toml_str(&typo)
        .unwrap_err()
        .to_string();
    assert!(e.contains("window_hour"), "{e}");
}

fn keys_of(text: &str) -> Vec<String> {
    keys(text, None)
}
