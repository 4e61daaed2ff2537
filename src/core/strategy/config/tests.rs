use super::fixtures::shipped_example;
use super::*;
use rust_decimal_macros::dec;

const EXAMPLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/config/strategy.example.toml"
));
const EXPLICIT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/config/strategy.explicit.example.toml"
));

/// Only the required keys.
const MINIMAL: &str = r#"
symbol = "SOLUSDC"
quote_budget = 1000
[levels]
count = 5
first_step_pct = 1
step_scale = 1.5
volume_scale = 1.3
"#;

fn toml_error(text: &str) -> (String, String, Option<usize>) {
    match StrategyConfig::from_toml_str(text) {
        Err(ConfigError::Toml {
            path,
            message,
            line,
            ..
        }) => (path, message, line),
        other => panic!("expected a TOML error, got {other:?}"),
    }
}

#[test]
fn example_file_is_the_worked_example() {
    // The worked example of .spec/strategy.md §6 with the shipped stop (`shipped_example`).
    assert_eq!(
        StrategyConfig::from_toml_str(EXAMPLE).unwrap(),
        shipped_example()
    );
}

#[test]
fn omitted_optional_keys_take_the_brief_example_values() {
    // The brief's values, except the shipped stop (`omitted_hard_stop_and_trail_down_…`).
    assert_eq!(
        StrategyConfig::from_toml_str(MINIMAL).unwrap(),
        shipped_example()
    );
}

#[test]
fn explicit_example_reads_levels_extension_and_strings() {
    let cfg = StrategyConfig::from_toml_str(EXPLICIT).unwrap();
    assert_eq!(cfg.quote_budget, Quote::new(dec!(600.00)));
    assert_eq!(cfg.max_open_buys, Some(3));
    let LevelsConfig::Explicit(levels) = &cfg.levels else {
        panic!("expected explicit levels, got {:?}", cfg.levels)
    };
    let drops: Vec<_> = levels.iter().map(|l| l.drop_pct.get()).collect();
    assert_eq!(drops, [dec!(1.5), dec!(3), dec!(5.5), dec!(9)]);
    let weights: Vec<_> = levels.iter().map(|l| l.weight).collect();
    assert_eq!(weights, [dec!(1), dec!(1.5), dec!(2), dec!(3)]);
    assert_eq!(
        cfg.extension,
        Some(ExtensionConfig {
            budget_pct: Pct::new(dec!(25)),
            levels: 2,
            step_pct: Pct::new(dec!(3.5)),
        })
    );
    assert_eq!(cfg.fee_pct, Pct::new(dec!(0.075)));
}

#[test]
fn explicit_level_weight_defaults_to_one() {
    let text = format!(
        "{}\n[[levels]]\ndrop_pct = 2\n",
        "symbol = \"SOLUSDC\"\nquote_budget = 10"
    );
    let cfg = StrategyConfig::from_toml_str(&text).unwrap();
    assert_eq!(
        cfg.levels,
        LevelsConfig::Explicit(vec![LevelDef {
            drop_pct: Pct::new(dec!(2)),
            weight: Decimal::ONE,
        }])
    );
}

