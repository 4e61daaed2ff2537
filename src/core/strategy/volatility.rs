//! Volatility sizing and spacing (`.spec/strategies.md` §12): one factor,
//! `clamp(volatility / reference, min_factor, max_factor)`, widens the strategy's spacing and
//! shrinks its orders when the market is wild, and the reverse (within the budget) when calm.
//!
//! The rule per strategy, applied by rewriting the configuration the plan reads
//! ([`effective`]), so every strategy's own invariants (filters, budget, one order per slot)
//! hold unchanged for the scaled config:
//! - **Basket grid**: every drop (and the extension's step) × factor; the budget ×
//!   min(1, 1 / factor).
//! - **Range grid**: its bounds are the trader's, so the factor thins the levels: the number
//!   of steps is `floor((levels − 1) / factor)` (at least 1; a calm factor below 1 keeps the
//!   configured levels, the densest split the preflight checked), each slice stays
//!   `quote_budget / (levels − 1)`, so the capital at work shrinks with the steps.
//! - **Mean reversion, trend**: the spacing is volatility-native already (a band in standard
//!   deviations, a stop in ATRs); the entry's budget × min(1, 1 / factor).
//!
//! Stability: the grids read the factor **frozen** in the basket's config when it anchored
//! ([`anchor`]; journalled with the basket, so a restart plans the same orders), never the
//! live value, so levels do not churn with every candle. Mean reversion and trend read the
//! live value, which only sizes the entry; once it filled the exits follow the fills. A factor
//! unknown (window not yet full, or a basket opened before it was) is 1: trade as configured.

#[cfg(test)]
mod tests;

use crate::core::indicators::{IndicatorSnapshot, IndicatorSpec};
use crate::core::money::{Pct, Quote};
use crate::core::strategy::config::volatility::VolatilityConfig;
use crate::core::strategy::config::{
    ConfigError, LevelsConfig, Rule, StrategyConfig, StrategyKind,
};
use crate::core::strategy::plan::Market;
use crate::core::strategy::validate::Checks;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::borrow::Cow;

/// The factor for a relative volatility (a fraction per candle): `volatility × 100 /
/// reference_pct`, clamped to `[min_factor, max_factor]`. `None` on an unusable reference.
pub fn factor(v: &VolatilityConfig, volatility: Decimal) -> Option<Decimal> {
    let raw = volatility
        .checked_mul(Decimal::ONE_HUNDRED)?
        .checked_div(v.reference_pct.get())?;
    (v.min_factor <= v.max_factor).then(|| raw.clamp(v.min_factor, v.max_factor))
}

/// `spec` with the volatility measure the config asks for added.
pub fn with_volatility(config: &StrategyConfig, spec: IndicatorSpec) -> IndicatorSpec {
    IndicatorSpec {
        volatility: config.volatility.as_ref().map(|v| (v.measure, v.window)),
        ..spec
    }
}

/// Whether the strategy freezes its factor when a basket anchors (the grids), rather than
/// reading the live value (mean reversion and trend).
pub fn freezes(kind: &StrategyKind) -> bool {
    matches!(kind, StrategyKind::Basket | StrategyKind::Range(_))
}

/// Whether a basket of `config` may anchor now: a grid with volatility sizing waits for its
/// first factor (a warm `snapshot`), so that it never anchors at a factor of 1 it would not
/// have chosen. The backtester and the live bot both ask before a first basket.
pub fn may_anchor(config: &StrategyConfig, snapshot: Option<&IndicatorSnapshot>) -> bool {
    let waits = config.volatility.is_some() && freezes(&config.kind);
    !waits || snapshot.is_some_and(|s| s.volatility.is_some())
}

/// The configuration to freeze into a basket that anchors now: for a grid with volatility
/// sizing, the factor of `snapshot` (`None` while the window is not full: factor 1).
/// Anything else is returned unchanged.
pub fn anchor(config: &StrategyConfig, snapshot: Option<&IndicatorSnapshot>) -> StrategyConfig {
    let mut out = config.clone();
    if let Some(v) = out.volatility.as_mut().filter(|_| freezes(&config.kind)) {
        v.factor = snapshot
            .and_then(|s| s.volatility)
            .and_then(|vol| factor(v, vol));
    }
    out
}

/// The factor the plan applies now: the frozen one for a grid, the live one otherwise;
/// 1 when volatility sizing is off or the factor is unknown.
pub fn plan_factor(config: &StrategyConfig, market: &Market) -> Decimal {
    let Some(v) = &config.volatility else {
        return Decimal::ONE;
    };
    let f = if freezes(&config.kind) {
        v.factor
    } else {
        market
            .indicators
            .and_then(|s| s.volatility)
            .and_then(|vol| factor(v, vol))
    };
    f.unwrap_or(Decimal::ONE)
}

