//! The context of every request on one scoresheet, loaded once: the principal's roles on the
//! sheet's unit, the sheet, its campaign, its frozen framework (from the [`FrameworkCache`])
//! and the unit's extensions. Two statements besides the session: [`assessments::sheet_head`]
//! and, for the use cases that draw or change leaves, [`assessments::sheet_contents`].
//!
//! [`FrameworkCache`]: crate::app::frameworks::FrameworkCache

use chiso_domain::access::Role;
use chiso_domain::assessment::{self as rules, SheetStatus, Stage};
use chiso_domain::campaign::CampaignState;
use chiso_store::assessments::{self, SheetScope};
use chrono::NaiveDate;

use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The sheet's unit, as its pages name it.
#[derive(Clone, Debug)]
pub struct UnitRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// A sheet as one request sees it.
pub struct SheetContext {
    pub scope: SheetScope,
    pub unit: UnitRef,
    /// The user's role in the sheet's unit (the leader's when both), if any.
    pub role: Option<Role>,
    /// The last day of the unit's extension for each stage, if it has one.
    pub self_extension: Option<NaiveDate>,
    pub explanation_extension: Option<NaiveDate>,
}

impl SheetContext {
    /// Loads a sheet and refuses users who may not read it (Forbidden; NotFound when there is
    /// no such sheet).
    pub async fn load(
        state: &AppState,
        principal: &Principal,
        sheet_id: i64,
    ) -> AppResult<SheetContext> {
        let head = assessments::sheet_head(&state.db, sheet_id, Some(principal.user.id))
            .await?
            .ok_or(AppError::NotFound)?;
        if !may_read(
            principal,
            &head.unit_roles,
            head.sheet.status(),
            head.campaign.state(),
        ) {
            return Err(AppError::Forbidden);
        }
        let built = state
            .frameworks
            .get(&state.db, head.sheet.framework_id)
            .await?;
        Ok(SheetContext {
            unit: UnitRef {
                id: head.sheet.unit_id,
                code: head.unit_code,
                name: head.unit_name,
            },
            role: head.unit_roles.first().copied(),
            self_extension: head.self_extension,
            explanation_extension: head.explanation_extension,
            scope: SheetScope {
                sheet: head.sheet,
                campaign: head.campaign,
                stored: built.stored,
                node_index: built.node_index,
            },
        })
    }

    /// [`SheetContext::load`] for a change by the unit's people in one of `roles`: anyone
    /// else is refused before the sheet is read when none of their roles could ever do it.
    pub async fn load_for_change(
        state: &AppState,
        principal: &Principal,
        sheet_id: i64,
        roles: &[Role],
    ) -> AppResult<SheetContext> {
        if !roles.iter().any(|r| principal.has_role(*r)) {
            return Err(AppError::Forbidden);
        }
        let context = SheetContext::load(state, principal, sheet_id).await?;
        match context.role {
            Some(role) if roles.contains(&role) => Ok(context),
            _ => Err(AppError::Forbidden),
        }
    }

    pub fn id(&self) -> i64 {
        self.scope.sheet.id
    }

    pub fn status(&self) -> SheetStatus {
        self.scope.sheet.status()
    }

    /// What the domain's rules see of the sheet.
    pub fn context(&self) -> rules::SheetContext {
        rules::SheetContext {
            campaign: self.scope.campaign.state(),
            status: self.status(),
            current_round: self.scope.sheet.current_round as u32,
            open_round: None,
        }
    }

    /// The end of the unit's extension for a stage, if it has one.
    pub fn extension(&self, stage: Stage) -> Option<NaiveDate> {
        match stage {
            Stage::SelfAssessment => self.self_extension,
            Stage::Explanation => self.explanation_extension,
        }
    }
}

/// Whether a user may read a sheet: its unit's people always; the secretariat and the
/// administrator always; appraisers once it left the draft (drafts are the unit's business);
/// viewers once the campaign's results are published.
pub fn may_read(
    principal: &Principal,
    unit_roles: &[Role],
    status: SheetStatus,
    campaign: CampaignState,
) -> bool {
    !unit_roles.is_empty()
        || principal.has_role(Role::Secretariat)
        || principal.has_role(Role::Admin)
        || (principal.has_role(Role::Appraiser) && status != SheetStatus::Draft)
        || (principal.has_role(Role::Viewer) && campaign == CampaignState::Published)
}
