//! PDF reports of a campaign's results, made in the background (docs/method.md §10): the
//! handler checks who may have the report and gathers its data (the reads of the results
//! pages), then the typesetting, seconds of CPU work, runs here off the request threads, one
//! report at a time per process, while the job's page shows its progress. A report of the
//! results as they stand (campaign or unit) is kept per publication state of its campaign, so
//! asking again serves the same file at once; an announcement, whose number and signer are
//! typed for it, is made every time and recorded in the audit log.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use chiso_report::{ReportError, Stage};

use crate::app::jobs::{self, Job, Jobs};
use crate::auth::Principal;
use crate::state::AppState;

/// Which report a job makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportKind {
    Campaign,
    Unit,
    Announcement,
    /// The national indices' leadership page (`campaign_id` 0: no campaign).
    NationalIndices,
    /// An improvement plan's appendix or roll-up (`campaign_id` holds the plan's id).
    Plan,
}

/// Where a report job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Waiting for the report before it to finish.
    Queued,
    /// One of the typesetter's steps.
    Making(Stage),
}

/// Why a report job failed (the typesetter's words go to the log, not to the reader).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportFailed;

/// A report being made (or made) in the background, polled by its page.
pub struct ReportJob {
    pub user_id: i64,
    pub campaign_id: i64,
    pub kind: ReportKind,
    /// The download's file name.
    pub file_name: String,
    pub progress: Progress,
    pub outcome: Option<Result<Arc<Vec<u8>>, ReportFailed>>,
    pub started: Instant,
}

impl Job for ReportJob {
    fn finished(&self) -> bool {
        self.outcome.is_some()
    }

    fn started(&self) -> Instant {
        self.started
    }
}

/// The report jobs of this process.
pub type ReportJobs = Jobs<ReportJob>;

/// Reports already made, by what they show: the kind, the campaign, the unit and the
/// campaign's publication stamp (a new publication makes new reports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheKey {
    pub kind: ReportKind,
    pub campaign_id: i64,
    pub unit_id: Option<i64>,
    /// The campaign's state and when it last changed ([`stamp`]).
    pub stamp: String,
}

/// Made reports by what they show, oldest first.
type Made = Vec<(CacheKey, Arc<Vec<u8>>)>;

/// How many made reports are kept in memory.
const CACHED: usize = 32;

/// The reports made in this process and the gate that lets one be typeset at a time.
#[derive(Clone)]
pub struct Reports {
    pub jobs: ReportJobs,
    made: Arc<Mutex<Made>>,
    gate: Arc<tokio::sync::Semaphore>,
}

impl Default for Reports {
    fn default() -> Self {
        Reports {
            jobs: Jobs::default(),
            made: Arc::default(),
            gate: Arc::new(tokio::sync::Semaphore::new(1)),
        }
    }
}

impl Reports {
    fn cached(&self, key: &CacheKey) -> Option<Arc<Vec<u8>>> {
        let made = self.made.lock().unwrap_or_else(|p| p.into_inner());
        made.iter()
            .find(|(k, _)| k == key)
            .map(|(_, pdf)| pdf.clone())
    }

    fn keep(&self, key: CacheKey, pdf: Arc<Vec<u8>>) {
        let mut made = self.made.lock().unwrap_or_else(|p| p.into_inner());
        made.retain(|(k, _)| *k != key);
        if made.len() >= CACHED {
            made.remove(0);
        }
        made.push((key, pdf));
    }
}

/// A report to make: what it is, its file name, and the typesetting itself (pure, run on a
/// blocking thread).
pub struct Order<F> {
    pub campaign_id: i64,
    pub kind: ReportKind,
    pub file_name: String,
    /// Where the made report is kept; `None` makes it every time.
    pub cache: Option<CacheKey>,
    pub make: F,
}

/// Starts a report job for the principal and returns its id for the job's page.
pub fn start<F>(state: &AppState, principal: &Principal, order: Order<F>) -> String
where
    F: FnOnce(&mut dyn FnMut(Stage)) -> Result<Vec<u8>, ReportError> + Send + 'static,
{
    let reports = state.reports.clone();
    let job_id = jobs::new_id();
    let cached = order.cache.as_ref().and_then(|k| reports.cached(k));
    reports.jobs.start(
        &job_id,
        ReportJob {
            user_id: principal.user.id,
            campaign_id: order.campaign_id,
            kind: order.kind,
            file_name: order.file_name,
            progress: Progress::Queued,
            outcome: cached.map(Ok),
            started: Instant::now(),
        },
    );
    if reports.jobs.with(&job_id, |j| j.finished()) == Some(true) {
        return job_id;
    }
    let id = job_id.clone();
    let make = order.make;
    let key = order.cache;
    tokio::spawn(async move {
        // One report typesets at a time: the others wait, their pages saying so.
        let _permit = reports.gate.clone().acquire_owned().await;
        let progress_jobs = reports.jobs.clone();
        let progress_id = id.clone();
        let made = tokio::task::spawn_blocking(move || {
            make(&mut |stage| {
                progress_jobs.with(&progress_id, |j| j.progress = Progress::Making(stage));
            })
        })
        .await;
        let outcome = match made {
            Ok(Ok(pdf)) => {
                let pdf = Arc::new(pdf);
                if let Some(key) = key {
                    reports.keep(key, pdf.clone());
                }
                Ok(pdf)
            }
            Ok(Err(error)) => {
                tracing::error!(%error, "report failed");
                Err(ReportFailed)
            }
            Err(error) => {
                tracing::error!(%error, "report task failed");
                Err(ReportFailed)
            }
        };
        reports.jobs.with(&id, |j| j.outcome = Some(outcome));
    });
    job_id
}

/// What a job's page shows of it, for its owner (the administrator may see any job);
/// `None` for anyone else, and for a job this process does not know.
pub fn view<T>(
    state: &AppState,
    principal: &Principal,
    job_id: &str,
    f: impl FnOnce(&ReportJob) -> T,
) -> Option<T> {
    state
        .reports
        .jobs
        .with(job_id, |job| {
            let mine = job.user_id == principal.user.id
                || principal.can(chiso_domain::access::Permission::ManageUsers);
            mine.then(|| f(job))
        })
        .flatten()
}

/// The stamp of a campaign's state for [`CacheKey`]: its state and when it last changed
/// (every transition, publication included, moves it), with the report's options.
pub fn stamp(campaign: &chiso_store::campaigns::CampaignRow, options: &str) -> String {
    format!(
        "{:?}:{}:{options}",
        campaign.state(),
        campaign.updated_at.timestamp_micros()
    )
}
