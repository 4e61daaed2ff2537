//! Mean reversion validation (`.spec/strategies.md` §7): the static rules, then the
//! feasibility preflight — the entry for the whole budget at the start price, and the stop's
//! sell of it net of the fee, must be orders the filters take. Fees against the expected move
//! are the plan's runtime rule (it buys only when selling at the mean clears two fees), since
//! the band's width is only known from the candles.

use super::MeanReversionConfig;
use crate::core::filters::SymbolRules;
use crate::core::money::{Price, Qty, Quote};
use crate::core::strategy::config::{ConfigError, Rule, StrategyConfig};
use crate::core::strategy::preflight::{order_fits, symbol_and_budget};
use crate::core::strategy::validate::{clears_two_fees, two_fee_detail, Checks};

/// Checks every static rule and returns all broken ones.
pub fn validate(config: &StrategyConfig, mr: &MeanReversionConfig) -> Result<(), Vec<ConfigError>> {
    let mut c = Checks::default();
    c.positive("quote_budget", config.quote_budget.get());
    if mr.window < 2 {
        let subject = format!("mean_reversion.window = {}", mr.window);
        c.push("mean_reversion.window", Rule::AtLeastTwo, subject, None);
    }
    c.positive("mean_reversion.entry_z", mr.entry_z);
    c.pct_between_0_and_100("mean_reversion.stop_loss_pct", mr.stop_loss_pct);
    c.pct_between_0_and_100("exit_slippage_pct", config.exit_slippage_pct);
    let fee = config.fee_pct;
    // The take profit against two fees only once the fee itself is valid.
    if let (true, Some(tp)) = (c.fee(fee), mr.take_profit_pct) {
        let key = "mean_reversion.take_profit_pct";
        if c.positive(key, tp.get()) && clears_two_fees(tp.up_factor(), fee) != Some(true) {
            let subject = format!("{key} = {tp}, fee_pct = {fee}");
            c.push(key, Rule::ClearsTwoFees, subject, Some(two_fee_detail(fee)));
        }
    }
    c.finish()
}

/// The feasibility preflight at the start price `anchor`. Run [`validate`] first.
pub fn validate_for_market(
    config: &StrategyConfig,
    mr: &MeanReversionConfig,
    rules: Option<&SymbolRules>,
    anchor: Price,
    free_quote: Option<Quote>,
) -> Result<(), Vec<ConfigError>> {
    let mut c = Checks::default();
    if let Some(rules) = symbol_and_budget(&mut c, config, rules, anchor, free_quote) {
        let filters = &rules.filters;
        let price = filters.round_price_down(anchor);
        if price.is_positive() {
            let qty = filters.round_qty_down(Qty::new(config.quote_budget.get() / price.get()));
            order_fits(
                &mut c,
                "quote_budget",
                &format!("entry at {price}"),
                qty,
                price,
                filters,
            );
            // The stop's EXIT: below the stop by the exit slippage, of the buy net of its fee.
            let stop_factor =
                mr.stop_loss_pct.down_factor() * config.exit_slippage_pct.down_factor();
            let stop = filters.round_price_down(anchor.scale(stop_factor));
            let net = qty.scale(config.fee_pct.down_factor());
            let what = format!("stop exit at {stop}");
            order_fits(&mut c, "quote_budget", &what, net, stop, filters);
        }
    }
    c.finish()
}
