//! The plan invariants of the one-position strategies (mean reversion, trend; numbered as in
//! their module docs), on random configurations walked through random candles fed to the
//! indicators, with random partial fills paying base, quote or BNB fees. Each strategy's
//! `proptests` draws its configurations and calls [`walk`]; on configurations that passed
//! the market preflight, [`walk_validated`] also asks that the strategy sized every order
//! inside the filters itself (the shared `apply_filters` safety net never fires).

use crate::core::basket::{Basket, BasketStatus};
use crate::core::candle::Candle;
use crate::core::fill::{Commission, Fill};
use crate::core::filters::{SymbolFilters, SymbolRules, SymbolStatus};
use crate::core::indicators::{Indicators, VolMeasure};
use crate::core::money::{Amount, Pct, Price, Qty, Quote};
use crate::core::order::{OrderSpec, OrderType, Side, Slot};
use crate::core::strategy::config::volatility::VolatilityConfig;
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::kind::{indicator_spec, plan};
use crate::core::strategy::plan::{Market, Phase, Plan, PlanWarning};
use crate::core::symbol::{Asset, Symbol};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::BTreeSet;

/// FILUSDT-like rules with the given tick and step exponents and notional minimum.
pub(crate) fn rules(tick: u32, step: u32, min_notional: i64) -> SymbolRules {
    SymbolRules {
        symbol: Symbol::parse("FILUSDT").unwrap(),
        status: SymbolStatus::Trading,
        base_asset: Asset::parse("FIL").unwrap(),
        quote_asset: Asset::parse("USDT").unwrap(),
        order_types: vec![OrderType::Limit],
        allow_trailing_stop: false,
        cancel_replace_allowed: true,
        amend_allowed: false,
        filters: SymbolFilters::basic(
            Decimal::new(1, tick),
            Decimal::new(1, step),
            Decimal::from(min_notional),
        ),
    }
}

/// Filters that bind: a coarse lot step (1 or 0.1 at prices 1..9) and a budget of 1 to 3
/// notional minimums, optionally shrunk further by volatility sizing (up to ÷3): the entry,
/// the target and the stop's exit all sit near `minQty`, the step and the notional minimum.
/// Returns the rules, the budget and the `[volatility]` table.
pub(crate) fn arb_tight() -> impl Strategy<Value = (SymbolRules, Quote, Option<VolatilityConfig>)> {
    (
        (2u32..4, 0u32..2, 1i64..11, 10i64..31),
        prop::option::of((any::<bool>(), 2u16..8, 1i64..30, 5i64..11, 10i64..31)),
    )
        .prop_map(|((tick, step, min_notional, times), vol)| {
            let budget = Quote::new(Decimal::new(min_notional * times, 1));
            let vol = vol.map(|(stdev, window, reference, min, max)| VolatilityConfig {
                measure: if stdev {
                    VolMeasure::Stdev
                } else {
                    VolMeasure::Atr
                },
                window,
                reference_pct: Pct::new(Decimal::new(reference, 2)),
                min_factor: Decimal::new(min, 1),
                max_factor: Decimal::new(max, 1),
                factor: None,
            });
            (rules(tick, step, min_notional), budget, vol)
        })
}

/// A basket of `config` started at `start`.
pub(crate) fn basket(config: &StrategyConfig, start: Price) -> Basket {
    Basket {
        id: 4,
        anchor: start,
        config: config.clone(),
        status: BasketStatus::Active,
        carried_qty: Qty::ZERO,
        carried_cost: Quote::ZERO,
        created_ms: 0,
        trail_root: None,
    }
}

/// One candle of the walk: the close's move, the upper and lower wicks (per mille), which
/// orders fill (bit mask), how much of each (per mille), and whether fees are paid in BNB.
pub(crate) type Step = (i64, i64, i64, u16, i64, bool);

/// Up to 60 candles.
pub(crate) fn arb_steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (
            -40i64..41,
            0i64..25,
            0i64..25,
            any::<u16>(),
            100i64..1001,
            any::<bool>(),
        ),
        1..60,
    )
}

