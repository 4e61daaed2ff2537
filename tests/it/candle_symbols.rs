//! Candles belong to the symbol being traded: every command that reads candles runs on
//! matching data and refuses mismatched data, files of several symbols and files whose name
//! does not say their symbol — exit code 1, an error naming what is wrong and how to fix it,
//! and nothing written (no cache, no journal, no report).

use crate::fresh_clone::{describe, http_get, start_until, FreshClone};

const FIL_JUNE: &str = "data/klines/FILUSDT-1m-2023-06.csv.gz";
const NEAR_AUGUST: &str = "data/klines/NEARUSDT-1m-2023-08.csv.gz";
const SOL_CONFIG: &str = "config/strategy.example.toml";

/// The refusals every candle-reading command must make: (label, extra arguments, stderr parts).
fn refusals(clone: &FreshClone) -> Vec<(&'static str, Vec<String>, Vec<&'static str>)> {
    let unnamed = clone.unnamed_copy(FIL_JUNE, "candles.csv.gz");
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        (
            "mixed symbols",
            args(&["--data", FIL_JUNE, NEAR_AUGUST]),
            vec![
                "belong to 2 symbols",
                "FILUSDT: data/klines/FILUSDT-1m-2023-06.csv.gz",
                "NEARUSDT: data/klines/NEARUSDT-1m-2023-08.csv.gz",
                "trades one symbol",
            ],
        ),
        (
            "unnamed file",
            args(&["--data", &unnamed]),
            vec![
                "candles.csv.gz: the file name does not say which symbol",
                "SYMBOL-1m-YYYY-MM.csv[.gz]",
                "--symbol SYMBOL",
            ],
        ),
        (
            "--symbol contradicting the name",
            args(&["--data", NEAR_AUGUST, "--symbol", "FILUSDT"]),
            vec![
                "--symbol FILUSDT, but data/klines/NEARUSDT-1m-2023-08.csv.gz is named as NEARUSDT",
            ],
        ),
    ]
}

fn assert_refused(
    clone: &FreshClone,
    label: &str,
    out: &std::process::Output,
    parts: &[&str],
    allowed: &[&str],
) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{label}: {}", describe(out));
    for part in parts {
        assert!(
            stderr.contains(part),
            "{label}: stderr lacks `{part}`:\n{stderr}"
        );
    }
    assert_eq!(clone.written(), allowed, "{label}: something was written");
}

fn with(base: &[&str], extra: &[String]) -> Vec<String> {
    base.iter()
        .map(|s| s.to_string())
        .chain(extra.iter().cloned())
        .collect()
}

fn run(clone: &FreshClone, args: &[String]) -> std::process::Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    clone.run(&refs)
}

