//! Notification channels ([`crate::ports::outbox::Channel`]): Telegram, Discord, a generic
//! JSON webhook and e-mail (`.spec/notifications.md`).
//!
//! Each channel's address is configurable (tests point it at a receiver on loopback); plain
//! `http://` or unencrypted SMTP is accepted for loopback only, so a token never crosses a
//! network in clear. Secrets (bot token, webhook URLs, SMTP password) are `secrecy` types and
//! never reach an error text: HTTP errors are reported without their URL, receivers' answers
//! by status code and their own description only.

mod email;
mod http;
mod text;

pub use email::{EmailChannel, EmailConfig, EmailTls};
pub use http::{DiscordChannel, TelegramChannel, WebhookChannel};
pub use text::{fits, render, Rendered};

/// Whether `host` names this machine (`localhost`, `127.0.0.0/8`, `::1`).
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_matches(|c| c == '[' || c == ']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Parses a channel URL: `https://`, or `http://` on a loopback host only. The error names
/// `what` but never the URL, which may carry a token.
pub fn check_url(url: &str, what: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{what}: not a URL ({e})"))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if parsed.host_str().is_some_and(is_loopback_host) => Ok(parsed),
        "http" => Err(format!(
            "{what}: plain http is allowed for a loopback address only (use https)"
        )),
        other => Err(format!("{what}: scheme {other:?} is not http(s)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback_and_errors_never_echo_the_url() {
        assert!(check_url("https://api.telegram.org", "x").is_ok());
        assert!(check_url("http://127.0.0.1:9/hook", "x").is_ok());
        assert!(check_url("http://[::1]:9/hook", "x").is_ok());
        assert!(check_url("http://localhost/hook", "x").is_ok());
        let err = check_url("http://example.com/hook/s3cret", "webhook").unwrap_err();
        assert!(err.contains("loopback") && !err.contains("s3cret"), "{err}");
        let err = check_url("ftp://h/s3cret", "webhook").unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
    }
}
