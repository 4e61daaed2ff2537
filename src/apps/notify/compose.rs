//! What a trader is told, and when: the journal's events mapped to notifications, and the
//! daily summary. Pure functions (no store, no clock): the notifier reads the facts, this
//! module words them (`.spec/notifications.md` § Events).

use crate::apps::backtest::report::{utc_minute, utc_parts};
use crate::core::basket::BasketStatus;
use crate::core::money::Quote;
use crate::ports::store::{Event, EventLevel};

/// Every category a channel can subscribe to (`events = [...]` in `[notify.<channel>]`).
pub const KINDS: &[&str] = &[
    "fill",
    "basket_opened",
    "basket_closed",
    "hard_stop",
    "emergency_close",
    "risk_limit",
    "pause",
    "error",
    "start",
    "stop",
    "daily_summary",
    "test",
];

/// Event kind the bot journals when it starts (`run`, `paper`).
pub const BOT_STARTED: &str = "bot_started";
/// Event kind the bot journals when it stops cleanly.
pub const BOT_STOPPED: &str = "bot_stopped";
/// Event kind of a tripped risk limit (the portfolio's orchestrator journals it).
pub const RISK_LIMIT: &str = "risk_limit";
/// Event kind of a risk limit that stopped holding (its category is `risk_limit`).
pub const RISK_CLEARED: &str = "risk_cleared";

/// A notification before it is queued per channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Unique for its source (`event:42`, `daily:2026-02-03`).
    pub dedup_key: String,
    /// One of [`KINDS`].
    pub kind: &'static str,
    /// How loud.
    pub level: EventLevel,
    /// One line.
    pub title: String,
    /// Details.
    pub body: String,
    /// When it happened, Unix ms.
    pub time_ms: i64,
}

/// What the notifier looked up about the event's basket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketFacts {
    /// Its status now.
    pub status: BasketStatus,
    /// Its realised P&L (net of fees) and the quote asset.
    pub pnl: Quote,
    /// The quote asset's name (`USDT`).
    pub quote_asset: String,
}

/// Where the bot trades, for every title (`[PAPER] FILUSDT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `PAPER`, `TESTNET` or `LIVE`.
    pub mode: &'static str,
    /// The symbol (a basket's events), or what trades (`portfolio`) for the others.
    pub symbol: String,
}

impl Origin {
    /// The origin of a bot trading `symbol` in `mode`.
    pub fn of(mode: crate::apps::trade::Mode, symbol: &crate::core::symbol::Symbol) -> Self {
        Self::labelled(mode, symbol.as_str())
    }

    /// The origin of the events of `mode` that no one symbol owns, labelled `label`.
    pub fn labelled(mode: crate::apps::trade::Mode, label: &str) -> Self {
        use crate::apps::trade::Mode;
        Self {
            mode: match mode {
                Mode::Paper => "PAPER",
                Mode::Testnet => "TESTNET",
                Mode::Mainnet => "LIVE",
            },
            symbol: label.to_string(),
        }
    }

    fn tag(&self) -> String {
        format!("[{}] {}", self.mode, self.symbol)
    }
}

/// The notification for one journal event, or `None` for routine ones (orders placed,
/// cancelled, amended; lookups). `basket` is given for `basket_ended` events.
pub fn for_event(
    origin: &Origin,
    event_id: i64,
    event: &Event,
    basket: Option<&BasketFacts>,
) -> Option<Notice> {
    let tag = origin.tag();
    let basket_id = event.basket_id;
    let (kind, level, title) = match event.kind.as_str() {
        "fill" => (
            "fill",
            EventLevel::Info,
            format!("{tag} fill: {}", event.message),
        ),
        "basket_opened" => (
            "basket_opened",
            EventLevel::Info,
            format!("{tag} {}", event.message),
        ),
        "basket_ended" => {
            let id = basket_id.map_or_else(String::new, |b| format!(" {b}"));
            match basket {
                Some(f) => {
                    let pnl = signed(f.pnl, &f.quote_asset);
                    match f.status {
                        BasketStatus::Stopped => (
                            "hard_stop",
                            EventLevel::Error,
                            format!("{tag} HARD STOP: basket{id} stopped out, P&L {pnl}"),
                        ),
                        BasketStatus::EmergencyClosed => (
                            "emergency_close",
                            EventLevel::Error,
                            format!("{tag} basket{id} emergency closed, P&L {pnl}"),
                        ),
                        status => (
                            "basket_closed",
                            EventLevel::Info,
                            format!("{tag} basket{id} {}, P&L {pnl}", ended_word(status)),
                        ),
                    }
                }
                None => (
                    "basket_closed",
                    EventLevel::Info,
                    format!("{tag} {}", event.message),
                ),
            }
        }
        "emergency_close" => (
            "emergency_close",
            EventLevel::Error,
            format!("{tag} EMERGENCY CLOSE: {}", event.message),
        ),
        RISK_LIMIT => (
            "risk_limit",
            EventLevel::Error,
            format!("{tag} RISK LIMIT: {}", event.message),
        ),
        RISK_CLEARED => (
            "risk_limit",
            EventLevel::Info,
            format!("{tag} risk limit cleared: {}", event.message),
        ),
        "basket_paused" | "buys_paused" | "basket_resumed" | "buys_resumed" | "symbol_status" => {
            ("pause", event.level, format!("{tag} {}", event.message))
        }
        BOT_STARTED => ("start", EventLevel::Info, format!("{tag} bot started")),
        BOT_STOPPED => ("stop", EventLevel::Warn, format!("{tag} bot stopped")),
        "step_failed" | "action_failed" => (
            "error",
            event.level,
            format!("{tag} error: {}", event.message),
        ),
        _ if event.level == EventLevel::Error => (
            "error",
            EventLevel::Error,
            format!("{tag} {}: {}", event.kind, event.message),
        ),
        _ => return None,
    };
    let mut body = format!("{} UTC", utc_minute(event.time_ms));
    if let Some(b) = basket_id {
        body.push_str(&format!(" · basket {b}"));
    }
    if matches!(
        event.kind.as_str(),
        BOT_STARTED | BOT_STOPPED | "basket_ended"
    ) {
        body.push_str(&format!("\n{}", event.message));
    }
    Some(Notice {
        dedup_key: format!("event:{event_id}"),
        kind,
        level,
        title,
        body,
        time_ms: event.time_ms,
    })
}