#[test]
fn decimals_are_read_exactly_from_their_text() {
    struct Case {
        label: &'static str,
        written: &'static str,
        expected: Decimal,
    }
    let cases = [
        Case {
            label: "float 0.1 is exactly one tenth",
            written: "0.1",
            expected: dec!(0.1),
        },
        Case {
            label: "float keeps its written scale",
            written: "3.0",
            expected: dec!(3.0),
        },
        Case {
            label: "more digits than a binary float holds",
            written: "0.12345678901234567891",
            expected: dec!(0.12345678901234567891),
        },
        Case {
            label: "underscores",
            written: "1_000.000_1",
            expected: dec!(1000.0001),
        },
        Case {
            label: "exponent",
            written: "15e-1",
            expected: dec!(1.5),
        },
        Case {
            label: "string",
            written: "\"0.30000000000000001\"",
            expected: dec!(0.30000000000000001),
        },
        Case {
            label: "integer",
            written: "2",
            expected: dec!(2),
        },
    ];
    for case in cases {
        let text = format!("{MINIMAL}\n");
        let text = text.replace(
            "quote_budget = 1000",
            &format!("quote_budget = 1000\ntp1_pct = {}", case.written),
        );
        let cfg =
            StrategyConfig::from_toml_str(&text).unwrap_or_else(|e| panic!("{}: {e}", case.label));
        assert_eq!(cfg.tp1_pct.get(), case.expected, "{}", case.label);
        // Same value *and* same scale: nothing went through a binary float.
        assert_eq!(
            cfg.tp1_pct.get().to_string(),
            case.expected.to_string(),
            "{}",
            case.label
        );
    }
}

#[test]
fn toml_errors_name_the_key_path_and_what_was_expected() {
    struct Case {
        label: &'static str,
        text: String,
        path: &'static str,
        message_has: &'static str,
        line: Option<usize>,
    }
    let with = |extra: &str| MINIMAL.replace("quote_budget = 1000", extra);
    let cases = [
        Case {
            label: "unknown top-level key (typo)",
            text: with("quote_budget = 1000\ntp1_pcnt = 2"),
            path: "tp1_pcnt",
            message_has: "unknown field `tp1_pcnt`",
            line: Some(4),
        },
        Case {
            label: "unknown key in the generator",
            text: format!("{MINIMAL}steps = 3\n"),
            path: "levels.steps",
            message_has: "unknown field `steps`",
            line: Some(9),
        },
        Case {
            label: "unknown key in an explicit level",
            text: "symbol = \"SOLUSDC\"\nquote_budget = 10\n[[levels]]\ndrop_pct = 2\nwieght = 1\n"
                .into(),
            path: "levels[0].wieght",
            message_has: "unknown field `wieght`",
            line: Some(5),
        },
        Case {
            label: "unknown key in the extension",
            text: format!(
                "{MINIMAL}[extension]\nbudget_pct = 10\nlevels = 1\nstep_pct = 2\nreserve = 1\n"
            ),
            path: "extension.reserve",
            message_has: "unknown field `reserve`",
            line: Some(13),
        },
        Case {
            label: "missing required key",
            text: MINIMAL.replace("symbol = \"SOLUSDC\"\n", ""),
            path: "",
            message_has: "missing field `symbol`",
            line: None,
        },
        Case {
            label: "missing generator key",
            text: MINIMAL.replace("step_scale = 1.5\n", ""),
            path: "levels",
            message_has: "missing field `step_scale`",
            line: None,
        },
        Case {
            label: "wrong type for a decimal",
            text: with("quote_budget = true"),
            path: "quote_budget",
            message_has: "invalid type: boolean `true`",
            line: Some(3),
        },
        Case {
            label: "text that is no number",
            text: with("quote_budget = \"lots\""),
            path: "quote_budget",
            message_has: "\"lots\"",
            line: Some(3),
        },
        Case {
            label: "float where a whole number is expected",
            text: MINIMAL.replace("count = 5", "count = 5.0"),
            path: "levels.count",
            message_has: "invalid type: float `5.0`, expected u16",
            line: Some(5),
        },
        Case {
            label: "negative level count",
            text: MINIMAL.replace("count = 5", "count = -1"),
            path: "levels.count",
            message_has: "-1",
            line: Some(5),
        },
        Case {
            label: "levels neither table nor list",
            text: "symbol = \"SOLUSDC\"\nquote_budget = 10\nlevels = 5\n".into(),
            path: "levels",
            message_has: "a generator table `[levels]`",
            line: Some(3),
        },
        Case {
            label: "bad symbol",
            text: MINIMAL.replace("\"SOLUSDC\"", "\"SOL USDC\""),
            path: "symbol",
            message_has: "not a valid symbol",
            line: Some(2),
        },
        Case {
            label: "not TOML at all",
            text: with("quote_budget = = 3"),
            path: "",
            message_has: "",
            line: Some(3),
        },
    ];
    for case in cases {
        let (path, message, line) = toml_error(&case.text);
        assert_eq!(path, case.path, "{}: {message}", case.label);
        assert!(
            message.contains(case.message_has),
            "{}: `{message}` lacks `{}`",
            case.label,
            case.message_has
        );
        if case.line.is_some() {
            assert_eq!(line, case.line, "{}: {message}", case.label);
        }
    }
}

