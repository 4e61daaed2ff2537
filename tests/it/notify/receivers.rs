//! Receivers on loopback for the notification channels: one HTTP receiver (Telegram's Bot
//! API, a Discord webhook, a JSON webhook: every POST is recorded) and a minimal SMTP server
//! (no kept crate serves SMTP for tests on tokio; this one speaks just enough of RFC 5321
//! for lettre: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub idempotency_key: Option<String>,
    pub authorization: Option<String>,
    pub body: serde_json::Value,
    pub raw: String,
}

/// What the HTTP receiver answers.
#[derive(Default)]
pub struct Behaviour {
    /// Answer this many requests with 500 first.
    pub fail_first: AtomicUsize,
    /// Answer with 401 (a bad token).
    pub unauthorized: AtomicBool,
    /// Record, then never answer (the sender times out or dies waiting).
    pub hang: AtomicBool,
}

/// An HTTP receiver on loopback.
#[derive(Clone)]
pub struct HttpReceiver {
    pub base: String,
    pub got: Arc<Mutex<Vec<Received>>>,
    pub behaviour: Arc<Behaviour>,
}

type Shared = (Arc<Mutex<Vec<Received>>>, Arc<Behaviour>);

async fn record(
    State((got, behaviour)): State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> axum::response::Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    got.lock().unwrap().push(Received {
        path: uri.to_string(),
        idempotency_key: header("idempotency-key"),
        authorization: header("authorization"),
        body: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
        raw: body,
    });
    if behaviour.hang.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    if behaviour.unauthorized.load(Ordering::SeqCst) {
        let body =
            serde_json::json!({"ok": false, "error_code": 401, "description": "Unauthorized"});
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    }
    if behaviour
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return (StatusCode::INTERNAL_SERVER_ERROR, "down").into_response();
    }
    axum::Json(serde_json::json!({"ok": true, "result": {}})).into_response()
}

impl HttpReceiver {
    pub async fn start() -> Self {
        let got = Arc::new(Mutex::new(Vec::new()));
        let behaviour = Arc::new(Behaviour::default());
        let app = axum::Router::new()
            .fallback(axum::routing::post(record))
            .with_state((got.clone(), behaviour.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base,
            got,
            behaviour,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Every item of every JSON-webhook batch received so far, in order.
    pub fn webhook_items(&self) -> Vec<serde_json::Value> {
        self.received()
            .iter()
            .flat_map(|r| {
                r.body["notifications"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect()
    }

    /// Waits until `n` requests arrived (panics after `secs`).
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < Duration::from_secs(secs),
                "{} requests after {secs} s, wanted {n}: {got:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// One mail as received: the AUTH line (if any) and the DATA.
#[derive(Debug, Clone)]
pub struct Mail {
    pub auth: Option<String>,
    pub rcpt: Vec<String>,
    pub data: String,
}

/// A minimal SMTP receiver on loopback.
#[derive(Clone)]
pub struct SmtpReceiver {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpReceiver {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let store = mails.clone();
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(session(socket, store.clone()));
            }
        });
        Self { port, mails }
    }

    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Mail> {
        let start = Instant::now();
        loop {
            let got = self.mails.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < Duration::from_secs(secs),
                "{} mails",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn session(socket: tokio::net::TcpStream, mails: Arc<Mutex<Vec<Mail>>>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"220 localhost test SMTP\r\n").await;
    let mut mail = Mail {
        auth: None,
        rcpt: Vec::new(),
        data: String::new(),
    };
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250-localhost\r\n250 AUTH PLAIN LOGIN\r\n"
        } else if upper.starts_with("AUTH") {
            mail.auth = Some(line.clone());
            b"235 2.7.0 accepted\r\n"
        } else if upper.starts_with("MAIL FROM") {
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO") {
            mail.rcpt.push(line.clone());
            b"250 OK\r\n"
        } else if upper == "DATA" {
            let _ = write.write_all(b"354 go on\r\n").await;
            while let Ok(Some(l)) = lines.next_line().await {
                if l == "." {
                    break;
                }
                mail.data.push_str(&l);
                mail.data.push('\n');
            }
            mails.lock().unwrap().push(mail.clone());
            mail.rcpt.clear();
            mail.data.clear();
            b"250 OK queued\r\n"
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 OK\r\n"
        } else {
            b"502 not implemented\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
