//! The campaign lifecycle as use cases (docs/method.md §2.5): opening the campaign, opening an
//! appraisal round, finalizing and publishing. Each step past opening shows its checklist first
//! ([`checklist`]): the domain draws it from the facts the store loads
//! (`chiso_store::assessments::campaign_facts`), and the step is refused until its reason is
//! given and every blocking line is decided per unit with a reason of its own. The store
//! checks finalize's checklist again inside its write, so no path skips it.
//!
//! The context of each use case is the campaign and the secretariat member acting
//! ([`Secretary`]); notices follow a committed change and never undo it.

mod finalize;
mod open;
mod open_round;
mod publish;
mod rounds;
mod sheet_steps;

pub use finalize::finalize;
pub use open::open;
pub use open_round::open_round;
pub use publish::publish;
pub use rounds::{close_round, grant_extension};
pub use sheet_steps::{SheetStepsView, defer_to_next_round, return_to_unit, view as sheet_steps};

use chiso_domain::access::Role;
use chiso_domain::assessment::{self as rules, CampaignStep, Checklist};
use chiso_store::campaigns::{self, CampaignRow};
use chiso_store::{Actor, Db, StoreError, assessments};

use super::Clock;

/// Who takes a campaign step: the acting user and the council role they act in (the
/// secretariat, or an administrator).
#[derive(Clone, Debug)]
pub struct Secretary {
    pub actor: Actor,
    pub role: Role,
}

/// A campaign with the checklist of one of its steps, as of the clock's Vietnam date.
pub struct StepView {
    pub campaign: CampaignRow,
    pub checklist: Checklist,
}

/// The checklist of `step` for the campaign.
pub async fn checklist(
    db: &Db,
    clock: &Clock,
    campaign_id: i64,
    step: CampaignStep,
) -> Result<StepView, StoreError> {
    let campaign = campaigns::get(db, campaign_id).await?;
    let facts = assessments::campaign_facts(db, &campaign, clock.today()).await?;
    Ok(StepView {
        checklist: rules::checklist(step, &facts),
        campaign,
    })
}

/// Notices follow a change that is already committed: a failure to write them is logged, and
/// the change stands.
fn tell(outcome: Result<u64, StoreError>) {
    if let Err(error) = outcome {
        tracing::warn!(%error, "writing notifications failed");
    }
}
