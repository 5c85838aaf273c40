//! `chiso config check`: the settings read exactly as `chiso serve` reads them (file,
//! environment, flags; docs/operations.md and deploy/chiso.toml list them), then each checked
//! without starting: the files the start reads, the database (reachable, migrations to apply),
//! the data folder (writable). Prints the effective settings with secrets hidden, and every
//! problem found; exits 1 when there is one.

use std::path::Path;

use chiso_store::Db;
use chiso_web::Config;

use crate::cli::ServerArgs;
use crate::error::CliError;
use crate::server::{failed, load_config, runtime};

pub fn check(args: &ServerArgs) -> Result<(), CliError> {
    let config = load_config(args)?;
    print_settings(&config);
    let mut problems = Vec::new();
    if let Err(error) = chiso_web::check_settings(&config) {
        problems.push(format!("{error:#}"));
    }
    match writable(&config.data_dir) {
        Ok(()) => println!("ok    data_dir {} is writable", config.data_dir.display()),
        Err(problem) => problems.push(problem),
    }
    match runtime()?.block_on(database(&config)) {
        Ok(line) => println!("ok    {line}"),
        Err(problem) => problems.push(problem),
    }
    if problems.is_empty() {
        println!("The settings are ready for chiso serve.");
        return Ok(());
    }
    for problem in &problems {
        println!("error {problem}");
    }
    Err(failed(format!(
        "{} problem(s) in the settings",
        problems.len()
    )))
}

/// The effective settings, one per line; the database password and the tokens are not shown.
fn print_settings(config: &Config) {
    let shown = |value: &Option<String>| match value {
        Some(_) => "(set)".to_string(),
        None => "(not set)".to_string(),
    };
    let path = |value: &Option<std::path::PathBuf>| {
        value
            .as_ref()
            .map_or("(not set)".to_string(), |p| p.display().to_string())
    };
    let lines = [
        ("bind", config.bind.to_string()),
        ("database_url", chiso_web::redact(&config.database_url)),
        ("demo_data", config.demo_data.to_string()),
        (
            "public_url",
            config.public_url.clone().unwrap_or("(not set)".into()),
        ),
        ("secure_cookies", config.secure_cookies.to_string()),
        ("trusted_proxies", format!("{:?}", config.trusted_proxies)),
        ("session_hours", config.session_hours.to_string()),
        (
            "session_absolute_hours",
            config.session_absolute_hours.to_string(),
        ),
        ("password_checks", config.password_checks.to_string()),
        (
            "max_upload_mb",
            (config.max_upload_bytes / (1024 * 1024)).to_string(),
        ),
        ("lockout_failures", config.lockout_failures.to_string()),
        ("lockout_minutes", config.lockout_minutes.to_string()),
        (
            "ip_failures_per_15_minutes",
            config.ip_failures_per_15_minutes.to_string(),
        ),
        ("data_dir", config.data_dir.display().to_string()),
        (
            "survey_submissions_per_minute",
            config.survey_submissions_per_minute.to_string(),
        ),
        (
            "survey_group_commit",
            config.survey_group_commit.to_string(),
        ),
        (
            "smtp_url",
            shown(&config.smtp_url.as_ref().map(|u| chiso_web::redact(u))),
        ),
        ("mail_from", config.mail_from.clone()),
        ("notice_minutes", config.notice_minutes.to_string()),
        ("authority_name", config.authority_name.clone()),
        ("authority_logo", path(&config.authority_logo)),
        (
            "province",
            config.province_code.clone().unwrap_or("(none)".into()),
        ),
        (
            "index_weighting",
            format!("{:?}", config.index_weighting).to_lowercase(),
        ),
        ("population_file", path(&config.population_file)),
        ("metrics_token", shown(&config.metrics_token)),
        (
            "log_format",
            format!("{:?}", config.log_format).to_lowercase(),
        ),
    ];
    for (key, value) in lines {
        println!("      {key:<30} {value}");
    }
}

/// Whether the data folder exists or can be made, and takes a file.
fn writable(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("data_dir {}: cannot be created: {e}", dir.display()))?;
    let probe = dir.join(format!(".chiso-check-{}", std::process::id()));
    std::fs::write(&probe, b"check")
        .map_err(|e| format!("data_dir {}: cannot be written: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Connects (SQLite: only to an existing file, so the check creates nothing) and counts the
/// migrations `serve` would apply.
async fn database(config: &Config) -> Result<String, String> {
    let url = chiso_web::redact(&config.database_url);
    if let Some(file) = sqlite_file(&config.database_url)
        && !Path::new(file).exists()
    {
        return Ok(format!(
            "database {url}: no file yet; chiso serve creates it and applies every migration"
        ));
    }
    let db = Db::connect(&config.database_url)
        .await
        .map_err(|e| format!("database {url}: {e}"))?;
    let answer = match db.ping().await {
        Err(e) => Err(format!("database {url}: {e}")),
        Ok(()) => Ok(match db.readiness().await {
            Ok(missing) => format!(
                "database {url} answers; {} migration(s) to apply on start",
                missing.len()
            ),
            // No migration table: a database chiso has not used yet.
            Err(_) => format!("database {url} answers; empty: chiso serve applies every migration"),
        }),
    };
    db.close().await;
    answer
}

/// The file of an `sqlite://` URL (without its `?options`), unless in memory.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or(rest);
    (!file.is_empty() && file != ":memory:").then_some(file)
}
