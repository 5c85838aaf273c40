//! Editing and tracking a plan (docs/method.md §7.8–§7.9): a plan drafted with its groups and
//! tasks in one transaction, its document edited, tasks edited from the version seen, merged or
//! removed; reporting periods opened with their due dates; the evidence files of reports; the
//! roll-up's narrative per period. Every change writes its audit row in its transaction.

use chiso_domain::plan::{Period, PlanRefusal};
use chrono::{DateTime, NaiveDate, Utc};

use super::tasks::{insert_task, write_links};
use super::{PlanFields, TaskFields, TaskRow, get_plan, get_task, text_or_none};
use crate::audit::{AuditEntry, AuditSink, Changes};
use crate::db::Db;
use crate::error::StoreError;
use crate::{Actor, in_transaction, with_db_read};

/// A solution group of a draft with its tasks.
#[derive(Clone, Debug, PartialEq)]
pub struct DraftGroup {
    pub title: String,
    pub index_id: Option<String>,
    pub tasks: Vec<TaskFields>,
}

/// Creates a plan with its groups and tasks at once (a draft from results, an imported
/// appendix): all of it, audited, or nothing.
pub async fn create_with_tasks(
    db: &Db,
    actor: &Actor,
    fields: &PlanFields,
    groups: &[DraftGroup],
) -> Result<i64, StoreError> {
    let title = fields.title.trim();
    if title.is_empty() || groups.iter().any(|g| g.title.trim().is_empty()) {
        return Err(PlanRefusal::NoTitle.into());
    }
    for task in groups.iter().flat_map(|g| &g.tasks) {
        if task.title.trim().is_empty() {
            return Err(PlanRefusal::NoTitle.into());
        }
        if task.coordinators.contains(&task.lead_unit_id) {
            return Err(PlanRefusal::LeadCoordinates.into());
        }
    }
    if let Some(parent_id) = fields.parent_id
        && get_plan(db, parent_id).await?.parent_id.is_some()
    {
        return Err(PlanRefusal::ParentNotProvincial { parent_id }.into());
    }
    let now = Utc::now();
    in_transaction!(db, tx => {
        let plan_id: i64 = sqlx::query_scalar(
            "INSERT INTO plans (parent_id, owner_unit_id, campaign_id, year, title, doc_number, doc_date, \
             issuer, signer, implements, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id")
            .bind(fields.parent_id)
            .bind(fields.owner_unit_id)
            .bind(fields.campaign_id)
            .bind(fields.year)
            .bind(title)
            .bind(text_or_none(&fields.doc_number))
            .bind(fields.doc_date)
            .bind(text_or_none(&fields.issuer))
            .bind(text_or_none(&fields.signer))
            .bind(fields.implements.trim())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("create", "plan", plan_id)
            .change("plan", None, Some(format!("{title} ({})", fields.year)))
            .unit(Some(fields.owner_unit_id))).await?;
        for (position, group) in groups.iter().enumerate() {
            let group_id: i64 = sqlx::query_scalar(
                "INSERT INTO plan_groups (plan_id, position, title, index_id) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(plan_id)
                .bind(position as i64 + 1)
                .bind(group.title.trim())
                .bind(&group.index_id)
                .fetch_one(&mut *tx)
                .await?;
            for task in &group.tasks {
                let task = TaskFields { group_id: Some(group_id), ..task.clone() };
                insert_task!(tx, actor, plan_id, &task, task.title.trim(), now);
            }
        }
        Ok(plan_id)
    })
}

/// Changes a plan's document (number, date, issuer, signer), title and the documents it
/// implements, audited field by field.
pub async fn update_plan(
    db: &Db,
    actor: &Actor,
    id: i64,
    fields: &PlanFields,
) -> Result<(), StoreError> {
    let title = fields.title.trim();
    if title.is_empty() {
        return Err(PlanRefusal::NoTitle.into());
    }
    let before = get_plan(db, id).await?;
    let now = Utc::now();
    let mut changes = Changes::new();
    changes
        .field(
            "title",
            &Some(before.title.clone()),
            &Some(title.to_string()),
        )
        .field(
            "doc_number",
            &before.doc_number,
            &text_or_none(&fields.doc_number),
        )
        .field("doc_date", &before.doc_date, &fields.doc_date)
        .field("issuer", &before.issuer, &text_or_none(&fields.issuer))
        .field("signer", &before.signer, &text_or_none(&fields.signer))
        .field(
            "implements",
            &Some(before.implements.clone()),
            &Some(fields.implements.trim().to_string()),
        );
    let entries: Vec<AuditEntry> = changes
        .into_entries("update", "plan", id)
        .into_iter()
        .map(|e| e.unit(Some(before.owner_unit_id)))
        .collect();
    in_transaction!(db, tx => {
        sqlx::query(
            "UPDATE plans SET title = $1, doc_number = $2, doc_date = $3, issuer = $4, signer = $5, \
             implements = $6, updated_at = $7 WHERE id = $8")
            .bind(title)
            .bind(text_or_none(&fields.doc_number))
            .bind(fields.doc_date)
            .bind(text_or_none(&fields.issuer))
            .bind(text_or_none(&fields.signer))
            .bind(fields.implements.trim())
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.record_many(actor, &entries).await?;
        Ok(())
    })
}

