//! The range grid's config, validation and plan, on the worked example of
//! `.spec/strategies.md` §4 (FILUSDT, 3.00..5.00, 11 levels, budget 1000, start 4.10).

use super::fixtures::{range_config, range_mut, range_of};
use super::fixtures::{Price, Quote, StrategyConfig};
use crate::core::basket::{Basket, BasketStatus};
use crate::core::fill::{Commission, Fill};
use crate::core::filters::{SymbolFilters, SymbolRules, SymbolStatus};
use crate::core::money::{Amount, Pct, Qty};
use crate::core::order::{OrderSpec, OrderType, Side, Slot};
use crate::core::strategy::config::Rule;
use crate::core::strategy::plan::{Market, Phase, Plan};
use crate::core::symbol::Asset;
use crate::core::symbol::Symbol;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

pub(super) fn fil() -> SymbolRules {
    SymbolRules {
        symbol: Symbol::parse("FILUSDT").unwrap(),
        status: SymbolStatus::Trading,
        base_asset: Asset::parse("FIL").unwrap(),
        quote_asset: Asset::parse("USDT").unwrap(),
        order_types: vec![OrderType::Limit, OrderType::TakeProfitLimit],
        allow_trailing_stop: true,
        cancel_replace_allowed: true,
        amend_allowed: false,
        filters: SymbolFilters::basic(dec!(0.001), dec!(0.01), dec!(5)),
    }
}

pub(super) fn basket(config: &StrategyConfig, start: Decimal) -> Basket {
    Basket {
        id: 3,
        anchor: Price::new(start),
        config: config.clone(),
        status: BasketStatus::Active,
        carried_qty: Qty::ZERO,
        carried_cost: Quote::ZERO,
        created_ms: 0,
        trail_root: None,
    }
}

/// A fill paying 0.1 %: in FIL on buys, in USDT on sells.
fn fill(trade_id: u64, slot: Slot, price: Decimal, qty: Decimal) -> Fill {
    let (amount, asset) = match slot.side() {
        Side::Buy => (qty * dec!(0.001), "FIL"),
        Side::Sell => (price * qty * dec!(0.001), "USDT"),
    };
    Fill {
        trade_id,
        order_id: 100 + trade_id,
        slot,
        side: slot.side(),
        price: Price::new(price),
        qty: Qty::new(qty),
        commission: Commission {
            amount: Amount::new(amount),
            asset: Asset::parse(asset).unwrap(),
            quote_value: None,
        },
        is_maker: true,
        time_ms: 1_000 + i64::try_from(trade_id).unwrap(),
    }
}

fn plan_at(config: &StrategyConfig, fills: &[Fill], last: Decimal) -> Plan {
    let market = Market {
        last: Price::new(last),
        now_ms: 5_000,
        reference: None,
        indicators: None,
    };
    super::plan(
        config,
        range_of(config),
        &basket(config, dec!(4.10)),
        fills,
        &market,
        &fil(),
    )
}

fn orders(p: &Plan) -> Vec<(String, Decimal, Decimal)> {
    p.orders
        .iter()
        .map(|o: &OrderSpec| (o.slot.to_string(), o.price.unwrap().get(), o.qty.get()))
        .collect()
}

fn row(slot: &str, price: Decimal, qty: Decimal) -> (String, Decimal, Decimal) {
    (slot.to_string(), price, qty)
}

#[test]
fn a_range_file_reads_its_keys_and_the_basket_grid_stays_the_default() {
    let c = range_config();
    assert_eq!(c.kind.name(), "range");
    assert_eq!(range_of(&c).levels, 11);
    assert!(!c.auto_restart && !c.auto_reanchor);
    let basket = StrategyConfig::from_toml_str(
        "symbol = \"FILUSDT\"\nquote_budget = 1000\n[levels]\ncount = 2\nfirst_step_pct = 1\n\
         step_scale = 1\nvolume_scale = 1\n",
    )
    .unwrap();
    assert!(basket.kind.is_basket());
    // Journals and reports of basket grids do not change: the default kind is not written.
    assert!(!serde_json::to_string(&basket).unwrap().contains("kind"));
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(serde_json::from_str::<StrategyConfig>(&json).unwrap(), c);
}

