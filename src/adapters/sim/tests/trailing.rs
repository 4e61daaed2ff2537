//! Trailing stops, replaying the scenarios of Binance's `faqs/trailing-stop-faq.md` with one
//! trade (a flat candle) per step, plus the same logic inside one candle.

use super::*;
use OrderType::*;

/// Places `order` at last price 40 000, feeds one flat candle per price; returns, per step,
/// the trades it made.
fn replay(order: NewOrder, prices: &[&str]) -> (SimExchange, Vec<Vec<ExchangeTrade>>) {
    let mut ex = exchange("40000");
    ex.place(&order, 0).unwrap();
    let steps = prices
        .iter()
        .enumerate()
        .map(|(i, price)| feed(&mut ex, &flat(i as i64 + 1, price)))
        .collect();
    (ex, steps)
}

struct Scenario {
    label: &'static str,
    order: NewOrder,
    prices: Vec<&'static str>,
    /// Step whose trade is the fill, its price and role.
    fill_step: usize,
    price: &'static str,
    maker: bool,
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            label: "A: BUY STOP_LOSS_LIMIT, activation 44 000, 5 %",
            order: stop_limit(
                "o",
                Side::Buy,
                StopLossLimit,
                Some("44000"),
                Some(500),
                "45000",
                "0.01",
            ),
            // 37 000 is ignored (not active), 44 000 activates, 46 000 is +4.5 %, 42 000 is
            // the new low, 44 100 = 42 000 × 1.05 fires; limit 45 000 takes at 44 100.
            prices: vec![
                "37000", "44000", "45000", "46000", "42000", "44099.99", "44100",
            ],
            fill_step: 6,
            price: "44100",
            maker: false,
        },
        Scenario {
            label: "B: SELL STOP_LOSS_LIMIT, activation 39 000, 10 %",
            order: stop_limit(
                "o",
                Side::Sell,
                StopLossLimit,
                Some("39000"),
                Some(1000),
                "38000",
                "0.01",
            ),
            // 41 500 ignored, 39 000 activates, 37 000 is −5 %, 41 000 new high, 36 900 fires;
            // limit 38 000 is above the market: it rests and fills when the price comes back.
            prices: vec![
                "41500", "39000", "37000", "41000", "36900", "37500", "38000.01",
            ],
            fill_step: 6,
            price: "38000",
            maker: true,
        },
        Scenario {
            label: "C without stopPrice: BUY TAKE_PROFIT_LIMIT, 8.5 %",
            order: stop_limit(
                "o",
                Side::Buy,
                TakeProfitLimit,
                None,
                Some(850),
                "38500",
                "0.01",
            ),
            // Tracks from 40 000; 37 000 new low, 40 145 = 37 000 × 1.085 fires; limit 38 500
            // is below the market: rests, fills when the price trades below it.
            prices: vec![
                "42000", "37000", "39000", "38000", "40145", "38600", "38499.99",
            ],
            fill_step: 6,
            price: "38500",
            maker: true,
        },
        Scenario {
            label: "D: SELL TAKE_PROFIT_LIMIT, activation 42 000, 7.5 %",
            order: stop_limit(
                "o",
                Side::Sell,
                TakeProfitLimit,
                Some("42000"),
                Some(750),
                "41000",
                "0.01",
            ),
            prices: vec![
                "41500", "39000", "42000", "45000", "44000", "46500", "43012.51", "43012.5",
            ],
            fill_step: 7,
            price: "43012.5",
            maker: false,
        },
        Scenario {
            label: "E: SELL STOP_LOSS_LIMIT without stopPrice, 7 %",
            order: stop_limit(
                "o",
                Side::Sell,
                StopLossLimit,
                None,
                Some(700),
                "39000",
                "0.01",
            ),
            prices: vec!["42000", "39500", "45500", "42316", "42315"],
            fill_step: 4,
            price: "42315",
            maker: false,
        },
    ]
}

#[test]
fn binance_faq_scenarios() {
    for s in scenarios() {
        let (ex, steps) = replay(s.order, &s.prices);
        for (i, trades) in steps.iter().enumerate() {
            if i == s.fill_step {
                assert_eq!(trades.len(), 1, "{}: step {i}", s.label);
                assert_eq!(
                    (trades[0].price, trades[0].is_maker),
                    (p(s.price), s.maker),
                    "{}",
                    s.label
                );
            } else {
                assert!(
                    trades.is_empty(),
                    "{}: unexpected fill at step {i}",
                    s.label
                );
            }
        }
        assert_eq!(status(&ex, "o"), OrderStatus::Filled, "{}", s.label);
        assert_reconciles(&ex, &[(asset("USDC"), a("10000")), (asset("SOL"), a("10"))]);
    }
}

#[test]
fn a_triggered_trailing_limit_that_rests_is_no_longer_a_stop() {
    let (ex, _) = replay(
        stop_limit(
            "o",
            Side::Sell,
            StopLossLimit,
            Some("39000"),
            Some(1000),
            "38000",
            "0.01",
        ),
        &["39000", "35100"],
    );
    assert_eq!(status(&ex, "o"), OrderStatus::New);
    let book = &ex.books[0];
    assert!(book.open[0].trigger.is_none(), "fired: rests as a limit");
    assert_eq!(book.up, Some(p("38000")));
}

#[test]
fn trailing_follows_the_path_inside_one_candle() {
    // Scenario E in one candle: 40 000 → 39 500 (low first) → 45 500 → 42 000. The high of
    // 45 500 moves the firing level to 42 315, crossed on the way to the close.
    let mut ex = exchange("40000");
    ex.place(
        &stop_limit(
            "o",
            Side::Sell,
            StopLossLimit,
            None,
            Some(700),
            "39000",
            "0.01",
        ),
        0,
    )
    .unwrap();
    let t = feed(
        &mut ex,
        &candle(1, "40000", "45500", "39500", "42000", "1000"),
    );
    assert_eq!(t.len(), 1);
    assert_eq!(
        (t[0].price, t[0].time_ms, t[0].is_maker),
        (p("42315"), 60_000 + 59_999, false)
    );
}

#[test]
fn trailing_does_not_fire_when_the_close_stays_above_the_level() {
    let mut ex = exchange("40000");
    ex.place(
        &stop_limit(
            "o",
            Side::Sell,
            StopLossLimit,
            None,
            Some(700),
            "39000",
            "0.01",
        ),
        0,
    )
    .unwrap();
    assert!(feed(
        &mut ex,
        &candle(1, "40000", "45500", "39500", "42400", "1000")
    )
    .is_empty());
    let book = &ex.books[0];
    assert_eq!(book.up, Some(p("45500")), "the highest price is tracked");
    assert_eq!(book.down, Some(p("42315")), "firing level follows it");
}
