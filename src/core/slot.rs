//! What an order is for: its side, and its role (slot) inside a basket. Kept apart from
//! [`crate::core::order`] so that client ids, which name a slot, and orders, which carry a
//! client id, do not import each other.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Buy or sell, spelled as Binance spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Side {
    /// Buy base with quote.
    Buy,
    /// Sell base for quote.
    Sell,
}

impl Side {
    /// Binance's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }
}

/// The role of an order inside a basket (see `.spec/strategy.md` §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Slot {
    /// Planned buy level `B1..Bn` (1-based).
    Buy(u16),
    /// Extension buy level `X1..Xk` (1-based).
    Ext(u16),
    /// First take-profit.
    Tp1,
    /// Second take-profit.
    Tp2,
    /// Trailing stop sell of the rest.
    Tr,
    /// Hard stop or emergency exit of the whole position.
    Exit,
    /// Range grid sell at level `S2..Sn` (1-based, counted from the range's lower bound; the
    /// buy one level below is `B(n−1)`), `.spec/strategies.md`.
    Sell(u16),
}

impl Slot {
    /// The side every order in this slot has.
    pub fn side(self) -> Side {
        match self {
            Slot::Buy(_) | Slot::Ext(_) => Side::Buy,
            _ => Side::Sell,
        }
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Slot::Buy(n) => write!(f, "B{n}"),
            Slot::Ext(n) => write!(f, "X{n}"),
            Slot::Tp1 => f.write_str("TP1"),
            Slot::Tp2 => f.write_str("TP2"),
            Slot::Tr => f.write_str("TR"),
            Slot::Exit => f.write_str("EXIT"),
            Slot::Sell(n) => write!(f, "S{n}"),
        }
    }
}

impl FromStr for Slot {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let level = |digits: &str| -> Result<u16, String> {
            match digits.parse::<u16>() {
                Ok(n) if n >= 1 && !digits.starts_with('0') => Ok(n),
                _ => Err(format!("`{s}` is not a slot")),
            }
        };
        match s {
            "TP1" => Ok(Slot::Tp1),
            "TP2" => Ok(Slot::Tp2),
            "TR" => Ok(Slot::Tr),
            "EXIT" => Ok(Slot::Exit),
            _ if s.starts_with('B') => level(&s[1..]).map(Slot::Buy),
            _ if s.starts_with('X') => level(&s[1..]).map(Slot::Ext),
            _ if s.starts_with('S') => level(&s[1..]).map(Slot::Sell),
            _ => Err(format!("`{s}` is not a slot")),
        }
    }
}

impl From<Slot> for String {
    fn from(s: Slot) -> Self {
        s.to_string()
    }
}

impl TryFrom<String> for Slot {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}
