//! The interchange contract of chiso (docs/formats.md): reading and writing
//! frameworks, units, scores and lineage as CSV, .xlsx and TOML, earlier results as JSON, and
//! the output of `chiso compute`. Parsing turns text into the domain's types and names the
//! file, row and field of every problem.

pub mod csv_out;
pub mod error;
pub mod framework_io;
#[cfg(any(test, feature = "test-support"))]
pub mod hostile;
pub mod indices;
pub mod plan;
pub mod report;
pub mod sheet;
pub mod table;
pub mod template;
pub mod text;
pub mod units_io;
pub mod workbook;

pub use error::{FieldProblem, InputError, InputErrors, Problem};
