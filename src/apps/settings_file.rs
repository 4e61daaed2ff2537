//! The bot's own configuration (`config/bot.toml`): where to trade, where to keep the journal,
//! how often to step, where the dashboard listens. Environment variables override the file
//! (the seed's names), and a `.env` file in the working directory is read first
//! (`.spec/configuration.md` § Bot).
//!
//! Secrets (API key and secret) come only from the environment or a key file, never from
//! this file, so it can be committed.

use anyhow::{bail, Context};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The exact text `confirm_live` must hold before mainnet trading starts.
pub const LIVE_CONFIRMATION: &str = "I accept that real money is at risk";

/// The environment variables that override this file (besides the credentials' own,
/// [`crate::adapters::binance::credentials`]); deployment files may set only these, the
/// credentials, `LOG_FORMAT` and `RUST_LOG` (checked by `tests/it/deploy_files.rs`).
pub const ENV_OVERRIDES: &[&str] = &[
    "DATABASE_URL",
    "BOT_CHECK_INTERVAL_SECONDS",
    "BINANCE_USE_TESTNET",
    "DASHBOARD_PASSWORD_HASH",
];

/// `config/bot.toml` after environment overrides.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotFile {
    /// The strategy file (relative to the working directory).
    #[serde(default = "default_strategy")]
    pub strategy: PathBuf,
    /// `sqlite://…` / a file path, or `postgres://…` (env `DATABASE_URL`).
    #[serde(default = "default_database")]
    pub database_url: String,
    /// Seconds between steps (env `BOT_CHECK_INTERVAL_SECONDS`).
    #[serde(default = "default_interval")]
    pub check_interval_seconds: u64,
    /// Minutes between two reads of the symbol's rules (`exchangeInfo`); a filter rejection
    /// re-reads them at once.
    #[serde(default = "default_rules_refresh")]
    pub rules_refresh_minutes: u64,
    /// Client order id prefix of this bot (letters and digits).
    #[serde(default = "default_prefix")]
    pub client_id_prefix: String,
    /// Emergency close margin below the last price, in percent.
    #[serde(default = "default_margin")]
    pub emergency_margin_pct: rust_decimal::Decimal,
    /// Exchange settings.
    #[serde(default)]
    pub exchange: ExchangeSection,
    /// Dashboard settings.
    #[serde(default)]
    pub dashboard: DashboardSection,
    /// Notification channels (`[notify]`; secrets only from the environment).
    #[serde(default)]
    pub notify: crate::apps::notify::config::NotifySection,
    /// Journal upkeep (`[retention]`: thinning of old account snapshots).
    #[serde(default)]
    pub retention: crate::apps::backup::RetentionSection,
}

impl std::fmt::Debug for BotFile {
    /// Without the database URL, which may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotFile")
            .field("strategy", &self.strategy)
            .field("database_url", &"[REDACTED]")
            .field("check_interval_seconds", &self.check_interval_seconds)
            .field("rules_refresh_minutes", &self.rules_refresh_minutes)
            .field("client_id_prefix", &self.client_id_prefix)
            .field("emergency_margin_pct", &self.emergency_margin_pct)
            .field("exchange", &self.exchange)
            .field("dashboard", &self.dashboard)
            .field("notify", &self.notify)
            .field("retention", &self.retention)
            .finish()
    }
}

/// `[exchange]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeSection {
    /// Spot testnet (default) or mainnet (env `BINANCE_USE_TESTNET`).
    #[serde(default = "yes")]
    pub use_testnet: bool,
    /// Must equal [`LIVE_CONFIRMATION`] for mainnet, besides the `--live` flag.
    #[serde(default)]
    pub confirm_live: String,
    /// A file holding `BINANCE_API_KEY=…` and `BINANCE_API_SECRET=…` lines (optional).
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Override the REST base URL (a local exchange-sim, say).
    #[serde(default)]
    pub base_url: Option<String>,
}

/// `[dashboard]`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardSection {
    /// Listen address; anything but loopback requires a password hash and a TLS proxy.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Argon2 PHC string of the dashboard password (env `DASHBOARD_PASSWORD_HASH`;
    /// `binance-trader hash-password` prints one). Required for a non-loopback `listen`.
    #[serde(default)]
    pub password_hash: Option<String>,
    /// Browsers reach the dashboard through a TLS-terminating reverse proxy (`run
    /// --behind-tls-proxy` sets it too). Required for a non-loopback `listen`.
    #[serde(default)]
    pub behind_tls_proxy: bool,
    /// The header in which that proxy passes the client's address (`X-Forwarded-For`,
    /// `X-Real-IP`), for the login limiter. Only with `behind_tls_proxy`.
    #[serde(default)]
    pub client_ip_header: Option<String>,
    /// Minutes a session may go unused before it ends.
    #[serde(default = "default_idle_minutes")]
    pub session_idle_minutes: u64,
}

