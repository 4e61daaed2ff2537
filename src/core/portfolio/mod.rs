//! The portfolio configuration (`.spec/portfolio.md`): many grids on one account, each with
//! its symbol, strategy, budget and client-id prefix, plus the account-wide risk limits.
//!
//! Entry points: [`PortfolioConfig::from_toml_str`] (strict, exact TOML) and
//! [`PortfolioConfig::validate`] (every broken rule at once, each naming key, value and rule).
//! Reading the strategy files and merging the overrides is the caller's job (I/O).

/// The budget rule: a grid's buys fit its cash (backtest and bot alike).
pub mod budget;
#[cfg(test)]
mod tests;
mod validate;

pub use validate::PortfolioError;

use crate::core::correlation::CorrelationWindow;
use crate::core::money::{Pct, Quote};
use crate::core::risk::{CorrelatedExposure, DailyLoss, Limit, LossWindow, RiskLimits, TripAction};
use crate::core::strategy::config::{toml_text, ConfigError};
use rust_decimal::Decimal;
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortfolioConfig {
    /// Candle files (relative to the portfolio file); each file's name says its symbol.
    #[serde(default)]
    pub data: Vec<String>,
    /// The grids, in the order reports list them.
    #[serde(rename = "grid", default)]
    pub grids: Vec<GridConfig>,
    /// Account-wide risk limits; absent = all off.
    #[serde(default)]
    pub risk: RiskConfig,
    /// How the traded symbols' correlation is measured (always kept; shown on the dashboard,
    /// used by `risk.correlated_exposure`).
    #[serde(default)]
    pub correlation: CorrelationConfig,
}

/// `[correlation]`: the returns and the window; every key optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationConfig {
    /// Minutes per return (default 60).
    pub return_minutes: Option<u32>,
    /// Hours in the rolling window (default 168, 7 days).
    pub window_hours: Option<u32>,
    /// Joint returns a pair needs before its correlation counts (default 24); until then
    /// the pair counts as correlated.
    pub min_returns: Option<u32>,
}

impl CorrelationConfig {
    /// Minutes per return.
    pub fn return_minutes(&self) -> u32 {
        self.return_minutes.unwrap_or(60)
    }

    /// Hours in the window.
    pub fn window_hours(&self) -> u32 {
        self.window_hours.unwrap_or(168)
    }

    /// Joint returns a pair needs.
    pub fn min_returns(&self) -> u32 {
        self.min_returns.unwrap_or(24)
    }

    /// The tracker's window (call after validation: a zero `return_minutes` is refused there).
    pub fn window(&self) -> CorrelationWindow {
        let minutes = self.return_minutes().max(1);
        CorrelationWindow {
            return_ms: i64::from(minutes) * 60_000,
            window_returns: (u64::from(self.window_hours()) * 60 / u64::from(minutes)) as usize,
            min_returns: self.min_returns() as usize,
        }
    }
}

/// `[risk.correlated_exposure]` as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelatedExposureConfig {
    /// Pairwise correlation at or above which two symbols are one group (0 < t ≤ 1).
    pub threshold: Decimal,
    /// The group's share of equity, percent.
    pub max_pct: Pct,
    /// What a trip does (default `no_new_buys`).
    pub action: Option<ActionText>,
}

/// One grid.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridConfig {
    /// Unique name (reports, events, later the dashboard's URL).
    pub name: String,
    /// The symbol it trades; the strategy's `symbol` must agree or be absent.
    pub symbol: String,
    /// Strategy file, relative to the portfolio file's directory.
    pub strategy: Option<String>,
    /// Strategy keys set over the file (or, without a file, the whole strategy).
    #[serde(default)]
    pub overrides: toml::Table,
    /// Budget in quote; exactly one of `budget` and `budget_pct`.
    pub budget: Option<Quote>,
    /// Budget as a share of the starting equity, in percent.
    pub budget_pct: Option<Pct>,
    /// Client-id prefix (1–8 letters, default `gb`); grids on one symbol need different ones.
    pub client_id_prefix: Option<String>,
}

