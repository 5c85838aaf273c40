//! `chiso serve`, `chiso migrate`, `chiso user create`: the settings of a server, read from a
//! TOML file, then the environment, then flags.

use std::io::Read;
use std::path::{Path, PathBuf};

use chiso_domain::access::Role;
use chiso_store::users::{self, NewUser};
use chiso_store::{Actor, Db};
use chiso_web::Config;
use serde::Deserialize;

use crate::cli::{ServerArgs, UserCommand};
use crate::error::CliError;

/// The settings a file or the environment may give (all optional); flags come last.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct Settings {
    bind: Option<String>,
    database_url: Option<String>,
    demo_data: Option<bool>,
    secure_cookies: Option<bool>,
    session_hours: Option<i64>,
    trust_proxy: Option<bool>,
    /// A number of hops or a list of networks: text either way (`1` read from the environment
    /// arrives as a number).
    trusted_proxies: Option<figment::value::Value>,
    public_url: Option<String>,
    session_absolute_hours: Option<i64>,
    password_checks: Option<usize>,
    max_upload_mb: Option<usize>,
    lockout_failures: Option<i64>,
    lockout_minutes: Option<i64>,
    ip_failures_per_15_minutes: Option<i64>,
    data_dir: Option<PathBuf>,
    survey_submissions_per_minute: Option<u32>,
    survey_group_commit: Option<usize>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    notice_minutes: Option<u64>,
    authority_name: Option<String>,
    authority_logo: Option<PathBuf>,
    /// A province code: text, though `46` read from the environment arrives as a number.
    province: Option<figment::value::Value>,
    index_weighting: Option<String>,
    population_file: Option<PathBuf>,
    /// Text, though a token of digits read from the environment arrives as a number.
    metrics_token: Option<figment::value::Value>,
    log_format: Option<String>,
}

/// Every setting's key: the file's keys, and after `CHISO_` the environment's.
const KEYS: &[&str] = &[
    "bind",
    "database_url",
    "demo_data",
    "secure_cookies",
    "session_hours",
    "trust_proxy",
    "trusted_proxies",
    "public_url",
    "session_absolute_hours",
    "password_checks",
    "max_upload_mb",
    "lockout_failures",
    "lockout_minutes",
    "ip_failures_per_15_minutes",
    "data_dir",
    "survey_submissions_per_minute",
    "survey_group_commit",
    "smtp_url",
    "mail_from",
    "notice_minutes",
    "authority_name",
    "authority_logo",
    "province",
    "index_weighting",
    "population_file",
    "metrics_token",
    "log_format",
];

