//! Self-trade prevention: `selfTradePreventionMode` takes every documented mode (`enums.md`,
//! 2026: `TRANSFER` since 2025-12) and the order responses show the mode sent. The engine has
//! one account trading against candles, so a self-trade never happens and no mode changes a
//! fill; what a client can test is that its mode is accepted and echoed.

use super::fail::Fail;
use super::params::Params;
use serde_json::Value;

/// The documented modes.
pub const MODES: [&str; 6] = [
    "NONE",
    "EXPIRE_TAKER",
    "EXPIRE_MAKER",
    "EXPIRE_BOTH",
    "DECREMENT",
    "TRANSFER",
];

/// The mode sent, if any; an undocumented one is -1100 with the legal range.
pub fn mode(p: &Params) -> Result<Option<&'static str>, Fail> {
    let Some(sent) = p.opt("selfTradePreventionMode") else {
        return Ok(None);
    };
    MODES.iter().find(|m| **m == sent).copied().map(Some).ok_or_else(|| {
        Fail::bad(
            -1100,
            format!(
                "Illegal characters found in parameter 'selfTradePreventionMode'; legal range is '{}'.",
                MODES.join(", ")
            ),
        )
    })
}

/// Shows `mode` in an order response that has the field.
pub fn echo(response: &mut Value, mode: Option<&str>) {
    if let (Some(m), Some(field)) = (mode, response.get_mut("selfTradePreventionMode")) {
        *field = m.into();
    }
}