#[test]
fn toml_error_display_names_path_message_and_line() {
    let text = MINIMAL.replace("count = 5", "count = \"five\"");
    let err = StrategyConfig::from_toml_str(&text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "levels.count: invalid type: string \"five\", expected u16 (line 5, column 9)"
    );
    assert_eq!(err.key(), "levels.count");
    assert_eq!(err.rule(), None);
}

#[test]
fn frozen_json_round_trips() {
    for text in [EXAMPLE, EXPLICIT] {
        let cfg = StrategyConfig::from_toml_str(text).unwrap();
        let json = serde_json::to_string(&cfg).unwrap();
        let back: StrategyConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cfg);
    }
}

#[test]
fn trail_keys_are_read_and_a_bad_trail_down_names_the_key() {
    let text =
        format!("{MINIMAL_TOP}trail_up_max_pct = 40.5\ntrail_down = \"stop\"\n{MINIMAL_LEVELS}");
    let cfg = StrategyConfig::from_toml_str(&text).unwrap();
    assert_eq!(cfg.trail_up_max_pct, Some(Pct::new(dec!(40.5))));
    assert_eq!(cfg.trail_down, TrailDown::Stop);
    assert_eq!(cfg.trail_down_max_pct, None);
    let text =
        format!("{MINIMAL_TOP}trail_down = \"follow\"\ntrail_down_max_pct = 30\n{MINIMAL_LEVELS}");
    let cfg = StrategyConfig::from_toml_str(&text).unwrap();
    assert_eq!(cfg.trail_down, TrailDown::Follow);
    assert_eq!(cfg.trail_down_max_pct, Some(Pct::new(dec!(30))));
    let (path, message, line) = toml_error(&format!(
        "{MINIMAL_TOP}trail_down = \"sideways\"\n{MINIMAL_LEVELS}"
    ));
    assert_eq!(path, "trail_down");
    assert!(
        message.contains("sideways") && message.contains("follow"),
        "{message}"
    );
    assert_eq!(line, Some(3));
}

const MINIMAL_TOP: &str = "symbol = \"SOLUSDC\"\nquote_budget = 1000\n";
const MINIMAL_LEVELS: &str =
    "[levels]\ncount = 5\nfirst_step_pct = 1\nstep_scale = 1.5\nvolume_scale = 1.3\n";

/// Every file a new user starts from writes the shipped choice out (not by omission), and it
/// is what the keys default to.
#[test]
fn shipped_files_carry_the_shipped_choice() {
    #[derive(Deserialize)]
    struct Choice {
        hard_stop_pct: Pct,
        trail_down: TrailDown,
    }
    let files = [
        (
            "backtest.toml",
            include_str!("../../../../config/backtest.toml"),
        ),
        (
            "backtest-near.toml",
            include_str!("../../../../config/backtest-near.toml"),
        ),
        ("strategy.example.toml", EXAMPLE),
        (
            "portfolio-grid.toml",
            include_str!("../../../../config/portfolio-grid.toml"),
        ),
    ];
    for (name, text) in files {
        let choice: Choice = toml_text::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (choice.hard_stop_pct, choice.trail_down),
            (defaults::hard_stop_pct(), TrailDown::default()),
            "{name}"
        );
    }
}
