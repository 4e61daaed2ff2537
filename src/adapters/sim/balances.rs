//! Free and locked balances per asset.
//!
//! Invariant: no amount ever goes negative; every method that could break that returns
//! `false` (or is only called after the caller checked). Totals change only through fills
//! (`credit`/`debit_free`); locking and unlocking move amounts between free and locked.

use crate::core::fill::Balance;
use crate::core::money::Amount;
use crate::core::symbol::Asset;
use std::collections::BTreeMap;

/// Free and locked amount of one asset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Slot {
    free: Amount,
    locked: Amount,
}

/// All balances of the simulated account, ordered by asset name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Balances {
    assets: BTreeMap<Asset, Slot>,
}

impl Balances {
    /// Starts from free amounts.
    pub fn new(initial: impl IntoIterator<Item = (Asset, Amount)>) -> Self {
        let mut b = Self::default();
        for (asset, amount) in initial {
            b.credit(&asset, amount);
        }
        b
    }

    /// Free amount of an asset (zero when unknown).
    pub fn free(&self, asset: &Asset) -> Amount {
        self.assets.get(asset).map_or(Amount::ZERO, |s| s.free)
    }

    /// Locked amount of an asset.
    pub fn locked(&self, asset: &Asset) -> Amount {
        self.assets.get(asset).map_or(Amount::ZERO, |s| s.locked)
    }

    fn slot(&mut self, asset: &Asset) -> &mut Slot {
        self.assets.entry(asset.clone()).or_default()
    }

    /// Moves `amount` from free to locked; `false` (and no change) when free is short.
    pub fn lock(&mut self, asset: &Asset, amount: Amount) -> bool {
        if self.free(asset) < amount {
            return false;
        }
        let s = self.slot(asset);
        s.free -= amount;
        s.locked += amount;
        true
    }

    /// Moves `amount` from locked back to free. Callers release exactly what they locked.
    pub fn unlock(&mut self, asset: &Asset, amount: Amount) {
        let s = self.slot(asset);
        debug_assert!(s.locked >= amount, "unlock {amount} of {asset} > locked");
        s.locked -= amount;
        s.free += amount;
    }

    /// Adds to free.
    pub fn credit(&mut self, asset: &Asset, amount: Amount) {
        self.slot(asset).free += amount;
    }

    /// Takes from free; `false` (and no change) when free is short.
    pub fn debit_free(&mut self, asset: &Asset, amount: Amount) -> bool {
        if self.free(asset) < amount {
            return false;
        }
        self.slot(asset).free -= amount;
        true
    }

    /// Every asset with a non-zero total, ordered by name.
    pub fn non_zero(&self) -> Vec<Balance> {
        self.assets
            .iter()
            .filter(|(_, s)| !(s.free + s.locked).is_zero())
            .map(|(asset, s)| Balance {
                asset: asset.clone(),
                free: s.free,
                locked: s.locked,
            })
            .collect()
    }
}
