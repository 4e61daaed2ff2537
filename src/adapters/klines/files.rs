//! Which symbol a set of kline files belongs to, decided from their names before any byte is
//! read: every command that reads candles goes through here, so candles are never replayed
//! under another market's name.
//!
//! Rules (`.spec/data.md`): a file named as Binance names its dumps carries its symbol; a file
//! with any other name takes the explicitly given symbol, and without one it is an error, not a
//! guess; an explicit symbol that contradicts a file's name is an error; dumps of another
//! interval than one minute are refused. [`one_symbol`] serves single-symbol commands and
//! refuses files of several symbols; [`group_by_symbol`] serves commands that trade several.

use super::name::{parse_dump_name, ONE_MINUTE};
use crate::core::symbol::Symbol;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Kline files that all belong to one symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandleFiles {
    /// The symbol the candles are of.
    pub symbol: Symbol,
    /// The files, as given.
    pub files: Vec<PathBuf>,
}

/// Why the symbol of kline files could not be decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymbolError {
    /// No files at all.
    #[error("no candle files given")]
    NoFiles,
    /// The name does not say, and no symbol was given.
    #[error(
        "{}: the file name does not say which symbol its candles are (Binance names its dumps \
         SYMBOL-1m-YYYY-MM.csv[.gz] or SYMBOL-1m-YYYY-MM-DD.csv[.gz]); rename it that way or \
         pass --symbol SYMBOL",
        path.display()
    )]
    Unnamed {
        /// The file.
        path: PathBuf,
    },
    /// The name says another interval than one minute.
    #[error(
        "{}: the file name says {interval} candles; backtests and the simulated exchange replay \
         1-minute candles only: pass the SYMBOL-1m-… dumps",
        path.display()
    )]
    Interval {
        /// The file.
        path: PathBuf,
        /// The interval its name gives.
        interval: String,
    },
    /// The explicit symbol contradicts a file's name.
    #[error(
        "--symbol {given}, but {} is named as {named} candles: pass {given} candles, or drop \
         --symbol (it is only for files whose name does not say)",
        path.display()
    )]
    Contradiction {
        /// The file.
        path: PathBuf,
        /// The symbol its name gives.
        named: Symbol,
        /// The symbol given explicitly.
        given: Symbol,
    },
    /// A single-symbol command was given files of several symbols.
    #[error(
        "the candle files belong to {} symbols ({}); this command trades one symbol: pass only \
         the files of the strategy's symbol",
        by_symbol.len(),
        list_groups(by_symbol)
    )]
    Mixed {
        /// The files of each symbol.
        by_symbol: BTreeMap<Symbol, Vec<PathBuf>>,
    },
}

fn list_groups(by_symbol: &BTreeMap<Symbol, Vec<PathBuf>>) -> String {
    let groups: Vec<String> = by_symbol
        .iter()
        .map(|(symbol, files)| format!("{symbol}: {}", list_files(files)))
        .collect();
    groups.join("; ")
}

/// `a, b` or `a, b, … (N files)` for error messages.
pub fn list_files(files: &[PathBuf]) -> String {
    let shown: Vec<String> = files
        .iter()
        .take(2)
        .map(|p| p.display().to_string())
        .collect();
    match files.len() {
        0..=2 => shown.join(", "),
        n => format!("{}, … ({n} files)", shown.join(", ")),
    }
}

/// The symbol of one file: from its name, else `given`; errors as in the module rules.
pub fn symbol_of(path: &Path, given: Option<&Symbol>) -> Result<Symbol, SymbolError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match (parse_dump_name(&name), given) {
        (Some(dump), _) if dump.interval != ONE_MINUTE => Err(SymbolError::Interval {
            path: path.to_path_buf(),
            interval: dump.interval,
        }),
        (Some(dump), Some(given)) if dump.symbol != *given => Err(SymbolError::Contradiction {
            path: path.to_path_buf(),
            named: dump.symbol,
            given: given.clone(),
        }),
        (Some(dump), _) => Ok(dump.symbol),
        (None, Some(given)) => Ok(given.clone()),
        (None, None) => Err(SymbolError::Unnamed {
            path: path.to_path_buf(),
        }),
    }
}

/// The files of each symbol, in the order given (for commands that trade several symbols).
pub fn group_by_symbol(
    files: &[PathBuf],
    given: Option<&Symbol>,
) -> Result<BTreeMap<Symbol, Vec<PathBuf>>, SymbolError> {
    if files.is_empty() {
        return Err(SymbolError::NoFiles);
    }
    let mut groups: BTreeMap<Symbol, Vec<PathBuf>> = BTreeMap::new();
    for path in files {
        groups
            .entry(symbol_of(path, given)?)
            .or_default()
            .push(path.clone());
    }
    Ok(groups)
}

