//! `binance-trader exchange-sim`: runs the simulated exchange behind Binance's REST API on a
//! loopback address, replaying candle files (see `.spec/exchange-sim.md`).
//!
//! Non-loopback listen addresses are refused unless `--allow-remote`: the default key and
//! secret are public, and the server has no TLS.
//!
//! Each served symbol is the one its `--data` files' names give (`--symbol` for files whose
//! name does not say; a contradiction is refused), so candles are never served under another
//! market's name; several symbols are served side by side. Without `--data`: the bundled
//! candles of `--symbol` (FILUSDT).

use crate::adapters::klines::files::group_by_symbol;
use crate::adapters::klines::{load_candles, CandleFiles, DEFAULT_CACHE_DIR};
use crate::adapters::sim::server::{
    serve, ApiCredential, FaultConfig, PublicKeyCredential, SimServer, SimServerConfig, Speed,
    WsTiming,
};
use crate::apps::candle_data::bundled;
use crate::core::money::Amount;
use crate::core::symbol::{Asset, Symbol};
use anyhow::Context;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default API key for local use (public: never use it for anything real).
pub const DEFAULT_API_KEY: &str =
    "simkey0000000000000000000000000000000000000000000000000000000000";
/// Default HMAC secret for local use (public).
pub const DEFAULT_API_SECRET: &str = "simsecret";

/// Default API key of the `--public-key` (public: never use it for anything real).
pub const DEFAULT_PUBLIC_API_KEY: &str =
    "simpubkey000000000000000000000000000000000000000000000000000000";

/// Which clock the server keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClockArg {
    /// Wall-clock time; the candles are shifted so that the replay starts now.
    Live,
    /// The candles' own time (paper trading, backtests, tests).
    Replay,
}

/// Options of `exchange-sim`.
#[derive(Debug, clap::Args)]
pub struct ExchangeSimArgs {
    /// Address to listen on (loopback only unless --allow-remote; port 0 picks a free port,
    /// printed on stdout).
    #[arg(long, default_value = "127.0.0.1:8900")]
    pub listen: SocketAddr,
    /// Allow a non-loopback listen address.
    #[arg(long)]
    pub allow_remote: bool,
    /// Candle files (Binance kline dumps, gzipped or plain, named
    /// SYMBOL-1m-YYYY-MM[-DD].csv[.gz]) of one or several symbols; each file serves the symbol
    /// its name gives. Default: the bundled candles of --symbol.
    #[arg(long, num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// Without --data, the symbol whose bundled candles are served (default FILUSDT); with
    /// --data, the symbol of files whose name does not say it.
    #[arg(long)]
    pub symbol: Option<String>,
    /// `live` (default): server time is wall-clock time and the replay starts now;
    /// `replay`: server time is the candles' time.
    #[arg(long, value_enum, default_value = "live")]
    pub clock: ClockArg,
    /// Times real time (1 = a 1-minute candle a minute, 60 = one a second); with
    /// `--clock replay` also `max` or `manual` (only `POST /sim/step`).
    #[arg(long, default_value = "1")]
    pub speed: String,
    /// Live clock: days of each symbol's data that lie before "now" at start (served as
    /// history by klines and tickers).
    #[arg(long, default_value = "7")]
    pub history_days: u32,
    /// exchangeInfo documents (e.g. the bundled one plus Binance's answer to
    /// `GET /api/v3/exchangeInfo?symbol=X` saved to a file); every served symbol must be in
    /// one of them. The first document's rate limits apply.
    #[arg(long, num_args = 1.., default_value = "data/exchange_info.json")]
    pub exchange_info: Vec<PathBuf>,
    /// Accepted API key.
    #[arg(long, env = "SIM_API_KEY", default_value = DEFAULT_API_KEY)]
    pub api_key: String,
    /// Its HMAC secret.
    #[arg(long, env = "SIM_API_SECRET", default_value = DEFAULT_API_SECRET, hide_env_values = true)]
    pub api_secret: String,
    /// Initial balance of each quote asset.
    #[arg(long, default_value = "10000")]
    pub quote: String,
    /// An Ed25519 or RSA public key (PEM, `-----BEGIN PUBLIC KEY-----`) also accepted, under
    /// --public-key-api-key: base64 signatures, and `session.logon` for Ed25519.
    #[arg(long)]
    pub public_key: Option<PathBuf>,
    /// The API key of --public-key.
    #[arg(long, env = "SIM_PUBLIC_API_KEY", default_value = DEFAULT_PUBLIC_API_KEY)]
    pub public_key_api_key: String,
    /// WebSocket: ms between the server's pings (Binance: 20000).
    #[arg(long, default_value = "20000")]
    pub ws_ping_ms: u64,
    /// WebSocket: a connection whose ping is unanswered this long is dropped, ms (Binance:
    /// 60000).
    #[arg(long, default_value = "60000")]
    pub ws_pong_timeout_ms: u64,
    /// WebSocket: connections are cut this long after they opened, ms (Binance: 24 h); set
    /// it low to exercise a client's reconnect.
    #[arg(long, default_value = "86400000")]
    pub ws_lifetime_ms: u64,
}

