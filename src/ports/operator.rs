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
