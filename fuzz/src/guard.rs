//! The invariant every target shares: the parser returns, without a panic of chiso's own and
//! within its allocation bound.
//!
//! The bounded .xlsx reader (`chiso_interchange::sheet`) runs calamine under
//! `catch_unwind` on purpose: calamine does arithmetic on cell references it has not
//! checked, and a panic there is a file that cannot be read. Such a panic is tolerated when
//! it happens inside calamine and the reader catches it. Any other panic fails the target,
//! even one that some `catch_unwind` swallowed (the reader's also wraps the caller's row
//! callback, where a panic of chiso's would otherwise pass as "a cell reference is out of
//! range").

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::{Once, OnceLock};

use crate::Target;
use crate::alloc::measure;

/// Source paths where a panic is a known, caught failure of a dependency.
pub const TOLERATED: &[&str] = &["/calamine-"];

/// A panic seen while a target ran.
#[derive(Clone, Debug)]
pub struct Panic {
    pub location: String,
    pub message: String,
}

impl Panic {
    pub fn tolerated(&self) -> bool {
        TOLERATED.iter().any(|t| self.location.contains(t))
    }
}

thread_local! {
    static PANICS: RefCell<Vec<Panic>> = const { RefCell::new(Vec::new()) };
}

static HOOK: Once = Once::new();

/// Whether to print each tolerated panic (`CHISO_FUZZ_SHOW_TOLERATED=1`), to see which of
/// calamine's panics the reader catches.
fn show_tolerated() -> bool {
    static SHOW: OnceLock<bool> = OnceLock::new();
    *SHOW.get_or_init(|| std::env::var_os("CHISO_FUZZ_SHOW_TOLERATED").is_some())
}

fn message(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".to_string())
}

/// Wraps the panic hook in force (libFuzzer's, which aborts, or the default, which prints):
/// every panic is recorded for [`check`]; a tolerated one goes no further.
fn install_hook() {
    HOOK.call_once(|| {
        crate::targets::warm_up();
        show_tolerated();
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let seen = Panic {
                location: info
                    .location()
                    .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                    .unwrap_or_default(),
                message: message(info),
            };
            let tolerated = seen.tolerated();
            if tolerated && show_tolerated() {
                eprintln!("tolerated panic at {}: {}", seen.location, seen.message);
            }
            let _ = PANICS.try_with(|p| p.borrow_mut().push(seen));
            if !tolerated {
                previous(info);
            }
        }));
    });
}

/// What one run of a target did.
#[derive(Debug)]
pub struct Outcome {
    /// Every panic, tolerated or not.
    pub panics: Vec<Panic>,
    /// Whether a panic left the target.
    pub escaped: bool,
    /// The most bytes held at once (0 without the counting allocator).
    pub peak_bytes: usize,
}

impl Outcome {
    /// Why the run broke the invariant, if it did.
    pub fn failure(&self, target: &Target, len: usize) -> Option<String> {
        if let Some(p) = self.panics.iter().find(|p| !p.tolerated()) {
            return Some(format!(
                "{}: panicked at {}: {}",
                target.name, p.location, p.message
            ));
        }
        if self.escaped {
            return Some(format!(
                "{}: a tolerated panic was not caught by the parser",
                target.name
            ));
        }
        let bound = target.allocation_bound(len);
        if self.peak_bytes > bound {
            return Some(format!(
                "{}: {} bytes allocated at once for a {len}-byte input (bound {bound})",
                target.name, self.peak_bytes
            ));
        }
        None
    }
}

/// Runs `target` on `data`, recording its panics and its allocation peak.
pub fn observe(target: &Target, data: &[u8]) -> Outcome {
    install_hook();
    PANICS.with(|p| p.borrow_mut().clear());
    let (result, peak_bytes) =
        measure(|| panic::catch_unwind(AssertUnwindSafe(|| (target.run)(data))));
    Outcome {
        panics: PANICS.with(|p| std::mem::take(&mut *p.borrow_mut())),
        escaped: result.is_err(),
        peak_bytes,
    }
}

/// Runs `target` on `data` and panics when the invariant is broken.
pub fn check(target: &Target, data: &[u8]) {
    let outcome = observe(target, data);
    if let Some(failure) = outcome.failure(target, data.len()) {
        panic!("{failure}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Input;

    fn target(run: fn(&[u8])) -> Target {
        Target {
            name: "test",
            input: Input::Text,
            run,
        }
    }

    #[test]
    fn a_parser_that_returns_passes() {
        let outcome = observe(&target(|_| {}), b"x");
        assert_eq!(outcome.failure(&target(|_| {}), 1), None);
    }

    #[test]
    fn a_panic_fails() {
        let t = target(|_| panic!("boom"));
        let failure = observe(&t, b"x").failure(&t, 1).unwrap();
        assert!(failure.contains("boom"), "{failure}");
    }

    #[test]
    fn a_panic_the_parser_swallows_still_fails() {
        let t = target(|_| {
            let _ = std::panic::catch_unwind(|| panic!("swallowed"));
        });
        let failure = observe(&t, b"x").failure(&t, 1).unwrap();
        assert!(failure.contains("swallowed"), "{failure}");
    }

    #[test]
    fn holding_more_than_the_bound_fails() {
        let t = target(|data| {
            let held = vec![1u8; 64 << 20];
            assert_eq!(held.len(), 64 << 20);
            std::hint::black_box((held, data));
        });
        let failure = observe(&t, b"x").failure(&t, 1).unwrap();
        assert!(failure.contains("allocated at once"), "{failure}");
    }
}
