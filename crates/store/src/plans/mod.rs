//! Improvement plans (docs/method.md §7.3–§7.7): a plan with its document, goals and solution
//! groups (this file), its tasks, their moves and the units' reports (`tasks.rs`). Every change
//! writes its audit row in the same transaction; the rules are `chiso_domain::plan`'s.

mod tasks;
mod tracking;

pub use tasks::*;
pub use tracking::*;

use chiso_domain::plan::{Goal, GoalTarget, PlanRefusal};
use chrono::{DateTime, NaiveDate, Utc};

use crate::audit::{AuditEntry, AuditSink};
use crate::db::Db;
use crate::error::StoreError;
use crate::{in_transaction, with_db_read};

/// What a plan records about itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanFields {
    pub owner_unit_id: i64,
    /// The province's plan this unit plan serves.
    pub parent_id: Option<i64>,
    /// The published campaign it was drafted from.
    pub campaign_id: Option<i64>,
    pub year: i64,
    pub title: String,
    pub doc_number: Option<String>,
    pub doc_date: Option<NaiveDate>,
    pub issuer: Option<String>,
    pub signer: Option<String>,
    /// The documents it implements, one per line.
    pub implements: String,
}

/// A stored plan.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct PlanRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub owner_unit_id: i64,
    pub campaign_id: Option<i64>,
    pub year: i64,
    pub title: String,
    pub doc_number: Option<String>,
    pub doc_date: Option<NaiveDate>,
    pub issuer: Option<String>,
    pub signer: Option<String>,
    pub implements: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const PLAN_COLUMNS: &str = "id, parent_id, owner_unit_id, campaign_id, year, title, doc_number, \
    doc_date, issuer, signer, implements, created_at, updated_at";

fn text_or_none(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Creates a plan, audited. A unit's plan goes under a province's plan (one level).
pub async fn create_plan(
    db: &Db,
    actor: &crate::Actor,
    fields: &PlanFields,
) -> Result<i64, StoreError> {
    create_with_tasks(db, actor, fields, &[]).await
}

pub async fn get_plan(db: &Db, id: i64) -> Result<PlanRow, StoreError> {
    let sql = format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id = $1");
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, PlanRow>(&sql)
        .bind(id)
        .fetch_one(pool)
        .await?))
}

/// Every plan, the latest year first, the province's before the units' under them.
pub async fn list_plans(db: &Db) -> Result<Vec<PlanRow>, StoreError> {
    let sql = format!(
        "SELECT {PLAN_COLUMNS} FROM plans ORDER BY year DESC, COALESCE(parent_id, id), parent_id IS NOT NULL, id"
    );
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, PlanRow>(&sql)
        .fetch_all(pool)
        .await?))
}

/// A plan's goal as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct GoalRow {
    pub id: i64,
    pub text: String,
    pub goal: Goal,
    /// The year of the results it is checked against.
    pub year: i64,
}

/// Adds a goal written as the plan writes it ("SIPAS ≥ 90 %"), read by the domain's rule.
pub async fn add_goal(
    db: &Db,
    actor: &crate::Actor,
    plan_id: i64,
    text: &str,
    year: i64,
) -> Result<i64, StoreError> {
    let goal = Goal::parse(text).map_err(PlanRefusal::from)?;
    let (kind, value) = match goal.target {
        GoalTarget::Top(n) => ("top", f64::from(n)),
        GoalTarget::AtLeast(v) => ("at_least", v),
    };
    let plan = get_plan(db, plan_id).await?;
    in_transaction!(db, tx => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO plan_goals (plan_id, position, text, index_id, target_kind, target_value, year) \
             VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM plan_goals WHERE plan_id = $1), \
             $2, $3, $4, $5, $6) RETURNING id")
            .bind(plan_id)
            .bind(text.trim())
            .bind(&goal.index)
            .bind(kind)
            .bind(value)
            .bind(year)
            .fetch_one(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("add_goal", "plan", plan_id)
            .change("goal", None, Some(text.trim().to_string()))
            .unit(Some(plan.owner_unit_id))).await?;
        Ok(id)
    })
}

#[derive(sqlx::FromRow)]
struct GoalColumns {
    id: i64,
    text: String,
    index_id: String,
    target_kind: String,
    target_value: f64,
    year: i64,
}

/// A plan's goals in order.
pub async fn goals(db: &Db, plan_id: i64) -> Result<Vec<GoalRow>, StoreError> {
    let rows = with_db_read!(db, pool => sqlx::query_as::<_, GoalColumns>(
        "SELECT id, text, index_id, target_kind, target_value, year FROM plan_goals \
         WHERE plan_id = $1 ORDER BY position")
        .bind(plan_id)
        .fetch_all(pool)
        .await?);
    rows.into_iter()
        .map(|r| {
            let target = match r.target_kind.as_str() {
                "top" => GoalTarget::Top(r.target_value as u32),
                "at_least" => GoalTarget::AtLeast(r.target_value),
                other => {
                    return Err(StoreError::Corrupt {
                        what: "plan goal",
                        detail: format!("goal {}: target kind {other}", r.id),
                    });
                }
            };
            Ok(GoalRow {
                id: r.id,
                text: r.text,
                goal: Goal {
                    index: r.index_id,
                    target,
                },
                year: r.year,
            })
        })
        .collect()
}

/// A solution group of a plan.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct GroupRow {
    pub id: i64,
    pub plan_id: i64,
    pub position: i64,
    pub title: String,
    pub index_id: Option<String>,
}

/// Adds a solution group ("Nhóm giải pháp nâng cao chỉ số SIPAS"), audited.
pub async fn add_group(
    db: &Db,
    actor: &crate::Actor,
    plan_id: i64,
    title: &str,
    index_id: Option<&str>,
) -> Result<i64, StoreError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(PlanRefusal::NoTitle.into());
    }
    let plan = get_plan(db, plan_id).await?;
    in_transaction!(db, tx => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO plan_groups (plan_id, position, title, index_id) \
             VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM plan_groups WHERE plan_id = $1), $2, $3) \
             RETURNING id")
            .bind(plan_id)
            .bind(title)
            .bind(index_id)
            .fetch_one(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("add_group", "plan", plan_id)
            .change("group", None, Some(title.to_string()))
            .unit(Some(plan.owner_unit_id))).await?;
        Ok(id)
    })
}

/// A plan's solution groups in order.
pub async fn groups(db: &Db, plan_id: i64) -> Result<Vec<GroupRow>, StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, GroupRow>(
        "SELECT id, plan_id, position, title, index_id FROM plan_groups WHERE plan_id = $1 ORDER BY position")
        .bind(plan_id)
        .fetch_all(pool)
        .await?))
}