/// The settings in layers, each overriding the one before: the TOML file (`--config`, or
/// `./chiso.toml` when present), `DATABASE_URL`, the `CHISO_*` environment variables. A key
/// the file does not know, or a value of the wrong kind, is an error naming the key and where
/// it came from.
fn layered_settings(file: Option<&Path>) -> Result<Settings, CliError> {
    use figment::Figment;
    use figment::providers::{Env, Format, Toml};
    let mut figment = Figment::new();
    if let Some(path) = file {
        if !path.exists() {
            return Err(CliError::Usage(format!(
                "cannot read {}: no such file",
                path.display()
            )));
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    let figment = figment
        .merge(Env::raw().only(&["DATABASE_URL"]))
        // A province code and the metrics token are text ("01" is not 1): read from the
        // environment as written, below.
        .merge(
            Env::prefixed("CHISO_")
                .only(KEYS)
                .ignore(&["province", "metrics_token"]),
        );
    let mut settings: Settings = figment.extract().map_err(|error| {
        let problems: Vec<String> = error.into_iter().map(|e| e.to_string()).collect();
        CliError::Usage(problems.join("; "))
    })?;
    if let Ok(code) = std::env::var("CHISO_PROVINCE") {
        settings.province = Some(code.into());
    }
    if let Ok(token) = std::env::var("CHISO_METRICS_TOKEN") {
        settings.metrics_token = Some(token.into());
    }
    Ok(settings)
}

/// The configuration from file, environment (CHISO_*, DATABASE_URL) and flags.
pub fn load_config(args: &ServerArgs) -> Result<Config, CliError> {
    let mut config = Config::default();
    let path = args.config.clone().or_else(|| {
        Path::new("chiso.toml")
            .exists()
            .then(|| PathBuf::from("chiso.toml"))
    });
    let mut settings = layered_settings(path.as_deref())?;
    if let Some(bind) = args.bind.as_deref().or(settings.bind.as_deref()) {
        config.bind = bind.parse().map_err(|_| {
            CliError::Usage(format!(
                "bind: '{bind}' is not an address such as 127.0.0.1:8080"
            ))
        })?;
    }
    if let Some(url) = args.database_url.clone().or(settings.database_url.take()) {
        config.database_url = url;
    }
    if let Some(demo) = settings.demo_data {
        config.demo_data = demo;
    }
    if args.no_demo {
        config.demo_data = false;
    }
    take_settings(&mut config, &mut settings);
    national_indices(&mut config, &mut settings)?;
    operations(&mut config, &mut settings)?;
    if config.notice_minutes == 0 {
        return Err(CliError::Usage("notice_minutes: must be at least 1".into()));
    }
    if let Some(proxies) = trusted_proxies(settings.trusted_proxies, settings.trust_proxy)? {
        config.trusted_proxies = proxies;
    }
    if let Some(url) = settings.public_url {
        config.public_url = Some(public_url(url)?);
    }
    if let Some(mb) = settings.max_upload_mb {
        config.max_upload_bytes = mb * 1024 * 1024;
    }
    check_limits(&config)?;
    Ok(config)
}

/// The settings that are taken as they are, when given.
fn take_settings(config: &mut Config, settings: &mut Settings) {
    macro_rules! take {
        ($($field:ident),*) => {
            $(if let Some(value) = settings.$field.take() {
                config.$field = value;
            })*
        };
    }
    take!(
        secure_cookies,
        session_hours,
        session_absolute_hours,
        password_checks,
        lockout_failures,
        lockout_minutes,
        ip_failures_per_15_minutes,
        survey_submissions_per_minute,
        survey_group_commit,
        data_dir,
        mail_from,
        notice_minutes,
        authority_name
    );
    if let Some(logo) = settings.authority_logo.take() {
        config.authority_logo = Some(logo);
    }
    if let Some(url) = settings.smtp_url.take().filter(|u| !u.trim().is_empty()) {
        config.smtp_url = Some(url);
    }
}

/// The operator's settings: who reads `/metrics`, how log lines are written.
fn operations(config: &mut Config, settings: &mut Settings) -> Result<(), CliError> {
    if let Some(value) = settings.metrics_token.take() {
        let token = match &value {
            figment::value::Value::String(_, text) => text.trim().to_string(),
            figment::value::Value::Num(_, number) => {
                number.to_u128().map(|n| n.to_string()).unwrap_or_default()
            }
            _ => String::new(),
        };
        if token.len() < 16 {
            return Err(CliError::Usage(
                "metrics_token: needs at least 16 characters (or leave it out: loopback clients only)".into(),
            ));
        }
        config.metrics_token = Some(token);
    }
    if let Some(text) = settings.log_format.take() {
        config.log_format = chiso_web::config::LogFormat::parse(&text)
            .ok_or_else(|| CliError::Usage(format!("log_format: '{text}' is not text or json")))?;
    }
    Ok(())
}

/// The province of the national indices' pages (`province`: its code; the demo's Huế, 46,
/// without demo data none), the default weighting of a merged province's estimates and the
/// population file (docs/method.md §6.5).
fn national_indices(config: &mut Config, settings: &mut Settings) -> Result<(), CliError> {
    match settings.province.take().map(province_code) {
        Some(None) => config.province_code = None,
        Some(Some(code)) => config.province_code = Some(code),
        None if !config.demo_data => config.province_code = None,
        None => {}
    }
    if let Some(text) = settings.index_weighting.take() {
        config.index_weighting = chiso_web::app::indices::trend::WeightingChoice::parse(&text)
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "index_weighting: '{text}' is not equal or population"
                ))
            })?;
    }
    if let Some(path) = settings.population_file.take() {
        config.population_file = Some(path);
    }
    Ok(())
}

