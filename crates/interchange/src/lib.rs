//! The interchange contract of chiso (shared/docs/interchange.md): reading and writing
//! frameworks, units, scores and lineage as CSV, .xlsx and TOML, earlier results as JSON, and
//! the output of `chiso compute`. Parsing turns text into the domain's types and names the
//! file, row and field of every problem.

pub mod error;
pub mod framework_io;
pub mod report;
pub mod table;
pub mod units_io;

pub use error::{InputError, InputErrors};
