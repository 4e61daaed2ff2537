//! The strategy file and the bot configuration (TOML, written by hand: the likeliest bad
//! input of all).

use super::{assert_clear, config, repo_file, text_input};
use crate::apps::backtest::command::parse_config;
use crate::apps::settings_file::BotFile;
use proptest::prelude::*;

fn strategy_seeds() -> Vec<Vec<u8>> {
    [
        "config/backtest.toml",
        "config/strategy.example.toml",
        "config/strategy.explicit.example.toml",
    ]
    .iter()
    .map(|p| repo_file(p))
    .collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_strategy_config(text in text_input(strategy_seeds())) {
        // Parse, then the static validation the CLI runs (it reads every value).
        if let Err(e) = parse_config(&text) {
            assert_clear(&format!("{e:#}"));
        }
    }

    #[test]
    fn fuzz_bot_config(text in text_input(vec![repo_file("config/bot.toml")])) {
        let env = |name: &str| match name {
            "BOT_CHECK_INTERVAL_SECONDS" if text.len() % 3 == 0 => Some(text.chars().take(8).collect()),
            _ => None,
        };
        match BotFile::parse(&text, &env) {
            Ok(file) => {
                // What start-up does next with it.
                let _ = file.check_live(text.len() % 2 == 0);
                let _ = format!("{file:?}");
            }
            Err(e) => assert_clear(&format!("{e:#}")),
        }
    }
}
