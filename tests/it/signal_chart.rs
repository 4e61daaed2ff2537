//! The dashboard's price chart for the strategies that trade on indicators (`chart::lines`):
//! only the orders resting for the basket (entry buy, target sell), none of the basket grid's
//! anchor, hard stop or ladder, which they do not have.

use crate::store::fixtures::{intent, report};
use binance_trader::apps::dashboard::chart::lines;
use binance_trader::apps::dashboard::format::Precision;
use binance_trader::core::basket::{Basket, BasketStatus};
use binance_trader::core::filters::{SymbolFilters, SymbolRules};
use binance_trader::core::money::{Price, Qty, Quote};
use binance_trader::core::order::{OrderStatus, Slot};
use binance_trader::core::strategy::config::StrategyConfig;
use binance_trader::core::symbol::{Asset, Symbol};
use binance_trader::ports::store::OrderRecord;
use rust_decimal_macros::dec;

fn basket(text: &str) -> Basket {
    Basket {
        id: 2,
        anchor: Price::new(dec!(4.10)),
        config: StrategyConfig::from_toml_str(text).unwrap(),
        status: BasketStatus::Active,
        carried_qty: Qty::ZERO,
        carried_cost: Quote::ZERO,
        created_ms: 0,
        trail_root: None,
    }
}

fn fil() -> SymbolRules {
    SymbolRules::basic(
        Symbol::parse("FILUSDT").unwrap(),
        Asset::parse("FIL").unwrap(),
        Asset::parse("USDT").unwrap(),
        SymbolFilters::basic(dec!(0.001), dec!(0.01), dec!(5)),
    )
}

#[test]
fn a_signal_strategy_draws_its_resting_orders_and_no_basket_lines() {
    for text in [crate::signal_bot::MEAN_REVERSION, crate::signal_bot::TREND] {
        let basket = basket(text);
        let entry = intent(basket.id, Slot::Buy(1), 1, 800);
        let open = [
            OrderRecord {
                basket_id: basket.id,
                slot: Slot::Buy(1),
                report: report(&entry, 11, OrderStatus::New, "0", 900),
            },
            // Another basket's order is not this chart's.
            OrderRecord {
                basket_id: basket.id + 1,
                slot: Slot::Buy(1),
                report: report(&entry, 12, OrderStatus::New, "0", 900),
            },
        ];
        let drawn = lines(
            &basket,
            &[],
            &open,
            Price::new(dec!(4.05)),
            &fil(),
            Precision::of(&fil().filters),
        );
        let kinds: Vec<&str> = drawn.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, ["buy"], "{drawn:?}");
        assert_eq!(drawn[0].label, "B1");
        assert_eq!(drawn[0].state, "resting");
    }
}
