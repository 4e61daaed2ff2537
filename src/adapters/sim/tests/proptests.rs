//! Invariants 2 and 4 of the module doc under random sequences of orders, cancels and candles:
//! balances reconcile to the last unit after every step, and a replay gives the same result.

use super::*;
use crate::adapters::sim::{CommissionMode, OrderRef, TouchRule};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Limit {
        buy: bool,
        cents: i64,
        milli: i64,
        tif: u8,
    },
    Maker {
        buy: bool,
        cents: i64,
        milli: i64,
    },
    Market {
        buy: bool,
        milli: i64,
    },
    Stop {
        buy: bool,
        loss: bool,
        stop: i64,
        limit: i64,
        trailing: Option<u32>,
        milli: i64,
    },
    Cancel {
        nth: usize,
    },
    Candle {
        o: i64,
        c: i64,
        up: i64,
        down: i64,
        vol: i64,
    },
}

fn price(cents: i64) -> Price {
    Price::new(Decimal::new(cents.max(1), 2))
}

fn qty(milli: i64) -> Qty {
    Qty::new(Decimal::new(milli, 3))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<bool>(), 9_000i64..11_000, 50i64..3_000, 0u8..3)
            .prop_map(|(buy, cents, milli, tif)| Op::Limit { buy, cents, milli, tif }),
        1 => (any::<bool>(), 9_000i64..11_000, 50i64..3_000)
            .prop_map(|(buy, cents, milli)| Op::Maker { buy, cents, milli }),
        1 => (any::<bool>(), 50i64..2_000).prop_map(|(buy, milli)| Op::Market { buy, milli }),
        2 => (any::<bool>(), any::<bool>(), 9_000i64..11_000, -300i64..300,
              prop::option::of(50u32..800), 50i64..2_000)
            .prop_map(|(buy, loss, stop, off, trailing, milli)| Op::Stop {
                buy, loss, stop, limit: stop + off, trailing, milli,
            }),
        1 => (0usize..8).prop_map(|nth| Op::Cancel { nth }),
        5 => (9_000i64..11_000, 9_000i64..11_000, 0i64..400, 0i64..400, 1i64..20_000)
            .prop_map(|(o, c, up, down, vol)| Op::Candle { o, c, up, down, vol }),
    ]
}

fn spec_for(op: &Op) -> Option<NewOrder> {
    let side = |buy: bool| if buy { Side::Buy } else { Side::Sell };
    let tifs = [TimeInForce::Gtc, TimeInForce::Ioc, TimeInForce::Fok];
    Some(match *op {
        Op::Limit {
            buy,
            cents,
            milli,
            tif,
        } => {
            let mut o = limit("o", side(buy), "1", "1");
            o.spec.price = Some(price(cents));
            o.spec.qty = qty(milli);
            o.spec.time_in_force = Some(tifs[tif as usize]);
            o
        }
        Op::Maker { buy, cents, milli } => {
            let mut o = limit_maker("o", side(buy), "1", "1");
            o.spec.price = Some(price(cents));
            o.spec.qty = qty(milli);
            o
        }
        Op::Market { buy, milli } => {
            let mut o = market("o", side(buy), "1");
            o.spec.qty = qty(milli);
            o
        }
        Op::Stop {
            buy,
            loss,
            stop,
            limit: l,
            trailing,
            milli,
        } => {
            let t = if loss {
                OrderType::StopLossLimit
            } else {
                OrderType::TakeProfitLimit
            };
            let mut o = stop_limit("o", side(buy), t, Some("1"), trailing, "1", "1");
            o.spec.stop_price = Some(price(stop));
            o.spec.price = Some(price(l));
            o.spec.qty = qty(milli);
            o
        }
        Op::Cancel { .. } | Op::Candle { .. } => return None,
    })
}

/// Runs the ops; checks reconciliation after each; returns everything observable.
fn run(
    cfg: &SimConfig,
    ops: &[Op],
) -> (
    Vec<ExchangeTrade>,
    crate::ports::exchange::Account,
    Vec<crate::ports::exchange::OrderReport>,
) {
    let initial = cfg.balances.clone();
    let mut ex = SimExchange::new(cfg.clone());
    let mut minute = 0i64;
    for (n, op) in ops.iter().enumerate() {
        let now = minute * 60_000;
        if let Some(mut order) = spec_for(op) {
            order.client_id = cid(&format!("c{n}"));
            let _ = ex.place(&order, now);
        } else if let Op::Cancel { nth } = *op {
            let open = ex.open_orders(&sol()).unwrap();
            if let Some(o) = open.get(nth) {
                ex.cancel(&sol(), &OrderRef::Id(o.order_id), now).unwrap();
            }
        } else if let Op::Candle {
            o,
            c,
            up,
            down,
            vol,
        } = *op
        {
            let (hi, lo) = (o.max(c) + up, (o.min(c) - down).max(1));
            minute += 1;
            let candle = Candle {
                open_time_ms: minute * 60_000,
                open: price(o),
                high: price(hi),
                low: price(lo),
                close: price(c),
                volume: qty(vol),
                close_time_ms: minute * 60_000 + 59_999,
            };
            ex.on_candle(&sol(), &candle).unwrap();
        }
        assert_reconciles(&ex, &initial);
    }
    (
        ex.my_trades(&sol(), Some(0), 1000).unwrap(),
        ex.account(),
        ex.open_orders(&sol()).unwrap(),
    )
}

fn cfg(touch: bool, cap: bool, bnb: bool) -> SimConfig {
    let mut c = config("100");
    c.touch_rule = if touch {
        TouchRule::Touch
    } else {
        TouchRule::TradeThrough
    };
    c.max_fill_share = cap.then(|| d("0.3"));
    if bnb {
        c.balances.push((asset("BNB"), a("0.05")));
        c.fees.mode = CommissionMode::Bnb {
            asset: asset("BNB"),
            discount: d("0.25"),
            price_in_quote: [(asset("USDC"), p("613.37"))].into_iter().collect(),
        };
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn balances_reconcile_and_replays_are_identical(
        ops in prop::collection::vec(op(), 1..60),
        touch in any::<bool>(),
        cap in any::<bool>(),
        bnb in any::<bool>(),
    ) {
        let c = cfg(touch, cap, bnb);
        let first = run(&c, &ops);
        let second = run(&c, &ops);
        prop_assert_eq!(first, second);
    }
}
