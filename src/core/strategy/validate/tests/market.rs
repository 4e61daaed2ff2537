//! `validate_for_market`: the worked example against SOLUSDC-like rules.

use super::*;
use crate::core::filters::{SymbolFilters, SymbolRules, SymbolStatus, TrailingDeltaFilter};
use crate::core::money::{Price, Qty};
use crate::core::order::OrderType;
use crate::core::symbol::{Asset, Symbol};

/// SOLUSDC with tick 0.01, step 0.001, min notional 5, Binance's usual trailing and count
/// limits.
pub(crate) fn rules() -> SymbolRules {
    let mut filters = SymbolFilters::basic(dec!(0.01), dec!(0.001), dec!(5));
    filters.trailing_delta = Some(TrailingDeltaFilter {
        min_above: 10,
        max_above: 2000,
        min_below: 10,
        max_below: 2000,
    });
    filters.max_num_orders = Some(200);
    filters.max_num_algo_orders = Some(5);
    SymbolRules::basic(
        Symbol::parse("SOLUSDC").unwrap(),
        Asset::parse("SOL").unwrap(),
        Asset::parse("USDC").unwrap(),
        filters,
    )
}

fn anchor() -> Price {
    Price::new(dec!(150.00))
}

struct MarketCase {
    label: &'static str,
    config: fn(&mut StrategyConfig),
    rules: fn(&mut SymbolRules),
    anchor: Decimal,
    free_quote: Option<Decimal>,
    expected: &'static [(&'static str, Rule)],
}

const SAME: fn(&mut StrategyConfig) = |_| {};
const AS_IS: fn(&mut SymbolRules) = |_| {};

fn market_broken(case: &MarketCase) -> Vec<(String, Rule)> {
    let mut cfg = worked_example();
    (case.config)(&mut cfg);
    let mut r = rules();
    (case.rules)(&mut r);
    let free = case.free_quote.map(Quote::new);
    match validate_for_market(&cfg, Some(&r), Price::new(case.anchor), free) {
        Ok(()) => Vec::new(),
        Err(errors) => errors
            .iter()
            .map(|e| (e.key().to_string(), e.rule().unwrap()))
            .collect(),
    }
}

#[test]
fn market_rules_table() {
    use Rule::*;
    let cases = [
        MarketCase {
            label: "worked example fits SOLUSDC with 1000 USDC free",
            config: SAME,
            rules: AS_IS,
            anchor: dec!(150.00),
            free_quote: Some(dec!(1000)),
            expected: &[],
        },
        MarketCase {
            label: "rules for another symbol",
            config: SAME,
            rules: |r| r.symbol = Symbol::parse("BTCUSDC").unwrap(),
            anchor: dec!(150),
            free_quote: None,
            expected: &[("symbol", UnknownSymbol)],
        },
        MarketCase {
            label: "symbol halted",
            config: SAME,
            rules: |r| r.status = SymbolStatus::Halt,
            anchor: dec!(150),
            free_quote: None,
            expected: &[("symbol", NotTrading)],
        },
        MarketCase {
            label: "cancel-only symbol",
            config: SAME,
            rules: |r| r.status = SymbolStatus::CancelOnly,
            anchor: dec!(150),
            free_quote: None,
            expected: &[("symbol", NotTrading)],
        },
        MarketCase {
            label: "no TAKE_PROFIT_LIMIT for the trailing stop",
            config: SAME,
            rules: |r| r.order_types.retain(|t| *t != OrderType::TakeProfitLimit),
            anchor: dec!(150),
            free_quote: None,
            expected: &[("symbol", OrderTypeNotAllowed)],
        },
        MarketCase {
            label: "small budget: B1 and B2 below the minimum notional",
            config: |c| c.quote_budget = Quote::new(dec!(30)),
            rules: AS_IS,
            anchor: dec!(150),
            free_quote: None,
            expected: &[("levels", BelowMinNotional), ("levels", BelowMinNotional)],
        },
        MarketCase {
            label: "coarse lot: B1 and B2 round to zero",
            config: SAME,
            rules: |r| {
                r.filters = SymbolFilters::basic(dec!(0.01), dec!(1), dec!(0));
            },
            anchor: dec!(150),
            free_quote: None,
            expected: &[("levels", BelowMinQty), ("levels", BelowMinQty)],
        },
        MarketCase {
            label: "B4 and B5 below minPrice",
            config: SAME,
            rules: |r| r.filters.price.min_price = Price::new(dec!(140)),
            anchor: dec!(150),
            free_quote: None,
            expected: &[("levels", BelowMinPrice), ("levels", BelowMinPrice)],
        },
        MarketCase {
            label: "every level above maxQty 0.5",
            config: SAME,
            rules: |r| r.filters.lot.max_qty = Qty::new(dec!(0.5)),
            anchor: dec!(150),
            free_quote: None,
            expected: &[
                ("levels", AboveMaxQty),
                ("levels", AboveMaxQty),
                ("levels", AboveMaxQty),
                ("levels", AboveMaxQty),
                ("levels", AboveMaxQty),
            ],
        },
        MarketCase {
            label: "anchor so low every price rounds to zero",
            config: SAME,
            rules: AS_IS,
            anchor: dec!(0.01),
            free_quote: None,
            expected: &[("levels", BelowMinPrice)],
        },
        MarketCase {
            label: "zero anchor",
            config: SAME,
            rules: AS_IS,
            anchor: dec!(0),
            free_quote: None,
            expected: &[("anchor", Positive)],
        },
        MarketCase {
            label: "extension levels below the minimum notional",
            config: |c| {
                c.extension = extension(dec!(1), 2, dec!(3));
                c.hard_stop_pct = pct(dec!(20));
            },
            rules: AS_IS,
            anchor: dec!(150),
            free_quote: None,
            expected: &[
                ("extension", BelowMinNotional),
                ("extension", BelowMinNotional),
            ],
        },
        MarketCase {
            label: "hard stop triggers above the rounded deepest price",
            config: |c| c.hard_stop_pct = pct(dec!(13.19)),
            rules: AS_IS,
            anchor: dec!(150),
            free_quote: None,
            expected: &[("hard_stop_pct", HardStopBelowDeepest)],
        },
        MarketCase {
            label: "budget above the free balance",
            config: SAME,
            rules: AS_IS,
            anchor: dec!(150),
            free_quote: Some(dec!(999.99)),
            expected: &[("quote_budget", BudgetExceedsBalance)],
        },
        MarketCase {
            label: "budget fits but the extension reserve does not",
            config: |c| {
                c.extension = extension(dec!(20), 2, dec!(3));
                c.hard_stop_pct = pct(dec!(20));
            },
            rules: AS_IS,
            anchor: dec!(150),
            free_quote: Some(dec!(1100)),
            expected: &[("quote_budget", BudgetExceedsBalance)],
        },
        MarketCase {
            label: "trailing stops not allowed",
            config: SAME,
            rules: |r| r.allow_trailing_stop = false,
            anchor: dec!(150),
            free_quote: None,
            expected: &[("trail_delta_pct", TrailingNotAllowed)],
        },
        MarketCase {
            label: "delta above maxTrailingAboveDelta (below bounds would allow it)",
            config: SAME,
            rules: |r| {
                r.filters.trailing_delta = Some(TrailingDeltaFilter {
                    min_above: 10,
                    max_above: 50,
                    min_below: 10,
                    max_below: 2000,
                })
            },
            anchor: dec!(150),
            free_quote: None,
            expected: &[("trail_delta_pct", TrailingDeltaOutOfRange)],
        },
        MarketCase {
            label: "delta within the above bounds (below bounds would refuse it)",
            config: SAME,
            rules: |r| {
                r.filters.trailing_delta = Some(TrailingDeltaFilter {
                    min_above: 10,
                    max_above: 2000,
                    min_below: 10,
                    max_below: 50,
                })
            },
            anchor: dec!(150),
            free_quote: None,
            expected: &[],
        },
        MarketCase {
            label: "5 buys + 3 sells above MAX_NUM_ORDERS 7",
            config: SAME,
            rules: |r| r.filters.max_num_orders = Some(7),
            anchor: dec!(150),
            free_quote: None,
            expected: &[("max_open_buys", TooManyOrders)],
        },
        MarketCase {
            label: "max_open_buys 4 fits MAX_NUM_ORDERS 7",
            config: |c| c.max_open_buys = Some(4),
            rules: |r| r.filters.max_num_orders = Some(7),
            anchor: dec!(150),
            free_quote: None,
            expected: &[],
        },
        MarketCase {
            label: "no stop orders allowed",
            config: SAME,
            rules: |r| r.filters.max_num_algo_orders = Some(0),
            anchor: dec!(150),
            free_quote: None,
            expected: &[("trail_delta_pct", TooManyAlgoOrders)],
        },
    ];
    for case in cases {
        let expected: Vec<_> = case
            .expected
            .iter()
            .map(|(k, r)| (k.to_string(), *r))
            .collect();
        assert_eq!(market_broken(&case), expected, "{}", case.label);
    }
}

