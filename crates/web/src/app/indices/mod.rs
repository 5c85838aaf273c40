//! The national indices in the web app (docs/method.md §5.7–§5.8, §6.5): an index's year with
//! its ranking, groups, averages and the province's position; the province's trend across the
//! 2025 merger; the leadership overview of every index the province tracks; imports with their
//! preview and history, targets, and the agencies responsible for each item.

pub mod agencies;
pub mod import;
pub mod leadership;
pub mod standing;
pub mod targets;
pub mod trend;