fn ended_word(status: BasketStatus) -> &'static str {
    match status {
        BasketStatus::Reanchored => "reanchored",
        BasketStatus::Closed => "closed",
        _ => "ended",
    }
}

/// `+1.5 USDT`, `-0.2 USDT`, `0 USDT`.
fn signed(v: Quote, asset: &str) -> String {
    let d = v.get().normalize();
    if d.is_sign_positive() && !d.is_zero() {
        format!("+{d} {asset}")
    } else {
        format!("{d} {asset}")
    }
}

/// The facts of one UTC day for its summary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DayFacts {
    /// Start of the day, Unix ms (midnight UTC).
    pub day_start_ms: i64,
    /// Buys and sells filled that day.
    pub buys: u64,
    /// Sells filled that day.
    pub sells: u64,
    /// Realised P&L of that day's sells.
    pub realised: Quote,
    /// Account value at the start and at the end of the day (the last snapshots before).
    pub value_start: Option<Quote>,
    /// See `value_start`.
    pub value_end: Option<Quote>,
    /// Baskets still open at the end.
    pub open_baskets: usize,
    /// Warnings and errors journalled that day.
    pub warnings: u64,
    /// See `warnings`.
    pub errors: u64,
    /// The quote asset.
    pub quote_asset: String,
}

