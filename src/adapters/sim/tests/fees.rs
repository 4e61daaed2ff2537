//! Commissions: rate by role, asset received by default, BNB at a discount with the fallback,
//! rounding to the commission precision.

use super::*;
use crate::adapters::sim::CommissionMode;

fn bnb_mode(price: &str) -> CommissionMode {
    CommissionMode::Bnb {
        asset: asset("BNB"),
        discount: d("0.25"),
        price_in_quote: [(asset("USDC"), p(price))].into_iter().collect(),
    }
}

struct Row {
    label: &'static str,
    mode: CommissionMode,
    bnb: &'static str,
    order: NewOrder,
    /// A candle to fill a resting order (maker); `None`: the order takes at placement.
    candle: Option<Candle>,
    commission: &'static str,
    asset: &'static str,
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            label: "taker buy pays base",
            mode: CommissionMode::ReceivedAsset,
            bnb: "0",
            order: market("o", Side::Buy, "2"),
            candle: None,
            commission: "0.002",
            asset: "SOL",
        },
        Row {
            label: "taker sell pays quote",
            mode: CommissionMode::ReceivedAsset,
            bnb: "0",
            order: market("o", Side::Sell, "2"),
            candle: None,
            commission: "0.2",
            asset: "USDC",
        },
        Row {
            label: "maker buy pays the maker rate in base",
            mode: CommissionMode::ReceivedAsset,
            bnb: "0",
            order: limit("o", Side::Buy, "95", "2"),
            candle: Some(candle(1, "96", "96", "94", "95", "1000")),
            commission: "0.001",
            asset: "SOL",
        },
        Row {
            label: "maker sell pays the maker rate in quote",
            mode: CommissionMode::ReceivedAsset,
            bnb: "0",
            order: limit("o", Side::Sell, "105", "2"),
            candle: Some(candle(1, "104", "106", "104", "105", "1000")),
            commission: "0.105",
            asset: "USDC",
        },
        // 200 × 0.001 × 0.75 / 600 = 0.00025 BNB.
        Row {
            label: "BNB with discount",
            mode: bnb_mode("600"),
            bnb: "1",
            order: market("o", Side::Buy, "2"),
            candle: None,
            commission: "0.00025",
            asset: "BNB",
        },
        Row {
            label: "BNB short: falls back to the received asset",
            mode: bnb_mode("600"),
            bnb: "0.0002",
            order: market("o", Side::Sell, "2"),
            candle: None,
            commission: "0.2",
            asset: "USDC",
        },
        // 200 × 0.001 × 0.75 / 7 = 0.0214285714… → 0.02142857.
        Row {
            label: "BNB rounds to 8 decimals",
            mode: bnb_mode("7"),
            bnb: "1",
            order: market("o", Side::Buy, "2"),
            candle: None,
            commission: "0.02142857",
            asset: "BNB",
        },
    ]
}

#[test]
fn commission_table() {
    for r in rows() {
        let mut cfg = config("100");
        cfg.fees.mode = r.mode;
        cfg.fees.maker_rate = d("0.0005");
        cfg.balances.push((asset("BNB"), a(r.bnb)));
        let initial = cfg.balances.clone();
        let mut ex = SimExchange::new(cfg);
        let (_, mut trades) = ex.place_with_fills(&r.order, 0).unwrap();
        if let Some(c) = &r.candle {
            assert!(trades.is_empty(), "{}", r.label);
            trades = feed(&mut ex, c);
        }
        assert_eq!(trades.len(), 1, "{}", r.label);
        let t = &trades[0];
        assert_eq!(
            (t.commission, t.commission_asset.as_str()),
            (a(r.commission), r.asset),
            "{}",
            r.label
        );
        assert_eq!(t.is_maker, r.candle.is_some(), "{}", r.label);
        assert_reconciles(&ex, &initial);
    }
}

#[test]
fn base_commission_rounds_half_away_from_zero() {
    let mut cfg = config("100");
    cfg.fees.taker_rate = d("0.00075");
    let mut ex = SimExchange::new(cfg);
    // 0.067 × 0.00075 = 0.00005025: exact at 8 decimals, a midpoint at 7.
    let (_, t) = ex
        .place_with_fills(&market("o", Side::Buy, "0.067"), 0)
        .unwrap();
    assert_eq!(t[0].commission, a("0.00005025"));
    let mut cfg = config("100");
    cfg.fees.taker_rate = d("0.00075");
    cfg.fees.precision = 7;
    let mut ex = SimExchange::new(cfg);
    let (_, t) = ex
        .place_with_fills(&market("o", Side::Buy, "0.067"), 0)
        .unwrap();
    assert_eq!(
        t[0].commission,
        a("0.0000503"),
        "…025 → …03: the midpoint rounds away from zero"
    );
}
