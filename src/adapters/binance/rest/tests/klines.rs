//! `closed_candles`: Binance's open minute is never returned, whatever our clock says.

use super::*;

/// A `klines` row opening at `open` (one minute), closing at 4 + `k`.
fn row(open: i64, k: i64) -> serde_json::Value {
    let c = format!("4.{k:03}");
    serde_json::json!([
        open,
        "4.000",
        "4.500",
        "3.900",
        c,
        "10.0",
        open + 59_999,
        "40.0",
        4,
        "5.0",
        "20.0",
        "0"
    ])
}

#[tokio::test]
async fn the_minute_still_open_at_the_server_time_is_dropped() {
    let h = Harness::new();
    // Our clock runs 30 s late: by it, the open minute would look long closed... or not.
    let server_now = h.clock.now_ms() + 30_000;
    let minute = server_now - server_now.rem_euclid(60_000);
    h.server_time(30_000);
    // A server that ignores endTime still must not slip the open minute in.
    let rows = [
        row(minute - 120_000, 1),
        row(minute - 60_000, 2),
        row(minute, 3),
    ];
    h.reply(200, &serde_json::Value::from(rows.to_vec()).to_string());
    let candles = h.rest.closed_candles(&symbol(), None, 3).await.unwrap();
    let opens: Vec<i64> = candles.iter().map(|c| c.open_time_ms).collect();
    assert_eq!(opens, [minute - 120_000, minute - 60_000]);
    assert_eq!(candles[1].close, Price::new(dec!(4.002)));

    let reqs = h.script().requests();
    assert_eq!(
        path_of(&reqs[0].url),
        "/api/v3/time",
        "the server time first"
    );
    let klines = &reqs[1];
    assert_eq!(path_of(&klines.url), "/api/v3/klines");
    assert_eq!(query_param(klines, "interval"), Some("1m"));
    assert_eq!(query_param(klines, "limit"), Some("3"));
    assert_eq!(
        query_param(klines, "endTime"),
        Some((server_now - 60_000).to_string().as_str()),
        "open times up to one minute before the server time: closed ones only"
    );
    assert_eq!(query_param(klines, "startTime"), None);
    assert_eq!(h.rest.used_weight(), Some(3), "time 1 + klines 2");
}

#[tokio::test]
async fn from_a_minute_not_closed_yet_nothing_is_asked_for() {
    let h = Harness::new();
    h.server_time(0);
    let now = h.clock.now_ms();
    let start = now - now.rem_euclid(60_000);
    assert_eq!(
        h.rest
            .closed_candles(&symbol(), Some(start), 10)
            .await
            .unwrap(),
        []
    );
    assert_eq!(h.script().count(Method::Get, "/api/v3/klines"), 0);
}

#[tokio::test]
async fn a_limit_beyond_one_read_is_capped_at_1000() {
    let h = Harness::new();
    h.server_time(0);
    h.reply(200, "[]");
    let from = T0 - 10 * 60_000;
    h.rest
        .closed_candles(&symbol(), Some(from), 5_000)
        .await
        .unwrap();
    let klines = &h.script().requests()[1];
    assert_eq!(query_param(klines, "limit"), Some("1000"));
    assert_eq!(
        query_param(klines, "startTime"),
        Some(from.to_string().as_str())
    );
}
