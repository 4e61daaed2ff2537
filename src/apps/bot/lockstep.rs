//! Lock-step pacing for a replayed market (`paper --speed step`): the exchange feeds the next
//! candle only once the bot has settled on the previous one (a quiescent step), so every
//! decision is taken at the candle close it belongs to, whatever the machine's speed. That is
//! the backtester's timing, which makes a paper session reproducible and `parity` exact
//! (`.spec/parity.md`); the wall-clock paces (`--speed N`) let the market outrun a slow bot.

use crate::apps::bot::runner::{handle, record_step, serve_queue, BotCommand};
use crate::apps::bot::{Bot, BotError};
use crate::ports::exchange::Exchange;
use crate::ports::store::Store;
use tokio::sync::{mpsc, watch};

/// Steps a settling bot may take on one candle before the next is fed anyway (a bot that
/// never settles must not stall the replay; each of its steps is journalled as usual).
pub const MAX_SETTLE_STEPS: usize = 12;

/// Runs the bot in lock-step with `feed`, which feeds the next candle and says whether there
/// was one. Ends when the candles run out or `stop` turns true; returns the steps run.
/// Operator commands are served between candles. A failed step ends the run: in a replay
/// nothing transient can explain it, and going on would desynchronise the market.
pub async fn run<E: Exchange, S: Store>(
    bot: &mut Bot<E, S>,
    mut feed: impl FnMut() -> bool,
    stop: watch::Receiver<bool>,
    mut commands: mpsc::Receiver<BotCommand>,
) -> Result<u64, BotError> {
    let mut steps = 0;
    loop {
        for _ in 0..MAX_SETTLE_STEPS {
            let result = bot.step().await;
            record_step(bot, &result).await;
            steps += 1;
            if result?.quiescent() {
                break;
            }
        }
        while let Ok(command) = commands.try_recv() {
            handle(bot, command).await;
        }
        serve_queue(bot).await;
        if *stop.borrow() || !feed() {
            return Ok(steps);
        }
        tokio::task::yield_now().await;
    }
}
