//! Log output fit for a terminal and for a server: human-readable text by default, one JSON
//! object per line with `--log-format json` (for journald, Loki, CloudWatch …). Colour codes
//! only when stderr is a terminal: a log file, `docker logs` or journald must not fill up with
//! escape sequences (`.spec/operations.md` § Logs).

use std::io::IsTerminal;

/// How log lines are written (to stderr).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines; coloured only on a terminal.
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `fields` (with `message`).
    Json,
}

/// Installs the global subscriber: `RUST_LOG` filters (default `info`), stderr is the sink.
pub fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().with_ansi(false).init(),
    }
}
