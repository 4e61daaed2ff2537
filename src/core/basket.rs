//! A basket: one trading cycle on one symbol (`.spec/strategy.md` §1, §6).

use crate::core::money::{Price, Qty, Quote};
use crate::core::strategy::config::StrategyConfig;
use serde::{Deserialize, Serialize};

/// Lifecycle state of a basket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BasketStatus {
    /// Trading.
    Active,
    /// Position sold by TP/TR.
    Closed,
    /// Hard stop exit filled.
    Stopped,
    /// Closed by the operator: its exit sell filled.
    EmergencyClosed,
    /// No fill; grid moved to a new anchor (a new basket took over).
    Reanchored,
    /// Paused; needs the operator.
    Error,
    /// Emergency close under way: the exit sell is placed but has not filled yet (then
    /// `EmergencyClosed`); a second close re-prices it.
    Closing,
}

impl BasketStatus {
    /// Database/wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            BasketStatus::Active => "active",
            BasketStatus::Closed => "closed",
            BasketStatus::Stopped => "stopped",
            BasketStatus::EmergencyClosed => "emergency_closed",
            BasketStatus::Reanchored => "reanchored",
            BasketStatus::Error => "error",
            BasketStatus::Closing => "closing",
        }
    }
}

/// The basket facts the strategy needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basket {
    /// Basket id (part of every client order id).
    pub id: u32,
    /// Anchor price P0.
    pub anchor: Price,
    /// Frozen configuration.
    pub config: StrategyConfig,
    /// Status.
    pub status: BasketStatus,
    /// Base dust carried over from the previous basket of the symbol (below the lot size).
    pub carried_qty: Qty,
    /// Quote cost of the carried dust (keeps the VWAP honest).
    pub carried_cost: Quote,
    /// Creation time, Unix ms (reanchor cooldown counts from here).
    pub created_ms: i64,
    /// Origin of the anchor: `None` for a fresh basket (first, or after a close), else the
    /// root anchor of the fresh basket this one trailed from (`strategy::trail`), against
    /// which the trail limits are measured.
    #[serde(default)]
    pub trail_root: Option<Price>,
}