/// Candles from `start` along `steps`, one minute each, prices on the tick.
pub(crate) fn candles(start: Price, steps: &[Step], filters: &SymbolFilters) -> Vec<Candle> {
    let tick = filters.price.tick_size;
    let on_tick = |d: Decimal| filters.round_price_down(Price::new(d)).max(tick);
    let mut open = start;
    steps
        .iter()
        .zip(0i64..)
        .map(|(&(mv, up, down, ..), i)| {
            let close = on_tick(open.get() * (Decimal::ONE + Decimal::new(mv, 3)));
            let top = open.max(close).get() * (Decimal::ONE + Decimal::new(up, 3));
            let bottom = open.min(close).get() * (Decimal::ONE - Decimal::new(down, 3));
            let c = Candle {
                open_time_ms: i * 60_000,
                open,
                high: filters.round_price_up(Price::new(top)),
                low: on_tick(bottom).min(open.min(close)),
                close,
                volume: Qty::ZERO,
                close_time_ms: i * 60_000 + 59_999,
            };
            open = close;
            c
        })
        .collect()
}

/// Walks the candles: feeds each to the indicators, plans at its close, checks the
/// invariants, then fills orders as the step says.
pub(crate) fn walk(
    config: &StrategyConfig,
    rules: &SymbolRules,
    start: Price,
    steps: &[Step],
) -> Result<(), TestCaseError> {
    walk_with(config, rules, start, steps, false).map(|_| ())
}

/// [`walk`] on a configuration that passed `kind::validate_for_market` at `start`: no
/// order is ever dropped by a filter (entries too small are not planned at all), and an
/// exit is either placed or reported too small. Returns how many entries were planned.
pub(crate) fn walk_validated(
    config: &StrategyConfig,
    rules: &SymbolRules,
    start: Price,
    steps: &[Step],
) -> Result<usize, TestCaseError> {
    walk_with(config, rules, start, steps, true)
}

fn walk_with(
    config: &StrategyConfig,
    rules: &SymbolRules,
    start: Price,
    steps: &[Step],
    validated: bool,
) -> Result<usize, TestCaseError> {
    let mut entries = 0;
    let basket = basket(config, start);
    let mut indicators = Indicators::new(indicator_spec(config).expect("reads indicators"));
    let mut fills: Vec<Fill> = Vec::new();
    for (c, step) in candles(start, steps, &rules.filters).iter().zip(steps) {
        indicators.push(c);
        let market = Market {
            last: c.close,
            now_ms: c.close_time_ms,
            reference: None,
            indicators: indicators.snapshot(),
        };
        // Live, `last` moves inside the next candle with the snapshot fixed: check there too.
        for last in [c.low, c.high] {
            let inside = Market { last, ..market };
            let q = plan(config, &basket, &fills, &inside, rules);
            check(config, &basket, &fills, &inside, rules, &q)?;
            if validated {
                check_sized_inside_filters(&q)?;
            }
        }
        let p = plan(config, &basket, &fills, &market, rules);
        check(config, &basket, &fills, &market, rules, &p)?;
        if validated {
            check_sized_inside_filters(&p)?;
        }
        entries += p.orders.iter().filter(|o| o.side == Side::Buy).count();
        let (_, _, _, mask, share, bnb) = *step;
        for (k, order) in p.orders.iter().enumerate() {
            if mask & (1 << (k % 16)) == 0 {
                continue;
            }
            let f = &rules.filters;
            let qty = f
                .round_qty_down(order.qty.scale(Decimal::new(share, 3)))
                .max(Qty::new(f.lot.step_size.get()))
                .min(order.qty);
            let id = u64::try_from(fills.len()).unwrap() + 1;
            fills.push(fill_of(id, order, qty, bnb, c.close_time_ms));
        }
    }
    Ok(entries)
}

