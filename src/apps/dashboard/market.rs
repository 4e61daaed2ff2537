//! Candles for the price chart. The bot reads no klines (it trades on the last price), so
//! the dashboard asks the exchange itself: a keyless REST client to the bot's own base URL
//! (public `GET /api/v3/klines`, weight 2), one request per range at most every
//! [`CANDLE_TTL`], shared by every browser (single flight). At most 1000 candles per range.

use super::chart::Range;
use crate::adapters::binance::rest::BinanceRest;
use crate::adapters::binance::transport::HttpTransport;
use crate::adapters::klines::Candle;
use crate::core::symbol::Symbol;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long fetched candles are served again.
pub const CANDLE_TTL: Duration = Duration::from_secs(15);

/// A boxed candle request.
pub type CandleFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<Candle>, String>> + Send + 'a>>;

/// Where candles come from (the exchange, or a test's list).
pub trait CandleSource: Send + Sync {
    /// The last `limit` candles of `interval` (`5m`, `1h`, `1d`), oldest first.
    fn candles<'a>(
        &'a self,
        symbol: &'a Symbol,
        interval: &'static str,
        limit: u16,
    ) -> CandleFuture<'a>;
}

impl<T: HttpTransport + 'static> CandleSource for BinanceRest<T> {
    fn candles<'a>(
        &'a self,
        symbol: &'a Symbol,
        interval: &'static str,
        limit: u16,
    ) -> CandleFuture<'a> {
        Box::pin(async move {
            self.klines(symbol, interval, None, None, Some(limit))
                .await
                .map_err(|e| e.to_string())
        })
    }
}

type Cached = (Instant, Arc<Result<Vec<Candle>, String>>);

/// The candle source with its per-range cache; cheap to clone.
#[derive(Clone, Default)]
pub struct Candles {
    source: Option<Arc<dyn CandleSource>>,
    cache: Arc<tokio::sync::Mutex<HashMap<Range, Cached>>>,
}

impl Candles {
    /// Candles from `source`.
    pub fn new(source: Arc<dyn CandleSource>) -> Self {
        Self {
            source: Some(source),
            cache: Arc::default(),
        }
    }

    /// The candles of `range`, at most [`CANDLE_TTL`] old and reaching at least the candle
    /// that opens at `need_ms` (a fill just made must find its candle); an error says why
    /// there are none. Errors and empty answers are not kept.
    pub async fn get(
        &self,
        symbol: &Symbol,
        range: Range,
        need_ms: Option<i64>,
    ) -> Arc<Result<Vec<Candle>, String>> {
        let Some(source) = &self.source else {
            return Arc::new(Err("no market data source".into()));
        };
        let mut cache = self.cache.lock().await;
        if let Some((at, candles)) = cache.get(&range) {
            let reaches = match (candles.as_ref(), need_ms) {
                (Ok(c), Some(need)) => c.last().is_some_and(|l| l.open_time_ms >= need),
                _ => true,
            };
            if at.elapsed() < CANDLE_TTL && reaches {
                return candles.clone();
            }
        }
        let (interval, limit) = range.interval();
        let fetched = Arc::new(source.candles(symbol, interval, limit).await);
        if let Err(e) = fetched.as_ref() {
            tracing::warn!(error = %e, "dashboard: candles could not be read");
        }
        if fetched.as_ref().as_ref().is_ok_and(|c| !c.is_empty()) {
            cache.insert(range, (Instant::now(), fetched.clone()));
        } else {
            cache.remove(&range);
        }
        fetched
    }
}
