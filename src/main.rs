//! `binance-trader`: parse the command line, set up logging, hand over to [`apps::cli::run`].

use binance_trader::apps;
use clap::Parser;

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    // Test builds only (the `failpoints` feature): crash points set by FAILPOINTS.
    #[cfg(feature = "failpoints")]
    let _crash_points = fail::FailScenario::setup();
    apps::cli::run(apps::cli::Cli::parse())
}
