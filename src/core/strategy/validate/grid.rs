//! Static rules of the grid: the levels, the extension and the hard stop below them.

use super::Checks;
use crate::core::money::Pct;
use crate::core::strategy::config::{ExtensionConfig, LevelsConfig, Rule, StrategyConfig};
use rust_decimal::Decimal;

/// The narrowest gap (percent of the anchor) between two generated levels. Finer than a tenth
/// of Binance's 0.1 % fee a level buys nothing the one above it did not, and a `step_scale`
/// far below 1 shrinks the gaps until decimal precision makes two levels one.
pub const MIN_LEVEL_GAP_PCT: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

/// Cumulative drops (percent) and weights of the planned levels, computed with checked
/// arithmetic: `None` when a value overflows.
pub(crate) fn checked_drops(levels: &LevelsConfig) -> Option<Vec<(Decimal, Decimal)>> {
    match levels {
        LevelsConfig::Generated {
            count,
            first_step_pct,
            step_scale,
            volume_scale,
        } => {
            let mut out = Vec::with_capacity(usize::from(*count));
            let (mut drop, mut gap, mut weight) =
                (Decimal::ZERO, first_step_pct.get(), Decimal::ONE);
            for i in 0..*count {
                drop = drop.checked_add(gap)?;
                out.push((drop, weight));
                if i + 1 < *count {
                    gap = gap.checked_mul(*step_scale)?;
                    weight = weight.checked_mul(*volume_scale)?;
                }
            }
            Some(out)
        }
        LevelsConfig::Explicit(defs) => {
            Some(defs.iter().map(|d| (d.drop_pct.get(), d.weight)).collect())
        }
    }
}

/// Checks the level definition; returns the deepest drop (percent) when the grid is usable.
pub(super) fn check_levels(c: &mut Checks, levels: &LevelsConfig) -> Option<Decimal> {
    let errors_before = c.errors.len();
    match levels {
        LevelsConfig::Generated {
            count,
            first_step_pct,
            step_scale,
            volume_scale,
        } => {
            if *count == 0 {
                c.push(
                    "levels.count",
                    Rule::AtLeastOneLevel,
                    "levels.count = 0".into(),
                    None,
                );
            }
            c.positive("levels.first_step_pct", first_step_pct.get());
            c.positive("levels.step_scale", *step_scale);
            c.positive("levels.volume_scale", *volume_scale);
        }
        LevelsConfig::Explicit(defs) => {
            if defs.is_empty() {
                c.push("levels", Rule::AtLeastOneLevel, "levels = []".into(), None);
            }
            let mut previous: Option<Pct> = None;
            for (i, d) in defs.iter().enumerate() {
                let key = format!("levels[{i}].drop_pct");
                c.pct_between_0_and_100(&key, d.drop_pct);
                c.positive(&format!("levels[{i}].weight"), d.weight);
                if let Some(prev) = previous.filter(|p| d.drop_pct <= *p) {
                    c.push(
                        &key,
                        Rule::DropsIncreasing,
                        format!(
                            "levels[{}].drop_pct = {prev}, {key} = {}",
                            i - 1,
                            d.drop_pct
                        ),
                        None,
                    );
                }
                previous = Some(d.drop_pct);
            }
        }
    }
    if c.errors.len() > errors_before {
        return None;
    }
    let subject = levels_subject(levels);
    let Some(dw) = checked_drops(levels) else {
        c.push(
            "levels",
            Rule::TooLarge,
            subject,
            Some("the grid overflows".into()),
        );
        return None;
    };
    if matches!(levels, LevelsConfig::Generated { .. }) {
        let narrow = dw
            .windows(2)
            .enumerate()
            .find(|(_, pair)| pair[1].0 - pair[0].0 < MIN_LEVEL_GAP_PCT);
        if let Some((i, pair)) = narrow {
            c.push(
                "levels.step_scale",
                Rule::LevelGap,
                subject,
                Some(format!(
                    "B{} and B{} would be {} % apart",
                    i + 1,
                    i + 2,
                    (pair[1].0 - pair[0].0).normalize()
                )),
            );
            return None;
        }
    }
    let deepest = dw.last().map(|(d, _)| *d)?;
    if deepest >= Decimal::ONE_HUNDRED {
        c.push(
            "levels",
            Rule::DeepestDropBelow100,
            subject,
            Some(format!(
                "B{} would sit {} % below the anchor",
                dw.len(),
                deepest.normalize()
            )),
        );
        return None;
    }
    let total: Option<Decimal> = dw
        .iter()
        .try_fold(Decimal::ZERO, |a, (_, w)| a.checked_add(*w));
    if total.is_none() {
        c.push(
            "levels",
            Rule::TooLarge,
            subject,
            Some("the weights overflow".into()),
        );
        return None;
    }
    Some(deepest)
}

fn levels_subject(levels: &LevelsConfig) -> String {
    match levels {
        LevelsConfig::Generated {
            count,
            first_step_pct,
            step_scale,
            volume_scale,
        } => format!(
            "levels.count = {count}, first_step_pct = {first_step_pct}, \
             step_scale = {step_scale}, volume_scale = {volume_scale}"
        ),
        LevelsConfig::Explicit(defs) => format!("levels = {} explicit levels", defs.len()),
    }
}

/// Checks the extension; returns the deepest extension drop (percent) when usable.
pub(super) fn check_extension(
    c: &mut Checks,
    ext: &ExtensionConfig,
    deepest: Option<Decimal>,
) -> Option<Decimal> {
    let budget_ok = c.positive("extension.budget_pct", ext.budget_pct.get());
    let step_ok = c.positive("extension.step_pct", ext.step_pct.get());
    if ext.levels == 0 {
        c.push(
            "extension.levels",
            Rule::AtLeastOneLevel,
            "extension.levels = 0".into(),
            None,
        );
    }
    if !(budget_ok && step_ok && ext.levels > 0) {
        return None;
    }
    let deepest = deepest?;
    let ext_deepest = ext
        .step_pct
        .get()
        .checked_mul(Decimal::from(ext.levels))
        .and_then(|d| d.checked_add(deepest));
    match ext_deepest {
        Some(d) if d < Decimal::ONE_HUNDRED => Some(d),
        _ => {
            c.push(
                "extension",
                Rule::DeepestDropBelow100,
                format!(
                    "extension.levels = {}, extension.step_pct = {}",
                    ext.levels, ext.step_pct
                ),
                ext_deepest.map(|d| {
                    format!(
                        "X{} would sit {} % below the anchor",
                        ext.levels,
                        d.normalize()
                    )
                }),
            );
            None
        }
    }
}

pub(super) fn level_count(levels: &LevelsConfig) -> usize {
    match levels {
        LevelsConfig::Generated { count, .. } => usize::from(*count),
        LevelsConfig::Explicit(defs) => defs.len(),
    }
}

/// `deepest`: the deepest drop (percent) and the slot it belongs to.
pub(super) fn check_hard_stop(
    c: &mut Checks,
    config: &StrategyConfig,
    deepest: Option<(Decimal, String)>,
) {
    let hs = config.hard_stop_pct;
    if !c.pct_between_0_and_100("hard_stop_pct", hs) {
        return;
    }
    let Some((deepest, slot)) = deepest.filter(|(d, _)| hs.get() <= *d) else {
        return;
    };
    c.push(
        "hard_stop_pct",
        Rule::HardStopBelowDeepest,
        format!("hard_stop_pct = {hs}"),
        Some(format!(
            "it must exceed the deepest drop, {} % at {slot}",
            deepest.normalize()
        )),
    );
}
