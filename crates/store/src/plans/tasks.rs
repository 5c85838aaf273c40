//! A plan's tasks: created with their lead and coordinating agencies and what they target,
//! moved through their states (`chiso_domain::plan::task`) from the version the actor saw,
//! and reported on by the units working on them.

use chiso_domain::plan::{Deadline, Period, PlanRefusal, TaskAction, TaskActor, TaskStatus, task};
use chrono::{DateTime, NaiveDate, Utc};

use super::get_plan;
use crate::audit::{AuditEntry, AuditSink};
use crate::db::Db;
use crate::error::StoreError;
use crate::{in_transaction, with_db_read};

/// What a task is meant to lift.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskTarget {
    /// `leaf`, `area`, `factor`, `item` or `dimension`.
    pub kind: String,
    /// `par`, `sipas`, `papi`…
    pub index_id: String,
    pub code: String,
    /// Why it was proposed.
    pub note: String,
}

/// A new task.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskFields {
    pub group_id: Option<i64>,
    /// The province's task this unit task serves.
    pub serves_task_id: Option<i64>,
    pub title: String,
    pub product: String,
    pub deadline: Deadline,
    /// 1 (high) to 3 (low).
    pub priority: i64,
    pub lead_unit_id: i64,
    pub division: Option<String>,
    pub coordinators: Vec<i64>,
    pub targets: Vec<TaskTarget>,
    pub assigned_on: NaiveDate,
}

/// A stored task.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskRow {
    pub id: i64,
    pub plan_id: i64,
    pub group_id: Option<i64>,
    pub serves_task_id: Option<i64>,
    pub position: i64,
    pub title: String,
    pub product: String,
    pub deadline: Deadline,
    pub priority: i64,
    pub status: TaskStatus,
    pub status_reason: Option<String>,
    pub lead_unit_id: i64,
    pub division: Option<String>,
    pub assigned_on: NaiveDate,
    pub version: i64,
    pub coordinators: Vec<i64>,
    pub targets: Vec<TaskTarget>,
}

#[derive(sqlx::FromRow)]
struct TaskColumns {
    id: i64,
    plan_id: i64,
    group_id: Option<i64>,
    serves_task_id: Option<i64>,
    position: i64,
    title: String,
    product: String,
    deadline: String,
    priority: i64,
    status: String,
    status_reason: Option<String>,
    lead_unit_id: i64,
    division: Option<String>,
    assigned_on: NaiveDate,
    version: i64,
}

const TASK_COLUMNS: &str = "id, plan_id, group_id, serves_task_id, position, title, product, deadline, \
    priority, status, status_reason, lead_unit_id, division, assigned_on, version";

/// Replaces a task's coordinators and targets on an open transaction `$tx` (either backend).
macro_rules! write_links {
    ($tx:ident, $task_id:expr, $coordinators:expr, $targets:expr) => {{
        let task_id: i64 = $task_id;
        sqlx::query("DELETE FROM plan_task_coordinators WHERE task_id = $1")
            .bind(task_id)
            .execute(&mut *$tx)
            .await?;
        for unit in $coordinators {
            sqlx::query("INSERT INTO plan_task_coordinators (task_id, unit_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(task_id)
                .bind(unit)
                .execute(&mut *$tx)
                .await?;
        }
        sqlx::query("DELETE FROM plan_task_targets WHERE task_id = $1")
            .bind(task_id)
            .execute(&mut *$tx)
            .await?;
        for target in $targets {
            sqlx::query("INSERT INTO plan_task_targets (task_id, kind, index_id, code, note) VALUES ($1, $2, $3, $4, $5)")
                .bind(task_id)
                .bind(&target.kind)
                .bind(&target.index_id)
                .bind(&target.code)
                .bind(&target.note)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use write_links;

/// Inserts a task with its coordinators and targets and its audit row on an open transaction
/// `$tx` (either backend); evaluates to the new id. `$title` is the trimmed title.
macro_rules! insert_task {
    ($tx:ident, $actor:expr, $plan_id:expr, $fields:expr, $title:expr, $now:expr) => {{
        let (actor, plan_id, fields, title, now) = ($actor, $plan_id, $fields, $title, $now);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO plan_tasks (plan_id, group_id, serves_task_id, position, title, product, deadline, \
                 priority, lead_unit_id, division, assigned_on, created_at, updated_at) \
                 VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), 0) + 1 FROM plan_tasks WHERE plan_id = $1), \
                 $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id")
                .bind(plan_id)
                .bind(fields.group_id)
                .bind(fields.serves_task_id)
                .bind(title)
                .bind(fields.product.trim())
                .bind(fields.deadline.as_code())
                .bind(fields.priority.clamp(1, 3))
                .bind(fields.lead_unit_id)
                .bind(fields.division.as_deref().map(str::trim).filter(|d| !d.is_empty()))
                .bind(fields.assigned_on)
                .bind(now)
                .fetch_one(&mut *$tx)
                .await?;
            write_links!($tx, id, &fields.coordinators, &fields.targets);
            $tx.record(actor, &AuditEntry::new("add_task", "plan_task", id)
                .change("task", None, Some(title.to_string()))
                .change("deadline", None, Some(fields.deadline.as_code()))
                .unit(Some(fields.lead_unit_id))).await?;
            id
    }};
}
pub(crate) use insert_task;

/// Adds a task to a plan with its coordinators and targets, audited, in one transaction.
pub async fn add_task(
    db: &Db,
    actor: &crate::Actor,
    plan_id: i64,
    fields: &TaskFields,
) -> Result<i64, StoreError> {
    let title = fields.title.trim();
    if title.is_empty() {
        return Err(PlanRefusal::NoTitle.into());
    }
    if fields.coordinators.contains(&fields.lead_unit_id) {
        return Err(PlanRefusal::LeadCoordinates.into());
    }
    let plan = get_plan(db, plan_id).await?;
    if let Some(served) = fields.serves_task_id {
        let served_plan = get_task(db, served).await?.plan_id;
        if Some(served_plan) != plan.parent_id {
            return Err(PlanRefusal::ServesOtherPlan { task_id: served }.into());
        }
    }
    let now = Utc::now();
    in_transaction!(db, tx => {
        let id = insert_task!(tx, actor, plan_id, fields, title, now);
        Ok(id)
    })
}

fn decode(row: TaskColumns) -> Result<TaskRow, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "plan task",
        detail,
    };
    let deadline = Deadline::from_code(&row.deadline)
        .ok_or_else(|| corrupt(format!("task {}: deadline {}", row.id, row.deadline)))?;
    let status = TaskStatus::parse(&row.status)
        .ok_or_else(|| corrupt(format!("task {}: status {}", row.id, row.status)))?;
    Ok(TaskRow {
        id: row.id,
        plan_id: row.plan_id,
        group_id: row.group_id,
        serves_task_id: row.serves_task_id,
        position: row.position,
        title: row.title,
        product: row.product,
        deadline,
        priority: row.priority,
        status,
        status_reason: row.status_reason,
        lead_unit_id: row.lead_unit_id,
        division: row.division,
        assigned_on: row.assigned_on,
        version: row.version,
        coordinators: Vec::new(),
        targets: Vec::new(),
    })
}

