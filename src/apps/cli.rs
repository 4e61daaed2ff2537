//! The `binance-trader` command line (clap): one subcommand per job.

use crate::apps::check_config::{self, Market};
use crate::core::money::{Price, Qty, Quote};
use clap::{Parser, Subcommand};

/// Self-hosted grid-trading bot for Binance spot.
#[derive(Debug, Parser)]
#[command(name = "binance-trader", version, about)]
pub struct Cli {
    /// Log lines on stderr as `text` (coloured only on a terminal) or `json` (one object a
    /// line, for a log collector).
    #[arg(long, global = true, value_enum, default_value_t, env = "LOG_FORMAT")]
    pub log_format: crate::apps::logging::LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a strategy configuration file and print the grid it plans.
    ///
    /// Without --anchor only the static rules run. With --anchor the exchange rules are checked
    /// too, against a symbol with the given tick, step and minimum notional.
    CheckConfig {
        /// Path to the strategy TOML file.
        #[arg(default_value = "config/strategy.example.toml")]
        path: std::path::PathBuf,
        /// Anchor price P0 to lay the grid from (enables the market checks).
        #[arg(long)]
        anchor: Option<Price>,
        /// PRICE_FILTER tickSize.
        #[arg(long, default_value = "0.01", requires = "anchor")]
        tick: Price,
        /// LOT_SIZE stepSize (and minQty).
        #[arg(long, default_value = "0.001", requires = "anchor")]
        step: Qty,
        /// NOTIONAL minNotional.
        #[arg(long, default_value = "5", requires = "anchor")]
        min_notional: Quote,
        /// Free quote balance to check the budget against.
        #[arg(long, requires = "anchor")]
        free_quote: Option<Quote>,
    },
    /// Backtest the strategy on candles of its symbol (default: the bundled ones, FILUSDT or
    /// NEARUSDT) and write terminal, JSON and HTML reports; `--sweep` ranks a parameter grid.
    Backtest(crate::apps::backtest::command::BacktestArgs),
    /// Walk-forward optimisation: tune parameters on training spans, report how the chosen
    /// ones did on the unseen spans that follow (terminal, JSON, CSV, HTML).
    Optimize(crate::apps::backtest::optimize::OptimizeArgs),
    /// Serve the simulated exchange over Binance's REST API on loopback.
    ExchangeSim(crate::apps::exchange_sim::ExchangeSimArgs),
    /// Paper trading: the simulated exchange replaying bundled real candles and the bot
    /// trading it through the real Binance client, journal in SQLite. No money, no internet.
    Paper(crate::apps::paper::PaperArgs),
    /// Run the bot on Binance: the spot testnet by default; mainnet only with --live.
    Run(crate::apps::trade::TradeArgs),
    /// Emergency: cancel every order of the active baskets and sell their positions.
    CloseAll(crate::apps::trade::TradeArgs),
    /// Pause, resume or emergency-close one grid of the portfolio running on the journal
    /// (`paper --portfolio`, `run --portfolio`); prints the running loop's receipt.
    Grid(crate::apps::portfolio::grid_cli::GridArgs),
    /// Baskets, positions, open orders, P&L, the last step and anything paused or closing,
    /// read from the journal (while the bot runs or not); `--json` for one JSON object.
    Status(crate::apps::status::StatusArgs),
    /// Replays a journalled session's candles through the backtester and prints every
    /// difference in orders, fills and realised P&L (exit 0: none, 1: differences, 2: could
    /// not compare).
    Parity(crate::apps::parity::ParityArgs),
    /// Exit 0 when the dashboard's `/healthz` answers `ok` (the container's health check).
    Healthcheck {
        /// The URL to ask.
        #[arg(long, default_value = "http://127.0.0.1:8080/healthz")]
        url: String,
    },
    /// Write a consistent backup of the journal while the bot runs (SQLite: a database file
    /// by VACUUM INTO; PostgreSQL: an export read in one REPEATABLE READ transaction).
    Backup(crate::apps::backup::OutArgs),
    /// Write a backup (either kind) back into the journal; a journal with data only with
    /// --force. Never while a bot runs on it.
    Restore(crate::apps::backup::InArgs),
    /// Export the journal as portable JSON lines (moves between SQLite and PostgreSQL).
    Export(crate::apps::backup::OutArgs),
    /// Import an export into the journal; a journal with data only with --force.
    Import(crate::apps::backup::InArgs),
    /// Send a test notification to every channel configured in `[notify]` and wait for it.
    NotifyTest(crate::apps::notify::test::NotifyTestArgs),
    /// Read a dashboard password from stdin (first line) and print its argon2 hash, for
    /// DASHBOARD_PASSWORD_HASH or `[dashboard] password_hash`.
    HashPassword,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::CheckConfig {
            path,
            anchor,
            tick,
            step,
            min_notional,
            free_quote,
        } => {
            let market = anchor.map(|anchor| Market {
                anchor,
                tick,
                step,
                min_notional,
                free_quote,
            });
            check_config::run(&path, market.as_ref())
        }
        Command::Backtest(args) => crate::apps::backtest::command::execute(&args),
        Command::Optimize(args) => crate::apps::backtest::optimize::execute(&args),
        Command::ExchangeSim(args) => crate::apps::exchange_sim::run(args),
        Command::Paper(args) => crate::apps::paper::run(&args),
        Command::Run(args) => crate::apps::trade::run(&args),
        Command::CloseAll(args) => crate::apps::trade::close_all(&args),
        Command::Grid(args) => crate::apps::portfolio::grid_cli::run(&args),
        Command::Status(args) => crate::apps::status::run(&args),
        Command::Parity(args) => match crate::apps::parity::run(&args) {
            Ok(false) => Ok(()),
            Ok(true) => std::process::exit(1),
            Err(e) => {
                eprintln!("Error: {e:?}");
                std::process::exit(2)
            }
        },
        Command::Healthcheck { url } => healthcheck(&url),
        Command::Backup(args) => crate::apps::backup::backup(&args),
        Command::Restore(args) => crate::apps::backup::restore(&args, false),
        Command::Export(args) => crate::apps::backup::export(&args),
        Command::Import(args) => crate::apps::backup::restore(&args, true),
        Command::NotifyTest(args) => crate::apps::notify::test::run(&args),
        Command::HashPassword => hash_password(&mut std::io::stdin().lock()),
    }
}

/// `hash-password`: the first line of `input` (without its line ending) → PHC string on stdout.
fn hash_password(input: &mut dyn std::io::BufRead) -> anyhow::Result<()> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        anyhow::bail!("no password on stdin (give it as the first line)");
    }
    println!("{}", crate::apps::dashboard::auth::hash_password(password)?);
    Ok(())
}

/// `healthcheck`: one GET with a short timeout; anything but `200 ok` is a failure.
fn healthcheck(url: &str) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(3))
            .build()?;
        let response = client.get(url).send().await?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() || body.trim() != "ok" {
            anyhow::bail!("{url} answered {status}: {}", body.trim());
        }
        Ok(())
    })
}
