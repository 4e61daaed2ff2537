use super::*;
use crate::core::order::{OrderSpec, Slot, TimeInForce};
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn sol() -> SymbolFilters {
    SymbolFilters::basic(dec!(0.01), dec!(0.001), dec!(5))
}

#[test]
fn buys_round_down_sells_round_up_quantities_down() {
    let f = sol();
    assert_eq!(
        f.round_price(Side::Buy, Price::new(dec!(142.875))),
        Price::new(dec!(142.87))
    );
    assert_eq!(
        f.round_price(Side::Sell, Price::new(dec!(142.871))),
        Price::new(dec!(142.88))
    );
    assert_eq!(
        f.round_price(Side::Sell, Price::new(dec!(142.87))),
        Price::new(dec!(142.87))
    );
    assert_eq!(
        f.round_qty_down(Qty::new(dec!(0.74469))),
        Qty::new(dec!(0.744))
    );
}

#[test]
fn validator_names_the_broken_filter() {
    let f = sol();
    let ok = OrderSpec::limit(
        Slot::Buy(1),
        Price::new(dec!(148.50)),
        Qty::new(dec!(0.744)),
    );
    assert_eq!(f.check(&ok, None), Ok(()));
    let off_tick = OrderSpec {
        price: Some(Price::new(dec!(148.505))),
        ..ok.clone()
    };
    assert_eq!(
        f.check(&off_tick, None).unwrap_err().filter_name(),
        Some("PRICE_FILTER")
    );
    let off_step = OrderSpec {
        qty: Qty::new(dec!(0.7445)),
        ..ok.clone()
    };
    assert_eq!(
        f.check(&off_step, None).unwrap_err().filter_name(),
        Some("LOT_SIZE")
    );
    let tiny = OrderSpec {
        qty: Qty::new(dec!(0.01)),
        ..ok
    };
    assert_eq!(
        f.check(&tiny, None).unwrap_err().filter_name(),
        Some("NOTIONAL")
    );
}

/// Every filter set, with distinct numbers so each row can only fail where it is meant to.
fn full() -> SymbolFilters {
    SymbolFilters {
        price: PriceFilter {
            min_price: Price::new(dec!(0.01)),
            max_price: Price::new(dec!(1000)),
            tick_size: Price::new(dec!(0.01)),
        },
        lot: LotSize {
            min_qty: Qty::new(dec!(0.001)),
            max_qty: Qty::new(dec!(100)),
            step_size: Qty::new(dec!(0.001)),
        },
        market_lot: Some(LotSize {
            min_qty: Qty::new(dec!(0.01)),
            max_qty: Qty::new(dec!(80)),
            step_size: Qty::new(dec!(0.01)),
        }),
        notional: Some(NotionalFilter {
            kind: NotionalKind::Notional,
            min_notional: Quote::new(dec!(5)),
            apply_min_to_market: true,
            max_notional: Some(Quote::new(dec!(10000))),
            apply_max_to_market: false,
        }),
        percent_price: Some(PercentPriceBySide {
            bid_multiplier_up: dec!(1.2),
            bid_multiplier_down: dec!(0.2),
            ask_multiplier_up: dec!(5),
            ask_multiplier_down: dec!(0.8),
        }),
        max_num_orders: Some(3),
        max_num_algo_orders: Some(1),
        trailing_delta: Some(TrailingDeltaFilter {
            min_above: 10,
            max_above: 2000,
            min_below: 20,
            max_below: 500,
        }),
    }
}

/// `full()` with the older `MIN_NOTIONAL` that does not apply to market orders.
fn full_min_notional() -> SymbolFilters {
    SymbolFilters {
        notional: Some(NotionalFilter {
            kind: NotionalKind::MinNotional,
            min_notional: Quote::new(dec!(5)),
            apply_min_to_market: false,
            max_notional: None,
            apply_max_to_market: false,
        }),
        ..full()
    }
}

fn p(v: Decimal) -> Price {
    Price::new(v)
}

