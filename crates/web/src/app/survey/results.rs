//! A wave's results (docs/method.md §3.3–§3.9): every unit's index with its interval, the
//! groups (each kind of unit, and the units the reader ticked), the channels and services, the
//! previous wave of the same questionnaire and the trend over all of them, and the mean of the
//! units with responses, all from the counters. The staff's results page and its .xlsx export
//! render it; who sees which units is the page's survey scope.

use std::collections::HashMap;

use chiso_store::surveys::{self, Slice, WaveRow, WaveUnitRow};
use chiso_store::units;
use chiso_survey::compare::{Reference, average};
use chiso_survey::{Counts, Questionnaire, SurveyResult, index_from_counts};

use crate::error::AppResult;
use crate::state::AppState;

/// A group of units in the results.
#[derive(Clone, Debug, PartialEq)]
pub enum GroupKey {
    /// Every unit of one kind (`department`, `commune`…), when the wave has several kinds.
    Kind(String),
    /// The units the reader ticked.
    Ticked,
}

/// Everything the results page and its export show, from the counters.
#[derive(Clone)]
pub struct WaveResults {
    pub wave: WaveRow,
    pub questionnaire: Questionnaire,
    /// Each unit with its kind and result.
    pub units: Vec<(WaveUnitRow, String, SurveyResult)>,
    pub all: SurveyResult,
    /// Each group with its units' codes.
    pub groups: Vec<(GroupKey, Vec<String>, SurveyResult)>,
    pub channels: Vec<(surveys::Channel, SurveyResult)>,
    /// Every service of the wave's units, with its unit's code (in the chosen channel).
    pub services: Vec<(surveys::ServiceRow, String, SurveyResult)>,
    pub previous: Option<(WaveRow, HashMap<i64, SurveyResult>, SurveyResult)>,
    pub mean: Reference,
    /// Every wave of the same questionnaire by period, with its index.
    pub trend: Vec<(WaveRow, Option<f64>)>,
}

/// What a reader asked for: the wave, the channel, the ticked units.
type CacheKey = (i64, Option<String>, Vec<i64>);

/// Computed results kept per wave, channel and ticked units with the stamp they were computed
/// at (`surveys::results_stamp`): a read costs one cheap statement while nothing changed,
/// whatever the number of responses, waves or services; any write, by any process, changes
/// the stamp and the next read computes again. At most [`KEPT`] entries, the oldest dropped.
#[derive(Clone, Default)]
pub struct ResultsCache {
    entries: std::sync::Arc<std::sync::Mutex<Vec<Cached>>>,
}

/// A cache entry: what was asked, the stamp it was computed at, the results.
type Cached = (CacheKey, String, std::sync::Arc<WaveResults>);

const KEPT: usize = 64;

impl ResultsCache {
    fn get(&self, key: &CacheKey, stamp: &str) -> Option<std::sync::Arc<WaveResults>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .iter()
            .find(|(k, s, _)| k == key && s == stamp)
            .map(|(_, _, r)| r.clone())
    }

    fn keep(&self, key: CacheKey, stamp: String, results: std::sync::Arc<WaveResults>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|(k, _, _)| *k != key);
        if entries.len() >= KEPT {
            entries.remove(0);
        }
        entries.push((key, stamp, results));
    }
}

/// [`compute`] through the process's [`ResultsCache`].
pub async fn compute_cached(
    state: &AppState,
    wave_id: i64,
    channel: Option<&surveys::Channel>,
    ticked: &[i64],
) -> AppResult<std::sync::Arc<WaveResults>> {
    let stamp = surveys::results_stamp(&state.db).await?;
    let mut sorted = ticked.to_vec();
    sorted.sort_unstable();
    let key: CacheKey = (wave_id, channel.map(|c| format!("{c:?}")), sorted);
    if let Some(hit) = state.survey_results.get(&key, &stamp) {
        return Ok(hit);
    }
    let results = std::sync::Arc::new(compute(state, wave_id, channel, ticked).await?);
    state.survey_results.keep(key, stamp, results.clone());
    Ok(results)
}

