//! Secrets from the environment or from files, the way Docker and compose secrets hand them
//! over: for every secret variable `X` in [`SECRET_VARS`], `X_FILE` may name a file whose
//! content (trailing line breaks removed) is used as `X`.
//!
//! Rules: a non-empty `X` and a `X_FILE` together are an error (no silent choice); a file that
//! cannot be read is an error naming the variable and the path and the OS reason, never the
//! content. The resolved values live in [`SecretString`]s; `Debug` shows only which variables
//! came from files.

use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Every secret the program reads from the environment; each also has a `…_FILE` variant.
pub const SECRET_VARS: &[&str] = &[
    "BINANCE_API_KEY",
    "BINANCE_API_SECRET",
    "DASHBOARD_PASSWORD_HASH",
    "DATABASE_URL",
    "TELEGRAM_BOT_TOKEN",
    "DISCORD_WEBHOOK_URL",
    "NOTIFY_WEBHOOK_URL",
    "NOTIFY_WEBHOOK_TOKEN",
    "SMTP_PASSWORD",
];

/// The name of the file variant of `var`.
pub fn file_var(var: &str) -> String {
    format!("{var}_FILE")
}

/// Why the secrets could not be read. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretEnvError {
    /// Both `X` and `X_FILE` are set.
    #[error("set either {var} or {var}_FILE, not both")]
    Both {
        /// The secret variable.
        var: &'static str,
    },
    /// `X_FILE` names a file that cannot be read (or is not UTF-8).
    #[error("{var}_FILE: cannot read {path}: {reason}")]
    Unreadable {
        /// The secret variable.
        var: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error kind.
        reason: String,
    },
}

/// A variable lookup: the process environment, or a map in tests.
type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The environment with every `…_FILE` secret read in.
pub struct SecretEnv {
    from_files: BTreeMap<&'static str, SecretString>,
    base: Lookup,
}

impl SecretEnv {
    /// The process environment.
    pub fn process() -> Result<Self, SecretEnvError> {
        Self::resolve(|name| std::env::var(name).ok())
    }

    /// Any variable lookup (tests pass a map): reads the file of every `X_FILE` set.
    pub fn resolve(
        base: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Result<Self, SecretEnvError> {
        let mut from_files = BTreeMap::new();
        for &var in SECRET_VARS {
            let Some(path) = base(&file_var(var)).filter(|p| !p.trim().is_empty()) else {
                continue;
            };
            if base(var).is_some_and(|v| !v.trim().is_empty()) {
                return Err(SecretEnvError::Both { var });
            }
            let path = PathBuf::from(path.trim());
            let text = std::fs::read_to_string(&path).map_err(|e| SecretEnvError::Unreadable {
                var,
                path: path.clone(),
                reason: e.kind().to_string(),
            })?;
            let value = text.trim_end_matches(['\n', '\r']).to_string();
            from_files.insert(var, SecretString::from(value));
        }
        Ok(Self {
            from_files,
            base: Box::new(base),
        })
    }

    /// The value of `name`: a secret's file content when its `…_FILE` is set, else the variable.
    pub fn get(&self, name: &str) -> Option<String> {
        match self.from_files.get(name) {
            Some(secret) => Some(secret.expose_secret().to_string()),
            None => (self.base)(name),
        }
    }
}

impl fmt::Debug for SecretEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretEnv")
            .field("from_files", &self.from_files.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

    fn env(pairs: &[(&str, String)]) -> Result<SecretEnv, SecretEnvError> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        SecretEnv::resolve(move |k| map.get(k).cloned())
    }

    #[test]
    fn every_secret_reads_its_file_without_the_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        for var in SECRET_VARS {
            let path = dir.path().join(var.to_lowercase());
            std::fs::write(&path, format!("{SECRET}-{var}\r\n")).unwrap();
            let e = env(&[(&file_var(var), path.display().to_string())]).unwrap();
            assert_eq!(e.get(var), Some(format!("{SECRET}-{var}")), "{var}");
        }
    }

    #[test]
    fn plain_variables_pass_through() {
        let e = env(&[
            ("BINANCE_API_KEY", "k".into()),
            ("LOG_FORMAT", "json".into()),
        ])
        .unwrap();
        assert_eq!(e.get("BINANCE_API_KEY").as_deref(), Some("k"));
        assert_eq!(e.get("LOG_FORMAT").as_deref(), Some("json"));
        assert_eq!(e.get("BINANCE_API_SECRET"), None);
    }

    #[test]
    fn both_the_variable_and_its_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, SECRET).unwrap();
        let err = env(&[
            ("BINANCE_API_SECRET", "other".into()),
            ("BINANCE_API_SECRET_FILE", path.display().to_string()),
        ])
        .unwrap_err();
        assert_eq!(
            err,
            SecretEnvError::Both {
                var: "BINANCE_API_SECRET"
            }
        );
        // An empty variable (compose's `${X:-}`) counts as unset.
        let e = env(&[
            ("BINANCE_API_SECRET", String::new()),
            ("BINANCE_API_SECRET_FILE", path.display().to_string()),
        ])
        .unwrap();
        assert_eq!(e.get("BINANCE_API_SECRET").as_deref(), Some(SECRET));
    }

    #[test]
    fn an_unreadable_file_names_variable_and_path() {
        let err = env(&[("SMTP_PASSWORD_FILE", "/nonexistent/smtp".into())]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("SMTP_PASSWORD_FILE"), "{text}");
        assert!(text.contains("/nonexistent/smtp"), "{text}");
        // A directory is a file that cannot be read as text either.
        let dir = tempfile::tempdir().unwrap();
        let err = env(&[("DATABASE_URL_FILE", dir.path().display().to_string())]).unwrap_err();
        assert!(matches!(
            err,
            SecretEnvError::Unreadable {
                var: "DATABASE_URL",
                ..
            }
        ));
    }

    #[test]
    fn the_content_never_shows_in_debug_or_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, format!("{SECRET}\n")).unwrap();
        let e = env(&[("NOTIFY_WEBHOOK_TOKEN_FILE", path.display().to_string())]).unwrap();
        let debug = format!("{e:?}");
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(debug.contains("NOTIFY_WEBHOOK_TOKEN"), "{debug}");
        // Not UTF-8: the error still names the file, not the bytes.
        std::fs::write(&path, [0xff, 0xfe, b'x']).unwrap();
        let err = env(&[("TELEGRAM_BOT_TOKEN_FILE", path.display().to_string())]).unwrap_err();
        assert!(!format!("{err} {err:?}").contains(SECRET));
        assert!(err.to_string().contains("TELEGRAM_BOT_TOKEN_FILE"));
    }
}
