//! The candles a strategy is replayed on: `--data` and `--symbol`, the bundled sets, and the
//! check that the candles belong to the strategy's symbol. Every command that runs a strategy
//! on candles (backtest, sweep, paper; later optimisation and portfolios, one call per
//! strategy) decides its files here, from names alone, before it reads a candle or writes a
//! journal row or report: a strategy is never run on another market's prices.

use crate::adapters::klines::files::{list_files, one_symbol};
use crate::adapters::klines::CandleFiles;
use crate::core::symbol::Symbol;
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};

/// Candles shipped in `data/klines/`, with the strategy file written for them.
#[derive(Debug, Clone, Copy)]
pub struct Bundled {
    /// The symbol.
    pub symbol: &'static str,
    /// What the quarter shows.
    pub what: &'static str,
    /// Its files, relative to the repository root.
    pub files: [&'static str; 3],
    /// A strategy file for this symbol.
    pub config: &'static str,
}

/// The default data of each bundled symbol (the 2024 FILUSDT rally is bundled too, but only
/// used when passed with `--data`).
pub const BUNDLED: [Bundled; 2] = [
    Bundled {
        symbol: "FILUSDT",
        what: "the April–June 2023 crash quarter",
        files: [
            "data/klines/FILUSDT-1m-2023-04.csv.gz",
            "data/klines/FILUSDT-1m-2023-05.csv.gz",
            "data/klines/FILUSDT-1m-2023-06.csv.gz",
        ],
        config: "config/backtest.toml",
    },
    Bundled {
        symbol: "NEARUSDT",
        what: "the August–October 2023 range quarter",
        files: [
            "data/klines/NEARUSDT-1m-2023-08.csv.gz",
            "data/klines/NEARUSDT-1m-2023-09.csv.gz",
            "data/klines/NEARUSDT-1m-2023-10.csv.gz",
        ],
        config: "config/backtest-near.toml",
    },
];

/// The bundled set of `symbol`, if there is one.
pub fn bundled(symbol: &Symbol) -> Option<&'static Bundled> {
    BUNDLED.iter().find(|b| b.symbol == symbol.as_str())
}

/// `--data` and `--symbol` of the commands that replay candles for a strategy.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DataArgs {
    /// Kline files of the strategy's symbol (Binance dump CSV, gzipped or plain, named
    /// SYMBOL-1m-YYYY-MM[-DD].csv[.gz]); default: the bundled candles of that symbol
    /// (FILUSDT, NEARUSDT).
    #[arg(long = "data", num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// The symbol of --data files whose name does not say it.
    #[arg(long)]
    pub symbol: Option<String>,
}

/// Where the strategy came from, for error messages: its flag and file.
#[derive(Debug, Clone, Copy)]
pub struct StrategyFile<'a> {
    /// The command's flag for it, e.g. `--config`.
    pub flag: &'static str,
    /// The file.
    pub path: &'a Path,
}

/// The candle files a strategy trading `symbol` is replayed on: the `--data` files (their
/// symbol from their names, or `--symbol`) or the bundled set of `symbol`. Refuses unnamed
/// files without `--symbol`, files of several symbols, and candles of another symbol.
pub fn files_for(
    symbol: &Symbol,
    strategy: StrategyFile<'_>,
    args: &DataArgs,
) -> anyhow::Result<CandleFiles> {
    let given = args
        .symbol
        .as_deref()
        .map(Symbol::parse)
        .transpose()
        .context("--symbol")?;
    let files: Vec<PathBuf> = if args.data.is_empty() {
        let Some(set) = bundled(symbol) else {
            bail!(
                "{} {} trades {symbol}, and no {symbol} candles are bundled (bundled: {}). {}",
                strategy.flag,
                strategy.path.display(),
                bundled_symbols(),
                fixes(symbol, None, strategy.flag)
            );
        };
        set.files.iter().map(PathBuf::from).collect()
    } else {
        args.data.clone()
    };
    let set = one_symbol(&files, given.as_ref())?;
    if set.symbol != *symbol {
        bail!(
            "{} {} trades {symbol}, but the candles are {} ({}): refusing to trade {symbol} on \
             {}'s prices. {}",
            strategy.flag,
            strategy.path.display(),
            set.symbol,
            list_files(&set.files),
            set.symbol,
            fixes(symbol, Some(&set.symbol), strategy.flag)
        );
    }
    Ok(set)
}

/// Refuses a configuration derived from the strategy (a sweep point, an optimiser's trial)
/// that trades another symbol than the candles.
pub fn ensure_trades_candles(set: &CandleFiles, symbol: &Symbol, what: &str) -> anyhow::Result<()> {
    if *symbol != set.symbol {
        bail!(
            "{what} trades {symbol}, but the candles are {} ({}): every run must trade the \
             candles' symbol; run {symbol} separately with --data of {symbol} candles",
            set.symbol,
            list_files(&set.files)
        );
    }
    Ok(())
}

