//! Secrets from files (`…_FILE`, as Docker and compose secrets hand them over), through the
//! real binary: the file's content is used, a variable set twice or a file that cannot be read
//! stops the program with the variable and the path named, and the content shows nowhere.

use super::{binary, text};
use crate::harness::root;
use std::path::Path;

const KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const DB_PASSWORD: &str = "s3cret-db-pw-7Qx";

/// A bot configuration in `dir` whose strategy is the repository's example.
fn bot_toml(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("bot.toml");
    let strategy = root().join("config/strategy.example.toml");
    std::fs::write(
        &path,
        format!("strategy = {:?}\n", strategy.display().to_string()),
    )
    .unwrap();
    path
}

fn secret_file(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("{content}\n")).unwrap();
    path.display().to_string()
}

#[test]
fn the_api_key_comes_from_its_file_and_never_shows() {
    let dir = tempfile::tempdir().unwrap();
    let config = bot_toml(dir.path());
    let key_file = secret_file(dir.path(), "binance_api_key", KEY);
    let out = binary(dir.path())
        .args(["run", "--config", config.to_str().unwrap()])
        .env("BINANCE_API_KEY_FILE", &key_file)
        .output()
        .unwrap();
    let all = text(&out);
    // The key was read from the file: what is missing now is the secret, not the key.
    assert!(
        !out.status.success() && all.contains("missing BINANCE_API_SECRET"),
        "{all}"
    );
    assert!(!all.contains("missing BINANCE_API_KEY"), "{all}");
    assert!(!all.contains(KEY), "the key leaked: {all}");
}

#[test]
fn the_database_url_comes_from_its_file_and_its_password_never_shows() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite");
    let url_file = secret_file(
        dir.path(),
        "database_url",
        &format!("sqlite://{}", journal.display()),
    );
    let out = binary(dir.path())
        .args(["status", "--json"])
        .env("DATABASE_URL_FILE", &url_file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["database"], "sqlite");

    // A PostgreSQL URL with a password, on a port nothing listens on: the error names the
    // database, never the password.
    let url_file = secret_file(
        dir.path(),
        "database_url",
        &format!("postgres://trader:{DB_PASSWORD}@127.0.0.1:9/x?connect_timeout=1"),
    );
    let out = binary(dir.path())
        .arg("status")
        .env("DATABASE_URL_FILE", &url_file)
        .output()
        .unwrap();
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("opening the database"), "{all}");
    assert!(!all.contains(DB_PASSWORD), "the password leaked: {all}");
}

#[test]
fn both_set_or_an_unreadable_file_is_an_error_naming_variable_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let config = bot_toml(dir.path());
    let key_file = secret_file(dir.path(), "binance_api_key", KEY);
    let out = binary(dir.path())
        .args(["run", "--config", config.to_str().unwrap()])
        .env("BINANCE_API_KEY", "from-the-environment")
        .env("BINANCE_API_KEY_FILE", &key_file)
        .output()
        .unwrap();
    let all = text(&out);
    assert!(
        !out.status.success() && all.contains("either BINANCE_API_KEY or BINANCE_API_KEY_FILE"),
        "{all}"
    );
    assert!(
        !all.contains(KEY) && !all.contains("from-the-environment"),
        "{all}"
    );

    let missing = dir.path().join("no-such-secret");
    for command in [
        vec!["status"],
        vec!["run", "--config", config.to_str().unwrap()],
    ] {
        let out = binary(dir.path())
            .args(&command)
            .env("DASHBOARD_PASSWORD_HASH_FILE", &missing)
            .output()
            .unwrap();
        let all = text(&out);
        assert!(!out.status.success(), "{command:?}: {all}");
        assert!(
            all.contains("DASHBOARD_PASSWORD_HASH_FILE")
                && all.contains(&missing.display().to_string()),
            "{command:?}: {all}"
        );
    }
}
