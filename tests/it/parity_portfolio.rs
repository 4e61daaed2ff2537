//! `parity` on a portfolio paper journal: `paper --portfolio --speed step` trades two grids
//! (FILUSDT and NEARUSDT, the bundled February 2026 candles' first two days) on one account
//! and one journal; `parity` replays each grid alone through the backtester with its budget
//! and finds no difference in either. The grids' baskets share the journal's ids, so the
//! second grid's are renumbered from 1 as its backtest numbers them.

use crate::fresh_clone::root;
use crate::parity::{binary, parity};
use binance_trader::apps::session::{Session, SESSION_KEY};
use flate2::read::GzDecoder;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Candles per symbol: two days.
const CANDLES: usize = 2 * 1440;

/// The first two days of a bundled February 2026 file, named as a daily dump.
fn two_days(dir: &Path, symbol: &str) -> PathBuf {
    let gz = std::fs::File::open(root().join(format!("data/klines/{symbol}-1m-2026-02.csv.gz")))
        .unwrap();
    let path = dir.join(format!("{symbol}-1m-2026-02-01.csv"));
    let mut out = std::fs::File::create(&path).unwrap();
    for line in BufReader::new(GzDecoder::new(gz)).lines().take(CANDLES + 1) {
        writeln!(out, "{}", line.unwrap()).unwrap();
    }
    path
}

/// Two grids of the bundled portfolio grid strategy, 40 % of the equity each, no risk
/// limits (a limit is the portfolio's decision, which a grid's own backtest cannot know).
fn portfolio_file(dir: &Path) -> PathBuf {
    std::fs::copy(
        root().join("config/portfolio-grid.toml"),
        dir.join("portfolio-grid.toml"),
    )
    .unwrap();
    let path = dir.join("portfolio.toml");
    std::fs::write(
        &path,
        r#"
data = ["FILUSDT-1m-2026-02-01.csv", "NEARUSDT-1m-2026-02-01.csv"]

[[grid]]
name = "fil"
symbol = "FILUSDT"
strategy = "portfolio-grid.toml"
budget_pct = 40

[[grid]]
name = "near"
symbol = "NEARUSDT"
strategy = "portfolio-grid.toml"
budget_pct = 40
"#,
    )
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn a_portfolio_paper_session_matches_each_grid_s_backtest() {
    let dir = crate::parity::session_dir();
    let files = [
        two_days(dir.path(), "FILUSDT"),
        two_days(dir.path(), "NEARUSDT"),
    ];
    let file = portfolio_file(dir.path());
    let journal = dir.path().join("paper.sqlite");
    let mut child = binary(dir.path())
        .args(["paper", "--speed", "step", "--dashboard", "127.0.0.1:0"])
        .arg("--portfolio")
        .arg(&file)
        .arg("--database")
        .arg(&journal)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "paper --portfolio failed: {status}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("paper --portfolio --speed step did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(200));
    }

    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", journal.display()))
        .await
        .unwrap();
    let session: String = sqlx::query_scalar("SELECT value FROM bot_config WHERE key = ?")
        .bind(SESSION_KEY)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    let session: Session = serde_json::from_str(&session).unwrap();
    let names: Vec<_> = session.grids.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["fil", "near"]);
    assert_eq!(session.grids[1].candle_files, vec![files[1].clone()]);
    assert_eq!(session.speed.as_deref(), Some("step"));

    let (out, doc) = parity(dir.path(), &journal);
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    assert_eq!(doc["differences"], 0, "{doc:#}");
    let grids = doc["grids"].as_array().unwrap();
    assert_eq!(grids.len(), 2);
    for g in grids {
        assert_eq!(g["differences"], Value::Array(vec![]), "{g:#}");
        assert_eq!(g["candles"], CANDLES, "{g:#}");
        let fills = g["journal"]["fills"].as_u64().unwrap();
        assert!(fills >= 2, "two days of February 2026 fill orders: {g:#}");
        assert_eq!(g["backtest"]["fills"], fills);
        assert_eq!(g["journal"]["orders"], g["backtest"]["orders"]);
        assert_eq!(g["journal"]["realized_pnl"], g["backtest"]["realized_pnl"]);
    }
    // Both grids opened baskets in one journal: the second's ids do not start at 1.
    assert!(
        grids
            .iter()
            .any(|g| !g["basket_ids"].as_object().unwrap().is_empty()),
        "{doc:#}"
    );
}
