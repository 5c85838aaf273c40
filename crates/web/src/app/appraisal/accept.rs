//! An appraiser accepts the unit's own points ("chấp nhận điểm tự chấm") for the leaves of an
//! area, or of the whole sheet, that the open round lets them appraise and that have no value
//! of the round yet (docs/method.md §2.5).
//!
//! Context: the sheet ([`SheetContext`]: one query, the frozen framework from the cache).
//! Rules, asked once by the store: the appraiser may appraise now, each leaf is in their areas
//! and open in this round. Rows written: one row of the round per accepted leaf with the unit's
//! points, the sheet's figures and one audit row per leaf, in one transaction.

use chiso_domain::access::Role;
use chiso_store::assessments;

use crate::app::sheet_context::SheetContext;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::routes::campaigns::shared::appraiser_areas;
use crate::state::AppState;

/// How many leaves were accepted.
pub async fn accept(
    state: &AppState,
    principal: &Principal,
    sheet_id: i64,
    area: Option<&str>,
) -> AppResult<usize> {
    if !principal.has_role(Role::Appraiser) {
        return Err(AppError::Forbidden);
    }
    let context = SheetContext::load(state, principal, sheet_id).await?;
    let areas = appraiser_areas(principal);
    Ok(assessments::accept_self_scores_in(
        &state.db,
        &principal.actor(),
        Role::Appraiser,
        areas.as_deref(),
        &context.scope,
        area,
    )
    .await?)
}
