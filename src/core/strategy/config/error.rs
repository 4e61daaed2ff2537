//! [`ConfigError`]: what is wrong with a strategy configuration, naming the key, the value and
//! the rule (`tp1_share = 80, tp2_share = 30: shares must sum to at most 100 %`).

use std::fmt;

/// The rule a configuration value breaks. Tests match on it; people read its [`Rule::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// The value must be greater than zero.
    Positive,
    /// The value must not be negative.
    NotNegative,
    /// The percentage must be below 100 %.
    Below100,
    /// The percentage must be at most 100 %.
    AtMost100,
    /// `tp1_share + tp2_share` must be at most 100 %.
    SharesSum,
    /// The grid (or the extension) needs at least one level.
    AtLeastOneLevel,
    /// The count must be at least 1.
    AtLeastOne,
    /// Explicit drops must be strictly increasing, nearest level first.
    DropsIncreasing,
    /// Generated levels must lie at least [`MIN_LEVEL_GAP_PCT`] apart.
    ///
    /// [`MIN_LEVEL_GAP_PCT`]: crate::core::strategy::validate::MIN_LEVEL_GAP_PCT
    LevelGap,
    /// The deepest drop (planned levels or extension) must be below 100 %.
    DeepestDropBelow100,
    /// The hard stop must lie below the deepest level.
    HardStopBelowDeepest,
    /// The TP floor must clear two fees.
    TpFloorClearsFees,
    /// `tp1_pct` must be at least `tp_min_pct`.
    Tp1AtLeastFloor,
    /// `tp2_pct` must be at least `tp1_pct`.
    Tp2AtLeastTp1,
    /// The trailing delta must be a whole number of BIPS (0.01 %).
    WholeBips,
    /// The trailing delta must be below the activation distance.
    TrailDeltaBelowActivation,
    /// The worst trailing-stop trigger must clear two fees (breakeven guarantee).
    TrailClearsFees,
    /// A zero reanchor cooldown with `auto_reanchor` could move the grid on every tick.
    CooldownWithAutoReanchor,
    /// Trailing up acts through the reanchor: it needs `auto_reanchor`.
    TrailUpNeedsAutoReanchor,
    /// A follow limit only means something with `trail_down = "follow"`.
    TrailDownLimitNeedsFollow,
    /// A follow limit above the hard stop would stop the grid at its first stop.
    TrailDownLimitBelowHardStop,
    /// The value is too large to compute with exactly.
    TooLarge,
    /// The exchange has no rules for this symbol.
    UnknownSymbol,
    /// The symbol is not `TRADING`.
    NotTrading,
    /// The symbol does not allow an order type the strategy places.
    OrderTypeNotAllowed,
    /// A level's price is below `PRICE_FILTER` `minPrice` (or rounds to zero).
    BelowMinPrice,
    /// A level's price is above `PRICE_FILTER` `maxPrice`.
    AboveMaxPrice,
    /// A level's quantity rounds below `LOT_SIZE` `minQty`.
    BelowMinQty,
    /// A level's quantity is above `LOT_SIZE` `maxQty`.
    AboveMaxQty,
    /// A level's notional is below the `MIN_NOTIONAL`/`NOTIONAL` minimum.
    BelowMinNotional,
    /// A level's notional is above the `NOTIONAL` maximum.
    AboveMaxNotional,
    /// Budget plus extension reserve exceed the free quote balance.
    BudgetExceedsBalance,
    /// The symbol does not allow trailing stops.
    TrailingNotAllowed,
    /// The trailing delta is outside the `TRAILING_DELTA` filter.
    TrailingDeltaOutOfRange,
    /// More open orders than `MAX_NUM_ORDERS`.
    TooManyOrders,
    /// More open stop orders than `MAX_NUM_ALGO_ORDERS`.
    TooManyAlgoOrders,
    /// A range grid's `lower` must be below its `upper`.
    RangeLowerBelowUpper,
    /// A range grid needs at least two level prices.
    RangeAtLeastTwoLevels,
    /// A range grid's step (buy level to the level above) must clear two fees.
    RangeStepClearsFees,
    /// A range grid's stop loss must lie below `lower`.
    RangeStopBelowLower,
    /// Two range levels round to the same tick.
    RangeLevelsDistinct,
    /// A window of candles must hold at least two.
    AtLeastTwo,
    /// A take profit must clear two fees.
    ClearsTwoFees,
    /// `entry = "ma_cross"` needs `fast < slow`; only it reads them.
    TrendMovingAverages,
    /// Volatility factors need `0 < min_factor ≤ 1 ≤ max_factor`.
    VolFactorBounds,
    /// `volatility.factor` is written when a basket anchors, never by hand.
    VolFactorIsFrozen,
}

