//! Commissions: maker/taker rate by role, charged in the asset received (Binance's default:
//! base on buys, quote on sells) or in BNB at a discount.
//!
//! BNB mode follows `faqs/commission_faq.md`: the standard commission (received amount × rate,
//! valued in quote) is reduced by the discount and converted to BNB at a configured price; when
//! the free BNB balance cannot pay it, the full commission is taken from the received asset.
//! Amounts round half away from zero to the commission precision (8 decimals by default:
//! Binance's `baseCommissionPrecision`/`quoteCommissionPrecision`; Binance does not document
//! the rounding direction).

use crate::core::money::{Amount, Price, Qty, Quote};
use crate::core::order::Side;
use crate::core::symbol::Asset;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;

/// How commissions are paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommissionMode {
    /// In the asset received: base on buys, quote on sells (Binance's default).
    ReceivedAsset,
    /// In BNB when the free BNB balance covers it, else in the received asset.
    Bnb {
        /// The BNB asset name (normally `BNB`).
        asset: Asset,
        /// Fraction taken off the standard commission (0.25 = pay 75 %).
        discount: Decimal,
        /// Price of one BNB in each quote asset; a quote without a price pays in the received
        /// asset.
        price_in_quote: BTreeMap<Asset, Price>,
    },
}

/// Fee rates and how they are paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeSchedule {
    /// Maker rate as a fraction (0.001 = 0.1 %).
    pub maker_rate: Decimal,
    /// Taker rate as a fraction.
    pub taker_rate: Decimal,
    /// Which asset pays.
    pub mode: CommissionMode,
    /// Decimal places commissions round to.
    pub precision: u32,
}

/// A commission to charge: amount and asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// Amount.
    pub amount: Amount,
    /// Asset.
    pub asset: Asset,
}

impl FeeSchedule {
    /// The rate for a role.
    pub fn rate(&self, is_maker: bool) -> Decimal {
        if is_maker {
            self.maker_rate
        } else {
            self.taker_rate
        }
    }

    fn round(&self, d: Decimal) -> Amount {
        Amount::new(
            d.round_dp_with_strategy(self.precision, RoundingStrategy::MidpointAwayFromZero),
        )
    }

    /// The commission of one fill. `free_bnb` is the free balance of the BNB asset, read
    /// before the fill is settled.
    #[allow(clippy::too_many_arguments)]
    pub fn charge(
        &self,
        side: Side,
        is_maker: bool,
        qty: Qty,
        price: Price,
        base: &Asset,
        quote: &Asset,
        free_bnb: impl FnOnce(&Asset) -> Amount,
    ) -> Charge {
        let rate = self.rate(is_maker);
        let notional: Quote = price * qty;
        if let CommissionMode::Bnb {
            asset,
            discount,
            price_in_quote,
        } = &self.mode
        {
            if let Some(bnb_price) = price_in_quote.get(quote).filter(|p| p.is_positive()) {
                let in_bnb = notional.get() * rate * (Decimal::ONE - discount) / bnb_price.get();
                let amount = self.round(in_bnb);
                if free_bnb(asset) >= amount {
                    return Charge {
                        amount,
                        asset: asset.clone(),
                    };
                }
            }
        }
        match side {
            Side::Buy => Charge {
                amount: self.round(qty.get() * rate),
                asset: base.clone(),
            },
            Side::Sell => Charge {
                amount: self.round(notional.get() * rate),
                asset: quote.clone(),
            },
        }
    }
}
