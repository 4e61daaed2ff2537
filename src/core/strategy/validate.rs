//! Configuration validation: every problem at once, each naming the key, the value and the
//! rule, before any order can exist.
//!
//! Entry points: [`validate`] (rules that need nothing but the config) and
//! [`validate_for_market`] (the symbol's exchange rules, an anchor price and the free balance).
//! The rules are listed with their reasons in `.spec/configuration.md`.
//!
//! Invariants:
//! 1. A config that passes [`validate`] can be handed to `levels::planned_levels` and
//!    `levels::extension_levels` without overflow or a zero price (the generated grid is
//!    computed here with checked arithmetic first).
//! 2. "Clears two fees" is the exact condition `(1 + g) × (1 − f) > 1 + f` for a gain `g` and
//!    a fee `f` per side: a sell at `VWAP × (1 + g)` nets more than the buy cost plus its fee.
//!    It is slightly stricter than `g > 2 f`.

mod grid;
mod market;

pub(crate) use grid::checked_drops;
pub use grid::MIN_LEVEL_GAP_PCT;
pub use market::validate_for_market;

use crate::core::money::Pct;
use crate::core::strategy::config::{ConfigError, Rule, StrategyConfig, TrailDown};
use grid::{check_extension, check_hard_stop, check_levels, level_count};
use rust_decimal::Decimal;

/// Checks every static rule and returns all broken ones.
pub fn validate(config: &StrategyConfig) -> Result<(), Vec<ConfigError>> {
    let mut c = Checks::default();
    c.positive("quote_budget", config.quote_budget.get());
    let deepest = check_levels(&mut c, &config.levels);
    let planned_deepest = deepest.map(|d| (d, format!("B{}", level_count(&config.levels))));
    let ext_deepest = config.extension.as_ref().and_then(|ext| {
        check_extension(&mut c, ext, deepest).map(|d| (d, format!("X{}", ext.levels)))
    });
    check_hard_stop(&mut c, config, ext_deepest.or(planned_deepest));
    check_take_profits(&mut c, config);
    check_trailing(&mut c, config);
    check_misc(&mut c, config);
    check_trail(&mut c, config);
    c.finish()
}

/// Collects errors; small helpers for the common rules.
#[derive(Default)]
pub(crate) struct Checks {
    errors: Vec<ConfigError>,
}

impl Checks {
    pub(crate) fn push(&mut self, key: &str, rule: Rule, subject: String, detail: Option<String>) {
        self.errors
            .push(ConfigError::invalid(key, rule, subject, detail));
    }

    /// `key = value` must be > 0; returns whether it is.
    pub(crate) fn positive(&mut self, key: &str, value: Decimal) -> bool {
        let ok = value > Decimal::ZERO;
        if !ok {
            self.push(key, Rule::Positive, format!("{key} = {value}"), None);
        }
        ok
    }

    /// A percentage in (0, 100); returns whether it is.
    pub(crate) fn pct_between_0_and_100(&mut self, key: &str, value: Pct) -> bool {
        if !self.positive(key, value.get()) {
            return false;
        }
        let ok = value.get() < Decimal::ONE_HUNDRED;
        if !ok {
            self.push(key, Rule::Below100, format!("{key} = {value}"), None);
        }
        ok
    }

    /// `fee_pct` in [0, 100) (a rebate would be negative: refused too); returns whether it is.
    pub(crate) fn fee(&mut self, fee: Pct) -> bool {
        let rule = if fee.get() < Decimal::ZERO {
            Rule::NotNegative
        } else if fee.get() >= Decimal::ONE_HUNDRED {
            Rule::Below100
        } else {
            return true;
        };
        self.push("fee_pct", rule, format!("fee_pct = {fee}"), None);
        false
    }

