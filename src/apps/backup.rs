//! `backup`, `restore`, `export`, `import`, and the thinning of old account snapshots
//! (`.spec/store.md` § Backup, export and import).
//!
//! - `backup OUT` while the bot runs: SQLite → `VACUUM INTO` (a SQLite file); PostgreSQL → an
//!   export read in one `REPEATABLE READ` transaction.
//! - `restore IN` takes either kind of backup and writes it into the journal (the instance
//!   lock held, so never under a running bot); a journal with data is replaced only with
//!   `--force`.
//! - `export OUT` / `import IN`: one portable format, JSON lines — a header (format, schema
//!   version, tables and their columns), one line per row, an end line with the row counts
//!   (a truncated file is refused) — so a journal moves SQLite → PostgreSQL → SQLite with
//!   nothing lost.

use crate::adapters::store::{Dump, SqlStore, TABLES};
use crate::apps::key_safety;
use crate::apps::settings_file::BotFile;
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The `format` field of an export's header.
pub const FORMAT: &str = "binance-trader-journal";
/// The export format's version (the header and line shapes, not the schema).
pub const FORMAT_VERSION: u32 = 1;
/// The first bytes of a SQLite database file.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// Which journal a command works on.
#[derive(Debug, Clone, clap::Args)]
pub struct JournalArgs {
    /// The bot configuration file, for its database_url (and DATABASE_URL).
    #[arg(long, default_value = "config/bot.toml")]
    pub config: PathBuf,
    /// The database (overrides the configuration: `sqlite://…`, a path, or `postgres://…`).
    #[arg(long)]
    pub database: Option<String>,
}

/// `backup` / `export`.
#[derive(Debug, Clone, clap::Args)]
pub struct OutArgs {
    /// The journal.
    #[command(flatten)]
    pub journal: JournalArgs,
    /// The file to write (must not exist).
    pub out: PathBuf,
}

/// `restore` / `import`.
#[derive(Debug, Clone, clap::Args)]
pub struct InArgs {
    /// The journal.
    #[command(flatten)]
    pub journal: JournalArgs,
    /// Replace a journal that already holds data.
    #[arg(long)]
    pub force: bool,
    /// The backup or export to read.
    pub input: PathBuf,
}

/// The first line of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    format: String,
    format_version: u32,
    schema_version: i64,
    exported_ms: i64,
    backend: String,
    tables: Vec<(String, Vec<String>)>,
}

/// A row line (`t` table, `r` values in the header's column order) or the end line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum Line {
    Row { t: String, r: Vec<Value> },
    End { end: Vec<(String, usize)> },
}

fn database_url(args: &JournalArgs) -> anyhow::Result<String> {
    if let Some(url) = &args.database {
        return Ok(url.clone());
    }
    let cwd = std::env::current_dir().context("reading the working directory")?;
    key_safety::load_dotenv(&cwd)?;
    Ok(BotFile::load_from_process(&args.config)?.database_url)
}

async fn open(args: &JournalArgs) -> anyhow::Result<SqlStore> {
    let url = database_url(args)?;
    SqlStore::connect(&url)
        .await
        .context("opening the database (--database / DATABASE_URL / database_url)")
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new().context("starting tokio")
}

fn refuse_existing(out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        bail!(
            "{} exists: choose a new file (nothing is overwritten)",
            out.display()
        );
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(())
}

/// `backup OUT`.
pub fn backup(args: &OutArgs) -> anyhow::Result<()> {
    refuse_existing(&args.out)?;
    runtime()?.block_on(async {
        let store = open(&args.journal).await?;
        if store.backend_name() == "sqlite" {
            store
                .vacuum_into(&args.out)
                .await
                .with_context(|| format!("backing up into {}", args.out.display()))?;
            println!(
                "backup written: {} (SQLite database file)",
                args.out.display()
            );
        } else {
            let dump = store.read_dump().await?;
            write_export(&args.out, &dump, store.backend_name())?;
            println!(
                "backup written: {} (export, {} rows)",
                args.out.display(),
                total(&dump)
            );
        }
        store.close().await;
        Ok(())
    })
}

