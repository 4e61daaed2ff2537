//! API credentials: the API key plus an HMAC secret or an Ed25519 or RSA private key.
//!
//! Sources:
//! - environment ([`Credentials::from_env`]): `BINANCE_API_KEY` and either `BINANCE_API_SECRET`
//!   (HMAC) or `BINANCE_PRIVATE_KEY_PATH` (a PKCS#8 PEM Ed25519 or RSA key file, the kind read
//!   from the document itself); both set is an error
//!   rather than a silent choice; the key and the secret may also come from files
//!   (`BINANCE_API_KEY_FILE`, `BINANCE_API_SECRET_FILE`: Docker secrets);
//! - a TOML file ([`Credentials::from_file`]) with `api_key` and either `api_secret` or
//!   `private_key_path` (relative paths are taken from the file's folder).
//!
//! Invariant: `Debug`, `Display` and every error text show at most a masked prefix of the API
//! key (first 4 characters) and never the secret or the private key. TOML errors report only
//! the line number, because the parser's own message quotes the offending line.

use super::sign::{KeyKind, SignError, Signer};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// Environment variable holding the API key.
pub const ENV_API_KEY: &str = "BINANCE_API_KEY";
/// Environment variable holding the HMAC secret.
pub const ENV_API_SECRET: &str = "BINANCE_API_SECRET";
/// Environment variable holding the path of an Ed25519 or RSA PKCS#8 PEM private key.
pub const ENV_PRIVATE_KEY_PATH: &str = "BINANCE_PRIVATE_KEY_PATH";

