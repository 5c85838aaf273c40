//! The analyses behind a campaign's results (docs/method.md §7.2): where a unit stands in its
//! group and why, what it takes to reach a target, and what if some of its leaves changed.
//! Each reads the group's final values once ([`assessments::group_finals`]) and computes with
//! the engine; nothing is stored.
//!
//! Who sees them follows the results page: after publication everyone signed in; before it,
//! once the campaign is finalized, the secretariat and the administrator (a preview, marked
//! "chưa công bố").

use chiso_domain::access::Permission;
use chiso_domain::campaign::CampaignState;
use chiso_domain::evaluation::{Evaluation, UnitOutcome};
use chiso_domain::leaf_change::{self, LeafChange};
use chiso_domain::simulator::{self, Change, SimulationError};
use chiso_domain::weakness::{self, Recoverable, Target, TargetError, WhatItTakes};
use chiso_domain::{Bands, Framework, evaluate};
use chiso_store::assessments::{self, GroupFinals};
use chiso_store::campaigns::{self, CampaignRow};

pub mod compare;
pub mod ranking;
pub mod surveys;

use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The leaves of a unit that fell since an earlier campaign.
pub struct Fallen {
    pub campaign: CampaignRow,
    pub leaves: Vec<LeafChange>,
}

/// One unit's group of a campaign, evaluated: the context of every analysis of that unit.
pub struct UnitStanding {
    pub campaign: CampaignRow,
    /// Published (`true`) or a preview of a finalized campaign.
    pub published: bool,
    pub group: GroupFinals,
    pub bands: Bands,
    pub evaluation: Evaluation,
    /// The unit's key in the evaluation (its id as text).
    key: String,
    pub unit_id: i64,
}

impl UnitStanding {
    /// Loads the group of `unit_id` in a campaign and evaluates it. NotFound when the unit
    /// is not ranked in the campaign (left out, or not taking part).
    pub async fn load(
        state: &AppState,
        principal: &Principal,
        campaign_id: i64,
        unit_id: i64,
    ) -> AppResult<UnitStanding> {
        let db = &state.db;
        let campaign = campaigns::get(db, campaign_id).await?;
        let published = match campaign.state() {
            CampaignState::Published => true,
            CampaignState::Finalized if principal.can(Permission::ManageCampaigns) => false,
            CampaignState::Finalized => return Err(AppError::Forbidden),
            _ if principal.can(Permission::ManageCampaigns) => return Err(AppError::NotFound),
            _ => return Err(AppError::Forbidden),
        };
        let bands = Bands::parse(&campaign.bands)
            .map_err(|e| AppError::refused(chiso_domain::campaign::SetupRefusal::from(e)))?;
        let group = assessments::group_finals(db, campaign_id)
            .await?
            .into_iter()
            .find(|g| g.units.contains_key(&unit_id))
            .ok_or(AppError::NotFound)?;
        let evaluation = evaluate(&group.stored.framework, group.inputs.clone(), &bands);
        Ok(UnitStanding {
            campaign,
            published,
            group,
            bands,
            evaluation,
            key: unit_id.to_string(),
            unit_id,
        })
    }

    pub fn framework(&self) -> &Framework {
        &self.group.stored.framework
    }

    pub fn outcome(&self) -> &UnitOutcome {
        self.evaluation
            .find(&self.key)
            .expect("the group holds the unit")
    }

    /// A unit's code and name by its key in the evaluation.
    pub fn names(&self, key: &str) -> (&str, &str) {
        key.parse::<i64>()
            .ok()
            .and_then(|id| self.group.units.get(&id))
            .map_or(("", ""), |(code, name, _, _)| {
                (code.as_str(), name.as_str())
            })
    }

    /// Every leaf where the unit lost points, the most recoverable first.
    pub fn recoverable(&self) -> Vec<Recoverable> {
        weakness::recoverable(self.framework(), &self.evaluation, self.outcome())
    }

    /// The points and leaves needed for a target rank or index.
    pub fn what_it_takes(&self, target: Target) -> Result<WhatItTakes, TargetError> {
        weakness::what_it_takes(self.framework(), &self.evaluation, self.outcome(), target)
    }

    /// The unit's leaves that fell since the latest earlier published campaign that ranked it
    /// (docs/method.md §7.2), with that campaign; `None` when no earlier campaign ranked it.
    /// One campaign's final values are read per earlier campaign tried, latest first.
    pub async fn fallen_since(&self, state: &AppState) -> AppResult<Option<Fallen>> {
        let Some(sheet) = self
            .group
            .inputs
            .iter()
            .find(|i| i.code == self.key)
            .map(|i| &i.sheet)
        else {
            return Ok(None);
        };
        let mut earlier: Vec<CampaignRow> = campaigns::list(&state.db)
            .await?
            .into_iter()
            .filter(|c| c.state() == CampaignState::Published && c.id != self.campaign.id)
            .filter(|c| (c.year, c.id) < (self.campaign.year, self.campaign.id))
            .collect();
        earlier.sort_by_key(|c| std::cmp::Reverse((c.year, c.id)));
        for campaign in earlier {
            let groups = assessments::group_finals(&state.db, campaign.id).await?;
            let Some(group) = groups.iter().find(|g| g.units.contains_key(&self.unit_id)) else {
                continue;
            };
            let Some(previous) = group.inputs.iter().find(|i| i.code == self.key) else {
                continue;
            };
            let leaves = leaf_change::fallen_leaves(
                self.framework(),
                sheet,
                &group.stored.framework,
                &previous.sheet,
            );
            return Ok(Some(Fallen { campaign, leaves }));
        }
        Ok(None)
    }

    /// The unit's outcome with some leaves changed, the others as they stand.
    pub fn what_if(&self, changes: &[Change]) -> Result<UnitOutcome, SimulationError> {
        simulator::simulate(
            self.framework(),
            &self.group.inputs,
            &self.bands,
            &self.key,
            changes,
        )
    }
}
