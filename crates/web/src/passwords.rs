//! Password hashing and checking, bounded.
//!
//! An Argon2id check takes about 19 MiB and tens of milliseconds of a core. Run without a
//! bound, a few hundred simultaneous anonymous logins fill the blocking pool (512 threads) and
//! gigabytes of memory. The gate lets `password_checks` run at once; a few times as many wait
//! briefly for a turn, and anyone beyond is refused at once with [`Busy`], before any memory
//! is taken.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

/// Refused: too many password checks are running and waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// How long a check may wait for its turn before it is refused.
const MAX_WAIT: Duration = Duration::from_secs(5);

/// Waiting checks per running one: a burst of logins at the start of the working day waits a
/// moment instead of being refused.
const WAITING_PER_PERMIT: usize = 8;

#[derive(Debug)]
pub struct PasswordGate {
    permits: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
}

impl PasswordGate {
    pub fn new(concurrent: usize) -> PasswordGate {
        let concurrent = concurrent.max(1);
        PasswordGate {
            permits: Semaphore::new(concurrent),
            waiting: AtomicUsize::new(0),
            max_waiting: concurrent * WAITING_PER_PERMIT,
        }
    }

    /// Runs `work` on the blocking pool when a permit is free, waiting at most [`MAX_WAIT`].
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let permit = match self.permits.try_acquire() {
            Ok(permit) => permit,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(Busy);
                }
                let permit = tokio::time::timeout(MAX_WAIT, self.permits.acquire()).await;
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                match permit {
                    Ok(Ok(permit)) => permit,
                    _ => return Err(Busy),
                }
            }
        };
        let result = tokio::task::spawn_blocking(work).await;
        drop(permit);
        result.map_err(|_| Busy)
    }

    /// An Argon2id PHC string for a new password.
    pub async fn hash(&self, password: String) -> Result<String, Busy> {
        self.run(move || password_auth::generate_hash(password))
            .await
    }

    /// Whether the password matches the stored hash.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, Busy> {
        self.run(move || password_auth::verify_password(password, &hash).is_ok())
            .await
    }

    /// Spends the time of a real check on a throwaway hash, for unknown, locked or refused
    /// accounts: the answer's timing tells nothing about which usernames exist.
    pub async fn verify_dummy(&self, password: String) -> Result<(), Busy> {
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        self.run(move || {
            let hash =
                DUMMY.get_or_init(|| password_auth::generate_hash("not a password of anyone"));
            let _ = password_auth::verify_password(password, hash);
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn checks_beyond_the_running_and_waiting_ones_are_refused() {
        let gate = Arc::new(PasswordGate::new(1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Arc::new(std::sync::Mutex::new(hold));
        // One running (blocked until released), eight waiting: the tenth is refused at once.
        let mut tasks = Vec::new();
        for _ in 0..9 {
            let gate = gate.clone();
            let hold = hold.clone();
            tasks.push(tokio::spawn(async move {
                gate.run(move || {
                    let _ = hold.lock().unwrap().recv();
                })
                .await
            }));
        }
        while gate.waiting.load(Ordering::SeqCst) < 8 {
            tokio::task::yield_now().await;
        }
        assert_eq!(gate.run(|| ()).await, Err(Busy));
        for _ in 0..9 {
            release.send(()).unwrap();
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), Ok(()));
        }
        assert_eq!(gate.run(|| 7).await, Ok(7));
    }

    #[tokio::test]
    async fn hashes_verify() {
        let gate = PasswordGate::new(2);
        let hash = gate.hash("mật khẩu đủ dài".into()).await.unwrap();
        assert!(
            gate.verify("mật khẩu đủ dài".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(!gate.verify("sai".into(), hash).await.unwrap());
    }
}