#[test]
fn a_range_file_rejects_basket_keys_and_unknown_kinds() {
    let base = "kind = \"range\"\nsymbol = \"FILUSDT\"\nquote_budget = 1000\n";
    let table = "[range]\nlower = 3\nupper = 5\nlevels = 11\n";
    let err = StrategyConfig::from_toml_str(&format!("{base}tp1_pct = 2\n{table}")).unwrap_err();
    assert!(err.to_string().contains("tp1_pct"), "{err}");
    let err = StrategyConfig::from_toml_str(&format!("{base}{table}grids = 3\n")).unwrap_err();
    assert!(err.to_string().contains("grids"), "{err}");
    let other = base.replace("range", "martingale");
    let err = StrategyConfig::from_toml_str(&format!("{other}{table}")).unwrap_err();
    assert_eq!(err.key(), "kind");
}

fn rules_broken(c: &StrategyConfig) -> Vec<(String, Rule)> {
    super::validate(c, range_of(c))
        .err()
        .unwrap_or_default()
        .iter()
        .map(|e| (e.key().to_string(), e.rule().unwrap()))
        .collect()
}

#[test]
fn static_validation_names_each_broken_rule() {
    assert_eq!(rules_broken(&range_config()), []);
    type Edit = fn(&mut StrategyConfig);
    let cases: [(&str, Edit, (&str, Rule)); 5] = [
        (
            "bounds",
            |c| range_mut(c).lower = Price::new(dec!(5)),
            ("range.lower", Rule::RangeLowerBelowUpper),
        ),
        (
            "one level",
            |c| range_mut(c).levels = 1,
            ("range.levels", Rule::RangeAtLeastTwoLevels),
        ),
        (
            "stop above lower",
            |c| range_mut(c).stop_loss = Some(Price::new(dec!(3))),
            ("range.stop_loss", Rule::RangeStopBelowLower),
        ),
        // 251 levels: the top step 0.008 / 4.992 = 0.16 % does not clear two 0.1 % fees.
        (
            "step vs fees",
            |c| range_mut(c).levels = 251,
            ("range.levels", Rule::RangeStepClearsFees),
        ),
        (
            "budget",
            |c| c.quote_budget = Quote::ZERO,
            ("quote_budget", Rule::Positive),
        ),
    ];
    for (label, edit, expected) in cases {
        let mut c = range_config();
        edit(&mut c);
        assert_eq!(
            rules_broken(&c),
            [(expected.0.to_string(), expected.1)],
            "{label}"
        );
    }
    // 101 levels: step 0.02 / 4.98 = 0.4 % clears them.
    let mut ok = range_config();
    range_mut(&mut ok).levels = 101;
    assert_eq!(rules_broken(&ok), []);
}

fn preflight(c: &StrategyConfig, free: Decimal) -> Vec<(String, Rule)> {
    let anchor = Price::new(dec!(4.10));
    super::validate_for_market(c, range_of(c), Some(&fil()), anchor, Some(Quote::new(free)))
        .err()
        .unwrap_or_default()
        .iter()
        .map(|e| (e.key().to_string(), e.rule().unwrap()))
        .collect()
}

#[test]
fn the_preflight_checks_every_level_s_notional_the_ticks_and_the_budget() {
    assert_eq!(preflight(&range_config(), dec!(1000)), []);
    assert_eq!(
        preflight(&range_config(), dec!(999)),
        [("quote_budget".to_string(), Rule::BudgetExceedsBalance)]
    );
    // 4 quote per cell: B10 buys 0.83 at 4.8 = 3.984 < 5, its sell nets 0.82 at 5 = 4.1 < 5.
    let mut small = range_config();
    small.quote_budget = Quote::new(dec!(40));
    let broken = preflight(&small, dec!(1000));
    assert!(broken
        .iter()
        .all(|(k, r)| k == "quote_budget" && *r == Rule::BelowMinNotional));
    // Every cell's buy and sell fails: 10 cells × 2.
    assert_eq!(broken.len(), 20, "{broken:?}");
    let mut dense = range_config();
    let r = range_mut(&mut dense);
    (r.lower, r.upper, r.levels) = (Price::new(dec!(3)), Price::new(dec!(3.004)), 6);
    dense.fee_pct = Pct::new(dec!(0));
    assert!(preflight(&dense, dec!(1000))
        .contains(&("range.levels".to_string(), Rule::RangeLevelsDistinct)));
}

