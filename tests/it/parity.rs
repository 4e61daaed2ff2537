//! `parity` end to end: a real paper session (the `paper` command, lock-step, on the first
//! three days of the bundled FILUSDT April 2023 candles, which include an amended take-profit)
//! replayed through the backtester gives no difference and exit 0; the same journal with one fill's price changed, then with one fill
//! removed (plain SQL, as a tamperer would), gives exactly that difference and exit 1.

use binance_trader::apps::session::{Session, SESSION_KEY};
use flate2::read::GzDecoder;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::fresh_clone::root;

/// Candles of the session: three days (the first amend comes on the third).
const CANDLES: usize = 3 * 1440;

pub(crate) fn binary(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_binance-trader"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("LOG_FORMAT")
        .env("RUST_LOG", "warn");
    cmd
}

/// The first `n` candles of the bundled April file, named as Binance names a daily dump.
pub(crate) fn first_candles(dir: &Path, n: usize) -> PathBuf {
    let gz = std::fs::File::open(root().join("data/klines/FILUSDT-1m-2023-04.csv.gz")).unwrap();
    let path = dir.join("FILUSDT-1m-2023-04-01.csv");
    let mut out = std::fs::File::create(&path).unwrap();
    for line in BufReader::new(GzDecoder::new(gz)).lines().take(n + 1) {
        writeln!(out, "{}", line.unwrap()).unwrap();
    }
    path
}

/// A directory for a paper session: `data/exchange_info.json` as the demo has it.
pub(crate) fn session_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::copy(
        root().join("data/exchange_info.json"),
        dir.path().join("data/exchange_info.json"),
    )
    .unwrap();
    dir
}

/// Runs `paper --speed step` with `strategy` to the end of the candles (it stops by
/// itself); the journal's path.
pub(crate) fn paper_session(dir: &Path, candles: &Path, strategy: &Path) -> PathBuf {
    let journal = dir.join("paper.sqlite");
    let mut child = binary(dir)
        .args(["paper", "--speed", "step", "--dashboard", "127.0.0.1:0"])
        .arg("--strategy")
        .arg(strategy)
        .arg("--data")
        .arg(candles)
        .arg("--database")
        .arg(&journal)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "paper failed: {status}");
            return journal;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "paper --speed step did not finish {} in time",
                candles.display()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub(crate) fn parity(dir: &Path, journal: &Path) -> (Output, Value) {
    let out = binary(dir)
        .args(["parity", "--json", "--journal"])
        .arg(journal)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "parity printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, json)
}

/// Differences of `kind` in a parity document.
pub(crate) fn of_kind<'a>(doc: &'a Value, kind: &str) -> Vec<&'a Value> {
    doc["differences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == kind)
        .collect()
}

