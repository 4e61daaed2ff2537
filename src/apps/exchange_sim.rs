//! `binance-trader exchange-sim`: runs the simulated exchange behind Binance's REST API on a
//! loopback address, replaying candle files (see `.spec/exchange-sim.md`).
//!
//! Non-loopback listen addresses are refused unless `--allow-remote`: the default key and
//! secret are public, and the server has no TLS.
//!
//! The served symbol is the one the `--data` files' names give (`--symbol` for files whose
//! name does not say; a contradiction or files of several symbols are refused), so candles
//! are never served under another market's name; without `--data`, `--symbol` (FILUSDT).

use crate::adapters::klines::files::one_symbol;
use crate::adapters::klines::{load_candles, DEFAULT_CACHE_DIR};
use crate::adapters::sim::server::{
    serve, ApiCredential, FaultConfig, SimServer, SimServerConfig, Speed,
};
use crate::core::money::Amount;
use crate::core::symbol::Symbol;
use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Default API key for local use (public: never use it for anything real).
pub const DEFAULT_API_KEY: &str =
    "simkey0000000000000000000000000000000000000000000000000000000000";
/// Default HMAC secret for local use (public).
pub const DEFAULT_API_SECRET: &str = "simsecret";

/// Options of `exchange-sim`.
#[derive(Debug, clap::Args)]
pub struct ExchangeSimArgs {
    /// Address to listen on (loopback only unless --allow-remote).
    #[arg(long, default_value = "127.0.0.1:8900")]
    pub listen: SocketAddr,
    /// Allow a non-loopback listen address.
    #[arg(long)]
    pub allow_remote: bool,
    /// Candle files (Binance kline CSV, gzipped or plain) of one symbol, named
    /// SYMBOL-1m-YYYY-MM[-DD].csv[.gz]; the served symbol is theirs.
    #[arg(long, num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// The served symbol without --data (default FILUSDT); with --data, the symbol of files
    /// whose name does not say it.
    #[arg(long)]
    pub symbol: Option<String>,
    /// Candles per second, `max`, or `manual` (only `POST /sim/step`).
    #[arg(long, default_value = "1")]
    pub speed: String,
    /// exchangeInfo document.
    #[arg(long, default_value = "data/exchange_info.json")]
    pub exchange_info: PathBuf,
    /// Accepted API key.
    #[arg(long, env = "SIM_API_KEY", default_value = DEFAULT_API_KEY)]
    pub api_key: String,
    /// Its HMAC secret.
    #[arg(long, env = "SIM_API_SECRET", default_value = DEFAULT_API_SECRET, hide_env_values = true)]
    pub api_secret: String,
    /// Initial quote balance.
    #[arg(long, default_value = "10000")]
    pub quote: String,
}

/// Parses `--speed`: a positive number of candles per second, `max` or `manual`.
pub fn parse_speed(text: &str) -> anyhow::Result<Speed> {
    match text {
        "max" => Ok(Speed::Max),
        "manual" => Ok(Speed::Manual),
        n => {
            let per_sec: f64 = n
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v > 0.0)
                .with_context(|| {
                    format!("--speed {n}: expected candles per second > 0, `max` or `manual`")
                })?;
            Ok(Speed::PerSecond(Duration::from_secs_f64(1.0 / per_sec)))
        }
    }
}

/// Runs the server until Ctrl-C.
pub fn run(args: ExchangeSimArgs) -> anyhow::Result<()> {
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        anyhow::bail!(
            "--listen {}: not a loopback address; pass --allow-remote to serve other hosts",
            args.listen
        );
    }
    let speed = parse_speed(&args.speed)?;
    let given = args
        .symbol
        .as_deref()
        .map(|s| Symbol::parse(s).with_context(|| format!("--symbol {s}")))
        .transpose()?;
    let files = if args.data.is_empty() {
        None
    } else {
        Some(one_symbol(&args.data, given.as_ref())?)
    };
    let symbol = match (&files, given) {
        (Some(files), _) => files.symbol.clone(),
        (None, Some(given)) => given,
        (None, None) => Symbol::parse("FILUSDT")?,
    };
    let info = std::fs::read_to_string(&args.exchange_info)
        .with_context(|| format!("reading {}", args.exchange_info.display()))?;
    let rules = crate::core::filters::parse::symbol_rules(&info, &symbol)
        .with_context(|| format!("symbol {symbol} in {}", args.exchange_info.display()))?;
    let quote = Amount::parse_non_negative(&args.quote)
        .map_err(|e| anyhow::anyhow!("--quote {}: {e}", args.quote))?;
    let candles = match &files {
        None => Vec::new(),
        Some(files) => load_candles(files, Some(std::path::Path::new(DEFAULT_CACHE_DIR)))
            .context("loading candles")?,
    };
    let start_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis(),
    )
    .unwrap_or(0);
    let cfg = SimServerConfig {
        exchange_info_json: info,
        symbol,
        candles,
        balances: vec![(rules.quote_asset.clone(), quote)],
        speed,
        credentials: vec![ApiCredential {
            key: args.api_key,
            secret: args.api_secret.into(),
        }],
        faults: FaultConfig::default(),
        start_ms,
    };
    let state = SimServer::new(cfg).context("building the simulated exchange")?;
    let rt = tokio::runtime::Runtime::new().context("starting tokio")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        tracing::info!(addr = %listener.local_addr()?, "exchange-sim listening");
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        serve(listener, state, shutdown).await.context("serving")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_accepts_numbers_max_and_manual_only() {
        assert_eq!(parse_speed("max").unwrap(), Speed::Max);
        assert_eq!(parse_speed("manual").unwrap(), Speed::Manual);
        assert_eq!(
            parse_speed("4").unwrap(),
            Speed::PerSecond(Duration::from_millis(250))
        );
        for bad in ["0", "-1", "fast", "NaN"] {
            assert!(parse_speed(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn non_loopback_listen_is_refused_without_allow_remote() {
        let args = ExchangeSimArgs {
            listen: "0.0.0.0:8900".parse().unwrap(),
            allow_remote: false,
            data: vec![],
            symbol: None,
            speed: "manual".into(),
            exchange_info: "data/exchange_info.json".into(),
            api_key: DEFAULT_API_KEY.into(),
            api_secret: DEFAULT_API_SECRET.into(),
            quote: "10000".into(),
        };
        let err = run(args).unwrap_err().to_string();
        assert!(err.contains("--allow-remote"), "{err}");
    }
}
