//! Records for tests: a small hand-made one with every number worked out, and a long
//! synthetic one (a toy grid on a zig-zag price path) for downsampling and the HTML look.

use super::{BacktestRecord, BasketOutcome, EquityPoint, Ledger, TradeMark};
use crate::core::basket::BasketStatus;
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::{Side, Slot};
use crate::core::strategy::config::fixtures::worked_example;
use crate::core::symbol::{Asset, Symbol};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// 2024-01-01T00:00:00Z.
pub(crate) const DAY0_MS: i64 = 1_704_067_200_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

fn q(d: Decimal) -> Quote {
    Quote::new(d)
}

fn trade(hours: i64, basket: u32, slot: Slot, price: Decimal, qty: Decimal) -> TradeMark {
    TradeMark {
        time_ms: DAY0_MS + hours * HOUR_MS,
        basket,
        slot,
        side: slot.side(),
        price: Price::new(price),
        qty: Qty::new(qty),
        fee: Quote::ZERO,
        fee_base: Qty::ZERO,
    }
}

/// Four days of 12-hour candles, four baskets (closed win, stopped loss, reanchored, active).
///
/// Cash walk: 1000 → 799.8 (buy 2 @ 100, fee 0.2) → 619.8 (buy 2 @ 90, base fee 0.002 = 0.18)
/// → 1019.2002 (sell 3.998 @ 100, fee 0.3998; realised 19.98) → 909.0902 (buy 1 @ 110, fee
/// 0.11) → 1003.9952 (sell 1 @ 95, fee 0.095; realised −15) → 803.7952 (buy 2 @ 100, fee 0.2).
/// End: 2 base at 105, open cost 200, equity 1013.7952, fees 1.1848.
pub(crate) fn small() -> BacktestRecord {
    let mut trades = vec![
        trade(13, 1, Slot::Buy(1), dec!(100), dec!(2)),
        trade(25, 1, Slot::Buy(2), dec!(90), dec!(2)),
        trade(38, 1, Slot::Tp1, dec!(100), dec!(3.998)),
        trade(50, 2, Slot::Buy(1), dec!(110), dec!(1)),
        trade(63, 2, Slot::Exit, dec!(95), dec!(1)),
        trade(86, 4, Slot::Buy(1), dec!(100), dec!(2)),
    ];
    let fees = [
        dec!(0.2),
        dec!(0.18),
        dec!(0.3998),
        dec!(0.11),
        dec!(0.095),
        dec!(0.2),
    ];
    for (t, fee) in trades.iter_mut().zip(fees) {
        t.fee = q(fee);
    }
    trades[1].fee_base = Qty::new(dec!(0.002));

    // (price, position, equity) at each 12-hour close.
    let closes = [
        (dec!(100), dec!(0), dec!(1000)),
        (dec!(100), dec!(2), dec!(999.8)),
        (dec!(90), dec!(3.998), dec!(979.62)),
        (dec!(100), dec!(0), dec!(1019.2002)),
        (dec!(110), dec!(1), dec!(1019.0902)),
        (dec!(95), dec!(0), dec!(1003.9952)),
        (dec!(100), dec!(0), dec!(1003.9952)),
        (dec!(105), dec!(2), dec!(1013.7952)),
    ];
    let equity = closes
        .iter()
        .zip(1i64..)
        .map(|(&(price, position, equity), k)| EquityPoint {
            time_ms: DAY0_MS + k * 12 * HOUR_MS - 1,
            equity: q(equity),
            price: Price::new(price),
            position: Qty::new(position),
        })
        .collect();

    let basket = |id, anchor, opened_h: i64, closed_h: Option<i64>, status, pnl, fees, depth| {
        BasketOutcome {
            id,
            anchor: Price::new(anchor),
            opened_ms: DAY0_MS + opened_h * HOUR_MS,
            closed_ms: closed_h.map(|h| DAY0_MS + h * HOUR_MS),
            status,
            realized_pnl: q(pnl),
            fees: q(fees),
            max_depth: depth,
        }
    };
    let baskets = vec![
        basket(
            1,
            dec!(101),
            0,
            Some(38),
            BasketStatus::Closed,
            dec!(19.98),
            dec!(0.7798),
            2,
        ),
        basket(
            2,
            dec!(111),
            38,
            Some(63),
            BasketStatus::Stopped,
            dec!(-15),
            dec!(0.205),
            1,
        ),
        basket(
            3,
            dec!(100),
            63,
            Some(80),
            BasketStatus::Reanchored,
            dec!(0),
            dec!(0),
            0,
        ),
        basket(
            4,
            dec!(101),
            80,
            None,
            BasketStatus::Active,
            dec!(0),
            dec!(0.2),
            1,
        ),
    ];

    BacktestRecord {
        symbol: Symbol::parse("SOLUSDC").unwrap(),
        quote_asset: Asset::parse("USDC").unwrap(),
        base_asset: Asset::parse("SOL").unwrap(),
        candles: 8,
        start_ms: DAY0_MS,
        end_ms: DAY0_MS + 4 * DAY_MS - 1,
        first_open: Price::new(dec!(100)),
        initial_quote: q(dec!(1000)),
        final_quote: q(dec!(803.7952)),
        final_base: Qty::new(dec!(2)),
        final_price: Price::new(dec!(105)),
        realized_pnl: q(dec!(4.98)),
        open_cost: q(dec!(200)),
        fees: q(dec!(1.1848)),
        equity,
        trades,
        baskets,
        config: worked_example(),
    }
}