fn names(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Edits a task (wording, group, deadline, product, priority, lead and division,
/// coordinators, targets) from the version the editor saw; a task changed meanwhile is
/// refused and nothing changes. Its status and reports stay.
pub async fn update_task(
    db: &Db,
    actor: &Actor,
    task_id: i64,
    seen_version: i64,
    fields: &TaskFields,
) -> Result<(), StoreError> {
    let title = fields.title.trim();
    if title.is_empty() {
        return Err(PlanRefusal::NoTitle.into());
    }
    if fields.coordinators.contains(&fields.lead_unit_id) {
        return Err(PlanRefusal::LeadCoordinates.into());
    }
    let before = get_task(db, task_id).await?;
    let now = Utc::now();
    let mut changes = Changes::new();
    changes
        .field(
            "task",
            &Some(before.title.clone()),
            &Some(title.to_string()),
        )
        .field(
            "product",
            &Some(before.product.clone()),
            &Some(fields.product.trim().to_string()),
        )
        .field(
            "deadline",
            &Some(before.deadline.as_code()),
            &Some(fields.deadline.as_code()),
        )
        .field(
            "priority",
            &Some(before.priority),
            &Some(fields.priority.clamp(1, 3)),
        )
        .field(
            "lead",
            &Some(before.lead_unit_id),
            &Some(fields.lead_unit_id),
        )
        .field(
            "division",
            &before.division,
            &fields
                .division
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string),
        )
        .field(
            "coordinators",
            &Some(names(&before.coordinators)),
            &Some(names(&fields.coordinators)),
        );
    let entries: Vec<AuditEntry> = changes
        .into_entries("update_task", "plan_task", task_id)
        .into_iter()
        .map(|e| e.unit(Some(fields.lead_unit_id)))
        .collect();
    in_transaction!(db, tx => {
        let updated = sqlx::query(
            "UPDATE plan_tasks SET title = $1, product = $2, deadline = $3, priority = $4, lead_unit_id = $5, \
             division = $6, group_id = $7, version = version + 1, updated_at = $8 WHERE id = $9 AND version = $10")
            .bind(title)
            .bind(fields.product.trim())
            .bind(fields.deadline.as_code())
            .bind(fields.priority.clamp(1, 3))
            .bind(fields.lead_unit_id)
            .bind(fields.division.as_deref().map(str::trim).filter(|d| !d.is_empty()))
            .bind(fields.group_id)
            .bind(now)
            .bind(task_id)
            .bind(seen_version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated == 0 {
            return Err(PlanRefusal::TaskChanged { task_id }.into());
        }
        write_links!(tx, task_id, &fields.coordinators, &fields.targets);
        tx.record_many(actor, &entries).await?;
        Ok(())
    })
}

/// Merges tasks of one plan into the first of `ids`: the others' targets, leads and
/// coordinators (as its coordinators, but its own lead) and reports move to it, their titles
/// go to the audit row, and they are removed. At least two tasks of one plan.
pub async fn merge_tasks(db: &Db, actor: &Actor, ids: &[i64]) -> Result<i64, StoreError> {
    let [keep_id, rest @ ..] = ids else {
        return Err(PlanRefusal::MergeNeedsTwo.into());
    };
    if rest.is_empty() {
        return Err(PlanRefusal::MergeNeedsTwo.into());
    }
    let keep = get_task(db, *keep_id).await?;
    let mut others: Vec<TaskRow> = Vec::new();
    for id in rest {
        let task = get_task(db, *id).await?;
        if task.plan_id != keep.plan_id || task.id == keep.id {
            return Err(PlanRefusal::MergeNeedsTwo.into());
        }
        others.push(task);
    }
    let mut targets = keep.targets.clone();
    let mut coordinators = keep.coordinators.clone();
    for other in &others {
        for target in &other.targets {
            if !targets.iter().any(|t| {
                t.kind == target.kind && t.index_id == target.index_id && t.code == target.code
            }) {
                targets.push(target.clone());
            }
        }
        for unit in other.coordinators.iter().chain([&other.lead_unit_id]) {
            if *unit != keep.lead_unit_id && !coordinators.contains(unit) {
                coordinators.push(*unit);
            }
        }
    }
    let now = Utc::now();
    in_transaction!(db, tx => {
        for other in &others {
            sqlx::query("UPDATE plan_task_reports SET task_id = $1 WHERE task_id = $2")
                .bind(keep.id)
                .bind(other.id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE plan_tasks SET serves_task_id = $1 WHERE serves_task_id = $2")
                .bind(keep.id)
                .bind(other.id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM plan_tasks WHERE id = $1")
                .bind(other.id)
                .execute(&mut *tx)
                .await?;
        }
        write_links!(tx, keep.id, &coordinators, &targets);
        sqlx::query("UPDATE plan_tasks SET version = version + 1, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(keep.id)
            .execute(&mut *tx)
            .await?;
        let merged: Vec<String> = others.iter().map(|o| o.title.clone()).collect();
        tx.record(actor, &AuditEntry::new("merge_tasks", "plan_task", keep.id)
            .change("merged", Some(merged.join(" | ")), Some(keep.title.clone()))
            .unit(Some(keep.lead_unit_id))).await?;
        Ok(keep.id)
    })
}

/// Removes a task with what hangs on it, audited (a draft's proposal the secretariat drops).
pub async fn delete_task(db: &Db, actor: &Actor, task_id: i64) -> Result<(), StoreError> {
    let task = get_task(db, task_id).await?;
    in_transaction!(db, tx => {
        sqlx::query("UPDATE plan_tasks SET serves_task_id = NULL WHERE serves_task_id = $1")
            .bind(task_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM plan_tasks WHERE id = $1")
            .bind(task_id)
            .execute(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("delete_task", "plan_task", task_id)
            .change("task", Some(task.title.clone()), None)
            .unit(Some(task.lead_unit_id))).await?;
        Ok(())
    })
}

/// A reporting period of a plan.
#[derive(Clone, Debug, PartialEq)]
pub struct PeriodRow {
    pub id: i64,
    pub plan_id: i64,
    pub period: Period,
    pub due_on: NaiveDate,
    pub opened_at: DateTime<Utc>,
    pub opened_by_name: String,
}

#[derive(sqlx::FromRow)]
struct PeriodColumns {
    id: i64,
    plan_id: i64,
    period: String,
    due_on: NaiveDate,
    opened_at: DateTime<Utc>,
    opened_by_name: String,
}

/// Opens a reporting period with its due date, audited; a period opens once per plan.
pub async fn open_period(
    db: &Db,
    actor: &Actor,
    plan_id: i64,
    period: Period,
    due_on: NaiveDate,
) -> Result<i64, StoreError> {
    let plan = get_plan(db, plan_id).await?;
    if periods(db, plan_id)
        .await?
        .iter()
        .any(|p| p.period == period)
    {
        return Err(PlanRefusal::PeriodOpen {
            period: period.as_code(),
        }
        .into());
    }
    let now = Utc::now();
    in_transaction!(db, tx => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO plan_periods (plan_id, period, due_on, opened_at, opened_by_name) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(plan_id)
            .bind(period.as_code())
            .bind(due_on)
            .bind(now)
            .bind(&actor.name)
            .fetch_one(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("open_period", "plan", plan_id)
            .change("period", None, Some(format!("{} ({due_on})", period.as_code())))
            .unit(Some(plan.owner_unit_id))).await?;
        Ok(id)
    })
}

/// A plan's periods, the latest first.
pub async fn periods(db: &Db, plan_id: i64) -> Result<Vec<PeriodRow>, StoreError> {
    let rows = with_db_read!(db, pool => sqlx::query_as::<_, PeriodColumns>(
        "SELECT id, plan_id, period, due_on, opened_at, opened_by_name FROM plan_periods WHERE plan_id = $1")
        .bind(plan_id)
        .fetch_all(pool)
        .await?);
    let mut periods: Vec<PeriodRow> = rows
        .into_iter()
        .map(|r| {
            let period = Period::parse(&r.period).ok_or_else(|| StoreError::Corrupt {
                what: "plan period",
                detail: format!("period {}: {}", r.id, r.period),
            })?;
            Ok(PeriodRow {
                id: r.id,
                plan_id: r.plan_id,
                period,
                due_on: r.due_on,
                opened_at: r.opened_at,
                opened_by_name: r.opened_by_name,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    periods.sort_by(|a, b| b.period.end().cmp(&a.period.end()).then(b.id.cmp(&a.id)));
    Ok(periods)
}

/// An evidence file of a report.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct ReportFile {
    pub report_id: i64,
    pub file_id: i64,
    pub file_name: String,
    pub size: i64,
}

/// The evidence files of a plan's reports (or one task's, with `task_id`).
pub async fn report_files(
    db: &Db,
    plan_id: i64,
    task_id: Option<i64>,
) -> Result<Vec<ReportFile>, StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, ReportFile>(
        "SELECT rf.report_id, rf.file_id, rf.file_name, f.size FROM plan_report_files rf \
         JOIN evidence_files f ON f.id = rf.file_id JOIN plan_task_reports r ON r.id = rf.report_id \
         JOIN plan_tasks t ON t.id = r.task_id WHERE t.plan_id = $1 AND (CAST($2 AS BIGINT) IS NULL OR t.id = $2) \
         ORDER BY rf.id")
        .bind(plan_id)
        .bind(task_id)
        .fetch_all(pool)
        .await?))
}

/// The tasks whose reports hold a file, with the name given there (who may download it
/// follows the task).
pub async fn tasks_holding_file(db: &Db, file_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, (i64, String)>(
        "SELECT r.task_id, rf.file_name FROM plan_report_files rf JOIN plan_task_reports r ON r.id = rf.report_id \
         WHERE rf.file_id = $1 ORDER BY rf.id")
        .bind(file_id)
        .fetch_all(pool)
        .await?),
    )
}

/// Every report on a plan's tasks, the latest first.
pub async fn plan_reports(db: &Db, plan_id: i64) -> Result<Vec<super::ReportRow>, StoreError> {
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, super::ReportRow>(
        "SELECT r.id, r.task_id, r.unit_id, r.period, r.percent, r.narrative, r.filed_on, r.author_name, r.created_at \
         FROM plan_task_reports r JOIN plan_tasks t ON t.id = r.task_id WHERE t.plan_id = $1 \
         ORDER BY r.filed_on DESC, r.id DESC")
        .bind(plan_id)
        .fetch_all(pool)
        .await?),
    )
}

/// The roll-up's narrative of a period, as last saved.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Rollup {
    pub narrative: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by_name: String,
}

