//! Grid levels (`.spec/strategy.md` §3 step 1): drop, price, quote and quantity of every
//! planned buy, and of the zone-extension buys.
//!
//! - Generated grid: `D1 = first_step`, `Di = D(i−1) + first_step × step_scale^(i−1)`,
//!   weights `wi = volume_scale^(i−1)`.
//! - Explicit grid: the listed `drop_pct` and `weight` per level, nearest first.
//! - Price `Pi = round_down_to_tick(P0 × (1 − Di))`, quote `Qi = budget × wi / Σw`,
//!   quantity `round_down_to_step(Qi / Pi)`.
//! - Extension (a reserve *on top of* `quote_budget`): `quote_budget × budget_pct` split
//!   evenly over `levels` buys, the j-th at drop `Dn + j × step_pct` below P0.
//!
//! Levels whose price would be zero or negative are not produced (validation rejects such
//! configs before they get here).

use crate::core::filters::SymbolFilters;
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::Slot;
use crate::core::strategy::config::{LevelsConfig, StrategyConfig};
use rust_decimal::Decimal;

/// One planned buy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    /// `B1..Bn` or `X1..Xk`.
    pub slot: Slot,
    /// Cumulative drop below the anchor as a fraction (`0.025` = 2.5 %).
    pub drop: Decimal,
    /// Relative weight (dimensionless).
    pub weight: Decimal,
    /// Limit price, rounded down to the tick.
    pub price: Price,
    /// Quote this level is meant to spend (before quantity rounding).
    pub quote: Quote,
    /// Quantity, rounded down to the lot step.
    pub qty: Qty,
}

/// Cumulative drops (fractions) and weights of the planned levels, nearest first.
pub fn drops_and_weights(levels: &LevelsConfig) -> Vec<(Decimal, Decimal)> {
    match levels {
        LevelsConfig::Generated {
            count,
            first_step_pct,
            step_scale,
            volume_scale,
        } => {
            let first = first_step_pct.fraction();
            let mut out = Vec::with_capacity(usize::from(*count));
            let (mut drop, mut gap, mut weight) = (Decimal::ZERO, first, Decimal::ONE);
            for _ in 0..*count {
                drop += gap;
                out.push((drop, weight));
                gap *= *step_scale;
                weight *= *volume_scale;
            }
            out
        }
        LevelsConfig::Explicit(defs) => defs
            .iter()
            .map(|d| (d.drop_pct.fraction(), d.weight))
            .collect(),
    }
}

/// The planned buy levels `B1..Bn` for a basket anchored at `anchor`.
pub fn planned_levels(
    config: &StrategyConfig,
    anchor: Price,
    filters: &SymbolFilters,
) -> Vec<Level> {
    let dw = drops_and_weights(&config.levels);
    let total_weight: Decimal = dw.iter().map(|(_, w)| *w).sum();
    if total_weight <= Decimal::ZERO {
        return Vec::new();
    }
    dw.into_iter()
        .enumerate()
        .filter_map(|(i, (drop, weight))| {
            let quote = config.quote_budget.scale(weight / total_weight);
            let slot = Slot::Buy(u16::try_from(i + 1).ok()?);
            level(slot, drop, weight, quote, anchor, filters)
        })
        .collect()
}

/// The zone-extension levels `X1..Xk` (empty without an `extension` section).
pub fn extension_levels(
    config: &StrategyConfig,
    anchor: Price,
    filters: &SymbolFilters,
) -> Vec<Level> {
    let Some(ext) = &config.extension else {
        return Vec::new();
    };
    if ext.levels == 0 {
        return Vec::new();
    }
    let deepest = drops_and_weights(&config.levels)
        .last()
        .map_or(Decimal::ZERO, |(d, _)| *d);
    let reserve = config.quote_budget.scale(ext.budget_pct.fraction());
    let each = reserve.scale(Decimal::ONE / Decimal::from(ext.levels));
    (1..=ext.levels)
        .filter_map(|j| {
            let drop = deepest + ext.step_pct.fraction() * Decimal::from(j);
            level(Slot::Ext(j), drop, Decimal::ONE, each, anchor, filters)
        })
        .collect()
}

