//! Opening appraisal round *r* (round 1 moves the campaign to appraisal): the checklist lists
//! units not submitted and, for round 1, those still within their self-assessment deadline;
//! none of it blocks (a sheet submitted later joins the open round), but the step needs its
//! reason. The secretariat chooses whether sheets submitted while the round is open join it or
//! wait for the next round (docs/method.md §2.5, "Late and returned sheets"). The units are told.

use chiso_domain::assessment::{self as rules, CampaignStep, Decisions, LateSheets};
use chiso_store::{Db, StoreError, assessments, campaigns};

use super::{Clock, Secretary, checklist, tell};
use crate::app::notifications;

/// Opens round `round` of campaign `campaign_id`, with the choice for the sheets submitted
/// while it is open; returns how many sheets entered it.
pub async fn open_round(
    db: &Db,
    clock: &Clock,
    who: &Secretary,
    (campaign_id, round): (i64, u32),
    late: LateSheets,
    reason: &str,
) -> Result<usize, StoreError> {
    // The round's own rule first (one round open at a time, in order), then its checklist.
    let campaign = campaigns::get(db, campaign_id).await?;
    let states = assessments::round_states(db, campaign_id).await?;
    rules::check_open_round(
        who.role,
        campaign.state(),
        &assessments::phases(&states, campaign.appraisal_rounds),
        campaign.appraisal_rounds.max(0) as u32,
        round,
    )?;
    let view = checklist(db, clock, campaign_id, CampaignStep::OpenRound(round)).await?;
    view.checklist.resolve(reason, &Decisions::default())?;
    let entered = assessments::open_round_choosing(
        db,
        &who.actor,
        who.role,
        campaign_id,
        round,
        late,
        Some(reason.trim()),
    )
    .await?;
    tell(notifications::round_opened(db, clock, campaign_id, round).await);
    Ok(entered)
}