    pub(crate) fn finish(self) -> Result<(), Vec<ConfigError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

/// Whether a gain of `gain_pct` clears two fees of `fee_pct` (invariant 2); `None` on overflow.
pub(crate) fn clears_two_fees(gain: Decimal, fee_pct: Pct) -> Option<bool> {
    let f = fee_pct.fraction();
    let net = gain.checked_mul(Decimal::ONE - f)?;
    Some(net > Decimal::ONE + f)
}

fn check_take_profits(c: &mut Checks, config: &StrategyConfig) {
    let (s1, s2) = (config.tp1_share, config.tp2_share);
    let shares_ok = c.positive("tp1_share", s1.get()) & c.positive("tp2_share", s2.get());
    for (key, share) in [("tp1_share", s1), ("tp2_share", s2)] {
        if share.get() > Decimal::ONE_HUNDRED {
            c.push(key, Rule::AtMost100, format!("{key} = {share}"), None);
        }
    }
    if shares_ok {
        if let Some(sum) = s1
            .get()
            .checked_add(s2.get())
            .filter(|s| *s > Decimal::ONE_HUNDRED)
        {
            c.push(
                "tp2_share",
                Rule::SharesSum,
                format!("tp1_share = {s1}, tp2_share = {s2}"),
                Some(format!("they sum to {} %", sum.normalize())),
            );
        }
    }
    let tp1_ok = c.positive("tp1_pct", config.tp1_pct.get());
    let tp2_ok = c.positive("tp2_pct", config.tp2_pct.get());
    if tp1_ok && tp2_ok && config.tp2_pct < config.tp1_pct {
        c.push(
            "tp2_pct",
            Rule::Tp2AtLeastTp1,
            format!("tp1_pct = {}, tp2_pct = {}", config.tp1_pct, config.tp2_pct),
            None,
        );
    }
    let decay = config.tp_decay_pct_per_level;
    if decay.get() < Decimal::ZERO {
        c.push(
            "tp_decay_pct_per_level",
            Rule::NotNegative,
            format!("tp_decay_pct_per_level = {decay}"),
            None,
        );
    }
    let floor = config.tp_min_pct;
    if c.positive("tp_min_pct", floor.get()) && fee_ok(config.fee_pct) {
        if clears_two_fees(floor.up_factor(), config.fee_pct) == Some(false) {
            c.push(
                "tp_min_pct",
                Rule::TpFloorClearsFees,
                format!("tp_min_pct = {floor}, fee_pct = {}", config.fee_pct),
                Some(two_fee_detail(config.fee_pct)),
            );
        }
        if tp1_ok && config.tp1_pct < floor {
            c.push(
                "tp1_pct",
                Rule::Tp1AtLeastFloor,
                format!("tp1_pct = {}, tp_min_pct = {floor}", config.tp1_pct),
                None,
            );
        }
    }
}

pub(crate) fn fee_ok(fee: Pct) -> bool {
    fee.get() >= Decimal::ZERO && fee.get() < Decimal::ONE_HUNDRED
}

pub(crate) fn two_fee_detail(fee: Pct) -> String {
    let f = fee.fraction();
    let needed = (Decimal::ONE + f) / (Decimal::ONE - f) - Decimal::ONE;
    format!(
        "a gain must exceed {} % to pay fee_pct twice; 2 × fee_pct = {} %",
        (needed * Decimal::ONE_HUNDRED).round_dp(6).normalize(),
        (fee.get() * Decimal::TWO).normalize()
    )
}

fn check_trailing(c: &mut Checks, config: &StrategyConfig) {
    let (act, delta) = (config.trail_activation_pct, config.trail_delta_pct);
    let act_ok = c.positive("trail_activation_pct", act.get());
    if !c.pct_between_0_and_100("trail_delta_pct", delta) {
        return;
    }
    if !(delta.get() * Decimal::ONE_HUNDRED).fract().is_zero() {
        c.push(
            "trail_delta_pct",
            Rule::WholeBips,
            format!("trail_delta_pct = {delta}"),
            Some(format!(
                "{} BIPS",
                (delta.get() * Decimal::ONE_HUNDRED).normalize()
            )),
        );
    }
    if !act_ok {
        return;
    }
    let subject = format!("trail_activation_pct = {act}, trail_delta_pct = {delta}");
    if delta >= act {
        c.push(
            "trail_delta_pct",
            Rule::TrailDeltaBelowActivation,
            subject,
            None,
        );
        return;
    }
    // The stop can first trigger at VWAP × (1 + activation) × (1 − delta).
    let worst = act.up_factor().checked_mul(delta.down_factor());
    if let (Some(worst), true) = (worst, fee_ok(config.fee_pct)) {
        if clears_two_fees(worst, config.fee_pct) == Some(false) {
            c.push(
                "trail_activation_pct",
                Rule::TrailClearsFees,
                format!("{subject}, fee_pct = {}", config.fee_pct),
                Some(format!(
                    "the earliest trigger is VWAP × {}; {}",
                    worst.normalize(),
                    two_fee_detail(config.fee_pct)
                )),
            );
        }
    }
}

fn check_misc(c: &mut Checks, config: &StrategyConfig) {
    if config.max_open_buys == Some(0) {
        c.push(
            "max_open_buys",
            Rule::AtLeastOne,
            "max_open_buys = 0".into(),
            None,
        );
    }
    c.pct_between_0_and_100("exit_slippage_pct", config.exit_slippage_pct);
    c.positive("reanchor_up_pct", config.reanchor_up_pct.get());
    if config.auto_reanchor && config.reanchor_cooldown_secs == 0 {
        c.push(
            "reanchor_cooldown_secs",
            Rule::CooldownWithAutoReanchor,
            "reanchor_cooldown_secs = 0, auto_reanchor = true".into(),
            None,
        );
    }
    c.fee(config.fee_pct);
}

/// The trail keys (`core::strategy::trail`): a positive up limit that can act, and a follow
/// limit that leaves room below the hard stop.
fn check_trail(c: &mut Checks, config: &StrategyConfig) {
    if let Some(max_up) = config.trail_up_max_pct {
        let key = "trail_up_max_pct";
        if c.positive(key, max_up.get()) && max_up.get() > MAX_TRAIL_UP_PCT {
            c.push(
                key,
                Rule::TooLarge,
                format!("{key} = {max_up}"),
                Some(format!("at most {MAX_TRAIL_UP_PCT} %")),
            );
        }
        if !config.auto_reanchor {
            c.push(
                key,
                Rule::TrailUpNeedsAutoReanchor,
                format!("{key} = {max_up}, auto_reanchor = false"),
                None,
            );
        }
    }
    let Some(max_down) = config.trail_down_max_pct else {
        return;
    };
    let key = "trail_down_max_pct";
    if config.trail_down == TrailDown::Stop {
        c.push(
            key,
            Rule::TrailDownLimitNeedsFollow,
            format!("{key} = {max_down}, trail_down = \"stop\""),
            None,
        );
        return;
    }
    if c.pct_between_0_and_100(key, max_down) && max_down < config.hard_stop_pct {
        c.push(
            key,
            Rule::TrailDownLimitBelowHardStop,
            format!(
                "{key} = {max_down}, hard_stop_pct = {}",
                config.hard_stop_pct
            ),
            None,
        );
    }
}

/// The largest `trail_up_max_pct`: a grid may follow a rally up to 100 times its root anchor.
pub const MAX_TRAIL_UP_PCT: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
