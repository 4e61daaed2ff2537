//! askama filters of the dashboard templates (numbers and dates in the page's language,
//! [`super::i18n`]): money with a sign and two decimals, amounts, prices, percents,
//! a colour class for P&L, UTC times.

use super::i18n::{self, Lang};
use rust_decimal::Decimal;
use std::fmt::Display;
use std::str::FromStr;

fn dec(v: impl Display) -> Option<Decimal> {
    Decimal::from_str(&v.to_string()).ok()
}

/// `+4.20`, `-0.45`, `0.00` (rounded half away from zero).
pub fn money(v: impl Display, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(local(match dec(&v) {
        Some(d) => {
            let r =
                d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            if r.is_sign_positive() && !r.is_zero() {
                format!("+{r:.2}")
            } else if r.is_zero() {
                "0.00".to_string()
            } else {
                format!("{r:.2}")
            }
        }
        None => v.to_string(),
    }))
}

/// A quote amount without a sign: `1000.00`.
pub fn amount(v: impl Display, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(local(match dec(&v) {
        Some(d) => format!(
            "{:.2}",
            d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        ),
        None => v.to_string(),
    }))
}

/// `87.5%` (at most two decimals).
pub fn pct(v: impl Display, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(match dec(&v) {
        Some(d) => local(format!("{}%", d.round_dp(2).normalize())),
        None => v.to_string(),
    })
}

/// Tailwind text colour for a signed amount.
pub fn pnl_class(v: impl Display, _: &dyn askama::Values) -> askama::Result<&'static str> {
    Ok(match dec(&v) {
        Some(d) if d.is_sign_positive() && !d.is_zero() => "text-emerald-600 dark:text-emerald-400",
        Some(d) if d.is_sign_negative() && !d.is_zero() => "text-red-600 dark:text-red-400",
        _ => "",
    })
}

/// `2024-01-31 23:59` UTC from Unix ms (German: `31.01.2024 23:59`).
pub fn utc(v: &i64, _: &dyn askama::Values) -> askama::Result<String> {
    let text = crate::apps::backtest::report::utc_minute(*v);
    Ok(match (i18n::current(), text.split_once(' ')) {
        (Lang::De, Some((date, time))) => {
            let parts: Vec<&str> = date.split('-').collect();
            match parts.as_slice() {
                [y, m, d] => format!("{d}.{m}.{y} {time}"),
                _ => text,
            }
        }
        _ => text,
    })
}

/// A price or quantity as shown (already at its tick or step), written for the language.
pub fn num(v: impl Display, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(local(v.to_string()))
}

fn local(text: String) -> String {
    i18n::localize_number(&text, i18n::current())
}
