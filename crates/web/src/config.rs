//! Server configuration. The binary fills it from a file, the environment and flags; nothing
//! here reads them, so tests build a `Config` directly.

use std::net::SocketAddr;
use std::path::PathBuf;

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen; port 0 picks a free port (tests).
    pub bind: SocketAddr,
    /// `sqlite://chiso.db` or `postgres://…`.
    pub database_url: String,
    /// Load the demo province, campaign and accounts into an empty database.
    pub demo_data: bool,
    /// With the demo data, also fill most units' sheets (and submit some), so the dashboards
    /// and results have something to show. The HTTP tests start from blank sheets instead.
    pub demo_sheets: bool,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Idle lifetime of a session.
    pub session_hours: i64,
    /// The proxies in front of the server whose `X-Forwarded-For` hops are believed: none
    /// (the socket peer is the client), a number of hops, or the proxies' networks.
    pub trusted_proxies: crate::client::TrustedProxies,
    /// Where users reach the server (`https://cchc.example.gov.vn`): links and QR codes are
    /// built from it, never from the request's `Host` header. Without it they use `bind`.
    pub public_url: Option<String>,
    /// Absolute lifetime of a session, however active: a stolen cookie stops working.
    pub session_absolute_hours: i64,
    /// Password checks (Argon2id, about 19 MiB each) run at the same time; more wait briefly
    /// or are refused with 503, so a flood of logins cannot exhaust memory.
    pub password_checks: usize,
    /// The clock the rules read: the system's, or a fixed one a test moves.
    pub clock: crate::app::Clock,
    /// Largest accepted upload.
    pub max_upload_bytes: usize,
    /// Consecutive failed logins that lock an account, and for how long.
    pub lockout_failures: i64,
    pub lockout_minutes: i64,
    /// Failed logins from one address within 15 minutes before further attempts are refused.
    pub ip_failures_per_15_minutes: i64,
    /// Where evidence files go; created on start.
    pub data_dir: PathBuf,
    /// Submissions per client address per minute on the public survey form without tokens
    /// (a token is its own limit: it answers once). A counter or a family sharing one address
    /// fills a handful of forms a minute, a script hundreds.
    pub survey_submissions_per_minute: u32,
    /// The most survey submissions committed in one transaction (group commit); 1 commits
    /// each on its own.
    pub survey_group_commit: usize,
    /// Where notification e-mails go out (`smtp://host:25`, `smtps://user:pass@host`); none:
    /// notifications stay in the application.
    pub smtp_url: Option<String>,
    /// The sender of notification e-mails.
    pub mail_from: String,
    /// How often, in minutes, the server writes due reminders and mails new notices.
    pub notice_minutes: u64,
    /// The issuing authority named on the public results pages ("Ủy ban nhân dân tỉnh …").
    pub authority_name: String,
    /// Its logo on the public pages: a PNG, JPEG or SVG file read at start (at most 512 KiB).
    pub authority_logo: Option<PathBuf>,
    // ── National indices (docs/method.md §5.7, §6.5) ──
    /// The province whose standing the national indices' pages show: its statistics-office
    /// code as it is now (`46` Huế; from 1/7/2025 the 34 provinces' codes), its predecessors
    /// before the 2025 merger found through the bundled lineage. `None`: no province.
    pub province_code: Option<String>,
    /// How a merged province's earlier figures are combined into an estimate by default
    /// (equal weights or by population); each page may ask for the other.
    pub index_weighting: crate::app::indices::trend::WeightingChoice,
    /// A CSV `unit_code,population` of the 63 provinces (before the merger), for weighting by
    /// population; without it such an estimate falls back to equal weights and says so.
    pub population_file: Option<PathBuf>,
    // ── Operations (docs/operations.md) ──
    /// Who may read `/metrics`: the holder of this bearer token; without one, loopback
    /// clients only.
    pub metrics_token: Option<String>,
    /// How the binary writes its log lines (read by `chiso serve`, not by the server).
    pub log_format: LogFormat,
}

/// Log lines for people (`text`) or for a log collector (`json`, one object per line).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl LogFormat {
    pub fn parse(text: &str) -> Option<LogFormat> {
        match text.trim() {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://chiso.db".to_string(),
            demo_data: true,
            demo_sheets: true,
            secure_cookies: false,
            session_hours: 8,
            trusted_proxies: crate::client::TrustedProxies::None,
            public_url: None,
            session_absolute_hours: 24,
            password_checks: default_password_checks(),
            clock: crate::app::Clock::system(),
            max_upload_bytes: 20 * 1024 * 1024,
            lockout_failures: 5,
            lockout_minutes: 15,
            ip_failures_per_15_minutes: 30,
            data_dir: PathBuf::from("chiso-data"),
            survey_submissions_per_minute: 30,
            survey_group_commit: chiso_store::surveys::MAX_BATCH,
            smtp_url: None,
            mail_from: "Chỉ số CCHC <no-reply@localhost>".to_string(),
            notice_minutes: 15,
            authority_name: "Ủy ban nhân dân tỉnh".to_string(),
            authority_logo: None,
            // The demo province: Thừa Thiên Huế, Huế from 2025 (code 46 in both lists).
            province_code: Some("46".to_string()),
            index_weighting: crate::app::indices::trend::WeightingChoice::Equal,
            population_file: None,
            metrics_token: None,
            log_format: LogFormat::Text,
        }
    }
}

/// Two checks per core: enough to keep the cores busy, a few dozen MiB at most.
pub fn default_password_checks() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get() * 2)
}

/// The demo province: Thừa Thiên Huế, code 46 (Huế, the same code, from 2025).
pub const DEMO_PROVINCE: &str = "46";

impl Config {
    /// The province the indices pages are about: `province_code`, else with the demo data the
    /// demo's province, else none.
    pub fn province(&self) -> Option<&str> {
        self.province_code
            .as_deref()
            .or(self.demo_data.then_some(DEMO_PROVINCE))
    }

    /// The address links and QR codes carry, without a trailing slash: `public_url`, which
    /// `build` fills from the bound address when it is not set.
    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.bind),
        }
    }
}
