use super::*;
use crate::core::basket::BasketStatus;
use crate::core::fill::Commission;
use crate::core::filters::{PercentPriceBySide, SymbolStatus, TrailingDeltaFilter};
use crate::core::money::{Amount, Pct, Qty, Quote};
use crate::core::order::TimeInForce;
use crate::core::strategy::config::{fixtures, ExtensionConfig};
use crate::core::symbol::{Asset, Symbol};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

pub(super) fn rules(filters: SymbolFilters) -> SymbolRules {
    SymbolRules {
        symbol: Symbol::parse("SOLUSDC").unwrap(),
        status: SymbolStatus::Trading,
        base_asset: Asset::parse("SOL").unwrap(),
        quote_asset: Asset::parse("USDC").unwrap(),
        order_types: vec![
            OrderType::Limit,
            OrderType::LimitMaker,
            OrderType::Market,
            OrderType::StopLossLimit,
            OrderType::TakeProfitLimit,
        ],
        allow_trailing_stop: true,
        cancel_replace_allowed: true,
        amend_allowed: false,
        filters,
    }
}

/// The worked example's filters: tick 0.01, step 0.001, min notional 5.
pub(super) fn sol() -> SymbolRules {
    rules(SymbolFilters::basic(dec!(0.01), dec!(0.001), dec!(5)))
}

pub(super) fn basket(config: &StrategyConfig, anchor: Decimal) -> Basket {
    Basket {
        id: 7,
        anchor: Price::new(anchor),
        config: config.clone(),
        status: BasketStatus::Active,
        carried_qty: Qty::ZERO,
        carried_cost: Quote::ZERO,
        created_ms: 1_000_000,
        trail_root: None,
    }
}

/// A fill paying Binance's default 0.1 %: in the base asset on buys, in quote on sells.
pub(super) fn fill(trade_id: u64, slot: Slot, price: Decimal, qty: Decimal) -> Fill {
    let (amount, asset) = match slot.side() {
        Side::Buy => (qty * dec!(0.001), "SOL"),
        Side::Sell => (price * qty * dec!(0.001), "USDC"),
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
        time_ms: 2_000_000 + i64::try_from(trade_id).unwrap(),
    }
}

pub(super) fn at(last: Decimal) -> Market {
    Market {
        last: Price::new(last),
        now_ms: 2_000_000,
        reference: None,
        indicators: None,
    }
}

fn run(config: &StrategyConfig, fills: &[Fill], last: Decimal) -> Plan {
    plan(config, &basket(config, dec!(150)), fills, &at(last), &sol())
}

fn slots(p: &Plan) -> Vec<String> {
    p.orders.iter().map(|o| o.slot.to_string()).collect()
}

fn order(p: &Plan, slot: Slot) -> &OrderSpec {
    p.orders.iter().find(|o| o.slot == slot).unwrap()
}

fn px(d: Decimal) -> Option<Price> {
    Some(Price::new(d))
}