#[test]
fn unknown_symbol_without_rules() {
    let errors = validate_for_market(&worked_example(), None, anchor(), None).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].rule(), Some(Rule::UnknownSymbol));
    assert_eq!(
        errors[0].to_string(),
        "symbol = SOLUSDC: the exchange has no rules for this symbol"
    );
}

#[test]
fn min_notional_message_says_which_level_and_by_how_much() {
    let mut cfg = worked_example();
    cfg.quote_budget = Quote::new(dec!(30));
    let errors = validate_for_market(&cfg, Some(&rules()), anchor(), None).unwrap_err();
    // 30 × 1/9.0431 = 3.3174… → 0.022 SOL at 148.50 = 3.267; 5 − 3.267 = 1.733.
    assert_eq!(
        errors[0].to_string(),
        "B1 (drop 1 %, price 148.50, qty 0.022): level notional below the minimum notional \
         (notional 3.267 is 1.733 below NOTIONAL minNotional 5)"
    );
    // 30 × 1.3/9.0431 = 4.3127… → 0.029 SOL at 146.25 = 4.24125.
    assert!(
        errors[1].to_string().starts_with("B2 ")
            && errors[1].to_string().contains("is 0.75875 below"),
        "{}",
        errors[1]
    );
}

#[test]
fn budget_message_names_balance_and_shortfall() {
    let mut cfg = worked_example();
    cfg.extension = extension(dec!(20), 2, dec!(3));
    cfg.hard_stop_pct = pct(dec!(20));
    let errors = validate_for_market(&cfg, Some(&rules()), anchor(), Some(Quote::new(dec!(1100))))
        .unwrap_err();
    assert_eq!(
        errors[0].to_string(),
        "quote_budget = 1000 + extension reserve 200: the budget exceeds the free quote \
         balance (needs 1200 USDC, free 1100 USDC, short by 100)"
    );
}

#[test]
fn explicit_example_fits_the_market() {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/strategy.explicit.example.toml"
    ));
    let cfg = StrategyConfig::from_toml_str(text).unwrap();
    assert_eq!(
        validate_for_market(&cfg, Some(&rules()), anchor(), Some(Quote::new(dec!(750)))),
        Ok(())
    );
}