/// The proxies whose forwarded addresses are trusted: `trust_proxy = true` alone means one
/// load balancer in front; `trusted_proxies` names them exactly (a number of hops, or their
/// networks). `None` leaves the default.
fn trusted_proxies(
    value: Option<figment::value::Value>,
    trust_proxy: Option<bool>,
) -> Result<Option<chiso_web::client::TrustedProxies>, CliError> {
    match value {
        Some(value) => {
            let text = match &value {
                figment::value::Value::String(_, text) => text.clone(),
                figment::value::Value::Num(_, number) => {
                    number.to_u128().map(|n| n.to_string()).unwrap_or_default()
                }
                _ => String::new(),
            };
            text.parse()
                .map(Some)
                .map_err(|e| CliError::Usage(format!("trusted_proxies: {e}")))
        }
        None if trust_proxy == Some(true) => Ok(Some(chiso_web::client::TrustedProxies::Count(1))),
        None => Ok(None),
    }
}

/// A province's code as written (`46`, `01`): the environment's `01` arrives as the number 1,
/// read back with its two digits. Blank: none.
fn province_code(value: figment::value::Value) -> Option<String> {
    let text = match &value {
        figment::value::Value::String(_, text) => text.trim().to_string(),
        figment::value::Value::Num(_, number) => number
            .to_u128()
            .map(|n| format!("{n:02}"))
            .unwrap_or_default(),
        _ => String::new(),
    };
    Some(text).filter(|t| !t.is_empty())
}

/// The public address, which must be an http(s) address with a host.
fn public_url(url: String) -> Result<String, CliError> {
    let parsed = url::Url::parse(&url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if parsed.is_none() {
        return Err(CliError::Usage(format!(
            "public_url: '{url}' is not an http(s) address such as https://cchc.example.gov.vn"
        )));
    }
    Ok(url)
}

/// The limits that must be at least 1 (and the group commit at most a batch).
fn check_limits(config: &Config) -> Result<(), CliError> {
    if config.password_checks == 0 || config.session_absolute_hours < 1 {
        return Err(CliError::Usage(
            "password_checks and session_absolute_hours: must be at least 1".into(),
        ));
    }
    if config.survey_submissions_per_minute == 0 {
        return Err(CliError::Usage(
            "survey_submissions_per_minute: must be at least 1".into(),
        ));
    }
    if !(1..=chiso_store::surveys::MAX_BATCH).contains(&config.survey_group_commit) {
        return Err(CliError::Usage(format!(
            "survey_group_commit: must be between 1 and {}",
            chiso_store::surveys::MAX_BATCH
        )));
    }
    Ok(())
}

pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Runtime::new().map_err(|e| CliError::Failed(format!("cannot start: {e}")))
}

pub fn failed(error: impl std::fmt::Display) -> CliError {
    CliError::Failed(error.to_string())
}

pub fn serve(args: &ServerArgs) -> Result<(), CliError> {
    let config = load_config(args)?;
    init_logs(config.log_format);
    runtime()?.block_on(async {
        let database = chiso_web::redact(&config.database_url);
        let demo = config.demo_data;
        let app = chiso_web::build(config)
            .await
            .map_err(|e| failed(format!("{e:#}")))?;
        let address = app.local_addr();
        println!("chiso đang chạy tại / is running at: http://{address}/");
        println!("Cơ sở dữ liệu / database: {database}");
        if app.seeded_demo {
            println!("Đã nạp dữ liệu minh họa / demo data loaded.");
        }
        if demo {
            println!(
                "Tài khoản dùng thử / demo logins (mật khẩu / password: {}):",
                chiso_web::demo::PASSWORD
            );
            for (username, role) in chiso_web::demo::ACCOUNTS {
                println!("  {username:<12} {role}");
            }
        }
        println!("Dừng bằng Ctrl+C / stop with Ctrl+C.");
        app.run().await.map_err(failed)
    })
}

/// Log lines on standard output, filtered by `RUST_LOG` (default `info,sqlx=warn`): for people,
/// or one JSON object per line with the fields of the request's span (its `request_id`).
fn init_logs(format: chiso_web::config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match format {
        chiso_web::config::LogFormat::Text => builder.try_init(),
        chiso_web::config::LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .try_init(),
    };
}

