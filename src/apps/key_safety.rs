//! Keeping the API key out of harm's way at start-up (`.spec/binance-client.md` § Key
//! handling):
//! - `.env` is read from the working directory only (dotenvy's `dotenv()` would also walk up
//!   every parent directory and pick up whatever `.env` it finds there);
//! - `.env`, the key file and the Ed25519 or RSA private key file draw a warning when group or
//!   others may read them;
//! - on mainnet a key that may withdraw (`canWithdraw` of `GET /api/v3/account`) is refused
//!   unless `--allow-withdrawal-key` is given: a grid bot only trades, and a leaked key that
//!   can withdraw empties the account.

pub use crate::adapters::binance::credentials::{shared_file_warning, warn_if_shared};
use crate::apps::trade::Mode;
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};

/// Loads `dir/.env` into the environment when it exists (variables already set win), and
/// never a `.env` of a parent directory. Returns the file read.
pub fn load_dotenv(dir: &Path) -> anyhow::Result<Option<PathBuf>> {
    let path = dir.join(".env");
    if !path.is_file() {
        return Ok(None);
    }
    warn_if_shared(&path);
    dotenvy::from_path(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Some(path))
}

/// Refuses a key that may withdraw on mainnet unless the operator allowed it explicitly;
/// elsewhere (testnet, paper) only warns.
pub fn check_withdrawal(can_withdraw: bool, mode: Mode, allowed: bool) -> anyhow::Result<()> {
    if !can_withdraw {
        return Ok(());
    }
    if mode == Mode::Mainnet && !allowed {
        bail!(
            "the API key may withdraw funds (canWithdraw = true): a trading bot never needs \
             that, and a leaked key could empty the account. Create a key with only spot \
             trading enabled (and an IP restriction), or pass --allow-withdrawal-key to run \
             with this one anyway"
        );
    }
    let text = "the API key may withdraw funds (canWithdraw = true); a trade-only key is safer";
    tracing::warn!("{text}");
    eprintln!("warning: {text}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_withdrawing_key_is_refused_on_mainnet_unless_allowed() {
        let err = check_withdrawal(true, Mode::Mainnet, false).unwrap_err();
        assert!(err.to_string().contains("--allow-withdrawal-key"), "{err}");
        check_withdrawal(true, Mode::Mainnet, true).unwrap();
        check_withdrawal(true, Mode::Testnet, false).unwrap();
        check_withdrawal(false, Mode::Mainnet, false).unwrap();
    }

    #[test]
    fn dotenv_is_read_from_the_working_directory_only() {
        let parent = tempfile::tempdir().unwrap();
        std::fs::write(
            parent.path().join(".env"),
            "BT_KEY_SAFETY_TEST_PARENT_ONLY=from-parent\n",
        )
        .unwrap();
        let child = parent.path().join("work");
        std::fs::create_dir(&child).unwrap();
        assert_eq!(load_dotenv(&child).unwrap(), None);
        assert!(std::env::var("BT_KEY_SAFETY_TEST_PARENT_ONLY").is_err());
        std::fs::write(child.join(".env"), "BT_KEY_SAFETY_TEST_HERE=from-here\n").unwrap();
        assert_eq!(load_dotenv(&child).unwrap(), Some(child.join(".env")));
        assert_eq!(
            std::env::var("BT_KEY_SAFETY_TEST_HERE").as_deref(),
            Ok("from-here")
        );
        assert!(std::env::var("BT_KEY_SAFETY_TEST_PARENT_ONLY").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn secrets_readable_by_others_are_flagged() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(&path, "secret").unwrap();
        for (mode, shared) in [(0o600, false), (0o400, false), (0o640, true), (0o604, true)] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let warning = shared_file_warning(&path);
            assert_eq!(warning.is_some(), shared, "{mode:o}: {warning:?}");
        }
        let text = shared_file_warning(&path).unwrap();
        assert!(text.contains("604") && text.contains("chmod 600"), "{text}");
        assert!(!text.contains("secret\n"));
    }
}
