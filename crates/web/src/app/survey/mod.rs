//! Survey use cases' shared state, held by `AppState` instead of process globals: the parsed
//! questionnaires by code and version, and the registry of background imports.

pub mod import;
pub mod intake;
pub mod microdata;
pub mod results;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// Finished jobs are kept this long for their result page.
pub const JOB_TTL: Duration = Duration::from_secs(3600);

/// The background imports of this process, by job id.
#[derive(Clone, Default)]
pub struct ImportJobs {
    jobs: Arc<Mutex<HashMap<String, ImportJob>>>,
}

impl ImportJobs {
    /// Registers a job, forgetting finished ones older than [`JOB_TTL`].
    pub fn start(&self, id: &str, job: ImportJob) {
        let mut all = self.lock();
        all.retain(|_, j| j.outcome.is_none() || j.started.elapsed() < JOB_TTL);
        all.insert(id.to_string(), job);
    }

    /// Reads or changes a job, when it is known.
    pub fn with<T>(&self, id: &str, f: impl FnOnce(&mut ImportJob) -> T) -> Option<T> {
        self.lock().get_mut(id).map(f)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ImportJob>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }
}