/// The configuration the strategy plans with now (see the module doc for the rule).
pub fn effective<'a>(config: &'a StrategyConfig, market: &Market) -> Cow<'a, StrategyConfig> {
    let f = plan_factor(config, market);
    if f == Decimal::ONE {
        Cow::Borrowed(config)
    } else {
        Cow::Owned(scaled(config, f))
    }
}

/// Every configuration a basket of `config` may plan with: as configured, and with volatility
/// sizing scaled at `min_factor` and at `max_factor` (the extremes bound every factor
/// between them). For checks that must hold whatever factor a basket freezes.
pub fn possible_configs(config: &StrategyConfig) -> Vec<StrategyConfig> {
    let mut out = vec![config.clone()];
    if let Some(v) = &config.volatility {
        for f in [v.min_factor, v.max_factor] {
            if f > Decimal::ZERO && f != Decimal::ONE {
                out.push(scaled(config, f));
            }
        }
    }
    out
}

/// `config` scaled by factor `f` (> 0).
pub fn scaled(config: &StrategyConfig, f: Decimal) -> StrategyConfig {
    let mut out = config.clone();
    let shrink = if f > Decimal::ONE {
        Decimal::ONE / f
    } else {
        Decimal::ONE
    };
    let pct = |p: Pct| Pct::new(p.get() * f);
    match &mut out.kind {
        StrategyKind::Basket => {
            out.quote_budget = config.quote_budget.scale(shrink);
            match &mut out.levels {
                LevelsConfig::Generated { first_step_pct, .. } => {
                    *first_step_pct = pct(*first_step_pct);
                }
                LevelsConfig::Explicit(levels) => {
                    for l in levels {
                        l.drop_pct = pct(l.drop_pct);
                    }
                }
            }
            if let Some(x) = &mut out.extension {
                x.step_pct = pct(x.step_pct);
            }
        }
        StrategyKind::Range(r) => {
            let steps = Decimal::from(r.levels.saturating_sub(1).max(1));
            let thinned = (steps / f.max(Decimal::ONE)).floor().max(Decimal::ONE);
            // `1 ≤ thinned ≤ steps < u16::MAX`: the conversion cannot fail.
            r.levels = thinned.to_u16().map_or(r.levels, |n| n + 1);
            out.quote_budget = Quote::new(config.quote_budget.get() / steps * thinned);
        }
        StrategyKind::MeanReversion(_) | StrategyKind::Trend(_) => {
            out.quote_budget = config.quote_budget.scale(shrink);
        }
    }
    out
}

/// The static rules of `[volatility]`, then the strategy's own rules again at both extreme
/// factors (a grid scaled by `max_factor` must still keep its hard stop below its deepest
/// level, …), each such error naming the factor. `strategy` is the strategy's validation.
pub fn validate(
    config: &StrategyConfig,
    strategy: impl Fn(&StrategyConfig) -> Result<(), Vec<ConfigError>>,
) -> Vec<ConfigError> {
    let Some(v) = &config.volatility else {
        return Vec::new();
    };
    let mut c = Checks::default();
    if v.window < 2 {
        let subject = format!("volatility.window = {}", v.window);
        c.push("volatility.window", Rule::AtLeastTwo, subject, None);
    }
    c.positive("volatility.reference_pct", v.reference_pct.get());
    let min_ok = c.positive("volatility.min_factor", v.min_factor);
    if min_ok && !(v.min_factor <= Decimal::ONE && Decimal::ONE <= v.max_factor) {
        let subject = format!(
            "volatility.min_factor = {}, volatility.max_factor = {}",
            v.min_factor, v.max_factor
        );
        c.push(
            "volatility.max_factor",
            Rule::VolFactorBounds,
            subject,
            None,
        );
    }
    if let Some(f) = v.factor {
        let subject = format!("volatility.factor = {f}");
        c.push("volatility.factor", Rule::VolFactorIsFrozen, subject, None);
    }
    let mut errors = c.finish().err().unwrap_or_default();
    if errors.is_empty() {
        errors.extend(at_extremes(config, v, strategy));
    }
    errors
}

/// The strategy's errors at `min_factor` and at `max_factor`, each once.
pub(crate) fn at_extremes(
    config: &StrategyConfig,
    v: &VolatilityConfig,
    strategy: impl Fn(&StrategyConfig) -> Result<(), Vec<ConfigError>>,
) -> Vec<ConfigError> {
    let mut out: Vec<ConfigError> = Vec::new();
    for (key, f) in [("min_factor", v.min_factor), ("max_factor", v.max_factor)] {
        if f == Decimal::ONE {
            continue;
        }
        for mut e in strategy(&scaled(config, f)).err().unwrap_or_default() {
            if let ConfigError::Invalid { subject, .. } = &mut e {
                subject.push_str(&format!(" at volatility.{key} = {f}"));
            }
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
    out
}
