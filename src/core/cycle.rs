//! One basket cycle as a pure decision (`.spec/strategy.md` §6): plan → lifecycle →
//! reconcile. The live orchestrator and the backtester both call [`decide`] and only differ in
//! how they execute the resulting actions, so a backtest exercises the very code that trades.
//!
//! Entry points: [`decide`] (what to do now) and [`next_basket`] (the basket that follows a
//! closed or reanchored one).
//!
//! Decisions:
//! - A basket whose plan says `done` closes: every order of it is cancelled, its leftover
//!   position (dust below the lot size) and that dust's cost are carried into the next basket
//!   of the symbol. It closes as `stopped` when an `EXIT` sell executed, else `closed`.
//! - A reanchor suggestion is acted on only with `auto_reanchor` and only while the basket has
//!   no fill: the basket's orders are cancelled, it ends as `reanchored`, and a new basket opens
//!   at the suggested anchor.
//! - A reconcile error (an inconsistent plan or exchange report) pauses the basket (`error`)
//!   with the reason; nothing is sent for it.

use crate::core::basket::{Basket, BasketStatus};
use crate::core::client_id::IdPrefix;
use crate::core::fill::Fill;
use crate::core::filters::SymbolRules;
use crate::core::indicators::IndicatorSnapshot;
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::{OpenOrder, OrderSpec, Side, Slot};
use crate::core::portfolio::budget::fit_buys;
use crate::core::reconcile::{reconcile, ReconcileError, ReconcileInput, Reconciliation};
use crate::core::strategy::kind::plan;
use crate::core::strategy::plan::{Market, Plan};
use crate::core::strategy::position::Position;
use crate::core::strategy::trail::{self, TrailDown};
use crate::core::strategy::volatility;
use std::collections::BTreeMap;

/// Everything one cycle of one basket looks at.
#[derive(Debug, Clone, Copy)]
pub struct CycleInput<'a> {
    /// This bot instance's client id prefix.
    pub prefix: &'a IdPrefix,
    /// The basket (its frozen config inside).
    pub basket: &'a Basket,
    /// The basket's fills so far.
    pub fills: &'a [Fill],
    /// The symbol's open orders as the exchange reports them (ours and foreign).
    pub open_orders: &'a [OpenOrder],
    /// Highest revision already persisted per slot of this basket.
    pub revisions: &'a BTreeMap<Slot, u32>,
    /// Last price, time and reference price.
    pub market: Market,
    /// The symbol's rules.
    pub rules: &'a SymbolRules,
    /// Whether to amend shrinking orders in place (the symbol's `amendAllowed`, and an
    /// executor that can send amends).
    pub amend_allowed: bool,
    /// Our orders whose amend the exchange refused: replaced instead.
    pub amend_refused: &'a std::collections::BTreeSet<crate::core::client_id::ClientOrderId>,
}

/// What happens to the basket after this cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifecycle {
    /// Keep trading.
    Continue,
    /// The position is gone: close with `status`, carrying `dust_qty` at `dust_cost`.
    Close {
        /// `closed` (sold by TP/TR) or `stopped` (hard-stop exit).
        status: BasketStatus,
        /// Leftover base below the lot size.
        dust_qty: Qty,
        /// Cost of that leftover.
        dust_cost: Quote,
    },
    /// No fill yet and price ran away upwards: move the grid to `anchor`.
    Reanchor {
        /// The new anchor.
        anchor: Price,
    },
    /// Something is inconsistent: pause the basket with this reason.
    Pause {
        /// Why.
        reason: String,
    },
}

/// The outcome of one cycle.
#[derive(Debug, Clone)]
pub struct CycleDecision {
    /// The strategy's plan (its meta carries phase, P&L, replan band).
    pub plan: Plan,
    /// The order actions to execute (empty when pausing).
    pub reconciliation: Reconciliation,
    /// What happens to the basket.
    pub lifecycle: Lifecycle,
}

/// Decides one cycle of one basket. Pure: the same input gives the same decision.
pub fn decide(input: &CycleInput<'_>) -> CycleDecision {
    decide_gated(input, true)
}

