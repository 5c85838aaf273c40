//! Fuzz targets for chiso's parsers: every file a user or a device hands to chiso goes
//! through one of them. Each target takes arbitrary bytes and calls a parser; the invariant
//! of every target is that the parser returns `Ok` or its typed error, and never panics,
//! never runs without end, and never allocates beyond a bound set by the input's size
//! ([`Target::allocation_bound`]). Some targets check a property on top (a round trip
//! through the matching writer, two ways of reading agreeing).
//!
//! The same targets run two ways:
//! - under libFuzzer, coverage-guided: `fuzz/run.sh` (or `cargo fuzz run --features
//!   libfuzzer -s none TARGET`), one binary per target in `fuzz_targets/`;
//! - under `cargo test`: `tests/replay.rs` replays the corpus (`fuzz/corpus/TARGET/`) and a
//!   few seconds of inputs mutated from it by a seeded generator ([`mutate`]).
//!
//! A workbook target takes either a zip (the bytes start with `PK`) or the text of its parts
//! ([`parts`]), which the harness zips before the reader sees it, so that the fuzzer can
//! change the XML inside without breaking the zip's checksums.

pub mod alloc;
pub mod guard;
pub mod mutate;
pub mod parts;
pub mod targets;

/// The unit tests measure allocations too.
#[cfg(test)]
#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// What a target's input is, for its allocation bound and its mutations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// CSV, TOML, JSON or a short text: parsed in memory, about linear in the input.
    Text,
    /// A workbook (zip) or its parts' text: a zip part may unpack to about 1,000 times its
    /// packed size, within the reader's own limits.
    Workbook,
}

/// One fuzz target.
pub struct Target {
    /// The name of its cargo-fuzz binary and of its corpus folder.
    pub name: &'static str,
    pub input: Input,
    /// The parser call and its checks; panics when a check fails.
    pub run: fn(&[u8]),
}

impl Target {
    /// The most bytes a run may hold allocated at once for an input of `len` bytes: a fixed
    /// allowance for the readers' buffers (a 1 MiB block, 64 KiB CSV buffers, the reference
    /// data loaded once) and a factor of the input (deflate unpacks at most 1,032 bytes per
    /// byte).
    pub fn allocation_bound(&self, len: usize) -> usize {
        let len = len.max(1);
        match self.input {
            Input::Text => (32 << 20) + 256 * len,
            Input::Workbook => (96 << 20) + 2_048 * len,
        }
    }
}

/// Every target, by name.
pub const TARGETS: &[Target] = targets::ALL;

/// The target called `name`.
pub fn target(name: &str) -> &'static Target {
    TARGETS
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no fuzz target named {name}"))
}

/// Runs target `name` on `data` under the guard: a panic outside the tolerated places, or an
/// allocation peak beyond the bound, panics here (under libFuzzer: a crash, its input saved).
pub fn run(name: &str, data: &[u8]) {
    guard::check(target(name), data);
}