/// `2026-02-03` of a Unix-ms time.
pub fn utc_day(ms: i64) -> String {
    let (y, m, d, _, _) = utc_parts(ms);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The daily summary of one UTC day.
pub fn daily_summary(origin: &Origin, day: &DayFacts) -> Notice {
    let date = utc_day(day.day_start_ms);
    let q = &day.quote_asset;
    let mut body = format!(
        "fills: {} buys, {} sells\nrealised P&L: {}\nopen baskets: {}",
        day.buys,
        day.sells,
        signed(day.realised, q),
        day.open_baskets
    );
    if let (Some(a), Some(b)) = (day.value_start, day.value_end) {
        body.push_str(&format!(
            "\naccount value: {} → {} {q} ({})",
            a.get().normalize(),
            b.get().normalize(),
            signed(b - a, q)
        ));
    } else if let Some(b) = day.value_end {
        body.push_str(&format!("\naccount value: {} {q}", b.get().normalize()));
    }
    if day.warnings + day.errors > 0 {
        body.push_str(&format!(
            "\nwarnings: {}, errors: {} (see the dashboard's events)",
            day.warnings, day.errors
        ));
    }
    Notice {
        dedup_key: format!("daily:{date}"),
        kind: "daily_summary",
        level: EventLevel::Info,
        title: format!("{} daily summary {date}", origin.tag()),
        body,
        time_ms: day.day_start_ms + 86_400_000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn origin() -> Origin {
        Origin {
            mode: "PAPER",
            symbol: "FILUSDT".into(),
        }
    }

    fn event(kind: &str, level: EventLevel, message: &str, basket: Option<u32>) -> Event {
        Event {
            time_ms: 1_770_076_800_000, // 2026-02-03 00:00 UTC
            basket_id: basket,
            level,
            kind: kind.into(),
            message: message.into(),
        }
    }

    struct Case {
        label: &'static str,
        event: Event,
        basket: Option<BasketFacts>,
        kind: Option<&'static str>,
        title: &'static str,
    }

    #[test]
    fn events_map_to_the_notifications_a_trader_expects() {
        let facts = |status| BasketFacts {
            status,
            pnl: Quote::new(dec!(1.25)),
            quote_asset: "USDT".into(),
        };
        let cases = [
            Case {
                label: "fill",
                event: event("fill", EventLevel::Info, "B1 BUY 2 at 3.1 (gb1-B1-1)", Some(1)),
                basket: None,
                kind: Some("fill"),
                title: "[PAPER] FILUSDT fill: B1 BUY 2 at 3.1 (gb1-B1-1)",
            },
            Case {
                label: "closed with its P&L",
                event: event("basket_ended", EventLevel::Info, "basket 1 ended as closed", Some(1)),
                basket: Some(facts(BasketStatus::Closed)),
                kind: Some("basket_closed"),
                title: "[PAPER] FILUSDT basket 1 closed, P&L +1.25 USDT",
            },
            Case {
                label: "hard stop",
                event: event("basket_ended", EventLevel::Info, "basket 2 ended as stopped", Some(2)),
                basket: Some(BasketFacts {
                    pnl: Quote::new(dec!(-3.5)),
                    ..facts(BasketStatus::Stopped)
                }),
                kind: Some("hard_stop"),
                title: "[PAPER] FILUSDT HARD STOP: basket 2 stopped out, P&L -3.5 USDT",
            },
            Case {
                label: "emergency close",
                event: event("emergency_close", EventLevel::Error, "1 basket closed", None),
                basket: None,
                kind: Some("emergency_close"),
                title: "[PAPER] FILUSDT EMERGENCY CLOSE: 1 basket closed",
            },
            Case {
                label: "risk limit",
                event: event(RISK_LIMIT, EventLevel::Warn, "grid fil: daily_loss tripped at -120 (threshold -100): no new buys", None),
                basket: None,
                kind: Some("risk_limit"),
                title: "[PAPER] FILUSDT RISK LIMIT: grid fil: daily_loss tripped at -120 (threshold -100): no new buys",
            },
            Case {
                label: "risk limit cleared",
                event: event(RISK_CLEARED, EventLevel::Info, "grid fil: daily_loss cleared", None),
                basket: None,
                kind: Some("risk_limit"),
                title: "[PAPER] FILUSDT risk limit cleared: grid fil: daily_loss cleared",
            },
            Case {
                label: "pause",
                event: event("basket_paused", EventLevel::Error, "basket 3 paused: x", Some(3)),
                basket: None,
                kind: Some("pause"),
                title: "[PAPER] FILUSDT basket 3 paused: x",
            },
            Case {
                label: "an unlisted error",
                event: event("order_adopted", EventLevel::Error, "odd", None),
                basket: None,
                kind: Some("error"),
                title: "[PAPER] FILUSDT order_adopted: odd",
            },
            Case {
                label: "routine order placement",
                event: event("order_placed", EventLevel::Info, "placed", Some(1)),
                basket: None,
                kind: None,
                title: "",
            },
            Case {
                label: "start",
                event: event(BOT_STARTED, EventLevel::Info, "v0.1.0", None),
                basket: None,
                kind: Some("start"),
                title: "[PAPER] FILUSDT bot started",
            },
        ];
        for c in cases {
            let got = for_event(&origin(), 7, &c.event, c.basket.as_ref());
            assert_eq!(got.as_ref().map(|n| n.kind), c.kind, "{}", c.label);
            if let Some(n) = got {
                assert_eq!(n.title, c.title, "{}", c.label);
                assert_eq!(n.dedup_key, "event:7", "{}", c.label);
                assert!(KINDS.contains(&n.kind), "{}", c.label);
            }
        }
    }

    #[test]
    fn daily_summary_states_fills_pnl_and_value_change() {
        let day = DayFacts {
            day_start_ms: 1_770_076_800_000,
            buys: 4,
            sells: 2,
            realised: Quote::new(dec!(3.40)),
            value_start: Some(Quote::new(dec!(1000))),
            value_end: Some(Quote::new(dec!(1002.5))),
            open_baskets: 1,
            warnings: 1,
            errors: 0,
            quote_asset: "USDT".into(),
        };
        let n = daily_summary(&origin(), &day);
        assert_eq!(n.dedup_key, "daily:2026-02-03");
        assert_eq!(n.title, "[PAPER] FILUSDT daily summary 2026-02-03");
        assert_eq!(
            n.body,
            "fills: 4 buys, 2 sells\nrealised P&L: +3.4 USDT\nopen baskets: 1\n\
             account value: 1000 → 1002.5 USDT (+2.5 USDT)\nwarnings: 1, errors: 0 (see the dashboard's events)"
        );
    }
}
