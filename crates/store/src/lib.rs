//! Storage of chiso: SQLite (the embedded default) and PostgreSQL behind one API. SQL lives
//! here and nowhere else; every query is written once and runs on both backends.

pub mod appraisal_queries;
pub mod assessments;
pub mod audit;
pub mod campaigns;
pub mod db;
pub mod error;
pub mod evidence;
pub mod frameworks;
pub mod index_targets;
pub mod index_uploads;
pub mod indices;
pub mod jobs;
pub mod notifications;
pub mod plans;
pub mod setup;
pub mod sheet_queries;
pub mod surveys;
pub mod units;
pub mod users;

pub use audit::{Actor, AuditEntry};
pub use db::{Backend, Db};
pub use error::StoreError;
pub use setup::SetupRefusal;

#[cfg(feature = "test-support")]
pub mod testing;
