//! Campaigns (đợt đánh giá): a year, a framework per group of units, the participating units,
//! deadlines and appraisal rounds as data (engineering guide §7: "stages, rounds and deadlines
//! are campaign data"), and the state machine the server enforces.

use chiso_domain::campaign::{
    CampaignSetup, CampaignState, SetupFields, SetupRefusal, check_setup_fields, check_transition,
};
use chrono::{DateTime, NaiveDate, Utc};

use crate::audit::{Actor, AuditEntry, AuditSink, Changes, record_all};
use crate::db::Db;
use crate::error::StoreError;
use crate::{in_transaction, with_db_read};

#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct CampaignRow {
    pub id: i64,
    pub year: i64,
    pub title: String,
    #[sqlx(try_from = "String")]
    pub state: CampaignState,
    pub appraisal_rounds: i64,
    pub self_assessment_deadline: Option<NaiveDate>,
    pub explanation_deadline: Option<NaiveDate>,
    /// Classification bands, e.g. "Tốt:80,Khá:70,Trung bình:50,Yếu".
    pub bands: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CampaignRow {
    pub fn state(&self) -> CampaignState {
        self.state
    }
}

/// The framework a group of units is assessed on.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct CampaignFramework {
    pub id: i64,
    pub campaign_id: i64,
    pub unit_group: String,
    pub framework_id: i64,
    pub framework_code: String,
    pub framework_version: i64,
    pub framework_title: String,
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct CampaignUnit {
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub unit_group: String,
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct RoundDeadline {
    pub round_no: i64,
    pub deadline: Option<NaiveDate>,
}

/// The setup fields of a campaign that a user edits.
#[derive(Clone, Debug, PartialEq)]
pub struct CampaignFields {
    pub year: i64,
    pub title: String,
    pub appraisal_rounds: i64,
    pub self_assessment_deadline: Option<NaiveDate>,
    pub explanation_deadline: Option<NaiveDate>,
    pub round_deadlines: Vec<Option<NaiveDate>>,
    pub bands: String,
}

const COLUMNS: &str = "id, year, title, state, appraisal_rounds, self_assessment_deadline, explanation_deadline, \
     bands, created_at, updated_at";

pub async fn list(db: &Db) -> Result<Vec<CampaignRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM campaigns ORDER BY year DESC, id DESC");
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, CampaignRow>(&sql).fetch_all(pool).await?))
}

pub async fn get(db: &Db, id: i64) -> Result<CampaignRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, CampaignRow>(&sql).bind(id).fetch_one(pool).await?),
    )
}

pub async fn frameworks(db: &Db, campaign_id: i64) -> Result<Vec<CampaignFramework>, StoreError> {
    const SQL: &str = "SELECT cf.id, cf.campaign_id, cf.unit_group, cf.framework_id, f.code AS framework_code, \
         f.version AS framework_version, f.title AS framework_title \
         FROM campaign_frameworks cf JOIN frameworks f ON f.id = cf.framework_id \
         WHERE cf.campaign_id = $1 ORDER BY cf.unit_group";
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, CampaignFramework>(SQL).bind(campaign_id).fetch_all(pool).await?),
    )
}

pub async fn units(db: &Db, campaign_id: i64) -> Result<Vec<CampaignUnit>, StoreError> {
    const SQL: &str = "SELECT u.id AS unit_id, u.code AS unit_code, u.name AS unit_name, cf.unit_group \
         FROM campaign_units cu JOIN org_units u ON u.id = cu.unit_id \
         JOIN campaign_frameworks cf ON cf.id = cu.campaign_framework_id \
         WHERE cu.campaign_id = $1 ORDER BY cf.unit_group, u.code";
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, CampaignUnit>(SQL).bind(campaign_id).fetch_all(pool).await?),
    )
}

pub async fn rounds(db: &Db, campaign_id: i64) -> Result<Vec<RoundDeadline>, StoreError> {
    const SQL: &str =
        "SELECT round_no, deadline FROM campaign_rounds WHERE campaign_id = $1 ORDER BY round_no";
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, RoundDeadline>(SQL).bind(campaign_id).fetch_all(pool).await?),
    )
}

fn check_fields(fields: &CampaignFields) -> Result<(), StoreError> {
    Ok(check_setup_fields(&SetupFields {
        title: &fields.title,
        year: fields.year,
        appraisal_rounds: fields.appraisal_rounds,
        bands: &fields.bands,
        self_assessment_deadline: fields.self_assessment_deadline,
        explanation_deadline: fields.explanation_deadline,
    })?)
}

