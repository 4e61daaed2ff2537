//! Operating the bot on a server (issue 16): `close-all` reaching a running bot, `status`
//! while it runs or not, logs fit for a server, and the operator command queue on both
//! stores.

mod command_queue;
mod running_bot;
mod secret_files;

use crate::harness::root;
use std::process::{Command, Output};

/// The binary, in `dir`, with no inherited database or keys.
pub fn binary(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_binance-trader"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("BINANCE_API_KEY")
        .env_remove("BINANCE_API_SECRET")
        .env_remove("LOG_FORMAT")
        .env("RUST_LOG", "info");
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn status_without_a_journal_says_so_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = binary(dir.path()).arg("status").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no journal yet"));
    let out = binary(dir.path())
        .args(["status", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["journal"], false);
    assert_eq!(v["database"], "sqlite");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "status created files"
    );
}

#[test]
fn logs_are_json_lines_on_request_and_never_coloured_off_a_terminal() {
    let dir = crate::parity::session_dir();
    let strategy = root().join("config/backtest.toml");
    // `paper` on a port that is taken fails after logging its start-up lines.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let run = |format: &str| {
        binary(dir.path())
            .args([
                "--log-format",
                format,
                "paper",
                "--dashboard",
                &addr,
                "--speed",
                "max",
            ])
            .arg("--strategy")
            .arg(&strategy)
            .arg("--data")
            .arg(root().join("data/klines/FILUSDT-1m-2023-04.csv.gz"))
            .output()
            .unwrap()
    };
    let json = run("json");
    assert!(!json.status.success(), "{}", text(&json));
    let stderr = String::from_utf8_lossy(&json.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with('{')).collect();
    assert!(!lines.is_empty(), "no JSON log line: {}", text(&json));
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            v["level"].is_string() && v["fields"]["message"].is_string(),
            "{line}"
        );
    }
    assert!(stderr.contains("PAPER TRADING"), "{stderr}");
    let plain = run("text");
    let stderr = String::from_utf8_lossy(&plain.stderr);
    assert!(stderr.contains("PAPER TRADING"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes in a piped log: {stderr:?}"
    );
}
