//! `binance-trader`: parse the command line, set up logging ([`apps::logging`]), hand over to [`apps::cli::run`].

use binance_trader::apps;
use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = apps::cli::Cli::parse();
    apps::logging::init(cli.log_format);
    // Test builds only (the `failpoints` feature): crash points set by FAILPOINTS.
    #[cfg(feature = "failpoints")]
    let _crash_points = fail::FailScenario::setup();
    apps::cli::run(cli)
}
