//! The deployment files agree with the binary: `docker-compose.yml`, `.env.example`, the
//! `Dockerfile` and `deploy/` use only subcommands and flags the command line accepts (parsed
//! with the real `Cli`), only environment variables the program reads, and one dashboard port
//! throughout. A renamed flag, variable or port fails here instead of on a server.

use crate::harness::root;
use binance_trader::adapters::binance::credentials::{
    ENV_API_KEY, ENV_API_SECRET, ENV_PRIVATE_KEY_PATH,
};
use binance_trader::adapters::secret_env::{file_var, SECRET_VARS};
use binance_trader::apps::cli::Cli;
use binance_trader::apps::settings_file::ENV_OVERRIDES;
use clap::{CommandFactory, Parser};
use serde_yaml::Value;
use std::collections::BTreeSet;

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn compose() -> Value {
    serde_yaml::from_str(&read("docker-compose.yml")).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .unwrap_or_else(|| panic!("not a list: {v:?}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Parses `args` (without the program name) with the real command line.
fn parses(args: &[String], place: &str) -> Cli {
    let argv = std::iter::once("binance-trader".to_string()).chain(args.iter().cloned());
    Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{place}: `{}`: {e}", args.join(" ")))
}

/// Every variable the program reads: clap's `env` of every argument, the bot configuration's
/// overrides, the credentials, the `…_FILE` twin of every secret, and the log filter.
fn variables_read() -> BTreeSet<String> {
    fn walk(cmd: &clap::Command, out: &mut BTreeSet<String>) {
        for arg in cmd.get_arguments() {
            if let Some(env) = arg.get_env() {
                out.insert(env.to_string_lossy().into_owned());
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, out);
        }
    }
    let mut out = BTreeSet::new();
    walk(&Cli::command(), &mut out);
    out.extend(ENV_OVERRIDES.iter().map(|v| v.to_string()));
    out.extend([ENV_API_KEY, ENV_API_SECRET, ENV_PRIVATE_KEY_PATH].map(String::from));
    out.extend(SECRET_VARS.iter().map(|v| file_var(v)));
    out.insert(tracing_subscriber::EnvFilter::DEFAULT_ENV.to_string());
    out
}

/// The port of a `host:port` or URL.
fn port_of(text: &str) -> u16 {
    let after_host = text.rsplit(':').next().unwrap();
    let digits: String = after_host
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no port in {text}"))
}

/// `${NAME…}` references of a text.
fn references(text: &str) -> BTreeSet<String> {
    text.split("${")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// `NAME=` lines of `.env.example`.
fn env_example() -> BTreeSet<String> {
    read(".env.example")
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
        .collect()
}

/// A Dockerfile instruction's JSON array (`CMD ["a", "b"]`), lines joined at `\`.
fn dockerfile_array(instruction: &str) -> Vec<String> {
    let text = read("Dockerfile").replace("\\\n", " ");
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{instruction} ")))
        .unwrap_or_else(|| panic!("no {instruction} in the Dockerfile"));
    let json = &line[line.find('[').unwrap()..=line.rfind(']').unwrap()];
    serde_json::from_str(json).unwrap()
}

#[test]
fn compose_commands_parse_with_the_real_command_line() {
    let c = compose();
    let bot = &c["services"]["bot"];
    let cli = parses(&strings(&bot["command"]), "docker-compose.yml bot.command");
    assert!(matches!(
        cli.command,
        binance_trader::apps::cli::Command::Run(_)
    ));
    let health = strings(&bot["healthcheck"]["test"]);
    assert_eq!(health[..2], ["CMD", "binance-trader"], "{health:?}");
    parses(&health[2..], "docker-compose.yml bot.healthcheck");
}

#[test]
fn compose_sets_only_variables_the_program_reads() {
    let c = compose();
    let known = variables_read();
    let env = c["services"]["bot"]["environment"].as_mapping().unwrap();
    for key in env.keys() {
        let key = key.as_str().unwrap();
        assert!(
            known.contains(key),
            "docker-compose.yml sets {key}, which nothing reads; known: {known:?}"
        );
    }
    for needed in [
        "DATABASE_URL",
        ENV_API_KEY,
        ENV_API_SECRET,
        "DASHBOARD_PASSWORD_HASH",
    ] {
        assert!(
            env.contains_key(needed) || env.contains_key(file_var(needed).as_str()),
            "the bot service needs {needed} or {needed}_FILE"
        );
    }
}

#[test]
fn compose_hands_the_keys_over_as_secret_files_kept_out_of_git_and_the_image() {
    let c = compose();
    let bot = &c["services"]["bot"];
    let env = bot["environment"].as_mapping().unwrap();
    let mounted = strings(&bot["secrets"]);
    for var in [ENV_API_KEY, ENV_API_SECRET, "DASHBOARD_PASSWORD_HASH"] {
        assert!(
            !env.contains_key(var),
            "{var} in plain text: use {var}_FILE"
        );
        let path = env[file_var(var).as_str()]
            .as_str()
            .unwrap_or_else(|| panic!("the bot service needs {var}_FILE"));
        let name = path
            .strip_prefix("/run/secrets/")
            .unwrap_or_else(|| panic!("{var}_FILE={path}: not a compose secret"));
        assert!(mounted.iter().any(|m| m == name), "{name} is not mounted");
        let file = c["secrets"][name]["file"]
            .as_str()
            .unwrap_or_else(|| panic!("secret {name} has no file"));
        assert!(file.starts_with("./secrets/"), "{name}: {file}");
    }
    for ignore in [".gitignore", ".dockerignore"] {
        assert!(
            read(ignore)
                .lines()
                .any(|l| l.trim().trim_start_matches('/') == "secrets"),
            "{ignore} must keep secrets/ out"
        );
    }
}

#[test]
fn env_example_and_compose_name_the_same_variables() {
    let referenced = references(&read("docker-compose.yml"));
    let example = env_example();
    assert_eq!(
        referenced, example,
        "docker-compose.yml's ${{…}} references and .env.example's variables differ"
    );
}

#[test]
fn one_dashboard_port_everywhere() {
    let c = compose();
    let bot = &c["services"]["bot"];
    let command = strings(&bot["command"]);
    let listen = &command[command.iter().position(|a| a == "--dashboard").unwrap() + 1];
    let port = port_of(listen);
    let health = strings(&bot["healthcheck"]["test"]);
    assert_eq!(
        port_of(health.last().unwrap()),
        port,
        "compose health check"
    );
    let image_health = dockerfile_array("HEALTHCHECK");
    assert_eq!(
        port_of(image_health.last().unwrap()),
        port,
        "Dockerfile HEALTHCHECK"
    );
    let expose = read("Dockerfile")
        .lines()
        .find_map(|l| l.strip_prefix("EXPOSE "))
        .map(|p| p.trim().parse::<u16>().unwrap());
    assert_eq!(expose, Some(port), "Dockerfile EXPOSE");
    let caddy = read("deploy/Caddyfile");
    assert!(
        caddy.contains(&format!("reverse_proxy bot:{port}")),
        "deploy/Caddyfile's upstream"
    );
    // Paper's default and the bot configuration's default listen port are the same one.
    let paper = parses(&["paper".into()], "default paper");
    match paper.command {
        binance_trader::apps::cli::Command::Paper(a) => assert_eq!(a.dashboard.port(), port),
        _ => unreachable!(),
    }
    let file = binance_trader::apps::settings_file::BotFile::parse("", &|_| None).unwrap();
    assert_eq!(file.dashboard.listen.port(), port);
}

#[test]
fn the_image_runs_the_real_command_line_as_a_non_root_user() {
    let entry = dockerfile_array("ENTRYPOINT");
    assert_eq!(entry, ["binance-trader"]);
    parses(&dockerfile_array("CMD"), "Dockerfile CMD");
    // `HEALTHCHECK … CMD ["binance-trader", …]`: the array is the command itself.
    let health = dockerfile_array("HEALTHCHECK");
    assert_eq!(health[0], "binance-trader", "{health:?}");
    parses(&health[1..], "Dockerfile HEALTHCHECK");
    let dockerfile = read("Dockerfile");
    let user = dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("USER "))
        .next_back()
        .expect("a USER instruction");
    assert!(
        !user.starts_with("root") && !user.starts_with("0"),
        "USER {user}"
    );
    for secret in [ENV_API_KEY, ENV_API_SECRET, "DASHBOARD_PASSWORD_HASH"] {
        assert!(
            !dockerfile
                .lines()
                .any(|l| (l.starts_with("ENV ") || l.starts_with("ARG ")) && l.contains(secret)),
            "the Dockerfile bakes {secret} into the image"
        );
    }
    let ignored = read(".dockerignore");
    assert!(
        ignored.lines().any(|l| l.trim() == ".env"),
        ".dockerignore must keep .env out"
    );
}

#[test]
fn the_systemd_unit_runs_the_real_command_line() {
    let unit = read("deploy/binance-trader.service");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let mut words: Vec<String> = exec.split_whitespace().map(String::from).collect();
    assert!(words.remove(0).ends_with("/binance-trader"));
    parses(&words, "deploy/binance-trader.service ExecStart");
    assert!(unit
        .lines()
        .any(|l| l.starts_with("User=") && l != "User=root"));
}

/// The top-level folders that the shipped binary embeds at compile time: every
/// `include_str!`/`include_bytes!` path in `src/` outside test code, plus askama's `templates/`.
fn embedded_folders() -> BTreeSet<String> {
    let root = root();
    let mut files = Vec::new();
    crate::architecture::rust_files(&root.join("src"), &mut files);
    let mut folders = BTreeSet::from(["templates".to_string()]);
    for file in files {
        let relative = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        if relative.ends_with("tests.rs") || relative.contains("/tests/") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Test modules sit at the end of a file; what follows `#[cfg(test)]` is not shipped.
        let shipped = text.split("#[cfg(test)]").next().unwrap_or_default();
        let after = |macro_call| shipped.split(macro_call).skip(1);
        for piece in after("include_str!(").chain(after("include_bytes!(")) {
            // `concat!(env!("CARGO_MANIFEST_DIR"), "/x")` names the root first, then the path.
            let literal = piece
                .split('"')
                .skip(1)
                .step_by(2)
                .find(|l| *l != "CARGO_MANIFEST_DIR")
                .expect("a string literal");
            let target = if let Some(from_root) = literal.strip_prefix('/') {
                root.join(from_root)
            } else {
                file.parent().unwrap().join(literal)
            };
            let target = target
                .canonicalize()
                .unwrap_or_else(|e| panic!("{relative}: {literal}: {e}"));
            let inside = target.strip_prefix(root.canonicalize().unwrap()).unwrap();
            let top = inside.components().next().unwrap();
            folders.insert(top.as_os_str().to_string_lossy().to_string());
        }
    }
    folders
}

#[test]
fn the_image_build_copies_everything_the_binary_embeds() {
    let dockerfile = read("Dockerfile");
    let build_stage = dockerfile
        .split("\nFROM ")
        .nth(1)
        .expect("a build stage after the first FROM");
    let copied: BTreeSet<&str> = build_stage
        .lines()
        .filter_map(|l| l.strip_prefix("COPY "))
        .filter(|l| !l.starts_with("--from"))
        .flat_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words[..words.len() - 1].to_vec()
        })
        .collect();
    let embedded = embedded_folders();
    assert!(
        embedded.contains("locales") && embedded.contains("assets"),
        "{embedded:?}"
    );
    for folder in &embedded {
        assert!(
            copied.contains(folder.as_str()),
            "the binary embeds {folder}/ but the Dockerfile's build stage does not COPY it \
             (copied: {copied:?})"
        );
    }
}