#[test]
fn backtest_runs_on_matching_candles_and_refuses_the_rest_writing_nothing() {
    let clone = FreshClone::new();
    let mismatch: [(&str, Vec<String>, Vec<&str>); 2] = [
        (
            "SOLUSDC strategy on FILUSDT candles",
            vec!["--config".into(), SOL_CONFIG.into(), "--data".into(), FIL_JUNE.into()],
            vec![
                "--config config/strategy.example.toml trades SOLUSDC, but the candles are FILUSDT (data/klines/FILUSDT-1m-2023-06.csv.gz)",
                "pass --data with SOLUSDC candles",
                "--config config/backtest.toml",
            ],
        ),
        (
            "SOLUSDC strategy without data",
            vec!["--config".into(), SOL_CONFIG.into()],
            vec!["no SOLUSDC candles are bundled", "pass --data with SOLUSDC candles"],
        ),
    ];
    for (label, extra, parts) in refusals(&clone).into_iter().chain(mismatch) {
        let out = run(&clone, &with(&["backtest", "--quiet"], &extra));
        assert_refused(&clone, &format!("backtest, {label}"), &out, &parts, &[]);
    }

    let unnamed_fil = ["--data", "candles.csv.gz", "--symbol", "FILUSDT"];
    let out = clone.run(&[&["backtest", "--quiet"][..], &unnamed_fil].concat());
    assert!(
        out.status.success(),
        "unnamed file with --symbol: {}",
        describe(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FILUSDT"), "{stdout}");
    assert!(clone.join("reports/backtest.json").exists());

    let near = clone.run(&[
        "backtest",
        "--quiet",
        "--config",
        "config/backtest-near.toml",
    ]);
    assert!(
        near.status.success(),
        "bundled NEARUSDT by default: {}",
        describe(&near)
    );
    let report = std::fs::read_to_string(clone.join("reports/backtest.json")).unwrap();
    assert!(report.contains("NEARUSDT"), "the report is of NEARUSDT");
}

#[test]
fn sweep_refuses_mismatched_mixed_unnamed_data_and_a_swept_symbol() {
    let clone = FreshClone::new();
    let sweep = ["backtest", "--quiet", "--sweep", "tp1_pct=1,1.5"];
    let mismatch: [(&str, Vec<String>, Vec<&str>); 2] = [
        (
            "SOLUSDC strategy on FILUSDT candles",
            vec!["--config".into(), SOL_CONFIG.into(), "--data".into(), FIL_JUNE.into()],
            vec!["trades SOLUSDC, but the candles are FILUSDT"],
        ),
        (
            "a swept symbol",
            vec!["--data".into(), FIL_JUNE.into(), "--sweep".into(), "symbol=FILUSDT,NEARUSDT".into()],
            vec!["sweep point tp1_pct=1 symbol=NEARUSDT trades NEARUSDT, but the candles are FILUSDT"],
        ),
    ];
    for (label, extra, parts) in refusals(&clone).into_iter().chain(mismatch) {
        let out = run(&clone, &with(&sweep, &extra));
        assert_refused(&clone, &format!("sweep, {label}"), &out, &parts, &[]);
    }
    let out = clone.run(&[&sweep[..], &["--data", FIL_JUNE]].concat());
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("tp1_pct=1.5") && stdout.contains("rank"),
        "{stdout}"
    );
}

#[test]
fn paper_comes_up_on_matching_candles_and_refuses_the_rest_leaving_the_journal_alone() {
    let clone = FreshClone::new();
    let journal = clone.join("data/paper.sqlite");
    std::fs::write(&journal, b"the previous paper journal").unwrap();
    let paper = [
        "paper",
        "--dashboard",
        "127.0.0.1:0",
        "--database",
        "data/paper.sqlite",
    ];
    let mismatch: [(&str, Vec<String>, Vec<&str>); 2] = [
        (
            "SOLUSDC strategy on FILUSDT candles",
            vec!["--strategy".into(), SOL_CONFIG.into(), "--data".into(), FIL_JUNE.into()],
            vec![
                "--strategy config/strategy.example.toml trades SOLUSDC, but the candles are FILUSDT",
                "--strategy config/backtest.toml",
            ],
        ),
        (
            "SOLUSDC strategy without data",
            vec!["--strategy".into(), SOL_CONFIG.into()],
            vec!["no SOLUSDC candles are bundled"],
        ),
    ];
    for (label, extra, parts) in refusals(&clone).into_iter().chain(mismatch) {
        let out = run(&clone, &with(&paper, &extra));
        let label = format!("paper, {label}");
        assert_refused(&clone, &label, &out, &parts, &["data/paper.sqlite"]);
        assert_eq!(
            std::fs::read(&journal).unwrap(),
            b"the previous paper journal",
            "{label}: the journal was touched"
        );
    }

    std::fs::remove_file(&journal).unwrap();
    let up = start_until(
        clone.command(
            &[
                &paper[..],
                &[
                    "--data",
                    NEAR_AUGUST,
                    "--strategy",
                    "config/backtest-near.toml",
                ],
            ]
            .concat(),
        ),
        "dashboard: http://",
    )
    .unwrap();
    let addr = up
        .line
        .trim_start_matches("dashboard: http://")
        .trim()
        .to_string();
    let page = http_get(&addr, "/");
    assert!(
        page.contains("NEARUSDT"),
        "the bot trades NEARUSDT: {addr} {page}"
    );
    drop(up);
    assert!(journal.exists());
}

#[test]
fn exchange_sim_serves_the_symbols_its_files_name_and_refuses_the_rest() {
    let clone = FreshClone::new();
    let sim = [
        "exchange-sim",
        "--listen",
        "127.0.0.1:0",
        "--clock",
        "replay",
        "--speed",
        "manual",
    ];
    // exchange-sim serves several symbols at once, so only mixed symbols are not refused.
    for (label, extra, parts) in refusals(&clone)
        .into_iter()
        .filter(|(label, _, _)| *label != "mixed symbols")
    {
        let out = run(&clone, &with(&sim, &extra));
        assert_refused(&clone, &format!("exchange-sim, {label}"), &out, &parts, &[]);
    }
    // NEARUSDT files and no --symbol: the server replays NEARUSDT (it used to call them FILUSDT);
    // FILUSDT and NEARUSDT files: both, each under its own name.
    for extra in [
        &["--data", NEAR_AUGUST][..],
        &["--data", "near.csv.gz", "--symbol", "NEARUSDT"],
        &["--data", FIL_JUNE, NEAR_AUGUST],
    ] {
        clone.unnamed_copy(NEAR_AUGUST, "near.csv.gz");
        let up = start_until(
            clone.command(&[&sim[..], extra].concat()),
            "exchange-sim listening on http://",
        )
        .unwrap_or_else(|e| panic!("{extra:?}: {e}"));
        let addr = up
            .line
            .split("http://")
            .nth(1)
            .map(|rest| rest.trim().to_string())
            .unwrap_or_else(|| panic!("no address in `{}`", up.line));
        // NEARUSDT at its first candle's open (1.37): the files' candles under their own name.
        let near = http_get(&addr, "/api/v3/ticker/price?symbol=NEARUSDT");
        assert!(
            near.starts_with("HTTP/1.1 200") && near.contains(r#""price":"1.37000000""#),
            "{extra:?}: {near}"
        );
        let fil = http_get(&addr, "/api/v3/ticker/price?symbol=FILUSDT");
        assert_eq!(
            fil.starts_with("HTTP/1.1 200"),
            extra.contains(&FIL_JUNE),
            "FILUSDT is served only with its files: {extra:?}: {fil}"
        );
    }
}
