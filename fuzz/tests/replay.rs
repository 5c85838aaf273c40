//! The bounded fuzz run of `cargo test`: for each target, every input of its corpus
//! (`fuzz/corpus/TARGET/`), then inputs mutated from the corpus by a seeded generator for
//! about a second (`CHISO_FUZZ_SECONDS` sets another time; 0 replays the corpus only). Each
//! input must keep the invariant of `chiso_fuzz::guard` (no panic of chiso's own, memory
//! within the bound) and finish within `CHISO_FUZZ_INPUT_SECONDS` (30 by default: a debug
//! build on a busy machine). A failing input is written under the test's temporary folder,
//! its path in the failure.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chiso_fuzz::alloc::Counting;
use chiso_fuzz::guard::observe;
use chiso_fuzz::mutate::{Rng, mutate};
use chiso_fuzz::{TARGETS, Target, target};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn corpus_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(name)
}

/// A target's corpus, by file name.
fn corpus(name: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(name);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("a corpus entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("a corpus file"))
        })
        .collect();
    files.sort();
    files
}

fn seconds(variable: &str, default: f64) -> Duration {
    let value = std::env::var(variable)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(default);
    Duration::from_secs_f64(value.max(0.0))
}

/// Keeps a failing input where it can be found and added to the corpus.
fn keep(target: &Target, label: &str, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    std::fs::create_dir_all(&dir).expect("the failures folder");
    let path = dir.join(format!("{}-{label}", target.name));
    std::fs::write(&path, input).expect("the failing input is written");
    path
}

/// What the worker is on: the input and when it started.
type Current = Arc<Mutex<Option<(String, Vec<u8>, Instant)>>>;

struct Summary {
    corpus: usize,
    mutated: usize,
    /// The highest allocation peak over the bound, as a share of the bound.
    worst_share: f64,
    /// The most bytes held at once, and the input's length then.
    largest_peak: (usize, usize),
}

/// Runs the corpus and the mutations of `target` on a worker thread; the calling thread
/// watches that no input runs longer than the limit.
fn replay(name: &'static str) {
    let target = target(name);
    let inputs = corpus(name);
    assert!(!inputs.is_empty(), "the corpus of {name} is empty");
    let budget = seconds("CHISO_FUZZ_SECONDS", 1.0);
    let limit = seconds("CHISO_FUZZ_INPUT_SECONDS", 30.0);
    let current: Current = Arc::new(Mutex::new(None));
    let (done, finished) = mpsc::channel();
    let worker = {
        let current = Arc::clone(&current);
        std::thread::Builder::new()
            .name(format!("fuzz-{name}"))
            .spawn(move || {
                let result = run_all(target, &inputs, budget, &current);
                let _ = done.send(());
                result
            })
            .expect("a worker thread")
    };
    loop {
        match finished.recv_timeout(Duration::from_millis(100)) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let guard = current.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((label, input, started)) = guard.as_ref()
                    && started.elapsed() > limit
                {
                    let path = keep(target, label, input);
                    panic!(
                        "{name}: input {label} still running after {limit:?}: kept at {}",
                        path.display()
                    );
                }
            }
        }
    }
    match worker
        .join()
        .expect("the worker reports, it does not panic")
    {
        Ok(summary) => eprintln!(
            "{name}: {} corpus inputs, {} mutated, highest allocation {:.0}% of the bound \
             (largest: {} bytes for a {}-byte input)",
            summary.corpus,
            summary.mutated,
            summary.worst_share * 100.0,
            summary.largest_peak.0,
            summary.largest_peak.1
        ),
        Err(failure) => panic!("{failure}"),
    }
}

fn run_all(
    target: &'static Target,
    inputs: &[(String, Vec<u8>)],
    budget: Duration,
    current: &Current,
) -> Result<Summary, String> {
    chiso_fuzz::targets::warm_up();
    let mut summary = Summary {
        corpus: 0,
        mutated: 0,
        worst_share: 0.0,
        largest_peak: (0, 0),
    };
    let one = |label: String, input: &[u8], summary: &mut Summary| -> Result<(), String> {
        *current.lock().unwrap() = Some((label.clone(), input.to_vec(), Instant::now()));
        let outcome = observe(target, input);
        *current.lock().unwrap() = None;
        let share = outcome.peak_bytes as f64 / target.allocation_bound(input.len()) as f64;
        summary.worst_share = summary.worst_share.max(share);
        if outcome.peak_bytes > summary.largest_peak.0 {
            summary.largest_peak = (outcome.peak_bytes, input.len());
        }
        match outcome.failure(target, input.len()) {
            None => Ok(()),
            Some(failure) => {
                let path = keep(target, &label, input);
                Err(format!(
                    "{failure}\ninput {label} kept at {}",
                    path.display()
                ))
            }
        }
    };
    for (label, input) in inputs {
        one(format!("corpus-{label}"), input, &mut summary)?;
        summary.corpus += 1;
    }
    let max_len = inputs.iter().map(|(_, i)| i.len()).max().unwrap_or(0) + 4096;
    let mut rng = Rng::for_name(target.name);
    let started = Instant::now();
    while started.elapsed() < budget {
        let base = &inputs[rng.below(inputs.len())].1;
        let other = &inputs[rng.below(inputs.len())].1;
        let input = mutate(&mut rng, base, other, max_len);
        one(format!("mutated-{}", summary.mutated), &input, &mut summary)?;
        summary.mutated += 1;
    }
    Ok(summary)
}

macro_rules! replay_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                replay(stringify!($name));
            }
        )*

        /// Every target has a test above.
        #[test]
        fn every_target_is_replayed() {
            let tested = [$(stringify!($name)),*];
            for target in TARGETS {
                assert!(tested.contains(&target.name), "{} has no replay test", target.name);
            }
        }
    };
}

replay_tests! {
    table_csv,
    table_xlsx,
    sheet_rows,
    sheet_grid,
    framework_csv,
    framework_toml,
    rule,
    units_csv,
    scores_csv,
    lineage_csv,
    previous_json,
    indices,
    plan_appendix,
    survey_csv,
    survey_xlsx,
    questionnaire_toml,
    weight,
    survey_text_cells,
}

/// The corpus stays small enough to keep in the repository.
#[test]
fn the_corpus_stays_small() {
    let mut total = 0;
    for target in TARGETS {
        for (_, input) in corpus(target.name) {
            total += input.len();
        }
    }
    assert!(total < 3 << 20, "the corpus holds {total} bytes");
}