/// The result of several units' counters added together.
pub fn merged(questionnaire: &Questionnaire, empty: &Counts, parts: &[&Counts]) -> SurveyResult {
    let mut total = empty.clone();
    for part in parts {
        total.merge(part);
    }
    index_from_counts(questionnaire, &total)
}

/// The results of a wave, for every unit in it (the caller leaves out what its reader may not
/// see), in one channel or all, with the ticked units as a group.
pub async fn compute(
    state: &AppState,
    wave_id: i64,
    channel: Option<&surveys::Channel>,
    ticked: &[i64],
) -> AppResult<WaveResults> {
    let db = &state.db;
    let wave = surveys::get_wave(db, wave_id).await?;
    let row = surveys::get_questionnaire(db, wave.questionnaire_id).await?;
    let questionnaire = row.questionnaire()?;
    let shape = row.shape()?;
    let empty = shape.empty_counts();
    let wave_units = surveys::wave_units(db, wave_id).await?;
    let unit_ids: Vec<i64> = wave_units.iter().map(|u| u.unit_id).collect();
    let counts = if unit_ids.is_empty() {
        Vec::new()
    } else {
        surveys::counts(db, wave_id, &unit_ids, channel).await?
    };
    let by_unit: HashMap<i64, &Counts> = counts.iter().map(|c| (c.unit_id, &c.counts)).collect();
    let all_units = units::list(db).await?;
    let kind_of = |id: i64| {
        all_units
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.kind.as_str().to_string())
            .unwrap_or_default()
    };
    let units: Vec<(WaveUnitRow, String, SurveyResult)> = wave_units
        .into_iter()
        .map(|u| {
            let result = match by_unit.get(&u.unit_id) {
                Some(c) => index_from_counts(&questionnaire, c),
                None => index_from_counts(&questionnaire, &empty),
            };
            let kind = kind_of(u.unit_id);
            (u, kind, result)
        })
        .collect();
    let all_parts: Vec<&Counts> = counts.iter().map(|c| &c.counts).collect();
    let all = merged(&questionnaire, &empty, &all_parts);
    let groups = groups(&questionnaire, &empty, &units, &by_unit, ticked);
    let (channels, services) = channels_and_services(db, wave_id, channel, &units).await?;
    let (previous, trend) = previous_and_trend(db, &wave, &unit_ids, channel, all.index).await?;
    let mean = average(
        units
            .iter()
            .filter(|(_, _, r)| r.responses > 0)
            .map(|(_, _, r)| r),
    );
    Ok(WaveResults {
        wave,
        questionnaire,
        units,
        all,
        groups,
        channels,
        services,
        previous,
        mean,
        trend,
    })
}

/// Each unit of the wave with its kind and result.
type UnitResults = [(WaveUnitRow, String, SurveyResult)];

/// The groups: each kind of unit present (departments, communes…) when there are several, then
/// the ticked units.
fn groups(
    questionnaire: &Questionnaire,
    empty: &Counts,
    units: &UnitResults,
    by_unit: &HashMap<i64, &Counts>,
    ticked: &[i64],
) -> Vec<(GroupKey, Vec<String>, SurveyResult)> {
    let mut groups = Vec::new();
    let mut kinds: Vec<String> = units.iter().map(|(_, k, _)| k.clone()).collect();
    kinds.sort();
    kinds.dedup();
    if kinds.len() > 1 {
        for kind in kinds {
            let members: Vec<&(WaveUnitRow, String, SurveyResult)> =
                units.iter().filter(|(_, k, _)| *k == kind).collect();
            let parts: Vec<&Counts> = members
                .iter()
                .filter_map(|(u, _, _)| by_unit.get(&u.unit_id).copied())
                .collect();
            groups.push((
                GroupKey::Kind(kind),
                members
                    .iter()
                    .map(|(u, _, _)| u.unit_code.clone())
                    .collect(),
                merged(questionnaire, empty, &parts),
            ));
        }
    }
    if !ticked.is_empty() {
        let members: Vec<&(WaveUnitRow, String, SurveyResult)> = units
            .iter()
            .filter(|(u, _, _)| ticked.contains(&u.unit_id))
            .collect();
        let parts: Vec<&Counts> = members
            .iter()
            .filter_map(|(u, _, _)| by_unit.get(&u.unit_id).copied())
            .collect();
        groups.push((
            GroupKey::Ticked,
            members
                .iter()
                .map(|(u, _, _)| u.unit_code.clone())
                .collect(),
            merged(questionnaire, empty, &parts),
        ));
    }
    groups
}

