//! Survey use cases' shared state, held by `AppState` instead of process globals: the parsed
//! questionnaires by code and version, and the registry of background imports.

pub mod import;
pub mod intake;
pub mod microdata;
pub mod results;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

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

/// An import running (or finished) in the background, polled by its page.
pub struct ImportJob {
    pub wave_id: i64,
    pub user_id: i64,
    pub file_name: String,
    pub done: u64,
    pub total: Option<u64>,
    /// The report, or why nothing (more) was stored, said in the reader's language.
    pub outcome: Option<Result<ImportReport, Box<dyn crate::describe::Describe>>>,
    pub started: Instant,
}

impl crate::app::jobs::Job for ImportJob {
    fn finished(&self) -> bool {
        self.outcome.is_some()
    }

    fn started(&self) -> Instant {
        self.started
    }
}

/// The background imports of this process, by job id.
pub type ImportJobs = crate::app::jobs::Jobs<ImportJob>;
