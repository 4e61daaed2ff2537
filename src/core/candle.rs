//! One candle (kline) as the core sees it: the backtester's input, the exchange's `klines`
//! answer and the window indicators read, in one exact-decimal type.

use crate::core::money::{Price, Qty};
use serde::{Deserialize, Serialize};

/// One candle (kline). Times are Unix milliseconds (microsecond dumps are normalised).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candle {
    /// Open time, Unix ms.
    pub open_time_ms: i64,
    /// Open price.
    pub open: Price,
    /// High price.
    pub high: Price,
    /// Low price.
    pub low: Price,
    /// Close price.
    pub close: Price,
    /// Base volume.
    pub volume: Qty,
    /// Close time, Unix ms.
    pub close_time_ms: i64,
}
