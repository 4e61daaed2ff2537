//! Sell orders (`.spec/strategy.md` §3 steps 3 and 5): the hard-stop `EXIT`, and the
//! TP1 / TP2 / TR distribution with its sizing stages and dust merging.
//!
//! Prices: `TPk = round_up(VWAP × (1 + max(tp_min, tpk − depth × decay)))`; the trailing
//! sell `TR` is a `TAKE_PROFIT_LIMIT` SELL with `stopPrice = round_up(max(VWAP × (1 +
//! trail_activation), floor))` (the activation price), `trailingDelta = trail_delta × 100`
//! BIPS and limit `round_up(max(stopPrice × (1 − trail_delta), floor))`, where
//! `floor = VWAP × (1 + 2 × fee)` is the breakeven price.

use crate::core::filters::SymbolFilters;
use crate::core::money::{Pct, Price, Qty};
use crate::core::order::{OrderSpec, OrderType, Slot, TimeInForce};
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::position::Position;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// The hard-stop exit: one limit sell of the whole position at `last × (1 − exit_slippage)`
/// rounded down to the tick, raised to the lowest ask `PERCENT_PRICE_BY_SIDE` accepts
/// around `reference` (an exit must not be dropped by that filter); `None` when the position
/// cannot form an order (dust).
pub(crate) fn exit_order(
    config: &StrategyConfig,
    pos: &Position,
    filters: &SymbolFilters,
    last: Price,
    reference: Price,
) -> Option<OrderSpec> {
    let mut price = filters.round_price_down(last.scale(config.exit_slippage_pct.down_factor()));
    if let Some(pp) = &filters.percent_price {
        price = price.max(filters.round_price_up(reference.scale(pp.ask_multiplier_down)));
    }
    let qty = filters.round_qty_down(pos.qty);
    sellable(qty, price, filters).then(|| OrderSpec::limit(Slot::Exit, price, qty))
}

/// True when `qty` can be sold at `price`: positive, at least `minQty` and the notional
/// minimum.
pub(super) fn sellable(qty: Qty, price: Price, filters: &SymbolFilters) -> bool {
    price.is_positive() && qty.is_positive() && qty >= filters.min_qty_at(price)
}

/// How the distribution sells look before sizing.
pub(super) struct SellOutcome {
    /// TP1/TP2/TR orders (dust merged; may be empty).
    pub orders: Vec<OrderSpec>,
    /// The TR order became a plain LIMIT (trailing stops not available or delta invalid).
    pub trailing_unavailable: bool,
}

/// The TP1/TP2/TR orders for the current position. `trailing_allowed` says whether the
/// symbol accepts `trailingDelta` on `TAKE_PROFIT_LIMIT`.
///
/// Once `last` has reached the activation price, the trailing sell is sent without
/// `stopPrice`: with it, Binance refuses the order ("Order would trigger immediately"), and
/// without it the trailing starts at once, which is what the activation price was waiting
/// for. The limit stays the one derived from the activation price, so the order does not
/// change with every tick; `band` learns the activation price as a threshold.
pub(super) fn distribution_orders(
    config: &StrategyConfig,
    pos: &Position,
    filters: &SymbolFilters,
    trailing_allowed: bool,
    last: Price,
    band: &mut super::band::Band,
) -> SellOutcome {
    let (Some(vwap), true) = (pos.vwap(), pos.qty.is_positive()) else {
        return SellOutcome {
            orders: Vec::new(),
            trailing_unavailable: false,
        };
    };
    let depth = Decimal::from(pos.depth());
    let tp_price = |tp: Pct| {
        let pct =
            (tp.get() - depth * config.tp_decay_pct_per_level.get()).max(config.tp_min_pct.get());
        filters.round_price_up(vwap.scale(Decimal::ONE + pct / Decimal::ONE_HUNDRED))
    };
    let floor = vwap.scale(Decimal::ONE + Decimal::TWO * config.fee_pct.fraction());
    let stop = filters.round_price_up(
        vwap.scale(config.trail_activation_pct.up_factor())
            .max(floor),
    );
    let limit = filters.round_price_up(stop.scale(config.trail_delta_pct.down_factor()).max(floor));
    let bips = trailing_bips(config.trail_delta_pct).filter(|_| trailing_allowed);
    let tr_price = if bips.is_some() { limit } else { stop };
    let activation = if bips.is_some() {
        band.split_lt(stop);
        (last < stop).then_some(stop)
    } else {
        None
    };

    let s1 = config.tp1_share.fraction();
    let s2 = config.tp2_share.fraction();
    let p = pos.qty;
    // Each slice: (slot, price, share of the current position); TR takes the rest.
    let slices: Vec<(Slot, Price, Qty)> = if !pos.executed(Slot::Tp1) {
        vec![
            (Slot::Tp1, tp_price(config.tp1_pct), p.scale(s1)),
            (Slot::Tp2, tp_price(config.tp2_pct), p.scale(s2)),
            (Slot::Tr, tr_price, Qty::ZERO),
        ]
    } else if !pos.executed(Slot::Tp2) {
        let rest = Decimal::ONE - s1;
        let tp2 = if rest > Decimal::ZERO {
            p.scale((s2 / rest).min(Decimal::ONE))
        } else {
            Qty::ZERO
        };
        vec![
            (Slot::Tp2, tp_price(config.tp2_pct), tp2),
            (Slot::Tr, tr_price, Qty::ZERO),
        ]
    } else {
        vec![(Slot::Tr, tr_price, Qty::ZERO)]
    };
    let sized = size_slices(&slices, p, filters);
    let orders = sized
        .into_iter()
        .map(|(slot, price, qty)| match (slot, bips) {
            (Slot::Tr, Some(bips)) => OrderSpec {
                slot,
                side: slot.side(),
                order_type: OrderType::TakeProfitLimit,
                price: Some(price),
                qty,
                stop_price: activation,
                trailing_delta: Some(bips),
                time_in_force: Some(TimeInForce::Gtc),
            },
            _ => OrderSpec::limit(slot, price, qty),
        })
        .collect();
    SellOutcome {
        orders,
        trailing_unavailable: bips.is_none(),
    }
}