/// Saves the narrative of a period's roll-up (the secretariat's draft for the UBND), audited.
pub async fn save_rollup(
    db: &Db,
    actor: &Actor,
    plan_id: i64,
    period: Period,
    narrative: &str,
) -> Result<(), StoreError> {
    let plan = get_plan(db, plan_id).await?;
    let before = rollup(db, plan_id, period).await?.map(|r| r.narrative);
    let now = Utc::now();
    in_transaction!(db, tx => {
        sqlx::query(
            "INSERT INTO plan_rollups (plan_id, period, narrative, updated_at, updated_by_name) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (plan_id, period) DO UPDATE SET \
             narrative = excluded.narrative, updated_at = excluded.updated_at, updated_by_name = excluded.updated_by_name")
            .bind(plan_id)
            .bind(period.as_code())
            .bind(narrative.trim())
            .bind(now)
            .bind(&actor.name)
            .execute(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("save_rollup", "plan", plan_id)
            .change(&format!("rollup {}", period.as_code()), before, Some(narrative.trim().to_string()))
            .unit(Some(plan.owner_unit_id))).await?;
        Ok(())
    })
}

/// The saved narrative of a period's roll-up, if any.
pub async fn rollup(db: &Db, plan_id: i64, period: Period) -> Result<Option<Rollup>, StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, Rollup>(
        "SELECT narrative, updated_at, updated_by_name FROM plan_rollups WHERE plan_id = $1 AND period = $2")
        .bind(plan_id)
        .bind(period.as_code())
        .fetch_optional(pool)
        .await?))
}

