//! Operator controls besides the emergency close: pause and resume one basket.
//!
//! A paused basket has status `error` with the reason "paused by the operator": the bot stops
//! deciding for it and leaves its orders as they are (a pause is for looking, not for closing;
//! the emergency close is for closing). Resume sets it `active` again; the next step
//! reconciles its orders with the plan.

use crate::apps::bot::{Bot, BotError};
use crate::core::basket::BasketStatus;
use crate::ports::exchange::Exchange;
use crate::ports::store::{EventLevel, Store, StoreError};

/// The reason recorded for an operator's pause.
pub const PAUSED_BY_OPERATOR: &str = "paused by the operator";

impl<E: Exchange, S: Store> Bot<E, S> {
    /// Pauses an active basket.
    pub async fn pause_basket(&mut self, id: u32) -> Result<(), BotError> {
        let record = self.store.basket(id).await?;
        match record.map(|r| r.basket.status) {
            Some(BasketStatus::Active) => {}
            Some(other) => {
                return Err(BotError::Refused(format!(
                    "basket {id} is {}, not active",
                    other.as_str()
                )))
            }
            None => return Err(StoreError::NotFound(format!("basket {id}")).into()),
        }
        self.store
            .set_basket_status(id, BasketStatus::Error, None, Some(PAUSED_BY_OPERATOR))
            .await?;
        let now = self.exchange.server_time().await.unwrap_or_default();
        self.event(
            now,
            Some(id),
            EventLevel::Warn,
            "basket_paused",
            format!("basket {id} {PAUSED_BY_OPERATOR}"),
        )
        .await
    }

    /// Resumes a paused (or errored) basket.
    pub async fn resume_basket(&mut self, id: u32) -> Result<(), BotError> {
        let record = self.store.basket(id).await?;
        match record.map(|r| r.basket.status) {
            Some(BasketStatus::Error) => {}
            Some(other) => {
                return Err(BotError::Refused(format!(
                    "basket {id} is {}, not paused",
                    other.as_str()
                )))
            }
            None => return Err(StoreError::NotFound(format!("basket {id}")).into()),
        }
        self.store
            .set_basket_status(id, BasketStatus::Active, None, None)
            .await?;
        let now = self.exchange.server_time().await.unwrap_or_default();
        // The operator trades on: a close still waiting for an unknown outcome is called off.
        self.clear_close_pending(now).await?;
        self.event(
            now,
            Some(id),
            EventLevel::Info,
            "basket_resumed",
            format!("basket {id} resumed"),
        )
        .await
    }
}
