//! Fees paid in BNB: the bot values each at the `BNBUSDT` price of the fill's minute (not the
//! price when it syncs the fill), journals that value with the fill, and realised P&L counts
//! it like a quote fee.

use crate::bot::settle;
use crate::harness::{assert_store_matches_exchange, client, fil_strategy, start_sim, T0};
use binance_trader::adapters::klines::Candle;
use binance_trader::adapters::memory_store::MemoryStore;
use binance_trader::apps::bot::{Bot, BotSettings};
use binance_trader::core::filters::SymbolRules;
use binance_trader::core::money::{Amount, Price, Qty, Quote};
use binance_trader::core::order::Side;
use binance_trader::core::strategy::position::Position;
use binance_trader::core::symbol::{Asset, Symbol};
use binance_trader::ports::exchange::{
    Account, BookTicker, Exchange, ExchangeError, ExchangeTrade, NewOrder, OrderRef, OrderReport,
};
use binance_trader::ports::store::Store;
use rust_decimal::Decimal;

/// The real client, except that every sell's fee is reported as 0.0001 BNB, and `BNBUSDT`
/// costs 600 + one USDT per minute since `T0` at any past moment but [`BNB_NOW`] now (the
/// simulated exchange charges fees in the received asset only; a sell's is in USDT, so the
/// base position stays true).
struct BnbFees<E> {
    inner: E,
}

const BNB_FEE: &str = "0.0001";
const BNB_NOW: &str = "999";

/// `BNBUSDT` at `time_ms` in this test's market.
fn bnb_at(time_ms: i64) -> Decimal {
    Decimal::from(600 + (time_ms - T0).div_euclid(60_000))
}

impl<E: Exchange> Exchange for BnbFees<E> {
    async fn symbol_rules(&self, s: &Symbol) -> Result<SymbolRules, ExchangeError> {
        self.inner.symbol_rules(s).await
    }
    async fn server_time(&self) -> Result<i64, ExchangeError> {
        self.inner.server_time().await
    }
    async fn ticker_price(&self, s: &Symbol) -> Result<Price, ExchangeError> {
        if s.as_str() == "BNBUSDT" {
            return Ok(Price::parse(BNB_NOW).unwrap());
        }
        self.inner.ticker_price(s).await
    }
    async fn price_at(&self, s: &Symbol, t: i64) -> Result<Price, ExchangeError> {
        if s.as_str() == "BNBUSDT" {
            return Ok(Price::new(bnb_at(t)));
        }
        self.inner.price_at(s, t).await
    }
    async fn closed_candles(
        &self,
        s: &Symbol,
        from_open_ms: Option<i64>,
        limit: u16,
    ) -> Result<Vec<binance_trader::core::candle::Candle>, ExchangeError> {
        self.inner.closed_candles(s, from_open_ms, limit).await
    }
    async fn book_ticker(&self, s: &Symbol) -> Result<BookTicker, ExchangeError> {
        self.inner.book_ticker(s).await
    }
    async fn account(&self) -> Result<Account, ExchangeError> {
        self.inner.account().await
    }
    async fn open_orders(
        &self,
        s: &Symbol,
    ) -> Result<binance_trader::ports::exchange::Orders, ExchangeError> {
        self.inner.open_orders(s).await
    }
    async fn place(&self, o: &NewOrder) -> Result<OrderReport, ExchangeError> {
        self.inner.place(o).await
    }
    async fn query(&self, s: &Symbol, o: &OrderRef) -> Result<Option<OrderReport>, ExchangeError> {
        self.inner.query(s, o).await
    }
    async fn cancel(&self, s: &Symbol, o: &OrderRef) -> Result<OrderReport, ExchangeError> {
        self.inner.cancel(s, o).await
    }
    async fn amend(
        &self,
        s: &Symbol,
        o: &OrderRef,
        q: binance_trader::core::money::Qty,
        id: &binance_trader::core::client_id::ClientOrderId,
    ) -> Result<OrderReport, ExchangeError> {
        self.inner.amend(s, o, q, id).await
    }
    async fn all_orders(
        &self,
        s: &Symbol,
        since_ms: Option<i64>,
    ) -> Result<binance_trader::ports::exchange::Orders, ExchangeError> {
        self.inner.all_orders(s, since_ms).await
    }
    async fn my_trades(&self, s: &Symbol, from: u64) -> Result<Vec<ExchangeTrade>, ExchangeError> {
        let mut trades = self.inner.my_trades(s, from).await?;
        for t in trades.iter_mut().filter(|t| t.side == Side::Sell) {
            t.commission = Amount::parse(BNB_FEE).unwrap();
            t.commission_asset = Asset::parse("BNB").unwrap();
        }
        Ok(trades)
    }
}