/// What a trip does, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionText {
    /// [`TripAction::NoNewBuys`].
    NoNewBuys,
    /// [`TripAction::Close`].
    Close,
}

impl From<ActionText> for TripAction {
    fn from(a: ActionText) -> Self {
        match a {
            ActionText::NoNewBuys => TripAction::NoNewBuys,
            ActionText::Close => TripAction::Close,
        }
    }
}

/// A percentage limit (`{ pct = 20, action = "close" }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PctLimit {
    /// Threshold in percent.
    pub pct: Pct,
    /// What a trip does.
    pub action: ActionText,
}

/// A quote-amount limit (`{ quote = 3000, action = "no_new_buys" }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteLimit {
    /// Threshold in quote.
    pub quote: Quote,
    /// What a trip does.
    pub action: ActionText,
}

/// The daily loss limit as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailyLossConfig {
    /// Largest loss in quote.
    pub quote: Quote,
    /// `utc_day` or `rolling_24h`.
    pub window: WindowText,
    /// What a trip does.
    pub action: ActionText,
}

/// The loss window as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowText {
    /// [`LossWindow::UtcDay`].
    UtcDay,
    /// [`LossWindow::Rolling24h`].
    #[serde(rename = "rolling_24h")]
    Rolling24h,
}

/// A count limit (`{ count = 60, action = "no_new_buys" }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountLimit {
    /// Threshold.
    pub count: u32,
    /// What a trip does.
    pub action: ActionText,
}

/// `[risk]`: every key optional, absent = off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskConfig {
    /// Equity drawdown kill switch.
    pub max_drawdown: Option<PctLimit>,
    /// Daily loss limit.
    pub daily_loss: Option<DailyLossConfig>,
    /// Minutes a symbol opens nothing after a hard stop.
    pub hard_stop_cooldown_minutes: Option<u32>,
    /// Position value per symbol.
    pub max_position_value: Option<QuoteLimit>,
    /// Share of equity outside the quote asset.
    pub max_exposure: Option<PctLimit>,
    /// Open orders across the account.
    pub max_open_orders: Option<CountLimit>,
    /// Share of equity in a correlated group of symbols.
    pub correlated_exposure: Option<CorrelatedExposureConfig>,
}

impl RiskConfig {
    /// The limits for [`crate::core::risk::evaluate`].
    pub fn limits(&self) -> RiskLimits {
        let pct = |l: &PctLimit| Limit {
            threshold: l.pct,
            action: l.action.into(),
        };
        RiskLimits {
            max_drawdown: self.max_drawdown.as_ref().map(pct),
            daily_loss: self.daily_loss.map(|l| DailyLoss {
                max_loss: l.quote,
                window: match l.window {
                    WindowText::UtcDay => LossWindow::UtcDay,
                    WindowText::Rolling24h => LossWindow::Rolling24h,
                },
                action: l.action.into(),
            }),
            hard_stop_cooldown_ms: self
                .hard_stop_cooldown_minutes
                .map(|m| i64::from(m) * 60_000),
            max_position_value: self.max_position_value.map(|l| Limit {
                threshold: l.quote,
                action: l.action.into(),
            }),
            max_exposure: self.max_exposure.as_ref().map(pct),
            max_open_orders: self.max_open_orders.map(|l| Limit {
                threshold: l.count,
                action: l.action.into(),
            }),
            correlated_exposure: self.correlated_exposure.map(|l| CorrelatedExposure {
                min_correlation: l.threshold,
                max: l.max_pct,
                action: l.action.unwrap_or(ActionText::NoNewBuys).into(),
            }),
        }
    }
}

impl PortfolioConfig {
    /// Parses the TOML text strictly (unknown keys are errors) with exact decimals.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        toml_text::from_str(text)
    }
}

impl GridConfig {
    /// The grid's budget in quote for a starting `equity`.
    pub fn budget_for(&self, equity: Quote) -> Quote {
        match (self.budget, self.budget_pct) {
            (Some(b), _) => b,
            (None, Some(p)) => equity.scale(p.fraction()),
            (None, None) => Quote::ZERO,
        }
    }
}
