//! `[notify]` in `config/bot.toml`, and the secrets from the environment (never from the
//! file): `TELEGRAM_BOT_TOKEN`, `DISCORD_WEBHOOK_URL`, `NOTIFY_WEBHOOK_URL`,
//! `NOTIFY_WEBHOOK_TOKEN`, `SMTP_PASSWORD`.
//!
//! A channel is on when its section is present; Telegram, Discord and the webhook are also on
//! when their secret is in the environment (`TELEGRAM_CHAT_ID` names the chat then), so a
//! `.env` alone can turn them on.

use crate::adapters::notify::{
    DiscordChannel, EmailChannel, EmailConfig, EmailTls, TelegramChannel, WebhookChannel,
};
use crate::apps::notify::compose::KINDS;
use crate::ports::outbox::ChannelKind;
use anyhow::{bail, Context};
use secrecy::SecretString;
use serde::Deserialize;
use std::time::Duration;

/// `[notify]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySection {
    /// Seconds a delivery may take before its outcome is unknown (default 10).
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    /// `[notify.telegram]`.
    #[serde(default)]
    pub telegram: Option<TelegramSection>,
    /// `[notify.discord]`.
    #[serde(default)]
    pub discord: Option<ChannelOptions>,
    /// `[notify.webhook]`.
    #[serde(default)]
    pub webhook: Option<ChannelOptions>,
    /// `[notify.email]`.
    #[serde(default)]
    pub email: Option<EmailSection>,
}

/// Options every channel has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelOptions {
    /// Categories to send (default: all of them; see `.spec/notifications.md`).
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// Messages per minute at most (default per channel: Telegram 20, Discord 25, webhook 60,
    /// e-mail 4). Notifications waiting meanwhile go out together in one message.
    #[serde(default)]
    pub max_per_minute: Option<u32>,
    /// Notifications in one message at most (default 20).
    #[serde(default)]
    pub batch_max: Option<u32>,
    /// Attempts before a notification is given up (default 8).
    #[serde(default)]
    pub max_attempts: Option<u32>,
}

/// `[notify.telegram]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSection {
    /// The chat to write to (env `TELEGRAM_CHAT_ID`).
    #[serde(default)]
    pub chat_id: Option<String>,
    /// The Bot API's address (default `https://api.telegram.org`).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Common options.
    #[serde(flatten)]
    pub options: ChannelOptions,
}

/// `[notify.email]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSection {
    /// SMTP server.
    pub host: String,
    /// Its port (default 587).
    #[serde(default)]
    pub port: Option<u16>,
    /// `starttls` (default), `tls` or `none` (loopback only).
    #[serde(default)]
    pub tls: Option<EmailTls>,
    /// SMTP login (the password is `SMTP_PASSWORD`).
    #[serde(default)]
    pub username: Option<String>,
    /// Sender address.
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Common options.
    #[serde(flatten)]
    pub options: ChannelOptions,
}

/// How one channel is paced, once resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pacing {
    /// Categories sent.
    pub events: Vec<String>,
    /// Messages per minute.
    pub max_per_minute: u32,
    /// Notifications per message.
    pub batch_max: u32,
    /// Attempts before giving up.
    pub max_attempts: u32,
}

/// The channels that are on, ready to send.
#[derive(Debug, Default)]
pub struct Channels {
    /// Telegram.
    pub telegram: Option<(TelegramChannel, Pacing)>,
    /// Discord.
    pub discord: Option<(DiscordChannel, Pacing)>,
    /// JSON webhook.
    pub webhook: Option<(WebhookChannel, Pacing)>,
    /// E-mail.
    pub email: Option<(EmailChannel, Pacing)>,
}

impl Channels {
    /// Whether any channel is on.
    pub fn any(&self) -> bool {
        self.kinds().next().is_some()
    }

    /// The channels that are on, with their pacing.
    pub fn pacing(&self) -> Vec<(ChannelKind, &Pacing)> {
        let mut out = Vec::new();
        if let Some((_, p)) = &self.telegram {
            out.push((ChannelKind::Telegram, p));
        }
        if let Some((_, p)) = &self.discord {
            out.push((ChannelKind::Discord, p));
        }
        if let Some((_, p)) = &self.webhook {
            out.push((ChannelKind::Webhook, p));
        }
        if let Some((_, p)) = &self.email {
            out.push((ChannelKind::Email, p));
        }
        out
    }

    fn kinds(&self) -> impl Iterator<Item = ChannelKind> + '_ {
        self.pacing().into_iter().map(|(k, _)| k)
    }
}

fn pacing(o: &ChannelOptions, channel: ChannelKind) -> anyhow::Result<Pacing> {
    let what = channel.as_str();
    let events = match &o.events {
        Some(list) => {
            for e in list {
                if !KINDS.contains(&e.as_str()) {
                    bail!(
                        "[notify.{what}] events: unknown category {e:?} (one of {})",
                        KINDS.join(", ")
                    );
                }
            }
            list.clone()
        }
        None => KINDS.iter().map(|k| k.to_string()).collect(),
    };
    let default_rate = match channel {
        ChannelKind::Telegram => 20,
        ChannelKind::Discord => 25,
        ChannelKind::Webhook => 60,
        ChannelKind::Email => 4,
    };
    let max_per_minute = o.max_per_minute.unwrap_or(default_rate);
    let batch_max = o.batch_max.unwrap_or(20);
    let max_attempts = o.max_attempts.unwrap_or(8);
    for (key, value, range) in [
        ("max_per_minute", max_per_minute, 1..=600),
        ("batch_max", batch_max, 1..=100),
        ("max_attempts", max_attempts, 1..=100),
    ] {
        if !range.contains(&value) {
            bail!(
                "[notify.{what}] {key} = {value}: must be {} to {}",
                range.start(),
                range.end()
            );
        }
    }
    Ok(Pacing {
        events,
        max_per_minute,
        batch_max,
        max_attempts,
    })
}

