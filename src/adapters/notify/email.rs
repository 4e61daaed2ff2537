//! E-mail over SMTP with `lettre`: STARTTLS (port 587) or implicit TLS (465) through rustls;
//! unencrypted only to a loopback host (a local relay, or a test receiver).
//!
//! Outcomes: the server's 4xx reply is "not delivered" (retried), its 5xx reply "refused";
//! a connection that could not be made is "not delivered"; anything else (a timeout, a
//! dropped connection in the middle of DATA) may have delivered it. The `Message-ID` is a
//! function of the batch's row ids, so a mail client can recognise a repeat.

use super::text::render;
use crate::ports::outbox::{Channel, ChannelKind, Notification, SendError};
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailTls {
    /// Plain connection upgraded with STARTTLS (refused if the server cannot).
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
    /// No encryption: loopback hosts only.
    None,
}

/// Where and how to send e-mail.
pub struct EmailConfig {
    /// SMTP server host name.
    pub host: String,
    /// Its port (587 STARTTLS, 465 TLS, 25 local relay).
    pub port: u16,
    /// Connection security.
    pub tls: EmailTls,
    /// SMTP user name, if the server wants a login.
    pub username: Option<String>,
    /// SMTP password (env `SMTP_PASSWORD`).
    pub password: Option<SecretString>,
    /// The sender address.
    pub from: String,
    /// The recipients.
    pub to: Vec<String>,
}

impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<set>"))
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

/// E-mail channel.
pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl std::fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailChannel")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl EmailChannel {
    /// The text limit used for batching.
    pub const MAX_CHARS: usize = 32_000;

    /// A channel with `config`; checks the addresses and the security rule.
    pub fn new(config: EmailConfig, timeout: Duration) -> Result<Self, String> {
        let parse = |a: &str, what: &str| {
            a.parse::<Mailbox>()
                .map_err(|e| format!("[notify.email] {what} {a:?}: {e}"))
        };
        let from = parse(&config.from, "from")?;
        if config.to.is_empty() {
            return Err("[notify.email] to: at least one recipient".into());
        }
        let to = config
            .to
            .iter()
            .map(|a| parse(a, "to"))
            .collect::<Result<Vec<_>, _>>()?;
        let builder = match config.tls {
            EmailTls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                    .map_err(|e| format!("[notify.email] host: {e}"))?
            }
            EmailTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)
                .map_err(|e| format!("[notify.email] host: {e}"))?,
            EmailTls::None if super::is_loopback_host(&config.host) => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            }
            EmailTls::None => {
                return Err(format!(
                    "[notify.email] tls = \"none\" is allowed for a loopback host only, not {}",
                    config.host
                ))
            }
        };
        let mut builder = builder.port(config.port).timeout(Some(timeout));
        match (&config.username, &config.password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(
                    user.clone(),
                    password.expose_secret().to_string(),
                ));
            }
            (Some(_), None) => {
                return Err("[notify.email] username is set but SMTP_PASSWORD is not".into())
            }
            _ => {}
        }
        Ok(Self {
            transport: builder.build(),
            from,
            to,
        })
    }

    fn message(&self, batch: &[Notification]) -> Result<Message, SendError> {
        let rendered = render(batch, Self::MAX_CHARS);
        let mut hash = Sha256::new();
        for n in batch {
            hash.update(n.id.to_le_bytes());
        }
        let id = format!(
            "<bt-{}@binance-trader>",
            &hex::encode(hash.finalize())[..32]
        );
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(format!("[binance-trader] {}", rendered.title))
            .message_id(Some(id));
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        builder
            .header(ContentType::TEXT_PLAIN)
            .body(rendered.text)
            .map_err(|e| SendError::Refused(format!("cannot build the e-mail: {e}")))
    }
}

/// Whether the failure happened before anything was sent (no connection at all).
fn never_connected(e: &lettre::transport::smtp::Error) -> bool {
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            return matches!(
                io.kind(),
                ConnectionRefused
                    | AddrNotAvailable
                    | NotFound
                    | HostUnreachable
                    | NetworkUnreachable
            );
        }
        cause = c.source();
    }
    false
}

impl Channel for EmailChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }
    fn max_chars(&self) -> usize {
        Self::MAX_CHARS
    }
    async fn send(&self, batch: &[Notification]) -> Result<(), SendError> {
        let message = self.message(batch)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            // lettre's errors name the server's reply or the I/O failure, never the password.
            Err(e) if e.is_transient() || never_connected(&e) || e.is_tls() => {
                Err(SendError::NotDelivered {
                    reason: e.to_string(),
                    retry_after_ms: None,
                })
            }
            Err(e) if e.is_permanent() => Err(SendError::Refused(e.to_string())),
            Err(e) => Err(SendError::Unknown(e.to_string())),
        }
    }
}
