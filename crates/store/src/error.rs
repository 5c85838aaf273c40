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
    /// A change to units, accounts or frameworks that a rule refuses.
    #[error(transparent)]
    Setup(#[from] crate::setup::SetupRefusal),
    #[error("database: {0}")]
    Db(sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
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
