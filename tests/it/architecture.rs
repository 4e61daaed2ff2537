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

/// Every `.rs` file under `dir`, recursively (shared with `deploy_files`).
pub(crate) fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
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

/// The dashboard's layers (`src/apps/dashboard/mod.rs`), lowest first. A module may import
/// only from its own layer's modules listed before it or from lower layers, so the imports
/// form no circle and the views never reach up into the routes.
const DASHBOARD_LAYERS: &[&[&str]] = &[
    &[
        "error",
        "format",
        "pair",
        "limiter",
        "auth",
        "flash",
        "i18n",
        "ledger",
        "filters",
        "grids",
        "correlation",
        "legend",
    ],
    &["view", "journal", "detail", "chart", "stats", "overview"],
    &["market", "read", "grid_read", "events"],
    &["state"],
    &[
        "pages",
        "actions",
        "api",
        "stream",
        "export",
        "grid_pages",
        "grid_actions",
    ],
    &["mod"],
];

fn dashboard_rank(module: &str) -> Option<(usize, usize)> {
    DASHBOARD_LAYERS
        .iter()
        .enumerate()
        .find_map(|(layer, names)| {
            names
                .iter()
                .position(|n| *n == module)
                .map(|pos| (layer, pos))
        })
}

/// The dashboard modules a line of code names (`super::x`, `crate::apps::dashboard::x`).
fn dashboard_refs(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in ["super::", "crate::apps::dashboard::"] {
        for (idx, _) in code.match_indices(prefix) {
            let rest = &code[idx + prefix.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

#[test]
fn dashboard_modules_import_only_downwards() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/apps/dashboard");
    let mut offences = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let module = path.file_stem().unwrap().to_str().unwrap().to_string();
        let Some(own) = dashboard_rank(&module) else {
            offences.push(format!("{module}.rs is in no layer of DASHBOARD_LAYERS"));
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        // Unit tests (`mod tests` at the end) may use anything of their own module.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains("crate::apps::trade") || code.contains("crate::apps::paper") {
                offences.push(format!(
                    "{module}.rs:{}: the dashboard imports the commands that start it",
                    n + 1
                ));
            }
            for name in dashboard_refs(code) {
                let Some(theirs) = dashboard_rank(&name) else {
                    continue;
                };
                if module != "mod" && theirs >= own {
                    offences.push(format!(
                        "{module}.rs:{}: imports `{name}`, which is not below it",
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "dashboard layering broken:\n{}",
        offences.join("\n")
    );
}

/// The `core` module a path inside `src/core` names: a top-level file module (`order`), or
/// a folder module's child (`strategy::config`), since a folder is a family of modules.
fn core_node(core: &Path, parts: &[&str]) -> Option<String> {
    let first = *parts.first()?;
    if !core.join(first).is_dir() {
        return Some(first.to_string());
    }
    match parts.get(1) {
        Some(second)
            if core.join(first).join(format!("{second}.rs")).exists()
                || core.join(first).join(second).is_dir() =>
        {
            Some(format!("{first}::{second}"))
        }
        _ => Some(first.to_string()),
    }
}

/// The `core` modules a line names through `crate::core::…`.
fn core_refs(core: &Path, code: &str) -> Vec<String> {
    code.match_indices("crate::core::")
        .filter_map(|(idx, prefix)| {
            let path: String = code[idx + prefix.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
            core_node(core, &parts)
        })
        .collect()
}

/// A circle in `graph` reachable from `node`, as the path that closes it.
fn circle_from(
    node: &str,
    graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
    path: &mut Vec<String>,
    done: &mut std::collections::BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(at) = path.iter().position(|n| n == node) {
        let mut circle = path[at..].to_vec();
        circle.push(node.to_string());
        return Some(circle);
    }
    if done.contains(node) {
        return None;
    }
    path.push(node.to_string());
    for next in graph.get(node).into_iter().flatten() {
        if let Some(circle) = circle_from(next, graph, path, done) {
            return Some(circle);
        }
    }
    path.pop();
    done.insert(node.to_string());
    None
}

/// The core's modules import each other in one direction only (as `client_id` and `order`
/// once did not: `Side` and `Slot` moved down into `slot`). A folder's children are nodes of
/// their own, a folder's `mod.rs` is the folder.
#[test]
fn core_modules_form_no_circle() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/core");
    let mut files = Vec::new();
    rust_files(&core, &mut files);
    let mut graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for file in files {
        let relative = file.strip_prefix(&core).unwrap().with_extension("");
        let parts: Vec<&str> = relative
            .components()
            .map(|c| c.as_os_str().to_str().unwrap())
            .filter(|p| *p != "mod")
            .collect();
        let Some(module) = core_node(&core, &parts) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests may use anything.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for line in code.lines() {
            let code = line.split("//").next().unwrap_or("");
            for name in core_refs(&core, code) {
                if name != module {
                    graph.entry(module.clone()).or_default().insert(name);
                }
            }
        }
    }
    let mut done = Default::default();
    for module in graph.keys() {
        if let Some(circle) = circle_from(module, &graph, &mut Vec::new(), &mut done) {
            panic!("core modules import each other: {}", circle.join(" → "));
        }
    }
}
