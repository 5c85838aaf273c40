//! A file of responses imported into a wave in the background (docs/formats.md §5): the job is
//! recorded (`app::jobs`) with its progress, the rows are read and stored in batches by the
//! store (`surveys::import_responses`, the codec's row rules), and the outcome, a report or the
//! typed reason nothing more was stored, is kept with the job, worded for its page.

use std::io::Cursor;

use chiso_store::jobs::{JobKind, JobState, NewJob};
use chiso_store::surveys::{self, CsvRows, ImportOptions};
use chiso_survey::Questionnaire;

use super::ImportOutcome;
use crate::app::jobs::Reporter;
use crate::auth::Principal;
use crate::describe::Describe;
use crate::error::AppError;
use crate::i18n::{self, Lang};
use crate::state::AppState;

/// An import that failed for a reason of the system's (logged), not of the file.
#[derive(Debug, Clone, Copy)]
pub struct ImportFailed;

impl Describe for ImportFailed {
    fn describe(&self, lang: Lang) -> String {
        i18n::text(lang, "surveys.refused.import_failed").to_string()
    }
}

/// What the file holds, read and checked against the wave's questionnaire.
pub struct PreparedFile {
    pub file_name: String,
    pub questionnaire: Questionnaire,
    /// The rows as CSV (an .xlsx file is converted first).
    pub csv: Vec<u8>,
    pub total_rows: u64,
    pub skip_bad_rows: bool,
}

/// Starts the import of `file` into a wave; returns the job's id for its progress page.
pub async fn start(
    state: &AppState,
    principal: &Principal,
    wave_id: i64,
    file: PreparedFile,
) -> Result<String, AppError> {
    let job_id = crate::app::jobs::new_id();
    crate::app::jobs::record(
        state,
        NewJob {
            id: job_id.clone(),
            kind: JobKind::SurveyImport,
            user_id: principal.user.id,
            subject_id: wave_id,
            file_name: file.file_name.clone(),
            detail: String::new(),
            total: Some(file.total_rows),
        },
    )
    .await?;
    let reporter = Reporter::new(state, &job_id);
    let db = state.db.clone();
    let actor = principal.actor();
    tokio::spawn(async move {
        let mut options = ImportOptions::new(&file.file_name);
        options.skip_bad_rows = file.skip_bad_rows;
        options.total_rows = Some(file.total_rows);
        let progress_reporter = reporter.clone();
        let mut progress = move |done: u64, total: Option<u64>| {
            progress_reporter.progress(done, total, None);
        };
        let outcome: Result<_, Box<dyn Describe>> =
            match CsvRows::new(&file.questionnaire, Cursor::new(file.csv)) {
                Ok(rows) => {
                    surveys::import_responses(&db, &actor, wave_id, rows, &options, &mut progress)
                        .await
                        .map_err(|e| match AppError::from(e) {
                            AppError::Refused(refusal) => refusal,
                            other => {
                                tracing::error!(error = ?other, "survey import failed");
                                Box::new(ImportFailed)
                            }
                        })
                }
                Err(e) => Err(Box::new(e)),
            };
        let state = if outcome.is_ok() {
            JobState::Succeeded
        } else {
            JobState::Failed
        };
        let worded = serde_json::to_string(&ImportOutcome::of(&outcome)).unwrap_or_default();
        reporter.finish(state, &worded, None).await;
    });
    Ok(job_id)
}
