//! The secretariat's steps on one sheet (docs/method.md §2.5, "Late and returned sheets"):
//! returning a submitted sheet to its unit, and moving a sheet that joined the open round late
//! to the next round. The rules are `chiso_domain::assessment::{check_return, check_defer}`;
//! each write is a conditional update that also requires that no leaf of the sheet was scored
//! by the council, so an appraiser saving at the same moment and the step have one outcome.

use super::*;

/// What a return sends with the sheet.
#[derive(Clone, Debug, PartialEq)]
pub struct SheetReturn {
    pub reason: String,
    /// The last day the unit may resubmit, recorded as its self-assessment extension.
    pub resubmit_by: Option<NaiveDate>,
}

/// Inserts or moves a unit's extension for a stage (campaign, unit, stage, until, reason,
/// granter id, granter name, time).
pub(super) const UPSERT_EXTENSION: &str = "INSERT INTO extensions (campaign_id, unit_id, stage, valid_until, reason, granted_by, granted_by_name, granted_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (campaign_id, unit_id, stage) DO UPDATE SET \
     valid_until = excluded.valid_until, reason = excluded.reason, granted_by = excluded.granted_by, \
     granted_by_name = excluded.granted_by_name, granted_at = excluded.granted_at";

/// Leaves of a sheet scored by the council, in any round.
pub async fn appraised_leaves(db: &Db, sheet_id: i64) -> Result<usize, StoreError> {
    let count: i64 = with_db_read!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM leaf_scores WHERE sheet_id = $1 AND stage >= 1")
        .bind(sheet_id)
        .fetch_one(pool)
        .await?);
    Ok(count.max(0) as usize)
}

/// Why a conditional update of a sheet found nothing to change: the council scored a leaf
/// first, or the sheet moved.
async fn meanwhile(db: &Db, action: SheetAction, sheet_id: i64) -> StoreError {
    let leaves = match appraised_leaves(db, sheet_id).await {
        Ok(leaves) => leaves,
        Err(error) => return error,
    };
    if leaves > 0 {
        return rules::WorkflowError::AlreadyAppraised { action, leaves }.into();
    }
    match get_sheet(db, sheet_id).await {
        Ok(sheet) => rules::ChangedMeanwhile::SheetNow {
            status: sheet.status(),
        }
        .into(),
        Err(error) => error,
    }
}

