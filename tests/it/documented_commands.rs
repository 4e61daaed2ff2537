//! Every command line the README and the `config/*.toml` comments show runs as written on a
//! fresh clone.
//!
//! The command lines are extracted (README: lines of fenced `sh` blocks and inline code that
//! starts with `binance-trader` or `cargo`; config files: comment lines that start with one
//! of those and inline code in comments) and run in a [`FreshClone`] through `sh`, with
//! `binance-trader` on the PATH and `cargo run [--release] --` standing for it (the binary
//! these tests built; nothing is compiled again). Each one must be classified in
//! [`TREATMENTS`], and each classification must still match a documented line:
//! - `Runs`: quick and offline; exit 0 and the expected text on stdout;
//! - `ComesUp`: long-running (`paper`, `exchange-sim`); it must print its ready line, then it
//!   is killed. A fixed port would collide with parallel tests and with a paper session
//!   already running, so the listen address becomes port 0 — the only change made;
//! - `NeedsKeys`: `run` and `close-all` trade on Binance, which tests never reach; without
//!   keys they must stop with exit 1 and the clear "missing BINANCE_API_KEY" error, having
//!   written nothing;
//! - `NotRun`: `cargo test` and `cargo bench` (the suite itself and the benchmarks).
//!
//! The README's command table is checked too: each row's subcommand exists and accepts every
//! flag the row shows, and every subcommand has a row.

use crate::fresh_clone::{describe, root, start_until, FreshClone};

