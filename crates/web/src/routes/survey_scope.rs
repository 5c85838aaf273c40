//! What a reader of the staff survey screens may see.
//!
//! The secretariat, viewers (the province's leadership) and appraisers read every unit. A unit
//! editor or leader reads only the setup of their own units (and the units below them): short
//! links, services, kiosk names and token counts are how a unit runs its survey, not anyone
//! else's business. Results of the other units become readable to them once the wave's results
//! are published: the wave is closed and, when it fills a campaign, that campaign is published.

use chiso_domain::campaign::CampaignState;
use chiso_store::surveys::{WaveRow, WaveState};
use chiso_store::{campaigns, units};

use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The units a principal may see in the survey screens.
#[derive(Clone, Debug)]
pub struct SurveyScope(Option<Vec<i64>>);

impl SurveyScope {
    pub async fn of(state: &AppState, principal: &Principal) -> AppResult<SurveyScope> {
        let all = units::list(&state.db).await?;
        Ok(SurveyScope(principal.unit_scope(&all)))
    }

    pub fn everything(&self) -> bool {
        self.0.is_none()
    }

    pub fn sees(&self, unit_id: i64) -> bool {
        self.0.as_ref().is_none_or(|ids| ids.contains(&unit_id))
    }

    /// Refuses a unit outside the scope.
    pub fn require(&self, unit_id: i64) -> AppResult<()> {
        if self.sees(unit_id) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The scope for a wave's results: everything once they are published.
    pub async fn for_results(self, state: &AppState, wave: &WaveRow) -> AppResult<SurveyScope> {
        if self.everything() || results_published(state, wave).await? {
            Ok(SurveyScope(None))
        } else {
            Ok(self)
        }
    }
}

/// A wave's results are final and public to staff once it is closed and the campaign it
/// fills, if any, is published.
async fn results_published(state: &AppState, wave: &WaveRow) -> AppResult<bool> {
    if wave.state() != WaveState::Closed {
        return Ok(false);
    }
    Ok(match wave.campaign_id {
        None => true,
        Some(id) => campaigns::get(&state.db, id).await?.state() == CampaignState::Published,
    })
}