/// [`decide`] under a risk gate (`core::risk`): with `buys_allowed` false the basket's buy
/// orders are dropped from the desired set *before* the reconciler runs, so no buy is created
/// and resting buys are cancelled (stop opening and deepening); sells keep working.
pub fn decide_gated(input: &CycleInput<'_>, buys_allowed: bool) -> CycleDecision {
    decide_budgeted(input, buys_allowed, None)
}

/// [`decide_gated`] for a grid on a shared account: with `cash` (what the grid holds in
/// quote, `core::portfolio::budget`) the buys that do not fit are dropped before the
/// reconciler runs as well, so a grid never places a buy its own money cannot pay.
pub fn decide_budgeted(
    input: &CycleInput<'_>,
    buys_allowed: bool,
    cash: Option<Quote>,
) -> CycleDecision {
    let basket = input.basket;
    let plan = plan(
        &basket.config,
        basket,
        input.fills,
        &input.market,
        input.rules,
    );
    let lifecycle = lifecycle(input, &plan);
    let gated: Vec<OrderSpec>;
    let desired = match lifecycle {
        Lifecycle::Continue if buys_allowed => match cash {
            None => plan.orders.as_slice(),
            Some(cash) => {
                gated = fit_buys(
                    &plan.orders,
                    input.open_orders,
                    input.prefix,
                    basket.id,
                    cash,
                    input.market.last,
                );
                gated.as_slice()
            }
        },
        Lifecycle::Continue => {
            gated = plan
                .orders
                .iter()
                .filter(|o| o.side == Side::Sell)
                .cloned()
                .collect();
            gated.as_slice()
        }
        _ => &[],
    };
    match reconcile(&ReconcileInput {
        prefix: input.prefix,
        basket: basket.id,
        desired,
        actual: input.open_orders,
        revisions: input.revisions,
        amend_allowed: input.amend_allowed,
        amend_refused: input.amend_refused,
    }) {
        Ok(reconciliation) => CycleDecision {
            plan,
            reconciliation,
            lifecycle,
        },
        Err(err) => CycleDecision {
            plan,
            reconciliation: Reconciliation::default(),
            lifecycle: Lifecycle::Pause {
                reason: err_reason(&err),
            },
        },
    }
}

fn err_reason(err: &ReconcileError) -> String {
    format!("reconcile refused: {err}")
}

fn lifecycle(input: &CycleInput<'_>, plan: &Plan) -> Lifecycle {
    let meta = &plan.meta;
    if meta.done {
        let pos = Position::from_fills(
            input.basket,
            input.fills,
            &input.rules.base_asset,
            &input.rules.quote_asset,
        );
        let status = if pos.filled.contains_key(&Slot::Exit) {
            BasketStatus::Stopped
        } else {
            BasketStatus::Closed
        };
        return Lifecycle::Close {
            status,
            dust_qty: pos.qty.max(Qty::ZERO),
            dust_cost: if pos.qty.is_positive() {
                pos.cost
            } else {
                Quote::ZERO
            },
        };
    }
    match meta.reanchor {
        Some(anchor) if input.basket.config.auto_reanchor && input.fills.is_empty() => {
            Lifecycle::Reanchor { anchor }
        }
        _ => Lifecycle::Continue,
    }
}