fn bundled_symbols() -> String {
    let names: Vec<&str> = BUNDLED.iter().map(|b| b.symbol).collect();
    names.join(", ")
}

/// How to fix a strategy on `symbol` without its candles (the candles are `candles`, if any).
fn fixes(symbol: &Symbol, candles: Option<&Symbol>, flag: &str) -> String {
    let other = match candles {
        Some(c) => match bundled(c) {
            Some(b) => format!("use a strategy for {c}, e.g. {flag} {}", b.config),
            None => format!("use a strategy whose symbol is {c}"),
        },
        None => format!(
            "use a strategy of a bundled symbol, e.g. {flag} {} ({})",
            BUNDLED[0].config, BUNDLED[0].symbol
        ),
    };
    format!(
        "Fix: pass --data with {symbol} candles (Binance's dumps {symbol}-1m-YYYY-MM.csv, from \
         https://data.binance.vision/?prefix=data/spot/monthly/klines/{symbol}/1m/ , unzipped), \
         or {other}."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    fn strategy() -> StrategyFile<'static> {
        StrategyFile {
            flag: "--config",
            path: Path::new("config/strategy.example.toml"),
        }
    }

    fn data(files: &[&str], symbol: Option<&str>) -> DataArgs {
        DataArgs {
            data: files.iter().map(PathBuf::from).collect(),
            symbol: symbol.map(str::to_string),
        }
    }

    #[test]
    fn without_data_a_bundled_symbol_gets_its_bundled_quarter() {
        let set = files_for(&sym("NEARUSDT"), strategy(), &DataArgs::default()).unwrap();
        assert_eq!(set.symbol, sym("NEARUSDT"));
        assert_eq!(set.files.len(), 3);
        assert!(set
            .files
            .iter()
            .all(|f| f.to_string_lossy().contains("NEARUSDT-1m-2023")));
    }

    #[test]
    fn without_data_an_unbundled_symbol_is_refused_with_what_to_pass() {
        let err = files_for(&sym("SOLUSDC"), strategy(), &DataArgs::default())
            .unwrap_err()
            .to_string();
        for part in [
            "config/strategy.example.toml trades SOLUSDC",
            "no SOLUSDC candles are bundled (bundled: FILUSDT, NEARUSDT)",
            "pass --data with SOLUSDC candles",
            "SOLUSDC-1m-YYYY-MM.csv",
            "--config config/backtest.toml",
        ] {
            assert!(err.contains(part), "`{err}` lacks `{part}`");
        }
    }

    #[test]
    fn candles_of_another_symbol_are_refused_naming_both() {
        let args = data(&["data/klines/FILUSDT-1m-2023-04.csv.gz"], None);
        let err = files_for(&sym("SOLUSDC"), strategy(), &args)
            .unwrap_err()
            .to_string();
        for part in [
            "trades SOLUSDC, but the candles are FILUSDT (data/klines/FILUSDT-1m-2023-04.csv.gz)",
            "pass --data with SOLUSDC candles",
            "use a strategy for FILUSDT, e.g. --config config/backtest.toml",
        ] {
            assert!(err.contains(part), "`{err}` lacks `{part}`");
        }
        let unbundled = data(&["x/ADAUSDT-1m-2024-01.csv"], None);
        let err = files_for(&sym("SOLUSDC"), strategy(), &unbundled)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("use a strategy whose symbol is ADAUSDT"),
            "{err}"
        );
    }

    #[test]
    fn symbol_flag_names_unnamed_files_and_is_checked_against_the_strategy() {
        let args = data(&["my-candles.csv"], Some("SOLUSDC"));
        assert_eq!(
            files_for(&sym("SOLUSDC"), strategy(), &args)
                .unwrap()
                .symbol,
            sym("SOLUSDC")
        );
        let wrong = data(&["my-candles.csv"], Some("FILUSDT"));
        assert!(files_for(&sym("SOLUSDC"), strategy(), &wrong).is_err());
        let unnamed = data(&["my-candles.csv"], None);
        let err = files_for(&sym("SOLUSDC"), strategy(), &unnamed)
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not say which symbol"), "{err}");
    }

    #[test]
    fn a_derived_configuration_on_another_symbol_is_refused() {
        let set = CandleFiles {
            symbol: sym("FILUSDT"),
            files: vec!["FILUSDT-1m-2023-04.csv".into()],
        };
        assert!(ensure_trades_candles(&set, &sym("FILUSDT"), "sweep point").is_ok());
        let err = ensure_trades_candles(&set, &sym("NEARUSDT"), "sweep point symbol=NEARUSDT")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "sweep point symbol=NEARUSDT trades NEARUSDT, but the candles are FILUSDT"
            ),
            "{err}"
        );
    }
}
