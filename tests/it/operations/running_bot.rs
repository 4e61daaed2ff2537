//! `close-all` and `status` against a bot that is running: the `run` binary trades the
//! simulated exchange on loopback with its journal in SQLite, and the commands run as
//! separate processes, as an operator would on the server.

use super::{binary, text};
use crate::harness::{
    exchange_info_with_limits, fil_config, root, serve_on_loopback, wave_candles,
};
use crate::harness::{Sim, KEY, SECRET};
use binance_trader::adapters::sim::server::{SimServer, Speed};
use binance_trader::adapters::store::SqlStore;
use binance_trader::ports::operator::CommandState;
use binance_trader::ports::store::Store;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// The bot binary, SIGTERMed (and waited for) when dropped.
struct RunningBot {
    child: Child,
    log: PathBuf,
    /// Whether the journal is the directory's `bot.sqlite` (it appears with the first start).
    on_sqlite: bool,
}

impl RunningBot {
    fn start(dir: &Path, base: &str) -> Self {
        Self::start_on(dir, base, "sqlite://bot.sqlite")
    }

    /// The bot journalling in `database_url`.
    fn start_on(dir: &Path, base: &str, database_url: &str) -> Self {
        let config = format!(
            "strategy = \"{}\"\ndatabase_url = \"{database_url}\"\n\n[exchange]\nbase_url = \"{base}\"\n",
            root().join("config/backtest.toml").display()
        );
        std::fs::write(dir.join("bot.toml"), config).unwrap();
        let log = dir.join("bot.log");
        let child = binary(dir)
            .args(["--log-format", "json", "run", "--config", "bot.toml"])
            .args(["--interval-ms", "100", "--intent-grace-ms", "0"])
            .args(["--dashboard", "127.0.0.1:0"])
            .env("BINANCE_API_KEY", KEY)
            .env("BINANCE_API_SECRET", SECRET)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Self {
            child,
            log,
            on_sqlite: database_url.starts_with("sqlite:"),
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn assert_running(&mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the bot exited:\n{}",
            self.log()
        );
    }
}

impl Drop for RunningBot {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// `status --json` in `dir` (no keys: it reads the journal only).
async fn status(dir: &Path) -> Value {
    let dir = dir.to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        binary(&dir)
            .args(["status", "--config", "bot.toml", "--json"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "status: {}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Polls `status` until `ready` holds (at most 30 s).
async fn status_until(
    dir: &Path,
    bot: &mut RunningBot,
    what: &str,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        bot.assert_running();
        if dir.join("bot.sqlite").exists() || !bot.on_sqlite {
            let v = status(dir).await;
            if ready(&v) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: never; last status {v:#}\n{}",
                bot.log()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_all_reaches_the_running_bot_and_prints_the_dashboards_receipt() {
    let sim = fil_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let mut bot = RunningBot::start(dir.path(), &sim.base);

    // While the bot runs, `status` reads its grid from the journal, and the step that placed
    // it (recorded once the step ends, a moment after its orders are journalled).
    let v = status_until(dir.path(), &mut bot, "the grid on the book", |v| {
        v["open_orders"].as_array().is_some_and(|o| !o.is_empty()) && !v["last_step"].is_null()
    })
    .await;
    assert_eq!(v["journal"], true);
    assert_eq!(v["symbol"], "FILUSDT");
    // Prices at FILUSDT's tick (0.001), quantities at its step (0.01), as the bot recorded
    // them: this directory has no exchange-info file to fall back on.
    let decimals = |s: &Value| {
        s.as_str()
            .unwrap()
            .split_once('.')
            .map_or(0, |(_, f)| f.len())
    };
    for order in v["open_orders"].as_array().unwrap() {
        assert_eq!(decimals(&order["price"]), 3, "{order:#}");
        assert_eq!(decimals(&order["qty"]), 2, "{order:#}");
    }
    assert_eq!(v["baskets"].as_array().unwrap().len(), 1);
    assert_eq!(v["baskets"][0]["status"], "active");
    assert!(
        v["last_step"]["outcome"]
            .as_str()
            .unwrap()
            .starts_with("ok"),
        "{v:#}"
    );
    // `run` reacts to the exchange's streams: its WebSocket API connection (orders), the
    // user-data and the price feeds are open before the market moves.
    let started = Instant::now();
    while sim.server.ws_connections() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "run opened {} WebSocket connection(s)\n{}",
            sim.server.ws_connections(),
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The slide fills buys: a position to sell.
    sim.server.step(6);
    let v = status_until(dir.path(), &mut bot, "a position", |v| {
        v["baskets"][0]["position"].as_str().is_some_and(|q| {
            q.parse::<rust_decimal::Decimal>()
                .is_ok_and(|d| !d.is_zero())
        })
    })
    .await;
    assert!(
        v["baskets"][0]["levels_filled"].as_u64().unwrap() >= 1,
        "{v:#}"
    );

    // close-all with no API key at all: only the running bot can have done it.
    let started = Instant::now();
    let cwd = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        binary(&cwd)
            .args(["close-all", "--config", "bot.toml"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "close-all: {}\nbot log:\n{}",
        text(&out),
        bot.log()
    );
    let receipt = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        receipt.starts_with("closed 1 basket(s): cancelled "),
        "{receipt}"
    );
    assert!(receipt.contains("placed 1 exit sell(s)"), "{receipt}");
    assert!(took < Duration::from_secs(10), "close-all took {took:?}");
    bot.assert_running();

    // The fills came pushed by the user-data stream, not found by a poll.
    let journal = SqlStore::connect(&format!(
        "sqlite://{}",
        dir.path().join("bot.sqlite").display()
    ))
    .await
    .unwrap();
    let fills: Vec<String> = journal
        .events(10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "fill")
        .map(|e| e.message)
        .collect();
    assert!(
        fills.iter().any(|m| m.contains(", pushed")),
        "no fill pushed by the stream: {fills:?}"
    );
    journal.close().await;

    // The receipt is the one the bot wrote to the command row, which is finished.
    let store = SqlStore::connect(&format!(
        "sqlite://{}",
        dir.path().join("bot.sqlite").display()
    ))
    .await
    .unwrap();
    let command = store.command(1).await.unwrap().unwrap();
    assert_eq!(command.state, CommandState::Done);
    assert_eq!(command.receipt.as_deref(), Some(receipt.as_str()));
    store.close().await;

    // Afterwards nothing of the basket rests on the exchange but its exit, and the bot trades
    // on (it opens no new basket after an emergency close: the operator looks first).
    let v = status(dir.path()).await;
    let orders = v["open_orders"].as_array().unwrap();
    assert!(orders.iter().all(|o| o["side"] == "SELL"), "{v:#}");
    let exchange = crate::harness::client(&sim.base);
    let open = binance_trader::ports::exchange::Exchange::open_orders(
        &exchange,
        &binance_trader::core::symbol::Symbol::parse("FILUSDT").unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        open.len(),
        orders.len(),
        "journal and exchange differ: {open:?}"
    );
    bot.assert_running();
    // The bot's log is JSON lines and names the command.
    let log = bot.log();
    assert!(
        log.lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok()),
        "{log}"
    );
    assert!(
        log.contains("emergency close requested (close-all)"),
        "{log}"
    );
}

/// The simulated FIL market of these tests, in lockstep (`step` feeds candles).
async fn fil_sim() -> Sim {
    let info = exchange_info_with_limits(100_000_000, None);
    let server = SimServer::new(fil_config(
        info,
        wave_candles(1),
        Speed::Manual,
        "10000",
        (KEY, SECRET),
    ))
    .unwrap();
    let (base, stop) = serve_on_loopback(&server).await;
    Sim::new(base, server, stop)
}

/// `backup` while `run` trades on `database_url`, then `restore` into a fresh SQLite file:
/// the copy is a consistent journal (every fill's order is in it, every order is one the
/// live journal has), it holds the grid, and the bot never noticed.
async fn backup_while_the_bot_trades(database_url: &str) {
    let sim = fil_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let mut bot = RunningBot::start_on(dir.path(), &sim.base, database_url);
    status_until(dir.path(), &mut bot, "the grid on the book", |v| {
        v["open_orders"].as_array().is_some_and(|o| !o.is_empty())
    })
    .await;
    // The slide fills buys while the backup reads: the bot journals fills meanwhile.
    sim.server.step(6);
    let cwd = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        binary(&cwd)
            .args(["backup", "--config", "bot.toml", "journal.backup"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "backup: {}\nbot log:\n{}",
        text(&out),
        bot.log()
    );
    status_until(dir.path(), &mut bot, "a position", |v| {
        v["baskets"][0]["position"].as_str().is_some_and(|q| {
            q.parse::<rust_decimal::Decimal>()
                .is_ok_and(|d| !d.is_zero())
        })
    })
    .await;
    bot.assert_running();

    let restored_url = format!("sqlite://{}", dir.path().join("restored.sqlite").display());
    let cwd = dir.path().to_path_buf();
    let url = restored_url.clone();
    let out = tokio::task::spawn_blocking(move || {
        binary(&cwd)
            .args(["restore", "--database", &url, "journal.backup"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "restore: {}", text(&out));

    let live = SqlStore::connect(&database_url_in(dir.path(), database_url))
        .await
        .unwrap();
    let copy = SqlStore::connect(&restored_url).await.unwrap();
    let basket = copy
        .basket(1)
        .await
        .unwrap()
        .expect("the basket in the copy");
    assert_eq!(basket.symbol.as_str(), "FILUSDT");
    let copied = copy.orders(1).await.unwrap();
    assert!(!copied.is_empty(), "the grid in the copy");
    let live_ids: Vec<u64> = live
        .orders(1)
        .await
        .unwrap()
        .iter()
        .map(|o| o.report.order_id)
        .collect();
    for order in &copied {
        assert!(live_ids.contains(&order.report.order_id), "{order:?}");
    }
    let copied_ids: Vec<u64> = copied.iter().map(|o| o.report.order_id).collect();
    let fills = copy
        .fills(&binance_trader::ports::store::FillQuery {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    for fill in &fills {
        assert!(
            copied_ids.contains(&fill.fill.order_id),
            "a fill without its order: {fill:?}"
        );
    }
    live.close().await;
    copy.close().await;
}

/// A relative `sqlite://` URL of the bot's config, as seen from this process.
fn database_url_in(dir: &Path, database_url: &str) -> String {
    match database_url.strip_prefix("sqlite://") {
        Some(file) => format!("sqlite://{}", dir.join(file).display()),
        None => database_url.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_bot_trades_on_sqlite_restores_a_consistent_journal() {
    backup_while_the_bot_trades("sqlite://bot.sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_bot_trades_on_postgres_restores_a_consistent_journal() {
    let Some(schema) = crate::store::fixtures::PgSchema::create().await else {
        eprintln!("{}", crate::store::fixtures::PG_SKIPPED);
        return;
    };
    backup_while_the_bot_trades(&schema.url).await;
    schema.drop().await;
}