impl DashboardSection {
    /// The dashboard's access settings.
    pub fn access(&self) -> crate::apps::dashboard::auth::Access {
        crate::apps::dashboard::auth::Access {
            behind_tls_proxy: self.behind_tls_proxy,
            client_ip_header: self.client_ip_header.clone(),
            idle_timeout: std::time::Duration::from_secs(self.session_idle_minutes.max(1) * 60),
            ..Default::default()
        }
    }
}

impl Default for ExchangeSection {
    fn default() -> Self {
        Self {
            use_testnet: true,
            confirm_live: String::new(),
            key_file: None,
            base_url: None,
        }
    }
}

impl std::fmt::Debug for DashboardSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The hash is not the password, but it allows offline guessing: never print it.
        f.debug_struct("DashboardSection")
            .field("listen", &self.listen)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<set>"),
            )
            .field("behind_tls_proxy", &self.behind_tls_proxy)
            .field("client_ip_header", &self.client_ip_header)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .finish()
    }
}

impl Default for DashboardSection {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            password_hash: None,
            behind_tls_proxy: false,
            client_ip_header: None,
            session_idle_minutes: default_idle_minutes(),
        }
    }
}

fn default_strategy() -> PathBuf {
    "config/strategy.example.toml".into()
}
fn default_database() -> String {
    "sqlite://data/bot.sqlite".into()
}
fn default_interval() -> u64 {
    5
}
fn default_rules_refresh() -> u64 {
    10
}
fn default_prefix() -> String {
    "gb".into()
}
fn default_margin() -> rust_decimal::Decimal {
    rust_decimal::Decimal::from(3)
}
fn default_idle_minutes() -> u64 {
    30
}
fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn yes() -> bool {
    true
}