/// Triangle wave in `[-amp, amp]` with the given period (integer maths only).
fn triangle(k: i64, period: i64, amp: i64) -> i64 {
    let phase = k.rem_euclid(period);
    let half = period / 2;
    let up = if phase < half { phase } else { period - phase };
    amp * (4 * up - period) / period
}

/// Price in cents at minute `k`: two zig-zags over a slow drift.
fn synthetic_price(k: i64) -> Price {
    let cents = 10_000 + triangle(k, 2_880, 900) + triangle(k, 190, 160) + k / 40;
    Price::new(Decimal::new(cents, 2))
}

/// Cash, ledger and fills of the toy grid.
struct Toy {
    cash: Quote,
    ledger: Ledger,
    trades: Vec<TradeMark>,
}

impl Toy {
    fn fill(&mut self, time_ms: i64, price: Price, slot: Slot, qty: Qty, b: &mut BasketOutcome) {
        let t = TradeMark {
            time_ms,
            basket: b.id,
            slot,
            side: slot.side(),
            price,
            qty,
            fee: (price * qty).scale(dec!(0.001)),
            fee_base: Qty::ZERO,
        };
        let before = self.ledger.realized_pnl;
        self.ledger.apply(&t);
        b.realized_pnl += self.ledger.realized_pnl - before;
        b.fees += t.fee;
        self.cash += match t.side {
            Side::Buy => -(price * qty) - t.fee,
            Side::Sell => price * qty - t.fee,
        };
        self.trades.push(t);
    }
}

/// `minutes` one-minute candles of a toy grid (4 levels 1 % apart, sell all at VWAP + 1.5 %,
/// stop at anchor − 8 %, reanchor at anchor + 2 % with no fill), fees 0.1 % in quote.
pub(crate) fn synthetic(minutes: i64) -> BacktestRecord {
    let mut toy = Toy {
        cash: q(dec!(10000)),
        ledger: Ledger::default(),
        trades: Vec::new(),
    };
    let (mut equity, mut baskets) = (Vec::new(), Vec::new());
    let mut open: Option<BasketOutcome> = None;
    let mut next_id = 1;
    for k in 0..minutes {
        let time_ms = DAY0_MS + k * 60_000;
        let price = synthetic_price(k);
        let b = open.get_or_insert_with(|| {
            next_id += 1;
            BasketOutcome {
                id: next_id - 1,
                anchor: price,
                opened_ms: time_ms,
                closed_ms: None,
                status: BasketStatus::Active,
                realized_pnl: Quote::ZERO,
                fees: Quote::ZERO,
                max_depth: 0,
            }
        });
        let next_level = b.max_depth + 1;
        let level_price = b
            .anchor
            .scale(Decimal::ONE - Decimal::new(next_level.into(), 2));
        let position = toy.ledger.position;
        let mut end = None;
        if next_level <= 4 && price <= level_price {
            toy.fill(time_ms, price, Slot::Buy(next_level), Qty::new(dec!(10)), b);
            b.max_depth = next_level;
        } else if b.max_depth > 0 {
            let vwap = toy.ledger.open_cost / position;
            if price >= vwap.scale(dec!(1.015)) {
                toy.fill(time_ms, price, Slot::Tp1, position, b);
                end = Some(BasketStatus::Closed);
            } else if price <= b.anchor.scale(dec!(0.92)) {
                toy.fill(time_ms, price, Slot::Exit, position, b);
                end = Some(BasketStatus::Stopped);
            }
        } else if price >= b.anchor.scale(dec!(1.02)) {
            end = Some(BasketStatus::Reanchored);
        }
        if let Some(status) = end {
            b.status = status;
            b.closed_ms = Some(time_ms);
            baskets.push(*b);
            open = None;
        }
        equity.push(EquityPoint {
            time_ms: time_ms + 59_999,
            equity: toy.cash + toy.ledger.position * price,
            price,
            position: toy.ledger.position,
        });
    }
    baskets.extend(open);
    let last = equity.last().copied().unwrap();
    BacktestRecord {
        symbol: Symbol::parse("SOLUSDC").unwrap(),
        quote_asset: Asset::parse("USDC").unwrap(),
        base_asset: Asset::parse("SOL").unwrap(),
        candles: u64::try_from(minutes).unwrap(),
        start_ms: DAY0_MS,
        end_ms: last.time_ms,
        first_open: equity[0].price,
        initial_quote: q(dec!(10000)),
        final_quote: toy.cash,
        final_base: toy.ledger.position,
        final_price: last.price,
        realized_pnl: toy.ledger.realized_pnl,
        open_cost: toy.ledger.open_cost,
        fees: toy.ledger.fees,
        equity,
        trades: toy.trades,
        baskets,
        config: worked_example(),
    }
}
