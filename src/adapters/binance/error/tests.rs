use super::*;
use serde_json::Value;

fn errors_fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/binance-docs/errors.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn body(code: i64, msg: &str) -> String {
    serde_json::json!({ "code": code, "msg": msg }).to_string()
}

#[derive(Debug, PartialEq)]
enum Class {
    Rejected,
    Unknown,
    RateLimited { banned: bool },
    ClockSkew,
    Transport,
}

fn class(e: &ExchangeError) -> Class {
    match e {
        ExchangeError::Rejected(_) => Class::Rejected,
        ExchangeError::Unknown(_) => Class::Unknown,
        ExchangeError::RateLimited { banned, .. } => Class::RateLimited { banned: *banned },
        ExchangeError::ClockSkew(_) => Class::ClockSkew,
        ExchangeError::Transport(_) => Class::Transport,
    }
}

#[test]
fn every_documented_code_has_the_expected_class() {
    // Codes that do not mean "refused, nothing happened"; every other code must be Rejected.
    let special: [(i64, Class); 8] = [
        (-1000, Class::Unknown),
        (-1001, Class::Unknown),
        (-1003, Class::RateLimited { banned: false }),
        (-1006, Class::Unknown),
        (-1007, Class::Unknown),
        (-1008, Class::Unknown),
        (-1015, Class::RateLimited { banned: false }),
        (-1021, Class::ClockSkew),
    ];
    let fx = errors_fixture();
    let all = fx["codes"].as_array().unwrap();
    assert!(all.len() > 90, "fixture has {} codes", all.len());
    for entry in all {
        let code = entry["code"].as_i64().unwrap();
        let msg = entry["messages"][0].as_str().unwrap_or("");
        let resp = HttpResponse::new(400, body(code, msg));
        let got = class(&classify(&resp, 0));
        let want = special
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, k)| k)
            .unwrap_or(&Class::Rejected);
        assert_eq!(&got, want, "code {code} ({msg})");
    }
    for (code, _) in &special {
        assert!(
            all.iter().any(|e| e["code"].as_i64() == Some(*code)),
            "{code} is not in errors.json"
        );
    }
}

