//! The HTTP channels: Telegram Bot API `sendMessage`, a Discord webhook and a generic JSON
//! webhook. One `reqwest` client each, no redirects (a redirect could carry a token to
//! another host), errors stripped of their URL.
//!
//! Outcomes: 2xx delivered; 429 and 5xx (and 408) not delivered, retried (after the
//! receiver's `retry_after` when it gave one); other 4xx refused for good; a connection that
//! could not be made is not delivered; any other transport failure (a timeout, a dropped
//! connection) may have delivered it.

use super::text::render;
use crate::ports::outbox::{Channel, ChannelKind, Notification, SendError};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::Duration;

fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("binance-trader/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", e.without_url()))
}

/// A transport error as a [`SendError`], without the URL (it may hold a token). The chain of
/// causes (hyper, io) says what failed and holds no URL.
fn transport_error(e: reqwest::Error) -> SendError {
    let connect = e.is_connect();
    let e = e.without_url();
    let mut reason = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        reason.push_str(": ");
        reason.push_str(&c.to_string());
        cause = c.source();
    }
    if connect {
        SendError::NotDelivered {
            reason,
            retry_after_ms: None,
        }
    } else {
        SendError::Unknown(reason)
    }
}

/// Sends one JSON request and classifies the answer. `describe` picks the receiver's own
/// description out of an error body (never the body itself: it could echo anything).
async fn post(
    request: reqwest::RequestBuilder,
    describe: fn(&serde_json::Value) -> Option<String>,
) -> Result<serde_json::Value, SendError> {
    let response = request.send().await.map_err(transport_error)?;
    let status = response.status();
    let header_wait = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok());
    let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
    if status.is_success() {
        return Ok(body);
    }
    let reason = match describe(&body) {
        Some(d) => format!("HTTP {}: {}", status.as_u16(), short(&d)),
        None => format!("HTTP {}", status.as_u16()),
    };
    let code = status.as_u16();
    if code == 429 || code == 408 || status.is_server_error() {
        let body_wait = body
            .pointer("/parameters/retry_after")
            .or_else(|| body.get("retry_after"))
            .and_then(serde_json::Value::as_f64);
        let retry_after_ms = body_wait
            .or(header_wait)
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| (s * 1000.0).ceil() as u64);
        return Err(SendError::NotDelivered {
            reason,
            retry_after_ms,
        });
    }
    Err(SendError::Refused(reason))
}

fn short(text: &str) -> String {
    text.chars().take(200).collect()
}

/// Telegram Bot API: `POST {base_url}/bot{token}/sendMessage` with `chat_id` and plain `text`.
pub struct TelegramChannel {
    http: reqwest::Client,
    base_url: String,
    token: SecretString,
    chat_id: String,
}

impl std::fmt::Debug for TelegramChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramChannel")
            .field("base_url", &self.base_url)
            .field("chat_id", &self.chat_id)
            .finish_non_exhaustive()
    }
}

impl TelegramChannel {
    /// Telegram's message limit, in characters.
    pub const MAX_CHARS: usize = 4096;

    /// A channel to `chat_id` through the bot `token` at `base_url`
    /// (`https://api.telegram.org`, or a receiver on loopback).
    pub fn new(
        base_url: &str,
        token: SecretString,
        chat_id: &str,
        timeout: Duration,
    ) -> Result<Self, String> {
        super::check_url(base_url, "[notify.telegram] base_url")?;
        if token.expose_secret().trim().is_empty() {
            return Err("TELEGRAM_BOT_TOKEN is empty".into());
        }
        Ok(Self {
            http: client(timeout)?,
            base_url: base_url.trim_end_matches('/').to_string(),
            token,
            chat_id: chat_id.to_string(),
        })
    }
}

impl Channel for TelegramChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Telegram
    }
    fn max_chars(&self) -> usize {
        Self::MAX_CHARS
    }
    async fn send(&self, batch: &[Notification]) -> Result<(), SendError> {
        let message = render(batch, Self::MAX_CHARS);
        let url = format!(
            "{}/bot{}/sendMessage",
            self.base_url,
            self.token.expose_secret()
        );
        let body = json!({
            "chat_id": self.chat_id,
            "text": message.text,
            "disable_web_page_preview": true,
        });
        let answer = post(self.http.post(url).json(&body), |b| {
            b.get("description")
                .and_then(|d| d.as_str())
                .map(String::from)
        })
        .await?;
        if answer.get("ok").and_then(serde_json::Value::as_bool) == Some(false) {
            return Err(SendError::Refused("Telegram answered ok=false".into()));
        }
        Ok(())
    }
}