/// `.spec/strategy.md` §7, every number checked.
#[test]
fn worked_example() {
    let cfg = fixtures::worked_example();

    // Step 0: no fill, last 150 = P0. Levels (see levels.rs for the derivation):
    // B1 148.50 × 0.744, B2 146.25 × 0.982, B3 142.87 × 1.308, B4 137.81 × 1.762,
    // B5 130.21 × 2.425. No position → no sells.
    let p0 = run(&cfg, &[], dec!(150));
    let buys: Vec<_> = p0
        .orders
        .iter()
        .map(|o| (o.slot, o.price.unwrap().get(), o.qty.get()))
        .collect();
    assert_eq!(
        buys,
        [
            (Slot::Buy(1), dec!(148.50), dec!(0.744)),
            (Slot::Buy(2), dec!(146.25), dec!(0.982)),
            (Slot::Buy(3), dec!(142.87), dec!(1.308)),
            (Slot::Buy(4), dec!(137.81), dec!(1.762)),
            (Slot::Buy(5), dec!(130.21), dec!(2.425)),
        ]
    );
    assert!(p0
        .orders
        .iter()
        .all(|o| o.order_type == OrderType::Limit && o.time_in_force == Some(TimeInForce::Gtc)));
    assert_eq!(p0.meta.phase, Phase::Accumulating);
    // Band: B1 at 148.50 below; reanchor at 150 × 1.02 = 153 above.
    assert_eq!(
        (p0.meta.replan_below, p0.meta.replan_above),
        (px(dec!(148.50)), px(dec!(153)))
    );
    // Cooldown 600 s from created_ms 1 000 000.
    assert_eq!(p0.meta.reanchor_eligible_at_ms, Some(1_600_000));

    // Step 1: B1 and B2 fill, each paying 0.1 % in SOL; last 146.00.
    let fills = vec![
        fill(1, Slot::Buy(1), dec!(148.50), dec!(0.744)),
        fill(2, Slot::Buy(2), dec!(146.25), dec!(0.982)),
    ];
    let p1 = run(&cfg, &fills, dec!(146.00));
    // Position = 0.744 + 0.982 − 0.000744 − 0.000982 = 1.724274.
    assert_eq!(p1.meta.position, Qty::new(dec!(1.724274)));
    // Cost = 148.50 × 0.744 + 146.25 × 0.982 = 110.484 + 143.6175 = 254.1015;
    // VWAP = 254.1015 / 1.724274 = 147.36723977743676…
    let vwap = p1.meta.vwap.unwrap();
    assert_eq!(vwap.get().round_dp(10), dec!(147.3672397774));
    assert_eq!(p1.meta.depth, 2);
    assert_eq!(p1.meta.phase, Phase::Accumulating);
    // Unrealised at 146: 146 × 1.724274 − 254.1015 = 251.744004 − 254.1015 = −2.357496.
    assert_eq!(p1.meta.unrealised_pnl, Quote::new(dec!(-2.357496)));
    assert_eq!(p1.meta.reanchor_eligible_at_ms, None);
    assert_eq!(
        slots(&p1),
        ["B3", "B4", "B5", "TP1", "TP2", "TR"].map(String::from)
    );
    // TP1: 1.5 − 2 × 0.15 = 1.2 % → 147.3672… × 1.012 = 149.1356… → up to 149.14;
    // qty 1.724274 × 50 % = 0.862137 → 0.862.
    let tp1 = order(&p1, Slot::Tp1);
    assert_eq!(
        (tp1.price, tp1.qty),
        (px(dec!(149.14)), Qty::new(dec!(0.862)))
    );
    // TP2: 3.0 − 0.3 = 2.7 % → × 1.027 = 151.3461… → 151.35; cumulative 0.862137 +
    // 0.5172822 = 1.3794192, minus 0.862 sold by TP1 = 0.5174192 → 0.517.
    let tp2 = order(&p1, Slot::Tp2);
    assert_eq!(
        (tp2.price, tp2.qty),
        (px(dec!(151.35)), Qty::new(dec!(0.517)))
    );
    // TR: the rest 1.724274 − 0.862 − 0.517 = 0.345274 → 0.345; activation (stopPrice)
    // 147.3672… × 1.02 = 150.3145… → 150.32; limit 150.32 × 0.99 = 148.8168 → 148.82
    // (above the floor 147.3672… × 1.002 = 147.6619…); trailingDelta 1 % = 100 BIPS.
    let tr = order(&p1, Slot::Tr);
    assert_eq!(tr.order_type, OrderType::TakeProfitLimit);
    assert_eq!(tr.side, Side::Sell);
    assert_eq!(
        (tr.stop_price, tr.price, tr.trailing_delta, tr.qty),
        (
            px(dec!(150.32)),
            px(dec!(148.82)),
            Some(100),
            Qty::new(dec!(0.345))
        )
    );
    // 0.862 + 0.517 + 0.345 = 1.724 ≤ 1.724274 (0.000274 dust stays).
    // Band: B3 at 142.87 below, B2 (146.25, filled) no longer counts; the hard stop
    // 150 × 0.85 = 127.5 is lower; above, the TR's activation price 150.32 (from there on
    // the TR goes without stopPrice; fills block reanchor).
    assert_eq!(
        (p1.meta.replan_below, p1.meta.replan_above),
        (px(dec!(142.87)), px(dec!(150.32)))
    );

    // Step 2: TP1 fills at 149.14 (0.1 % fee in USDC); last 149.20.
    let mut fills2 = fills.clone();
    fills2.push(fill(3, Slot::Tp1, dec!(149.14), dec!(0.862)));
    let p2 = run(&cfg, &fills2, dec!(149.20));
    // Position 1.724274 − 0.862 = 0.862274; VWAP unchanged.
    assert_eq!(p2.meta.position, Qty::new(dec!(0.862274)));
    assert_eq!(
        p2.meta.vwap.unwrap().get().round_dp(20),
        vwap.get().round_dp(20)
    );
    // Realised: 149.14 × 0.862 = 128.55868, fee 0.12855868, cost 0.862 × 147.3672… =
    // 127.0305606… → 128.55868 − 0.12855868 − 127.03056068… = 1.39956063…
    assert_eq!(p2.meta.realised_pnl.get().round_dp(8), dec!(1.39956063));
    assert_eq!(p2.meta.phase, Phase::Distributing);
    // Breakeven: no buys at all; TP2 : TR = 30 : 20 of the rest.
    assert_eq!(slots(&p2), ["TP2", "TR"].map(String::from));
    // TP2 = 0.862274 × 0.3 / 0.5 = 0.5173644 → 0.517; TR = 0.862274 − 0.517 = 0.345274
    // → 0.345. Prices unchanged (same VWAP, same depth).
    let tp2 = order(&p2, Slot::Tp2);
    assert_eq!(
        (tp2.price, tp2.qty),
        (px(dec!(151.35)), Qty::new(dec!(0.517)))
    );
    let tr = order(&p2, Slot::Tr);
    assert_eq!(
        (tr.stop_price, tr.price, tr.qty),
        (px(dec!(150.32)), px(dec!(148.82)), Qty::new(dec!(0.345)))
    );
    // The TR never sells below VWAP plus two fees.
    let floor = vwap.scale(dec!(1.002));
    assert!(tr.price.unwrap() >= floor && tr.stop_price.unwrap() >= floor);
    // Nothing in the plan depends on last any more except the hard stop at 127.5 and the
    // TR's activation price 150.32.
    assert_eq!(
        (p2.meta.replan_below, p2.meta.replan_above),
        (px(dec!(127.5)), px(dec!(150.32)))
    );
    // At or above the activation price the TR trails at once, without stopPrice (Binance
    // refuses a stop that would trigger immediately); the rest of the plan is the same.
    let above = run(&cfg, &fills2, dec!(150.32));
    let tr_above = order(&above, Slot::Tr);
    assert_eq!(tr_above.stop_price, None);
    assert_eq!(
        (tr_above.price, tr_above.trailing_delta, tr_above.qty),
        (tr.price, tr.trailing_delta, tr.qty)
    );
    assert_eq!(above.meta.replan_below, px(dec!(150.32)));
}