/// Kinds other than `allowed` (a changed buy moves its basket's realised P&L too).
pub(crate) fn others<'a>(doc: &'a Value, allowed: &[&str]) -> Vec<&'a Value> {
    doc["differences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !allowed.contains(&d["kind"].as_str().unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paper_session_matches_its_backtest_and_a_tampered_journal_does_not() {
    let dir = session_dir();
    let candles = first_candles(dir.path(), CANDLES);
    let journal = paper_session(dir.path(), &candles, &root().join("config/backtest.toml"));

    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", journal.display()))
        .await
        .unwrap();
    let session: String = sqlx::query_scalar("SELECT value FROM bot_config WHERE key = ?")
        .bind(SESSION_KEY)
        .fetch_one(&pool)
        .await
        .unwrap();
    let session: Session = serde_json::from_str(&session).unwrap();
    assert_eq!(session.candle_files, vec![candles.clone()]);
    assert_eq!(
        session.start_ms, 1_680_307_200_000,
        "the first candle's open"
    );

    // The bot amended an order in place (the backtester replaces): the journal keeps both the
    // placed quantity (the intent) and the amended one (the order's row).
    let placed: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.qty, o.qty FROM orders o JOIN order_intents i ON i.client_id = o.client_order_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let dec = |t: &str| t.parse::<rust_decimal::Decimal>().unwrap();
    assert!(
        placed.iter().any(|(i, o)| dec(i) > dec(o)),
        "no amended order in the session: the amend path goes untested"
    );

    let (out, clean) = parity(dir.path(), &journal);
    assert_eq!(out.status.code(), Some(0), "{clean:#}");
    assert_eq!(clean["differences"], Value::Array(vec![]), "{clean:#}");
    assert_eq!(clean["candles"], CANDLES);
    let fills = clean["journal"]["fills"].as_u64().unwrap();
    assert!(fills >= 2, "the day should fill orders: {clean:#}");
    assert_eq!(clean["backtest"]["fills"], fills);
    assert_eq!(clean["journal"]["orders"], clean["backtest"]["orders"]);
    assert_eq!(
        clean["journal"]["realized_pnl"],
        clean["backtest"]["realized_pnl"]
    );

    // One fill's price, one tick lower.
    let (id, basket, slot, price): (i64, i64, String, String) =
        sqlx::query_as("SELECT id, basket_id, slot, price FROM fills ORDER BY time_ms, id LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let lower = (price.parse::<rust_decimal::Decimal>().unwrap()
        - rust_decimal::Decimal::new(1, 3))
    .to_string();
    sqlx::query("UPDATE fills SET price = ? WHERE id = ?")
        .bind(&lower)
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    let (out, doc) = parity(dir.path(), &journal);
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
    let slipped = of_kind(&doc, "slippage");
    assert_eq!(slipped.len(), 1, "{doc:#}");
    assert_eq!(slipped[0]["basket"], basket);
    assert_eq!(slipped[0]["slot"], slot.as_str());
    let lower_text = lower.parse::<rust_decimal::Decimal>().unwrap().normalize();
    assert!(
        slipped[0]["journal"]
            .as_str()
            .unwrap()
            .contains(&format!("@ {lower_text} ")),
        "{doc:#}"
    );
    assert!(others(&doc, &["slippage", "pnl"]).is_empty(), "{doc:#}");

    // Back as it was: no difference again.
    sqlx::query("UPDATE fills SET price = ? WHERE id = ?")
        .bind(&price)
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(parity(dir.path(), &journal).0.status.code(), Some(0));

    // The fill removed.
    sqlx::query("DELETE FROM fills WHERE id = ?")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (out, doc) = parity(dir.path(), &journal);
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
    let missing = of_kind(&doc, "missing_fill");
    assert_eq!(missing.len(), 1, "{doc:#}");
    assert_eq!(missing[0]["basket"], basket);
    assert_eq!(missing[0]["slot"], slot.as_str());
    assert!(
        missing[0]["backtest"].as_str().unwrap().contains(&format!(
            "@ {} ",
            price.parse::<rust_decimal::Decimal>().unwrap().normalize()
        )),
        "{doc:#}"
    );
    assert_eq!(doc["journal"]["fills"], fills - 1);
    assert!(others(&doc, &["missing_fill", "pnl"]).is_empty(), "{doc:#}");
}

#[test]
fn a_missing_journal_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = binary(dir.path())
        .args(["parity", "--journal", "nowhere.sqlite"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such journal file"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_volatility_grid_anchors_live_as_in_its_backtest() {
    // The shipped grid with volatility sizing: the bot must wait for the factor and freeze
    // it in each basket exactly as the backtester does, or parity finds the difference.
    let dir = session_dir();
    let strategy = dir.path().join("vol.toml");
    let shipped = std::fs::read_to_string(root().join("config/backtest.toml")).unwrap();
    let vol = "\n[volatility]\nmeasure = \"atr\"\nwindow = 60\nreference_pct = 0.1\n\
               min_factor = 0.5\nmax_factor = 1.5\n";
    std::fs::write(&strategy, shipped + vol).unwrap();
    let candles = first_candles(dir.path(), 1440);
    let journal = paper_session(dir.path(), &candles, &strategy);

    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", journal.display()))
        .await
        .unwrap();
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT config, created_ms FROM baskets ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    let first = rows.first().expect("a basket opened");
    // Opened at the close of the 60th candle, not at the first step.
    assert!(first.1 >= 1_680_307_200_000 + 60 * 60_000 - 1, "{first:?}");
    for (config, _) in &rows {
        let config: Value = serde_json::from_str(config).unwrap();
        let factor = &config["volatility"]["factor"];
        assert!(
            factor.is_string() || factor.is_number(),
            "a basket anchored without a factor: {config:#}"
        );
    }
    let (out, doc) = parity(dir.path(), &journal);
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    assert_eq!(doc["differences"], Value::Array(vec![]), "{doc:#}");
    assert!(doc["journal"]["fills"].as_u64().unwrap() >= 1, "{doc:#}");
}