/// The results per channel (when no channel is chosen and there are several) and per service.
async fn channels_and_services(
    db: &chiso_store::Db,
    wave_id: i64,
    channel: Option<&surveys::Channel>,
    units: &UnitResults,
) -> AppResult<(
    Vec<(surveys::Channel, SurveyResult)>,
    Vec<(surveys::ServiceRow, String, SurveyResult)>,
)> {
    let mut channels = Vec::new();
    if channel.is_none() {
        let names = surveys::channels(db, wave_id).await?;
        if names.len() > 1 {
            for name in names {
                channels.push((
                    name.clone(),
                    surveys::result(db, wave_id, &[], Some(&name)).await?,
                ));
            }
        }
    }
    let mut services = Vec::new();
    for service in surveys::services(db, wave_id, None).await? {
        let Some(unit_code) = units
            .iter()
            .find(|(u, _, _)| u.unit_id == service.unit_id)
            .map(|(u, _, _)| u.unit_code.clone())
        else {
            continue;
        };
        let slice = Slice {
            channel,
            service_id: Some(service.id),
        };
        let result = surveys::result_of_slice(db, wave_id, &[service.unit_id], &slice).await?;
        services.push((service, unit_code, result));
    }
    Ok((channels, services))
}

/// The previous wave of the same questionnaire (an earlier period) with its results by unit,
/// and the trend over every wave of the questionnaire (`index` is this wave's).
async fn previous_and_trend(
    db: &chiso_store::Db,
    wave: &WaveRow,
    unit_ids: &[i64],
    channel: Option<&surveys::Channel>,
    index: Option<f64>,
) -> AppResult<(
    Option<(WaveRow, HashMap<i64, SurveyResult>, SurveyResult)>,
    Vec<(WaveRow, Option<f64>)>,
)> {
    // The previous wave of the same questionnaire (an earlier period), and the trend over all.
    let mut same: Vec<WaveRow> = surveys::list_waves(db)
        .await?
        .into_iter()
        .filter(|w| w.questionnaire_code == wave.questionnaire_code)
        .collect();
    let period = |w: &WaveRow| (w.period_year, w.period_quarter.unwrap_or(0), w.id);
    same.sort_by_key(period);
    let previous_row = same
        .iter()
        .rfind(|w| period(w) < period(wave) && w.id != wave.id)
        .cloned();
    let previous = match previous_row {
        Some(prev) => {
            let prev_q = surveys::get_questionnaire(db, prev.questionnaire_id)
                .await?
                .questionnaire()?;
            let prev_counts = surveys::counts(db, prev.id, unit_ids, channel).await?;
            let map: HashMap<i64, SurveyResult> = prev_counts
                .iter()
                .filter(|c| c.counts.responses.n > 0)
                .map(|c| (c.unit_id, index_from_counts(&prev_q, &c.counts)))
                .collect();
            let prev_all = surveys::result(db, prev.id, &[], channel).await?;
            Some((prev, map, prev_all))
        }
        None => None,
    };
    let mut trend = Vec::new();
    for w in &same {
        let value = if w.id == wave.id {
            index
        } else {
            surveys::result(db, w.id, &[], channel).await?.index
        };
        trend.push((w.clone(), value));
    }
    Ok((previous, trend))
}
