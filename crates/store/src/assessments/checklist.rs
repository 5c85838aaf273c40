//! The facts a campaign step's checklist is drawn from (docs/method.md §2.5, the guard before
//! each step): each participating unit's sheet status, the explanations still pending, the
//! self-assessment deadlines ahead, the survey sample targets, and the survey leaves that no
//! wave fills or that were not refreshed since their wave's last response. The checklist itself
//! is `chiso_domain::assessment::checklist`.

use std::collections::HashSet;

use chiso_domain::assessment::{CampaignFacts, Outcome, UnitFacts};

use super::*;

/// The checklist facts of a campaign on `today` (Vietnam's date). Over 100 lines: each fact
/// is one read of the campaign as a whole (never one per unit), gathered here in order.
pub async fn campaign_facts(
    db: &Db,
    campaign: &CampaignRow,
    today: NaiveDate,
) -> Result<CampaignFacts, StoreError> {
    let members = campaigns::units(db, campaign.id).await?;
    let sheets: HashMap<i64, SheetRow> = list_sheets(db, campaign.id)
        .await?
        .into_iter()
        .map(|s| (s.unit_id, s))
        .collect();
    let outcomes: Vec<(i64, String)> = with_db_read!(db, pool => sqlx::query_as(
        "SELECT id, outcome FROM sheets WHERE campaign_id = $1 AND outcome IS NOT NULL")
        .bind(campaign.id)
        .fetch_all(pool)
        .await?);
    let outcomes: HashMap<i64, Outcome> = outcomes
        .into_iter()
        .filter_map(|(id, o)| Outcome::parse(&o).map(|o| (id, o)))
        .collect();
    let pending: Vec<(i64, String)> = with_db_read!(db, pool => sqlx::query_as(
        "SELECT s.id, n.code FROM sheets s \
         JOIN leaf_scores ls ON ls.sheet_id = s.id AND ls.stage = s.current_round \
         JOIN framework_nodes n ON n.id = ls.node_id \
         WHERE s.campaign_id = $1 AND s.status IN ('explanation_requested', 'explanation_submitted') \
         AND ls.explanation_requested ORDER BY s.id, n.position")
        .bind(campaign.id)
        .fetch_all(pool)
        .await?);
    let mut pending_by_sheet: HashMap<i64, Vec<String>> = HashMap::new();
    for (sheet_id, code) in pending {
        pending_by_sheet.entry(sheet_id).or_default().push(code);
    }
    let extended: HashMap<i64, NaiveDate> = extensions(db, campaign.id)
        .await?
        .into_iter()
        .filter(|e| e.stage == Stage::SelfAssessment.as_str())
        .map(|e| (e.unit_id, e.valid_until))
        .collect();
    let maps = crate::surveys::leaf_maps(db, campaign.id).await?;
    let mut waves: Vec<i64> = maps.iter().map(|m| m.wave_id).collect();
    waves.sort_unstable();
    waves.dedup();
    let mut below: HashSet<i64> = HashSet::new();
    let mut stale_waves: HashSet<i64> = HashSet::new();
    let last_refresh: Option<DateTime<Utc>> = with_db_read!(db, pool => sqlx::query_scalar(
        "SELECT at FROM audit_log WHERE campaign_id = $1 AND action = 'refresh_survey_leaves' \
         ORDER BY id DESC LIMIT 1")
        .bind(campaign.id)
        .fetch_optional(pool)
        .await?);
    for &wave_id in &waves {
        for unit in crate::surveys::wave_units(db, wave_id).await? {
            if unit.below_target() {
                below.insert(unit.unit_id);
            }
        }
        let last_response: Option<DateTime<Utc>> = with_db_read!(db, pool => sqlx::query_scalar(
            "SELECT submitted_at FROM responses WHERE wave_id = $1 ORDER BY submitted_at DESC LIMIT 1")
            .bind(wave_id)
            .fetch_optional(pool)
            .await?);
        if last_response.is_some_and(|at| last_refresh.is_none_or(|r| at > r)) {
            stale_waves.insert(wave_id);
        }
    }
    let mapped: HashSet<i64> = maps.iter().map(|m| m.node_id).collect();
    let mut unmapped_survey_leaves: Vec<String> =
        crate::surveys::campaign_survey_leaves(db, campaign.id)
            .await?
            .into_iter()
            .filter(|(id, _)| !mapped.contains(id))
            .map(|(_, code)| code)
            .collect();
    // Frameworks of several groups may share leaf codes: each code is named once.
    let mut seen = HashSet::new();
    unmapped_survey_leaves.retain(|code| seen.insert(code.clone()));
    let stale_survey_leaves = maps
        .iter()
        .filter(|m| stale_waves.contains(&m.wave_id))
        .map(|m| m.node_code.clone())
        .collect();
    let units = members
        .iter()
        .map(|member| {
            let sheet = sheets.get(&member.unit_id);
            let deadline = extended
                .get(&member.unit_id)
                .copied()
                .or(campaign.self_assessment_deadline);
            UnitFacts {
                unit_id: member.unit_id,
                sheet_id: sheet.map(|s| s.id),
                unit: format!("{} {}", member.unit_code, member.unit_name),
                status: sheet.map(|s| s.status).unwrap_or(SheetStatus::Draft),
                pending_explanations: sheet
                    .and_then(|s| pending_by_sheet.get(&s.id).cloned())
                    .unwrap_or_default(),
                self_deadline_ahead: deadline.is_some_and(|d| d >= today),
                below_sample_target: below.contains(&member.unit_id),
                outcome: sheet.and_then(|s| outcomes.get(&s.id).copied()),
            }
        })
        .collect();
    Ok(CampaignFacts {
        units,
        unmapped_survey_leaves,
        stale_survey_leaves,
    })
}
