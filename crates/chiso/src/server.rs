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
use crate::commands::CliError;

/// The keys a configuration file may set (all optional).
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    database_url: Option<String>,
    demo_data: Option<bool>,
    secure_cookies: Option<bool>,
    session_hours: Option<i64>,
    trust_proxy: Option<bool>,
    trusted_proxies: Option<String>,
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
}

fn parse<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, CliError> {
    value
        .parse()
        .map_err(|_| CliError::Usage(format!("{name}: '{value}' is not valid")))
}

/// The configuration from file, environment (CHISO_*, DATABASE_URL) and flags.
pub fn load_config(args: &ServerArgs) -> Result<Config, CliError> {
    let mut config = Config::default();
    let path = args.config.clone().or_else(|| {
        Path::new("chiso.toml")
            .exists()
            .then(|| PathBuf::from("chiso.toml"))
    });
    let file = match &path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
            toml::from_str::<FileConfig>(&text)
                .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?
        }
        None => FileConfig::default(),
    };
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let bind = args
        .bind
        .clone()
        .or_else(|| env("CHISO_BIND"))
        .or(file.bind);
    if let Some(bind) = bind {
        config.bind = parse("bind", &bind)?;
    }
    if let Some(url) = args
        .database_url
        .clone()
        .or_else(|| env("CHISO_DATABASE_URL"))
        .or_else(|| env("DATABASE_URL"))
        .or(file.database_url)
    {
        config.database_url = url;
    }
    if let Some(demo) = env("CHISO_DEMO_DATA")
        .map(|v| parse::<bool>("CHISO_DEMO_DATA", &v))
        .transpose()?
        .or(file.demo_data)
    {
        config.demo_data = demo;
    }
    if args.no_demo {
        config.demo_data = false;
    }
    macro_rules! setting {
        ($field:ident, $env:literal, $file:expr) => {
            if let Some(value) = env($env).map(|v| parse($env, &v)).transpose()?.or($file) {
                config.$field = value;
            }
        };
    }
    setting!(secure_cookies, "CHISO_SECURE_COOKIES", file.secure_cookies);
    setting!(session_hours, "CHISO_SESSION_HOURS", file.session_hours);
    setting!(
        session_absolute_hours,
        "CHISO_SESSION_ABSOLUTE_HOURS",
        file.session_absolute_hours
    );
    setting!(
        password_checks,
        "CHISO_PASSWORD_CHECKS",
        file.password_checks
    );
    // `trust_proxy = true` alone means one load balancer in front; `trusted_proxies` names
    // them exactly (a number of hops, or their networks).
    let trust_proxy = env("CHISO_TRUST_PROXY")
        .map(|v| parse::<bool>("CHISO_TRUST_PROXY", &v))
        .transpose()?
        .or(file.trust_proxy);
    match env("CHISO_TRUSTED_PROXIES").or(file.trusted_proxies) {
        Some(text) => {
            config.trusted_proxies = text
                .parse()
                .map_err(|e| CliError::Usage(format!("trusted_proxies: {e}")))?;
        }
        None if trust_proxy == Some(true) => {
            config.trusted_proxies = chiso_web::client::TrustedProxies::Count(1);
        }
        None => {}
    }
    if let Some(url) = env("CHISO_PUBLIC_URL").or(file.public_url) {
        let parsed = url::Url::parse(&url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        if parsed.is_none() {
            return Err(CliError::Usage(format!(
                "public_url: '{url}' is not an http(s) address such as https://cchc.example.gov.vn"
            )));
        }
        config.public_url = Some(url);
    }
    if config.password_checks == 0 || config.session_absolute_hours < 1 {
        return Err(CliError::Usage(
            "password_checks and session_absolute_hours: must be at least 1".into(),
        ));
    }
    setting!(
        lockout_failures,
        "CHISO_LOCKOUT_FAILURES",
        file.lockout_failures
    );
    setting!(
        lockout_minutes,
        "CHISO_LOCKOUT_MINUTES",
        file.lockout_minutes
    );
    setting!(
        ip_failures_per_15_minutes,
        "CHISO_IP_FAILURES_PER_15_MINUTES",
        file.ip_failures_per_15_minutes
    );
    setting!(
        survey_submissions_per_minute,
        "CHISO_SURVEY_SUBMISSIONS_PER_MINUTE",
        file.survey_submissions_per_minute
    );
    setting!(
        survey_group_commit,
        "CHISO_SURVEY_GROUP_COMMIT",
        file.survey_group_commit
    );
    if config.survey_submissions_per_minute == 0 {
        return Err(CliError::Usage(
            "survey_submissions_per_minute: must be at least 1".into(),
        ));
    }
    if !(1..=chiso_store::survey_intake::MAX_BATCH).contains(&config.survey_group_commit) {
        return Err(CliError::Usage(format!(
            "survey_group_commit: must be between 1 and {}",
            chiso_store::survey_intake::MAX_BATCH
        )));
    }
    if let Some(mb) = env("CHISO_MAX_UPLOAD_MB")
        .map(|v| parse::<usize>("CHISO_MAX_UPLOAD_MB", &v))
        .transpose()?
        .or(file.max_upload_mb)
    {
        config.max_upload_bytes = mb * 1024 * 1024;
    }
    if let Some(dir) = env("CHISO_DATA_DIR").map(PathBuf::from).or(file.data_dir) {
        config.data_dir = dir;
    }
    Ok(config)
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Runtime::new().map_err(|e| CliError::Failed(format!("cannot start: {e}")))
}

fn failed(error: impl std::fmt::Display) -> CliError {
    CliError::Failed(error.to_string())
}

pub fn serve(args: &ServerArgs) -> Result<(), CliError> {
    let config = load_config(args)?;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .try_init();
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