fn candle(i: i64, o: &str, h: &str, l: &str, c: &str) -> Candle {
    let t = T0 + i * 60_000;
    Candle {
        open_time_ms: t,
        open: Price::parse(o).unwrap(),
        high: Price::parse(h).unwrap(),
        low: Price::parse(l).unwrap(),
        close: Price::parse(c).unwrap(),
        volume: Qty::parse("100000").unwrap(),
        close_time_ms: t + 59_999,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bnb_fee_is_valued_at_its_fill_and_enters_realised_pnl() {
    let candles = vec![
        candle(0, "4.000", "4.001", "3.999", "4.000"),
        candle(1, "4.000", "4.001", "3.950", "3.955"), // B1 (3.960) fills
        candle(2, "3.955", "3.956", "3.954", "3.955"),
        candle(3, "3.955", "4.060", "3.954", "4.050"), // TP1 fills
        candle(4, "4.050", "4.051", "4.049", "4.050"),
    ];
    let n = candles.len();
    let sim = start_sim(candles).await;
    let ex = BnbFees {
        inner: client(&sim.base),
    };
    let settings = BotSettings::new(fil_strategy()).with_intent_grace(0);
    let mut bot = Bot::new(ex, MemoryStore::new(), settings).await.unwrap();
    for _ in 0..n {
        settle(&mut bot).await;
        sim.server.step(1);
    }
    settle(&mut bot).await;

    let fills = bot.store().basket_fills(1).await.unwrap();
    assert!(
        fills.iter().any(|f| f.side == Side::Sell),
        "no sell: {fills:?}"
    );
    for f in fills.iter().filter(|f| f.side == Side::Sell) {
        let value = Decimal::from_str_exact(BNB_FEE).unwrap() * bnb_at(f.time_ms);
        assert_eq!(f.commission.asset.as_str(), "BNB");
        assert_eq!(f.commission.quote_value, Some(Quote::new(value)), "{f:?}");
    }
    let basket = bot.store().basket(1).await.unwrap().unwrap().basket;
    let (base, quote) = (Asset::parse("FIL").unwrap(), Asset::parse("USDT").unwrap());
    let with_fees = Position::from_fills(&basket, &fills, &base, &quote);
    let unvalued: Vec<_> = fills
        .iter()
        .cloned()
        .map(|mut f| {
            f.commission.quote_value = None;
            f
        })
        .collect();
    let without = Position::from_fills(&basket, &unvalued, &base, &quote);
    assert!(
        with_fees.realised_pnl < without.realised_pnl,
        "the BNB fees did not enter realised P&L: {} vs {}",
        with_fees.realised_pnl,
        without.realised_pnl
    );
    assert_store_matches_exchange(bot.store(), bot.exchange()).await;
}

/// The client reads the price at a moment from the klines: the close of that moment's minute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_price_at_a_moment_is_the_close_of_its_minute() {
    let candles = vec![
        candle(0, "4.000", "4.001", "3.999", "4.000"),
        candle(1, "4.000", "4.101", "3.950", "4.100"),
        candle(2, "4.100", "4.201", "4.054", "4.200"),
    ];
    let sim = start_sim(candles).await;
    sim.server.step(3);
    let ex = client(&sim.base);
    let fil = Symbol::parse("FILUSDT").unwrap();
    for (at, close) in [
        (T0 + 90_000, "4.100"),
        (T0 + 120_000, "4.200"),
        (T0 + 5, "4.000"),
    ] {
        assert_eq!(
            ex.price_at(&fil, at).await.unwrap(),
            Price::parse(close).unwrap()
        );
    }
}
