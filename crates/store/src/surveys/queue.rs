//! Group commit: the [`SubmitQueue`] that commits concurrent submissions (public form, kiosk
//! API) in groups.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::db::Db;
use crate::error::StoreError;

use crate::surveys::{
    Accepted, Identity, PreparedSubmission, Refusal, Response, SurveyRefusal, prepare_submission,
    store_submissions,
};

/// The most submissions one transaction takes. Large enough that a burst from hundreds of
/// kiosks commits in a few transactions; small enough that one batch holds SQLite's writer
/// for a few milliseconds only.
pub const MAX_BATCH: usize = 256;

/// Submissions waiting for the writer; past this, submitters wait to enqueue (backpressure).
const QUEUE_CAPACITY: usize = 4 * MAX_BATCH;

pub type Outcome = Result<Result<Accepted, Refusal>, StoreError>;

struct Job {
    submission: PreparedSubmission,
    reply: oneshot::Sender<Outcome>,
}

/// Group commit for survey submissions (2,000 acknowledged submissions/s from 64
/// clients). One writer task per process takes every submission queued while the previous
/// transaction committed and stores them all in one transaction
/// ([`surveys::submit`](crate::surveys::submit)'s checks, one after the other, counters summed
/// and upserted once), then answers each submitter. An answer still comes only after the
/// commit, so an accepted response survives a crash exactly as before; what changes is that
/// one commit (a WAL append on SQLite, a WAL flush on PostgreSQL) and one counter upsert serve
/// a whole group. No submission waits for company: the writer starts as soon as one is there.
///
/// Each process keeps its own queue; several processes on one PostgreSQL each commit their
/// own groups, and the database orders them as any concurrent transactions.
#[derive(Clone, Debug)]
pub struct SubmitQueue {
    sender: mpsc::Sender<Job>,
    db: Db,
    stats: Arc<Stats>,
}

/// What the writer has committed, for tests and the benchmark.
#[derive(Default)]
struct Stats {
    groups: AtomicU64,
    submissions: AtomicU64,
    largest: AtomicU64,
    /// Told the size of every committed group (monitoring), when set.
    observer: std::sync::OnceLock<GroupObserver>,
}

/// What is told each committed group's size.
pub type GroupObserver = Box<dyn Fn(usize) + Send + Sync>;

impl std::fmt::Debug for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stats")
            .field("groups", &self.groups)
            .field("submissions", &self.submissions)
            .field("largest", &self.largest)
            .finish_non_exhaustive()
    }
}

/// Group commits so far: transactions, the submissions they held, the largest group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupStats {
    pub groups: u64,
    pub submissions: u64,
    pub largest: u64,
}

impl SubmitQueue {
    /// Starts the writer task on the current Tokio runtime, committing up to `max_group`
    /// submissions at a time (at most [`MAX_BATCH`]; 1 commits each on its own). It ends when
    /// every clone of the queue is dropped.
    pub fn start(db: Db, max_group: usize) -> SubmitQueue {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let stats = Arc::new(Stats::default());
        let max_group = max_group.clamp(1, MAX_BATCH);
        tokio::spawn(write_batches(
            db.clone(),
            receiver,
            max_group,
            stats.clone(),
        ));
        SubmitQueue { sender, db, stats }
    }

    /// The groups committed so far (a group whose transaction failed and was stored one by
    /// one is not counted).
    pub fn stats(&self) -> GroupStats {
        GroupStats {
            groups: self.stats.groups.load(Ordering::Relaxed),
            submissions: self.stats.submissions.load(Ordering::Relaxed),
            largest: self.stats.largest.load(Ordering::Relaxed),
        }
    }

    /// Tells `observer` the size of every group committed from now on (the metrics); a second
    /// observer is ignored.
    pub fn observe_groups(&self, observer: GroupObserver) {
        let _ = self.stats.observer.set(observer);
    }

    /// Submissions waiting for the writer now.
    pub fn depth(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }

    /// Submits one response, with the same checks and outcomes as
    /// [`surveys::submit`](crate::surveys::submit); returns after the commit of its group.
    pub async fn submit(
        &self,
        wave_id: i64,
        unit_id: i64,
        response: &Response,
        identity: Identity<'_>,
    ) -> Outcome {
        let submission = match prepare_submission(wave_id, unit_id, response, identity) {
            Ok(submission) => submission,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let (reply, outcome) = oneshot::channel();
        if let Err(mpsc::error::SendError(job)) = self.sender.send(Job { submission, reply }).await
        {
            // The writer is gone (the runtime is shutting down): store it alone.
            return alone(&self.db, job.submission).await;
        }
        outcome
            .await
            .unwrap_or_else(|_| Err(SurveyRefusal::WriterStopped.into()))
    }
}

async fn alone(db: &Db, submission: PreparedSubmission) -> Outcome {
    let mut outcomes = store_submissions(db, std::slice::from_ref(&submission)).await?;
    Ok(outcomes.pop().expect("one outcome per submission"))
}

/// The writer: waits for a first submission, takes whatever else is queued (up to
/// the queue's largest group), stores them in one transaction and answers each. When the group's
/// transaction fails (a database error, not a refusal), each of its submissions is stored
/// alone, so one bad submission cannot take the others down with it.
async fn write_batches(
    db: Db,
    mut receiver: mpsc::Receiver<Job>,
    max_group: usize,
    stats: Arc<Stats>,
) {
    let mut jobs: Vec<Job> = Vec::with_capacity(max_group);
    while receiver.recv_many(&mut jobs, max_group).await > 0 {
        let (batch, replies): (Vec<PreparedSubmission>, Vec<oneshot::Sender<Outcome>>) =
            jobs.drain(..).map(|j| (j.submission, j.reply)).unzip();
        match store_submissions(&db, &batch).await {
            Ok(outcomes) => {
                let size = batch.len() as u64;
                stats.groups.fetch_add(1, Ordering::Relaxed);
                stats.submissions.fetch_add(size, Ordering::Relaxed);
                stats.largest.fetch_max(size, Ordering::Relaxed);
                if let Some(observer) = stats.observer.get() {
                    observer(batch.len());
                }
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    // A submitter that went away (client disconnected) is not waiting: its
                    // response is stored all the same.
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(error) if batch.len() == 1 => {
                let _ = replies
                    .into_iter()
                    .next()
                    .expect("one reply")
                    .send(Err(error));
            }
            Err(error) => {
                tracing::warn!(%error, submissions = batch.len(), "a survey group commit failed; storing its submissions one by one");
                for (submission, reply) in batch.into_iter().zip(replies) {
                    let _ = reply.send(alone(&db, submission).await);
                }
                // A database that refuses every write (disk full, connection lost) should not
                // be hammered in a tight loop.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
