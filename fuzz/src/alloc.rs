//! A counting global allocator: the bytes each thread holds allocated, and the peak since
//! [`measure`] started, so that a target can check that a parser's memory is bounded by its
//! input. Installed by the fuzz binaries and by the replay test:
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOCATOR: chiso_fuzz::alloc::Counting = chiso_fuzz::alloc::Counting;
//! ```
//!
//! Without it [`measure`] reports 0 and the bound is not checked.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting per thread.
pub struct Counting;

thread_local! {
    /// Bytes allocated minus bytes freed on this thread (negative when it frees memory that
    /// was allocated before).
    static CURRENT: Cell<i64> = const { Cell::new(0) };
    /// The highest `CURRENT` since the last [`measure`] started.
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn add(bytes: i64) {
    // During a thread's teardown the counters may be gone: nothing is counted then.
    let _ = CURRENT.try_with(|current| {
        let now = current.get() + bytes;
        current.set(now);
        let _ = PEAK.try_with(|peak| {
            if now > peak.get() {
                peak.set(now);
            }
        });
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; the counters are
// thread-local cells with constant initialisers, which neither allocate nor lock.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            add(layout.size() as i64);
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            add(layout.size() as i64);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        add(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            add(new_size as i64 - layout.size() as i64);
        }
        moved
    }
}

/// Runs `f` and returns its result with the most bytes held at once on this thread while it
/// ran, beyond what was held when it started.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = CURRENT.with(Cell::get);
    PEAK.with(|peak| peak.set(start));
    let value = f();
    let peak = PEAK.with(Cell::get);
    (value, (peak - start).max(0) as usize)
}
