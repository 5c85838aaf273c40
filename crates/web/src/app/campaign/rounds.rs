//! Closing an appraisal round, and granting a unit an extension (docs/method.md §2.5). Closing
//! a round sends the sheets with flagged leaves to their units for an explanation and marks
//! the others appraised; the units asked are told. An extension moves one unit's deadline for
//! a stage, with its reason; the unit is told.
//!
//! Rules, asked once by the store against the rows it reads: the round is the open one, the
//! extension ends after the deadline and has a reason. Rows written: the round's state and the
//! sheets' statuses (or the extension), with the audit rows, in one transaction; the notices
//! after it.

use chiso_store::StoreError;
use chiso_store::assessments::{self, ExtensionGrant};

use super::{Clock, Secretary, tell};
use crate::app::notifications;
use crate::state::AppState;

/// Closes round `round` of a campaign.
pub async fn close_round(
    state: &AppState,
    who: &Secretary,
    campaign_id: i64,
    round: u32,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    assessments::close_round(&state.db, &who.actor, who.role, campaign_id, round, reason).await?;
    tell(notifications::explanations_requested(&state.db, &state.clock, campaign_id, round).await);
    Ok(())
}

/// Grants a unit an extension for a stage.
pub async fn grant_extension(
    state: &AppState,
    who: &Secretary,
    campaign_id: i64,
    grant: &ExtensionGrant,
) -> Result<(), StoreError> {
    assessments::grant_extension(&state.db, &who.actor, who.role, campaign_id, grant).await?;
    let clock: &Clock = &state.clock;
    tell(
        notifications::extension_granted(
            &state.db,
            clock,
            campaign_id,
            grant.unit_id,
            grant.stage,
            grant.until,
        )
        .await,
    );
    Ok(())
}
