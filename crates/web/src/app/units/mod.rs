//! Use cases of the units area.

pub mod export;
pub mod import;