/// Creates a draft campaign.
pub async fn create(db: &Db, actor: &Actor, fields: &CampaignFields) -> Result<i64, StoreError> {
    check_fields(fields)?;
    let now = Utc::now();
    in_transaction!(db, tx => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO campaigns (year, title, state, appraisal_rounds, self_assessment_deadline, explanation_deadline, \
             bands, created_at, updated_at) VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(fields.year)
        .bind(fields.title.trim())
        .bind(fields.appraisal_rounds)
        .bind(fields.self_assessment_deadline)
        .bind(fields.explanation_deadline)
        .bind(&fields.bands)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for round in 1..=fields.appraisal_rounds {
            sqlx::query("INSERT INTO campaign_rounds (campaign_id, round_no, deadline) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(round)
                .bind(fields.round_deadlines.get(round as usize - 1).copied().flatten())
                .execute(&mut *tx)
                .await?;
        }
        tx.record(actor, &AuditEntry::new("create", "campaign", id)
            .change("campaign", None, Some(format!("{} ({})", fields.title.trim(), fields.year)))
            .campaign(id)).await?;
        Ok(id)
    })
}

async fn require_draft(db: &Db, id: i64) -> Result<CampaignRow, StoreError> {
    let campaign = get(db, id).await?;
    if !campaign.state().setup_editable() {
        return Err(SetupRefusal::NotDraft(campaign.state).into());
    }
    Ok(campaign)
}