/// The basket that follows `prev` after `lifecycle`, if any: a reanchor always opens one at
/// the new anchor; a close opens one at `last` (rounded down to the tick) with `auto_restart`,
/// carrying the dust. After a hard stop, `trail::trail_down` decides instead whether the grid
/// follows the price down (within its limit) or stops. `id` is the new basket's id, `now_ms`
/// its creation time.
///
/// The successor's `trail_root`: a trail (up, or down after a stop) keeps the chain's root, so
/// its limits are measured from where the chain started; a close by TP/TR starts afresh.
///
/// A grid with volatility sizing freezes the factor of `snapshot` (the plan's warm
/// indicators) at the successor's anchor (`volatility::anchor`), as the first basket did.
pub fn next_basket(
    prev: &Basket,
    lifecycle: &Lifecycle,
    rules: &SymbolRules,
    last: Price,
    id: u32,
    now_ms: i64,
    snapshot: Option<&IndicatorSnapshot>,
) -> Option<Basket> {
    let config = &prev.config;
    let chained = Some(trail::root(prev));
    let (anchor, carried_qty, carried_cost, trail_root) = match lifecycle {
        Lifecycle::Reanchor { anchor } => {
            let root = if config.trail_up_max_pct.is_some() {
                chained
            } else {
                prev.trail_root
            };
            (*anchor, prev.carried_qty, prev.carried_cost, root)
        }
        Lifecycle::Close {
            status: BasketStatus::Stopped,
            dust_qty,
            dust_cost,
        } if config.auto_restart => {
            let anchor = trail::trail_down(
                trail::root(prev),
                last,
                config.trail_down,
                config.trail_down_max_pct,
                &rules.filters,
            )?;
            (anchor, *dust_qty, *dust_cost, chained)
        }
        Lifecycle::Close {
            dust_qty,
            dust_cost,
            ..
        } if config.auto_restart => (
            rules.filters.round_price_down(last),
            *dust_qty,
            *dust_cost,
            None,
        ),
        _ => return None,
    };
    Some(Basket {
        id,
        anchor,
        config: volatility::anchor(config, snapshot),
        status: BasketStatus::Active,
        carried_qty,
        carried_cost,
        created_ms: now_ms,
        trail_root,
    })
}

