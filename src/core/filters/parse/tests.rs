//! `exchangeInfo` parsing against Binance's documented examples, ccxt's real filters and the
//! repo's own `data/exchange_info.json`.

use super::*;
use crate::core::filters::SymbolStatus;
use rust_decimal_macros::dec;
use serde_json::{json, Value};

const DOCS_EXCHANGE_INFO: &str =
    include_str!("../../../../tests/fixtures/binance-docs/exchangeInfo.json");
const FILTER_EXAMPLES: &str =
    include_str!("../../../../tests/fixtures/binance-docs/filters_examples.json");
const CCXT_SUBSET: &str =
    include_str!("../../../../tests/fixtures/ccxt/binance_markets_exchangeInfo_subset.json");
const BUNDLED: &str = include_str!("../../../../data/exchange_info.json");

fn sym(name: &str) -> Symbol {
    Symbol::parse(name).unwrap()
}

/// The docs' exchangeInfo with its only symbol's `filters` replaced.
fn docs_with_filters(filters: Vec<Value>) -> String {
    let mut doc: Value = serde_json::from_str(DOCS_EXCHANGE_INFO).unwrap();
    doc["symbols"][0]["filters"] = Value::Array(filters);
    doc.to_string()
}

/// The example of each named filter type from `filters_examples.json`.
fn examples(types: &[&str]) -> Vec<Value> {
    let all: Value = serde_json::from_str(FILTER_EXAMPLES).unwrap();
    types.iter().map(|t| all[*t][0].clone()).collect()
}

/// Every filter type in `filters_examples.json`, in file order.
fn all_example_types() -> Vec<String> {
    let all: serde_json::Map<String, Value> = serde_json::from_str(FILTER_EXAMPLES).unwrap();
    all.keys().cloned().collect()
}

#[test]
fn docs_example_symbol_without_filters_is_rejected_naming_symbol_and_filter() {
    assert_eq!(
        exchange_info(DOCS_EXCHANGE_INFO),
        Err(ExchangeInfoError::MissingFilter {
            symbol: "ETHBTC".into(),
            filter: "PRICE_FILTER"
        })
    );
}

#[test]
fn every_filter_example_fills_its_field() {
    let types = all_example_types();
    let types: Vec<&str> = types.iter().map(String::as_str).collect();
    let info = exchange_info(&docs_with_filters(examples(&types))).unwrap();
    assert_eq!(info.server_time_ms, 1_565_246_363_776);
    assert_eq!(
        info.rate_limits,
        vec![],
        "the docs' `{{}}` placeholder is skipped"
    );
    let rules = &info.symbols[&sym("ETHBTC")];
    assert_eq!(rules.status, SymbolStatus::Trading);
    assert_eq!(rules.base_asset.as_str(), "ETH");
    assert_eq!(rules.quote_asset.as_str(), "BTC");
    assert_eq!(rules.order_types.len(), 7);
    assert!(!rules.allow_trailing_stop);
    assert!(!rules.cancel_replace_allowed);
    assert!(
        !rules.amend_allowed,
        "`amendAllowed: false` in the docs' example"
    );
    let expected = SymbolFilters {
        price: PriceFilter {
            min_price: Price::new(dec!(0.000001)),
            max_price: Price::new(dec!(100000)),
            tick_size: Price::new(dec!(0.000001)),
        },
        lot: LotSize {
            min_qty: Qty::new(dec!(0.001)),
            max_qty: Qty::new(dec!(100000)),
            step_size: Qty::new(dec!(0.001)),
        },
        market_lot: Some(LotSize {
            min_qty: Qty::new(dec!(0.001)),
            max_qty: Qty::new(dec!(100000)),
            step_size: Qty::new(dec!(0.001)),
        }),
        // NOTIONAL wins over MIN_NOTIONAL.
        notional: Some(NotionalFilter {
            kind: NotionalKind::Notional,
            min_notional: Quote::new(dec!(10)),
            apply_min_to_market: false,
            max_notional: Some(Quote::new(dec!(10000))),
            apply_max_to_market: false,
        }),
        // PERCENT_PRICE_BY_SIDE wins over PERCENT_PRICE.
        percent_price: Some(PercentPriceBySide {
            bid_multiplier_up: dec!(1.2),
            bid_multiplier_down: dec!(0.2),
            ask_multiplier_up: dec!(5),
            ask_multiplier_down: dec!(0.8),
        }),
        max_num_orders: Some(25),
        max_num_algo_orders: Some(5),
        trailing_delta: Some(TrailingDeltaFilter {
            min_above: 10,
            max_above: 2000,
            min_below: 10,
            max_below: 2000,
        }),
    };
    assert_eq!(rules.filters, expected);
}

