//! The dashboard's price chart for a range grid (`chart::lines`): lower and upper, the level
//! lines, the buys and sells the range plan wants (resting when the exchange has them), the
//! stop loss; none of the basket grid's anchor, hard stop or TP lines. With `[volatility]`,
//! a grid's lines (range or basket) are its levels as planned at the factor frozen in the
//! basket, not the file's.

use crate::store::fixtures::{intent, report};
use binance_trader::apps::dashboard::chart::{lines, ChartLine};
use binance_trader::apps::dashboard::format::Precision;
use binance_trader::core::basket::{Basket, BasketStatus};
use binance_trader::core::fill::{Commission, Fill};
use binance_trader::core::filters::{SymbolFilters, SymbolRules};
use binance_trader::core::indicators::VolMeasure;
use binance_trader::core::money::Pct;
use binance_trader::core::money::{Amount, Price, Qty, Quote};
use binance_trader::core::order::{OrderStatus, Side, Slot};
use binance_trader::core::strategy::config::volatility::VolatilityConfig;
use binance_trader::core::strategy::config::StrategyConfig;
use binance_trader::core::symbol::{Asset, Symbol};
use binance_trader::ports::store::OrderRecord;
use rust_decimal_macros::dec;

/// `.spec/strategies.md` §4's grid (3.00..5.00, 11 levels 0.20 apart, 1000 USDT) with a stop
/// loss at 2.5, started at 4.10.
fn range_basket() -> Basket {
    basket_of(
        r#"
        kind = "range"
        symbol = "FILUSDT"
        quote_budget = 1000
        [range]
        lower = 3.0
        upper = 5.0
        levels = 11
        stop_loss = 2.5
        "#,
        dec!(4.10),
    )
}

/// An active basket of the strategy `text` anchored at `anchor`.
fn basket_of(text: &str, anchor: rust_decimal::Decimal) -> Basket {
    Basket {
        id: 3,
        anchor: Price::new(anchor),
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

/// B6 bought its whole slice (25 FIL at 4.0, 0.025 FIL fee): cell 6 now sells at S7 (4.2).
fn b6_filled() -> Fill {
    Fill {
        trade_id: 1,
        order_id: 101,
        slot: Slot::Buy(6),
        side: Side::Buy,
        price: Price::new(dec!(4.0)),
        qty: Qty::new(dec!(25)),
        commission: Commission {
            amount: Amount::new(dec!(0.025)),
            asset: Asset::parse("FIL").unwrap(),
            quote_value: None,
        },
        is_maker: true,
        time_ms: 1_000,
    }
}

fn find<'a>(lines: &'a [ChartLine], label: &str) -> Option<&'a ChartLine> {
    lines.iter().find(|l| l.label == label)
}

#[test]
fn a_range_grid_draws_its_bounds_levels_resting_orders_and_stop_loss() {
    let basket = range_basket();
    let rules = fil();
    let precision = Precision::of(&rules.filters);
    // B5 (3.8) is on the book; the rest of the plan is not placed yet.
    let b5 = intent(basket.id, Slot::Buy(5), 1, 900);
    let open = [OrderRecord {
        basket_id: basket.id,
        slot: Slot::Buy(5),
        report: report(&b5, 55, OrderStatus::New, "0", 900),
    }];
    let drawn = lines(
        &basket,
        &[b6_filled()],
        &open,
        Price::new(dec!(4.05)),
        &rules,
        precision,
    );
    let at = |label: &str| {
        let l = find(&drawn, label).unwrap_or_else(|| panic!("no {label} in {drawn:#?}"));
        (l.kind, l.price.get(), l.state)
    };
    assert_eq!(at("Lower"), ("range", dec!(3), "planned"));
    assert_eq!(at("Upper"), ("range", dec!(5), "planned"));
    assert_eq!(at("Stop loss"), ("stop", dec!(2.5), "planned"));
    assert_eq!(at("S7"), ("sell", dec!(4.2), "planned"));
    assert_eq!(at("B5"), ("buy", dec!(3.8), "resting"));
    for (k, price) in [
        (1, dec!(3.0)),
        (2, dec!(3.2)),
        (3, dec!(3.4)),
        (4, dec!(3.6)),
    ] {
        assert_eq!(at(&format!("B{k}")), ("buy", price, "planned"));
    }
    // Cell 6 holds (no buy at 4.0 now); 4.0 and the idle levels above stay drawn as levels.
    assert!(find(&drawn, "B6").is_none());
    for (k, price) in [
        (6, dec!(4.0)),
        (8, dec!(4.4)),
        (9, dec!(4.6)),
        (10, dec!(4.8)),
    ] {
        assert_eq!(at(&format!("L{k}")), ("level", price, "planned"));
    }
    // Levels 1 and 11 are the bounds; level 7 is S7's line.
    for none in ["L1", "L7", "L11", "Anchor", "Hard stop", "TP1", "TP2"] {
        assert!(find(&drawn, none).is_none(), "{none} in {drawn:#?}");
    }
    assert_eq!(drawn.len(), 2 + 1 + 5 + 1 + 4);
}

