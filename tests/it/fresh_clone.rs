//! The built `binance-trader` run as a user runs it, in a scratch copy of the repository that
//! looks like a fresh clone: the tracked files (linked, read-only use) and an empty `data/`
//! apart from the bundled exchangeInfo and candles, so caches, journals and reports land in
//! the scratch directory and a test can see exactly what a command wrote.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a long-running command may take to come up before the test fails (a bound for a
/// broken build, not a timing assertion: the wait ends as soon as the marker line appears).
const COME_UP_BOUND: Duration = Duration::from_secs(180);

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The built binary.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_binance-trader")
}

/// A scratch copy of the repository, deleted on drop.
pub struct FreshClone {
    dir: tempfile::TempDir,
}

impl FreshClone {
    /// Links every top-level entry but `target/`, `data/`, `reports/` and dot files; `data/`
    /// holds only `exchange_info.json` and a link to `klines/`. `bin/binance-trader` links the
    /// built binary, for command lines run through `sh`.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(root()).unwrap() {
            let name = entry.unwrap().file_name();
            let text = name.to_string_lossy();
            if text.starts_with('.') || ["target", "data", "reports"].contains(&text.as_ref()) {
                continue;
            }
            std::os::unix::fs::symlink(root().join(&name), dir.path().join(&name)).unwrap();
        }
        std::fs::create_dir(dir.path().join("data")).unwrap();
        std::fs::copy(
            root().join("data/exchange_info.json"),
            dir.path().join("data/exchange_info.json"),
        )
        .unwrap();
        std::os::unix::fs::symlink(root().join("data/klines"), dir.path().join("data/klines"))
            .unwrap();
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        std::os::unix::fs::symlink(binary(), dir.path().join("bin/binance-trader")).unwrap();
        Self { dir }
    }

    /// The scratch directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `rel` inside the clone.
    pub fn join(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    /// Copies a bundled candle file under a name that does not say its symbol.
    pub fn unnamed_copy(&self, bundled: &str, name: &str) -> String {
        std::fs::copy(root().join(bundled), self.join(name)).unwrap();
        name.to_string()
    }

    /// The binary with `args`, in the clone, without any Binance key in its environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(binary());
        cmd.args(args);
        self.prepare(&mut cmd);
        cmd
    }

    /// A command line run by `sh -c` in the clone, `binance-trader` on the PATH.
    pub fn sh(&self, line: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(line);
        self.prepare(&mut cmd);
        let path = std::env::var("PATH").unwrap_or_default();
        cmd.env("PATH", format!("{}:{path}", self.join("bin").display()));
        cmd
    }

    fn prepare(&self, cmd: &mut Command) {
        cmd.current_dir(self.path())
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE");
        for key in [
            "BINANCE_API_KEY",
            "BINANCE_API_SECRET",
            "BINANCE_PRIVATE_KEY_PATH",
            "BINANCE_USE_TESTNET",
            "DATABASE_URL",
            "DASHBOARD_PASSWORD_HASH",
            "SIM_API_KEY",
            "SIM_API_SECRET",
        ] {
            cmd.env_remove(key);
        }
    }

    /// Runs the binary to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Every file under the clone's own `data/` and `reports/` (links not followed), relative.
    pub fn written(&self) -> Vec<String> {
        let mut out = Vec::new();
        for top in ["data", "reports"] {
            walk(&self.join(top), self.path(), &mut out);
        }
        out.retain(|p| p != "data/exchange_info.json" && p != "data/klines");
        out.sort();
        out
    }
}

fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            walk(&path, base, out);
        } else {
            out.push(path.strip_prefix(base).unwrap().display().to_string());
        }
    }
}

/// A long-running command that came up; killed (and reaped) on drop.
pub struct Running {
    child: Child,
    /// The output line that showed it came up.
    pub line: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cmd` and waits until a line of its stdout or stderr contains `marker`. Err: it
/// exited (or the bound passed) first, with everything it printed.
pub fn start_until(mut cmd: Command, marker: &str) -> Result<Running, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let readers: [Box<dyn Read + Send>; 2] = [
        Box::new(child.stdout.take().unwrap()),
        Box::new(child.stderr.take().unwrap()),
    ];
    for pipe in readers {
        let tx = tx.clone();
        std::thread::spawn(move || {
            // Keep draining after the marker: a full pipe would block the child's logging.
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
    }
    drop(tx);
    let deadline = Instant::now() + COME_UP_BOUND;
    let mut seen = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(marker) => return Ok(Running { child, line }),
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
            }
            Err(why) => {
                let _ = child.kill();
                let status = child.wait().unwrap();
                return Err(format!(
                    "no line with `{marker}` ({why:?}, {status}); output:\n{seen}"
                ));
            }
        }
    }
}

/// `GET path` on `addr` over plain HTTP/1.1; the whole response, head and body.
pub fn http_get(addr: &str, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// The exit code, stdout and stderr of a finished command, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