fn limit(side: Side, price: Decimal, qty: Decimal) -> OrderSpec {
    let slot = match side {
        Side::Buy => Slot::Buy(1),
        Side::Sell => Slot::Tp1,
    };
    OrderSpec::limit(slot, p(price), Qty::new(qty))
}

fn market(side: Side, qty: Decimal) -> OrderSpec {
    OrderSpec {
        order_type: OrderType::Market,
        price: None,
        time_in_force: None,
        ..limit(side, dec!(1), qty)
    }
}

/// A trailing stop-limit (or take-profit-limit) with limit 100.
fn trailing(side: Side, order_type: OrderType, delta: u32) -> OrderSpec {
    OrderSpec {
        order_type,
        trailing_delta: Some(delta),
        ..limit(side, dec!(100), dec!(1))
    }
}

#[test]
fn validator_table_hits_every_violation() {
    struct Case {
        label: &'static str,
        filters: SymbolFilters,
        order: OrderSpec,
        reference: Option<Price>,
        /// `None` = accepted; otherwise the filter name (`""` for malformed) and a message part.
        expected: Option<(&'static str, &'static str)>,
    }
    use OrderType::*;
    use Side::*;
    let r100 = Some(p(dec!(100)));
    let case = |label, order, reference, expected| Case {
        label,
        filters: full(),
        order,
        reference,
        expected,
    };
    let cases = vec![
        case(
            "valid limit buy",
            limit(Buy, dec!(100), dec!(1)),
            r100,
            None,
        ),
        case(
            "valid limit sell",
            limit(Sell, dec!(100), dec!(1)),
            r100,
            None,
        ),
        case(
            "price below minPrice",
            limit(Buy, dec!(0.005), dec!(1000)),
            None,
            Some(("PRICE_FILTER", "below minPrice")),
        ),
        case(
            "price above maxPrice",
            limit(Sell, dec!(1000.01), dec!(1)),
            None,
            Some(("PRICE_FILTER", "above maxPrice")),
        ),
        case(
            "price off tick",
            limit(Buy, dec!(100.005), dec!(1)),
            None,
            Some(("PRICE_FILTER", "tickSize")),
        ),
        case(
            "price zero",
            limit(Buy, dec!(0), dec!(1)),
            None,
            Some(("PRICE_FILTER", "positive")),
        ),
        case(
            "stop price off tick",
            OrderSpec {
                order_type: StopLossLimit,
                stop_price: Some(p(dec!(99.999))),
                ..limit(Sell, dec!(99), dec!(1))
            },
            None,
            Some(("PRICE_FILTER", "tickSize")),
        ),
        case(
            "qty below minQty",
            limit(Buy, dec!(100), dec!(0.0005)),
            None,
            Some(("LOT_SIZE", "below minQty")),
        ),
        case(
            "qty above maxQty",
            limit(Buy, dec!(1), dec!(100.001)),
            None,
            Some(("LOT_SIZE", "above maxQty")),
        ),
        case(
            "qty off step",
            limit(Buy, dec!(100), dec!(1.0005)),
            None,
            Some(("LOT_SIZE", "stepSize")),
        ),
        case(
            "qty zero",
            limit(Buy, dec!(100), dec!(0)),
            None,
            Some(("LOT_SIZE", "positive")),
        ),
        case(
            "market qty below MARKET_LOT_SIZE min",
            market(Sell, dec!(0.005)),
            r100,
            Some(("MARKET_LOT_SIZE", "below minQty")),
        ),
        case(
            "market qty above MARKET_LOT_SIZE max",
            market(Sell, dec!(81)),
            r100,
            Some(("MARKET_LOT_SIZE", "above maxQty")),
        ),
        case(
            "market qty off MARKET_LOT_SIZE step",
            market(Sell, dec!(1.005)),
            r100,
            Some(("MARKET_LOT_SIZE", "stepSize")),
        ),
        case(
            "limit ignores MARKET_LOT_SIZE",
            limit(Sell, dec!(100), dec!(1.005)),
            r100,
            None,
        ),
        case(
            "NOTIONAL below min",
            limit(Buy, dec!(100), dec!(0.049)),
            None,
            Some(("NOTIONAL", "below minNotional")),
        ),
        case(
            "NOTIONAL above max",
            limit(Sell, dec!(200), dec!(50.001)),
            None,
            Some(("NOTIONAL", "above maxNotional")),
        ),
        case(
            "NOTIONAL min applies to market",
            market(Buy, dec!(0.04)),
            r100,
            Some(("NOTIONAL", "below minNotional")),
        ),
        case(
            "NOTIONAL max not applied to market",
            market(Sell, dec!(79)),
            Some(p(dec!(200))),
            None,
        ),
        case(
            "market notional skipped without reference",
            market(Buy, dec!(0.04)),
            None,
            None,
        ),
        Case {
            label: "MIN_NOTIONAL below min",
            filters: full_min_notional(),
            order: limit(Buy, dec!(100), dec!(0.049)),
            reference: None,
            expected: Some(("MIN_NOTIONAL", "below minNotional")),
        },
        Case {
            label: "MIN_NOTIONAL applyToMarket=false spares market orders",
            filters: full_min_notional(),
            order: market(Buy, dec!(0.04)),
            reference: r100,
            expected: None,
        },
        case(
            "buy above bid band",
            limit(Buy, dec!(120.01), dec!(1)),
            r100,
            Some(("PERCENT_PRICE_BY_SIDE", "BUY price 120.01")),
        ),
        case(
            "buy below bid band",
            limit(Buy, dec!(19.99), dec!(1)),
            r100,
            Some(("PERCENT_PRICE_BY_SIDE", "outside [20.0, 120.0]")),
        ),
        case(
            "buy at bid band edge",
            limit(Buy, dec!(120), dec!(1)),
            r100,
            None,
        ),
        case(
            "sell below ask band",
            limit(Sell, dec!(79.99), dec!(1)),
            r100,
            Some(("PERCENT_PRICE_BY_SIDE", "SELL price 79.99")),
        ),
        case(
            "sell above ask band",
            limit(Sell, dec!(500.01), dec!(1)),
            r100,
            Some(("PERCENT_PRICE_BY_SIDE", "outside [80.0, 500]")),
        ),
        case(
            "sell far above is fine up to ask band",
            limit(Sell, dec!(500), dec!(1)),
            r100,
            None,
        ),
        case(
            "band skipped without reference",
            limit(Buy, dec!(500), dec!(1)),
            None,
            None,
        ),
        case(
            "BUY STOP_LOSS_LIMIT delta below min above",
            trailing(Buy, StopLossLimit, 9),
            None,
            Some(("TRAILING_DELTA", "[10, 2000] (TrailingAboveDelta)")),
        ),
        case(
            "BUY STOP_LOSS_LIMIT delta above max above",
            trailing(Buy, StopLossLimit, 2001),
            None,
            Some(("TRAILING_DELTA", "TrailingAboveDelta")),
        ),
        case(
            "SELL TAKE_PROFIT_LIMIT uses above range",
            trailing(Sell, TakeProfitLimit, 1000),
            None,
            None,
        ),
        case(
            "SELL STOP_LOSS_LIMIT delta above max below",
            trailing(Sell, StopLossLimit, 501),
            None,
            Some(("TRAILING_DELTA", "[20, 500] (TrailingBelowDelta)")),
        ),
        case(
            "SELL STOP_LOSS_LIMIT delta below min below",
            trailing(Sell, StopLossLimit, 19),
            None,
            Some(("TRAILING_DELTA", "TrailingBelowDelta")),
        ),
        case(
            "BUY TAKE_PROFIT_LIMIT uses below range",
            trailing(Buy, TakeProfitLimit, 1000),
            None,
            Some(("TRAILING_DELTA", "TrailingBelowDelta")),
        ),
        case(
            "SELL STOP_LOSS_LIMIT delta in below range",
            trailing(Sell, StopLossLimit, 500),
            None,
            None,
        ),
        case(
            "LIMIT without price",
            OrderSpec {
                price: None,
                ..limit(Buy, dec!(1), dec!(1))
            },
            None,
            Some(("", "LIMIT needs a price")),
        ),
        case(
            "MARKET with price",
            OrderSpec {
                price: Some(p(dec!(1))),
                ..market(Buy, dec!(1))
            },
            None,
            Some(("", "MARKET takes no price")),
        ),
        case(
            "STOP_LOSS without stop or delta",
            OrderSpec {
                order_type: StopLoss,
                ..market(Sell, dec!(1))
            },
            None,
            Some(("", "needs a stopPrice or a trailingDelta")),
        ),
        case(
            "LIMIT with trailingDelta",
            OrderSpec {
                trailing_delta: Some(100),
                ..limit(Sell, dec!(100), dec!(1))
            },
            None,
            Some(("", "LIMIT takes no stopPrice or trailingDelta")),
        ),
        case(
            "LIMIT_MAKER with stopPrice",
            OrderSpec {
                order_type: LimitMaker,
                stop_price: Some(p(dec!(90))),
                time_in_force: Some(TimeInForce::Gtc),
                ..limit(Sell, dec!(100), dec!(1))
            },
            None,
            Some(("", "LIMIT_MAKER takes no stopPrice or trailingDelta")),
        ),
    ];
    for c in cases {
        let got = c.filters.check(&c.order, c.reference);
        match (c.expected, got) {
            (None, Ok(())) => {}
            (None, Err(e)) => panic!("{}: expected Ok, got {e}", c.label),
            (Some((name, _)), Ok(())) => panic!("{}: expected {name}, got Ok", c.label),
            (Some((name, part)), Err(e)) => {
                assert_eq!(e.filter_name().unwrap_or(""), name, "{}: {e}", c.label);
                assert!(
                    e.to_string().contains(part),
                    "{}: `{e}` lacks `{part}`",
                    c.label
                );
            }
        }
    }
}