fn level(
    slot: Slot,
    drop: Decimal,
    weight: Decimal,
    quote: Quote,
    anchor: Price,
    filters: &SymbolFilters,
) -> Option<Level> {
    let price = filters.round_price_down(anchor.scale(Decimal::ONE - drop));
    if !price.is_positive() {
        return None;
    }
    let qty = filters.round_qty_down(quote / price);
    Some(Level {
        slot,
        drop,
        weight,
        price,
        quote,
        qty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::money::Pct;
    use crate::core::strategy::config::{fixtures, ExtensionConfig, LevelDef};
    use rust_decimal_macros::dec;

    /// The generator of the worked example (`.spec/strategy.md` §7).
    fn worked_levels() -> LevelsConfig {
        LevelsConfig::Generated {
            count: 5,
            first_step_pct: Pct::new(dec!(1)),
            step_scale: dec!(1.5),
            volume_scale: dec!(1.3),
        }
    }

    #[test]
    fn worked_example_drops_and_weights() {
        let dw = drops_and_weights(&worked_levels());
        let drops: Vec<_> = dw.iter().map(|(d, _)| *d).collect();
        let weights: Vec<_> = dw.iter().map(|(_, w)| *w).collect();
        assert_eq!(
            drops,
            [
                dec!(0.01),
                dec!(0.025),
                dec!(0.0475),
                dec!(0.08125),
                dec!(0.131875)
            ]
        );
        assert_eq!(
            weights,
            [dec!(1), dec!(1.3), dec!(1.69), dec!(2.197), dec!(2.8561)]
        );
        assert_eq!(weights.iter().copied().sum::<Decimal>(), dec!(9.0431));
    }

    #[test]
    fn explicit_levels_are_taken_as_written() {
        let cfg = LevelsConfig::Explicit(vec![
            LevelDef {
                drop_pct: Pct::new(dec!(2)),
                weight: dec!(1),
            },
            LevelDef {
                drop_pct: Pct::new(dec!(5)),
                weight: dec!(3),
            },
        ]);
        assert_eq!(
            drops_and_weights(&cfg),
            [(dec!(0.02), dec!(1)), (dec!(0.05), dec!(3))]
        );
    }

    #[test]
    fn worked_example_prices_quotes_and_quantities() {
        let cfg = fixtures::worked_example();
        let filters = SymbolFilters::basic(dec!(0.01), dec!(0.001), dec!(5));
        let levels = planned_levels(&cfg, Price::new(dec!(150.00)), &filters);
        let prices: Vec<_> = levels.iter().map(|l| l.price.get()).collect();
        assert_eq!(
            prices,
            [
                dec!(148.50),
                dec!(146.25),
                dec!(142.87),
                dec!(137.81),
                dec!(130.21)
            ]
        );
        let quotes: Vec<_> = levels.iter().map(|l| l.quote.get().round_dp(2)).collect();
        assert_eq!(
            quotes,
            [
                dec!(110.58),
                dec!(143.76),
                dec!(186.88),
                dec!(242.95),
                dec!(315.83)
            ]
        );
        let qtys: Vec<_> = levels.iter().map(|l| l.qty.get()).collect();
        // 110.58/148.50 = 0.7446…, 143.76/146.25 = 0.9829…, 186.88/142.87 = 1.3080…,
        // 242.95/137.81 = 1.7629…, 315.83/130.21 = 2.4255…, each floored to 0.001.
        assert_eq!(
            qtys,
            [
                dec!(0.744),
                dec!(0.982),
                dec!(1.308),
                dec!(1.762),
                dec!(2.425)
            ]
        );
        let slots: Vec<_> = levels.iter().map(|l| l.slot).collect();
        assert_eq!(slots, (1..=5).map(Slot::Buy).collect::<Vec<_>>());
    }

    #[test]
    fn extension_levels_split_the_reserve_below_the_deepest_level() {
        let mut cfg = fixtures::worked_example();
        let filters = SymbolFilters::basic(dec!(0.01), dec!(0.001), dec!(5));
        assert!(extension_levels(&cfg, Price::new(dec!(150)), &filters).is_empty());
        cfg.extension = Some(ExtensionConfig {
            budget_pct: Pct::new(dec!(20)),
            levels: 2,
            step_pct: Pct::new(dec!(3)),
        });
        let ext = extension_levels(&cfg, Price::new(dec!(150)), &filters);
        assert_eq!(ext.len(), 2);
        assert_eq!(ext[0].slot, Slot::Ext(1));
        assert_eq!(ext[0].drop, dec!(0.161875));
        assert_eq!(ext[1].drop, dec!(0.191875));
        // 150 × (1 − 0.161875) = 125.71875 → 125.71; 150 × 0.808125 = 121.21875 → 121.21.
        assert_eq!(ext[0].price, Price::new(dec!(125.71)));
        assert_eq!(ext[1].price, Price::new(dec!(121.21)));
        assert_eq!(ext[0].quote, Quote::new(dec!(100)));
        assert_eq!(ext[0].qty, Qty::new(dec!(0.795)));
    }
}