/// Parses a candles-per-second speed (`paper`): a positive number, `max` or `manual`.
pub fn parse_speed(text: &str) -> anyhow::Result<Speed> {
    match text {
        "max" => Ok(Speed::Max),
        "manual" => Ok(Speed::Manual),
        n => Ok(Speed::PerSecond(Duration::from_secs_f64(
            1.0 / positive(n)?,
        ))),
    }
}

fn positive(n: &str) -> anyhow::Result<f64> {
    n.parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v > 0.0)
        .with_context(|| format!("--speed {n}: expected a number > 0"))
}

/// Parses `exchange-sim --speed` for `clock`: times real time; `max`/`manual` on the replay
/// clock only.
pub fn parse_sim_speed(text: &str, clock: ClockArg, history_days: u32) -> anyhow::Result<Speed> {
    match (clock, text) {
        (ClockArg::Replay, "max") => Ok(Speed::Max),
        (ClockArg::Replay, "manual") => Ok(Speed::Manual),
        (ClockArg::Live, "max" | "manual") => {
            anyhow::bail!(
                "--speed {text} needs --clock replay (the live clock follows the wall clock)"
            )
        }
        (ClockArg::Replay, n) => Ok(Speed::PerSecond(Duration::from_secs_f64(
            60.0 / positive(n)?,
        ))),
        (ClockArg::Live, n) => Ok(Speed::Live {
            factor: positive(n)?,
            history_ms: i64::from(history_days) * 86_400_000,
        }),
    }
}

/// The candle files of each served symbol: `--data` grouped by the symbols their names give,
/// or the bundled set of `--symbol` (FILUSDT by default).
pub fn candle_sets(args: &ExchangeSimArgs) -> anyhow::Result<Vec<CandleFiles>> {
    let given = args
        .symbol
        .as_deref()
        .map(|s| Symbol::parse(s).with_context(|| format!("--symbol {s}")))
        .transpose()?;
    if args.data.is_empty() {
        let symbol = match given {
            Some(s) => s,
            None => Symbol::parse("FILUSDT")?,
        };
        let set = bundled(&symbol).with_context(|| {
            format!("no bundled candles for {symbol}: pass its kline files with --data")
        })?;
        return Ok(vec![CandleFiles {
            symbol,
            files: set.files.iter().map(PathBuf::from).collect(),
        }]);
    }
    Ok(group_by_symbol(&args.data, given.as_ref())?
        .into_iter()
        .map(|(symbol, files)| CandleFiles { symbol, files })
        .collect())
}

/// The first exchangeInfo document with the symbols of all of them (the first entry of a
/// name wins), cut to `symbols`; each must be in one of them.
fn served_info(docs: &[(PathBuf, String)], symbols: &[Symbol]) -> anyhow::Result<String> {
    let mut merged: Option<serde_json::Value> = None;
    let mut entries: Vec<serde_json::Value> = Vec::new();
    for (path, text) in docs {
        let doc: serde_json::Value = serde_json::from_str(text)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        let list = doc
            .get("symbols")
            .and_then(serde_json::Value::as_array)
            .with_context(|| format!("{}: no `symbols` list", path.display()))?;
        for e in list {
            let name = e.get("symbol").and_then(serde_json::Value::as_str);
            let wanted = name.is_some_and(|n| symbols.iter().any(|x| x.as_str() == n));
            if wanted && !entries.iter().any(|x| x["symbol"].as_str() == name) {
                entries.push(e.clone());
            }
        }
        merged.get_or_insert(doc);
    }
    let mut info = merged.context("no --exchange-info document")?;
    let names = || {
        docs.iter()
            .map(|(p, _)| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for s in symbols {
        if !entries.iter().any(|x| x["symbol"] == s.as_str()) {
            anyhow::bail!(
                "{s} is not in {}: save Binance's GET /api/v3/exchangeInfo?symbol={s} to a file and add it with --exchange-info",
                names()
            );
        }
    }
    info["symbols"] = serde_json::Value::Array(entries);
    Ok(info.to_string())
}

/// Wall-clock time, Unix ms.
fn wall_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis(),
    )
    .unwrap_or(0)
}

