//! `binance-trader notify-test`: queues one test notification per configured channel in the
//! journal's outbox and delivers it (with anything still queued), so a trader can check the
//! `[notify]` settings before trusting them. It takes the instance lock: a running bot
//! delivers its own notifications (and announces its start anyway).

use super::config::Channels;
use super::{wall_ms, Notifier};
use crate::adapters::store::SqlStore;
use crate::apps::key_safety;
use crate::apps::settings_file::BotFile;
use crate::ports::outbox::{NewNotification, Outbox, OutboxState};
use crate::ports::store::EventLevel;
use anyhow::{bail, Context};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Options of `notify-test`.
#[derive(Debug, Clone, clap::Args)]
pub struct NotifyTestArgs {
    /// The bot configuration file (its `[notify]` section and database_url).
    #[arg(long, default_value = "config/bot.toml")]
    pub config: PathBuf,
    /// Seconds to wait for the deliveries.
    #[arg(long, default_value = "30")]
    pub wait_seconds: u64,
}

/// Runs `notify-test`.
pub fn run(args: &NotifyTestArgs) -> anyhow::Result<()> {
    let cwd = std::env::current_dir().context("reading the working directory")?;
    key_safety::load_dotenv(&cwd)?;
    let env = |k: &str| std::env::var(k).ok();
    let file = BotFile::load(&args.config, &env)?;
    let channels = file
        .notify
        .channels(&env)
        .with_context(|| format!("{}: [notify]", args.config.display()))?;
    if !channels.any() {
        bail!(
            "no notification channel is configured: add a [notify.telegram], [notify.discord], \
             [notify.webhook] or [notify.email] section to {} (secrets in the environment)",
            args.config.display()
        );
    }
    let rt = tokio::runtime::Runtime::new().context("starting tokio")?;
    rt.block_on(send(file, channels, args.wait_seconds))
}

async fn send(file: BotFile, channels: Channels, wait_seconds: u64) -> anyhow::Result<()> {
    let store = SqlStore::connect(&file.database_url)
        .await
        .context("opening the database (DATABASE_URL / database_url)")?;
    let _lock = store
        .lock_instance()
        .await
        .context("a bot is running on this database: it sends its own notifications")?;
    let now = wall_ms();
    let key = format!("test:{now}");
    let items: Vec<NewNotification> = channels
        .pacing()
        .into_iter()
        .map(|(channel, _)| NewNotification {
            channel,
            dedup_key: key.clone(),
            kind: "test".into(),
            level: EventLevel::Info,
            title: "[TEST] binance-trader: test notification".into(),
            body: format!(
                "If you read this, {} notifications reach you.",
                channel.as_str()
            ),
            event_ms: now,
        })
        .collect();
    store.enqueue(&items, None, now).await?;
    let timeout = file.notify.timeout();
    let notifier = Notifier::start_with(store.clone(), channels, None, timeout).await?;
    let started = Instant::now();
    let outcome = loop {
        let rows: Vec<_> = store
            .deliveries(200)
            .await?
            .into_iter()
            .filter(|n| n.item.dedup_key == key)
            .collect();
        let settled = rows.iter().all(|n| {
            !matches!(n.state, OutboxState::Pending | OutboxState::Sending) || n.attempts > 0
        });
        if settled || started.elapsed() > Duration::from_secs(wait_seconds) {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    if let Some(n) = notifier {
        n.stop(Duration::from_secs(1)).await;
    }
    let mut failed = 0;
    for n in &outcome {
        let state = n.state.as_str();
        match &n.last_error {
            Some(e) if n.state != OutboxState::Sent => {
                failed += 1;
                println!("{}: {state} ({e})", n.item.channel.as_str());
            }
            _ => println!("{}: {state}", n.item.channel.as_str()),
        }
    }
    store.close().await;
    if failed > 0 {
        bail!("{failed} channel(s) did not take the test notification (see above)");
    }
    Ok(())
}
