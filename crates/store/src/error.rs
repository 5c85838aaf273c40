//! Storage errors.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or foreign-key constraint refused the write; the name says which.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request breaks a rule of the data (e.g. a framework that is frozen).
    #[error("{0}")]
    Invalid(String),
    /// A rule of the assessment workflow refused the change (docs/method.md, the PAR INDEX
    /// stages): kept typed so the web says it in the user's language.
    #[error(transparent)]
    Rule(#[from] chiso_domain::assessment::WorkflowError),
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
    /// A wave cannot change state (`chiso_domain::wave`).
    #[error(transparent)]
    Wave(#[from] chiso_domain::wave::WaveTransitionError),
    /// A survey rule refused the change (`surveys::SurveyRefusal`).
    #[error(transparent)]
    Survey(#[from] crate::surveys::SurveyRefusal),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data that does not read back (changed outside chiso, or by a bug): not a
    /// refusal of the user's request. `what` names the data, `detail` is for the log.
    #[error("stored {what} is corrupt: {detail}")]
    Corrupt { what: &'static str, detail: String },
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
            _ => StoreError::Db(error),
        }
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