/// Builds the server `args` describe (reads the candle files and exchangeInfo).
pub fn build(args: &ExchangeSimArgs) -> anyhow::Result<SimServer> {
    let speed = parse_sim_speed(&args.speed, args.clock, args.history_days)?;
    let sets = candle_sets(args)?;
    let symbols: Vec<Symbol> = sets.iter().map(|s| s.symbol.clone()).collect();
    let mut docs = Vec::new();
    for path in &args.exchange_info {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        docs.push((path.clone(), text));
    }
    let info = served_info(&docs, &symbols)?;
    let quote = Amount::parse_non_negative(&args.quote)
        .map_err(|e| anyhow::anyhow!("--quote {}: {e}", args.quote))?;
    let mut balances: Vec<(Asset, Amount)> = Vec::new();
    let mut markets = Vec::new();
    for set in sets {
        let symbol = set.symbol.clone();
        let rules = crate::core::filters::parse::symbol_rules(&info, &symbol)
            .with_context(|| format!("the exchangeInfo entry of {symbol}"))?;
        if !balances.iter().any(|(a, _)| *a == rules.quote_asset) {
            balances.push((rules.quote_asset.clone(), quote));
        }
        let candles = load_candles(&set, Some(Path::new(DEFAULT_CACHE_DIR)))
            .with_context(|| format!("loading the candles of {symbol}"))?;
        tracing::info!(%symbol, candles = candles.len(), "market");
        markets.push((symbol, candles));
    }
    let cfg = SimServerConfig {
        exchange_info_json: info,
        markets,
        balances,
        speed,
        credentials: vec![ApiCredential {
            key: args.api_key.clone(),
            secret: args.api_secret.clone().into(),
        }],
        faults: FaultConfig::default(),
        start_ms: wall_ms(),
    };
    let server = SimServer::new(cfg).context("building the simulated exchange")?;
    if let Some(path) = &args.public_key {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("reading --public-key {}", path.display()))?;
        let key = PublicKeyCredential::from_pem(&args.public_key_api_key, &pem)
            .map_err(|e| anyhow::anyhow!("--public-key {}: {e}", path.display()))?;
        server.add_public_key(key);
    }
    server.set_ws_timing(WsTiming {
        ping_interval_ms: args.ws_ping_ms,
        pong_timeout_ms: args.ws_pong_timeout_ms,
        lifetime_ms: args.ws_lifetime_ms,
        ..WsTiming::default()
    });
    Ok(server)
}

