//! The operator's side of the binary (docs/operations.md): `chiso config check` reads the
//! settings as `serve` does and names every problem; the documented example configuration
//! (deploy/chiso.toml) lists every setting and passes the check; `log_format = "json"` writes
//! one JSON object per line carrying the request's id.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

mod common;

fn chiso(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chiso"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("CHISO_LOG_FORMAT")
        .env_remove("CHISO_METRICS_TOKEN");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("chiso runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chiso-ops-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The settings `config check` prints: its indented `name value` lines.
fn printed_settings(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.starts_with("      ") && !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn config_check_prints_the_settings_with_secrets_hidden_and_names_each_problem() {
    let dir = scratch("check");
    std::fs::write(
        dir.join("chiso.toml"),
        "database_url = \"sqlite://check.db\"\ndata_dir = \"data\"\nmetrics_token = \"tok-0123456789abcdef\"\nlog_format = \"json\"\n",
    )
    .unwrap();
    let output = chiso(&["config", "check"], &dir, &[]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("no file yet"), "{stdout}");
    assert!(
        !dir.join("check.db").exists(),
        "the check creates no database"
    );
    assert!(stdout.contains("metrics_token") && stdout.contains("(set)"));
    assert!(!stdout.contains("tok-0123456789abcdef"), "{stdout}");
    assert!(stdout.contains("log_format") && stdout.contains("json"));
    assert!(printed_settings(&stdout).len() >= 25, "{stdout}");

    // An existing database is opened and its migrations counted.
    let migrated = chiso(&["migrate"], &dir, &[]);
    assert!(migrated.status.success(), "{}", text(&migrated.stderr));
    let output = chiso(&["config", "check"], &dir, &[]);
    assert!(
        text(&output.stdout).contains("answers; 0 migration(s) to apply"),
        "{}",
        text(&output.stdout)
    );

    // Problems found by looking: a data folder that is a file, a logo that is not there, an
    // unreachable PostgreSQL — all listed, exit 1.
    std::fs::write(dir.join("a-file"), b"x").unwrap();
    let output = chiso(
        &["config", "check"],
        &dir,
        &[
            ("CHISO_DATA_DIR", "a-file"),
            ("CHISO_AUTHORITY_LOGO", "missing-logo.png"),
            ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none"),
        ],
    );
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let errors: Vec<&str> = stdout.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 3, "{stdout}");
    assert!(
        errors.iter().any(|l| l.contains("data_dir a-file")),
        "{stdout}"
    );
    assert!(
        errors.iter().any(|l| l.contains("missing-logo.png")),
        "{stdout}"
    );
    assert!(
        errors
            .iter()
            .any(|l| l.contains("database postgres://nobody@127.0.0.1:1/none")),
        "{stdout}"
    );

    // Problems in the values themselves stop before any check (exit 2), by name.
    for (setting, problem) in [
        (
            "log_format = \"xml\"",
            "log_format: 'xml' is not text or json",
        ),
        (
            "metrics_token = \"short\"",
            "metrics_token: needs at least 16",
        ),
    ] {
        std::fs::write(dir.join("chiso.toml"), format!("{setting}\n")).unwrap();
        let output = chiso(&["config", "check"], &dir, &[]);
        assert_eq!(output.status.code(), Some(2), "{setting}");
        assert!(
            text(&output.stderr).contains(problem),
            "{}",
            text(&output.stderr)
        );
    }
}

#[test]
fn the_documented_configuration_lists_every_setting_and_passes_the_check() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/chiso.toml");
    let documented = std::fs::read_to_string(&example).expect("deploy/chiso.toml");
    let dir = scratch("example");
    let output = chiso(
        &["config", "check", "--config", example.to_str().unwrap()],
        &dir,
        &[
            // The example names a production PostgreSQL and /var/lib/chiso: here, a scratch
            // SQLite file and folder.
            ("DATABASE_URL", "sqlite://example.db"),
            ("CHISO_DATA_DIR", "data"),
        ],
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    for setting in printed_settings(&stdout) {
        let pattern = format!("{setting} =");
        assert!(
            documented
                .lines()
                .any(|l| l.trim_start_matches(['#', ' ']).starts_with(&pattern)),
            "deploy/chiso.toml does not document {setting}"
        );
    }
}

/// A GET over a fresh connection; the response's head.
fn get(addr: &str, path: &str, request_id: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nX-Request-Id: {request_id}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

#[test]
fn json_logs_carry_the_request_id_on_every_line_of_a_request() {
    let dir = scratch("json");
    let url = format!("sqlite://{}", dir.join("logs.db").display());
    let server = common::start_server(
        &url,
        &[
            ("CHISO_LOG_FORMAT", "json"),
            ("RUST_LOG", "warn,chiso_web=debug"),
        ],
        false,
    );
    let answer = get(&server.addr, "/khong-co", "opsprobe-7f3a91c2");
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let found = server
            .lines
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v["span"]["request_id"] == "opsprobe-7f3a91c2");
        if let Some(line) = found {
            break line;
        }
        assert!(
            Instant::now() < deadline,
            "{:?}",
            server.lines.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(line["message"], "answered", "{line}");
    assert_eq!(line["status"], 404, "{line}");
    assert_eq!(line["span"]["path"], "/khong-co", "{line}");
    assert!(
        line["timestamp"].is_string() && line["level"] == "DEBUG",
        "{line}"
    );
    // Every line the process wrote after its banner is JSON.
    let lines = server.lines.lock().unwrap();
    let logged: Vec<&String> = lines.iter().filter(|l| l.starts_with('{')).collect();
    assert!(!logged.is_empty());
    for l in logged {
        serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"));
    }
}
