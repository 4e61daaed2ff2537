//! Keeping the symbol's rules (`exchangeInfo` filters) current: Binance changes tick sizes,
//! lot sizes and notional minimums while a bot runs, and orders planned on old rules are
//! refused ("Filter failure: …") until the bot reads them again.
//!
//! The read itself is `trading_status.rs`'s (past the exchangeInfo cache, weight 20): at the
//! first step and at the step after any failed action — a filter rejection included. Here:
//! also every `rules_refresh_ms` of server time (default 10 min), so a change that causes no
//! rejection (a finer tick, a lower minimum) is picked up too. A change of filters is logged
//! as a `rules_changed` event.

use crate::apps::bot::Bot;
use crate::ports::exchange::Exchange;
use crate::ports::store::Store;

impl<E: Exchange, S: Store> Bot<E, S> {
    /// Asks for a fresh read of the rules when `rules_refresh_ms` has passed since the last.
    pub(super) fn refresh_rules_if_due(&mut self, now: i64) {
        let read = *self.rules_read_ms.get_or_insert(now);
        let due = now.saturating_sub(read) >= self.settings.rules_refresh_ms || now < read;
        if due {
            self.rules_read_ms = Some(now);
            self.recheck_trading_status();
        }
    }
}