/// What is done with a documented command line.
#[derive(Debug, Clone, Copy)]
enum Treatment {
    /// Exit 0 with this text on stdout.
    Runs(&'static str),
    /// Prints a line containing this text, then is killed.
    ComesUp(&'static str),
    /// Exit 1 naming the missing key; nothing written.
    NeedsKeys,
    /// Not run, for this reason.
    NotRun(&'static str),
}

use Treatment::{ComesUp, NeedsKeys, NotRun, Runs};

/// Every documented command line (comments after ` # ` dropped) and what is done with it.
const TREATMENTS: &[(&str, Treatment)] = &[
    (
        "cargo run --release -- paper",
        ComesUp("dashboard: http://"),
    ),
    (
        "cargo run --release -- paper --portfolio",
        ComesUp("dashboard: http://"),
    ),
    ("cargo test", NotRun("the test suite itself")),
    (
        "CRASH_KILLS=1000 cargo test --test it crash::",
        NotRun("a long version of a test"),
    ),
    (
        "SOAK_ORDERS=10000 cargo test --test it client_soak",
        NotRun("a long version of a test"),
    ),
    (
        "cargo test --lib fuzz",
        NotRun("the fuzz targets, part of the test suite"),
    ),
    (
        "CARGO_PROFILE_TEST_OPT_LEVEL=3 FUZZ_CASES=1000000 cargo test --lib fuzz -- --test-threads=2",
        NotRun("the fuzz targets at a million inputs each (minutes)"),
    ),
    (
        "cargo run --release -- backtest",
        Runs("reports: reports/backtest.json"),
    ),
    (
        "cargo run --release -- backtest --data data/klines/FILUSDT-1m-2024-09.csv.gz data/klines/FILUSDT-1m-2024-1*.csv.gz",
        Runs("Backtest FILUSDT"),
    ),
    (
        "cargo run --release -- backtest --sweep hard_stop_pct=25 --sweep trail_up_max_pct=5,20,100 --sweep trail_down=stop,follow",
        Runs("hard_stop_pct=25 trail_up_max_pct=5 trail_down=stop"),
    ),
    (
        "scripts/regime-table.sh",
        Runs("| crash FILUSDT 2023-04..06 | as in config/backtest.toml |"),
    ),
    (
        "cargo run --release -- backtest --config config/range.toml",
        Runs("Backtest FILUSDT"),
    ),
    (
        "binance-trader backtest --config config/range.toml",
        Runs("Backtest FILUSDT"),
    ),
    (
        "binance-trader backtest --config config/mean-reversion.toml",
        Runs("Backtest FILUSDT"),
    ),
    (
        "binance-trader backtest --config config/trend.toml",
        Runs("Backtest FILUSDT"),
    ),
    (
        "cargo run --release -- backtest --config config/backtest-near.toml",
        Runs("Backtest NEARUSDT"),
    ),
    (
        "cargo run --release -- backtest --portfolio config/portfolio.toml",
        Runs("reports: reports/portfolio.json reports/portfolio.html"),
    ),
    (
        "cargo bench --bench portfolio",
        NotRun("a benchmark"),
    ),
    (
        "cargo run --release -- optimize",
        Runs("Out-of-sample total"),
    ),
    (
        "printf '%s\\n' 'pw' | binance-trader hash-password",
        Runs("$argon2id$"),
    ),
    (
        "cargo bench --bench backtest",
        NotRun("a benchmark (.ci/run runs it with --short)"),
    ),
    (
        "cargo bench --bench dashboard",
        NotRun("a benchmark (.ci/run runs it with --short)"),
    ),
    (
        "cargo bench --bench portfolio_weight",
        NotRun("a benchmark (about 7 minutes; --short about 2, too long for CI)"),
    ),
    (
        "cargo bench --bench volatility",
        NotRun("a benchmark (64 backtests over the bundled regimes, minutes)"),
    ),
    (
        "cargo bench --bench latency",
        NotRun("a benchmark (about half an hour; --short takes minutes, too long for CI)"),
    ),
    (
        "TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo test",
        NotRun("the test suite itself, on PostgreSQL"),
    ),
    (
        "binance-trader check-config config/strategy.example.toml --anchor 150.00",
        Runs("hard stop below"),
    ),
    (
        "binance-trader check-config config/strategy.explicit.example.toml --anchor 150.00",
        Runs("hard stop below"),
    ),
    ("binance-trader backtest", Runs("Backtest FILUSDT")),
    ("binance-trader paper", ComesUp("dashboard: http://")),
    (
        "binance-trader exchange-sim",
        ComesUp("exchange-sim listening on http://"),
    ),
    (
        "binance-trader backtest --config config/backtest-near.toml",
        Runs("Backtest NEARUSDT"),
    ),
    ("binance-trader run", NeedsKeys),
    ("binance-trader close-all", NeedsKeys),
    ("binance-trader status", Runs("no journal yet")),
    ("binance-trader", NotRun("the program's name in prose")),
    (
        "cargo run --release --",
        NotRun("the prefix that stands for binance-trader"),
    ),
    (
        "cargo install --path .",
        NotRun("installs into ~/.cargo/bin, outside the clone"),
    ),
    ("cargo fmt --check", NotRun(".ci/run's own check")),
    (
        "cargo clippy --all-targets -- -D warnings",
        NotRun(".ci/run's own check"),
    ),
    ("cargo bench", NotRun("the benchmarks")),
];

/// A command line and where it is documented.
#[derive(Debug)]
struct Documented {
    line: String,
    place: String,
}

fn is_command(text: &str) -> bool {
    let without_env = text
        .split_whitespace()
        .skip_while(|word| word.contains('=') && !word.starts_with('-'))
        .collect::<Vec<_>>()
        .join(" ");
    ["binance-trader", "cargo"]
        .iter()
        .any(|p| without_env == *p || without_env.starts_with(&format!("{p} ")))
        || text.contains("| binance-trader")
}

/// Drops a trailing ` # comment`.
fn without_comment(line: &str) -> String {
    line.split(" # ").next().unwrap_or(line).trim().to_string()
}

/// Code spans (between single backticks) of a line.
fn spans(line: &str) -> impl Iterator<Item = &str> {
    line.split('`').skip(1).step_by(2)
}

fn readme_commands() -> Vec<Documented> {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut out = Vec::new();
    let mut fence: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let place = format!("README.md:{}", i + 1);
        if let Some(info) = line.trim_start().strip_prefix("```") {
            fence = match fence {
                None => Some(info.trim().to_string()),
                Some(_) => None,
            };
            continue;
        }
        match fence.as_deref() {
            Some("sh") => {
                let command = without_comment(line);
                if !command.is_empty() && !command.starts_with('#') {
                    out.push(Documented {
                        line: command,
                        place,
                    });
                }
            }
            Some(_) => {}
            None => out.extend(spans(line).filter(|s| is_command(s)).map(|s| Documented {
                line: s.to_string(),
                place: place.clone(),
            })),
        }
    }
    out
}

fn config_commands() -> Vec<Documented> {
    let mut files: Vec<_> = std::fs::read_dir(root().join("config"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        for (i, line) in text.lines().enumerate() {
            let Some((_, comment)) = line.split_once('#') else {
                continue;
            };
            let place = format!("{name}:{}", i + 1);
            let comment = comment.trim();
            if is_command(comment) {
                out.push(Documented {
                    line: without_comment(comment),
                    place: place.clone(),
                });
            }
            out.extend(
                spans(comment)
                    .filter(|s| is_command(s))
                    .map(|s| Documented {
                        line: s.to_string(),
                        place: place.clone(),
                    }),
            );
        }
    }
    out
}

/// The line as run: `cargo run [--release] --` is the built binary; long-running commands
/// listen on port 0.
fn as_run(line: &str, treatment: Treatment) -> String {
    let mut line = line
        .replace("cargo run --release -- ", "binance-trader ")
        .replace("cargo run -- ", "binance-trader ");
    if let ComesUp(_) = treatment {
        if line.contains(" paper") && !line.contains("--dashboard") {
            line.push_str(" --dashboard 127.0.0.1:0");
        }
        if line.contains(" exchange-sim") && !line.contains("--listen") {
            line.push_str(" --listen 127.0.0.1:0");
        }
        line = format!("exec {line}");
    }
    line
}

#[test]
fn every_documented_command_line_is_classified_and_every_classification_documented() {
    let documented: Vec<Documented> = readme_commands()
        .into_iter()
        .chain(config_commands())
        .collect();
    let unclassified: Vec<&Documented> = documented
        .iter()
        .filter(|d| !TREATMENTS.iter().any(|(line, _)| *line == d.line))
        .collect();
    let listed: Vec<String> = unclassified
        .iter()
        .map(|d| format!("{}: `{}`", d.place, d.line))
        .collect();
    assert!(
        listed.is_empty(),
        "classify these command lines in TREATMENTS:\n{}",
        listed.join("\n")
    );
    let stale: Vec<&str> = TREATMENTS
        .iter()
        .map(|(line, _)| *line)
        .filter(|line| !documented.iter().any(|d| d.line == *line))
        .collect();
    assert!(stale.is_empty(), "no longer documented: {stale:#?}");
}

#[test]
fn every_documented_command_line_runs_as_written_on_a_fresh_clone() {
    for &(line, treatment) in TREATMENTS {
        let run = as_run(line, treatment);
        match treatment {
            Runs(expected) => {
                let clone = FreshClone::new();
                let out = clone.sh(&run).output().unwrap();
                let stdout = String::from_utf8_lossy(&out.stdout);
                assert!(
                    out.status.success() && stdout.contains(expected),
                    "`{line}` (expected `{expected}`): {}",
                    describe(&out)
                );
            }
            ComesUp(marker) => {
                let clone = FreshClone::new();
                let running = start_until(clone.sh(&run), marker);
                assert!(
                    running.is_ok(),
                    "`{line}`: {}",
                    running.err().unwrap_or_default()
                );
            }
            NeedsKeys => {
                let clone = FreshClone::new();
                let out = clone.sh(&run).output().unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(
                    out.status.code() == Some(1) && stderr.contains("missing BINANCE_API_KEY"),
                    "`{line}`: {}",
                    describe(&out)
                );
                assert_eq!(clone.written(), Vec::<String>::new(), "`{line}` wrote");
            }
            NotRun(why) => eprintln!("not run: `{line}`: {why}"),
        }
    }
}

/// `--flag` words of a synopsis such as `backtest [--config F] [--data F…]`.
fn flags(synopsis: &str) -> Vec<String> {
    synopsis
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(str::to_string)
        .collect()
}

#[test]
fn the_readme_command_table_shows_real_subcommands_and_flags() {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| spans(l).next())
        .collect();
    let clone = FreshClone::new();
    let help = String::from_utf8(clone.run(&["--help"]).stdout).unwrap();
    let subcommands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    let shown: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.split_whitespace().next())
        .collect();
    for sub in &subcommands {
        assert!(shown.contains(sub), "README's table has no row for `{sub}`");
    }
    for row in rows {
        let sub = row.split_whitespace().next().unwrap();
        let out = clone.run(&[sub, "--help"]);
        assert!(
            out.status.success(),
            "`{sub}` is not a subcommand: {}",
            describe(&out)
        );
        let sub_help = String::from_utf8_lossy(&out.stdout);
        for flag in flags(row) {
            assert!(
                sub_help.contains(&format!("{flag} ")) || sub_help.contains(&format!("{flag}\n")),
                "README shows `{flag}` for `{sub}`, which has no such flag:\n{sub_help}"
            );
        }
    }
}

#[test]
fn extraction_finds_commands_in_each_documented_form() {
    assert!(is_command("binance-trader backtest"));
    assert!(is_command("cargo run --release -- paper"));
    assert!(is_command("A=b cargo test"));
    assert!(is_command(
        "printf '%s\\n' 'pw' | binance-trader hash-password"
    ));
    assert!(!is_command("--data data/klines/FILUSDT-1m-2024-1*.csv.gz"));
    assert!(!is_command("binance-trader-ish"));
    assert_eq!(without_comment("cargo test   # the suite"), "cargo test");
    assert_eq!(
        as_run("cargo run --release -- paper", ComesUp("x")),
        "exec binance-trader paper --dashboard 127.0.0.1:0"
    );
    assert_eq!(
        flags("exchange-sim [--listen 127.0.0.1:8900] [--speed N\\|max]"),
        ["--listen", "--speed"]
    );
}
