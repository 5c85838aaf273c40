//! Work that runs in the background while its page shows a progress bar (a survey import, a
//! PDF report): a registry per kind of job in `AppState`, by a random id, read by the job's
//! page and its `…/tien-do` fragment, which polls every second. A job belongs to the user who
//! started it; finished jobs are forgotten after [`JOB_TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Finished jobs are kept this long for their result page.
pub const JOB_TTL: Duration = Duration::from_secs(3600);

/// What the registry needs to know of a job.
pub trait Job {
    /// Whether the job has its outcome.
    fn finished(&self) -> bool;
    /// When it started.
    fn started(&self) -> Instant;
}

/// The background jobs of one kind in this process, by id.
pub struct Jobs<J> {
    jobs: Arc<Mutex<HashMap<String, J>>>,
}

impl<J> Clone for Jobs<J> {
    fn clone(&self) -> Self {
        Jobs {
            jobs: self.jobs.clone(),
        }
    }
}

impl<J> Default for Jobs<J> {
    fn default() -> Self {
        Jobs {
            jobs: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

/// A new job id: 24 random lower-case characters, unguessable.
pub fn new_id() -> String {
    crate::auth::new_token()[..24].to_lowercase()
}

impl<J: Job> Jobs<J> {
    /// Registers a job, forgetting finished ones older than [`JOB_TTL`].
    pub fn start(&self, id: &str, job: J) {
        let mut all = self.lock();
        all.retain(|_, j| !j.finished() || j.started().elapsed() < JOB_TTL);
        all.insert(id.to_string(), job);
    }

    /// Reads or changes a job, when it is known.
    pub fn with<T>(&self, id: &str, f: impl FnOnce(&mut J) -> T) -> Option<T> {
        self.lock().get_mut(id).map(f)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, J>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }
}
