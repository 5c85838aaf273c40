//! Opening a campaign (draft → open, or back to draft): the lifecycle's own checks (a
//! framework per group, units, a deadline), with the reason recorded.

use chiso_domain::campaign::CampaignState;
use chiso_store::{Db, StoreError, campaigns};

use super::Secretary;

/// Moves the campaign to `to` when the lifecycle allows it (draft ↔ open); the steps into
/// appraisal, finalized and published have their own use cases.
pub async fn open(
    db: &Db,
    who: &Secretary,
    campaign_id: i64,
    to: CampaignState,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    campaigns::transition(db, &who.actor, campaign_id, to, reason).await
}
