//! Survey use cases' shared state, held by `AppState` instead of process globals: the parsed
//! questionnaires by code and version, and the registry of background imports.

pub mod import;
pub mod intake;
pub mod microdata;
pub mod results;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chiso_store::surveys::{self, ImportReport, WaveRow};
use chiso_store::{Db, StoreError};
use chiso_survey::Questionnaire;

/// Parsed questionnaires by code and version. A stored version never changes (a new content
/// is a new version), so parsing the TOML once per process is enough; the submission path
/// would otherwise parse it on every request.
#[derive(Clone, Default)]
pub struct QuestionnaireCache {
    parsed: Arc<Mutex<Parsed>>,
}

/// Questionnaires by (code, version).
type Parsed = HashMap<(String, i64), Arc<Questionnaire>>;

impl QuestionnaireCache {
    /// The questionnaire of a wave, read and parsed on first use only.
    pub async fn of_wave(&self, db: &Db, wave: &WaveRow) -> Result<Arc<Questionnaire>, StoreError> {
        let key = (wave.questionnaire_code.clone(), wave.questionnaire_version);
        if let Some(found) = self.lock().get(&key) {
            return Ok(found.clone());
        }
        let row = surveys::get_questionnaire(db, wave.questionnaire_id).await?;
        let parsed = Arc::new(row.questionnaire()?);
        self.lock().insert(key, parsed.clone());
        Ok(parsed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Parsed> {
        self.parsed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// How an import ended, as its page shows it (kept with the job, worded in both languages,
/// for whichever process the page is asked of).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ImportOutcome {
    Report {
        rows_read: u64,
        accepted: u64,
        rejected: u64,
        /// Whether anything was stored: false when a rejection stopped an all-or-nothing
        /// import.
        stored: bool,
        /// The first rejected rows with their reasons.
        rejections: Vec<(u64, crate::describe::Worded)>,
    },
    /// Why nothing (more) was stored.
    Refused { reason: crate::describe::Worded },
}

impl ImportOutcome {
    pub fn of(outcome: &Result<ImportReport, Box<dyn crate::describe::Describe>>) -> ImportOutcome {
        use crate::describe::Worded;
        match outcome {
            Ok(report) => ImportOutcome::Report {
                rows_read: report.rows_read,
                accepted: report.accepted,
                rejected: report.rejected,
                stored: report.stored,
                rejections: report
                    .rejections
                    .iter()
                    .map(|r| (r.row, Worded::of(&r.reason)))
                    .collect(),
            },
            Err(refusal) => ImportOutcome::Refused {
                reason: Worded::of(refusal.as_ref()),
            },
        }
    }
}