#[test]
fn trailing_limit_never_below_breakeven_floor() {
    // Activation 0.5 %, delta 1 %: 0.99 × 1.005 = 0.99495 VWAP is below the floor
    // 1.002 VWAP, so the limit sits at the floor.
    let mut cfg = fixtures::worked_example();
    cfg.trail_activation_pct = Pct::new(dec!(0.5));
    let fills = [fill(1, Slot::Buy(1), dec!(100), dec!(1))];
    let p = plan(
        &cfg,
        &basket(&cfg, dec!(101)),
        &fills,
        &at(dec!(100)),
        &sol(),
    );
    // VWAP = 100 / 0.999 = 100.1001…; stop = 100.6006… → 100.61;
    // floor = 100.3003… → limit 100.31.
    let tr = order(&p, Slot::Tr);
    assert_eq!(
        (tr.stop_price, tr.price),
        (px(dec!(100.61)), px(dec!(100.31)))
    );
}

#[test]
fn tr_is_a_plain_limit_when_the_symbol_has_no_trailing_stop() {
    let cfg = fixtures::worked_example();
    let mut r = sol();
    r.allow_trailing_stop = false;
    let fills = [fill(1, Slot::Buy(1), dec!(148.50), dec!(0.744))];
    let p = plan(&cfg, &basket(&cfg, dec!(150)), &fills, &at(dec!(148)), &r);
    let tr = order(&p, Slot::Tr);
    assert_eq!(tr.order_type, OrderType::Limit);
    assert_eq!((tr.stop_price, tr.trailing_delta), (None, None));
    assert!(p.meta.warnings.contains(&PlanWarning::TrailingUnavailable));
}

