//! Seeds a store with a long trading history for the dashboard load benchmark: `baskets`
//! closed baskets of 50 orders and 25 fills each, plus one active basket with resting orders,
//! and an account snapshot per minute.

use binance_trader::core::basket::{Basket, BasketStatus};
use binance_trader::core::client_id::{ClientOrderId, IdPrefix};
use binance_trader::core::fill::{Balance, Commission, Fill};
use binance_trader::core::money::{Amount, Price, Qty, Quote};
use binance_trader::core::order::{OrderSpec, OrderStatus, Side, Slot};
use binance_trader::core::strategy::config::StrategyConfig;
use binance_trader::core::symbol::{Asset, Symbol};
use binance_trader::ports::exchange::OrderReport;
use binance_trader::ports::store::{AccountSnapshot, BasketRecord, FillRecord, Store};
use rust_decimal::Decimal;

const T0: i64 = 1_700_000_000_000;

fn d(units: i64, scale: u32) -> Decimal {
    Decimal::new(units, scale)
}

/// Seeds `orders` orders and `orders / 2` fills (50 orders, 25 fills per basket).
pub async fn seed<S: Store>(store: &S, config: &StrategyConfig, orders: u64) {
    let symbol = config.symbol.clone();
    let prefix = IdPrefix::default();
    let baskets = (orders / 50).max(1) as u32;
    let mut trade_id = 1u64;
    let mut order_id = 1u64;
    for b in 1..=baskets {
        let active = b == baskets;
        let created = T0 + i64::from(b) * 3_600_000;
        let anchor = Price::new(d(4000 + i64::from(b % 97), 3));
        store
            .insert_basket(&BasketRecord {
                basket: Basket {
                    id: b,
                    anchor,
                    config: config.clone(),
                    status: if active {
                        BasketStatus::Active
                    } else {
                        BasketStatus::Closed
                    },
                    carried_qty: Qty::ZERO,
                    carried_cost: Quote::ZERO,
                    created_ms: created,
                    trail_root: None,
                },
                symbol: symbol.clone(),
                prefix: Default::default(),
                closed_ms: (!active).then_some(created + 3_000_000),
                reason: None,
            })
            .await
            .unwrap();
        for k in 0..50u32 {
            let (slot, side) = if k < 30 {
                (Slot::Buy((k % 6 + 1) as u16), Side::Buy)
            } else {
                (Slot::Tp1, Side::Sell)
            };
            let filled = k % 2 == 0;
            let status = match (active, filled) {
                (_, true) => OrderStatus::Filled,
                (true, false) => OrderStatus::New,
                (false, false) => OrderStatus::Canceled,
            };
            let price = Price::new(d(3900 + i64::from(k), 3));
            let qty = Qty::new(d(1000 + i64::from(k), 2));
            let client_id = ClientOrderId::ours(&prefix, b, slot, k + 1);
            let mut spec = OrderSpec::limit(slot, price, qty);
            spec.side = side;
            let at = created + i64::from(k) * 60_000;
            store
                .upsert_order(
                    b,
                    &OrderReport {
                        symbol: symbol.clone(),
                        order_id,
                        client_id,
                        side,
                        spec,
                        status,
                        executed_qty: if filled { qty } else { Qty::ZERO },
                        cumulative_quote: if filled { qty * price } else { Quote::ZERO },
                        time_ms: at,
                        update_ms: at,
                        expiry_reason: None,
                    },
                )
                .await
                .unwrap();
            if filled {
                store
                    .insert_fill(&FillRecord {
                        basket_id: b,
                        symbol: symbol.clone(),
                        fill: Fill {
                            trade_id,
                            order_id,
                            slot,
                            side,
                            price,
                            qty,
                            commission: Commission {
                                amount: Amount::new(d(4, 3)),
                                asset: Asset::parse("USDT").unwrap(),
                                quote_value: None,
                            },
                            is_maker: true,
                            time_ms: at,
                        },
                    })
                    .await
                    .unwrap();
                trade_id += 1;
            }
            order_id += 1;
        }
    }
    for m in 0..(orders / 10) as i64 {
        store
            .insert_snapshot(&AccountSnapshot {
                time_ms: T0 + m * 60_000,
                symbol: Symbol::parse(symbol.as_str()).unwrap(),
                quote_balance: Quote::new(d(10_000, 0)),
                base_balance: Qty::ZERO,
                price: Price::new(d(4000, 3)),
                total_value: Quote::new(d(10_000 + m % 50, 0)),
                balances: vec![Balance {
                    asset: Asset::parse("USDT").unwrap(),
                    free: Amount::new(d(10_000, 0)),
                    locked: Amount::ZERO,
                }],
            })
            .await
            .unwrap();
    }
}
