//! The core stays pure: no I/O crates, no clock, no randomness, no floats in `src/core`.

use std::path::Path;

const FORBIDDEN: &[&str] = &[
    "tokio",
    "sqlx",
    "reqwest",
    "axum",
    "hyper",
    "std::fs",
    "std::net",
    "std::time",
    "SystemTime",
    "Instant",
    "Utc::now",
    "Local::now",
    "rand::",
    "std::env",
    "std::process",
    "f32",
    "f64",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_word_at(line: &str, idx: usize, word: &str) -> bool {
    let before = line[..idx].chars().next_back();
    let after = line[idx + word.len()..].chars().next();
    let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    !ident(before) && (word.ends_with(':') || !ident(after))
}

#[test]
fn core_has_no_io_clock_randomness_or_floats() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/core"),
        &mut files,
    );
    assert!(!files.is_empty());
    let mut offences = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in FORBIDDEN {
                for (idx, _) in code.match_indices(word) {
                    if is_word_at(code, idx, word) {
                        offences.push(format!(
                            "{}:{}: `{word}` in `{}`",
                            file.display(),
                            n + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "the core must stay pure:\n{}",
        offences.join("\n")
    );
}