struct PhaseCase {
    label: &'static str,
    fills: Vec<Fill>,
    last: Decimal,
    phase: Phase,
    slots: Vec<&'static str>,
}

#[test]
fn phase_transitions() {
    let cfg = fixtures::worked_example();
    let b1 = || fill(1, Slot::Buy(1), dec!(148.50), dec!(0.744));
    // B1 alone: position 0.743256; TP1 0.371, TP2 0.223, TR 0.149 (all ≥ 5 USDC).
    let cases = [
        PhaseCase {
            label: "fresh basket accumulates",
            fills: vec![],
            last: dec!(149),
            phase: Phase::Accumulating,
            slots: vec!["B1", "B2", "B3", "B4", "B5"],
        },
        PhaseCase {
            label: "a position alone still accumulates, with sells",
            fills: vec![b1()],
            last: dec!(148),
            phase: Phase::Accumulating,
            slots: vec!["B2", "B3", "B4", "B5", "TP1", "TP2", "TR"],
        },
        PhaseCase {
            label: "after TP1 it distributes (breakeven: no buys)",
            fills: vec![b1(), fill(2, Slot::Tp1, dec!(150.52), dec!(0.371))],
            last: dec!(150),
            phase: Phase::Distributing,
            slots: vec!["TP2", "TR"],
        },
        PhaseCase {
            label: "after TP1 and TP2 only TR is left",
            fills: vec![
                b1(),
                fill(2, Slot::Tp1, dec!(150.52), dec!(0.371)),
                fill(3, Slot::Tp2, dec!(152.74), dec!(0.222)),
            ],
            last: dec!(152),
            phase: Phase::Distributing,
            slots: vec!["TR"],
        },
        PhaseCase {
            label: "at the hard stop it exits",
            fills: vec![b1()],
            last: dec!(127.50),
            phase: Phase::Exiting,
            slots: vec!["EXIT"],
        },
        PhaseCase {
            label: "everything sold: done, no orders",
            fills: vec![
                b1(),
                fill(2, Slot::Tp1, dec!(150.52), dec!(0.371)),
                fill(3, Slot::Tp2, dec!(152.74), dec!(0.222)),
                fill(4, Slot::Tr, dec!(153), dec!(0.150)),
            ],
            last: dec!(152),
            phase: Phase::Done,
            slots: vec![],
        },
    ];
    for c in cases {
        let p = run(&cfg, &c.fills, c.last);
        assert_eq!(p.meta.phase, c.phase, "{}", c.label);
        assert_eq!(slots(&p), c.slots, "{}", c.label);
        assert_eq!(p.meta.done, c.phase == Phase::Done, "{}", c.label);
    }
}

