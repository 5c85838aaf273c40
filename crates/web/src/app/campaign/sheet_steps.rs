//! The secretariat's steps on one sheet (docs/method.md §2.5, "Late and returned sheets"):
//! returning a submitted sheet to its unit, and moving a sheet that joined the open round late
//! to the next round. The rules are asked by the store against the rows it reads; the write
//! and its audit rows (and the resubmission date, as the unit's extension) are one transaction;
//! the unit is told about a return after it.

use chiso_domain::assessment::{self as rules, SheetContext, Stage, WorkflowError};
use chiso_store::assessments::{self, SheetReturn, SheetRow};
use chiso_store::{Db, StoreError};

use super::{Clock, Secretary, tell};
use crate::app::notifications;

/// Returns a submitted sheet to its unit; its editors and leader are told why.
pub async fn return_to_unit(
    db: &Db,
    clock: &Clock,
    who: &Secretary,
    sheet_id: i64,
    request: &SheetReturn,
) -> Result<SheetRow, StoreError> {
    let sheet =
        assessments::return_to_unit(db, &who.actor, who.role, sheet_id, clock.today(), request)
            .await?;
    tell(notifications::sheet_returned(db, clock, &sheet, request).await);
    Ok(sheet)
}

/// Moves a sheet of the open round to the next round.
pub async fn defer_to_next_round(
    db: &Db,
    who: &Secretary,
    sheet_id: i64,
    reason: &str,
) -> Result<SheetRow, StoreError> {
    assessments::defer_to_next_round(db, &who.actor, who.role, sheet_id, reason).await
}

/// What the secretariat's step page shows of a sheet: where it stands and which step is
/// possible, each refusal as the rule gives it.
pub struct SheetStepsView {
    pub sheet: SheetRow,
    pub campaign: chiso_store::campaigns::CampaignRow,
    pub unit: chiso_store::units::OrgUnit,
    pub appraised_leaves: usize,
    /// `Ok(date_required)`: the sheet can be returned, and whether a date to resubmit by must
    /// be given; `Err`: why not.
    pub can_return: Result<bool, WorkflowError>,
    /// `Ok(next round)`, or why the sheet cannot move to the next round.
    pub can_defer: Result<u32, WorkflowError>,
    pub deadline: Option<chrono::NaiveDate>,
    pub extension: Option<chrono::NaiveDate>,
}

/// Loads a sheet for the secretariat's step page.
pub async fn view(
    db: &Db,
    clock: &Clock,
    who: &Secretary,
    sheet_id: i64,
) -> Result<SheetStepsView, StoreError> {
    let scope = assessments::scope(db, sheet_id).await?;
    let extension = assessments::extension_for(
        db,
        scope.campaign.id,
        scope.sheet.unit_id,
        Stage::SelfAssessment,
    )
    .await?
    .map(|e| e.valid_until);
    let open_round = assessments::open_round_of(db, scope.campaign.id).await?;
    let appraised_leaves = assessments::appraised_leaves(db, sheet_id).await?;
    let ctx = SheetContext {
        campaign: scope.campaign.state(),
        status: scope.sheet.status(),
        current_round: scope.sheet.current_round.max(0) as u32,
        open_round,
    };
    // The rules asked with a reason given: what remains is whether the step is possible.
    let can_return = match rules::check_return(
        who.role,
        &ctx,
        &rules::ReturnFacts {
            appraised_leaves,
            reason: "?",
            resubmit_by: None,
            deadline: scope.campaign.self_assessment_deadline,
            extension,
            today: clock.today(),
        },
    ) {
        Ok(_) => Ok(false),
        Err(WorkflowError::ResubmitDateRequired { .. }) => Ok(true),
        Err(error) => Err(error),
    };
    let rounds = scope.campaign.appraisal_rounds.max(0) as u32;
    let can_defer = rules::check_defer(who.role, &ctx, rounds, appraised_leaves, "?")
        .map(|_| ctx.current_round + 1);
    let unit = chiso_store::units::get(db, scope.sheet.unit_id).await?;
    Ok(SheetStepsView {
        deadline: scope.campaign.self_assessment_deadline,
        sheet: scope.sheet,
        campaign: scope.campaign,
        unit,
        appraised_leaves,
        can_return,
        can_defer,
        extension,
    })
}
