//! Operator commands queued in the store for the running bot: how `close-all` reaches a bot
//! that holds the database's instance lock (`.spec/operations.md` § close-all). The bot takes
//! a pending command within a fraction of a second, runs it with the code the dashboard's
//! button runs, and writes the receipt the command line prints.

use serde::{Deserialize, Serialize};

/// What the operator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// The emergency close.
    CloseAll,
}

impl CommandKind {
    /// Database name.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandKind::CloseAll => "close_all",
        }
    }
}

/// Where a command is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandState {
    /// Written by the operator; no bot has it yet.
    Pending,
    /// A bot took it and is running it.
    Taken,
    /// Ran; the receipt says what was done.
    Done,
    /// Ran and failed, or did only part of the work; the receipt says what and why.
    Failed,
    /// Never ran: the operator gave up waiting, or it was too old when a bot looked.
    Withdrawn,
}

impl CommandState {
    /// Database name.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandState::Pending => "pending",
            CommandState::Taken => "taken",
            CommandState::Done => "done",
            CommandState::Failed => "failed",
            CommandState::Withdrawn => "withdrawn",
        }
    }

    /// True once nothing more will happen to the command.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CommandState::Done | CommandState::Failed | CommandState::Withdrawn
        )
    }
}

/// One queued command as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRecord {
    /// Its id (increasing).
    pub id: u64,
    /// What it asks for.
    pub kind: CommandKind,
    /// Where it is.
    pub state: CommandState,
    /// When the operator asked, Unix ms (wall clock of the asking process).
    pub requested_ms: i64,
    /// When a bot took it.
    pub taken_ms: Option<i64>,
    /// When it ended.
    pub done_ms: Option<i64>,
    /// What was done, as the dashboard shows it (never a secret).
    pub receipt: Option<String>,
}

/// `bot_config` key prefix of a portfolio grid's pending command (`<prefix><grid>` =
/// `<verb> <requested wall ms>`, `.spec/portfolio.md` "Operator controls").
pub const GRID_COMMAND_PREFIX: &str = "portfolio_command:";
/// `bot_config` key prefix of a portfolio grid's last receipt
/// (`<verb> <ms>: done|failed|withdrawn|refused: …`).
pub const GRID_RECEIPT_PREFIX: &str = "portfolio_receipt:";

/// `bot_config` key of the risk limits holding for each grid of a portfolio, as JSON
/// (`{"grid": [trip, …]}`): the running portfolio writes it, `status` and the dashboard
/// read it, and a restart neither announces a limit again nor forgets that it cleared.
pub const HELD_KEY: &str = "portfolio_risk_held";

/// `bot_config` key of the grid symbols' correlation matrix, as JSON
/// (`core::correlation::CorrelationMatrix`): the running portfolio writes it when a return's
/// bucket closes, the dashboard's overview shows it.
pub const CORRELATION_KEY: &str = "portfolio_correlation";

/// What [`CORRELATION_KEY`] holds: the matrix and the correlated-group cap's threshold (if
/// the portfolio sets the cap), so the dashboard can show which pairs group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCorrelation {
    /// `risk.correlated_exposure.threshold`, if the cap is on.
    pub threshold: Option<rust_decimal::Decimal>,
    /// The matrix at its last change.
    pub matrix: crate::core::correlation::CorrelationMatrix,
}

/// The stored correlation, if a portfolio wrote one (an unreadable row reads as none).
pub async fn load_correlation<S: crate::ports::store::Store>(
    store: &S,
) -> Result<Option<StoredCorrelation>, crate::ports::store::StoreError> {
    Ok(store
        .config_value(CORRELATION_KEY)
        .await?
        .and_then(|json| serde_json::from_str(&json).ok()))
}

/// What the operator asks of one grid of a portfolio. Lives here, below both the
/// portfolio (which runs it) and the dashboard (which queues it), so neither imports the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GridCommand {
    /// Stop deciding for the grid's baskets; leave their orders.
    Pause,
    /// Trade again.
    Resume,
    /// Emergency close; stays closed until resumed.
    Close,
}

impl GridCommand {
    /// The verb as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            GridCommand::Pause => "pause",
            GridCommand::Resume => "resume",
            GridCommand::Close => "close",
        }
    }

    /// A stored verb.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pause" => Some(GridCommand::Pause),
            "resume" => Some(GridCommand::Resume),
            "close" => Some(GridCommand::Close),
            _ => None,
        }
    }
}

/// Queues `command` for `grid` (its `bot_config` row, replacing any command still queued)
/// and returns the row's text, which the receipt starts with once the loop ran it.
pub async fn queue_grid_command<S: crate::ports::store::Store>(
    store: &S,
    grid: &str,
    command: GridCommand,
    now_ms: i64,
) -> Result<String, crate::ports::store::StoreError> {
    let key = format!("{GRID_COMMAND_PREFIX}{grid}");
    let row = format!("{} {now_ms}", command.as_str());
    store.set_config_value(&key, &row, now_ms).await?;
    Ok(row)
}

/// The receipt of `queued` (a row [`queue_grid_command`] wrote) for `grid`, once the loop
/// wrote it.
pub async fn grid_receipt<S: crate::ports::store::Store>(
    store: &S,
    grid: &str,
    queued: &str,
) -> Result<Option<String>, crate::ports::store::StoreError> {
    let receipt = store
        .config_value(&format!("{GRID_RECEIPT_PREFIX}{grid}"))
        .await?
        .unwrap_or_default();
    Ok(receipt
        .starts_with(&format!("{queued}: "))
        .then_some(receipt))
}

/// The risk limits holding for each grid as the portfolio last wrote them ([`HELD_KEY`]);
/// empty for a single bot's journal. A missing or unreadable row reads as none: the
/// portfolio then announces them again, which is the safe side.
pub async fn load_held<S: crate::ports::store::Store>(
    store: &S,
) -> Result<
    std::collections::BTreeMap<String, Vec<crate::core::risk::Trip>>,
    crate::ports::store::StoreError,
> {
    Ok(store
        .config_value(HELD_KEY)
        .await?
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory_store::MemoryStore;
    use crate::ports::store::Store;

    #[test]
    fn every_grid_verb_reads_back() {
        for c in [GridCommand::Pause, GridCommand::Resume, GridCommand::Close] {
            assert_eq!(GridCommand::parse(c.as_str()), Some(c));
        }
        assert_eq!(GridCommand::parse("sell"), None);
    }

    #[tokio::test]
    async fn a_receipt_counts_only_for_the_row_it_answers() {
        let store = MemoryStore::new();
        let row = queue_grid_command(&store, "avax", GridCommand::Close, 2_000)
            .await
            .unwrap();
        assert_eq!(row, "close 2000");
        assert_eq!(
            store
                .config_value("portfolio_command:avax")
                .await
                .unwrap()
                .as_deref(),
            Some("close 2000")
        );
        let rkey = "portfolio_receipt:avax";
        store
            .set_config_value(rkey, "close 1000: done: an older close", 1)
            .await
            .unwrap();
        assert_eq!(grid_receipt(&store, "avax", &row).await.unwrap(), None);
        store
            .set_config_value(rkey, "close 2000: done: grid avax closed", 3)
            .await
            .unwrap();
        assert_eq!(
            grid_receipt(&store, "avax", &row).await.unwrap().as_deref(),
            Some("close 2000: done: grid avax closed")
        );
        assert_eq!(grid_receipt(&store, "fil", &row).await.unwrap(), None);
    }
}