#[derive(sqlx::FromRow)]
struct TargetColumns {
    task_id: i64,
    kind: String,
    index_id: String,
    code: String,
    note: String,
}

/// Tasks by a condition on `plan_tasks` (`$1` bound to `key`), with their coordinators and
/// targets: three reads whatever the number of tasks.
async fn load_tasks(db: &Db, condition: &str, key: i64) -> Result<Vec<TaskRow>, StoreError> {
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM plan_tasks WHERE {condition} ORDER BY plan_id, position"
    );
    let rows = with_db_read!(db, pool => sqlx::query_as::<_, TaskColumns>(&sql)
        .bind(key)
        .fetch_all(pool)
        .await?);
    let mut tasks: Vec<TaskRow> = rows.into_iter().map(decode).collect::<Result<_, _>>()?;
    let ids = format!("SELECT id FROM plan_tasks WHERE {condition}");
    let coordinators: Vec<(i64, i64)> = with_db_read!(db, pool => sqlx::query_as(&format!(
        "SELECT task_id, unit_id FROM plan_task_coordinators WHERE task_id IN ({ids}) ORDER BY unit_id"))
        .bind(key)
        .fetch_all(pool)
        .await?);
    let targets: Vec<TargetColumns> = with_db_read!(db, pool => sqlx::query_as(&format!(
        "SELECT task_id, kind, index_id, code, note FROM plan_task_targets WHERE task_id IN ({ids}) ORDER BY id"))
        .bind(key)
        .fetch_all(pool)
        .await?);
    for task in &mut tasks {
        task.coordinators = coordinators
            .iter()
            .filter(|(t, _)| *t == task.id)
            .map(|(_, u)| *u)
            .collect();
        task.targets = targets
            .iter()
            .filter(|t| t.task_id == task.id)
            .map(|t| TaskTarget {
                kind: t.kind.clone(),
                index_id: t.index_id.clone(),
                code: t.code.clone(),
                note: t.note.clone(),
            })
            .collect();
    }
    Ok(tasks)
}