#[test]
fn hard_stop_exits_the_whole_position_and_stays_exiting() {
    let cfg = fixtures::worked_example();
    let fills = vec![
        fill(1, Slot::Buy(1), dec!(148.50), dec!(0.744)),
        fill(2, Slot::Buy(2), dec!(146.25), dec!(0.982)),
    ];
    // Hard stop 150 × 0.85 = 127.5. Last 127.49: limit 127.49 × 0.97 = 123.6653 → 123.66,
    // qty 1.724274 → 1.724.
    let p = run(&cfg, &fills, dec!(127.49));
    assert_eq!(
        p.orders,
        [OrderSpec::limit(
            Slot::Exit,
            Price::new(dec!(123.66)),
            Qty::new(dec!(1.724))
        )]
    );
    assert_eq!(p.meta.phase, Phase::Exiting);
    assert_eq!(
        (p.meta.replan_below, p.meta.replan_above),
        (px(dec!(127.49)), px(dec!(127.49)))
    );
    // Just above the stop: no exit.
    assert_eq!(
        run(&cfg, &fills, dec!(127.51)).meta.phase,
        Phase::Accumulating
    );
    // A partial EXIT fill keeps exiting even when the price recovers.
    let mut partial = fills.clone();
    partial.push(fill(3, Slot::Exit, dec!(124), dec!(1)));
    let p = run(&cfg, &partial, dec!(135));
    // 1.724274 − 1 = 0.724274 → 0.724 at 135 × 0.97 = 130.95.
    assert_eq!(
        p.orders,
        [OrderSpec::limit(
            Slot::Exit,
            Price::new(dec!(130.95)),
            Qty::new(dec!(0.724))
        )]
    );
    // Once the EXIT took everything sellable, the basket is done.
    partial.push(fill(4, Slot::Exit, dec!(130.95), dec!(0.724)));
    let p = run(&cfg, &partial, dec!(135));
    assert!(p.meta.done && p.orders.is_empty());
    assert_eq!(p.meta.phase, Phase::Done);
    // A percent-price band around the reference lifts the exit to the lowest accepted ask:
    // reference 135 × 0.95 = 128.25 > 127.49 × 0.97 = 123.66.
    let mut r = sol();
    r.filters.percent_price = Some(PercentPriceBySide {
        bid_multiplier_up: dec!(1.05),
        bid_multiplier_down: dec!(0.95),
        ask_multiplier_up: dec!(1.05),
        ask_multiplier_down: dec!(0.95),
    });
    let market = Market {
        reference: px(dec!(135)),
        ..at(dec!(127.49))
    };
    let p = plan(&cfg, &basket(&cfg, dec!(150)), &fills, &market, &r);
    assert_eq!(order(&p, Slot::Exit).price, px(dec!(128.25)));
    // No position: a crash through the stop plans nothing to sell and no buy above last.
    let p = run(&cfg, &[], dec!(120));
    assert_eq!(p.meta.phase, Phase::Accumulating);
    assert!(p.orders.is_empty());
}

#[test]
fn extension_levels_open_only_after_every_planned_level_filled() {
    let mut cfg = fixtures::worked_example();
    cfg.hard_stop_pct = Pct::new(dec!(25));
    cfg.extension = Some(ExtensionConfig {
        budget_pct: Pct::new(dec!(20)),
        levels: 2,
        step_pct: Pct::new(dec!(3)),
    });
    let levels = [
        (1, dec!(148.50), dec!(0.744)),
        (2, dec!(146.25), dec!(0.982)),
        (3, dec!(142.87), dec!(1.308)),
        (4, dec!(137.81), dec!(1.762)),
        (5, dec!(130.21), dec!(2.425)),
    ];
    let fills: Vec<_> = levels
        .iter()
        .map(|(n, p, q)| fill(*n, Slot::Buy(*n as u16), *p, *q))
        .collect();
    // Four levels filled: B5 rests, no extension.
    let p = run(&cfg, &fills[..4], dec!(135));
    assert!(slots(&p).starts_with(&["B5".to_string()]));
    assert!(!slots(&p).iter().any(|s| s.starts_with('X')));
    // All five: X1 125.71 × 0.795 and X2 121.21 × 0.825 (100 USDC each, see levels.rs).
    let p = run(&cfg, &fills, dec!(130));
    assert_eq!(&slots(&p)[..2], ["X1", "X2"]);
    assert_eq!(order(&p, Slot::Ext(1)).qty, Qty::new(dec!(0.795)));
    assert_eq!(order(&p, Slot::Ext(2)).price, px(dec!(121.21)));
    // Below the hard stop (150 × 0.75 = 112.5) the extension is gone: only the EXIT.
    assert_eq!(slots(&run(&cfg, &fills, dec!(112.5))), ["EXIT"]);
}

