//! Two widely used third-party Binance clients, ccxt and python-binance, against the real
//! `binance-trader exchange-sim` binary started with no flags but a free port (live clock,
//! bundled candles), in their default settings (no time adjustment): the scripts in
//! `tests/python/` check time, markets and filters, tickers, the order book, klines,
//! balances, a limit buy with our client id, look-up by client id, open orders, cancel, the
//! lot-size / price-filter / min-notional / balance rejections, a market fill then
//! `myTrades`, the wallet stand-ins, the weight header on every response, and over
//! WebSocket: orders on the WebSocket API (python-binance's `ws_*`, ccxt's
//! `create_order_ws`/`cancel_order_ws`), the User Data Stream as each library subscribes to
//! it (`userDataStream.subscribe.signature`: python-binance's user socket, ccxt's
//! `watch_orders`/`watch_balance`), and the market streams (`test_streams.py`, on a replay
//! server the script steps: python-binance's kline, bookTicker, depth5 and multiplex
//! sockets, ccxt's `watch_ticker`/`watch_ohlcv`/`watch_trades`).
//!
//! The clients come from PyPI at the versions pinned in `tests/python/requirements.txt`,
//! into a virtual environment under `target/pyclients` that is reused while the pins do not
//! change. Without `python3` the tests say so loudly and pass, unless `PYCLIENTS_REQUIRED`
//! is set (`.ci/run` sets it).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

const KEY: &str = "simkey0000000000000000000000000000000000000000000000000000000000";
const SECRET: &str = "simsecret";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `python3`, or `None` (after checking that CI does not require it).
fn python3() -> Option<PathBuf> {
    let found = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(PathBuf::from("python3"));
    }
    assert!(
        std::env::var_os("PYCLIENTS_REQUIRED").is_none(),
        "python3 is required here (PYCLIENTS_REQUIRED is set)"
    );
    eprintln!(
        "\n!!! python client tests SKIPPED: python3 is not installed; install python3 and pip \
         (or run .ci/run) to test exchange-sim with ccxt and python-binance !!!\n"
    );
    None
}

/// The venv with the pinned clients (created or updated once per change of the pins).
fn venv_python(python: &Path) -> PathBuf {
    static SETUP: Mutex<()> = Mutex::new(());
    let _one_at_a_time = SETUP
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let venv = root().join("target/pyclients");
    let bin = venv.join("bin/python");
    let requirements = root().join("tests/python/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).expect("tests/python/requirements.txt");
    let stamp = venv.join("installed-requirements.txt");
    if bin.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return bin;
    }
    if !bin.exists() {
        let made = Command::new(python)
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("running python3 -m venv");
        assert!(
            made.success(),
            "python3 -m venv {} failed: install the venv module (Debian: apt-get install \
             python3-venv)",
            venv.display()
        );
    }
    let out = Command::new(&bin)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&requirements)
        .output()
        .expect("running pip");
    assert!(
        out.status.success(),
        "pip could not install {} from the package registry (offline? the venv in {} is \
         reused once installed):\n{}",
        requirements.display(),
        venv.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&stamp, wanted).expect("writing the install stamp");
    bin
}

/// `binance-trader exchange-sim --listen 127.0.0.1:0`, killed on drop.
struct ExchangeSim {
    child: Child,
    base: String,
}

impl ExchangeSim {
    /// Started with `extra` flags after `--listen`.
    fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_binance-trader"))
            .args(["exchange-sim", "--listen", "127.0.0.1:0"])
            .args(extra)
            .current_dir(root())
            .env_remove("SIM_API_KEY")
            .env_remove("SIM_API_SECRET")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting binance-trader exchange-sim");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("reading the listen line");
        let base = first
            .trim()
            .strip_prefix("exchange-sim listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
            .to_string();
        Self { child, base }
    }
}

impl Drop for ExchangeSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs one client script against a fresh server started with `sim_flags`; fails with its
/// whole output.
fn run_script(script: &str, sim_flags: &[&str]) {
    let Some(python) = python3() else { return };
    let bin = venv_python(&python);
    let sim = ExchangeSim::start(sim_flags);
    let out = Command::new(bin)
        .arg(script)
        .args([&sim.base, KEY, SECRET])
        .current_dir(root().join("tests/python"))
        .output()
        .expect("running the client script");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "{script} failed:\n{text}");
    assert!(text.contains(" passed, 0 failed"), "{text}");
}

#[test]
fn ccxt_trades_on_exchange_sim_with_default_settings() {
    run_script("test_ccxt.py", &[]);
}

#[test]
fn python_binance_trades_on_exchange_sim_with_default_settings() {
    run_script("test_python_binance.py", &[]);
}

/// The market streams: a replay server moved only by the script's `POST /sim/step`, so every
/// event is one the script caused and can check against REST.
#[test]
fn ccxt_and_python_binance_watch_market_streams_of_exchange_sim() {
    run_script(
        "test_streams.py",
        &["--clock", "replay", "--speed", "manual"],
    );
}