/// Runs the server until Ctrl-C.
pub fn run(args: ExchangeSimArgs) -> anyhow::Result<()> {
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        anyhow::bail!(
            "--listen {}: not a loopback address; pass --allow-remote to serve other hosts",
            args.listen
        );
    }
    let state = build(&args)?;
    let rt = tokio::runtime::Runtime::new().context("starting tokio")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        let addr = listener.local_addr()?;
        // The first stdout line, for scripts and tests that start it on port 0.
        println!("exchange-sim listening on http://{addr}");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        tracing::info!(%addr, "exchange-sim listening");
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
    fn paper_speed_accepts_candles_per_second_max_and_manual_only() {
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

    fn args(listen: &str) -> ExchangeSimArgs {
        ExchangeSimArgs {
            listen: listen.parse().unwrap(),
            allow_remote: false,
            data: vec![],
            symbol: None,
            clock: ClockArg::Live,
            speed: "1".into(),
            history_days: 7,
            exchange_info: vec!["data/exchange_info.json".into()],
            api_key: DEFAULT_API_KEY.into(),
            api_secret: DEFAULT_API_SECRET.into(),
            quote: "10000".into(),
            public_key: None,
            public_key_api_key: DEFAULT_PUBLIC_API_KEY.into(),
            ws_ping_ms: 20_000,
            ws_pong_timeout_ms: 60_000,
            ws_lifetime_ms: 86_400_000,
        }
    }

    #[test]
    fn non_loopback_listen_is_refused_without_allow_remote() {
        let err = run(args("0.0.0.0:8900")).unwrap_err().to_string();
        assert!(err.contains("--allow-remote"), "{err}");
    }

    #[test]
    fn sim_speed_is_times_real_time_and_max_manual_need_the_replay_clock() {
        assert_eq!(
            parse_sim_speed("60", ClockArg::Replay, 7).unwrap(),
            Speed::PerSecond(Duration::from_secs(1))
        );
        assert_eq!(
            parse_sim_speed("2", ClockArg::Live, 1).unwrap(),
            Speed::Live {
                factor: 2.0,
                history_ms: 86_400_000
            }
        );
        assert_eq!(
            parse_sim_speed("manual", ClockArg::Replay, 7).unwrap(),
            Speed::Manual
        );
        let err = parse_sim_speed("max", ClockArg::Live, 7)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--clock replay"), "{err}");
        assert!(parse_sim_speed("0", ClockArg::Live, 7).is_err());
    }

    #[test]
    fn data_is_grouped_by_the_symbol_in_each_file_name() {
        let mut a = args("127.0.0.1:0");
        a.data = [
            "d/FILUSDT-1m-2026-02.csv.gz",
            "d/NEARUSDT-1m-2026-02.csv.gz",
            "d/FILUSDT-1m-2026-03.csv",
        ]
        .map(PathBuf::from)
        .to_vec();
        let sets: Vec<(String, usize)> = candle_sets(&a)
            .unwrap()
            .iter()
            .map(|s| (s.symbol.to_string(), s.files.len()))
            .collect();
        assert_eq!(sets, vec![("FILUSDT".into(), 2), ("NEARUSDT".into(), 1)]);
        a.data = vec![PathBuf::from("candles.csv")];
        let err = candle_sets(&a).unwrap_err().to_string();
        assert!(err.contains("--symbol"), "{err}");
        a.data = vec![];
        a.symbol = Some("NEARUSDT".into());
        assert_eq!(
            candle_sets(&a).unwrap()[0].files.len(),
            3,
            "the bundled quarter"
        );
        a.symbol = Some("LTCUSDT".into());
        let err = candle_sets(&a).unwrap_err().to_string();
        assert!(err.contains("no bundled candles for LTCUSDT"), "{err}");
    }

    #[test]
    fn a_symbol_missing_from_exchange_info_is_refused_by_name() {
        let text = std::fs::read_to_string("data/exchange_info.json").unwrap();
        let docs = [(PathBuf::from("x.json"), text)];
        let fil = Symbol::parse("FILUSDT").unwrap();
        let info = served_info(&docs, std::slice::from_ref(&fil)).unwrap();
        assert!(info.contains("FILUSDT") && !info.contains("SOLUSDC"));
        let xyz = Symbol::parse("XYZUSDT").unwrap();
        let err = served_info(&docs, &[xyz]).unwrap_err().to_string();
        assert!(err.contains("XYZUSDT is not in x.json"), "{err}");
    }

    #[test]
    fn a_downloaded_exchange_info_adds_its_symbols_to_the_bundled_one() {
        let bundled = std::fs::read_to_string("data/exchange_info.json").unwrap();
        let mut doc: serde_json::Value = serde_json::from_str(&bundled).unwrap();
        let mut xrp = doc["symbols"][0].clone();
        xrp["symbol"] = "XRPUSDT".into();
        xrp["baseAsset"] = "XRP".into();
        let mut fil = doc["symbols"][0].clone();
        fil["status"] = "BREAK".into();
        doc["symbols"] = serde_json::json!([xrp, fil]);
        doc["rateLimits"] = serde_json::json!([]);
        let docs = [
            (PathBuf::from("data/exchange_info.json"), bundled),
            (PathBuf::from("xrp.json"), doc.to_string()),
        ];
        let wanted = ["FILUSDT", "XRPUSDT"].map(|s| Symbol::parse(s).unwrap());
        let info: serde_json::Value =
            serde_json::from_str(&served_info(&docs, &wanted).unwrap()).unwrap();
        let names: Vec<&str> = info["symbols"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["symbol"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["FILUSDT", "XRPUSDT"]);
        assert_eq!(
            info["symbols"][0]["status"], "TRADING",
            "the first entry wins"
        );
        assert_eq!(
            info["rateLimits"].as_array().unwrap().len(),
            4,
            "the first document's"
        );
    }
}