pub async fn get_task(db: &Db, id: i64) -> Result<TaskRow, StoreError> {
    load_tasks(db, "id = $1", id)
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// Every task of every plan, by plan and position (three reads).
pub async fn all_tasks(db: &Db) -> Result<Vec<TaskRow>, StoreError> {
    load_tasks(db, "plan_id > $1", 0).await
}

/// A plan's tasks in order.
pub async fn tasks(db: &Db, plan_id: i64) -> Result<Vec<TaskRow>, StoreError> {
    load_tasks(db, "plan_id = $1", plan_id).await
}

/// The tasks a unit works on, each with its part: lead or coordinator.
pub async fn tasks_of_unit(db: &Db, unit_id: i64) -> Result<Vec<(TaskRow, TaskActor)>, StoreError> {
    let tasks = load_tasks(
        db,
        "lead_unit_id = $1 OR id IN (SELECT task_id FROM plan_task_coordinators WHERE unit_id = $1)",
        unit_id,
    )
    .await?;
    Ok(tasks
        .into_iter()
        .map(|t| {
            let part = if t.lead_unit_id == unit_id {
                TaskActor::Lead
            } else {
                TaskActor::Coordinator
            };
            (t, part)
        })
        .collect())
}

/// Moves a task by an action, from the version the actor saw; returns the new status. The
/// rule is the domain's; a task changed meanwhile is refused and nothing changes.
pub async fn move_task(
    db: &Db,
    actor: &crate::Actor,
    who: TaskActor,
    task_id: i64,
    action: TaskAction,
    reason: Option<&str>,
    seen_version: i64,
) -> Result<TaskStatus, StoreError> {
    let current = get_task(db, task_id).await?;
    let next = task::transition(current.status, action, who, reason).map_err(PlanRefusal::from)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let now = Utc::now();
    in_transaction!(db, tx => {
        let moved = sqlx::query(
            "UPDATE plan_tasks SET status = $1, status_reason = $2, version = version + 1, updated_at = $3 \
             WHERE id = $4 AND version = $5 AND status = $6")
            .bind(next.as_str())
            .bind(reason)
            .bind(now)
            .bind(task_id)
            .bind(seen_version)
            .bind(current.status.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if moved == 0 {
            return Err(PlanRefusal::TaskChanged { task_id }.into());
        }
        tx.record(actor, &AuditEntry::new("move_task", "plan_task", task_id)
            .change("status", Some(current.status.as_str().to_string()), Some(next.as_str().to_string()))
            .reason(reason)
            .unit(Some(current.lead_unit_id))).await?;
        Ok(next)
    })
}

/// A progress report to file.
#[derive(Clone, Debug, PartialEq)]
pub struct NewReport {
    pub task_id: i64,
    /// The reporting unit: the lead, or a coordinator contributing.
    pub unit_id: i64,
    pub period: Period,
    pub percent: i64,
    pub narrative: String,
    pub filed_on: NaiveDate,
    /// Evidence files (already uploaded to the evidence store) with the names to show.
    pub files: Vec<(i64, String)>,
}

/// A stored report.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub task_id: i64,
    pub unit_id: i64,
    pub period: String,
    pub percent: i64,
    pub narrative: String,
    pub filed_on: NaiveDate,
    pub author_name: String,
    pub created_at: DateTime<Utc>,
}

/// Files a report on a task by a unit on it (its lead or a coordinator), while the task is
/// open; audited. The first report of its lead starts a task not started yet.
pub async fn file_report(
    db: &Db,
    actor: &crate::Actor,
    report: &NewReport,
) -> Result<i64, StoreError> {
    let current = get_task(db, report.task_id).await?;
    let who = if current.lead_unit_id == report.unit_id {
        TaskActor::Lead
    } else if current.coordinators.contains(&report.unit_id) {
        TaskActor::Coordinator
    } else {
        return Err(PlanRefusal::NotOnTask {
            unit_id: report.unit_id,
            task_id: report.task_id,
        }
        .into());
    };
    if !task::may_report(current.status, who) {
        return Err(PlanRefusal::TaskClosed {
            status: current.status,
        }
        .into());
    }
    if !(0..=100).contains(&report.percent) {
        return Err(PlanRefusal::Percent {
            percent: report.percent,
        }
        .into());
    }
    let narrative = report.narrative.trim();
    if narrative.is_empty() {
        return Err(PlanRefusal::NoNarrative.into());
    }
    let starts = who == TaskActor::Lead && current.status == TaskStatus::NotStarted;
    let now = Utc::now();
    in_transaction!(db, tx => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO plan_task_reports (task_id, unit_id, period, percent, narrative, filed_on, author_id, \
             author_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
            .bind(report.task_id)
            .bind(report.unit_id)
            .bind(report.period.as_code())
            .bind(report.percent)
            .bind(narrative)
            .bind(report.filed_on)
            .bind(actor.id)
            .bind(&actor.name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        for (file_id, name) in &report.files {
            sqlx::query("INSERT INTO plan_report_files (report_id, file_id, file_name) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(file_id)
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        if starts {
            sqlx::query("UPDATE plan_tasks SET status = 'in_progress', version = version + 1, updated_at = $1 \
                         WHERE id = $2 AND status = 'not_started'")
                .bind(now)
                .bind(report.task_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.record(actor, &AuditEntry::new("file_report", "plan_task", report.task_id)
            .change("report", None, Some(format!("{} {} %", report.period.as_code(), report.percent)))
            .unit(Some(report.unit_id))).await?;
        Ok(id)
    })
}

/// A task's reports, the latest first.
pub async fn reports(db: &Db, task_id: i64) -> Result<Vec<ReportRow>, StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, ReportRow>(
        "SELECT id, task_id, unit_id, period, percent, narrative, filed_on, author_name, created_at \
         FROM plan_task_reports WHERE task_id = $1 ORDER BY filed_on DESC, id DESC")
        .bind(task_id)
        .fetch_all(pool)
        .await?))
}
