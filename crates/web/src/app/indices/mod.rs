//! The national indices in the web app (docs/method.md §5.7–§5.8).

pub mod agencies;
pub mod import;
pub mod targets;