/// A Discord webhook: `POST {webhook_url}?wait=true` with `content`, mentions disabled.
pub struct DiscordChannel {
    http: reqwest::Client,
    webhook_url: SecretString,
}

impl std::fmt::Debug for DiscordChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordChannel").finish_non_exhaustive()
    }
}

impl DiscordChannel {
    /// Discord's `content` limit, in characters.
    pub const MAX_CHARS: usize = 2000;

    /// A channel to the webhook at `webhook_url` (its path holds the webhook's token).
    pub fn new(webhook_url: SecretString, timeout: Duration) -> Result<Self, String> {
        super::check_url(webhook_url.expose_secret(), "DISCORD_WEBHOOK_URL")?;
        Ok(Self {
            http: client(timeout)?,
            webhook_url,
        })
    }
}

impl Channel for DiscordChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Discord
    }
    fn max_chars(&self) -> usize {
        Self::MAX_CHARS
    }
    async fn send(&self, batch: &[Notification]) -> Result<(), SendError> {
        let message = render(batch, Self::MAX_CHARS);
        let mut url = reqwest::Url::parse(self.webhook_url.expose_secret())
            .map_err(|_| SendError::Refused("DISCORD_WEBHOOK_URL is not a URL".into()))?;
        url.query_pairs_mut().append_pair("wait", "true");
        let body = json!({
            "content": message.text,
            "allowed_mentions": { "parse": [] },
        });
        post(self.http.post(url).json(&body), |b| {
            b.get("message").and_then(|d| d.as_str()).map(String::from)
        })
        .await
        .map(|_| ())
    }
}

/// A generic JSON webhook: `POST {url}` with every notification of the batch (each with its
/// stable `id`) and an `Idempotency-Key` header, so the receiver can drop a repeat.
pub struct WebhookChannel {
    http: reqwest::Client,
    url: SecretString,
    bearer: Option<SecretString>,
}

impl std::fmt::Debug for WebhookChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookChannel").finish_non_exhaustive()
    }
}

impl WebhookChannel {
    /// The text limit used for batching.
    pub const MAX_CHARS: usize = 16_000;

    /// A channel to `url`, with `Authorization: Bearer {bearer}` when given.
    pub fn new(
        url: SecretString,
        bearer: Option<SecretString>,
        timeout: Duration,
    ) -> Result<Self, String> {
        super::check_url(url.expose_secret(), "NOTIFY_WEBHOOK_URL")?;
        Ok(Self {
            http: client(timeout)?,
            url,
            bearer,
        })
    }

    /// The key of a batch: the same rows give the same key, whenever they are sent.
    pub fn idempotency_key(batch: &[Notification]) -> String {
        let mut hash = Sha256::new();
        for n in batch {
            hash.update(n.id.to_le_bytes());
        }
        format!("binance-trader-{}", &hex::encode(hash.finalize())[..32])
    }
}

impl Channel for WebhookChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Webhook
    }
    fn max_chars(&self) -> usize {
        Self::MAX_CHARS
    }
    async fn send(&self, batch: &[Notification]) -> Result<(), SendError> {
        let message = render(batch, Self::MAX_CHARS);
        let items: Vec<_> = batch
            .iter()
            .map(|n| {
                json!({
                    "id": format!("bt-{}", n.id),
                    "kind": n.item.kind,
                    "level": n.item.level.as_str(),
                    "title": n.item.title,
                    "body": n.item.body,
                    "time_ms": n.item.event_ms,
                })
            })
            .collect();
        let body = json!({
            "source": "binance-trader",
            "title": message.title,
            "text": message.text,
            "notifications": items,
        });
        let mut request = self
            .http
            .post(self.url.expose_secret())
            .header("Idempotency-Key", Self::idempotency_key(batch))
            .json(&body);
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token.expose_secret());
        }
        post(request, |_| None).await.map(|_| ())
    }
}
