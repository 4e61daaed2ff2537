//! `binance-trader check-config` as a trader runs it: exit status, table, errors.

use std::path::Path;
use std::process::{Command, Output};

fn check_config(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_binance-trader"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("check-config")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn example_passes_and_prints_the_level_table() {
    let out = check_config(&["config/strategy.example.toml", "--anchor", "150.00"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}");
    let b5: Vec<_> = stdout
        .lines()
        .find(|l| l.starts_with("B5"))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        b5,
        ["B5", "13.1875", "130.21", "315.83196", "2.425", "315.75925"]
    );
}

#[test]
fn explicit_example_passes_with_its_extension() {
    let out = check_config(&[
        "config/strategy.explicit.example.toml",
        "--anchor",
        "150",
        "--free-quote",
        "750",
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("X2")), "{stdout}");
}

#[test]
fn bad_config_fails_listing_every_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/strategy.example.toml"),
    )
    .unwrap();
    let bad = example
        .replace("tp1_share = 50", "tp1_share = 80")
        .replace("trail_delta_pct = 1", "trail_delta_pct = 0.005");
    std::fs::write(&path, bad).unwrap();
    let out = check_config(&[path.to_str().unwrap(), "--anchor", "150"]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success());
    assert!(
        stderr.contains("tp1_share = 80, tp2_share = 30: shares must sum to at most 100 %"),
        "{stderr}"
    );
    assert!(stderr.contains("trail_delta_pct = 0.005: must be a whole number of BIPS"));
    assert!(stderr.contains("2 configuration error(s)"), "{stderr}");
}

#[test]
fn market_flags_need_an_anchor() {
    let out = check_config(&["config/strategy.example.toml", "--tick", "0.1"]);
    assert!(!out.status.success());
}