/// `trail_delta_pct` in BIPS (1 % = 100), `None` unless a positive whole number.
fn trailing_bips(delta: Pct) -> Option<u32> {
    let bips = delta.get() * Decimal::ONE_HUNDRED;
    (bips.fract().is_zero() && bips > Decimal::ZERO)
        .then(|| bips.to_u32())
        .flatten()
}

/// Rounds the slices to the step and merges dust. Slice `k` gets `round_down(C_k − sold_so_far)`
/// where `C_k` is the cumulative planned quantity (the last slice's `C` is the whole
/// position), so rounding remainders and unsellable slices flow into the next slice. An
/// unsellable last slice merges backwards into the last emitted one. The total never exceeds
/// `position`.
fn size_slices(
    slices: &[(Slot, Price, Qty)],
    position: Qty,
    filters: &SymbolFilters,
) -> Vec<(Slot, Price, Qty)> {
    let mut out: Vec<(Slot, Price, Qty)> = Vec::new();
    let mut cumulative = Qty::ZERO;
    let mut emitted = Qty::ZERO;
    for (i, (slot, price, share)) in slices.iter().enumerate() {
        let is_last = i + 1 == slices.len();
        cumulative = if is_last {
            position
        } else {
            (cumulative + *share).min(position)
        };
        let qty = filters.round_qty_down(cumulative - emitted);
        if sellable(qty, *price, filters) {
            out.push((*slot, *price, qty));
            emitted += qty;
        } else if is_last {
            if let Some(prev) = out.last_mut() {
                let merged = filters.round_qty_down(position - (emitted - prev.2));
                prev.2 = merged;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn p(d: Decimal) -> Price {
        Price::new(d)
    }

    fn q(d: Decimal) -> Qty {
        Qty::new(d)
    }

    struct Case {
        label: &'static str,
        position: Decimal,
        shares: [Decimal; 2],
        expect: Vec<(Slot, Decimal)>,
    }

    #[test]
    fn slices_round_down_and_merge_dust_forward_then_backward() {
        // Step 0.001, min notional 5: at price 100 the minimum sellable quantity is 0.05.
        let filters = SymbolFilters::basic(dec!(0.01), dec!(0.001), dec!(5));
        let cases = [
            Case {
                label: "plain 50/30/20 split",
                position: dec!(1),
                shares: [dec!(0.5), dec!(0.3)],
                expect: vec![
                    (Slot::Tp1, dec!(0.5)),
                    (Slot::Tp2, dec!(0.3)),
                    (Slot::Tr, dec!(0.2)),
                ],
            },
            Case {
                label: "rounding remainders flow into the next slice",
                position: dec!(1.0015),
                shares: [dec!(0.5), dec!(0.3)],
                // TP1 0.50075 → 0.500; TP2 cumulative 0.50075 + 0.30045 = 0.8012, minus
                // 0.500 = 0.3012 → 0.301; TR 1.0015 − 0.801 = 0.2005 → 0.200.
                expect: vec![
                    (Slot::Tp1, dec!(0.500)),
                    (Slot::Tp2, dec!(0.301)),
                    (Slot::Tr, dec!(0.200)),
                ],
            },
            Case {
                label: "a TP1 below the notional merges into TP2",
                position: dec!(0.2),
                shares: [dec!(0.2), dec!(0.5)],
                // TP1 0.04 < 0.05 → TP2 gets 0.04 + 0.1 = 0.14; TR 0.06.
                expect: vec![(Slot::Tp2, dec!(0.14)), (Slot::Tr, dec!(0.06))],
            },
            Case {
                label: "a dust TR merges backwards into TP2",
                position: dec!(0.2),
                shares: [dec!(0.5), dec!(0.3)],
                // TP1 0.1, TP2 0.06, TR 0.04 < 0.05 → TP2 0.1.
                expect: vec![(Slot::Tp1, dec!(0.1)), (Slot::Tp2, dec!(0.1))],
            },
            Case {
                label: "a position too small for any sell yields none",
                position: dec!(0.049),
                shares: [dec!(0.5), dec!(0.3)],
                expect: vec![],
            },
        ];
        for c in cases {
            let slices = [
                (Slot::Tp1, p(dec!(100)), q(c.position * c.shares[0])),
                (Slot::Tp2, p(dec!(100)), q(c.position * c.shares[1])),
                (Slot::Tr, p(dec!(100)), Qty::ZERO),
            ];
            let got: Vec<_> = size_slices(&slices, q(c.position), &filters)
                .into_iter()
                .map(|(s, _, qty)| (s, qty.get()))
                .collect();
            assert_eq!(got, c.expect, "{}", c.label);
        }
    }

    #[test]
    fn trailing_delta_is_whole_bips_only() {
        assert_eq!(trailing_bips(Pct::new(dec!(1))), Some(100));
        assert_eq!(trailing_bips(Pct::new(dec!(0.25))), Some(25));
        assert_eq!(trailing_bips(Pct::new(dec!(0.005))), None);
        assert_eq!(trailing_bips(Pct::new(dec!(0))), None);
    }
}
