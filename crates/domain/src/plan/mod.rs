//! Improvement plans (kế hoạch nâng cao chỉ số; docs/method.md §7.3–§7.7): the rules a plan's
//! tasks live by, pure and without IO. A task moves through [`task::TaskStatus`] by the
//! actions its lead agency, its coordinating agencies and the secretariat may take; its
//! deadline is a date, a recurring rule or "thường xuyên" ([`deadline::Deadline`]), from which
//! its timing (on track, due soon, overdue) follows on any day; units report per
//! [`period::Period`]; and a plan's goals ([`goal::Goal`]) are checked against later results.

pub mod deadline;
pub mod goal;
pub mod period;
pub mod task;

pub use deadline::{Deadline, DeadlineError, Timing};
pub use goal::{Goal, GoalError, GoalOutcome};
pub use period::{Period, PeriodKind};
pub use task::{TaskAction, TaskActor, TaskRefusal, TaskStatus};
