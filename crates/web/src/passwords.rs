//! Password hashing and checking, bounded.
//!
//! An Argon2id check takes about 19 MiB and tens of milliseconds of a core. Run without a
//! bound, a few hundred simultaneous anonymous logins fill the blocking pool (512 threads) and
//! gigabytes of memory. Checks therefore run on a small pool of dedicated threads
//! (`password_checks`, two per core by default) fed by a bounded queue: a few times as many
//! wait their turn, and anyone beyond is refused at once with [`Busy`], before any memory is
//! taken. Each checking thread also keeps its Argon2 working memory from one check to the
//! next instead of asking the allocator for 19 MiB every time: the system allocator hands such
//! aligned blocks out from its heaps and keeps them there once freed, so a server that had
//! checked a few dozen passwords sat on hundreds of MiB it no longer used. With one block per
//! thread the memory of password checks is `password_checks` × 19 MiB, whatever the traffic.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// Refused: too many password checks are running and waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// Waiting checks per running one: a burst of logins at the start of the working day waits a
/// moment instead of being refused.
const WAITING_PER_THREAD: usize = 8;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Debug)]
pub struct PasswordGate {
    queue: SyncSender<Job>,
}

impl PasswordGate {
    /// Starts `threads` checking threads (at least one).
    pub fn new(threads: usize) -> PasswordGate {
        let threads = threads.max(1);
        let (queue, jobs) = sync_channel::<Job>(threads * WAITING_PER_THREAD);
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..threads {
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("password-check-{n}"))
                .spawn(move || work(&jobs))
                .expect("a password-check thread starts");
        }
        PasswordGate { queue }
    }

    /// Runs `work` on a checking thread, or refuses when the queue is full.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        match self.queue.try_send(job) {
            Ok(()) => result.await.map_err(|_| Busy),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(Busy),
        }
    }

    /// An Argon2id PHC string for a new password.
    pub async fn hash(&self, password: String) -> Result<String, Busy> {
        self.run(move || password_auth::generate_hash(password))
            .await
    }

    /// Whether the password matches the stored hash.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, Busy> {
        self.run(move || verify_in_place(&password, &hash)).await
    }

    /// Spends the time of a real check on a throwaway hash, for unknown, locked or refused
    /// accounts: the answer's timing tells nothing about which usernames exist.
    pub async fn verify_dummy(&self, password: String) -> Result<(), Busy> {
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        self.run(move || {
            let hash =
                DUMMY.get_or_init(|| password_auth::generate_hash("not a password of anyone"));
            let _ = verify_in_place(&password, hash);
        })
        .await
    }
}

thread_local! {
    /// The Argon2 working memory of this checking thread, kept between checks.
    static MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Checks a password against an Argon2 PHC string (as `password_auth::generate_hash` writes
/// them) in the thread's own working memory. Anything that is not a valid Argon2 hash fails.
fn verify_in_place(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{Output, PasswordHash};
    use argon2::{Algorithm, Argon2, Params, Version};
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) =
        (Algorithm::try_from(hash.algorithm), Params::try_from(&hash))
    else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let hasher = Argon2::new(algorithm, version, params);
    let computed = MEMORY.with_borrow_mut(|memory| {
        memory.resize(blocks, argon2::Block::default());
        hasher.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..])
    });
    // `Output` compares in constant time.
    computed.is_ok() && Output::new(&out).is_ok_and(|output| output == expected)
}

/// A checking thread: one job after another until the gate is dropped.
fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        let job = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
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
        let hold = Arc::new(Mutex::new(hold));
        let (started, running) = std::sync::mpsc::channel::<()>();
        // One running (blocked until released), eight waiting: the tenth is refused at once.
        let mut tasks = Vec::new();
        for n in 0..9 {
            let gate = gate.clone();
            let hold = hold.clone();
            let started = started.clone();
            tasks.push(tokio::spawn(async move {
                gate.run(move || {
                    let _ = started.send(());
                    let _ = hold.lock().unwrap().recv();
                })
                .await
            }));
            tokio::task::yield_now().await;
            if n == 0 {
                // The first is running (out of the queue) before the others queue up.
                running.recv().unwrap();
            }
        }
        // On this single-threaded runtime every task has been polled, so has queued its job.
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        let tenth = tokio::time::timeout(std::time::Duration::from_secs(5), gate.run(|| ())).await;
        assert_eq!(tenth, Ok(Err(Busy)), "a full queue refuses at once");
        for _ in 0..9 {
            release.send(()).unwrap();
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), Ok(()));
        }
        assert_eq!(gate.run(|| 7).await, Ok(7));
    }

    #[test]
    fn checks_in_place_agree_with_the_library() {
        let hash = password_auth::generate_hash("mật khẩu đủ dài");
        assert!(verify_in_place("mật khẩu đủ dài", &hash));
        assert!(!verify_in_place("mật khẩu đủ dài!", &hash));
        assert!(!verify_in_place("x", "not a hash"));
        assert!(!verify_in_place("x", "$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA"));
        // A second check reuses the thread's memory and still agrees.
        assert!(verify_in_place("mật khẩu đủ dài", &hash));
        MEMORY.with_borrow(|memory| assert_eq!(memory.len(), 19 * 1024));
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
