//! Work that runs in the background while its page shows a progress bar (a survey import, a
//! PDF report). The process that starts a job runs it; the job itself is a row of the
//! database (`chiso_store::jobs`): its start, its outcome and, on PostgreSQL where the job's
//! page may be asked of another process, its progress (at most every half second). The
//! running process keeps the latest progress in memory too, which its own pages read first.
//! A job belongs to the user who started it (the administrator may see any); finished jobs
//! are removed an hour after they end.
//!
//! A job still "running" in the database that no process has moved for
//! [`ABANDONED_AFTER_MINUTES`] and that this process does not run was cut short by a stopped
//! process: its page says so. On SQLite, the only process on its database marks the jobs
//! still running when it starts as stopped (`chiso_store::jobs::abandon_running`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chiso_store::Db;
use chiso_store::jobs::{self as store, Job, JobKind, JobState, NewJob};

use crate::auth::Principal;
use crate::error::AppError;
use crate::state::AppState;

/// A running job that has not moved for this long, and is not this process's, was stopped.
pub const ABANDONED_AFTER_MINUTES: i64 = 10;

/// How often a job's progress is written to a shared database.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// A new job id: 24 random lower-case characters, unguessable.
pub fn new_id() -> String {
    crate::auth::new_token()[..24].to_lowercase()
}

/// The progress of the jobs this process runs, by id.
#[derive(Clone, Default)]
pub struct LocalJobs {
    running: Arc<Mutex<HashMap<String, Local>>>,
}

struct Local {
    kind: JobKind,
    done: u64,
    total: Option<u64>,
    stage: Option<&'static str>,
    written: Option<Instant>,
}

impl LocalJobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Local>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Jobs of a kind this process is running (monitoring).
    pub fn running(&self, kind: JobKind) -> usize {
        self.lock().values().filter(|j| j.kind == kind).count()
    }
}

/// Records a job as running (the caller then runs it).
pub async fn record(state: &AppState, job: NewJob) -> Result<(), AppError> {
    store::start(&state.db, &job, chrono::Utc::now()).await?;
    state.jobs.lock().insert(
        job.id.clone(),
        Local {
            kind: job.kind,
            done: 0,
            total: job.total,
            stage: None,
            written: None,
        },
    );
    Ok(())
}

/// Reports a running job's progress, from any thread inside the runtime: kept in memory at
/// once, written to a shared database at most every half second (SQLite serves one process:
/// its pages read the memory; a write there would wait for the import's own transaction).
#[derive(Clone)]
pub struct Reporter {
    db: Db,
    local: LocalJobs,
    runtime: tokio::runtime::Handle,
    id: String,
}

impl Reporter {
    pub fn new(state: &AppState, id: &str) -> Reporter {
        Reporter {
            db: state.db.clone(),
            local: state.jobs.clone(),
            runtime: tokio::runtime::Handle::current(),
            id: id.to_string(),
        }
    }

    /// Rows done (and the total when it became known), or the step reached.
    pub fn progress(&self, done: u64, total: Option<u64>, stage: Option<&'static str>) {
        let write = {
            let mut all = self.local.lock();
            let Some(job) = all.get_mut(&self.id) else {
                return;
            };
            job.done = done;
            if total.is_some() {
                job.total = total;
            }
            if stage.is_some() {
                job.stage = stage;
            }
            let due = job.written.is_none_or(|at| at.elapsed() >= PROGRESS_EVERY);
            let shared = self.db.backend() == chiso_store::Backend::Postgres;
            if shared && (due || stage.is_some()) {
                job.written = Some(Instant::now());
                Some((job.done, job.total, job.stage))
            } else {
                None
            }
        };
        if let Some((done, total, stage)) = write {
            let db = self.db.clone();
            let id = self.id.clone();
            self.runtime.spawn(async move {
                if let Err(error) =
                    store::progress(&db, &id, done, total, stage, chrono::Utc::now()).await
                {
                    tracing::warn!(%error, "writing a job's progress failed");
                }
            });
        }
    }

    /// The job's end: what its page shows (JSON) and the file it made.
    pub async fn finish(self, state: JobState, outcome: &str, result: Option<&[u8]>) {
        if let Err(error) = store::finish(
            &self.db,
            &self.id,
            state,
            outcome,
            result,
            chrono::Utc::now(),
        )
        .await
        {
            tracing::error!(%error, job = %self.id, "recording a job's outcome failed");
        }
        self.local.lock().remove(&self.id);
    }
}

/// A job as its page shows it.
pub struct Snapshot {
    pub job: Job,
    /// Cut short by a stopped process (shown as failed).
    pub abandoned: bool,
}

impl Snapshot {
    pub fn finished(&self) -> bool {
        self.abandoned || self.job.state != JobState::Running
    }
}

/// A job of `kind` for its owner (or the administrator); `None` for anyone else and for an
/// unknown or expired job. The progress of a job this process runs is its latest.
pub async fn load(
    state: &AppState,
    principal: &Principal,
    kind: JobKind,
    id: &str,
) -> Result<Option<Snapshot>, AppError> {
    let Some(mut job) = store::get(&state.db, id).await? else {
        return Ok(None);
    };
    let mine = job.user_id == principal.user.id
        || principal.can(chiso_domain::access::Permission::ManageUsers);
    if job.kind != kind || !mine {
        return Ok(None);
    }
    let mut here = false;
    if let Some(local) = state.jobs.lock().get(id) {
        here = true;
        if job.state == JobState::Running {
            job.done = local.done;
            job.total = local.total.or(job.total);
            job.stage = local.stage.map(str::to_string).or(job.stage);
        }
    }
    let still = chrono::Duration::minutes(ABANDONED_AFTER_MINUTES);
    let stale = chrono::Utc::now() - job.updated_at > still;
    // Failed without an outcome: marked stopped when its SQLite process started again.
    let abandoned = (job.state == JobState::Running && !here && stale)
        || (job.state == JobState::Failed && job.outcome.is_none());
    Ok(Some(Snapshot { job, abandoned }))
}
