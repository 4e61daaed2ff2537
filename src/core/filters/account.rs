//! Filters on the account rather than the symbol (`GET /api/v3/myFilters`, since 2025-09).
//! `MAX_ASSET` (filters.md) caps what one *single order* may move of an asset: the order's
//! quantity when the asset is the symbol's base, its notional when it is the quote.
//!
//! A grid's largest orders are its biggest buy level and its exit, which sells the whole
//! position in one order (hard stop, emergency close). Start-up checks both against the
//! account's limits ([`grid_violations`]): an exit the exchange would refuse in a crash is a
//! grid that must not start.

use crate::core::filters::SymbolRules;
use crate::core::money::{Amount, Price};
use crate::core::strategy::levels::Level;
use crate::core::symbol::Asset;

/// One `MAX_ASSET` filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaxAsset {
    /// The asset.
    pub asset: Asset,
    /// Most of it one order may move.
    pub limit: Amount,
}

/// The account filters the bot acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFilters {
    /// `MAX_ASSET` filters (only these appear under `assetFilters` today).
    pub max_asset: Vec<MaxAsset>,
}

impl AccountFilters {
    /// The limit on `asset`, if any.
    pub fn max_asset(&self, asset: &Asset) -> Option<Amount> {
        self.max_asset
            .iter()
            .filter(|m| &m.asset == asset)
            .map(|m| m.limit)
            .min()
    }
}

/// What of the grid planned at `anchor` (its buy `levels`, extension included) breaks the
/// account's `MAX_ASSET` limits, in words; empty when it fits. The exit's notional is bounded
/// by the position's value at the anchor (every level buys below it and the exit sells below
/// it too).
pub fn grid_violations(
    filters: &AccountFilters,
    rules: &SymbolRules,
    levels: &[Level],
    anchor: Price,
) -> Vec<String> {
    let mut out = Vec::new();
    let position: Amount = levels.iter().map(|l| l.qty.as_amount()).sum();
    if let Some(limit) = filters.max_asset(&rules.base_asset) {
        if position > limit {
            out.push(format!(
                "the exit sells the whole planned position, {position} {}, in one order; \
                 MAX_ASSET allows {limit} {} per order",
                rules.base_asset, rules.base_asset
            ));
        }
    }
    if let Some(limit) = filters.max_asset(&rules.quote_asset) {
        let q = &rules.quote_asset;
        if let Some(big) = levels.iter().max_by_key(|l| (l.price * l.qty).get()) {
            let notional = (big.price * big.qty).as_amount();
            if notional > limit {
                out.push(format!(
                    "{} buys {notional} {q} in one order; MAX_ASSET allows {limit} {q} per order",
                    big.slot
                ));
            }
        }
        let exit = (anchor * crate::core::money::Qty::new(position.get())).as_amount();
        if exit > limit {
            out.push(format!(
                "the exit may sell up to {exit} {q} (the planned position at the anchor) in one \
                 order; MAX_ASSET allows {limit} {q} per order"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::filters::{LotSize, PriceFilter, SymbolFilters};
    use crate::core::money::{Qty, Quote};
    use crate::core::order::Slot;
    use crate::core::symbol::Symbol;
    use rust_decimal::Decimal;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn rules() -> SymbolRules {
        let filters = SymbolFilters {
            price: PriceFilter {
                min_price: Price::new(d("0.001")),
                max_price: Price::new(d("1000")),
                tick_size: Price::new(d("0.001")),
            },
            lot: LotSize {
                min_qty: Qty::new(d("0.01")),
                max_qty: Qty::new(d("100000")),
                step_size: Qty::new(d("0.01")),
            },
            market_lot: None,
            notional: None,
            percent_price: None,
            max_num_orders: None,
            max_num_algo_orders: None,
            trailing_delta: None,
        };
        SymbolRules::basic(
            Symbol::parse("FILUSDT").unwrap(),
            Asset::parse("FIL").unwrap(),
            Asset::parse("USDT").unwrap(),
            filters,
        )
    }

    fn level(n: u16, price: &str, qty: &str) -> Level {
        Level {
            slot: Slot::Buy(n),
            drop: Decimal::ZERO,
            weight: Decimal::ONE,
            price: Price::new(d(price)),
            quote: Quote::ZERO,
            qty: Qty::new(d(qty)),
        }
    }

    fn max(asset: &str, limit: &str) -> AccountFilters {
        AccountFilters {
            max_asset: vec![MaxAsset {
                asset: Asset::parse(asset).unwrap(),
                limit: Amount::new(d(limit)),
            }],
        }
    }

    #[test]
    fn the_exit_and_the_biggest_level_must_fit_max_asset() {
        let levels = [level(1, "3.9", "10"), level(2, "3.8", "30")];
        let anchor = Price::new(d("4"));
        let r = rules();
        assert!(grid_violations(&AccountFilters::default(), &r, &levels, anchor).is_empty());
        assert!(grid_violations(&max("FIL", "40"), &r, &levels, anchor).is_empty());
        let base = grid_violations(&max("FIL", "39.99"), &r, &levels, anchor);
        assert_eq!(base.len(), 1);
        assert!(base[0].contains("40 FIL"), "{base:?}");
        // B2 is 114 USDT, the position at the anchor 160 USDT.
        assert!(grid_violations(&max("USDT", "160"), &r, &levels, anchor).is_empty());
        let exit = grid_violations(&max("USDT", "150"), &r, &levels, anchor);
        assert_eq!(exit.len(), 1, "{exit:?}");
        let both = grid_violations(&max("USDT", "100"), &r, &levels, anchor);
        assert_eq!(both.len(), 2, "{both:?}");
        assert!(both[0].starts_with("B2 buys"), "{both:?}");
        // Limits on other assets do not apply.
        assert!(grid_violations(&max("BTC", "0.1"), &r, &levels, anchor).is_empty());
    }
}