#[test]
fn http_statuses_and_headers() {
    struct Case {
        label: &'static str,
        resp: HttpResponse,
        now_ms: i64,
        want: ExchangeError,
    }
    let cases = [
        Case {
            label: "429 with Retry-After",
            resp: HttpResponse::new(429, body(-1003, "Too much request weight used; current limit is 6000 request weight per 1 MINUTE."))
                .with_header("Retry-After", "17"),
            now_ms: 0,
            want: ExchangeError::RateLimited { retry_after_ms: 17_000, banned: false },
        },
        Case {
            label: "429 without Retry-After",
            resp: HttpResponse::new(429, ""),
            now_ms: 0,
            want: ExchangeError::RateLimited { retry_after_ms: DEFAULT_RETRY_AFTER_MS, banned: false },
        },
        Case {
            label: "418 ban with Retry-After",
            resp: HttpResponse::new(418, "").with_header("retry-after", "120"),
            now_ms: 0,
            want: ExchangeError::RateLimited { retry_after_ms: 120_000, banned: true },
        },
        Case {
            label: "-1003 banned until <ms>, longer than Retry-After",
            resp: HttpResponse::new(418, body(-1003, "Way too much request weight used; IP banned until 1700000300000. Please use WebSocket Streams for live updates to avoid bans."))
                .with_header("Retry-After", "60"),
            now_ms: 1_700_000_000_000,
            want: ExchangeError::RateLimited { retry_after_ms: 300_000, banned: true },
        },
        Case {
            label: "-1015 too many orders",
            resp: HttpResponse::new(429, body(-1015, "Too many new orders; current limit is 100 orders per 10 SECOND.")),
            now_ms: 0,
            want: ExchangeError::RateLimited { retry_after_ms: DEFAULT_ORDER_RATE_WAIT_MS, banned: false },
        },
        Case {
            label: "503 html",
            resp: HttpResponse::new(503, "<html>Service Unavailable</html>"),
            now_ms: 0,
            want: ExchangeError::Unknown("HTTP 503: <html>Service Unavailable</html>".into()),
        },
        Case {
            label: "-1007 in a 408/500 body",
            resp: HttpResponse::new(408, body(-1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown.")),
            now_ms: 0,
            want: ExchangeError::Unknown("HTTP 408: Binance error -1007: Timeout waiting for response from backend server. Send status unknown; execution status unknown.".into()),
        },
        Case {
            label: "-1021",
            resp: HttpResponse::new(400, body(-1021, "Timestamp for this request is outside of the recvWindow.")),
            now_ms: 0,
            want: ExchangeError::ClockSkew(ApiError { code: -1021, msg: "Timestamp for this request is outside of the recvWindow.".into() }),
        },
        Case {
            label: "-2010 insufficient balance",
            resp: HttpResponse::new(400, body(-2010, "Account has insufficient balance for requested action.")),
            now_ms: 0,
            want: ExchangeError::Rejected(ApiError { code: -2010, msg: "Account has insufficient balance for requested action.".into() }),
        },
        Case {
            label: "403 WAF without a Binance body",
            resp: HttpResponse::new(403, "Forbidden"),
            now_ms: 0,
            want: ExchangeError::Rejected(ApiError { code: 0, msg: "HTTP 403: Forbidden".into() }),
        },
        Case {
            label: "408 from a proxy: the request may have reached Binance",
            resp: HttpResponse::new(408, "<html>Request Timeout</html>"),
            now_ms: 0,
            want: ExchangeError::Unknown("HTTP 408 without a Binance error body: <html>Request Timeout</html>".into()),
        },
        Case {
            label: "499 from a load balancer, empty body",
            resp: HttpResponse::new(499, ""),
            now_ms: 0,
            want: ExchangeError::Unknown("HTTP 499 without a Binance error body: ".into()),
        },
        Case {
            label: "418 without Retry-After: the shortest documented ban, not a minute",
            resp: HttpResponse::new(418, ""),
            now_ms: 0,
            want: ExchangeError::RateLimited { retry_after_ms: MIN_BAN_MS, banned: true },
        },
    ];
    for c in cases {
        assert_eq!(classify(&c.resp, c.now_ms), c.want, "{}", c.label);
    }
}

#[test]
fn transport_failures_split_on_whether_anything_was_sent() {
    assert_eq!(
        class(&from_transport(&TransportError::NotSent(
            "connect: refused".into()
        ))),
        Class::Transport
    );
    assert_eq!(
        class(&from_transport(&TransportError::MaybeSent(
            "timeout".into()
        ))),
        Class::Unknown
    );
}

#[test]
fn banned_until_is_read_from_the_message() {
    assert_eq!(
        banned_until_ms("Way too much request weight used; IP banned until 1700000300000."),
        Some(1_700_000_300_000)
    );
    assert_eq!(banned_until_ms("Too many requests queued."), None);
}

#[test]
fn every_documented_reject_message_has_a_reason() {
    let fx = errors_fixture();
    let tables = fx["message_tables"].as_object().unwrap();
    let (_, orders) = tables
        .iter()
        .find(|(k, _)| k.contains("-2010"))
        .expect("order reject table");
    let want = |m: &str| -> RejectReason {
        use RejectReason::*;
        let table: [(&str, RejectReason); 12] = [
            ("Unknown order sent.", UnknownOrder),
            ("Duplicate order sent.", DuplicateOrder),
            ("Market is closed.", MarketClosed),
            (
                "Account has insufficient balance for requested action.",
                InsufficientBalance,
            ),
            ("Order would trigger immediately.", StopWouldTrigger),
            ("Order would immediately match and take.", WouldTake),
            (
                "Order was not canceled due to cancel restrictions.",
                CancelRestricted,
            ),
            ("This action is disabled on this account.", NotPermitted),
            ("This account may not place or cancel orders.", NotPermitted),
            (
                "This symbol is not permitted for this account.",
                NotPermitted,
            ),
            ("This symbol is restricted for this account.", NotPermitted),
            ("FIX API trading is not enabled.", NotPermitted),
        ];
        if let Some((_, r)) = table.iter().find(|(t, _)| *t == m) {
            return r.clone();
        }
        if m.contains("not supported")
            || m.contains("not support ")
            || m.starts_with("Unsupported order combination")
            || m.contains("pegged price")
            || m.contains("price peg")
        {
            return NotSupported;
        }
        if m.contains("trading is not enabled") {
            return NotPermitted;
        }
        Other
    };
    let mut seen_other = 0;
    for row in orders.as_array().unwrap() {
        let msg = row["message"].as_str().unwrap();
        let got = reject_reason(&ApiError {
            code: -2010,
            msg: msg.into(),
        });
        let expected = want(msg);
        if expected == RejectReason::Other {
            seen_other += 1;
        }
        assert_eq!(got, expected, "{msg}");
    }
    // Price/qty/liquidity/relationship messages stay Other; the table is mostly classified.
    assert!(seen_other < 12, "{seen_other} messages unclassified");

    let (_, filters) = tables
        .iter()
        .find(|(k, _)| k.contains("Filter"))
        .expect("filter table");
    for row in filters.as_array().unwrap() {
        let msg = row["message"].as_str().unwrap();
        let name = msg.strip_prefix("Filter failure: ").unwrap();
        assert_eq!(
            reject_reason(&ApiError {
                code: -1013,
                msg: msg.into()
            }),
            RejectReason::Filter(name.to_string()),
            "{msg}"
        );
    }
}

#[test]
fn unknown_order_codes() {
    assert_eq!(
        reject_reason(&ApiError {
            code: -2013,
            msg: "Order does not exist.".into()
        }),
        RejectReason::UnknownOrder
    );
    assert_eq!(
        reject_reason(&ApiError {
            code: -2011,
            msg: "Unknown order sent.".into()
        }),
        RejectReason::UnknownOrder
    );
    assert_eq!(
        reject_reason(&ApiError { code: -2026, msg: "Order was canceled or expired with no executed qty over 90 days ago and has been archived.".into() }),
        RejectReason::Archived
    );
}
