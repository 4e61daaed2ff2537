//! The operator command queue (migration 0006) on SQLite and PostgreSQL: a command is taken
//! once, in order; a stale one is withdrawn instead of run; a withdrawn one is never taken; a
//! receipt is written only for a taken command.

use crate::store::fixtures::TestDb;
use binance_trader::ports::operator::{CommandKind, CommandState};
use binance_trader::ports::store::{Store, StoreError};

async fn queue_contract(store: &impl Store) {
    let first = store
        .enqueue_command(CommandKind::CloseAll, 1_000)
        .await
        .unwrap();
    let second = store
        .enqueue_command(CommandKind::CloseAll, 2_000)
        .await
        .unwrap();
    assert!(second > first);
    let pending = store.command(first).await.unwrap().unwrap();
    assert_eq!(pending.state, CommandState::Pending);
    assert_eq!(
        (pending.kind, pending.requested_ms),
        (CommandKind::CloseAll, 1_000)
    );

    // Only commands asked for since 1 500 may run: the first is withdrawn, the second taken.
    let taken = store.take_command(1_500, 3_000).await.unwrap().unwrap();
    assert_eq!(
        (taken.id, taken.state, taken.taken_ms),
        (second, CommandState::Taken, Some(3_000))
    );
    let stale = store.command(first).await.unwrap().unwrap();
    assert_eq!(stale.state, CommandState::Withdrawn);
    assert!(stale.receipt.unwrap().contains("too old"));
    assert!(
        store.take_command(0, 3_001).await.unwrap().is_none(),
        "taken twice"
    );

    store
        .finish_command(second, CommandState::Done, "closed 1 basket(s)", 4_000)
        .await
        .unwrap();
    let done = store.command(second).await.unwrap().unwrap();
    assert_eq!(done.state, CommandState::Done);
    assert_eq!(done.receipt.as_deref(), Some("closed 1 basket(s)"));
    assert_eq!(done.done_ms, Some(4_000));
    assert!(matches!(
        store
            .finish_command(second, CommandState::Failed, "again", 5_000)
            .await,
        Err(StoreError::NotFound(_))
    ));

    // Withdrawn while pending: never taken afterwards; a taken one cannot be withdrawn.
    let third = store
        .enqueue_command(CommandKind::CloseAll, 6_000)
        .await
        .unwrap();
    assert!(store.withdraw_command(third, 6_500).await.unwrap());
    assert!(store.take_command(0, 7_000).await.unwrap().is_none());
    let fourth = store
        .enqueue_command(CommandKind::CloseAll, 8_000)
        .await
        .unwrap();
    store.take_command(0, 8_100).await.unwrap().unwrap();
    assert!(!store.withdraw_command(fourth, 8_200).await.unwrap());
    assert!(store.command(999_999).await.unwrap().is_none());
}

#[tokio::test]
async fn command_queue_on_sqlite() {
    let db = TestDb::sqlite().await;
    queue_contract(&db.store).await;
}

#[tokio::test]
async fn command_queue_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("{}", crate::store::fixtures::PG_SKIPPED);
        return;
    };
    queue_contract(&db.store).await;
    db.cleanup().await;
}

#[tokio::test]
async fn command_queue_in_memory() {
    queue_contract(&binance_trader::adapters::memory_store::MemoryStore::new()).await;
}
