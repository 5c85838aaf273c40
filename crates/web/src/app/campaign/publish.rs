//! Publishing a finalized campaign: the checklist lists the units finalize left out or ranked
//! with 0 points and those below their survey sample target; the step needs its reason. The
//! ranking is computed and frozen, and the units are told.

use chiso_domain::assessment::{self as rules, CampaignStep, Decisions, SheetAction};
use chiso_store::assessments::{self, PublishedResults};
use chiso_store::{Db, StoreError, campaigns};

use super::{Clock, Secretary, checklist, tell};
use crate::app::notifications;

/// Publishes the campaign's results.
pub async fn publish(
    db: &Db,
    clock: &Clock,
    who: &Secretary,
    campaign_id: i64,
    reason: &str,
) -> Result<PublishedResults, StoreError> {
    let campaign = campaigns::get(db, campaign_id).await?;
    rules::check_campaign_action(who.role, SheetAction::Publish, campaign.state())?;
    let view = checklist(db, clock, campaign_id, CampaignStep::Publish).await?;
    view.checklist.resolve(reason, &Decisions::default())?;
    let results =
        assessments::publish(db, &who.actor, who.role, campaign_id, Some(reason.trim())).await?;
    tell(notifications::results_published(db, clock, campaign_id).await);
    Ok(results)
}