pub fn migrate(args: &ServerArgs) -> Result<(), CliError> {
    let config = load_config(args)?;
    runtime()?.block_on(async {
        let db = Db::connect(&config.database_url).await.map_err(failed)?;
        let before = db.applied_migrations().await.unwrap_or_default().len();
        db.migrate().await.map_err(failed)?;
        let after = db.applied_migrations().await.map_err(failed)?;
        println!(
            "{}: {} migration(s) applied now, {} in all",
            chiso_web::redact(&config.database_url),
            after.len() - before,
            after.len()
        );
        db.close().await;
        Ok(())
    })
}

/// Stores the years of an index file (`chiso indices import`): the database is migrated and,
/// when an index has no import yet, first given the bundled published figures.
pub fn import_indices(
    args: &ServerArgs,
    file_name: &str,
    source: &chiso_store::indices::ImportSource,
    report: &chiso_interchange::indices::IndicesReport,
) -> Result<chiso_store::indices::ImportOutcome, CliError> {
    let config = load_config(args)?;
    runtime()?.block_on(async {
        let db = Db::connect(&config.database_url).await.map_err(failed)?;
        db.migrate().await.map_err(failed)?;
        let published = chiso_refdata::published::published_reports(
            &chiso_refdata::index_catalogue(),
            &chiso_refdata::province_roster(),
        );
        chiso_store::indices::seed_published(&db, &published)
            .await
            .map_err(failed)?;
        let actor = chiso_store::Actor::system("command-line");
        let outcome = chiso_store::indices::import(&db, &actor, file_name, source, report)
            .await
            .map_err(failed)?;
        db.close().await;
        Ok(outcome)
    })
}

pub fn user(args: &ServerArgs, command: UserCommand) -> Result<(), CliError> {
    let config = load_config(args)?;
    let UserCommand::Create {
        username,
        full_name,
        role,
        unit,
        password_stdin,
    } = command;
    let role = Role::parse(&role).ok_or_else(|| {
        CliError::Usage(format!("--role '{role}' is not one of admin, secretariat, unit_editor, unit_leader, appraiser, viewer"))
    })?;
    let (password, generated) = if password_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(failed)?;
        let text = text.trim_end_matches(['\r', '\n']).to_string();
        if text.chars().count() < 10 {
            return Err(CliError::Usage(
                "the password needs at least 10 characters".into(),
            ));
        }
        (text, false)
    } else {
        (chiso_web::auth::new_token()[..16].to_string(), true)
    };
    runtime()?.block_on(async {
        let db = Db::connect(&config.database_url).await.map_err(failed)?;
        db.migrate().await.map_err(failed)?;
        let unit_id = match &unit {
            Some(code) => Some(
                chiso_store::units::find_current_by_code(
                    &db,
                    code,
                    chrono::Utc::now().date_naive(),
                )
                .await
                .map_err(failed)?
                .ok_or_else(|| {
                    CliError::Usage(format!("--unit {code}: no current unit has this code"))
                })?
                .id,
            ),
            None => None,
        };
        let hash = chiso_web::auth::hash_password(password.clone())
            .await
            .map_err(|e| failed(format!("{e:?}")))?;
        let actor = Actor::system("cli");
        let id = users::create(
            &db,
            &actor,
            &NewUser {
                username: username.clone(),
                full_name,
                email: None,
                password_hash: hash,
                must_change_password: true,
            },
        )
        .await
        .map_err(failed)?;
        users::add_role(&db, &actor, id, role, unit_id, &[])
            .await
            .map_err(failed)?;
        println!("created user {} ({role})", username.trim().to_lowercase());
        if generated {
            println!("temporary password: {password}  (must be changed at first login)");
        }
        db.close().await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::value::{Num, Tag, Value};

    #[test]
    fn a_province_code_keeps_its_two_digits() {
        let number = |n: u8| Value::Num(Tag::Default, Num::U8(n));
        let text = |t: &str| Value::String(Tag::Default, t.to_string());
        assert_eq!(province_code(number(1)).as_deref(), Some("01"));
        assert_eq!(province_code(number(46)).as_deref(), Some("46"));
        assert_eq!(province_code(text(" 46 ")).as_deref(), Some("46"));
        assert_eq!(province_code(text("")), None);
    }
}