/// Changes the setup of a draft campaign, one audit row per changed field.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    fields: &CampaignFields,
) -> Result<(), StoreError> {
    check_fields(fields)?;
    let old = require_draft(db, id).await?;
    let old_rounds = rounds(db, id).await?;
    let mut changes = Changes::new();
    changes
        .field("year", &Some(old.year), &Some(fields.year))
        .field(
            "title",
            &Some(old.title.clone()),
            &Some(fields.title.trim().to_string()),
        )
        .field(
            "appraisal_rounds",
            &Some(old.appraisal_rounds),
            &Some(fields.appraisal_rounds),
        )
        .field(
            "self_assessment_deadline",
            &old.self_assessment_deadline,
            &fields.self_assessment_deadline,
        )
        .field(
            "explanation_deadline",
            &old.explanation_deadline,
            &fields.explanation_deadline,
        )
        .field(
            "bands",
            &Some(old.bands.clone()),
            &Some(fields.bands.clone()),
        );
    for round in 1..=fields.appraisal_rounds.max(old.appraisal_rounds) {
        let before = old_rounds
            .iter()
            .find(|r| r.round_no == round)
            .and_then(|r| r.deadline);
        let after = if round <= fields.appraisal_rounds {
            fields
                .round_deadlines
                .get(round as usize - 1)
                .copied()
                .flatten()
        } else {
            None
        };
        changes.field(&format!("round_{round}_deadline"), &before, &after);
    }
    let entries: Vec<AuditEntry> = changes
        .into_entries("update", "campaign", id)
        .into_iter()
        .map(|e| e.campaign(id))
        .collect();
    in_transaction!(db, tx => {
        let updated = sqlx::query(
            "UPDATE campaigns SET year = $1, title = $2, appraisal_rounds = $3, self_assessment_deadline = $4, \
             explanation_deadline = $5, bands = $6, updated_at = $7 WHERE id = $8 AND state = 'draft'",
        )
        .bind(fields.year)
        .bind(fields.title.trim())
        .bind(fields.appraisal_rounds)
        .bind(fields.self_assessment_deadline)
        .bind(fields.explanation_deadline)
        .bind(&fields.bands)
        .bind(Utc::now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(SetupRefusal::ChangedMeanwhile.into());
        }
        sqlx::query("DELETE FROM campaign_rounds WHERE campaign_id = $1").bind(id).execute(&mut *tx).await?;
        for round in 1..=fields.appraisal_rounds {
            sqlx::query("INSERT INTO campaign_rounds (campaign_id, round_no, deadline) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(round)
                .bind(fields.round_deadlines.get(round as usize - 1).copied().flatten())
                .execute(&mut *tx)
                .await?;
        }
        record_all(&mut *tx, actor, &entries).await?;
        Ok(())
    })
}

/// Sets the framework of a group of units (a draft campaign only); `None` removes the group
/// and its units.
pub async fn set_framework(
    db: &Db,
    actor: &Actor,
    id: i64,
    unit_group: &str,
    framework_id: Option<i64>,
) -> Result<(), StoreError> {
    require_draft(db, id).await?;
    let group = unit_group.trim();
    if group.is_empty() {
        return Err(SetupRefusal::GroupUnnamed.into());
    }
    let old = frameworks(db, id)
        .await?
        .into_iter()
        .find(|f| f.unit_group == group);
    in_transaction!(db, tx => {
        match framework_id {
            Some(framework_id) => {
                sqlx::query(
                    "INSERT INTO campaign_frameworks (campaign_id, unit_group, framework_id) VALUES ($1, $2, $3) \
                     ON CONFLICT (campaign_id, unit_group) DO UPDATE SET framework_id = excluded.framework_id",
                )
                .bind(id)
                .bind(group)
                .bind(framework_id)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM campaign_frameworks WHERE campaign_id = $1 AND unit_group = $2")
                    .bind(id)
                    .bind(group)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.record(actor, &AuditEntry::new("update", "campaign", id)
            .change(&format!("framework[{group}]"), old.as_ref().map(|f| f.framework_id.to_string()), framework_id.map(|f| f.to_string()))
            .campaign(id)).await?;
        Ok(())
    })
}

/// Replaces the participating units of a group (a draft campaign only).
pub async fn set_units(
    db: &Db,
    actor: &Actor,
    id: i64,
    unit_group: &str,
    unit_ids: &[i64],
) -> Result<(), StoreError> {
    require_draft(db, id).await?;
    let group = frameworks(db, id)
        .await?
        .into_iter()
        .find(|f| f.unit_group == unit_group)
        .ok_or_else(|| SetupRefusal::GroupWithoutFramework(unit_group.to_string()))?;
    let before: Vec<i64> = units(db, id)
        .await?
        .into_iter()
        .filter(|u| u.unit_group == unit_group)
        .map(|u| u.unit_id)
        .collect();
    in_transaction!(db, tx => {
        sqlx::query("DELETE FROM campaign_units WHERE campaign_id = $1 AND campaign_framework_id = $2")
            .bind(id)
            .bind(group.id)
            .execute(&mut *tx)
            .await?;
        for unit_id in unit_ids {
            sqlx::query("INSERT INTO campaign_units (campaign_id, unit_id, campaign_framework_id) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(unit_id)
                .bind(group.id)
                .execute(&mut *tx)
                .await
                .map_err(|e| match StoreError::from(e) {
                    StoreError::Conflict(_) => SetupRefusal::UnitUnavailable(*unit_id).into(),
                    other => other,
                })?;
        }
        let list = |ids: &[i64]| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        tx.record(actor, &AuditEntry::new("update", "campaign", id)
            .change(&format!("units[{unit_group}]"), Some(list(&before)), Some(list(unit_ids)))
            .campaign(id)).await?;
        Ok(())
    })
}

/// What the state machine needs to know, read from the database.
pub async fn setup(db: &Db, id: i64) -> Result<CampaignSetup, StoreError> {
    let campaign = get(db, id).await?;
    let frameworks = frameworks(db, id).await?;
    let units = units(db, id).await?;
    Ok(CampaignSetup {
        state: campaign.state(),
        frameworks: frameworks.len(),
        units: units.len(),
        units_without_framework: 0,
        has_self_assessment_deadline: campaign.self_assessment_deadline.is_some(),
    })
}

/// Moves a campaign to another state when the state machine allows it. The check and the
/// update are one conditional write (`WHERE state = <the state checked>`), so two concurrent
/// transitions cannot both pass. Opening freezes the campaign's frameworks.
pub async fn transition(
    db: &Db,
    actor: &Actor,
    id: i64,
    to: CampaignState,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let setup = setup(db, id).await?;
    check_transition(&setup, to)?;
    let from = setup.state;
    in_transaction!(db, tx => {
        let updated = sqlx::query("UPDATE campaigns SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
            .bind(to.as_str())
            .bind(Utc::now())
            .bind(id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() != 1 {
            return Err(SetupRefusal::ChangedMeanwhile.into());
        }
        if to == CampaignState::Open {
            sqlx::query("UPDATE frameworks SET frozen = TRUE WHERE id IN \
                 (SELECT framework_id FROM campaign_frameworks WHERE campaign_id = $1)")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.record(actor, &AuditEntry::new("transition", "campaign", id)
            .change("state", Some(from.to_string()), Some(to.to_string()))
            .reason(reason)
            .campaign(id)).await?;
        Ok(())
    })
}

/// Records that a results announcement of a campaign was issued as a PDF (docs/method.md
/// §10.3): who, when, and its number and signer as entered (`what`), in its own transaction.
pub async fn record_announcement(
    db: &Db,
    actor: &Actor,
    campaign_id: i64,
    what: &str,
) -> Result<(), StoreError> {
    in_transaction!(db, tx => {
        let entry = AuditEntry::new("issue_announcement", "campaign", campaign_id)
            .change("announcement", None, Some(what.to_string()))
            .campaign(campaign_id);
        tx.record(actor, &entry).await?;
        Ok(())
    })
}