fn secret(env: &dyn Fn(&str) -> Option<String>, key: &str) -> Option<SecretString> {
    env(key)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .map(SecretString::from)
}

impl NotifySection {
    /// The delivery timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds.unwrap_or(10).clamp(1, 120))
    }

    /// Builds the channels that are on; a channel half configured (a section without its
    /// secret) is an error naming what is missing, never a silent "off".
    pub fn channels(&self, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Channels> {
        let timeout = self.timeout();
        let mut out = Channels::default();
        let token = secret(env, "TELEGRAM_BOT_TOKEN");
        if self.telegram.is_some() || token.is_some() {
            let section = self.telegram.clone().unwrap_or_default();
            let Some(token) = token else {
                bail!("[notify.telegram] is set but TELEGRAM_BOT_TOKEN is not");
            };
            let chat_id = env("TELEGRAM_CHAT_ID")
                .filter(|v| !v.trim().is_empty())
                .or(section.chat_id.clone())
                .context(
                    "Telegram notifications need [notify.telegram] chat_id or TELEGRAM_CHAT_ID",
                )?;
            let base = section
                .base_url
                .clone()
                .unwrap_or_else(|| "https://api.telegram.org".into());
            let channel = TelegramChannel::new(&base, token, chat_id.trim(), timeout)
                .map_err(anyhow::Error::msg)?;
            out.telegram = Some((channel, pacing(&section.options, ChannelKind::Telegram)?));
        }
        let discord = secret(env, "DISCORD_WEBHOOK_URL");
        if self.discord.is_some() || discord.is_some() {
            let Some(url) = discord else {
                bail!("[notify.discord] is set but DISCORD_WEBHOOK_URL is not");
            };
            let channel = DiscordChannel::new(url, timeout).map_err(anyhow::Error::msg)?;
            let options = self.discord.clone().unwrap_or_default();
            out.discord = Some((channel, pacing(&options, ChannelKind::Discord)?));
        }
        let webhook = secret(env, "NOTIFY_WEBHOOK_URL");
        if self.webhook.is_some() || webhook.is_some() {
            let Some(url) = webhook else {
                bail!("[notify.webhook] is set but NOTIFY_WEBHOOK_URL is not");
            };
            let bearer = secret(env, "NOTIFY_WEBHOOK_TOKEN");
            let channel = WebhookChannel::new(url, bearer, timeout).map_err(anyhow::Error::msg)?;
            let options = self.webhook.clone().unwrap_or_default();
            out.webhook = Some((channel, pacing(&options, ChannelKind::Webhook)?));
        }
        if let Some(e) = &self.email {
            let config = EmailConfig {
                host: e.host.clone(),
                port: e.port.unwrap_or(587),
                tls: e.tls.unwrap_or(EmailTls::Starttls),
                username: e.username.clone(),
                password: secret(env, "SMTP_PASSWORD"),
                from: e.from.clone(),
                to: e.to.clone(),
            };
            let channel = EmailChannel::new(config, timeout).map_err(anyhow::Error::msg)?;
            out.email = Some((channel, pacing(&e.options, ChannelKind::Email)?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn section(text: &str) -> NotifySection {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn nothing_configured_means_no_channel() {
        let c = section("").channels(&env(&[])).unwrap();
        assert!(!c.any());
    }

    #[test]
    fn secrets_come_from_the_environment_and_never_show_in_debug_or_errors() {
        let c = section("[telegram]\nchat_id = \"42\"\n[webhook]\nmax_per_minute = 5\n")
            .channels(&env(&[
                ("TELEGRAM_BOT_TOKEN", "123:s3cret-token"),
                ("NOTIFY_WEBHOOK_URL", "https://hooks.example/s3cret-path"),
                (
                    "DISCORD_WEBHOOK_URL",
                    "https://discord.example/api/webhooks/1/s3cret",
                ),
            ]))
            .unwrap();
        assert_eq!(
            c.pacing().iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            vec![
                ChannelKind::Telegram,
                ChannelKind::Discord,
                ChannelKind::Webhook
            ]
        );
        assert_eq!(c.webhook.as_ref().unwrap().1.max_per_minute, 5);
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");

        let err = section("[discord]\n").channels(&env(&[])).unwrap_err();
        assert!(err.to_string().contains("DISCORD_WEBHOOK_URL"));
        let err = section("")
            .channels(&env(&[("NOTIFY_WEBHOOK_URL", "http://example.com/s3cret")]))
            .unwrap_err();
        assert!(!format!("{err:#}").contains("s3cret"), "{err:#}");
    }

    #[test]
    fn bad_options_name_the_key_and_the_rule() {
        for (text, vars, needle) in [
            ("[telegram]\n", vec![("TELEGRAM_BOT_TOKEN", "t")], "chat_id"),
            ("[telegram]\nchat_id = \"1\"\n", vec![], "TELEGRAM_BOT_TOKEN"),
            (
                "[webhook]\nevents = [\"fills\"]\n",
                vec![("NOTIFY_WEBHOOK_URL", "https://h/x")],
                "unknown category \"fills\"",
            ),
            (
                "[webhook]\nbatch_max = 0\n",
                vec![("NOTIFY_WEBHOOK_URL", "https://h/x")],
                "batch_max = 0",
            ),
            (
                "[email]\nhost = \"smtp.example\"\ntls = \"none\"\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n",
                vec![],
                "loopback",
            ),
        ] {
            let err = format!("{:#}", section(text).channels(&env(&vars)).unwrap_err());
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
