//! The symbol's trading status while the bot runs. Binance may put a symbol in `CANCEL_ONLY`
//! (since 2026-07), `HALT` or `BREAK`: new orders are refused ("Market is closed."), cancels
//! still work. The bot then holds every create and replace of that symbol's grid (a replace
//! would cancel an order it could not put back) and lets pure cancels through; when the
//! status is `TRADING` again the grid carries on by itself (the exchange paused it, not the
//! operator). Start-up on a symbol that is not trading is refused (`check_market`).
//!
//! The status is re-read past the exchangeInfo cache (weight 20) at the first step, at the
//! step after any failed action (a placement refused because the market closed looks like
//! any failure from here: that is how a change to `CANCEL_ONLY` is noticed, at the cost of
//! one refused placement), and, while the symbol is not trading, every [`STATUS_CHECK_MS`]
//! of server time to see it trade again. A trading symbol whose orders go through costs no
//! reads (at accelerated paper replay a periodic read would cost weight every step).

use crate::apps::bot::{Bot, BotError};
use crate::core::filters::SymbolStatus;
use crate::core::reconcile::Action;
use crate::ports::exchange::Exchange;
use crate::ports::store::{EventLevel, Store};

/// How often the status is re-read while the symbol is not trading, server ms.
pub const STATUS_CHECK_MS: i64 = 60_000;

/// The actions allowed under `status`: all when trading, else only pure cancels. Returns the
/// allowed actions and how many were held back.
pub fn allowed_actions(status: SymbolStatus, actions: Vec<Action>) -> (Vec<Action>, usize) {
    if status == SymbolStatus::Trading {
        return (actions, 0);
    }
    let total = actions.len();
    let kept: Vec<Action> = actions
        .into_iter()
        .filter(|a| matches!(a, Action::Cancel(_)))
        .collect();
    let held = total - kept.len();
    (kept, held)
}

impl<E: Exchange, S: Store> Bot<E, S> {
    /// Re-reads the symbol's status when due; records a change as an event.
    pub(super) async fn check_trading_status(&mut self, now: i64) -> Result<(), BotError> {
        let due = match self.status_checked_ms {
            None => true,
            Some(t) => {
                self.rules.status != SymbolStatus::Trading
                    && (now - t >= STATUS_CHECK_MS || now < t)
            }
        };
        if !due {
            return Ok(());
        }
        let fresh = self
            .exchange
            .symbol_rules_fresh(&self.settings.strategy.symbol)
            .await?;
        self.status_checked_ms = Some(now);
        self.rules_read_ms = Some(now);
        if fresh.filters != self.rules.filters {
            let text = format!(
                "{}: the exchange's filters changed ({:?} → {:?}); planning with the new ones",
                self.settings.strategy.symbol, self.rules.filters, fresh.filters
            );
            self.event(now, None, EventLevel::Warn, "rules_changed", text)
                .await?;
        }
        let (was, is) = (self.rules.status, fresh.status);
        self.rules = fresh;
        if was == is {
            return Ok(());
        }
        let symbol = &self.settings.strategy.symbol;
        let (level, text) = if is == SymbolStatus::Trading {
            (
                EventLevel::Info,
                format!("{symbol} is TRADING again: the grid carries on"),
            )
        } else {
            (
                EventLevel::Warn,
                format!(
                    "{symbol} is {is:?} on the exchange: the grid is held, nothing is placed \
                     (cancels still go) until it trades again"
                ),
            )
        };
        self.event(now, None, level, "symbol_status", text).await
    }

    /// Forces a status check at the next step (after a failed action).
    pub(super) fn recheck_trading_status(&mut self) {
        self.status_checked_ms = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::client_id::ClientOrderId;
    use crate::core::money::{Price, Qty};
    use crate::core::order::{OrderSpec, Slot};
    use crate::core::reconcile::{Cancel, Create};

    fn actions() -> Vec<Action> {
        let spec = OrderSpec::limit(
            Slot::Buy(1),
            Price::parse("3").unwrap(),
            Qty::parse("1").unwrap(),
        );
        let id = ClientOrderId::parse("x-1").unwrap();
        vec![
            Action::Cancel(Cancel {
                client_id: id.clone(),
                exchange_id: Some(7),
                slot: Slot::Buy(1),
            }),
            Action::Create(Create {
                client_id: id,
                spec,
            }),
        ]
    }

    #[test]
    fn only_cancels_pass_when_the_symbol_is_not_trading() {
        let (all, held) = allowed_actions(SymbolStatus::Trading, actions());
        assert_eq!((all.len(), held), (2, 0));
        for status in [
            SymbolStatus::CancelOnly,
            SymbolStatus::Halt,
            SymbolStatus::Other,
        ] {
            let (kept, held) = allowed_actions(status, actions());
            assert_eq!(held, 1, "{status:?}");
            assert!(matches!(kept.as_slice(), [Action::Cancel(_)]));
        }
    }
}