#[test]
fn reanchor_needs_no_fill_the_threshold_and_the_cooldown() {
    let cfg = fixtures::worked_example();
    // Threshold 150 × 1.02 = 153; eligible at 1 000 000 + 600 000 ms.
    let cases = [
        ("below the threshold", dec!(152.99), 1_700_000, false, None),
        (
            "at the threshold, cooldown passed",
            dec!(153),
            1_600_000,
            false,
            px(dec!(153)),
        ),
        (
            "above, cooldown not passed",
            dec!(160),
            1_599_999,
            false,
            None,
        ),
        (
            "above, but a fill happened",
            dec!(160),
            1_700_000,
            true,
            None,
        ),
    ];
    for (label, last, now_ms, filled, expect) in cases {
        let fills = if filled {
            vec![fill(1, Slot::Buy(1), dec!(148.50), dec!(0.744))]
        } else {
            vec![]
        };
        let market = Market {
            last: Price::new(last),
            now_ms,
            reference: None,
            indicators: None,
        };
        let p = plan(&cfg, &basket(&cfg, dec!(150)), &fills, &market, &sol());
        assert_eq!(p.meta.reanchor, expect, "{label}");
        assert_eq!(
            p.meta.reanchor_eligible_at_ms,
            (!filled).then_some(1_600_000),
            "{label}"
        );
    }
}

#[test]
fn done_only_after_a_sell_when_the_rest_is_dust() {
    let cfg = fixtures::worked_example();
    let b1 = fill(1, Slot::Buy(1), dec!(148.50), dec!(0.744));
    // Left 0.743256 − 0.74 = 0.003256 SOL ≈ 0.49 USDC < 5: done.
    let p = run(
        &cfg,
        &[b1.clone(), fill(2, Slot::Tr, dec!(151), dec!(0.74))],
        dec!(151),
    );
    assert!(p.meta.done && p.orders.is_empty());
    // Left 0.043256 ≈ 6.5 USDC: sellable as one slice, not done.
    let p = run(
        &cfg,
        &[b1.clone(), fill(2, Slot::Tr, dec!(151), dec!(0.70))],
        dec!(151),
    );
    // VWAP 110.484 / 0.743256 = 148.6486…; depth 1. TP1 0.021628 → 0.021 at 150.66 is
    // 3.16 USDC: merges into TP2 (0.0346048 → 0.034 at 152.89); TR 0.009 is dust and
    // merges back: a single TP2 of 0.043. A TR fill is not TP1: buys go on.
    assert!(!p.meta.done);
    assert_eq!(p.meta.phase, Phase::Distributing);
    assert_eq!(slots(&p), ["B2", "B3", "B4", "B5", "TP2"]);
    assert_eq!(
        (order(&p, Slot::Tp2).price, order(&p, Slot::Tp2).qty),
        (px(dec!(152.89)), Qty::new(dec!(0.043)))
    );
    // Carried dust with no sell is not done: the basket accumulates.
    let mut b = basket(&cfg, dec!(150));
    b.carried_qty = Qty::new(dec!(0.002));
    b.carried_cost = Quote::new(dec!(0.3));
    let p = plan(&cfg, &b, &[], &at(dec!(150)), &sol());
    assert!(!p.meta.done);
    assert_eq!(p.meta.phase, Phase::Accumulating);
    assert_eq!(p.orders.len(), 5);
}

