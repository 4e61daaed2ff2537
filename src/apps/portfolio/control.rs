//! The operator's per-grid controls: pause, resume, emergency close; and the account-wide
//! close-all (`.spec/portfolio.md`, "Operator controls").
//!
//! - **Pause** a grid: its active baskets are paused as the single bot pauses one (status
//!   `error`, "paused by the operator"): it decides nothing for them and leaves their orders
//!   as they are; it still syncs their fills. No new basket opens.
//! - **Resume**: its baskets paused by the operator trade again; an emergency-closed grid
//!   opens a new basket (unless a `close` limit still holds: its clearing reopens it).
//! - **Close**: the grid's emergency close (cancel its orders, sell its position); it stays
//!   closed until resumed, whatever the limits say.
//!
//! Another process asks through the store: one `bot_config` row per grid,
//! `portfolio_command:<grid>` = `<verb> <requested wall ms>`. The loop takes it at its next
//! turn, clears it, and writes the receipt to `portfolio_receipt:<grid>`. A crash between
//! running and clearing runs the command once more at the restart: each is harmless twice
//! (a second pause or close finds nothing to do). A command older than the single bot's
//! queue TTL is dropped unrun (whoever asked stopped waiting). The dashboard's buttons and
//! `close-all` reach the loop as they reach the single bot.

use super::orchestrator::{append, Portfolio, PortfolioError};
use crate::apps::bot::control::PAUSED_BY_OPERATOR;
use crate::apps::bot::emergency::{CloseReceipt, CloseReport};
use crate::apps::bot::runner::{wall_ms, BotCommand, QUEUE_TTL};
use crate::core::basket::BasketStatus;
use crate::ports::exchange::Exchange;
use crate::ports::operator::{CommandKind, CommandState};
use crate::ports::store::{EventLevel, Store, StoreError};

pub use crate::ports::operator::{GridCommand, GRID_COMMAND_PREFIX, GRID_RECEIPT_PREFIX};

/// Queues `command` for `grid` in the store (another process: the CLI, the dashboard).
pub async fn request_grid_command<S: Store>(
    store: &S,
    grid: &str,
    command: GridCommand,
) -> Result<(), StoreError> {
    crate::ports::operator::queue_grid_command(store, grid, command, wall_ms()).await?;
    Ok(())
}

impl<E: Exchange, S: Store> Portfolio<E, S> {
    /// Runs `command` on the grid named `grid`; the receipt's text.
    pub async fn command(
        &mut self,
        grid: &str,
        command: GridCommand,
    ) -> Result<String, PortfolioError> {
        let Some(i) = self.grids.iter().position(|g| g.name == grid) else {
            return Err(PortfolioError::Config(format!("no grid named {grid}")));
        };
        let now = self.exchange.server_time().await.unwrap_or_default();
        let g = &mut self.grids[i];
        let baskets: Vec<_> = self
            .store
            .baskets(false)
            .await?
            .into_iter()
            .filter(|b| g.bot.owns_basket(b))
            .collect();
        let text = match command {
            GridCommand::Pause => {
                g.operator_hold = true;
                let mut paused = Vec::new();
                for b in baskets
                    .iter()
                    .filter(|b| b.basket.status == BasketStatus::Active)
                {
                    g.bot.pause_basket(b.basket.id).await?;
                    paused.push(b.basket.id.to_string());
                }
                format!("grid {grid} paused (baskets: {})", list(&paused))
            }
            GridCommand::Resume => {
                g.operator_hold = false;
                let mut resumed = Vec::new();
                for b in baskets.iter().filter(|b| {
                    b.basket.status == BasketStatus::Error
                        && b.reason.as_deref() == Some(PAUSED_BY_OPERATOR)
                }) {
                    g.bot.resume_basket(b.basket.id).await?;
                    resumed.push(b.basket.id.to_string());
                }
                let closed = baskets
                    .first()
                    .is_some_and(|b| b.basket.status == BasketStatus::EmergencyClosed);
                if closed && !g.closed_by_risk {
                    g.bot.allow_reopen();
                }
                format!("grid {grid} resumed (baskets: {})", list(&resumed))
            }
            GridCommand::Close => {
                g.operator_hold = true;
                let report = g.bot.close_all().await?;
                format!("grid {grid} closed: {}", report.summary())
            }
        };
        append(
            &self.store,
            now,
            EventLevel::Warn,
            "grid_command",
            text.clone(),
        )
        .await?;
        Ok(text)
    }