/// The files of a single-symbol command: all of one symbol, or [`SymbolError::Mixed`].
pub fn one_symbol(files: &[PathBuf], given: Option<&Symbol>) -> Result<CandleFiles, SymbolError> {
    let groups = group_by_symbol(files, given)?;
    if groups.len() > 1 {
        return Err(SymbolError::Mixed { by_symbol: groups });
    }
    let (symbol, _) = groups.into_iter().next().ok_or(SymbolError::NoFiles)?;
    Ok(CandleFiles {
        symbol,
        files: files.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(names: &[&str]) -> Vec<PathBuf> {
        names
            .iter()
            .map(|n| PathBuf::from("data").join(n))
            .collect()
    }

    fn sym(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    #[test]
    fn named_files_give_their_symbol_with_or_without_an_agreeing_given_one() {
        let files = paths(&["FILUSDT-1m-2023-04.csv.gz", "FILUSDT-1m-2023-05-01.csv"]);
        let set = one_symbol(&files, None).unwrap();
        assert_eq!(set.symbol, sym("FILUSDT"));
        assert_eq!(set.files, files);
        assert_eq!(one_symbol(&files, Some(&sym("FILUSDT"))).unwrap(), set);
    }

    #[test]
    fn an_unnamed_file_needs_the_symbol_given() {
        let files = paths(&["candles.csv"]);
        let err = one_symbol(&files, None).unwrap_err();
        assert!(matches!(err, SymbolError::Unnamed { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("data/candles.csv") && text.contains("--symbol"),
            "{text}"
        );
        assert_eq!(
            one_symbol(&files, Some(&sym("SOLUSDC"))).unwrap().symbol,
            sym("SOLUSDC")
        );
    }

    #[test]
    fn a_given_symbol_that_contradicts_a_name_is_refused() {
        let files = paths(&["candles.csv", "FILUSDT-1m-2023-04.csv.gz"]);
        let err = one_symbol(&files, Some(&sym("SOLUSDC"))).unwrap_err();
        assert_eq!(
            err,
            SymbolError::Contradiction {
                path: files[1].clone(),
                named: sym("FILUSDT"),
                given: sym("SOLUSDC"),
            }
        );
        let text = err.to_string();
        assert!(
            text.contains("SOLUSDC") && text.contains("FILUSDT"),
            "{text}"
        );
    }

    #[test]
    fn several_symbols_are_refused_by_one_symbol_and_grouped_by_group_by_symbol() {
        let files = paths(&[
            "FILUSDT-1m-2023-04.csv.gz",
            "NEARUSDT-1m-2023-08.csv.gz",
            "FILUSDT-1m-2023-05.csv.gz",
        ]);
        let groups = group_by_symbol(&files, None).unwrap();
        assert_eq!(
            groups[&sym("FILUSDT")],
            [files[0].clone(), files[2].clone()]
        );
        assert_eq!(groups[&sym("NEARUSDT")], [files[1].clone()]);
        let text = one_symbol(&files, None).unwrap_err().to_string();
        assert!(
            text.contains("2 symbols")
                && text.contains("FILUSDT: data/FILUSDT-1m-2023-04.csv.gz")
                && text.contains("NEARUSDT: data/NEARUSDT-1m-2023-08.csv.gz"),
            "{text}"
        );
        // An unnamed file given a symbol joins that symbol's group.
        let with_unnamed = [files[0].clone(), PathBuf::from("x.csv")];
        assert!(matches!(
            one_symbol(&with_unnamed, Some(&sym("NEARUSDT"))),
            Err(SymbolError::Contradiction { .. })
        ));
    }

    #[test]
    fn another_interval_and_no_files_are_refused() {
        let err = one_symbol(&paths(&["FILUSDT-5m-2023-04.csv"]), None).unwrap_err();
        assert!(matches!(err, SymbolError::Interval { ref interval, .. } if interval == "5m"));
        assert_eq!(one_symbol(&[], None).unwrap_err(), SymbolError::NoFiles);
    }

    #[test]
    fn long_file_lists_are_shortened() {
        assert_eq!(list_files(&paths(&["a", "b"])), "data/a, data/b");
        assert_eq!(
            list_files(&paths(&["a", "b", "c"])),
            "data/a, data/b, … (3 files)"
        );
    }
}
