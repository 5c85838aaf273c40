//! Browser tests: the `chiso` binary serves a fresh database (SQLite, and PostgreSQL when
//! reachable) and a Playwright story in `e2e/` drives Debian's headless Chromium through it.
//! Screenshots are kept in `e2e/artifacts/`. Without Node's `playwright-core` (npm install in
//! `e2e/`) or `/usr/bin/chromium` the tests say they were skipped; under CI they fail instead.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chiso_store::testing::{self, TestDb};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Whether the browser tooling is installed; a notice (or, under CI, a failure) when not.
fn tooling_ready() -> bool {
    let root = repo_root();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let missing: Vec<String> = [
        (
            root.join("e2e/node_modules/playwright-core").exists(),
            "e2e/node_modules/playwright-core (cd e2e && npm ci)".to_string(),
        ),
        (
            Path::new(&chromium).exists(),
            format!("{chromium} (apt-get install chromium)"),
        ),
        (
            Command::new("node").arg("--version").output().is_ok(),
            "node".to_string(),
        ),
    ]
    .into_iter()
    .filter(|(present, _)| !present)
    .map(|(_, what)| what)
    .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("browser tests need {} under CI", missing.join(", "));
    }
    eprintln!(
        "\n*** Browser tests SKIPPED: missing {}. ***\n",
        missing.join(", ")
    );
    false
}

/// A running `chiso serve`, killed when dropped.
struct Server {
    child: Child,
    url: String,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(database_url: &str) -> Server {
    let dir = std::env::temp_dir().join(format!(
        "chiso-e2e-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ])
        .current_dir(&dir)
        .env("CHISO_DATA_DIR", dir.join("data"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("chiso starts");
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(at) = line.find("http://") {
                let _ = sender.send(line[at..].trim().trim_end_matches('/').to_string());
            }
        }
    });
    let url = receiver
        // A debug build seeds the demo (two campaigns, one published) in about half a minute
        // on PostgreSQL; a busy CI machine gets three.
        .recv_timeout(Duration::from_secs(180))
        .expect("chiso prints its URL within three minutes");
    Server {
        child,
        url,
        _dir: TempDir(dir),
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Runs `e2e/<story>.mjs` against a fresh server on every backend.
fn run_story(story: &str) {
    if !tooling_ready() {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut databases: Vec<TestDb> = vec![runtime.block_on(testing::empty_sqlite())];
    databases.extend(runtime.block_on(testing::empty_postgres()));
    for database in &databases {
        let backend = format!("{:?}", database.backend()).to_lowercase();
        let server = start_server(&database.url);
        let started = Instant::now();
        let output = Command::new("node")
            .arg(repo_root().join("e2e").join(format!("{story}.mjs")))
            .arg(&server.url)
            .env(
                "CHISO_E2E_ARTIFACTS",
                repo_root().join("e2e/artifacts").join(&backend),
            )
            .output()
            .expect("node runs");
        println!(
            "{story} on {backend}: {:.1} s",
            started.elapsed().as_secs_f64()
        );
        println!("{}", String::from_utf8_lossy(&output.stdout));
        assert!(
            output.status.success(),
            "{story} failed on {backend}:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn secretariat_creates_and_opens_a_campaign() {
    run_story("campaign");
}

#[test]
fn the_whole_assessment_story() {
    run_story("assessment");
}

#[test]
fn a_citizen_answers_a_token_link_on_a_phone() {
    run_story("survey");
}

#[test]
fn secretariat_imports_national_indices_and_sets_targets() {
    run_story("indices-import");
}

#[test]
fn the_leadership_reads_the_national_indices_on_desktop_and_phone() {
    run_story("indices");
}

#[test]
fn an_improvement_plan_goes_from_results_to_effects() {
    run_story("plans");
}