impl BotFile {
    /// Reads the file (a missing file means all defaults), then applies `env` overrides.
    pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Self::parse(&text, env).with_context(|| format!("{}", path.display()))
    }

    /// [`Self::load`] with the process environment, secrets possibly from `…_FILE` files
    /// ([`crate::adapters::secret_env`]).
    pub fn load_from_process(path: &Path) -> anyhow::Result<Self> {
        let secrets = crate::adapters::secret_env::SecretEnv::process()?;
        Self::load(path, &|k| secrets.get(k))
    }

    /// Reads the file's text, then applies `env` overrides.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut file: BotFile = toml::from_str(text)?;
        file.apply_env(env)?;
        Ok(file)
    }

    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(url) = env("DATABASE_URL").filter(|v| !v.is_empty()) {
            self.database_url = url;
        }
        if let Some(v) = env("BOT_CHECK_INTERVAL_SECONDS").filter(|v| !v.is_empty()) {
            self.check_interval_seconds = v.trim().parse().with_context(|| {
                format!("BOT_CHECK_INTERVAL_SECONDS={v}: expected whole seconds")
            })?;
        }
        if let Some(v) = env("BINANCE_USE_TESTNET").filter(|v| !v.is_empty()) {
            self.exchange.use_testnet = parse_bool(&v)
                .with_context(|| format!("BINANCE_USE_TESTNET={v}: expected true or false"))?;
        }
        if let Some(hash) = env("DASHBOARD_PASSWORD_HASH").filter(|v| !v.trim().is_empty()) {
            self.dashboard.password_hash = Some(hash.trim().to_string());
        }
        if self.check_interval_seconds == 0 {
            bail!("check_interval_seconds must be at least 1");
        }
        if !(1..=24 * 60).contains(&self.rules_refresh_minutes) {
            bail!("rules_refresh_minutes must be 1 to 1440 (a day)");
        }
        Ok(())
    }

    /// Refuses mainnet unless `--live` was given and `confirm_live` holds the exact phrase.
    pub fn check_live(&self, live_flag: bool) -> anyhow::Result<()> {
        match (self.exchange.use_testnet, live_flag) {
            (true, false) => Ok(()),
            (true, true) => bail!(
                "--live given but use_testnet is true (or BINANCE_USE_TESTNET=true): \
                 set use_testnet = false to trade on mainnet"
            ),
            (false, false) => {
                bail!("use_testnet = false selects MAINNET (real money): pass --live to confirm")
            }
            (false, true) if self.exchange.confirm_live != LIVE_CONFIRMATION => bail!(
                "mainnet needs [exchange] confirm_live = \"{LIVE_CONFIRMATION}\" in the bot \
                 configuration"
            ),
            (false, true) => Ok(()),
        }
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
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

    fn load(text: &str, vars: &[(&str, &str)]) -> anyhow::Result<BotFile> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bot.toml");
        std::fs::write(&path, text).unwrap();
        BotFile::load(&path, &env(vars))
    }

    #[test]
    fn missing_file_gives_defaults_on_testnet() {
        let f = BotFile::load(Path::new("/nonexistent/bot.toml"), &env(&[])).unwrap();
        assert!(f.exchange.use_testnet);
        assert_eq!(f.database_url, "sqlite://data/bot.sqlite");
        assert_eq!(f.check_interval_seconds, 5);
        assert_eq!(f.rules_refresh_minutes, 10);
        assert!(f.dashboard.listen.ip().is_loopback());
        assert_eq!(f.dashboard.password_hash, None);
    }

    #[test]
    fn dashboard_password_hash_from_file_or_env() {
        let f = load("[dashboard]\npassword_hash = \"$argon2id$file\"\n", &[]).unwrap();
        assert_eq!(f.dashboard.password_hash.as_deref(), Some("$argon2id$file"));
        let f = load(
            "[dashboard]\npassword_hash = \"$argon2id$file\"\n",
            &[("DASHBOARD_PASSWORD_HASH", "$argon2id$env")],
        )
        .unwrap();
        assert_eq!(f.dashboard.password_hash.as_deref(), Some("$argon2id$env"));
        assert!(
            !format!("{f:?}").contains("argon2id"),
            "hash never in Debug"
        );
    }

    #[test]
    fn environment_overrides_the_file() {
        let f = load(
            "database_url = \"sqlite://a.db\"\ncheck_interval_seconds = 9\n",
            &[
                ("DATABASE_URL", "postgres://u@127.0.0.1/db"),
                ("BOT_CHECK_INTERVAL_SECONDS", "2"),
                ("BINANCE_USE_TESTNET", "false"),
            ],
        )
        .unwrap();
        assert_eq!(f.database_url, "postgres://u@127.0.0.1/db");
        assert_eq!(f.check_interval_seconds, 2);
        assert!(!f.exchange.use_testnet);
    }

    #[test]
    fn every_listed_override_changes_the_configuration() {
        let defaults = load("", &[]).unwrap();
        for var in ENV_OVERRIDES {
            let value = match *var {
                "BINANCE_USE_TESTNET" => "false",
                "BOT_CHECK_INTERVAL_SECONDS" => "7",
                _ => "postgres://u@127.0.0.1/x",
            };
            let changed = load("", &[(var, value)]).unwrap();
            assert_ne!(changed, defaults, "{var} has no effect");
        }
    }

    #[test]
    fn bad_values_and_unknown_keys_are_errors() {
        for (text, vars, needle) in [
            (
                "",
                vec![("BOT_CHECK_INTERVAL_SECONDS", "soon")],
                "BOT_CHECK_INTERVAL",
            ),
            (
                "",
                vec![("BINANCE_USE_TESTNET", "maybe")],
                "BINANCE_USE_TESTNET",
            ),
            ("check_interval_seconds = 0\n", vec![], "at least 1"),
            (
                "rules_refresh_minutes = 0\n",
                vec![],
                "rules_refresh_minutes",
            ),
            ("check_intervall_seconds = 3\n", vec![], "unknown field"),
            ("[exchange]\napi_secret = \"x\"\n", vec![], "unknown field"),
        ] {
            let err = format!("{:#}", load(text, &vars).unwrap_err());
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }

    #[test]
    fn mainnet_needs_the_flag_and_the_phrase() {
        let testnet = load("", &[]).unwrap();
        assert!(testnet.check_live(false).is_ok());
        assert!(testnet.check_live(true).is_err());
        let main = load("[exchange]\nuse_testnet = false\n", &[]).unwrap();
        assert!(main
            .check_live(false)
            .unwrap_err()
            .to_string()
            .contains("--live"));
        assert!(main
            .check_live(true)
            .unwrap_err()
            .to_string()
            .contains("confirm_live"));
        let confirmed = load(
            &format!("[exchange]\nuse_testnet = false\nconfirm_live = \"{LIVE_CONFIRMATION}\"\n"),
            &[],
        )
        .unwrap();
        assert!(confirmed.check_live(true).is_ok());
    }

    #[test]
    fn debug_output_hides_the_database_password() {
        let f = load(
            "",
            &[("DATABASE_URL", "postgres://bot:s3cret@127.0.0.1/db")],
        )
        .unwrap();
        assert_eq!(f.database_url, "postgres://bot:s3cret@127.0.0.1/db");
        let shown = format!("{f:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