/// An open task for the reminders: with its plan's title and the days its lead reported.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenTask {
    pub task: TaskRow,
    pub plan_title: String,
    pub lead_reports: Vec<NaiveDate>,
}

/// Every open task of every plan, for the reminders: five reads whatever the number of plans
/// and tasks.
pub async fn open_tasks(db: &Db) -> Result<Vec<OpenTask>, StoreError> {
    let titles: std::collections::HashMap<i64, String> = super::list_plans(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.title))
        .collect();
    let days: Vec<(i64, i64, NaiveDate)> = with_db_read!(db, pool => sqlx::query_as(
        "SELECT r.task_id, r.unit_id, r.filed_on FROM plan_task_reports r \
         JOIN plan_tasks t ON t.id = r.task_id AND t.lead_unit_id = r.unit_id \
         WHERE t.status NOT IN ('done', 'cancelled')")
        .fetch_all(pool)
        .await?);
    Ok(super::tasks::all_tasks(db)
        .await?
        .into_iter()
        .filter(|t| !t.status.is_closed())
        .map(|task| OpenTask {
            plan_title: titles.get(&task.plan_id).cloned().unwrap_or_default(),
            lead_reports: days
                .iter()
                .filter(|(t, _, _)| *t == task.id)
                .map(|(_, _, day)| *day)
                .collect(),
            task,
        })
        .collect())
}