    /// Emergency-closes every grid (the dashboard's button, `close-all`); one report.
    pub async fn close_all(&mut self) -> Result<CloseReport, PortfolioError> {
        let mut all = CloseReport::default();
        for g in &mut self.grids {
            g.operator_hold = true;
            let r = g.bot.close_all().await?;
            all.baskets.extend(r.baskets);
            all.closing.extend(r.closing);
            all.cancelled.extend(r.cancelled);
            all.placed.extend(r.placed);
            all.dust += r.dust;
            all.errors.extend(r.errors);
        }
        Ok(all)
    }

    /// A dashboard request: close-all, or pause / resume of one basket (its grid's bot).
    pub async fn handle(&mut self, command: BotCommand) {
        match command {
            BotCommand::CloseAll(reply) => {
                let _ = reply.send(self.close_all().await.map_err(|e| e.to_string()));
            }
            BotCommand::Pause(id, reply) => {
                let r = self.basket_grid(id).await;
                let r = match r {
                    Ok(i) => self.grids[i]
                        .bot
                        .pause_basket(id)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                };
                let _ = reply.send(r);
            }
            BotCommand::Resume(id, reply) => {
                let r = self.basket_grid(id).await;
                let r = match r {
                    Ok(i) => self.grids[i]
                        .bot
                        .resume_basket(id)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                };
                let _ = reply.send(r);
            }
        }
    }

    async fn basket_grid(&self, id: u32) -> Result<usize, String> {
        let record = self
            .store
            .basket(id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no basket {id}"))?;
        self.grids
            .iter()
            .position(|g| g.bot.owns_basket(&record))
            .ok_or_else(|| {
                format!(
                    "basket {id} trades {} under prefix {}, which no grid trades",
                    record.symbol,
                    record.prefix.as_str()
                )
            })
    }

    /// Takes the commands queued in the store: per grid, and the account-wide close-all.
    /// A store error is logged and retried next loop: the queue never stops trading.
    pub async fn serve_commands(&mut self) {
        let now = wall_ms();
        let fresh_since = now - QUEUE_TTL.as_millis() as i64;
        let names: Vec<String> = self.grids.iter().map(|g| g.name.clone()).collect();
        for name in names {
            let key = format!("{GRID_COMMAND_PREFIX}{name}");
            let queued = match self.store.config_value(&key).await {
                Ok(Some(v)) if !v.is_empty() => v,
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the grid command failed");
                    continue;
                }
            };
            let mut parts = queued.split(' ');
            let verb = parts.next().and_then(GridCommand::parse);
            let at: i64 = parts.next().and_then(|t| t.parse().ok()).unwrap_or(0);
            let receipt = match verb {
                None => format!("{queued}: refused: not a grid command (pause, resume, close)"),
                Some(_) if at < fresh_since => format!("{queued}: withdrawn: too old"),
                Some(c) => match self.command(&name, c).await {
                    Ok(text) => format!("{queued}: done: {text}"),
                    Err(e) => format!("{queued}: failed: {e}"),
                },
            };
            let rkey = format!("{GRID_RECEIPT_PREFIX}{name}");
            let written = async {
                self.store.set_config_value(&key, "", now).await?;
                self.store.set_config_value(&rkey, &receipt, now).await
            };
            if let Err(e) = written.await {
                tracing::error!(grid = %name, error = %e, "writing the grid command's receipt failed");
            }
        }
        let taken = match self.store.take_command(fresh_since, now).await {
            Ok(Some(c)) => c,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "reading the command queue failed");
                return;
            }
        };
        let receipt = match taken.kind {
            CommandKind::CloseAll => {
                tracing::warn!(
                    command = taken.id,
                    "emergency close of every grid requested (close-all)"
                );
                CloseReceipt::of(&self.close_all().await.map_err(|e| e.to_string()))
            }
        };
        let state = if receipt.ok {
            CommandState::Done
        } else {
            CommandState::Failed
        };
        if let Err(e) = self
            .store
            .finish_command(taken.id, state, &receipt.text, wall_ms())
            .await
        {
            tracing::error!(command = taken.id, error = %e, "writing the command's receipt failed");
        }
    }
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        "none".into()
    } else {
        ids.join(", ")
    }
}