/// The secretariat returns a submitted sheet, not yet scored by the council, to its unit as a
/// draft, with a reason and, when given, a date to resubmit by (the unit's self-assessment
/// extension, written in the same transaction).
pub async fn return_to_unit(
    db: &Db,
    actor: &Actor,
    role: Role,
    sheet_id: i64,
    today: NaiveDate,
    request: &SheetReturn,
) -> Result<SheetRow, StoreError> {
    let (scope, extension) = scope_and_extension(db, sheet_id, Stage::SelfAssessment).await?;
    let open_round = open_round_of(db, scope.campaign.id).await?;
    let reason = request.reason.trim();
    let from = rules::check_return(
        role,
        &scope.context(open_round),
        &rules::ReturnFacts {
            appraised_leaves: appraised_leaves(db, sheet_id).await?,
            reason,
            resubmit_by: request.resubmit_by,
            deadline: scope.campaign.self_assessment_deadline,
            extension,
            today,
        },
    )
    .map(|_| scope.sheet.status())
    .map_err(invalid)?;
    let sql = format!(
        "UPDATE sheets SET status = 'draft', current_round = 0, version = version + 1, updated_at = $1, \
         submitted_at = NULL, submitted_by = NULL \
         WHERE id = $2 AND status = $3 AND version = $4 \
         AND NOT EXISTS (SELECT 1 FROM leaf_scores ls WHERE ls.sheet_id = sheets.id AND ls.stage >= 1) \
         RETURNING {SHEET_COLUMNS}"
    );
    let now = Utc::now();
    let (campaign_id, unit_id) = (scope.campaign.id, scope.sheet.unit_id);
    let written = in_transaction!(db, tx => {
        let updated = sqlx::query_as::<_, SheetRow>(&sql)
            .bind(now)
            .bind(sheet_id)
            .bind(from.as_str())
            .bind(scope.sheet.version)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(updated) = updated else { return Ok(None) };
        tx.record(actor, &AuditEntry::new("return_sheet", "sheet", sheet_id)
            .change("status", Some(from.to_string()), Some(SheetStatus::Draft.to_string()))
            .reason(Some(reason))
            .campaign(campaign_id)
            .unit(Some(unit_id))).await?;
        if let Some(until) = request.resubmit_by {
            let id: i64 = sqlx::query_scalar(&format!("{UPSERT_EXTENSION} RETURNING id"))
                .bind(campaign_id)
                .bind(unit_id)
                .bind(Stage::SelfAssessment.as_str())
                .bind(until)
                .bind(reason)
                .bind(actor.id)
                .bind(&actor.name)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            tx.record(actor, &AuditEntry::new("grant_extension", "extension", id)
                .change(&format!("{}.until", Stage::SelfAssessment), extension.map(|e| e.to_string()), Some(until.to_string()))
                .reason(Some(reason))
                .campaign(campaign_id)
                .unit(Some(unit_id))).await?;
        }
        refresh_summary!(tx, sheet_id, scope.framework(), &scope.node_index, 0);
        Ok(Some(updated))
    })?;
    match written {
        Some(sheet) => get_sheet(db, sheet.id).await,
        None => Err(meanwhile(db, SheetAction::ReturnToUnit, sheet_id).await),
    }
}

/// The secretariat moves a sheet of the open round that the council has not scored yet to the
/// next round: it waits, submitted, and enters when that round opens.
pub async fn defer_to_next_round(
    db: &Db,
    actor: &Actor,
    role: Role,
    sheet_id: i64,
    reason: &str,
) -> Result<SheetRow, StoreError> {
    let scope = scope(db, sheet_id).await?;
    let open_round = open_round_of(db, scope.campaign.id).await?;
    let reason = reason.trim();
    rules::check_defer(
        role,
        &scope.context(open_round),
        scope.campaign.appraisal_rounds.max(0) as u32,
        appraised_leaves(db, sheet_id).await?,
        reason,
    )
    .map_err(invalid)?;
    let round = scope.sheet.current_round;
    let sql = format!(
        "UPDATE sheets SET status = 'submitted', current_round = 0, version = version + 1, updated_at = $1 \
         WHERE id = $2 AND status = 'in_appraisal' AND current_round = $3 \
         AND NOT EXISTS (SELECT 1 FROM leaf_scores ls WHERE ls.sheet_id = sheets.id AND ls.stage >= 1) \
         AND EXISTS (SELECT 1 FROM round_states r WHERE r.campaign_id = sheets.campaign_id \
         AND r.round_no = $3 AND r.state = 'open') RETURNING {SHEET_COLUMNS}"
    );
    let written = in_transaction!(db, tx => {
        let updated = sqlx::query_as::<_, SheetRow>(&sql)
            .bind(Utc::now())
            .bind(sheet_id)
            .bind(round)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(updated) = updated else { return Ok(None) };
        tx.record(actor, &AuditEntry::new("defer_sheet", "sheet", sheet_id)
            .change("status", Some(SheetStatus::InAppraisal.to_string()), Some(SheetStatus::Submitted.to_string()))
            .reason(Some(reason))
            .campaign(scope.campaign.id)
            .unit(Some(scope.sheet.unit_id))).await?;
        refresh_summary!(tx, sheet_id, scope.framework(), &scope.node_index, 0);
        Ok(Some(updated))
    })?;
    match written {
        Some(sheet) => get_sheet(db, sheet.id).await,
        None => Err(meanwhile(db, SheetAction::DeferToNextRound, sheet_id).await),
    }
}
