//! Request parameters as Binance reads them: the query string and (for POST) a form body,
//! merged; typed getters that answer with Binance's -1100/-1101/-1102 errors.

use super::fail::Fail;
use crate::core::client_id::ClientOrderId;
use crate::core::money::{Price, Qty};
use crate::core::symbol::Symbol;
use std::collections::BTreeMap;
use std::str::FromStr;

/// Binance's legal range for decimal parameters (`quantity`, `price`, …).
const DECIMAL_RANGE: &str = r"^([0-9]{1,20})(\.[0-9]{1,20})?$";
/// Binance's legal range for client order ids.
const CLIENT_ID_RANGE: &str = r"^[\.A-Z\:/a-z0-9_-]{1,36}$";

/// All parameters of one request, by name.
#[derive(Debug, Clone, Default)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// Parses `query` and `body` (`application/x-www-form-urlencoded`); a name sent twice is
    /// -1101 "Duplicate values for a parameter detected.", bad encoding is -1100.
    pub fn parse(query: &str, body: &str) -> Result<Self, Fail> {
        let mut map = BTreeMap::new();
        for part in [query, body] {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(part)
                .map_err(|_| Fail::bad(-1100, "Illegal characters found in a parameter."))?;
            for (k, v) in pairs {
                if map.insert(k, v).is_some() {
                    return Err(Fail::bad(
                        -1101,
                        "Duplicate values for a parameter detected.",
                    ));
                }
            }
        }
        Ok(Self(map))
    }

    /// The raw value, `None` when absent or empty.
    pub fn opt(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A mandatory value (-1102 when absent or empty).
    pub fn req(&self, name: &str) -> Result<&str, Fail> {
        self.opt(name).ok_or_else(|| Fail::missing(name))
    }

    /// An optional integer (-1100 when not digits).
    pub fn opt_int<T: FromStr>(&self, name: &str) -> Result<Option<T>, Fail> {
        self.opt(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| Fail::illegal(name, "^-?[0-9]{1,20}$"))
            })
            .transpose()
    }

    /// An optional non-negative decimal in Binance's legal range.
    pub fn opt_decimal(&self, name: &str) -> Result<Option<rust_decimal::Decimal>, Fail> {
        let Some(v) = self.opt(name) else {
            return Ok(None);
        };
        let (int, frac) = v.split_once('.').unwrap_or((v, "0"));
        let digits = |s: &str| (1..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || !digits(frac) {
            return Err(Fail::illegal(name, DECIMAL_RANGE));
        }
        rust_decimal::Decimal::from_str(v)
            .map(Some)
            .map_err(|_| Fail::illegal(name, DECIMAL_RANGE))
    }

    /// An optional price.
    pub fn opt_price(&self, name: &str) -> Result<Option<Price>, Fail> {
        Ok(self.opt_decimal(name)?.map(Price::new))
    }

    /// An optional quantity.
    pub fn opt_qty(&self, name: &str) -> Result<Option<Qty>, Fail> {
        Ok(self.opt_decimal(name)?.map(Qty::new))
    }

    /// The mandatory `symbol` (-1100 when not a symbol name).
    pub fn symbol(&self) -> Result<Symbol, Fail> {
        self.symbol_opt()?.ok_or_else(|| Fail::missing("symbol"))
    }

    /// The optional `symbol`.
    pub fn symbol_opt(&self) -> Result<Option<Symbol>, Fail> {
        self.opt("symbol")
            .map(|s| Symbol::parse(s).map_err(|_| Fail::illegal("symbol", "^[A-Z0-9-_.]{1,20}$")))
            .transpose()
    }

    /// An optional client order id (-1100 outside Binance's range).
    pub fn opt_client_id(&self, name: &str) -> Result<Option<ClientOrderId>, Fail> {
        self.opt(name)
            .map(|v| ClientOrderId::parse(v).map_err(|_| Fail::illegal(name, CLIENT_ID_RANGE)))
            .transpose()
    }

    /// An optional enum parsed with `parse`; an unknown value is `invalid` (Binance's
    /// -1115 "Invalid timeInForce.", -1116 "Invalid orderType.", -1117 "Invalid side.", …).
    pub fn opt_enum<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        invalid: (i32, &str),
    ) -> Result<Option<T>, Fail> {
        self.opt(name)
            .map(|v| parse(v).ok_or_else(|| Fail::bad(invalid.0, invalid.1)))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_body_merge_and_duplicates_are_rejected() {
        let p = Params::parse("symbol=FILUSDT&a=1", "b=2").unwrap();
        assert_eq!(p.opt("a"), Some("1"));
        assert_eq!(p.opt("b"), Some("2"));
        let dup = Params::parse("a=1", "a=2").unwrap_err();
        assert_eq!(dup.code, -1101);
    }

    #[test]
    fn decimals_follow_binances_legal_range() {
        struct Case {
            label: &'static str,
            text: &'static str,
            ok: bool,
        }
        let cases = [
            Case {
                label: "integer",
                text: "10",
                ok: true,
            },
            Case {
                label: "fraction",
                text: "0.001",
                ok: true,
            },
            Case {
                label: "scientific",
                text: "1e5",
                ok: false,
            },
            Case {
                label: "negative",
                text: "-1",
                ok: false,
            },
            Case {
                label: "trailing dot",
                text: "1.",
                ok: false,
            },
        ];
        for c in cases {
            let p = Params::parse(&format!("quantity={}", c.text), "").unwrap();
            let got = p.opt_decimal("quantity");
            assert_eq!(got.is_ok(), c.ok, "{}", c.label);
            if let Err(e) = got {
                assert_eq!(e.code, -1100, "{}", c.label);
            }
        }
    }
}
