//! PDF reports of a campaign's results, made in the background (docs/method.md §10): the
//! handler checks who may have the report and gathers its data (the reads of the results
//! pages), then the typesetting, seconds of CPU work, runs here off the request threads, one
//! report at a time per process, while the job's page shows its progress. A report of the
//! results as they stand (campaign or unit) is kept per publication state of its campaign, so
//! asking again serves the same file at once; an announcement, whose number and signer are
//! typed for it, is made every time and recorded in the audit log.

use std::sync::{Arc, Mutex};

use chiso_report::{ReportError, Stage};
use chiso_store::jobs::{JobKind, JobState, NewJob};

use crate::app::jobs::{self, Reporter, Snapshot};
use crate::auth::Principal;
use crate::error::AppError;
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

impl ReportKind {
    /// Its code in the job's row.
    pub fn as_code(self) -> &'static str {
        match self {
            ReportKind::Campaign => "campaign",
            ReportKind::Unit => "unit",
            ReportKind::Announcement => "announcement",
            ReportKind::NationalIndices => "national_indices",
            ReportKind::Plan => "plan",
        }
    }

    pub fn parse(code: &str) -> Option<ReportKind> {
        [
            ReportKind::Campaign,
            ReportKind::Unit,
            ReportKind::Announcement,
            ReportKind::NationalIndices,
            ReportKind::Plan,
        ]
        .into_iter()
        .find(|k| k.as_code() == code)
    }
}

/// Where a report job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Waiting for the report before it to finish.
    Queued,
    /// One of the typesetter's steps.
    Making(Stage),
    /// Made: its PDF is kept with the job.
    Made,
    /// Not made (the typesetter's words went to the log), or cut short by a stopped process.
    Failed,
}

fn stage_code(stage: Stage) -> &'static str {
    match stage {
        Stage::Data => "data",
        Stage::Typeset => "typeset",
        Stage::Export => "export",
    }
}

/// A report job as its page shows it.
pub struct ReportJob {
    pub campaign_id: i64,
    pub kind: ReportKind,
    /// The download's file name.
    pub file_name: String,
    pub progress: Progress,
}

impl ReportJob {
    fn of(snapshot: &Snapshot) -> Option<ReportJob> {
        let job = &snapshot.job;
        let progress = match (snapshot.abandoned, job.state, job.stage.as_deref()) {
            (true, _, _) | (_, JobState::Failed, _) => Progress::Failed,
            (_, JobState::Succeeded, _) => Progress::Made,
            (_, JobState::Running, Some("data")) => Progress::Making(Stage::Data),
            (_, JobState::Running, Some("typeset")) => Progress::Making(Stage::Typeset),
            (_, JobState::Running, Some("export")) => Progress::Making(Stage::Export),
            (_, JobState::Running, _) => Progress::Queued,
        };
        Some(ReportJob {
            campaign_id: job.subject_id,
            kind: ReportKind::parse(&job.detail)?,
            file_name: job.file_name.clone(),
            progress,
        })
    }
}

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
    made: Arc<Mutex<Made>>,
    gate: Arc<tokio::sync::Semaphore>,
}

impl Default for Reports {
    fn default() -> Self {
        Reports {
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
pub async fn start<F>(
    state: &AppState,
    principal: &Principal,
    order: Order<F>,
) -> Result<String, AppError>
where
    F: FnOnce(&mut dyn FnMut(Stage)) -> Result<Vec<u8>, ReportError> + Send + 'static,
{
    let reports = state.reports.clone();
    let job_id = jobs::new_id();
    jobs::record(
        state,
        NewJob {
            id: job_id.clone(),
            kind: JobKind::Report,
            user_id: principal.user.id,
            subject_id: order.campaign_id,
            file_name: order.file_name,
            detail: order.kind.as_code().to_string(),
            total: None,
        },
    )
    .await?;
    let reporter = Reporter::new(state, &job_id);
    if let Some(pdf) = order.cache.as_ref().and_then(|k| reports.cached(k)) {
        reporter.finish(JobState::Succeeded, "", Some(&pdf)).await;
        return Ok(job_id);
    }
    let make = order.make;
    let key = order.cache;
    tokio::spawn(async move {
        // One report typesets at a time: the others wait, their pages saying so.
        let _permit = reports.gate.clone().acquire_owned().await;
        let progress = reporter.clone();
        let made = tokio::task::spawn_blocking(move || {
            make(&mut |stage| progress.progress(0, None, Some(stage_code(stage))))
        })
        .await;
        match made {
            Ok(Ok(pdf)) => {
                reporter.finish(JobState::Succeeded, "", Some(&pdf)).await;
                if let Some(key) = key {
                    reports.keep(key, Arc::new(pdf));
                }
            }
            Ok(Err(error)) => {
                tracing::error!(%error, "report failed");
                reporter.finish(JobState::Failed, "", None).await;
            }
            Err(error) => {
                tracing::error!(%error, "report task failed");
                reporter.finish(JobState::Failed, "", None).await;
            }
        }
    });
    Ok(job_id)
}

/// A report job for its owner (the administrator may see any); `None` for anyone else, and
/// for an unknown or expired job.
pub async fn view(
    state: &AppState,
    principal: &Principal,
    job_id: &str,
) -> Result<Option<ReportJob>, AppError> {
    Ok(jobs::load(state, principal, JobKind::Report, job_id)
        .await?
        .as_ref()
        .and_then(ReportJob::of))
}

/// A made report's PDF and file name, for the job's owner.
pub async fn made(
    state: &AppState,
    principal: &Principal,
    job_id: &str,
) -> Result<Option<(Vec<u8>, String)>, AppError> {
    let Some(job) = view(state, principal, job_id).await? else {
        return Ok(None);
    };
    if job.progress != Progress::Made {
        return Ok(None);
    }
    Ok(chiso_store::jobs::result(&state.db, job_id)
        .await?
        .map(|pdf| (pdf, job.file_name)))
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