impl Rule {
    /// The rule in words, as printed after the key and value.
    pub fn text(self) -> &'static str {
        use Rule::*;
        match self {
            Positive => "must be greater than zero",
            NotNegative => "must not be negative",
            Below100 => "must be below 100 %",
            AtMost100 => "must be at most 100 %",
            SharesSum => "shares must sum to at most 100 %",
            AtLeastOneLevel => "needs at least one level",
            AtLeastOne => "must be at least 1 (omit the key for no limit)",
            DropsIncreasing => "drops must be strictly increasing, nearest level first",
            LevelGap => {
                "generated levels must lie at least 0.01 % apart (a smaller step_scale collapses them)"
            }
            DeepestDropBelow100 => "the deepest level's drop must be below 100 %",
            HardStopBelowDeepest => "the hard stop must lie below the deepest level",
            TpFloorClearsFees => "the TP floor must clear two fees",
            Tp1AtLeastFloor => "tp1_pct must be at least tp_min_pct (the floor would replace it)",
            Tp2AtLeastTp1 => "tp2_pct must be at least tp1_pct",
            WholeBips => "must be a whole number of BIPS (a multiple of 0.01 %)",
            TrailDeltaBelowActivation => "trail_delta_pct must be below trail_activation_pct",
            TrailClearsFees => {
                "the trailing stop must never sell below VWAP plus two fees (breakeven guarantee)"
            }
            CooldownWithAutoReanchor => {
                "must be positive while auto_reanchor is on (the grid could move on every tick)"
            }
            TrailUpNeedsAutoReanchor => {
                "trailing up moves the grid by reanchoring: it needs auto_reanchor = true"
            }
            TrailDownLimitNeedsFollow => {
                "a follow limit needs trail_down = \"follow\" (\"stop\" never follows)"
            }
            TrailDownLimitBelowHardStop => {
                "must be at least hard_stop_pct, else the first hard stop already ends the grid \
                 (write trail_down = \"stop\" for that)"
            }
            TooLarge => "is too large to compute with",
            UnknownSymbol => "the exchange has no rules for this symbol",
            NotTrading => "the symbol is not TRADING",
            OrderTypeNotAllowed => "the symbol does not allow an order type the strategy places",
            BelowMinPrice => "level price below PRICE_FILTER minPrice",
            AboveMaxPrice => "level price above PRICE_FILTER maxPrice",
            BelowMinQty => "level quantity rounds below LOT_SIZE minQty",
            AboveMaxQty => "level quantity above LOT_SIZE maxQty",
            BelowMinNotional => "level notional below the minimum notional",
            AboveMaxNotional => "level notional above the maximum notional",
            BudgetExceedsBalance => "the budget exceeds the free quote balance",
            TrailingNotAllowed => "the symbol does not allow trailing stops",
            TrailingDeltaOutOfRange => "trailing delta outside the TRAILING_DELTA filter",
            TooManyOrders => "more open orders than MAX_NUM_ORDERS allows",
            TooManyAlgoOrders => "more open stop orders than MAX_NUM_ALGO_ORDERS allows",
            RangeLowerBelowUpper => "lower must be below upper",
            RangeAtLeastTwoLevels => "a range grid needs at least 2 levels",
            RangeStepClearsFees => {
                "each step must clear two fees (a buy and its sell one level up must profit)"
            }
            RangeStopBelowLower => "the stop loss must lie below lower",
            RangeLevelsDistinct => "two levels round to the same tick: fewer levels or a wider range",
            AtLeastTwo => "must be at least 2 candles",
            ClearsTwoFees => "must clear two fees (a buy and its sell must profit)",
            TrendMovingAverages => {
                "entry = \"ma_cross\" needs fast and slow with 1 <= fast < slow; breakout reads \
                 neither"
            }
            VolFactorBounds => "needs 0 < min_factor <= 1 <= max_factor (factor 1 trades as configured)",
            VolFactorIsFrozen => {
                "is written when a basket anchors (the frozen factor); leave it out of the file"
            }
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// Why a strategy configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The text is not TOML, or a key is unknown, missing or of the wrong type.
    #[error("{}{message}{}", key_prefix(.path), at(*.line, *.column))]
    Toml {
        /// Key path (`levels.count`, `levels[1].drop_pct`); empty for the whole document.
        path: String,
        /// What was found and what was expected.
        message: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
    },
    /// A value breaks a rule.
    #[error("{subject}: {message}")]
    Invalid {
        /// The key to change (`tp1_share`, `levels[2].drop_pct`, `levels` for a level slot).
        key: String,
        /// The rule broken.
        rule: Rule,
        /// The keys and values involved, as written (`tp1_share = 80, tp2_share = 30`).
        subject: String,
        /// The rule in words plus the numbers that break it.
        message: String,
    },
}

impl ConfigError {
    /// A broken rule; `detail` (the numbers) is appended to the rule's text in parentheses.
    pub fn invalid(
        key: impl Into<String>,
        rule: Rule,
        subject: impl Into<String>,
        detail: Option<String>,
    ) -> Self {
        let message = match detail {
            Some(d) => format!("{} ({d})", rule.text()),
            None => rule.text().to_string(),
        };
        ConfigError::Invalid {
            key: key.into(),
            rule,
            subject: subject.into(),
            message,
        }
    }

    /// The key path the error is about.
    pub fn key(&self) -> &str {
        match self {
            ConfigError::Toml { path, .. } => path,
            ConfigError::Invalid { key, .. } => key,
        }
    }

    /// The rule broken (`None` for a TOML error).
    pub fn rule(&self) -> Option<Rule> {
        match self {
            ConfigError::Toml { .. } => None,
            ConfigError::Invalid { rule, .. } => Some(*rule),
        }
    }
}

fn key_prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

fn at(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
        (Some(l), None) => format!(" (line {l})"),
        _ => String::new(),
    }
}
