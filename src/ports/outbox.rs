//! The notification outbox port (`.spec/notifications.md`): notifications are written to the
//! store before any delivery is tried, claimed under a lease, and marked sent once the channel
//! accepted them, so a notification survives a restart and is never sent twice.
//!
//! Also the [`Channel`] port: one delivery of a batch of notifications to one receiver
//! (Telegram, Discord, a JSON webhook, e-mail), with an error that says whether the batch may
//! have arrived.
//!
//! Dispatch: native `async fn` used generically, like [`crate::ports::store::Store`].

use crate::ports::store::{AccountSnapshot, Event, EventLevel, StoreError};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// Where a notification goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Telegram Bot API `sendMessage`.
    Telegram,
    /// A Discord webhook.
    Discord,
    /// A generic JSON webhook.
    Webhook,
    /// E-mail over SMTP.
    Email,
}

impl ChannelKind {
    /// Every channel, in a fixed order.
    pub const ALL: [ChannelKind; 4] = [
        ChannelKind::Telegram,
        ChannelKind::Discord,
        ChannelKind::Webhook,
        ChannelKind::Email,
    ];

    /// Database and configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Telegram => "telegram",
            ChannelKind::Discord => "discord",
            ChannelKind::Webhook => "webhook",
            ChannelKind::Email => "email",
        }
    }

    /// The receiver de-duplicates by the idempotency key we send (the JSON webhook's
    /// `Idempotency-Key` header and item ids), so a delivery whose outcome is unknown may be
    /// sent again. The others would show a second copy: such a delivery is never repeated.
    pub fn idempotent(self) -> bool {
        matches!(self, ChannelKind::Webhook)
    }
}

impl std::str::FromStr for ChannelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown channel {s:?}"))
    }
}

/// Where a queued notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting for its turn (`next_attempt_ms`).
    Pending,
    /// Claimed by a deliverer until its lease ends.
    Sending,
    /// The channel accepted it.
    Sent,
    /// Given up (attempts exhausted, or the receiver refused it for good).
    Failed,
    /// The process stopped during a delivery to a channel that cannot de-duplicate: it may
    /// have arrived, so it is not sent again.
    Unknown,
}

impl OutboxState {
    /// Database name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sending => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
            OutboxState::Unknown => "unknown",
        }
    }
}

/// A notification to queue for one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    /// The channel.
    pub channel: ChannelKind,
    /// Unique per channel: the source it came from (`event:42`, `daily:2026-02-03`).
    pub dedup_key: String,
    /// Its category (`fill`, `basket_closed`, `hard_stop`, …).
    pub kind: String,
    /// How loud.
    pub level: EventLevel,
    /// One line.
    pub title: String,
    /// The details (never a secret).
    pub body: String,
    /// When what it reports happened (the exchange's clock), Unix ms.
    pub event_ms: i64,
}

/// A queued notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Row id (part of the idempotency key).
    pub id: i64,
    /// What was queued.
    pub item: NewNotification,
    /// Where it stands.
    pub state: OutboxState,
    /// Deliveries tried so far.
    pub attempts: u32,
    /// When it was queued (wall clock), Unix ms.
    pub created_ms: i64,
    /// Not tried before this (wall clock), Unix ms.
    pub next_attempt_ms: i64,
    /// When the channel accepted it.
    pub sent_ms: Option<i64>,
    /// The last failure, if any (never a secret: channels strip URLs and credentials).
    pub last_error: Option<String>,
}

/// How a delivery failed, by what may be done about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Certainly not delivered (no connection, or the receiver answered with a temporary
    /// failure): try again after a backoff, or after `retry_after_ms` when the receiver said.
    #[error("not delivered: {reason}")]
    NotDelivered {
        /// Why.
        reason: String,
        /// The receiver's own wait (HTTP 429 `retry_after`).
        retry_after_ms: Option<u64>,
    },
    /// Refused for good (bad token, unknown chat, malformed address): not retried.
    #[error("refused: {0}")]
    Refused(String),
    /// The request went out but no answer came: it may have arrived.
    #[error("outcome unknown: {0}")]
    Unknown(String),
}

/// One receiver of notifications.
pub trait Channel: Send + Sync {
    /// Which channel this is.
    fn kind(&self) -> ChannelKind;
    /// The longest message text it takes (Telegram 4096, Discord 2000 characters).
    fn max_chars(&self) -> usize;
    /// Delivers `batch` (one or more notifications) as one message.
    fn send(&self, batch: &[Notification]) -> impl Future<Output = Result<(), SendError>> + Send;
}

/// The outbox in the store.
pub trait Outbox: Send + Sync {
    /// Queues `items`, skipping any whose `(channel, dedup_key)` is queued already, and in the
    /// same transaction stores `cursor` (a `bot_config` key and value) when given, so a source
    /// read once is queued once. Returns how many rows were added.
    fn enqueue(
        &self,
        items: &[NewNotification],
        cursor: Option<(&str, i64)>,
        now_ms: i64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Claims up to `limit` due `pending` rows of `channel`, oldest first: they become
    /// `sending` until `lease_until_ms`. A row is claimed by one caller only.
    fn claim(
        &self,
        channel: ChannelKind,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Notification>, StoreError>> + Send;
    /// Marks claimed rows `sent` (rows no longer `sending` are left alone: idempotent).
    fn mark_sent(
        &self,
        ids: &[i64],
        now_ms: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Puts claimed rows back to `pending`, due at `next_attempt_ms`; `attempted` counts one
    /// more attempt and records `error` (false: a claim given back unsent, e.g. too long for
    /// this message).
    fn release(
        &self,
        ids: &[i64],
        next_attempt_ms: i64,
        attempted: bool,
        error: Option<&str>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Ends claimed rows as `failed` or `unknown`, with the reason.
    fn give_up(
        &self,
        ids: &[i64],
        state: OutboxState,
        error: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Rows still `sending` whose lease ended before `now_ms` (their deliverer died).
    fn expired_claims(
        &self,
        now_ms: i64,
    ) -> impl Future<Output = Result<Vec<Notification>, StoreError>> + Send;
    /// The latest `limit` rows, newest first (for the dashboard and tests).
    fn deliveries(
        &self,
        limit: u64,
    ) -> impl Future<Output = Result<Vec<Notification>, StoreError>> + Send;

    /// Events after the row id `after_id`, oldest first, with their ids (the notifier's
    /// source).
    fn events_after(
        &self,
        after_id: i64,
        limit: u64,
    ) -> impl Future<Output = Result<Vec<(i64, Event)>, StoreError>> + Send;
    /// The highest event row id (0 when none).
    fn last_event_id(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;
    /// The latest account snapshot taken at or before `time_ms` (for the daily summary).
    fn snapshot_at(
        &self,
        time_ms: i64,
    ) -> impl Future<Output = Result<Option<AccountSnapshot>, StoreError>> + Send;
}
