//! Exact money: newtypes over [`Decimal`] for every price, quantity, notional, fee and P&L.
//!
//! There is no `f64` anywhere in the money path and no `From<f64>`. Only the arithmetic that
//! means something is implemented, so a price can never be added to a quantity by mistake:
//!
//! | expression            | result  | meaning                                   |
//! |-----------------------|---------|-------------------------------------------|
//! | `Price * Qty`         | `Quote` | notional of a fill or an order            |
//! | `Quote / Price`       | `Qty`   | how much base a quote amount buys (exact) |
//! | `Quote / Qty`         | `Price` | average price (VWAP)                      |
//! | `Qty ± Qty`           | `Qty`   | position arithmetic                       |
//! | `Quote ± Quote`       | `Quote` | cash, P&L, fees in quote                  |
//! | `Price.scale(f)`      | `Price` | `P0 × (1 − D)`, `VWAP × (1 + tp)`         |
//! | `Qty.scale(f)`        | `Qty`   | `position × share`                        |
//! | `Quote.scale(f)`      | `Quote` | `budget × weight`                         |
//! | `Pct.fraction()`      | ratio   | `1.5 %` → `0.015`                         |
//!
//! Rounding to the exchange's tick and step lives in [`crate::core::filters`]; nothing here
//! rounds implicitly (rust_decimal keeps 28 significant digits).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub, SubAssign};
use std::str::FromStr;

/// Error for a money value that cannot be parsed or is out of its allowed range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text is not a decimal number.
    #[error("`{0}` is not a decimal number")]
    NotANumber(String),
    /// The value is negative where only zero or positive values make sense.
    #[error("{what} must not be negative, got {value}")]
    Negative {
        /// Which kind of value (price, quantity …).
        what: &'static str,
        /// The offending value.
        value: Decimal,
    },
}

macro_rules! decimal_newtype {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Decimal);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(Decimal::ZERO);

            /// Wraps a decimal as is. Callers that take outside input use [`Self::parse`].
            pub const fn new(value: Decimal) -> Self {
                Self(value)
            }

            /// Parses decimal text (`"0.00100000"`, `"3.566"`) into this type.
            pub fn parse(text: &str) -> Result<Self, MoneyError> {
                Decimal::from_str(text.trim())
                    .or_else(|_| Decimal::from_scientific(text.trim()))
                    .map(Self)
                    .map_err(|_| MoneyError::NotANumber(text.to_string()))
            }

            /// Parses decimal text and rejects negative values.
            pub fn parse_non_negative(text: &str) -> Result<Self, MoneyError> {
                let v = Self::parse(text)?;
                if v.0.is_sign_negative() && !v.0.is_zero() {
                    return Err(MoneyError::Negative { what: $what, value: v.0 });
                }
                Ok(v)
            }

            /// The underlying decimal.
            pub const fn get(self) -> Decimal {
                self.0
            }

            /// Multiplies by a dimensionless factor (a share, `1 − drop`, a weight).
            pub fn scale(self, factor: Decimal) -> Self {
                Self(self.0 * factor)
            }

            /// True when exactly zero.
            pub fn is_zero(self) -> bool {
                self.0.is_zero()
            }

            /// True when strictly greater than zero.
            pub fn is_positive(self) -> bool {
                self.0 > Decimal::ZERO
            }

            /// Canonical text without trailing zeros (`"1.50"` → `"1.5"`), as stored in SQLite.
            pub fn canonical(self) -> String {
                self.0.normalize().to_string()
            }

            /// The smaller of two values.
            pub fn min(self, other: Self) -> Self {
                std::cmp::min(self, other)
            }

            /// The larger of two values.
            pub fn max(self, other: Self) -> Self {
                std::cmp::max(self, other)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = MoneyError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

macro_rules! additive {
    ($name:ident) => {
        impl Add for $name {
            type Output = Self;
            fn add(self, rhs: Self) -> Self {
                Self(self.0 + rhs.0)
            }
        }
        impl Sub for $name {
            type Output = Self;
            fn sub(self, rhs: Self) -> Self {
                Self(self.0 - rhs.0)
            }
        }
        impl AddAssign for $name {
            fn add_assign(&mut self, rhs: Self) {
                self.0 += rhs.0;
            }
        }
        impl SubAssign for $name {
            fn sub_assign(&mut self, rhs: Self) {
                self.0 -= rhs.0;
            }
        }
        impl Neg for $name {
            type Output = Self;
            fn neg(self) -> Self {
                Self(-self.0)
            }
        }
        impl Sum for $name {
            fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
                iter.fold(Self::ZERO, |a, b| a + b)
            }
        }
    };
}