#[test]
fn order_counts_table() {
    struct Case {
        label: &'static str,
        limits: usize,
        stops: usize,
        expected: Option<&'static str>,
    }
    let cases = [
        Case {
            label: "under both",
            limits: 1,
            stops: 1,
            expected: None,
        },
        Case {
            label: "at MAX_NUM_ORDERS",
            limits: 2,
            stops: 1,
            expected: None,
        },
        Case {
            label: "over MAX_NUM_ORDERS",
            limits: 4,
            stops: 0,
            expected: Some("MAX_NUM_ORDERS"),
        },
        Case {
            label: "over MAX_NUM_ALGO_ORDERS",
            limits: 0,
            stops: 2,
            expected: Some("MAX_NUM_ALGO_ORDERS"),
        },
        Case {
            label: "stops count toward MAX_NUM_ORDERS",
            limits: 3,
            stops: 1,
            expected: Some("MAX_NUM_ORDERS"),
        },
    ];
    let stop = trailing(Side::Sell, OrderType::StopLossLimit, 100);
    for c in cases {
        let mut orders = vec![limit(Side::Buy, dec!(100), dec!(1)); c.limits];
        orders.extend(std::iter::repeat_n(stop.clone(), c.stops));
        let got = full().check_counts(&orders).err();
        assert_eq!(
            got.as_ref().and_then(|e| e.filter_name()),
            c.expected,
            "{}",
            c.label
        );
    }
    let unlimited = SymbolFilters {
        max_num_orders: None,
        max_num_algo_orders: None,
        ..full()
    };
    assert_eq!(unlimited.check_counts(&vec![stop; 50]), Ok(()));
}

