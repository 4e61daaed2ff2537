//! Client order ids: `{prefix}{basket}-{slot}-{rev}`, e.g. `gb42-TP1-3`.
//!
//! Binance accepts `newClientOrderId` matching `^[.A-Z:/a-z0-9_-]{1,36}$` and requires it to be
//! unique only among *open* orders. The seed's `BOT:{symbol}:{basket}:{side}:{slot}` overflows
//! 36 characters on long symbols and reuses one id for every re-placement of a slot, which
//! makes "query this order by client id" ambiguous after a replace. Ours is a pure function of
//! (prefix, basket, slot, revision): the revision is a per-slot placement counter persisted
//! *before* the request is sent, so an id is never reused and a restart regenerates the same
//! id for an unresolved placement.
//!
//! Invariants:
//! 1. every id we generate matches Binance's pattern and is at most 36 characters;
//! 2. `parse(format(p, b, s, r)) == (b, s, r)`;
//! 3. an id that does not start with our prefix followed by a digit is *foreign* and never ours.

use crate::core::slot::Slot;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest client order id Binance accepts.
pub const MAX_LEN: usize = 36;

/// Errors building or reading client ids.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientIdError {
    /// The bot prefix breaks our rule (1–8 ASCII letters).
    #[error("client id prefix `{0}` must be 1 to 8 ASCII letters")]
    BadPrefix(String),
    /// The text is not an id Binance would accept.
    #[error("`{0}` is not a valid Binance client order id (^[.A-Z:/a-z0-9_-]{{1,36}}$)")]
    NotBinance(String),
}

/// The instance prefix that marks our orders (`gb` by default). Letters only, so that the
/// basket number that follows can never be confused with another instance's prefix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdPrefix(String);

impl IdPrefix {
    /// Validates a prefix: 1 to 8 ASCII letters.
    pub fn parse(text: &str) -> Result<Self, ClientIdError> {
        if (1..=8).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Self(text.to_string()))
        } else {
            Err(ClientIdError::BadPrefix(text.to_string()))
        }
    }

    /// The prefix text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a client id text is marked as ours: the prefix followed by a digit (invariant
    /// 3), whether or not the rest reads.
    pub fn marks(&self, text: &str) -> bool {
        text.strip_prefix(self.as_str())
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    }
}

impl Default for IdPrefix {
    fn default() -> Self {
        Self("gb".to_string())
    }
}

impl TryFrom<String> for IdPrefix {
    type Error = ClientIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<IdPrefix> for String {
    fn from(p: IdPrefix) -> Self {
        p.0
    }
}

/// What one of our ids says: which basket, which slot, which placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ParsedId {
    /// Basket id.
    pub basket: u32,
    /// Slot inside the basket.
    pub slot: Slot,
    /// Placement revision of that slot (1 for the first placement).
    pub rev: u32,
}

/// A client order id as Binance accepts it (ours or anyone's).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientOrderId(String);

fn binance_allows(text: &str) -> bool {
    (1..=MAX_LEN).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'_' | b'-'))
}

impl ClientOrderId {
    /// Wraps any id Binance would accept (also foreign ones seen on the account).
    pub fn parse(text: &str) -> Result<Self, ClientIdError> {
        if binance_allows(text) {
            Ok(Self(text.to_string()))
        } else {
            Err(ClientIdError::NotBinance(text.to_string()))
        }
    }

    /// Our id for placement `rev` of `slot` in `basket`. Always valid (at most 34 characters).
    pub fn ours(prefix: &IdPrefix, basket: u32, slot: Slot, rev: u32) -> Self {
        Self(format!("{}{}-{}-{}", prefix.0, basket, slot, rev))
    }

    /// Reads one of our ids; `None` for foreign ids (manual orders, other bots).
    pub fn parse_ours(&self, prefix: &IdPrefix) -> Option<ParsedId> {
        let rest = self.0.strip_prefix(prefix.as_str())?;
        if !rest.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let mut parts = rest.split('-');
        let basket = parse_number(parts.next()?)?;
        let slot: Slot = parts.next()?.parse().ok()?;
        let rev = parse_number(parts.next()?)?;
        if parts.next().is_some() {
            return None;
        }
        Some(ParsedId { basket, slot, rev })
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A canonical decimal number: digits only, no leading zero.
fn parse_number(text: &str) -> Option<u32> {
    if text.is_empty() || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl TryFrom<String> for ClientOrderId {
    type Error = ClientIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ClientOrderId> for String {
    fn from(c: ClientOrderId) -> Self {
        c.0
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientOrderId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn slot() -> impl Strategy<Value = Slot> {
        prop_oneof![
            (1u16..=u16::MAX).prop_map(Slot::Buy),
            (1u16..=u16::MAX).prop_map(Slot::Ext),
            (1u16..=u16::MAX).prop_map(Slot::Sell),
            Just(Slot::Tp1),
            Just(Slot::Tp2),
            Just(Slot::Tr),
            Just(Slot::Exit),
        ]
    }

    #[test]
    fn example_from_the_spec() {
        let id = ClientOrderId::ours(&IdPrefix::default(), 42, Slot::Tp1, 3);
        assert_eq!(id.as_str(), "gb42-TP1-3");
    }

    #[test]
    fn foreign_ids_are_not_ours() {
        let ours = IdPrefix::default();
        for foreign in [
            "web_1234abcd",
            "gbx42-TP1-3",
            "gb42-TP1",
            "gb42-TP1-3-1",
            "gb042-B1-1",
            "gb42-B1-01",
            "ios_gb42",
            "and_abcdef",
            "gb-B1-1",
        ] {
            let id = ClientOrderId::parse(foreign).unwrap();
            assert_eq!(id.parse_ours(&ours), None, "{foreign}");
        }
    }

    #[test]
    fn rejects_what_binance_rejects() {
        assert!(ClientOrderId::parse("").is_err());
        assert!(ClientOrderId::parse(&"a".repeat(37)).is_err());
        assert!(ClientOrderId::parse("BOT SOL").is_err());
        assert!(ClientOrderId::parse("a+b").is_err());
        assert!(IdPrefix::parse("gb1").is_err());
        assert!(IdPrefix::parse("toolongprefix").is_err());
    }

    proptest! {
        #[test]
        fn generated_ids_are_valid_and_round_trip(
            prefix in "[A-Za-z]{1,8}",
            basket in any::<u32>(),
            slot in slot(),
            rev in any::<u32>(),
        ) {
            let prefix = IdPrefix::parse(&prefix).unwrap();
            let id = ClientOrderId::ours(&prefix, basket, slot, rev);
            prop_assert!(binance_allows(id.as_str()), "{}", id);
            prop_assert!(id.as_str().len() <= MAX_LEN);
            prop_assert_eq!(id.parse_ours(&prefix), Some(ParsedId { basket, slot, rev }));
        }
    }
}
