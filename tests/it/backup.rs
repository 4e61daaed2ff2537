//! Backup, restore, export and import through the binary (`.spec/store.md` § Backup,
//! export and import): a journal moves SQLite → PostgreSQL → SQLite with nothing lost; a
//! backup taken while a writer holds the instance lock restores; a journal with data is
//! replaced only with `--force`; old snapshots are thinned.

use crate::store::fixtures::*;
use binance_trader::adapters::store::{SqlStore, TABLES};
use binance_trader::core::order::{OrderStatus, Side, Slot};
use binance_trader::ports::operator::CommandKind;
use binance_trader::ports::outbox::{ChannelKind, NewNotification, Outbox};
use binance_trader::ports::store::{EventLevel, Store};
use std::process::Command;

fn bin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_binance-trader"))
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = bin(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A journal with a row in every table, awkward decimals included.
async fn fill_journal(s: &SqlStore) {
    s.insert_basket(&basket(1)).await.unwrap();
    s.insert_basket(&basket(2)).await.unwrap();
    let placed = intent(1, Slot::Buy(1), 1, 1_000);
    s.insert_intent(&placed).await.unwrap();
    s.upsert_order(
        1,
        &report(&placed, 77, OrderStatus::PartiallyFilled, "0.5", 1_100),
    )
    .await
    .unwrap();
    for (i, side) in [(1, Side::Buy), (2, Side::Sell)] {
        s.insert_fill(&fill_record(1, i, side, 1_000 + i as i64))
            .await
            .unwrap();
    }
    s.insert_snapshot(&snapshot(5_000)).await.unwrap();
    s.set_config_value("trade_cursor:FILUSDT", "3", 9)
        .await
        .unwrap();
    s.append_event(&event(7, Some(1), EventLevel::Warn, "fill"))
        .await
        .unwrap();
    let n = NewNotification {
        channel: ChannelKind::Email,
        dedup_key: "event:1".into(),
        kind: "fill".into(),
        level: EventLevel::Info,
        title: "t".into(),
        body: "b".into(),
        event_ms: 7,
    };
    s.enqueue(&[n], None, 8).await.unwrap();
    s.set_basket_note(1, "a note", 9).await.unwrap();
    s.enqueue_command(CommandKind::CloseAll, 10).await.unwrap();
}

#[tokio::test]
async fn export_import_round_trips_sqlite_postgres_sqlite() {
    let a = TestDb::sqlite().await;
    fill_journal(&a.store).await;
    let original = a.store.read_dump().await.unwrap();
    assert!(
        original.tables.iter().all(|(_, rows)| !rows.is_empty()),
        "every table has a row"
    );
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("a.jsonl");
    ok(&["export", "--database", &a.url, first.to_str().unwrap()]);

    let Some(pg) = TestDb::postgres().await else {
        eprintln!("{PG_SKIPPED}");
        return;
    };
    ok(&["import", "--database", &pg.url, first.to_str().unwrap()]);
    let on_pg = pg.store.read_dump().await.unwrap();
    assert_eq!(
        on_pg.tables, original.tables,
        "SQLite → PostgreSQL lost nothing"
    );
    // Sequences continue after the imported ids.
    pg.store
        .append_event(&event(8, None, EventLevel::Info, "x"))
        .await
        .unwrap();

    let second = dir.path().join("b.jsonl");
    ok(&["backup", "--database", &pg.url, second.to_str().unwrap()]);
    let back = dir.path().join("back.sqlite");
    let back_url = format!("sqlite://{}", back.display());
    ok(&["restore", "--database", &back_url, second.to_str().unwrap()]);
    let restored = SqlStore::connect(&back_url).await.unwrap();
    let mut round = restored.read_dump().await.unwrap();
    // The one event written on PostgreSQL after the import travelled too.
    let events = &mut round
        .tables
        .iter_mut()
        .find(|(t, _)| t == "events")
        .unwrap()
        .1;
    assert_eq!(events.len(), 2);
    events.pop();
    assert_eq!(
        round.tables, original.tables,
        "PostgreSQL → SQLite lost nothing"
    );
    restored.close().await;
    pg.cleanup().await;
}

#[tokio::test]
async fn a_backup_taken_while_a_writer_runs_restores_and_a_journal_is_replaced_only_with_force() {
    let a = TestDb::sqlite().await;
    fill_journal(&a.store).await;
    // A bot's stand-in: holds the instance lock and journals events all the while.
    let lock = a.store.lock_instance().await.unwrap();
    let writer = a.store.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let running = stop.clone();
    let task = tokio::spawn(async move {
        let mut n = 0;
        while !running.load(std::sync::atomic::Ordering::SeqCst) {
            n += 1;
            writer
                .append_event(&event(100 + n, None, EventLevel::Info, "tick"))
                .await
                .unwrap();
        }
        n
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.sqlite");
    let path = file.to_str().unwrap().to_string();
    let url = a.url.clone();
    let printed = tokio::task::spawn_blocking(move || ok(&["backup", "--database", &url, &path]))
        .await
        .unwrap();
    assert!(printed.contains("SQLite database file"), "{printed}");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let written = task.await.unwrap();
    assert!(written > 0);
    drop(lock);

    let target = TestDb::sqlite().await;
    target.store.insert_basket(&basket(9)).await.unwrap();
    let refused = bin(&["restore", "--database", &target.url, file.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    assert_eq!(
        target.store.basket(9).await.unwrap().map(|b| b.basket.id),
        Some(9),
        "untouched"
    );
    ok(&[
        "restore",
        "--force",
        "--database",
        &target.url,
        file.to_str().unwrap(),
    ]);
    assert!(target.store.basket(9).await.unwrap().is_none());
    let restored = target.store.read_dump().await.unwrap();
    let events = &restored
        .tables
        .iter()
        .find(|(t, _)| t == "events")
        .unwrap()
        .1;
    assert!(
        events.len() > 1,
        "a consistent prefix of the writer's events"
    );
    assert_eq!(target.store.basket(1).await.unwrap(), Some(basket(1)));

    // A truncated export is refused, nothing imported.
    let export = dir.path().join("e.jsonl");
    ok(&["export", "--database", &a.url, export.to_str().unwrap()]);
    let text = std::fs::read_to_string(&export).unwrap();
    let cut: Vec<&str> = text.lines().collect();
    std::fs::write(&export, cut[..cut.len() - 1].join("\n")).unwrap();
    let empty = TestDb::sqlite().await;
    let out = bin(&["import", "--database", &empty.url, export.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("truncated"));
    assert!(empty.store.journal_is_empty().await.unwrap());
}

/// Every table and column of the schema is in the export's list (a migration that adds one
/// must add it there).
#[tokio::test]
async fn the_export_covers_every_table_and_column() {
    let db = TestDb::sqlite().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN \
         ('schema_migrations') AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&sqlx::SqlitePool::connect(&db.url).await.unwrap())
    .await
    .unwrap();
    let mut listed: Vec<String> = TABLES.iter().map(|(t, _, _)| t.to_string()).collect();
    listed.sort();
    assert_eq!(tables, listed);
    let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    for (table, _, cols) in TABLES {
        let mut have: Vec<String> =
            sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(&pool)
                .await
                .unwrap();
        have.sort();
        let mut want: Vec<String> = cols.iter().map(|(c, _)| c.to_string()).collect();
        want.sort();
        assert_eq!(have, want, "{table}");
    }
}

#[tokio::test]
async fn old_snapshots_are_thinned_to_one_per_bucket() {
    let db = TestDb::sqlite().await;
    let hour = 3_600_000;
    for t in [
        0,
        60_000,
        120_000,
        hour,
        hour + 60_000,
        10 * hour,
        10 * hour + 1,
    ] {
        db.store.insert_snapshot(&snapshot(t)).await.unwrap();
    }
    let deleted = db.store.thin_snapshots(10 * hour, hour).await.unwrap();
    assert_eq!(deleted, 3);
    let kept: Vec<i64> = db
        .store
        .snapshots(100)
        .await
        .unwrap()
        .iter()
        .map(|s| s.time_ms)
        .collect();
    assert_eq!(kept, [0, hour, 10 * hour, 10 * hour + 1]);
}