#[test]
fn min_notional_and_percent_price_examples_apply_when_alone() {
    let json = docs_with_filters(examples(&[
        "PRICE_FILTER",
        "LOT_SIZE",
        "MIN_NOTIONAL",
        "PERCENT_PRICE",
    ]));
    let rules = symbol_rules(&json, &sym("ETHBTC")).unwrap();
    assert_eq!(
        rules.filters.notional,
        Some(NotionalFilter {
            kind: NotionalKind::MinNotional,
            min_notional: Quote::new(dec!(0.001)),
            apply_min_to_market: true,
            max_notional: None,
            apply_max_to_market: false,
        })
    );
    assert_eq!(
        rules.filters.percent_price,
        Some(PercentPriceBySide {
            bid_multiplier_up: dec!(1.3),
            bid_multiplier_down: dec!(0.7),
            ask_multiplier_up: dec!(1.3),
            ask_multiplier_down: dec!(0.7),
        })
    );
    assert_eq!(rules.filters.market_lot, None);
    assert_eq!(rules.filters.max_num_orders, None);
    assert_eq!(rules.filters.trailing_delta, None);
}

/// ccxt keeps every number as a string (`"maxNumOrders": "200"`).
#[test]
fn ccxt_real_filters_match_the_file() {
    let subset: Value = serde_json::from_str(CCXT_SUBSET).unwrap();
    let doc = json!({"serverTime": "1700000000000", "symbols": subset["exchangeInfo_symbols"]});
    let info = exchange_info(&doc.to_string()).unwrap();
    struct Row {
        symbol: &'static str,
        tick: Decimal,
        step: Decimal,
        min_qty: Decimal,
        max_qty: Decimal,
        market_max_qty: Decimal,
    }
    let rows = [
        Row {
            symbol: "BTCUSDT",
            tick: dec!(0.01),
            step: dec!(0.00001),
            min_qty: dec!(0.00001),
            max_qty: dec!(9000),
            market_max_qty: dec!(128.52621715),
        },
        Row {
            symbol: "ETHUSDT",
            tick: dec!(0.01),
            step: dec!(0.0001),
            min_qty: dec!(0.0001),
            max_qty: dec!(9000),
            market_max_qty: dec!(3277.54882761),
        },
        Row {
            symbol: "ADAUSDT",
            tick: dec!(0.0001),
            step: dec!(0.1),
            min_qty: dec!(0.1),
            max_qty: dec!(900000),
            market_max_qty: dec!(3734056.71171548),
        },
    ];
    for row in rows {
        let f = &info.symbols[&sym(row.symbol)].filters;
        assert_eq!(f.price.tick_size.get(), row.tick, "{}", row.symbol);
        assert_eq!(f.lot.step_size.get(), row.step, "{}", row.symbol);
        assert_eq!(f.lot.min_qty.get(), row.min_qty, "{}", row.symbol);
        assert_eq!(f.lot.max_qty.get(), row.max_qty, "{}", row.symbol);
        let market = f.market_lot.unwrap();
        assert_eq!(market.max_qty.get(), row.market_max_qty, "{}", row.symbol);
        assert_eq!(market.step_size, Qty::ZERO, "{}", row.symbol);
        let n = f.notional.unwrap();
        assert_eq!(n.kind, NotionalKind::Notional, "{}", row.symbol);
        assert_eq!(n.min_notional.get(), dec!(5), "{}", row.symbol);
        assert_eq!(
            n.max_notional.unwrap().get(),
            dec!(9000000),
            "{}",
            row.symbol
        );
        assert!(
            n.apply_min_to_market && !n.apply_max_to_market,
            "{}",
            row.symbol
        );
        assert_eq!(f.max_num_orders, Some(200), "{}", row.symbol);
        assert_eq!(f.max_num_algo_orders, Some(5), "{}", row.symbol);
        assert_eq!(f.trailing_delta.unwrap().max_below, 2000, "{}", row.symbol);
        assert_eq!(f.percent_price.unwrap().ask_multiplier_down, dec!(0.2));
    }
}

