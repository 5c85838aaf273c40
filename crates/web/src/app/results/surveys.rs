//! The survey figures behind a campaign's results (docs/method.md §3.6, §3.8): for each wave
//! mapped to the campaign's survey leaves, the index and the factor indices with their 95 %
//! intervals, of one unit or of a group, beside the wave's figures over all its units. Read
//! from the counters (a few milliseconds a wave). Who sees a wave's figures for a unit follows
//! the staff survey screens ([`SurveyScope`]): everyone once the wave's results are published,
//! before that the secretariat, the leadership, the appraisers and the unit's own staff.

use std::collections::BTreeSet;

use chiso_store::surveys::{self, WaveRow};
use chiso_survey::{Questionnaire, SurveyResult};

use crate::auth::Principal;
use crate::error::AppResult;
use crate::routes::survey_scope::SurveyScope;
use crate::state::AppState;

/// One wave's figures for the units asked about.
pub struct WaveFigures {
    pub wave: WaveRow,
    pub questionnaire: Questionnaire,
    /// The units asked about, together.
    pub result: SurveyResult,
    /// Every unit of the wave, together: the reference.
    pub all: SurveyResult,
}

/// The waves mapped to the campaign's survey leaves (of one framework when given), by id.
async fn mapped_waves(
    state: &AppState,
    campaign_id: i64,
    framework_id: Option<i64>,
) -> AppResult<BTreeSet<i64>> {
    Ok(surveys::leaf_maps(&state.db, campaign_id)
        .await?
        .into_iter()
        .filter(|m| framework_id.is_none_or(|f| m.framework_id == f))
        .map(|m| m.wave_id)
        .collect())
}

/// The figures of `units` in each wave mapped to the campaign (of their framework when
/// given), for the waves whose figures of those units the principal may read.
pub async fn figures(
    state: &AppState,
    principal: &Principal,
    campaign_id: i64,
    framework_id: Option<i64>,
    units: &[i64],
) -> AppResult<Vec<WaveFigures>> {
    let waves = mapped_waves(state, campaign_id, framework_id).await?;
    if waves.is_empty() || units.is_empty() {
        return Ok(Vec::new());
    }
    let scope = SurveyScope::of(state, principal).await?;
    let mut out = Vec::new();
    for wave_id in waves {
        let wave = surveys::get_wave(&state.db, wave_id).await?;
        let readable = scope.clone().for_results(state, &wave).await?;
        if !units.iter().all(|&u| readable.sees(u)) {
            continue;
        }
        let questionnaire = surveys::get_questionnaire(&state.db, wave.questionnaire_id)
            .await?
            .questionnaire()?;
        let every: Vec<i64> = surveys::wave_units(&state.db, wave_id)
            .await?
            .into_iter()
            .map(|u| u.unit_id)
            .collect();
        let result = surveys::result(&state.db, wave_id, units, None).await?;
        let all = surveys::result(&state.db, wave_id, &every, None).await?;
        out.push(WaveFigures {
            wave,
            questionnaire,
            result,
            all,
        });
    }
    Ok(out)
}