decimal_newtype!(
    /// Price of one unit of base asset, in quote asset (e.g. `150.00` USDC per SOL).
    Price,
    "price"
);
decimal_newtype!(
    /// Quantity of the base asset (e.g. `0.737` SOL). Positions, order and fill sizes.
    Qty,
    "quantity"
);
decimal_newtype!(
    /// Amount of the quote asset (e.g. `110.58` USDC): notionals, cash, budgets, fees and P&L.
    Quote,
    "quote amount"
);
decimal_newtype!(
    /// Amount of an arbitrary asset (balances, commissions in BNB); pair it with its asset name.
    Amount,
    "amount"
);
decimal_newtype!(
    /// A percentage as written in config (`1.5` means 1.5 %). Use [`Pct::fraction`] to compute.
    Pct,
    "percentage"
);

additive!(Qty);
additive!(Quote);
additive!(Amount);
additive!(Price);

impl Mul<Qty> for Price {
    type Output = Quote;
    fn mul(self, rhs: Qty) -> Quote {
        Quote(self.0 * rhs.0)
    }
}

impl Mul<Price> for Qty {
    type Output = Quote;
    fn mul(self, rhs: Price) -> Quote {
        Quote(self.0 * rhs.0)
    }
}

impl Div<Price> for Quote {
    type Output = Qty;
    /// Panics on a zero price, like integer division; callers check prices at construction.
    fn div(self, rhs: Price) -> Qty {
        Qty(self.0 / rhs.0)
    }
}

impl Div<Qty> for Quote {
    type Output = Price;
    /// Panics on a zero quantity; callers only average over a positive position.
    fn div(self, rhs: Qty) -> Price {
        Price(self.0 / rhs.0)
    }
}

impl Pct {
    /// The ratio this percentage stands for: `1.5` → `0.015`.
    pub fn fraction(self) -> Decimal {
        self.0 / Decimal::ONE_HUNDRED
    }

    /// `1 + fraction`: the factor that raises a price by this percentage.
    pub fn up_factor(self) -> Decimal {
        Decimal::ONE + self.fraction()
    }

    /// `1 − fraction`: the factor that lowers a price by this percentage.
    pub fn down_factor(self) -> Decimal {
        Decimal::ONE - self.fraction()
    }
}

impl Qty {
    /// This quantity as an asset amount (for balances).
    pub fn as_amount(self) -> Amount {
        Amount(self.0)
    }
}

impl Quote {
    /// This quote amount as an asset amount (for balances).
    pub fn as_amount(self) -> Amount {
        Amount(self.0)
    }
}

impl Amount {
    /// Reads this amount as a base quantity (the caller knows the asset is the base asset).
    pub fn as_qty(self) -> Qty {
        Qty(self.0)
    }

    /// Reads this amount as a quote amount (the caller knows the asset is the quote asset).
    pub fn as_quote(self) -> Quote {
        Quote(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn price_times_qty_is_quote() {
        let notional = Price::new(dec!(148.50)) * Qty::new(dec!(0.744));
        assert_eq!(notional, Quote::new(dec!(110.484)));
    }

    #[test]
    fn parse_accepts_binance_text_and_rejects_garbage() {
        assert_eq!(Price::parse("3.56600000").unwrap(), Price::new(dec!(3.566)));
        assert_eq!(Qty::parse("1e-3").unwrap(), Qty::new(dec!(0.001)));
        assert!(matches!(
            Price::parse("abc"),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(
            Qty::parse_non_negative("-1"),
            Err(MoneyError::Negative { .. })
        ));
    }

    #[test]
    fn canonical_text_drops_trailing_zeros() {
        assert_eq!(Price::parse("150.00000000").unwrap().canonical(), "150");
        assert_eq!(Qty::new(dec!(0.0010)).canonical(), "0.001");
    }

    #[test]
    fn pct_factors() {
        let p = Pct::new(dec!(1.5));
        assert_eq!(p.fraction(), dec!(0.015));
        assert_eq!(p.up_factor(), dec!(1.015));
        assert_eq!(p.down_factor(), dec!(0.985));
    }

    fn decimal() -> impl Strategy<Value = Decimal> {
        (-1_000_000_000i64..1_000_000_000i64, 0u32..9).prop_map(|(m, s)| Decimal::new(m, s))
    }

    proptest! {
        #[test]
        fn canonical_round_trips(d in decimal()) {
            let q = Quote::new(d);
            prop_assert_eq!(Quote::parse(&q.canonical()).unwrap(), q);
        }

        #[test]
        fn add_then_sub_is_identity(a in decimal(), b in decimal()) {
            let (a, b) = (Qty::new(a), Qty::new(b));
            prop_assert_eq!(a + b - b, a);
        }

        #[test]
        fn notional_divided_by_price_gives_back_qty(p in 1i64..10_000_000, q in decimal()) {
            let price = Price::new(Decimal::new(p, 4));
            let qty = Qty::new(q);
            prop_assert_eq!((price * qty) / price, qty);
        }
    }
}