#[test]
fn numbers_and_numeric_strings_parse_to_the_same_exact_value() {
    struct Case {
        label: &'static str,
        tick: Value,
        max_orders: Value,
    }
    let cases = [
        Case {
            label: "strings",
            tick: json!("0.00100000"),
            max_orders: json!("200"),
        },
        Case {
            label: "numbers",
            tick: json!(0.001),
            max_orders: json!(200),
        },
        Case {
            label: "scientific string",
            tick: json!("1e-3"),
            max_orders: json!(" 200 "),
        },
    ];
    for case in cases {
        let mut filters = examples(&["PRICE_FILTER", "LOT_SIZE", "MAX_NUM_ORDERS"]);
        filters[0]["tickSize"] = case.tick;
        filters[2]["maxNumOrders"] = case.max_orders;
        let rules = symbol_rules(&docs_with_filters(filters), &sym("ETHBTC"))
            .unwrap_or_else(|e| panic!("{}: {e}", case.label));
        assert_eq!(
            rules.filters.price.tick_size.get(),
            dec!(0.001),
            "{}",
            case.label
        );
        assert_eq!(rules.filters.max_num_orders, Some(200), "{}", case.label);
    }
}

#[test]
fn a_json_number_keeps_more_digits_than_a_float_could() {
    let precise = "0.1000000000000000000000000001";
    let json = docs_with_filters(examples(&["PRICE_FILTER", "LOT_SIZE"])).replace(
        r#""maxQty":"100000.00000000""#,
        &format!(r#""maxQty":{precise}"#),
    );
    let rules = symbol_rules(&json, &sym("ETHBTC")).unwrap();
    assert_eq!(rules.filters.lot.max_qty.get().to_string(), precise);
}

#[test]
fn non_ascii_symbols_parse() {
    let mut doc: Value =
        serde_json::from_str(&docs_with_filters(examples(&["PRICE_FILTER", "LOT_SIZE"]))).unwrap();
    doc["symbols"][0]["symbol"] = json!("币安人生USDT");
    doc["symbols"][0]["baseAsset"] = json!("币安人生");
    let info = exchange_info(&doc.to_string()).unwrap();
    let rules = &info.symbols[&sym("币安人生USDT")];
    assert_eq!(rules.base_asset.as_str(), "币安人生");
    assert_eq!(
        symbol_rules(&doc.to_string(), &sym("币安人生USDT")).unwrap(),
        *rules
    );
}

#[test]
fn malformed_symbols_give_errors_naming_what_is_wrong() {
    struct Case {
        label: &'static str,
        filters: Vec<Value>,
        expected: &'static str,
    }
    let mut negative = examples(&["PRICE_FILTER", "LOT_SIZE"]);
    negative[1]["stepSize"] = json!("-0.001");
    let mut not_a_number = examples(&["PRICE_FILTER", "LOT_SIZE"]);
    not_a_number[0]["tickSize"] = json!("0.0l");
    let mut missing_field = examples(&["PRICE_FILTER", "LOT_SIZE"]);
    missing_field[0].as_object_mut().unwrap().remove("tickSize");
    let mut fractional_count = examples(&["PRICE_FILTER", "LOT_SIZE", "MAX_NUM_ORDERS"]);
    fractional_count[2]["maxNumOrders"] = json!(2.5);
    let cases = [
        Case {
            label: "no LOT_SIZE",
            filters: examples(&["PRICE_FILTER", "ICEBERG_PARTS"]),
            expected: "exchangeInfo: symbol ETHBTC has no LOT_SIZE filter",
        },
        Case {
            label: "LOT_SIZE twice",
            filters: examples(&["PRICE_FILTER", "LOT_SIZE", "LOT_SIZE"]),
            expected: "exchangeInfo: symbol ETHBTC lists LOT_SIZE twice",
        },
        Case {
            label: "negative step",
            filters: negative,
            expected: "exchangeInfo: symbol ETHBTC, LOT_SIZE: stepSize `-0.001` must not be negative",
        },
        Case {
            label: "not a number",
            filters: not_a_number,
            expected: "exchangeInfo: symbol ETHBTC, PRICE_FILTER: tickSize `0.0l` is not a decimal number",
        },
        Case {
            label: "missing field",
            filters: missing_field,
            expected: "exchangeInfo: symbol ETHBTC, PRICE_FILTER: missing field `tickSize`",
        },
        Case {
            label: "fractional count",
            filters: fractional_count,
            expected: "exchangeInfo: symbol ETHBTC, MAX_NUM_ORDERS: maxNumOrders `2.5` is not a valid integer here",
        },
    ];
    for case in cases {
        let err = exchange_info(&docs_with_filters(case.filters)).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(case.expected),
            "{}: got `{text}`",
            case.label
        );
    }
}

#[test]
fn unknown_filter_types_are_ignored() {
    let mut filters = examples(&["PRICE_FILTER", "LOT_SIZE"]);
    filters.push(json!({"filterType": "SOMETHING_NEW", "limit": {"nested": true}}));
    filters.push(json!({"filterType": "MAX_POSITION", "maxPosition": "10.00000000"}));
    let rules = symbol_rules(&docs_with_filters(filters), &sym("ETHBTC")).unwrap();
    assert_eq!(rules.filters.notional, None);
}