#[test]
fn at_start_only_the_levels_below_the_price_hold_a_buy_nearest_first() {
    let p = plan_at(&range_config(), &[], dec!(4.10));
    assert_eq!(
        orders(&p),
        [
            row("B6", dec!(4.0), dec!(25.00)),
            row("B5", dec!(3.8), dec!(26.31)),
            row("B4", dec!(3.6), dec!(27.77)),
            row("B3", dec!(3.4), dec!(29.41)),
            row("B2", dec!(3.2), dec!(31.25)),
            row("B1", dec!(3.0), dec!(33.33)),
        ]
    );
    assert_eq!(p.meta.phase, Phase::Accumulating);
    // Placed iff last > 4.0: the band ends at the nearest buy and is open upwards.
    assert_eq!(
        (p.meta.replan_below, p.meta.replan_above),
        (Some(Price::new(dec!(4.0))), None)
    );
    // Below a buy level the buy is held back (never a buy at or above last).
    let low = plan_at(&range_config(), &[], dec!(3.7));
    assert_eq!(low.orders.first().map(|o| o.slot), Some(Slot::Buy(4)));
}

#[test]
fn a_filled_buy_is_sold_one_level_up_net_of_the_fee_then_bought_again() {
    let c = range_config();
    let bought = [fill(1, Slot::Buy(6), dec!(4.0), dec!(25))];
    let p = plan_at(&c, &bought, dec!(3.95));
    // 25 − 0.025 FIL fee = 24.975, floored to 24.97, one level up at 4.2.
    assert_eq!(
        p.orders.last().map(|o| (o.slot, o.qty)),
        Some((Slot::Sell(7), Qty::new(dec!(24.97))))
    );
    assert!(!p.orders.iter().any(|o| o.slot == Slot::Buy(6)));
    let sold = [
        bought[0].clone(),
        fill(2, Slot::Sell(7), dec!(4.2), dec!(24.97)),
    ];
    let p = plan_at(&c, &sold, dec!(4.25));
    assert_eq!(orders(&p)[0], row("B6", dec!(4.0), dec!(25.00)));
    assert!(!p.orders.iter().any(|o| o.side == Side::Sell));
    // 0.005 FIL of dust stays held and rides with the next sell.
    assert_eq!(p.meta.position, Qty::new(dec!(0.005)));
    assert!(p.meta.realised_pnl > Quote::new(dec!(4.7)));
}

#[test]
fn a_partly_filled_buy_asks_for_its_rest_and_sells_nothing_yet() {
    let c = range_config();
    let part = [fill(1, Slot::Buy(6), dec!(4.0), dec!(10))];
    let p = plan_at(&c, &part, dec!(4.05));
    assert_eq!(orders(&p)[0], row("B6", dec!(4.0), dec!(15.00)));
    assert!(!p.orders.iter().any(|o| o.side == Side::Sell));
}

#[test]
fn reinvestment_raises_the_next_slice_by_the_profit() {
    let mut c = range_config();
    range_mut(&mut c).reinvest = true;
    let sold = [
        fill(1, Slot::Buy(6), dec!(4.0), dec!(25)),
        fill(2, Slot::Sell(7), dec!(4.2), dec!(24.97)),
    ];
    let p = plan_at(&c, &sold, dec!(4.25));
    // (1000 + 4.769126) / 10 / 4.0 = 25.119…: 25.11 instead of 25.00.
    assert_eq!(orders(&p)[0], row("B6", dec!(4.0), dec!(25.11)));
    // Rounds that started before the profit keep their slice.
    assert_eq!(orders(&p)[1], row("B5", dec!(3.8), dec!(26.31)));
}

#[test]
fn above_the_range_nothing_new_and_the_stop_loss_sells_everything_then_ends() {
    let mut c = range_config();
    range_mut(&mut c).stop_loss = Some(Price::new(dec!(2.5)));
    let bought = [fill(1, Slot::Buy(1), dec!(3.0), dec!(33.33))];
    // Above upper: the sell still rests, nothing beyond the range.
    let high = plan_at(&c, &bought, dec!(6));
    assert!(high
        .orders
        .iter()
        .all(|o| o.price.unwrap() <= Price::new(dec!(5))));
    // At the stop: one EXIT of the position 33.29667 → 33.29 at 2.5 × 0.97 = 2.425.
    let stop = plan_at(&c, &bought, dec!(2.5));
    assert_eq!(orders(&stop), [row("EXIT", dec!(2.425), dec!(33.29))]);
    assert_eq!(stop.meta.phase, Phase::Exiting);
    let exited = [
        bought[0].clone(),
        fill(2, Slot::Exit, dec!(2.425), dec!(33.29)),
    ];
    let done = plan_at(&c, &exited, dec!(2.9));
    assert!(done.meta.done && done.orders.is_empty());
    // A stop with nothing held ends the grid at once.
    assert!(plan_at(&c, &[], dec!(2.4)).meta.done);
    assert!(!plan_at(&c, &[], dec!(2.6)).meta.done);
}
