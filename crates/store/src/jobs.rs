//! Background jobs and shared rate limits: rows every process on the database sees.
//!
//! A job (a survey import, a PDF report) is run by the process that started it; its start, its
//! outcome and (on PostgreSQL, where other processes may be asked for its page) its progress
//! are written here, so a job's page answers from any process. Finished jobs are removed an
//! hour after they end ([`FINISHED_KEPT_MINUTES`]).
//!
//! A rate limit counts hits per key in one-minute windows with one upsert, so several
//! processes share one limit.

use chrono::{DateTime, Utc};

use crate::db::Db;
use crate::error::StoreError;
use crate::{with_db, with_db_read};

/// Finished jobs are kept this long for their result page.
pub const FINISHED_KEPT_MINUTES: i64 = 60;

/// What a job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    SurveyImport,
    Report,
}

impl JobKind {
    pub fn as_code(self) -> &'static str {
        match self {
            JobKind::SurveyImport => "survey_import",
            JobKind::Report => "report",
        }
    }

    fn parse(code: &str) -> Option<JobKind> {
        match code {
            "survey_import" => Some(JobKind::SurveyImport),
            "report" => Some(JobKind::Report),
            _ => None,
        }
    }
}

/// Where a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    Running,
    Succeeded,
    Failed,
}

impl JobState {
    pub fn as_code(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
        }
    }

    fn parse(code: &str) -> Option<JobState> {
        match code {
            "running" => Some(JobState::Running),
            "succeeded" => Some(JobState::Succeeded),
            "failed" => Some(JobState::Failed),
            _ => None,
        }
    }
}

/// A job to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewJob {
    pub id: String,
    pub kind: JobKind,
    pub user_id: i64,
    pub subject_id: i64,
    pub file_name: String,
    pub detail: String,
    pub total: Option<u64>,
}

/// A recorded job (without its result file: [`result`] reads it).
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub id: String,
    pub kind: JobKind,
    pub user_id: i64,
    pub subject_id: i64,
    pub file_name: String,
    pub detail: String,
    pub state: JobState,
    pub done: u64,
    pub total: Option<u64>,
    pub stage: Option<String>,
    /// What the job's page shows of its outcome (JSON, written by the web layer).
    pub outcome: Option<String>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: String,
    kind: String,
    user_id: i64,
    subject_id: i64,
    file_name: String,
    detail: String,
    state: String,
    done: i64,
    total: Option<i64>,
    stage: Option<String>,
    outcome: Option<String>,
    started_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<JobRow> for Job {
    type Error = StoreError;

    fn try_from(row: JobRow) -> Result<Job, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt {
            what: "job",
            detail: format!("{}: {what}", row.id),
        };
        Ok(Job {
            kind: JobKind::parse(&row.kind).ok_or_else(|| corrupt(&row.kind))?,
            state: JobState::parse(&row.state).ok_or_else(|| corrupt(&row.state))?,
            id: row.id,
            user_id: row.user_id,
            subject_id: row.subject_id,
            file_name: row.file_name,
            detail: row.detail,
            done: u64::try_from(row.done).unwrap_or(0),
            total: row.total.and_then(|t| u64::try_from(t).ok()),
            stage: row.stage,
            outcome: row.outcome,
            started_at: row.started_at,
            updated_at: row.updated_at,
        })
    }
}

const COLUMNS: &str = "id, kind, user_id, subject_id, file_name, detail, state, done, total, \
                       stage, outcome, started_at, updated_at";

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Records a running job, and removes the jobs that finished more than an hour ago.
pub async fn start(db: &Db, job: &NewJob, now: DateTime<Utc>) -> Result<(), StoreError> {
    let expired = now - chrono::Duration::minutes(FINISHED_KEPT_MINUTES);
    with_db!(db, pool => {
        sqlx::query("DELETE FROM jobs WHERE state <> 'running' AND updated_at < $1")
            .bind(expired)
            .execute(pool)
            .await?;
        sqlx::query(
            "INSERT INTO jobs (id, kind, user_id, subject_id, file_name, detail, state, done, \
             total, started_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'running', 0, $7, $8, $8)",
        )
        .bind(&job.id)
        .bind(job.kind.as_code())
        .bind(job.user_id)
        .bind(job.subject_id)
        .bind(&job.file_name)
        .bind(&job.detail)
        .bind(job.total.map(count))
        .bind(now)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// A running job's progress: rows done (and the total when known), or the step it is at.
pub async fn progress(
    db: &Db,
    id: &str,
    done: u64,
    total: Option<u64>,
    stage: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    with_db!(db, pool => {
        sqlx::query(
            "UPDATE jobs SET done = $2, total = COALESCE($3, total), stage = COALESCE($4, stage), \
             updated_at = $5 WHERE id = $1 AND state = 'running'",
        )
        .bind(id)
        .bind(count(done))
        .bind(total.map(count))
        .bind(stage)
        .bind(now)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// A job's end: its state, what its page shows, and the file it made.
pub async fn finish(
    db: &Db,
    id: &str,
    state: JobState,
    outcome: &str,
    result: Option<&[u8]>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    with_db!(db, pool => {
        sqlx::query(
            "UPDATE jobs SET state = $2, outcome = $3, result = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(state.as_code())
        .bind(outcome)
        .bind(result)
        .bind(now)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Marks every running job as stopped (failed, without an outcome): a process on SQLite, the
/// only one on its database, calls it as it starts, since a job still running then was cut
/// short by the process before it. Returns how many.
pub async fn abandon_running(db: &Db, now: DateTime<Utc>) -> Result<u64, StoreError> {
    Ok(with_db!(db, pool => {
        sqlx::query(
            "UPDATE jobs SET state = 'failed', outcome = NULL, updated_at = $1 \
             WHERE state = 'running'",
        )
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected()
    }))
}

/// A job by id.
pub async fn get(db: &Db, id: &str) -> Result<Option<Job>, StoreError> {
    let row: Option<JobRow> = with_db_read!(db, pool => {
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    row.map(Job::try_from).transpose()
}

/// The file a finished job made.
pub async fn result(db: &Db, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(with_db_read!(db, pool => {
        sqlx::query_scalar::<_, Option<Vec<u8>>>("SELECT result FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?
    })
    .flatten())
}

/// Counts one hit on `key` in the window of `now` (one minute); whether it stays within
/// `limit`. Windows older than ten minutes are removed now and then by [`purge_limits`].
pub async fn hit(db: &Db, key: &str, limit: u32, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let window = now.timestamp().div_euclid(60);
    let hits: i64 = with_db!(db, pool => {
        sqlx::query_scalar(
            "INSERT INTO rate_limits (limit_key, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (limit_key, window_start) DO UPDATE SET hits = rate_limits.hits + 1 \
             RETURNING hits",
        )
        .bind(key)
        .bind(window)
        .fetch_one(pool)
        .await?
    });
    Ok(hits <= i64::from(limit))
}

/// Removes the rate-limit windows more than ten minutes old.
pub async fn purge_limits(db: &Db, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let before = now.timestamp().div_euclid(60) - 10;
    Ok(with_db!(db, pool => {
        sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
            .bind(before)
            .execute(pool)
            .await?
            .rows_affected()
    }))
}
