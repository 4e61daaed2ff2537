//! Issue 12: proxy answers, bans of unstated length, foreign orders in order lists.

use super::*;

#[tokio::test]
async fn a_proxy_timeout_on_place_is_an_unknown_outcome_not_a_rejection() {
    for status in [408, 499, 400] {
        let h = Harness::new();
        h.server_time(0);
        h.reply(status, "<html>gateway gave up</html>");
        // The order did reach Binance: the lookup finds it.
        h.reply(200, &order_body("gb7-B1-1", "NEW", "0"));
        let report = h.rest.place(&new_order(Slot::Buy(1))).await.unwrap();
        assert_eq!(report.status, OrderStatus::New, "HTTP {status}");
        assert_eq!(h.script().count(Method::Post, "/api/v3/order"), 1);
        assert_eq!(h.script().count(Method::Get, "/api/v3/order"), 1);
    }
}

#[tokio::test]
async fn a_418_without_retry_after_bans_for_the_documented_lengths() {
    let h = Harness::new();
    let banned = |ms: u64| ExchangeError::RateLimited {
        retry_after_ms: ms,
        banned: true,
    };
    h.reply(418, "");
    assert_eq!(
        h.rest.ticker_price(&symbol()).await.unwrap_err(),
        banned(120_000)
    );
    // Still banned after the 60 s a 429 would wait: nothing is sent.
    h.clock.advance(60_000);
    let sent = h.script().requests().len();
    assert!(matches!(
        h.rest.ticker_price(&symbol()).await.unwrap_err(),
        ExchangeError::RateLimited { banned: true, .. }
    ));
    assert_eq!(
        h.script().requests().len(),
        sent,
        "nothing sent while banned"
    );
    // A repeat offence doubles the ban …
    h.clock.advance(60_000);
    h.reply(418, "");
    assert_eq!(
        h.rest.ticker_price(&symbol()).await.unwrap_err(),
        banned(240_000)
    );
    h.clock.advance(240_000);
    h.reply(418, "");
    assert_eq!(
        h.rest.ticker_price(&symbol()).await.unwrap_err(),
        banned(480_000)
    );
    // … up to three days, where it stays.
    let mut last = 480_000;
    let mut lengths = Vec::new();
    for _ in 0..12 {
        h.clock.advance(i64::try_from(last).unwrap());
        h.reply(418, "");
        match h.rest.ticker_price(&symbol()).await.unwrap_err() {
            ExchangeError::RateLimited {
                retry_after_ms,
                banned: true,
            } => last = retry_after_ms,
            other => panic!("{other:?}"),
        }
        lengths.push(last / 60_000);
    }
    assert_eq!(
        lengths,
        [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 4320, 4320, 4320],
        "minutes"
    );
    // A stated length is taken as stated and does not count.
    // A day after the last ban ended, the next one starts short again.
    h.clock.advance(4 * 24 * 3_600_000);
    h.script().push(Ok(
        HttpResponse::new(418, "").with_header("Retry-After", "30")
    ));
    assert_eq!(
        h.rest.ticker_price(&symbol()).await.unwrap_err(),
        banned(30_000)
    );
    h.clock.advance(30_000);
    h.reply(418, "");
    assert_eq!(
        h.rest.ticker_price(&symbol()).await.unwrap_err(),
        banned(120_000)
    );
}
