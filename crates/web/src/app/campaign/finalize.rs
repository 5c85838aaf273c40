//! Finalizing a campaign: every blocking line of the checklist (units never submitted, sheets
//! no round appraised, explanations never reviewed, survey leaves no wave fills) decided per
//! unit with a reason; the survey leaves refreshed from their waves and the final points frozen
//! in one transaction (`chiso_store::assessments::finalize`, which checks the same checklist
//! inside its write).

use chiso_domain::assessment::Decisions;
use chiso_store::{Db, StoreError, assessments};

use super::{Clock, Secretary};

/// Finalizes the campaign with the secretariat's decisions.
pub async fn finalize(
    db: &Db,
    clock: &Clock,
    who: &Secretary,
    campaign_id: i64,
    reason: &str,
    decisions: &Decisions,
) -> Result<(), StoreError> {
    assessments::finalize(
        db,
        &who.actor,
        who.role,
        campaign_id,
        clock.today(),
        reason,
        decisions,
    )
    .await
}
