//! Where the orders go: paper, testnet or mainnet. Its own module because both the trading
//! commands and the dashboard name it, and the dashboard must not import the commands that
//! start it.

/// Where the orders go; shown on every dashboard page and at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The simulated exchange (no money at all).
    Paper,
    /// Binance's spot testnet (test money).
    Testnet,
    /// Binance mainnet: real money.
    Mainnet,
}

impl Mode {
    /// The banner text.
    pub fn banner(self) -> &'static str {
        match self {
            Mode::Paper => "PAPER TRADING — simulated exchange, no real money",
            Mode::Testnet => "TESTNET — Binance spot testnet, test money only",
            Mode::Mainnet => "LIVE MAINNET — REAL MONEY",
        }
    }
}
