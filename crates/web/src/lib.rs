//! The chiso web application: axum with server-rendered templates and htmx, Vietnamese first.
//! `build` connects and migrates the database, loads demo data into an empty one when asked,
//! and binds the listener (port 0 picks a free port for tests); `App::run` serves.

pub mod app;
pub mod auth;
pub mod charts;
pub mod client;
pub mod config;
pub mod demo;
pub mod describe;
pub mod downloads;
pub mod error;
pub mod extract;
pub mod forms;
pub mod i18n;
pub mod mail;
pub mod metrics;
mod multipart_token;
pub mod passwords;
pub mod paths;
pub mod routes;
pub mod scheduler;
pub mod state;
pub mod tile_map;
pub mod views;
pub mod workbooks;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use chiso_store::Db;
use tokio::net::TcpListener;

pub use config::Config;
use state::AppState;

/// A server, bound and ready to run.
pub struct App {
    listener: TcpListener,
    router: axum::Router,
    pub db: Db,
    /// Whether demo data was loaded on this start.
    pub seeded_demo: bool,
    /// Reminders and notification e-mails, every `notice_minutes`.
    pub scheduler: scheduler::Scheduler,
    notice_minutes: u64,
}

/// The settings a start reads from files or checks against reference data, checked without
/// starting (`chiso config check` runs this too): the population file, the province, the
/// authority's logo, the mail server's address. The logo read is returned.
pub fn check_settings(config: &Config) -> anyhow::Result<Option<app::public::Logo>> {
    // The populations that weight a merged province's estimates (docs/method.md §6.5): a
    // wrong file stops the start.
    let reference = app::indices::standing::reference();
    if let Some(path) = &config.population_file {
        app::indices::trend::Populations::load(path, reference)?;
    }
    if let Some(code) = &config.province_code
        && app::indices::standing::Province::resolve(reference, code).is_none()
    {
        anyhow::bail!(
            "province: '{code}' is not the code of a province (docs/method.md §6.1, §6.2)"
        );
    }
    if let Some(url) = &config.smtp_url {
        mail::Mailer::new(url, &config.mail_from, "http://localhost")?;
    }
    match &config.authority_logo {
        Some(path) => Ok(Some(app::public::Logo::read(path)?)),
        None => Ok(None),
    }
}

/// Prepares the server: database, migrations, demo data, listener.
pub async fn build(mut config: Config) -> anyhow::Result<App> {
    let logo = check_settings(&config)?;
    let db = Db::connect(&config.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", redact(&config.database_url)))?;
    db.migrate().await.context("cannot migrate the database")?;
    // The bundled published figures of the national indices are each index's first import
    // (docs/formats.md §8.15): real figures, loaded with or without the demo data.
    let published = chiso_refdata::published::published_reports(
        &chiso_refdata::index_catalogue(),
        &chiso_refdata::province_roster(),
    );
    chiso_store::indices::seed_published(&db, &published)
        .await
        .context("cannot load the published index figures")?;
    if db.backend() == chiso_store::Backend::Sqlite {
        // One process per SQLite database: a job still running was cut short by the last one.
        let stopped = chiso_store::jobs::abandon_running(&db, chrono::Utc::now()).await?;
        if stopped > 0 {
            tracing::warn!(stopped, "background jobs cut short by the previous process");
        }
    }
    let mut seeded_demo = false;
    if config.demo_data && demo::is_empty(&db).await? {
        let hash = auth::hash_password(demo::PASSWORD.to_string())
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        demo::seed(&db, &hash, config.demo_sheets)
            .await
            .context("cannot load the demo data")?;
        seeded_demo = true;
    }
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    if config.public_url.is_none() {
        // Links and QR codes need an address users can reach; the bound one is right on a
        // workstation, and a server behind a proxy sets `public_url`.
        let bound = listener.local_addr()?;
        if bound.ip().is_unspecified() {
            tracing::warn!("public_url is not set: links and QR codes will name {bound}");
        }
        let scheme = if config.secure_cookies {
            "https"
        } else {
            "http"
        };
        config.public_url = Some(format!("{scheme}://{bound}"));
    }
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data folder {}",
            config.data_dir.display()
        )
    })?;
    let blobs = Arc::new(chiso_store::evidence::LocalBlobStore::new(
        config.data_dir.join("evidence"),
    ));
    let mailer = match &config.smtp_url {
        Some(url) => Some(mail::Mailer::new(
            url,
            &config.mail_from,
            config.public_url.as_deref().unwrap_or_default(),
        )?),
        None => None,
    };
    let scheduler = scheduler::Scheduler {
        db: db.clone(),
        clock: config.clock.clone(),
        mailer,
    };
    let notice_minutes = config.notice_minutes;
    let metrics = metrics::new();
    let submissions =
        chiso_store::surveys::SubmitQueue::start(db.clone(), config.survey_group_commit);
    let observer = metrics.clone();
    submissions.observe_groups(Box::new(move |size| observer.observe_group(size)));
    let state = AppState {
        db: db.clone(),
        blobs,
        submissions,
        metrics,
        survey_rate: Default::default(),
        questionnaires: Default::default(),
        jobs: Default::default(),
        reports: Default::default(),
        frameworks: Default::default(),
        passwords: Arc::new(passwords::PasswordGate::new(config.password_checks)),
        public: Default::default(),
        survey_results: Default::default(),
        logo,
        clock: config.clock.clone(),
        config: Arc::new(config),
    };
    Ok(App {
        listener,
        router: routes::router(state),
        db,
        seeded_demo,
        scheduler,
        notice_minutes,
    })
}

impl App {
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// Serves until the process is interrupted. Once an hour it removes expired sessions and
    /// the login records older than a day (the address limits look back 15 minutes).
    pub async fn run(self) -> anyhow::Result<()> {
        let db = self.db.clone();
        let housekeeping = tokio::spawn(async move {
            let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                every_hour.tick().await;
                let day_ago = chrono::Utc::now() - chrono::Duration::days(1);
                if let Err(error) = chiso_store::users::purge(&db, day_ago).await {
                    tracing::warn!(%error, "removing expired sessions failed");
                }
                if let Err(error) = chiso_store::jobs::purge_limits(&db, chrono::Utc::now()).await {
                    tracing::warn!(%error, "removing old rate-limit counts failed");
                }
            }
        });
        let scheduler = self.scheduler.clone();
        let every = std::time::Duration::from_secs(self.notice_minutes.max(1) * 60);
        let notices = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                scheduler.pass().await;
            }
        });
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await?;
        housekeeping.abort();
        notices.abort();
        self.db.close().await;
        Ok(())
    }
}

/// Ctrl+C, or SIGTERM (systemd's and a container engine's stop): requests in flight finish,
/// then the server stops.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("stopping: finishing the requests in flight");
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***@{}", &url[..scheme], &url[at + 1..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
