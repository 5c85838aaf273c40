//! Storage errors.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or foreign-key constraint of the database refused the write; the string
    /// is the constraint's name (or the backend's message when it names none), for the log.
    /// Rules and races that a change meets are typed: see [`StoreError::Rule`] and
    /// [`StoreError::Meanwhile`].
    #[error("conflict: {0}")]
    Conflict(String),
    /// A rule of the assessment workflow refused the change (docs/method.md, the PAR INDEX
    /// stages): kept typed so the web says it in the user's language.
    #[error(transparent)]
    Rule(#[from] chiso_domain::assessment::WorkflowError),
    /// Someone else changed the same leaf, sheet, round or campaign first: nothing was
    /// changed (docs/method.md §2.5, each write conditional on what its rules checked).
    #[error(transparent)]
    Meanwhile(#[from] chiso_domain::assessment::ChangedMeanwhile),
    /// An evidence file refused by its checks (empty, too large, not a document).
    #[error(transparent)]
    Upload(#[from] crate::evidence::UploadError),
    /// Stored data that does not read back, or a value that cannot be stored: a fault of the
    /// data, not of the request (logged; the user is told the system failed).
    #[error("stored data is corrupt: {what}: {detail}")]
    Corrupt { what: &'static str, detail: String },
    /// A campaign's setup (fields, groups, units) that a rule refuses.
    #[error(transparent)]
    CampaignSetup(#[from] chiso_domain::campaign::SetupRefusal),
    /// A campaign step refused by its checklist: missing work not resolved (docs/method.md §2.5).
    #[error(transparent)]
    Checklist(#[from] chiso_domain::assessment::ChecklistRefusal),
    /// The campaign lifecycle refused a transition.
    #[error(transparent)]
    Campaign(#[from] chiso_domain::campaign::TransitionError),
    /// A change to units, accounts or frameworks that a rule refuses.
    #[error(transparent)]
    Setup(#[from] crate::setup::SetupRefusal),
    #[error("database: {0}")]
    Db(sqlx::Error),
    /// The database cannot be reached now (no connection within the pool's timeout, the
    /// connection broke, the server is shutting down or starting): the request may be tried
    /// again in a moment; nothing of it was written.
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    /// A wave cannot change state (`chiso_domain::wave`).
    #[error(transparent)]
    Wave(#[from] chiso_domain::wave::WaveTransitionError),
    /// A survey rule refused the change (`surveys::SurveyRefusal`).
    #[error(transparent)]
    Survey(#[from] crate::surveys::SurveyRefusal),
    /// An improvement plan's rule refused the change (`chiso_domain::plan`).
    #[error(transparent)]
    Plan(#[from] chiso_domain::plan::PlanRefusal),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A database URL of no supported backend (`sqlite:` or `postgres://`).
    #[error("database URL must start with sqlite: or postgres:// (got {url})")]
    UnsupportedUrl { url: String },
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> StoreError {
        match &error {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db)
                if db.is_unique_violation() || db.is_foreign_key_violation() =>
            {
                StoreError::Conflict(
                    db.constraint()
                        .map(str::to_string)
                        .unwrap_or_else(|| db.message().to_string()),
                )
            }
            _ if is_unavailable(&error) => StoreError::Unavailable(error),
            _ => StoreError::Db(error),
        }
    }
}

/// Whether an error says the database cannot be reached now, by its kind and, for a database
/// error, its SQLSTATE: class 08 (connection exception), 57P01–57P03 (shut down by an
/// administrator or a crash, cannot connect now).
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

impl StoreError {
    /// Whether the error is a conflict on the named constraint (or any, when the backend does
    /// not name it: SQLite names columns, not constraints).
    pub fn is_conflict_on(&self, constraint: &str, columns: &str) -> bool {
        match self {
            StoreError::Conflict(name) => name == constraint || name.contains(columns),
            _ => false,
        }
    }
}