/// Through the stop loss the plan is one exit sell: the chart shows it, and no buy.
#[test]
fn a_range_grid_below_its_stop_loss_draws_the_exit_and_no_buy() {
    let basket = range_basket();
    let rules = fil();
    let drawn = lines(
        &basket,
        &[b6_filled()],
        &[],
        Price::new(dec!(2.4)),
        &rules,
        Precision::of(&rules.filters),
    );
    let exit = find(&drawn, "EXIT").unwrap_or_else(|| panic!("no exit in {drawn:#?}"));
    assert_eq!((exit.kind, exit.state), ("stop", "planned"));
    assert!(exit.price.get() < dec!(2.4));
    assert!(drawn.iter().all(|l| l.kind != "buy" && l.kind != "sell"));
    // Still the range grid's lines, not the basket grid's.
    assert!(find(&drawn, "Stop loss").is_some() && find(&drawn, "Lower").is_some());
    assert!(find(&drawn, "Hard stop").is_none(), "{drawn:#?}");
}

/// `[volatility]` with the factor `f` frozen, as `volatility::anchor` writes it.
fn freeze(basket: &mut Basket, f: rust_decimal::Decimal) {
    basket.config.volatility = Some(VolatilityConfig {
        measure: VolMeasure::Atr,
        window: 60,
        reference_pct: Pct::new(dec!(0.2)),
        min_factor: dec!(0.5),
        max_factor: dec!(2),
        factor: Some(f),
    });
}

fn drawn_prices(drawn: &[ChartLine]) -> Vec<(String, String)> {
    drawn
        .iter()
        .map(|l| (l.label.clone(), l.price.to_string()))
        .collect()
}

/// Factor 2 frozen: the range grid's 10 steps thin to 5 (3.0, 3.4 … 5.0) — the levels the
/// plan trades, not the file's 0.20 apart.
#[test]
fn a_range_grid_draws_the_levels_thinned_at_its_frozen_volatility_factor() {
    let mut basket = range_basket();
    freeze(&mut basket, dec!(2));
    let rules = fil();
    let drawn = lines(
        &basket,
        &[],
        &[],
        Price::new(dec!(4.10)),
        &rules,
        Precision::of(&rules.filters),
    );
    let want: Vec<(String, String)> = [
        ("Lower", "3.000"),
        ("Upper", "5.000"),
        ("B1", "3.000"),
        ("B2", "3.400"),
        ("B3", "3.800"),
        ("L4", "4.200"),
        ("L5", "4.600"),
        ("Stop loss", "2.500"),
    ]
    .iter()
    .map(|(l, p)| (l.to_string(), p.to_string()))
    .collect();
    assert_eq!(drawn_prices(&drawn), want);
}

/// A basket grid (the worked example, drops 1, 2.5, 4.75, 8.125, 13.1875 % from 150) with
/// factor 1.1 frozen draws its buys at the drops × 1.1 (B1 148.35, not 148.50); the hard
/// stop is the trader's (the shipped 35 %) and stays at 97.50.
#[test]
fn a_basket_grid_draws_its_buys_at_its_frozen_volatility_factor() {
    let text = include_str!("../../config/strategy.example.toml");
    let mut basket = basket_of(text, dec!(150));
    freeze(&mut basket, dec!(1.1));
    let rules = SymbolRules::basic(
        Symbol::parse("SOLUSDC").unwrap(),
        Asset::parse("SOL").unwrap(),
        Asset::parse("USDC").unwrap(),
        SymbolFilters::basic(dec!(0.01), dec!(0.001), dec!(5)),
    );
    let drawn = lines(
        &basket,
        &[],
        &[],
        Price::new(dec!(150)),
        &rules,
        Precision::of(&rules.filters),
    );
    let prices = drawn_prices(&drawn);
    let at = |label: &str| {
        prices
            .iter()
            .find(|(l, _)| l == label)
            .unwrap_or_else(|| panic!("no {label} in {prices:?}"))
            .1
            .clone()
    };
    // 150 × (1 − 1.1 %) = 148.35; 150 × (1 − 14.50625 %) = 128.240625 → 128.24.
    assert_eq!(at("B1"), "148.35");
    assert_eq!(at("B5"), "128.24");
    assert_eq!(at("Hard stop"), "97.50");
}
