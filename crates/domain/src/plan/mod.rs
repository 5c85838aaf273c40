//! Improvement plans (kế hoạch nâng cao chỉ số; docs/method.md §7.3–§7.7): the rules a plan's
//! tasks live by, pure and without IO. A task moves through [`task::TaskStatus`] by the
//! actions its lead agency, its coordinating agencies and the secretariat may take; its
//! deadline is a date, a recurring rule or "thường xuyên" ([`deadline::Deadline`]), from which
//! its timing (on track, due soon, overdue) follows on any day; units report per
//! [`period::Period`]; and a plan's goals ([`goal::Goal`]) are checked against later results.

pub mod deadline;
pub mod draft;
pub mod emulation;
pub mod goal;
pub mod period;
pub mod task;

pub use deadline::{Deadline, DeadlineError, Timing};
pub use goal::{Goal, GoalError, GoalOutcome, GoalTarget};
pub use period::{Period, PeriodKind};
pub use task::{TaskAction, TaskActor, TaskRefusal, TaskStatus};

/// Why a change to a plan, a task or a report is refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanRefusal {
    #[error(transparent)]
    Task(#[from] TaskRefusal),
    #[error(transparent)]
    Goal(#[from] GoalError),
    #[error(transparent)]
    Deadline(#[from] DeadlineError),
    /// A plan, group or task without a title.
    #[error("a title is required")]
    NoTitle,
    /// Someone changed the task since it was read: nothing was changed.
    #[error("task {task_id} changed meanwhile")]
    TaskChanged { task_id: i64 },
    /// A coordinating agency that is the task's lead agency.
    #[error("the lead agency cannot also coordinate")]
    LeadCoordinates,
    /// A report's completion outside 0–100 %.
    #[error("completion {percent} % is outside 0–100")]
    Percent { percent: i64 },
    /// A report without a narrative.
    #[error("a report says what was done")]
    NoNarrative,
    /// A report on a task that is done or cancelled.
    #[error("the task is {status:?}: it takes no more reports")]
    TaskClosed { status: TaskStatus },
    /// A report or action by a unit that is neither the task's lead nor a coordinator.
    #[error("unit {unit_id} neither leads nor coordinates task {task_id}")]
    NotOnTask { unit_id: i64, task_id: i64 },
    /// A unit's plan under a plan that is itself a unit's plan: plans cascade one level.
    #[error("plan {parent_id} is a unit's plan: a plan goes under the province's")]
    ParentNotProvincial { parent_id: i64 },
    /// A task that serves a task of another plan than the parent plan.
    #[error("task {task_id} is not a task of the plan this one serves")]
    ServesOtherPlan { task_id: i64 },
    /// A reporting period opened twice for the same plan.
    #[error("period {period} is already open")]
    PeriodOpen { period: String },
    /// Tasks merged from another plan, or a merge with fewer than two tasks.
    #[error("tasks of one plan, at least two, are merged")]
    MergeNeedsTwo,
    /// A lead or coordinating agency that is no unit of the system.
    #[error("unit {unit_id} does not exist")]
    UnknownUnit { unit_id: i64 },
    /// A date field that holds no date (the form's words, as typed).
    #[error("'{text}' is not a date")]
    BadDate { text: String },
    /// A unit's own task assigned to another unit: a unit plan's tasks are the unit's.
    #[error("a unit's plan assigns its tasks to the unit (its divisions)")]
    LeadOutsideUnit,
}
