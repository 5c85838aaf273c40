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
    /// Take the client address from `X-Forwarded-For` (behind a load balancer).
    pub trust_proxy: bool,
    /// Largest accepted upload.
    pub max_upload_bytes: usize,
    /// Consecutive failed logins that lock an account, and for how long.
    pub lockout_failures: i64,
    pub lockout_minutes: i64,
    /// Failed logins from one address within 15 minutes before further attempts are refused.
    pub ip_failures_per_15_minutes: i64,
    /// Where evidence files go (issue 4); created on start.
    pub data_dir: PathBuf,
    /// Submissions per client address per minute on the public survey form without tokens
    /// (a token is its own limit: it answers once). A counter or a family sharing one address
    /// fills a handful of forms a minute, a script hundreds.
    pub survey_submissions_per_minute: u32,
    /// The most survey submissions committed in one transaction (group commit); 1 commits
    /// each on its own.
    pub survey_group_commit: usize,
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
            trust_proxy: false,
            max_upload_bytes: 20 * 1024 * 1024,
            lockout_failures: 5,
            lockout_minutes: 15,
            ip_failures_per_15_minutes: 30,
            data_dir: PathBuf::from("chiso-data"),
            survey_submissions_per_minute: 30,
            survey_group_commit: chiso_store::survey_intake::MAX_BATCH,
        }
    }
}
