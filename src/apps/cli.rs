//! The `binance-trader` command line (clap): one subcommand per job.

use crate::apps::check_config::{self, Market};
use crate::core::money::{Price, Qty, Quote};
use clap::{Parser, Subcommand};

/// Self-hosted grid-trading bot for Binance spot.
#[derive(Debug, Parser)]
#[command(name = "binance-trader", version, about)]
pub struct Cli {
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
