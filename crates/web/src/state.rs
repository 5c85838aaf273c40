//! What every handler shares.

use std::sync::Arc;

use chiso_store::Db;
use chiso_store::evidence::BlobStore;
use chiso_store::surveys::SubmitQueue;

use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    /// Where evidence files' bytes live (local disk under `data_dir`; S3 can implement the
    /// same trait).
    pub blobs: Arc<dyn BlobStore>,
    /// Survey submissions (public form, kiosks, paper entry), committed in groups.
    pub submissions: SubmitQueue,
    /// The public form's limit per client address (`survey_submissions_per_minute`).
    pub survey_rate: Arc<crate::client::RateLimiter>,
    /// The time every rule reads (fixed in tests).
    pub clock: crate::app::Clock,
    /// Parsed survey questionnaires by code and version.
    pub questionnaires: crate::app::survey::QuestionnaireCache,
    /// Frozen frameworks, built once per process (docs/method.md: a framework is frozen
    /// when a campaign that uses it opens).
    pub frameworks: crate::app::frameworks::FrameworkCache,
    /// The progress of the background jobs this process runs (the jobs themselves are rows
    /// of the database: `app::jobs`).
    pub jobs: crate::app::jobs::LocalJobs,
    /// PDF reports made in the background, and those kept per campaign state.
    pub reports: crate::app::reports::Reports,
    /// Password checks, bounded (`password_checks`).
    pub passwords: Arc<crate::passwords::PasswordGate>,
    /// Computed survey results, per wave and the counters' stamp.
    pub survey_results: crate::app::survey::results::ResultsCache,
    /// Rendered public results pages, per publication.
    pub public: crate::app::public::PublicCache,
    /// Prometheus metrics (`/metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The authority's logo for the public pages (`authority_logo`).
    pub logo: Option<crate::app::public::Logo>,
}
