//! Trading pair and asset names.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Error for a symbol or asset name that cannot be valid on Binance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid symbol or asset name (1 to 20 non-space characters)")]
pub struct InvalidSymbol(pub String);

fn check(name: &str) -> Result<(), InvalidSymbol> {
    // Binance symbols may contain non-ASCII characters: only reject what can never be valid.
    let len = name.chars().count();
    if len == 0 || len > 20 || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidSymbol(name.to_string()));
    }
    Ok(())
}

/// A trading pair as Binance names it, e.g. `SOLUSDC`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Symbol(String);

impl Symbol {
    /// Validates and wraps a symbol name.
    pub fn parse(name: &str) -> Result<Self, InvalidSymbol> {
        check(name)?;
        Ok(Self(name.to_string()))
    }

    /// The name as Binance spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Symbol {
    type Error = InvalidSymbol;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        check(&s)?;
        Ok(Self(s))
    }
}

impl From<Symbol> for String {
    fn from(s: Symbol) -> Self {
        s.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({})", self.0)
    }
}

/// An asset name, e.g. `SOL`, `USDC`, `BNB`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Asset(String);

impl Asset {
    /// Validates and wraps an asset name.
    pub fn parse(name: &str) -> Result<Self, InvalidSymbol> {
        check(name)?;
        Ok(Self(name.to_string()))
    }

    /// The name as Binance spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Asset {
    type Error = InvalidSymbol;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        check(&s)?;
        Ok(Self(s))
    }
}

impl From<Asset> for String {
    fn from(a: Asset) -> Self {
        a.0
    }
}

impl fmt::Display for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Asset({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_binance_names_including_non_ascii() {
        assert!(Symbol::parse("SOLUSDC").is_ok());
        assert!(Symbol::parse("币安人生USDT").is_ok());
        assert!(Asset::parse("BNB").is_ok());
    }

    #[test]
    fn rejects_empty_spaced_and_overlong_names() {
        assert!(Symbol::parse("").is_err());
        assert!(Symbol::parse("SOL USDC").is_err());
        assert!(Symbol::parse(&"X".repeat(21)).is_err());
    }
}