/// `export OUT`.
pub fn export(args: &OutArgs) -> anyhow::Result<()> {
    refuse_existing(&args.out)?;
    runtime()?.block_on(async {
        let store = open(&args.journal).await?;
        let dump = store.read_dump().await?;
        write_export(&args.out, &dump, store.backend_name())?;
        store.close().await;
        println!("exported {} rows to {}", total(&dump), args.out.display());
        Ok(())
    })
}

/// `restore IN` (a SQLite backup file or an export) and `import IN` (an export).
pub fn restore(args: &InArgs, export_only: bool) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let dump = if is_sqlite_file(&args.input)? {
            if export_only {
                bail!(
                    "{} is a SQLite database file, not an export: use `restore`",
                    args.input.display()
                );
            }
            read_sqlite_backup(&args.input).await?
        } else {
            read_export(&args.input)?
        };
        let store = open(&args.journal).await?;
        let _lock = store
            .lock_instance()
            .await
            .context("a bot is running on this database: stop it before restoring into it")?;
        let empty = store.journal_is_empty().await?;
        if !empty && !args.force {
            bail!(
                "the journal already holds data: restoring would replace it. Back it up, then \
                 run again with --force"
            );
        }
        store
            .write_dump(&dump, !empty)
            .await
            .context("writing the journal (nothing was changed)")?;
        store.close().await;
        println!(
            "restored {} rows from {} ({})",
            total(&dump),
            args.input.display(),
            counts_text(&dump)
        );
        Ok(())
    })
}

fn total(dump: &Dump) -> usize {
    dump.tables.iter().map(|(_, r)| r.len()).sum()
}

fn counts_text(dump: &Dump) -> String {
    dump.counts()
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_sqlite_file(path: &Path) -> anyhow::Result<bool> {
    use std::io::Read;
    let mut file =
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut head = [0u8; 16];
    let n = file.read(&mut head)?;
    Ok(n == 16 && head == SQLITE_MAGIC)
}

/// Reads a SQLite backup through a temporary copy (opening runs the migrations, so an older
/// backup is upgraded on the way; the backup file itself is never written).
async fn read_sqlite_backup(path: &Path) -> anyhow::Result<Dump> {
    let dir = tempdir()?;
    let copy = dir.join("restore.sqlite");
    std::fs::copy(path, &copy).with_context(|| format!("copying {}", path.display()))?;
    let source = SqlStore::connect(copy.to_str().context("temporary path is not UTF-8")?)
        .await
        .with_context(|| format!("opening the backup {}", path.display()))?;
    let dump = source.read_dump().await?;
    source.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(dump)
}

fn tempdir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "binance-trader-restore-{}-{:x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn header_tables() -> Vec<(String, Vec<String>)> {
    TABLES
        .iter()
        .map(|(t, _, cols)| {
            (
                t.to_string(),
                cols.iter().map(|(c, _)| c.to_string()).collect(),
            )
        })
        .collect()
}

/// Writes `dump` as an export (to a temporary name, renamed when complete).
pub fn write_export(out: &Path, dump: &Dump, backend: &str) -> anyhow::Result<()> {
    let partial = out.with_extension("partial");
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    let mut w = BufWriter::new(file);
    let header = Header {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        schema_version: dump.schema_version,
        exported_ms: crate::apps::notify::wall_ms(),
        backend: backend.into(),
        tables: header_tables(),
    };
    serde_json::to_writer(&mut w, &header)?;
    w.write_all(b"\n")?;
    for (table, rows) in &dump.tables {
        for r in rows {
            serde_json::to_writer(
                &mut w,
                &Line::Row {
                    t: table.clone(),
                    r: r.clone(),
                },
            )?;
            w.write_all(b"\n")?;
        }
    }
    serde_json::to_writer(&mut w, &Line::End { end: dump.counts() })?;
    w.write_all(b"\n")?;
    w.into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()
        .context("writing the export")?;
    std::fs::rename(&partial, out).with_context(|| format!("renaming to {}", out.display()))?;
    Ok(())
}

