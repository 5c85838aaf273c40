//! The plans' notices (docs/method.md §7.6): 7, 3 and 1 days before each due date of an open
//! task, once when it becomes overdue, when a reporting period opens, and when a task is
//! assigned. Each goes to the editors and leaders of the units concerned; its key makes it
//! once per person however many processes compute it.

use chiso_domain::notice::NoticeKind;
use chiso_domain::plan::Timing;
use chiso_store::plans::{self, PlanRow, TaskRow};
use chiso_store::{Db, StoreError};
use chrono::NaiveDate;
use serde_json::json;

use crate::app::{Clock, notifications};

fn task_link(task: &TaskRow) -> String {
    format!("/ke-hoach/{}/nhiem-vu/{}", task.plan_id, task.id)
}

/// Writes the reminders and overdue notices due today; returns how many are new.
pub async fn send(db: &Db, clock: &Clock) -> Result<u64, StoreError> {
    let today = clock.today();
    let mut written = 0;
    for open in plans::open_tasks(db).await? {
        let (task, plan_title) = (&open.task, &open.plan_title);
        let args = |due: NaiveDate, days: i64| {
            json!({
                "task": task.title,
                "plan": plan_title,
                "deadline": due.to_string(),
                "days": days,
            })
        };
        if let Some((due, days)) = task.deadline.reminder(task.status, today) {
            written += notifications::to_units(
                db,
                clock,
                NoticeKind::TaskDueSoon,
                &format!("task:{}:{due}:{days}", task.id),
                &[task.lead_unit_id],
                args(due, days),
                Some(task_link(task)),
            )
            .await?;
        }
        if let Timing::Overdue { due, .. } =
            task.deadline
                .timing(task.status, task.assigned_on, &open.lead_reports, today)
        {
            written += notifications::to_units(
                db,
                clock,
                NoticeKind::TaskOverdue,
                &format!("task:{}:{due}", task.id),
                &[task.lead_unit_id],
                args(due, 0),
                Some(task_link(task)),
            )
            .await?;
        }
    }
    Ok(written)
}

/// A period opened: every unit leading or coordinating an open task of the plan is told.
pub async fn period_opened(
    db: &Db,
    clock: &Clock,
    plan: &PlanRow,
    tasks: &[TaskRow],
    period: &str,
    due_on: NaiveDate,
) -> Result<u64, StoreError> {
    let mut units: Vec<i64> = tasks
        .iter()
        .filter(|t| !t.status.is_closed())
        .flat_map(|t| std::iter::once(t.lead_unit_id).chain(t.coordinators.iter().copied()))
        .collect();
    units.sort_unstable();
    units.dedup();
    notifications::to_units(
        db,
        clock,
        NoticeKind::PeriodOpened,
        &format!("plan:{}:{period}", plan.id),
        &units,
        json!({ "plan": plan.title, "period": period, "deadline": due_on.to_string() }),
        Some("/nhiem-vu".to_string()),
    )
    .await
}

/// A task assigned (added, or its lead or coordinators changed): its units are told, once per
/// task and unit.
pub async fn task_assigned(
    db: &Db,
    clock: &Clock,
    plan: &PlanRow,
    task: &TaskRow,
) -> Result<u64, StoreError> {
    let units: Vec<i64> = std::iter::once(task.lead_unit_id)
        .chain(task.coordinators.iter().copied())
        .collect();
    notifications::to_units(
        db,
        clock,
        NoticeKind::TaskAssigned,
        &format!("task:{}", task.id),
        &units,
        json!({ "task": task.title, "plan": plan.title }),
        Some(task_link(task)),
    )
    .await
}