/// Why credentials could not be loaded. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// A required variable or key is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// Both an HMAC secret and a private key file were given.
    #[error("set either {ENV_API_SECRET}/api_secret or {ENV_PRIVATE_KEY_PATH}/private_key_path, not both")]
    Ambiguous,
    /// A file could not be read.
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The OS error kind.
        reason: String,
    },
    /// The credentials file is not valid TOML or has unknown keys.
    #[error("credentials file {path}: invalid TOML near line {line}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error (0 when unknown).
        line: usize,
    },
    /// The key material is unusable.
    #[error(transparent)]
    Key(#[from] SignError),
    /// A `…_FILE` variable is ambiguous or its file unreadable.
    #[error(transparent)]
    SecretFile(#[from] crate::adapters::secret_env::SecretEnvError),
}

/// The API key and the key that signs requests.
pub struct Credentials {
    api_key: SecretString,
    signer: Signer,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    api_key: String,
    api_secret: Option<String>,
    private_key_path: Option<PathBuf>,
}

impl Credentials {
    /// Credentials from an API key and a signer.
    pub fn new(api_key: SecretString, signer: Signer) -> Result<Self, CredentialsError> {
        if api_key.expose_secret().trim().is_empty() {
            return Err(CredentialsError::Missing(ENV_API_KEY));
        }
        Ok(Self { api_key, signer })
    }

    /// HMAC credentials.
    pub fn hmac(api_key: &str, secret: &str) -> Result<Self, CredentialsError> {
        let signer = Signer::hmac(SecretString::from(secret.to_string()))?;
        Self::new(SecretString::from(api_key.to_string()), signer)
    }

    /// Ed25519 credentials from PKCS#8 PEM text.
    pub fn ed25519(api_key: &str, pem: &str) -> Result<Self, CredentialsError> {
        Self::new(
            SecretString::from(api_key.to_string()),
            Signer::ed25519_from_pem(pem)?,
        )
    }

    /// RSA credentials from PKCS#8 PEM text.
    pub fn rsa(api_key: &str, pem: &str) -> Result<Self, CredentialsError> {
        Self::new(
            SecretString::from(api_key.to_string()),
            Signer::rsa_from_pem(pem)?,
        )
    }

    /// Credentials from a PKCS#8 PEM private key file's text, Ed25519 or RSA (detected).
    pub fn private_key(api_key: &str, pem: &str) -> Result<Self, CredentialsError> {
        Self::new(
            SecretString::from(api_key.to_string()),
            Signer::from_private_pem(pem)?,
        )
    }

    /// Reads `BINANCE_API_KEY` and `BINANCE_API_SECRET` or `BINANCE_PRIVATE_KEY_PATH`; the
    /// key and the secret may come from files (`BINANCE_API_KEY_FILE`, see
    /// [`crate::adapters::secret_env`]).
    pub fn from_env() -> Result<Self, CredentialsError> {
        let env = crate::adapters::secret_env::SecretEnv::process()?;
        Self::from_lookup(|name| env.get(name))
    }

    /// Like [`Self::from_env`] with any variable lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, CredentialsError> {
        let non_empty = |name: &str| get(name).filter(|v: &String| !v.trim().is_empty());
        let api_key = non_empty(ENV_API_KEY).ok_or(CredentialsError::Missing(ENV_API_KEY))?;
        match (non_empty(ENV_API_SECRET), non_empty(ENV_PRIVATE_KEY_PATH)) {
            (Some(_), Some(_)) => Err(CredentialsError::Ambiguous),
            (Some(secret), None) => Self::hmac(&api_key, &secret),
            (None, Some(path)) => Self::private_key(&api_key, &read_pem(Path::new(&path))?),
            (None, None) => Err(CredentialsError::Missing(
                "BINANCE_API_SECRET or BINANCE_PRIVATE_KEY_PATH",
            )),
        }
    }

    /// Reads a TOML credentials file (see the module doc for its keys).
    pub fn from_file(path: &Path) -> Result<Self, CredentialsError> {
        warn_if_shared(path);
        let text = std::fs::read_to_string(path).map_err(|e| CredentialsError::Unreadable {
            path: path.to_path_buf(),
            reason: e.kind().to_string(),
        })?;
        let file: CredentialsFile = toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text.get(..s.start).unwrap_or(&text).matches('\n').count() + 1)
                .unwrap_or(0);
            CredentialsError::BadFile {
                path: path.to_path_buf(),
                line,
            }
        })?;
        match (file.api_secret, file.private_key_path) {
            (Some(_), Some(_)) => Err(CredentialsError::Ambiguous),
            (Some(secret), None) => Self::hmac(&file.api_key, &secret),
            (None, Some(key_path)) => {
                let key_path = match path.parent() {
                    Some(dir) if key_path.is_relative() => dir.join(key_path),
                    _ => key_path,
                };
                Self::private_key(&file.api_key, &read_pem(&key_path)?)
            }
            (None, None) => Err(CredentialsError::Missing("api_secret or private_key_path")),
        }
    }

    /// The API key for the `X-MBX-APIKEY` header. Never log it.
    pub fn api_key(&self) -> &str {
        self.api_key.expose_secret()
    }

    /// The first 4 characters of the API key followed by `…`: safe to show.
    pub fn masked_api_key(&self) -> String {
        let prefix: String = self.api_key.expose_secret().chars().take(4).collect();
        format!("{prefix}…")
    }

    /// The request signer.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The key kind.
    pub fn kind(&self) -> KeyKind {
        self.signer.kind()
    }
}

fn read_pem(path: &Path) -> Result<String, CredentialsError> {
    warn_if_shared(path);
    std::fs::read_to_string(path).map_err(|e| CredentialsError::Unreadable {
        path: path.to_path_buf(),
        reason: e.kind().to_string(),
    })
}

/// The warning for a secrets file that group or others may read, if it is one.
#[cfg(unix)]
pub fn shared_file_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} holds secrets but is readable by group or others (mode {mode:03o}): \
             run `chmod 600 {}`",
            path.display(),
            path.display()
        )
    })
}

/// Other systems have no mode bits to check.
#[cfg(not(unix))]
pub fn shared_file_warning(_path: &Path) -> Option<String> {
    None
}

