//! Use cases of the units area.

pub mod import;
