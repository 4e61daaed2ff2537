//! `binance-trader grid NAME pause|resume|close`: one grid's control, from another process,
//! for the portfolio running on the journal (`paper --portfolio`, `run --portfolio`). The
//! command is queued as the grid's `bot_config` row; the running loop takes it within a
//! fraction of a second and writes the receipt, which is printed (`.spec/portfolio.md`,
//! "Operator controls"). Refused when no bot holds the journal's instance lock: nothing
//! would take it, and a stale row must not fire at a later start (the loop drops rows older
//! than the queue's TTL anyway).

use super::control::GridCommand;
use crate::adapters::store::SqlStore;
use crate::apps::backup::JournalArgs;
use crate::apps::bot::runner::wall_ms;
use crate::apps::settings_file::BotFile;
use crate::ports::operator::{grid_receipt, queue_grid_command};
use crate::ports::store::StoreError;
use anyhow::{bail, Context};
use std::time::Duration;

/// How long `grid` waits for the running loop's receipt.
pub const GRID_WAIT: Duration = Duration::from_secs(60);

/// Options of `grid`.
#[derive(Debug, Clone, clap::Args)]
pub struct GridArgs {
    /// The grid's name in the portfolio file.
    pub name: String,
    /// What to do: pause, resume or close.
    #[arg(value_parser = ["pause", "resume", "close"])]
    pub action: String,
    /// The journal (paper: `--database data/paper.sqlite`).
    #[command(flatten)]
    pub journal: JournalArgs,
}

/// Queues the command, waits for the receipt and prints it; exit 1 unless it was done.
pub fn run(args: &GridArgs) -> anyhow::Result<()> {
    let command = GridCommand::parse(&args.action)
        .with_context(|| format!("{}: not pause, resume or close", args.action))?;
    let rt = tokio::runtime::Runtime::new().context("starting tokio")?;
    let receipt = rt.block_on(async {
        let store = open(&args.journal).await?;
        match store.lock_instance().await {
            Ok(lock) => {
                lock.release().await?;
                bail!(
                    "no portfolio runs on this journal (paper --portfolio or run --portfolio \
                     holds it while it runs); nothing was queued"
                );
            }
            Err(StoreError::Locked(_)) => {}
            Err(e) => return Err(e.into()),
        }
        let queued = queue_grid_command(&store, &args.name, command, wall_ms()).await?;
        let deadline = tokio::time::Instant::now() + GRID_WAIT;
        loop {
            if let Some(receipt) = grid_receipt(&store, &args.name, &queued).await? {
                return Ok(receipt);
            }
            if tokio::time::Instant::now() >= deadline {
                bail!(
                    "the running portfolio did not answer within {} s (see its log); the \
                     command stays queued until it is older than two minutes",
                    GRID_WAIT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })?;
    println!("{receipt}");
    if !receipt.contains(": done: ") {
        bail!("the grid command was not done");
    }
    Ok(())
}

async fn open(args: &JournalArgs) -> anyhow::Result<SqlStore> {
    let url = match &args.database {
        Some(url) if url.contains("://") => url.clone(),
        Some(path) => format!("sqlite://{path}"),
        None => {
            let cwd = std::env::current_dir().context("reading the working directory")?;
            crate::apps::key_safety::load_dotenv(&cwd)?;
            BotFile::load_from_process(&args.config)?.database_url
        }
    };
    if SqlStore::sqlite_file(&url).is_some_and(|f| !f.exists()) {
        bail!("{url}: no journal there (nothing runs on it)");
    }
    SqlStore::connect(&url)
        .await
        .context("opening the database (--database / DATABASE_URL / database_url)")
}