#[test]
fn symbol_rules_reads_one_symbol_and_ignores_a_broken_neighbour() {
    let mut doc: Value = serde_json::from_str(BUNDLED).unwrap();
    doc["symbols"][0]["filters"] = json!([]);
    let json = doc.to_string();
    assert!(matches!(
        exchange_info(&json),
        Err(ExchangeInfoError::MissingFilter { .. })
    ));
    let sol = symbol_rules(&json, &sym("SOLUSDC")).unwrap();
    assert_eq!(sol.filters.price.tick_size.get(), dec!(0.01));
    assert_eq!(
        symbol_rules(&json, &sym("BTCUSDT")),
        Err(ExchangeInfoError::SymbolNotFound("BTCUSDT".into()))
    );
}

#[test]
fn rate_limits_skip_unknown_types_and_reject_unknown_intervals() {
    let doc = |limits: Value| json!({"serverTime": 1, "rateLimits": limits, "symbols": []});
    let info = exchange_info(
        &doc(json!([
            {},
            {"rateLimitType": "CONNECTIONS", "interval": "HOUR", "intervalNum": 1, "limit": 3},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": "10", "limit": "50"},
        ]))
        .to_string(),
    )
    .unwrap();
    assert_eq!(
        info.rate_limits,
        vec![RateLimit {
            kind: RateLimitType::Orders,
            interval: RateLimitInterval::Second,
            interval_num: 10,
            limit: 50
        }]
    );
    let err = exchange_info(
        &doc(
            json!([{"rateLimitType": "ORDERS", "interval": "WEEK", "intervalNum": 1, "limit": 5}]),
        )
        .to_string(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"exchangeInfo: rateLimits[0]: unknown interval Some("WEEK")"#
    );
    assert!(matches!(
        exchange_info("{\"symbols\": []}"),
        Err(ExchangeInfoError::Json(_))
    ));
}

#[test]
fn bundled_exchange_info_serves_the_default_symbols() {
    let info = exchange_info(BUNDLED).unwrap();
    let minute = |n, limit, kind, interval| RateLimit {
        kind,
        interval,
        interval_num: n,
        limit,
    };
    use RateLimitInterval::*;
    use RateLimitType::*;
    assert_eq!(
        info.rate_limits,
        vec![
            minute(1, 6000, RequestWeight, Minute),
            minute(10, 100, Orders, Second),
            minute(1, 200_000, Orders, Day),
            minute(5, 61_000, RawRequests, Minute),
        ]
    );
    assert_eq!(info.rate_limits[3].window_secs(), 300);
    let names: Vec<&str> = info.symbols.keys().map(Symbol::as_str).collect();
    assert_eq!(
        names,
        ["AVAXUSDT", "FILUSDT", "LINKUSDT", "LTCUSDT", "NEARUSDT", "SOLUSDC"]
    );
    for (name, tick, step) in [
        ("FILUSDT", dec!(0.001), dec!(0.01)),
        ("NEARUSDT", dec!(0.001), dec!(0.1)),
        ("SOLUSDC", dec!(0.01), dec!(0.001)),
        ("AVAXUSDT", dec!(0.001), dec!(0.01)),
        ("LINKUSDT", dec!(0.001), dec!(0.01)),
        ("LTCUSDT", dec!(0.01), dec!(0.001)),
    ] {
        let r = &info.symbols[&sym(name)];
        let f = &r.filters;
        assert_eq!(r.status, SymbolStatus::Trading, "{name}");
        assert!(r.allow_trailing_stop && r.cancel_replace_allowed, "{name}");
        assert_eq!(r.order_types.len(), 7, "{name}");
        assert_eq!(f.price.tick_size.get(), tick, "{name}");
        assert_eq!(f.lot.step_size.get(), step, "{name}");
        assert_eq!(f.notional.unwrap().min_notional.get(), dec!(5), "{name}");
        let pp = f.percent_price.unwrap();
        assert_eq!(
            (pp.bid_multiplier_up, pp.ask_multiplier_down),
            (dec!(5), dec!(0.2))
        );
        assert_eq!(f.max_num_orders, Some(200), "{name}");
        assert_eq!(f.max_num_algo_orders, Some(5), "{name}");
        let t = f.trailing_delta.unwrap();
        assert_eq!((t.min_above, t.max_below), (10, 2000), "{name}");
    }
}
