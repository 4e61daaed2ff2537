//! The simulated spot exchange: a synchronous matching engine with Binance semantics, shared by
//! the backtester (in process, candle by candle), paper trading and the Binance-client tests
//! (served over Binance's HTTP API by another module).
//!
//! Entry points: [`SimExchange::new`] with a [`SimConfig`]; [`SimExchange::place`],
//! [`SimExchange::cancel`], [`SimExchange::cancel_replace`], [`SimExchange::query`],
//! [`SimExchange::open_orders`], [`SimExchange::my_trades`], [`SimExchange::account`],
//! [`SimExchange::book_ticker`], [`SimExchange::last_price`]; and the market feed
//! [`SimExchange::on_candle`] (or [`SimExchange::on_candle_id`] in a hot loop).
//!
//! The fill model (intra-candle path, touch rule, stops, trailing, fees, partial fills, what
//! is not modelled) is specified in `.spec/fill-model.md`.
//!
//! Invariants (tested in `tests/`):
//! 1. every rejection carries Binance's code and exact message (`errors.rs`);
//! 2. free + locked of every asset equals the initial amount plus what fills bought or sold,
//!    minus commissions, to the last unit; locked equals what open orders still reserve;
//! 3. an order only sees candles that open at or after its creation time (no look-ahead);
//! 4. the same inputs give the same order ids, trade ids, trades and balances.

mod admin;
mod amend;
mod balances;
mod book;
mod candle;
mod engine;
mod errors;
pub mod events;
mod fees;
mod orders;
mod place;
mod trailing;

pub mod server;

#[cfg(test)]
mod tests;

pub use admin::PriceRange;
pub use amend::{AmendRules, ORDER_AMEND_REJECTED};
pub use balances::Balances;
pub use engine::{CancelReplaceError, CancelReplaceFailure, CancelReplaced, SimExchange, SymbolId};
pub use fees::{Charge, CommissionMode, FeeSchedule};
pub use orders::OrderRef;

use crate::core::filters::SymbolRules;
use crate::core::money::{Amount, Price};
use crate::core::symbol::Asset;
use rust_decimal::Decimal;

/// When a resting limit order fills as the candle path reaches its price.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TouchRule {
    /// Only when the path trades strictly *through* the limit (conservative default: a touch
    /// may have filled only the orders queued ahead of ours).
    #[default]
    TradeThrough,
    /// As soon as the path touches the limit price.
    Touch,
}

/// One tradable symbol of the simulated exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimSymbol {
    /// Rules and filters, as `exchangeInfo` reports them.
    pub rules: SymbolRules,
    /// Last price before any candle (`None`: unknown until the first candle).
    pub initial_price: Option<Price>,
}

/// Everything the simulated exchange is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Tradable symbols.
    pub symbols: Vec<SimSymbol>,
    /// Initial free balances.
    pub balances: Vec<(Asset, Amount)>,
    /// Maker/taker rates, commission asset and precision.
    pub fees: FeeSchedule,
    /// Largest share of a candle's volume our orders may fill (e.g. `0.1`); `None` for no cap.
    pub max_fill_share: Option<Decimal>,
    /// Touch or trade-through for resting limits.
    pub touch_rule: TouchRule,
    /// First order id handed out.
    pub first_order_id: u64,
    /// First trade id handed out.
    pub first_trade_id: u64,
}

impl SimConfig {
    /// Binance's standard account: 0.1 % maker and taker, commission in the received asset,
    /// 8 decimals, no volume cap, trade-through fills, ids from 1.
    pub fn standard(symbols: Vec<SimSymbol>, balances: Vec<(Asset, Amount)>) -> Self {
        let rate = Decimal::new(1, 3);
        Self {
            symbols,
            balances,
            fees: FeeSchedule {
                maker_rate: rate,
                taker_rate: rate,
                mode: CommissionMode::ReceivedAsset,
                precision: 8,
            },
            max_fill_share: None,
            touch_rule: TouchRule::TradeThrough,
            first_order_id: 1,
            first_trade_id: 1,
        }
    }
}
