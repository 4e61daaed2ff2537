//! What the portfolio tells its dashboard: the grids (name, client-id prefix, pair), so `/`
//! becomes the portfolio overview and each grid gets its page (`.spec/dashboard.md`,
//! "Portfolio").

use super::orchestrator::Portfolio;
use crate::apps::dashboard::{GridInfo, Pair};
use crate::ports::exchange::Exchange;
use crate::ports::store::Store;

impl<E: Exchange, S: Store> Portfolio<E, S> {
    /// Every grid as the dashboard shows it, in the portfolio file's order.
    pub fn dashboard_grids(&self) -> Vec<GridInfo> {
        self.grids
            .iter()
            .map(|g| GridInfo {
                name: g.name.clone(),
                prefix: g.bot.settings().prefix.clone(),
                pair: Pair::from_rules(g.bot.rules()),
            })
            .collect()
    }
}
