//! What a trading session was, journalled at its start (`bot_config` key [`SESSION_KEY`]):
//! where the orders went and, for paper, which candles the simulated exchange replayed from
//! which minute with which balance. `parity` reads it to replay the same market through the
//! backtester (`.spec/parity.md`); without it a journal does not say what it traded against.
//!
//! `paper` starts a fresh journal, so it always writes its session; `run` keeps the first
//! session written to its journal (a restart continues the same session).

use crate::apps::mode::Mode;
use crate::core::client_id::IdPrefix;
use crate::core::money::Quote;
use crate::core::symbol::Symbol;
use crate::ports::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `bot_config` key of the [`Session`] (JSON).
pub const SESSION_KEY: &str = "session";

/// A trading session as recorded at its start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Where the orders went.
    pub mode: Mode,
    /// The pair traded.
    pub symbol: Symbol,
    /// Exchange time at the start, Unix ms (paper: the open of the first replayed candle).
    pub start_ms: i64,
    /// Paper: the candle files the simulated exchange replayed, in order (absolute paths);
    /// empty for testnet and mainnet, whose market is not ours to replay.
    #[serde(default)]
    pub candle_files: Vec<PathBuf>,
    /// Paper: the quote balance the simulated account started with.
    #[serde(default)]
    pub initial_quote: Option<Quote>,
    /// Paper: the replay's pacing as given to `--speed` (`step` is the backtester's timing).
    #[serde(default)]
    pub speed: Option<String>,
    /// A portfolio session (`paper --portfolio`): its grids, each replayed on its own by
    /// `parity`; empty for one grid. `symbol` is then the first grid's, `candle_files` every
    /// file and `initial_quote` the account's starting equity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grids: Vec<SessionGrid>,
}

/// One grid of a portfolio session: what `parity` needs to replay it alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionGrid {
    /// The grid's name in the portfolio file.
    pub name: String,
    /// Its pair.
    pub symbol: Symbol,
    /// Its client-id prefix (its baskets in the shared journal carry it).
    pub prefix: IdPrefix,
    /// Its budget: the quote the backtest of it starts with.
    pub budget: Quote,
    /// The candle files of its symbol (absolute paths).
    pub candle_files: Vec<PathBuf>,
}

/// Writes `session` (replacing any earlier one).
pub async fn record<S: Store>(store: &S, session: &Session, now_ms: i64) -> Result<(), StoreError> {
    let text =
        serde_json::to_string(session).map_err(|e| StoreError::Corrupt(format!("session: {e}")))?;
    store.set_config_value(SESSION_KEY, &text, now_ms).await
}

/// Writes `session` unless the journal already has one (a restart continues its session).
pub async fn record_first<S: Store>(
    store: &S,
    session: &Session,
    now_ms: i64,
) -> Result<(), StoreError> {
    match read(store).await? {
        Some(_) => Ok(()),
        None => record(store, session, now_ms).await,
    }
}

/// The journalled session, if one was recorded.
pub async fn read<S: Store>(store: &S) -> Result<Option<Session>, StoreError> {
    match store.config_value(SESSION_KEY).await? {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("{SESSION_KEY}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory_store::MemoryStore;

    fn session(mode: Mode, start_ms: i64) -> Session {
        Session {
            mode,
            symbol: Symbol::parse("FILUSDT").unwrap(),
            start_ms,
            candle_files: vec![PathBuf::from("/data/FILUSDT-1m-2023-04.csv.gz")],
            initial_quote: Some(Quote::new(rust_decimal::Decimal::from(10_000))),
            speed: Some("step".into()),
            grids: Vec::new(),
        }
    }

    #[tokio::test]
    async fn a_session_reads_back_and_a_restart_keeps_the_first() {
        let store = MemoryStore::new();
        assert_eq!(read(&store).await.unwrap(), None);
        record_first(&store, &session(Mode::Testnet, 1), 1)
            .await
            .unwrap();
        record_first(&store, &session(Mode::Testnet, 2), 2)
            .await
            .unwrap();
        assert_eq!(read(&store).await.unwrap(), Some(session(Mode::Testnet, 1)));
        record(&store, &session(Mode::Paper, 3), 3).await.unwrap();
        assert_eq!(read(&store).await.unwrap(), Some(session(Mode::Paper, 3)));
    }
}