/// Logs [`shared_file_warning`] (and prints it: it matters before logging is read).
pub fn warn_if_shared(path: &Path) {
    if let Some(text) = shared_file_warning(path) {
        tracing::warn!("{text}");
        eprintln!("warning: {text}");
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.masked_api_key())
            .field("signer", &self.signer)
            .finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} key {}", self.kind(), self.masked_api_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;
    use std::collections::BTreeMap;

    const KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

    fn pem() -> String {
        ed25519_dalek::SigningKey::from_bytes(&[3u8; 32])
            .to_pkcs8_pem(Default::default())
            .unwrap()
            .to_string()
    }

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn assert_redacted(text: &str) {
        assert!(!text.contains(SECRET), "secret leaked: {text}");
        assert!(!text.contains(KEY), "full api key leaked: {text}");
        assert!(!text.contains("PRIVATE KEY"), "pem leaked: {text}");
    }

    #[test]
    fn env_hmac_credentials_load_and_redact() {
        let c = Credentials::from_lookup(lookup(&[(ENV_API_KEY, KEY), (ENV_API_SECRET, SECRET)]))
            .unwrap();
        assert_eq!(c.kind(), KeyKind::Hmac);
        assert_eq!(c.api_key(), KEY);
        assert_eq!(c.masked_api_key(), "vmPU…");
        assert_redacted(&format!("{c:?}"));
        assert_redacted(&c.to_string());
        assert!(format!("{c:?}").contains("vmPU…"));
    }

    #[test]
    fn env_ed25519_credentials_read_the_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(&path, pem()).unwrap();
        let c = Credentials::from_lookup(lookup(&[
            (ENV_API_KEY, KEY),
            (ENV_PRIVATE_KEY_PATH, path.to_str().unwrap()),
        ]))
        .unwrap();
        assert_eq!(c.kind(), KeyKind::Ed25519);
        assert_redacted(&format!("{c:?}"));
    }

    #[test]
    fn env_rsa_credentials_read_the_key_file_and_redact() {
        let fixture = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/keys/sim-rsa-test-private.pem"
        );
        let pem = std::fs::read_to_string(fixture).unwrap();
        let c = Credentials::from_lookup(lookup(&[
            (ENV_API_KEY, KEY),
            (ENV_PRIVATE_KEY_PATH, fixture),
        ]))
        .unwrap();
        assert_eq!(c.kind(), KeyKind::Rsa);
        let body: String = pem.lines().nth(1).unwrap().to_string();
        for text in [format!("{c:?}"), c.to_string()] {
            assert_redacted(&text);
            assert!(!text.contains(&body), "key material leaked: {text}");
        }
    }

    #[test]
    fn env_errors_name_the_variable() {
        let missing = Credentials::from_lookup(lookup(&[(ENV_API_SECRET, SECRET)])).unwrap_err();
        assert_eq!(missing, CredentialsError::Missing(ENV_API_KEY));
        let both = Credentials::from_lookup(lookup(&[
            (ENV_API_KEY, KEY),
            (ENV_API_SECRET, SECRET),
            (ENV_PRIVATE_KEY_PATH, "/nonexistent"),
        ]))
        .unwrap_err();
        assert_eq!(both, CredentialsError::Ambiguous);
        let neither = Credentials::from_lookup(lookup(&[(ENV_API_KEY, KEY)])).unwrap_err();
        assert!(matches!(neither, CredentialsError::Missing(_)));
    }

    #[test]
    fn file_credentials_resolve_relative_key_paths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ed.pem"), pem()).unwrap();
        let file = dir.path().join("binance.toml");
        std::fs::write(
            &file,
            format!("api_key = \"{KEY}\"\nprivate_key_path = \"ed.pem\"\n"),
        )
        .unwrap();
        let c = Credentials::from_file(&file).unwrap();
        assert_eq!(c.kind(), KeyKind::Ed25519);

        std::fs::write(
            &file,
            format!("api_key = \"{KEY}\"\napi_secret = \"{SECRET}\"\n"),
        )
        .unwrap();
        assert_eq!(Credentials::from_file(&file).unwrap().kind(), KeyKind::Hmac);
    }

    #[test]
    fn file_errors_never_quote_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("binance.toml");
        // An unknown key and a broken line: toml's own message would quote the line.
        std::fs::write(
            &file,
            format!("api_key = \"{KEY}\"\napi_secret = \"{SECRET}\" oops\n"),
        )
        .unwrap();
        let err = Credentials::from_file(&file).unwrap_err();
        assert!(
            matches!(err, CredentialsError::BadFile { line: 2, .. }),
            "{err:?}"
        );
        assert_redacted(&err.to_string());
        assert_redacted(&format!("{err:?}"));
    }
}