/// Tick or step sizes as Binance uses them: 1, 2, 5 or 25 times a power of ten.
fn increment() -> impl Strategy<Value = Decimal> {
    (prop::sample::select(vec![1i64, 2, 5, 25]), 0u32..=8).prop_map(|(m, s)| Decimal::new(m, s))
}

/// Filters with a tick/step grid starting at `k × increment`, a max on the grid, no other limits.
fn grid_filters() -> impl Strategy<Value = SymbolFilters> {
    (increment(), increment(), 1i64..4, 1i64..4).prop_map(|(tick, step, kp, kq)| {
        let mut f = SymbolFilters::basic(tick, step, Decimal::ZERO);
        f.notional = None;
        f.price.min_price = Price::new(tick * Decimal::from(kp));
        f.price.max_price = Price::new(f.price.min_price.get() + tick * dec!(1000000000));
        f.lot.min_qty = Qty::new(step * Decimal::from(kq));
        f.lot.max_qty = Qty::new(f.lot.min_qty.get() + step * dec!(1000000000));
        f
    })
}

/// A positive decimal with up to 10 places.
fn value() -> impl Strategy<Value = Decimal> {
    (1i64..1_000_000_000_000, 0u32..=10).prop_map(|(n, s)| Decimal::new(n, s))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rounding_is_idempotent(f in grid_filters(), v in value()) {
        for side in [Side::Buy, Side::Sell] {
            let once = f.round_price(side, Price::new(v));
            prop_assert_eq!(f.round_price(side, once), once);
        }
        let q = f.round_qty_down(Qty::new(v));
        prop_assert_eq!(f.round_qty_down(q), q);
    }

    #[test]
    fn buy_rounding_le_input_le_sell_rounding(f in grid_filters(), v in value()) {
        let v = Price::new(v);
        prop_assert!(f.round_price(Side::Buy, v) <= v);
        prop_assert!(v <= f.round_price(Side::Sell, v));
        prop_assert!(f.round_price(Side::Sell, v) - f.round_price(Side::Buy, v) <= f.price.tick_size);
    }

    #[test]
    fn qty_rounding_never_increases(f in grid_filters(), v in value()) {
        let q = f.round_qty_down(Qty::new(v));
        prop_assert!(q <= Qty::new(v));
        prop_assert!(q >= Qty::ZERO);
        prop_assert!(Qty::new(v) - q < f.lot.step_size || f.lot.step_size.is_zero());
    }

    #[test]
    fn rounded_prices_and_qtys_pass_their_filters(f in grid_filters(), pv in value(), qv in value()) {
        let in_range = |x: Decimal, lo: Decimal, hi: Decimal| x.max(lo).min(hi);
        let price = Price::new(in_range(pv, f.price.min_price.get(), f.price.max_price.get()));
        let qty = Qty::new(in_range(qv, f.lot.min_qty.get(), f.lot.max_qty.get()));
        let qty = f.round_qty_down(qty);
        for side in [Side::Buy, Side::Sell] {
            let slot = if side == Side::Buy { Slot::Buy(1) } else { Slot::Tp1 };
            let order = OrderSpec::limit(slot, f.round_price(side, price), qty);
            prop_assert_eq!(f.check(&order, None), Ok(()), "{:?}", order);
        }
    }

    #[test]
    fn min_qty_at_meets_lot_and_notional(f in grid_filters(), pv in value(), n in 1i64..10_000) {
        let mut f = f;
        f.notional = Some(NotionalFilter {
            kind: NotionalKind::Notional,
            min_notional: Quote::new(Decimal::from(n)),
            apply_min_to_market: true,
            max_notional: None,
            apply_max_to_market: false,
        });
        let pv = pv.max(f.price.min_price.get()).min(f.price.max_price.get());
        let price = f.round_price(Side::Buy, Price::new(pv));
        let qty = f.min_qty_at(price);
        prop_assume!(qty <= f.lot.max_qty);
        let order = OrderSpec::limit(Slot::Buy(1), price, qty);
        prop_assert_eq!(f.check(&order, None), Ok(()), "{:?}", order);
    }
}