/// Whether a hard-stopped basket with no successor may be replaced by a fresh one later (the
/// bot's start-up path): only when trailing down follows without limit, so a grid that
/// `trail_down` stopped stays stopped until the operator acts.
pub fn restarts_after_stop(prev: &Basket) -> bool {
    prev.config.auto_restart
        && prev.config.trail_down == TrailDown::Follow
        && prev.config.trail_down_max_pct.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::filters::{SymbolFilters, SymbolStatus};
    use crate::core::order::OrderType;
    use crate::core::strategy::config::fixtures::worked_example;
    use crate::core::symbol::{Asset, Symbol};
    use rust_decimal_macros::dec;

    fn rules() -> SymbolRules {
        SymbolRules {
            symbol: Symbol::parse("SOLUSDC").unwrap(),
            status: SymbolStatus::Trading,
            base_asset: Asset::parse("SOL").unwrap(),
            quote_asset: Asset::parse("USDC").unwrap(),
            order_types: vec![OrderType::Limit, OrderType::TakeProfitLimit],
            allow_trailing_stop: true,
            cancel_replace_allowed: true,
            amend_allowed: false,
            filters: SymbolFilters::basic(dec!(0.01), dec!(0.001), dec!(5)),
        }
    }

    fn basket() -> Basket {
        Basket {
            id: 7,
            anchor: Price::new(dec!(150)),
            config: worked_example(),
            status: BasketStatus::Active,
            carried_qty: Qty::ZERO,
            carried_cost: Quote::ZERO,
            created_ms: 0,
            trail_root: None,
        }
    }

    fn decide_at(basket: &Basket, last: Price, now_ms: i64) -> CycleDecision {
        let (prefix, rules, revisions) = (IdPrefix::default(), rules(), BTreeMap::new());
        decide(&CycleInput {
            prefix: &prefix,
            basket,
            fills: &[],
            open_orders: &[],
            revisions: &revisions,
            market: Market {
                last,
                now_ms,
                reference: None,
                indicators: None,
            },
            rules: &rules,
            amend_allowed: false,
            amend_refused: &Default::default(),
        })
    }

    #[test]
    fn a_fresh_basket_creates_its_buy_ladder() {
        let d = decide_at(&basket(), Price::new(dec!(150)), 0);
        assert_eq!(d.lifecycle, Lifecycle::Continue);
        let ids: Vec<_> = d
            .reconciliation
            .creates
            .iter()
            .map(|c| c.client_id.to_string())
            .collect();
        assert_eq!(
            ids,
            ["gb7-B1-1", "gb7-B2-1", "gb7-B3-1", "gb7-B4-1", "gb7-B5-1"]
        );
    }

    #[test]
    fn a_range_basket_is_planned_by_the_range_grid_through_the_seam() {
        let mut b = basket();
        b.config = crate::core::strategy::range::fixtures::range_config();
        b.anchor = Price::new(dec!(4.10));
        let d = decide_at(&b, Price::new(dec!(4.10)), 0);
        assert_eq!(d.lifecycle, Lifecycle::Continue);
        let ids: Vec<_> = d
            .reconciliation
            .creates
            .iter()
            .map(|c| c.client_id.to_string())
            .collect();
        // 3.0..5.0 in 0.2 steps: the six levels below 4.10; no basket ladder (B1..B5).
        assert_eq!(
            ids,
            ["gb7-B1-1", "gb7-B2-1", "gb7-B3-1", "gb7-B4-1", "gb7-B5-1", "gb7-B6-1"]
        );
    }

    #[test]
    fn a_closed_buy_gate_creates_no_buy_and_cancels_resting_ones() {
        let (prefix, rules, revisions, b) =
            (IdPrefix::default(), rules(), BTreeMap::new(), basket());
        let open = decide_at(&b, Price::new(dec!(150)), 0);
        let resting: Vec<OpenOrder> = open
            .reconciliation
            .creates
            .iter()
            .enumerate()
            .map(|(i, c)| OpenOrder {
                client_id: c.client_id.clone(),
                exchange_id: Some(i as u64 + 1),
                spec: c.spec.clone(),
                executed_qty: Qty::ZERO,
                status: crate::core::order::OrderStatus::New,
            })
            .collect();
        let input = CycleInput {
            prefix: &prefix,
            basket: &b,
            fills: &[],
            open_orders: &resting,
            revisions: &revisions,
            market: Market {
                last: Price::new(dec!(150)),
                now_ms: 0,
                reference: None,
                indicators: None,
            },
            rules: &rules,
            amend_allowed: false,
            amend_refused: &Default::default(),
        };
        assert!(decide_gated(&input, true).reconciliation.cancels.is_empty());
        let gated = decide_gated(&input, false);
        assert!(gated.reconciliation.creates.is_empty());
        assert_eq!(gated.reconciliation.cancels.len(), 5);
        assert_eq!(gated.lifecycle, Lifecycle::Continue);
    }

    #[test]
    fn a_runaway_price_reanchors_only_after_the_cooldown() {
        let high = Price::new(dec!(153.10));
        assert_eq!(
            decide_at(&basket(), high, 599_999).lifecycle,
            Lifecycle::Continue
        );
        let d = decide_at(&basket(), high, 600_000);
        assert_eq!(d.lifecycle, Lifecycle::Reanchor { anchor: high });
        assert!(d.reconciliation.creates.is_empty());
        let next = next_basket(&basket(), &d.lifecycle, &rules(), high, 8, 600_000, None).unwrap();
        assert_eq!((next.id, next.anchor, next.created_ms), (8, high, 600_000));
    }

    #[test]
    fn a_successor_grid_freezes_the_volatility_factor_of_its_own_anchor() {
        use crate::core::indicators::VolMeasure;
        use crate::core::strategy::config::volatility::VolatilityConfig;
        let mut b = basket();
        b.config.volatility = Some(VolatilityConfig {
            measure: VolMeasure::Atr,
            window: 14,
            reference_pct: crate::core::money::Pct::new(dec!(1)),
            min_factor: dec!(0.5),
            max_factor: dec!(2),
            factor: Some(dec!(0.5)),
        });
        let high = Price::new(dec!(153.10));
        let d = decide_at(&b, high, 600_000);
        let wild = IndicatorSnapshot {
            volatility: Some(dec!(0.015)),
            ..IndicatorSnapshot::unknown_at(high)
        };
        let next = next_basket(&b, &d.lifecycle, &rules(), high, 8, 600_000, Some(&wild));
        let factor = |n: &Basket| n.config.volatility.as_ref().and_then(|v| v.factor);
        assert_eq!(next.as_ref().and_then(factor), Some(dec!(1.5)));
        // Unknown now (a cold feed): factor 1, never the predecessor's stale one.
        let cold = next_basket(&b, &d.lifecycle, &rules(), high, 8, 600_000, None);
        assert_eq!(cold.as_ref().map(factor), Some(None));
    }

    #[test]
    fn a_trailing_reanchor_puts_the_first_level_at_the_price_and_keeps_the_root() {
        let mut b = basket();
        b.config.trail_up_max_pct = Some(crate::core::money::Pct::new(dec!(50)));
        let high = Price::new(dec!(160));
        let d = decide_at(&b, high, 600_000);
        // 160 / 0.99 = 161.6161…: B1 of the new grid at 160.00 (= last, placed once below).
        let anchor = Price::new(dec!(161.61));
        assert_eq!(d.lifecycle, Lifecycle::Reanchor { anchor });
        let next = next_basket(&b, &d.lifecycle, &rules(), high, 8, 600_000, None).unwrap();
        assert_eq!((next.anchor, next.trail_root), (anchor, Some(b.anchor)));
        // The chain keeps its root: the limit is 150 × 1.5 = 225, not 161.61 × 1.5.
        let far = decide_at(&next, Price::new(dec!(400)), 1_200_000);
        let capped = Price::new(dec!(225));
        assert_eq!(far.lifecycle, Lifecycle::Reanchor { anchor: capped });
        let mut at_cap = next.clone();
        at_cap.anchor = capped;
        let stuck = decide_at(&at_cap, Price::new(dec!(400)), 1_800_000);
        assert_eq!(stuck.lifecycle, Lifecycle::Continue);
        // Without trailing the reanchor is the plain one and the basket stays fresh.
        let plain = decide_at(&basket(), high, 600_000);
        assert_eq!(plain.lifecycle, Lifecycle::Reanchor { anchor: high });
        let fresh = next_basket(
            &basket(),
            &plain.lifecycle,
            &rules(),
            high,
            8,
            600_000,
            None,
        );
        assert_eq!(fresh.unwrap().trail_root, None);
    }

    #[test]
    fn after_a_hard_stop_the_grid_follows_within_its_limit_or_stops() {
        let stopped = Lifecycle::Close {
            status: BasketStatus::Stopped,
            dust_qty: Qty::ZERO,
            dust_cost: Quote::ZERO,
        };
        let low = Price::new(dec!(127.005));
        let follow = next_basket(&basket(), &stopped, &rules(), low, 8, 1, None).unwrap();
        assert_eq!(follow.anchor, Price::new(dec!(127.00)));
        assert_eq!(follow.trail_root, Some(Price::new(dec!(150))));
        assert!(restarts_after_stop(&basket()));

        let mut limited = basket();
        limited.config.trail_down_max_pct = Some(crate::core::money::Pct::new(dec!(20)));
        assert!(next_basket(&limited, &stopped, &rules(), low, 8, 1, None).is_some());
        // The second stop of the chain, 25 % below its root of 150: beyond the 20 % limit.
        let mut second = limited.clone();
        second.trail_root = Some(Price::new(dec!(150)));
        second.anchor = Price::new(dec!(127));
        assert_eq!(
            next_basket(
                &second,
                &stopped,
                &rules(),
                Price::new(dec!(112.5)),
                9,
                2,
                None
            ),
            None
        );
        assert!(!restarts_after_stop(&limited));

        let mut stop = basket();
        stop.config.trail_down = TrailDown::Stop;
        assert_eq!(
            next_basket(&stop, &stopped, &rules(), low, 8, 1, None),
            None
        );
        assert!(!restarts_after_stop(&stop));
        // A close by take-profit is not a fall through the bottom: a fresh successor.
        let closed = Lifecycle::Close {
            status: BasketStatus::Closed,
            dust_qty: Qty::ZERO,
            dust_cost: Quote::ZERO,
        };
        let next = next_basket(&stop, &closed, &rules(), low, 8, 1, None).unwrap();
        assert_eq!(next.trail_root, None);
    }

    #[test]
    fn without_auto_restart_a_closed_basket_has_no_successor() {
        let mut b = basket();
        b.config.auto_restart = false;
        let close = Lifecycle::Close {
            status: BasketStatus::Closed,
            dust_qty: Qty::new(dec!(0.0004)),
            dust_cost: Quote::new(dec!(0.06)),
        };
        assert_eq!(
            next_basket(&b, &close, &rules(), Price::new(dec!(151)), 8, 1, None),
            None
        );
        b.config.auto_restart = true;
        let next =
            next_basket(&b, &close, &rules(), Price::new(dec!(151.005)), 8, 1, None).unwrap();
        assert_eq!(next.anchor, Price::new(dec!(151.00)));
        assert_eq!(next.carried_qty, Qty::new(dec!(0.0004)));
    }
}