/// Reads an export, checking its header against this version's tables and its end line
/// against the rows read.
pub fn read_export(path: &Path) -> anyhow::Result<Dump> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut lines = std::io::BufReader::new(file).lines();
    let what = path.display();
    let first = lines.next().with_context(|| format!("{what} is empty"))??;
    let header: Header = serde_json::from_str(&first)
        .with_context(|| format!("{what}: not a binance-trader export (bad header line)"))?;
    if header.format != FORMAT || header.format_version != FORMAT_VERSION {
        bail!(
            "{what}: format {} version {} (this binary reads {FORMAT} version {FORMAT_VERSION})",
            header.format,
            header.format_version
        );
    }
    if header.tables != header_tables() {
        bail!(
            "{what}: written by a binance-trader with another schema (version {}): its tables \
             or columns differ from this version's",
            header.schema_version
        );
    }
    let mut dump = Dump {
        schema_version: header.schema_version,
        tables: TABLES
            .iter()
            .map(|(t, _, _)| (t.to_string(), Vec::new()))
            .collect(),
    };
    let mut end = None;
    for (n, line) in lines.enumerate() {
        let line = line?;
        let at = n + 2;
        if end.is_some() {
            bail!("{what}:{at}: data after the end line");
        }
        match serde_json::from_str::<Line>(&line)
            .with_context(|| format!("{what}:{at}: not a row"))?
        {
            Line::Row { t, r } => {
                let Some((_, rows)) = dump.tables.iter_mut().find(|(name, _)| *name == t) else {
                    bail!("{what}:{at}: unknown table {t}");
                };
                rows.push(r);
            }
            Line::End { end: counts } => end = Some(counts),
        }
    }
    match end {
        Some(counts) if counts == dump.counts() => Ok(dump),
        Some(_) => bail!("{what}: the row counts do not match the end line"),
        None => bail!("{what}: truncated (no end line): nothing imported"),
    }
}

/// `[retention]`: how long every account snapshot is kept before thinning.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSection {
    /// Days during which every snapshot is kept (0: thinning off).
    #[serde(default = "default_full_days")]
    pub snapshots_full_days: u64,
    /// Older snapshots: one kept per this many minutes.
    #[serde(default = "default_keep_minutes")]
    pub snapshots_keep_every_minutes: u64,
}

fn default_full_days() -> u64 {
    30
}
fn default_keep_minutes() -> u64 {
    60
}

impl Default for RetentionSection {
    fn default() -> Self {
        Self {
            snapshots_full_days: default_full_days(),
            snapshots_keep_every_minutes: default_keep_minutes(),
        }
    }
}

impl RetentionSection {
    /// Checks the ranges.
    pub fn check(&self) -> anyhow::Result<()> {
        if !(1..=7 * 24 * 60).contains(&self.snapshots_keep_every_minutes) {
            bail!(
                "snapshots_keep_every_minutes = {}: must be 1 to 10080 (a week)",
                self.snapshots_keep_every_minutes
            );
        }
        if self.snapshots_full_days > 36_500 {
            bail!(
                "snapshots_full_days = {}: at most 36500",
                self.snapshots_full_days
            );
        }
        Ok(())
    }

    /// Thins once, counting the days back from the latest snapshot (the exchange's clock,
    /// which a replay runs in the past); returns the snapshots deleted.
    pub async fn thin(&self, store: &SqlStore) -> anyhow::Result<u64> {
        use crate::ports::store::Store;
        if self.snapshots_full_days == 0 {
            return Ok(0);
        }
        let Some(now_ms) = store.snapshots(1).await?.last().map(|s| s.time_ms) else {
            return Ok(0);
        };
        let days = i64::try_from(self.snapshots_full_days).unwrap_or(i64::MAX / 86_400_000);
        let before = now_ms.saturating_sub(days.saturating_mul(86_400_000));
        let every = i64::try_from(self.snapshots_keep_every_minutes).unwrap_or(60) * 60_000;
        Ok(store.thin_snapshots(before, every).await?)
    }
}

/// How often the running bot thins old snapshots.
const THIN_EVERY: Duration = Duration::from_secs(3600);

/// Thins old snapshots now and every hour, on its own task (never in the trading loop).
pub fn spawn_retention(
    store: SqlStore,
    retention: RetentionSection,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match retention.thin(&store).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "old account snapshots thinned"),
                Err(e) => tracing::warn!(error = %e, "thinning old snapshots failed"),
            }
            tokio::time::sleep(THIN_EVERY).await;
        }
    })
}