/// The strategy's own sizing kept every order inside the filters: nothing was dropped by
/// the safety net, and while exiting the `EXIT` is placed unless the position is dust.
fn check_sized_inside_filters(p: &Plan) -> Result<(), TestCaseError> {
    let dropped = p
        .meta
        .warnings
        .iter()
        .any(|w| matches!(w, PlanWarning::Dropped { .. }));
    prop_assert!(!dropped, "{:?} / {:?}", p.orders, p.meta.warnings);
    if p.meta.phase == Phase::Exiting {
        let exit = p.orders.iter().any(|o| o.slot == Slot::Exit);
        let too_small = p
            .meta
            .warnings
            .iter()
            .any(|w| matches!(w, PlanWarning::ExitTooSmall { .. }));
        prop_assert!(exit != too_small, "{:?}", p.meta);
    }
    Ok(())
}

fn check(
    config: &StrategyConfig,
    basket: &Basket,
    fills: &[Fill],
    market: &Market,
    rules: &SymbolRules,
    p: &Plan,
) -> Result<(), TestCaseError> {
    let filters = &rules.filters;
    let last = market.last;
    // 1. Filters.
    for o in &p.orders {
        prop_assert!(filters.check(o, Some(last)).is_ok(), "{o:?}");
    }
    prop_assert!(filters.check_counts(&p.orders).is_ok());
    // 2. Sells within the position.
    let sold: Qty = p
        .orders
        .iter()
        .filter(|o| o.side == Side::Sell)
        .map(|o| o.qty)
        .sum();
    prop_assert!(
        sold <= p.meta.position.max(Qty::ZERO),
        "{sold} > {}",
        p.meta.position
    );
    // 3. No buy at or above last, none above the budget.
    for o in p.orders.iter().filter(|o| o.side == Side::Buy) {
        prop_assert!(o.price.unwrap() < last, "{o:?} at {last}");
        prop_assert!(o.price.unwrap() * o.qty <= config.quote_budget, "{o:?}");
    }
    // 4. Deterministic under any fill order.
    let mut reversed = fills.to_vec();
    reversed.reverse();
    prop_assert_eq!(&plan(config, basket, &reversed, market, rules), p);
    // 5. Replan band (same indicators).
    let (below, above) = (p.meta.replan_below, p.meta.replan_above);
    prop_assert!(below.is_none_or(|b| b <= last) && above.is_none_or(|a| last <= a));
    let mut probes = Vec::new();
    match below {
        Some(b) if b < last => probes.push((b.get() + last.get()) / Decimal::TWO),
        None => probes.push(last.get() / Decimal::TWO),
        _ => {}
    }
    match above {
        Some(a) if a > last => probes.push((a.get() + last.get()) / Decimal::TWO),
        None => probes.push(last.get() * Decimal::TWO),
        _ => {}
    }
    for x in probes {
        let at = Market {
            last: Price::new(x),
            ..*market
        };
        let q = plan(config, basket, fills, &at, rules);
        prop_assert_eq!(&q.orders, &p.orders, "at {}", x);
    }
    // 6. One order per slot, never a buy and a sell together.
    let slots: BTreeSet<Slot> = p.orders.iter().map(|o| o.slot).collect();
    prop_assert_eq!(slots.len(), p.orders.len());
    let sides: BTreeSet<bool> = p.orders.iter().map(|o| o.side == Side::Buy).collect();
    prop_assert!(sides.len() <= 1, "{:?}", p.orders);
    Ok(())
}

fn fill_of(id: u64, order: &OrderSpec, qty: Qty, bnb: bool, time_ms: i64) -> Fill {
    let price = order.price.unwrap();
    let (amount, asset) = match (bnb, order.side) {
        (true, _) => (Amount::new(dec!(0.0001)), "BNB"),
        (false, Side::Buy) => (qty.scale(dec!(0.001)).as_amount(), "FIL"),
        (false, Side::Sell) => ((price * qty).scale(dec!(0.001)).as_amount(), "USDT"),
    };
    Fill {
        trade_id: id,
        order_id: id,
        slot: order.slot,
        side: order.side,
        price,
        qty,
        commission: Commission {
            amount,
            asset: Asset::parse(asset).unwrap(),
            quote_value: None,
        },
        is_maker: true,
        time_ms: time_ms + i64::try_from(id).unwrap(),
    }
}