#[test]
fn max_open_buys_keeps_the_nearest_unfilled_levels_below_last() {
    let mut cfg = fixtures::worked_example();
    cfg.max_open_buys = Some(2);
    let cases = [
        ("fresh", vec![], dec!(150), vec!["B1", "B2"], None),
        (
            "B1 partly filled asks only for the rest",
            vec![fill(1, Slot::Buy(1), dec!(148.50), dec!(0.5))],
            dec!(149),
            vec!["B1", "B2", "TP1", "TP2", "TR"],
            Some(dec!(0.244)),
        ),
        (
            "a level at or above last is skipped, the next one moves up",
            vec![],
            dec!(148.50),
            vec!["B2", "B3"],
            None,
        ),
    ];
    for (label, fills, last, expect, b1_qty) in cases {
        let p = run(&cfg, &fills, last);
        assert_eq!(slots(&p), expect, "{label}");
        if let Some(q) = b1_qty {
            assert_eq!(order(&p, Slot::Buy(1)).qty, Qty::new(q), "{label}");
        }
    }
}

#[test]
fn filters_drop_orders_with_a_named_warning() {
    let cfg = fixtures::worked_example();
    // Bids may sit at most 5 % below the reference 150: B4 (137.81 < 142.5) and B5 go.
    let mut r = sol();
    r.filters.percent_price = Some(PercentPriceBySide {
        bid_multiplier_up: dec!(1.05),
        bid_multiplier_down: dec!(0.95),
        ask_multiplier_up: dec!(1.05),
        ask_multiplier_down: dec!(0.95),
    });
    let p = plan(&cfg, &basket(&cfg, dec!(150)), &[], &at(dec!(150)), &r);
    assert_eq!(slots(&p), ["B1", "B2", "B3"]);
    let dropped: Vec<_> = p
        .meta
        .warnings
        .iter()
        .map(|w| match w {
            PlanWarning::Dropped { slot, filter, .. } => (slot.to_string(), filter.clone()),
            other => panic!("unexpected {other}"),
        })
        .collect();
    let pp = "PERCENT_PRICE_BY_SIDE".to_string();
    assert_eq!(dropped, [("B4".into(), pp.clone()), ("B5".into(), pp)]);
    // Band: B1 (148.50) bounds it below (B4 would pass again only at last ≤
    // 137.81 / 0.95 = 145.06…, lower); above, B3 fails once last > 142.87 / 0.95 =
    // 150.389…, before the reanchor threshold 153.
    assert_eq!(p.meta.replan_below, px(dec!(148.50)));
    assert_eq!(
        p.meta.replan_above,
        Some(Price::new(dec!(142.87) / dec!(0.95)))
    );
    // Counts: at most 3 orders → the farthest buys go first.
    let mut r = sol();
    r.filters.max_num_orders = Some(3);
    let p = plan(&cfg, &basket(&cfg, dec!(150)), &[], &at(dec!(150)), &r);
    assert_eq!(slots(&p), ["B1", "B2", "B3"]);
    assert_eq!(p.meta.warnings.len(), 2);
    // Trailing delta out of range drops TR and names TRAILING_DELTA.
    let mut r = sol();
    r.filters.trailing_delta = Some(TrailingDeltaFilter {
        min_above: 10,
        max_above: 50,
        min_below: 10,
        max_below: 2000,
    });
    let fills = [fill(1, Slot::Buy(1), dec!(148.50), dec!(0.744))];
    let p = plan(&cfg, &basket(&cfg, dec!(150)), &fills, &at(dec!(148)), &r);
    assert!(!slots(&p).contains(&"TR".to_string()));
    assert!(
        matches!(&p.meta.warnings[..], [PlanWarning::Dropped { slot: Slot::Tr, filter, .. }] if filter == "TRAILING_DELTA")
    );
}
