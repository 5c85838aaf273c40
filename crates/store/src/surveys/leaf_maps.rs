//! Merging into the PAR INDEX.

use super::*;

/// Which survey figure fills a leaf: points = the figure (%) × the leaf's max / 100. The SIPAS
/// leaf takes the questionnaire's `index` (× 10 / 100 for a 10-point leaf); a leader-survey
/// criterion takes its `item:<code>` (the item's mean share, so the leaf gets the item's
/// points); `factor:<code>` takes a factor's index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeafSource {
    Index,
    Factor(String),
    Item(String),
}

impl LeafSource {
    pub fn parse(text: &str) -> Result<LeafSource, StoreError> {
        let text = text.trim();
        if text == "index" {
            return Ok(LeafSource::Index);
        }
        match text.split_once(':') {
            Some(("factor", code)) if !code.trim().is_empty() => {
                Ok(LeafSource::Factor(code.trim().to_string()))
            }
            Some(("item", code)) if !code.trim().is_empty() => {
                Ok(LeafSource::Item(code.trim().to_string()))
            }
            _ => Err(SurveyRefusal::from(LeafMapRefusal::BadSource {
                text: text.to_string(),
            })
            .into()),
        }
    }

    pub fn as_string(&self) -> String {
        match self {
            LeafSource::Index => "index".to_string(),
            LeafSource::Factor(code) => format!("factor:{code}"),
            LeafSource::Item(code) => format!("item:{code}"),
        }
    }

    /// Whether the questionnaire has the factor or item.
    fn check(&self, questionnaire: &Questionnaire) -> Result<(), StoreError> {
        let known = match self {
            LeafSource::Index => true,
            LeafSource::Factor(code) => questionnaire.factor(code).is_some(),
            LeafSource::Item(code) => questionnaire.item(code).is_some(),
        };
        if known {
            Ok(())
        } else {
            Err(
                SurveyRefusal::from(LeafMapRefusal::SourceNotInQuestionnaire {
                    questionnaire: questionnaire.id.clone(),
                    text: self.as_string(),
                })
                .into(),
            )
        }
    }

    /// The figure (%) this source reads from a result; `None` when nothing feeds it.
    pub fn value(&self, result: &SurveyResult) -> Option<f64> {
        match self {
            LeafSource::Index => result.index,
            LeafSource::Factor(code) => result
                .factors
                .iter()
                .find(|f| &f.code == code)
                .and_then(|f| f.index),
            LeafSource::Item(code) => result
                .items
                .iter()
                .find(|i| &i.code == code)
                .and_then(|i| i.satisfied_rate),
        }
    }
}

/// A stored mapping of a campaign's survey leaf to a wave's figure.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct LeafMapRow {
    pub id: i64,
    pub campaign_id: i64,
    pub node_id: i64,
    pub node_code: String,
    pub framework_id: i64,
    /// Ten-thousandths.
    pub max_points: Option<i64>,
    pub wave_id: i64,
    pub source: String,
    pub created_at: DateTime<Utc>,
}

/// The campaign's survey-leaf mappings, by framework then leaf code.
pub async fn leaf_maps(db: &Db, campaign_id: i64) -> Result<Vec<LeafMapRow>, StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, LeafMapRow>(
        "SELECT m.id, m.campaign_id, m.node_id, n.code AS node_code, n.framework_id, n.max_points, m.wave_id, \
         m.source, m.created_at FROM survey_leaf_maps m JOIN framework_nodes n ON n.id = m.node_id \
         WHERE m.campaign_id = $1 ORDER BY n.framework_id, n.position")
        .bind(campaign_id)
        .fetch_all(pool)
        .await?))
}

/// A mapping checked and ready to store.
struct CheckedMap {
    node_id: i64,
    code: String,
    source: LeafSource,
}

/// Checks that the campaign may still change its mappings, that `wave_id` exists, and returns
/// its questionnaire.
async fn mapping_scope(
    db: &Db,
    campaign_id: i64,
    wave_id: i64,
) -> Result<(crate::campaigns::CampaignRow, Questionnaire), StoreError> {
    let campaign = crate::campaigns::get(db, campaign_id).await?;
    if matches!(
        campaign.state(),
        chiso_domain::campaign::CampaignState::Finalized
            | chiso_domain::campaign::CampaignState::Published
    ) {
        return Err(SurveyRefusal::LeavesFinal(campaign.state()).into());
    }
    let wave = get_wave(db, wave_id).await?;
    let questionnaire = get_questionnaire(db, wave.questionnaire_id)
        .await?
        .questionnaire()?;
    Ok((campaign, questionnaire))
}

/// The survey leaves of the campaign's frameworks: (node id, code) per framework leaf whose
/// method is `survey`.
pub(crate) async fn campaign_survey_leaves(
    db: &Db,
    campaign_id: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    let mut leaves = Vec::new();
    for group in crate::campaigns::frameworks(db, campaign_id).await? {
        let stored = crate::frameworks::load(db, group.framework_id).await?;
        for &leaf in stored.framework.leaves() {
            let node = stored.framework.node(leaf);
            if node.method == chiso_domain::Method::Survey
                && let Some(&id) = stored.node_ids.get(&node.code)
            {
                leaves.push((id, node.code.clone()));
            }
        }
    }
    Ok(leaves)
}

async fn store_maps(
    db: &Db,
    actor: &Actor,
    campaign_id: i64,
    wave_id: i64,
    maps: &[CheckedMap],
) -> Result<(), StoreError> {
    let old: HashMap<i64, (i64, String)> = leaf_maps(db, campaign_id)
        .await?
        .into_iter()
        .map(|m| (m.node_id, (m.wave_id, m.source)))
        .collect();
    let now = Utc::now();
    in_transaction!(db, tx => {
        for map in maps {
            let source = map.source.as_string();
            let before = old.get(&map.node_id);
            if before == Some(&(wave_id, source.clone())) {
                continue;
            }
            sqlx::query(
                "INSERT INTO survey_leaf_maps (campaign_id, node_id, wave_id, source, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (campaign_id, node_id) DO UPDATE SET wave_id = excluded.wave_id, source = excluded.source")
                .bind(campaign_id)
                .bind(map.node_id)
                .bind(wave_id)
                .bind(&source)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.record(actor, &AuditEntry::new("update", "campaign", campaign_id)
                .change(&format!("survey_leaf[{}]", map.code),
                    before.map(|(w, s)| format!("wave {w}: {s}")),
                    Some(format!("wave {wave_id}: {source}")))
                .campaign(campaign_id)).await?;
        }
        Ok(())
    })
}

/// Maps one survey leaf of the campaign (a framework node id) to a wave's figure, audited.
/// Refused once the campaign is finalized, for a node that is not a survey leaf of the
/// campaign's frameworks, or a source the wave's questionnaire lacks.
pub async fn set_leaf_map(
    db: &Db,
    actor: &Actor,
    campaign_id: i64,
    node_id: i64,
    wave_id: i64,
    source: &str,
) -> Result<(), StoreError> {
    let (_, questionnaire) = mapping_scope(db, campaign_id, wave_id).await?;
    let source = LeafSource::parse(source)?;
    source.check(&questionnaire)?;
    let leaves = campaign_survey_leaves(db, campaign_id).await?;
    let Some((_, code)) = leaves.iter().find(|(id, _)| *id == node_id) else {
        return Err(SurveyRefusal::from(LeafMapRefusal::NotSurveyLeaf { node_id }).into());
    };
    store_maps(
        db,
        actor,
        campaign_id,
        wave_id,
        &[CheckedMap {
            node_id,
            code: code.clone(),
            source,
        }],
    )
    .await
}

/// Maps the campaign's survey leaves as the wave's questionnaire declares (its `[par]`
/// section: the index feeds one leaf, or each item feeds its own leaf), in every framework of
/// the campaign that has those leaves. Returns how many leaves are mapped; a declared leaf that
/// no framework of the campaign has as a survey leaf is an error naming it, and nothing is
/// stored.
pub async fn map_leaves_from_questionnaire(
    db: &Db,
    actor: &Actor,
    campaign_id: i64,
    wave_id: i64,
) -> Result<usize, StoreError> {
    let (_, questionnaire) = mapping_scope(db, campaign_id, wave_id).await?;
    let Some(par) = &questionnaire.par else {
        return Err(SurveyRefusal::from(LeafMapRefusal::NoParMapping {
            questionnaire: questionnaire.id.clone(),
        })
        .into());
    };
    let wanted: Vec<(String, LeafSource)> = match &par.method {
        chiso_survey::questionnaire::ParMethod::Index { leaf } => leaf
            .iter()
            .map(|l| (l.clone(), LeafSource::Index))
            .collect(),
        chiso_survey::questionnaire::ParMethod::ItemPoints => questionnaire
            .items
            .iter()
            .filter_map(|i| Some((i.leaf.clone()?, LeafSource::Item(i.code.clone()))))
            .collect(),
    };
    let leaves = campaign_survey_leaves(db, campaign_id).await?;
    let mut maps = Vec::new();
    let mut missing = Vec::new();
    for (code, source) in wanted {
        let mut found = false;
        for (node_id, leaf_code) in &leaves {
            if *leaf_code == code {
                found = true;
                maps.push(CheckedMap {
                    node_id: *node_id,
                    code: code.clone(),
                    source: source.clone(),
                });
            }
        }
        if !found {
            missing.push(code);
        }
    }
    if !missing.is_empty() {
        return Err(SurveyRefusal::from(LeafMapRefusal::LeavesMissing { codes: missing }).into());
    }
    store_maps(db, actor, campaign_id, wave_id, &maps).await?;
    Ok(maps.len())
}

/// Removes a leaf's mapping, audited.
pub async fn remove_leaf_map(
    db: &Db,
    actor: &Actor,
    campaign_id: i64,
    node_id: i64,
) -> Result<(), StoreError> {
    let old = leaf_maps(db, campaign_id)
        .await?
        .into_iter()
        .find(|m| m.node_id == node_id)
        .ok_or(StoreError::NotFound)?;
    in_transaction!(db, tx => {
        sqlx::query("DELETE FROM survey_leaf_maps WHERE campaign_id = $1 AND node_id = $2")
            .bind(campaign_id)
            .bind(node_id)
            .execute(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("update", "campaign", campaign_id)
            .change(&format!("survey_leaf[{}]", old.node_code),
                Some(format!("wave {}: {}", old.wave_id, old.source)), None)
            .campaign(campaign_id)).await?;
        Ok(())
    })
}

/// The points a survey leaf gets for a unit.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SurveyLeafPoints {
    pub node_id: i64,
    pub leaf_code: String,
    pub wave_id: i64,
    pub source: String,
    pub max_points: Points,
    /// The figure (%) read from the wave's result for the unit; `None` without answers.
    pub value: Option<f64>,
    /// value × max / 100, rounded to 0.0001 (like the `survey` rule).
    pub points: Option<Points>,
    /// Counted responses of the unit in the wave.
    pub responses: u64,
}

/// The points of each mapped survey leaf of the unit's framework in the campaign, computed from
/// the counters of the unit in each mapped wave (a few milliseconds, no scan of responses).
pub async fn survey_leaf_points(
    db: &Db,
    campaign_id: i64,
    unit_id: i64,
) -> Result<Vec<SurveyLeafPoints>, StoreError> {
    let framework_id: Option<i64> = with_db_read!(db, pool => sqlx::query_scalar(
        "SELECT cf.framework_id FROM campaign_units cu JOIN campaign_frameworks cf ON cf.id = cu.campaign_framework_id \
         WHERE cu.campaign_id = $1 AND cu.unit_id = $2")
        .bind(campaign_id)
        .bind(unit_id)
        .fetch_optional(pool)
        .await?);
    let Some(framework_id) = framework_id else {
        return Err(StoreError::NotFound);
    };
    let mut results: HashMap<i64, SurveyResult> = HashMap::new();
    let mut out = Vec::new();
    for map in leaf_maps(db, campaign_id).await? {
        if map.framework_id != framework_id {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = results.entry(map.wave_id) {
            slot.insert(result(db, map.wave_id, &[unit_id], None).await?);
        }
        let result = &results[&map.wave_id];
        let source = LeafSource::parse(&map.source)?;
        let max_points = Points::from_ten_thousandths(map.max_points.unwrap_or(0));
        let value = source.value(result);
        let points = value.and_then(|v| {
            Points::from_f64_rounded(v.clamp(0.0, 100.0) * max_points.to_f64() / 100.0)
                .map(|p| p.min(max_points))
        });
        out.push(SurveyLeafPoints {
            node_id: map.node_id,
            leaf_code: map.node_code,
            wave_id: map.wave_id,
            source: map.source,
            max_points,
            value,
            points,
            responses: result.responses,
        });
    }
    Ok(out)
}

/// What a refresh of the survey leaves changed.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct RefreshReport {
    /// Sheets looked at.
    pub units: usize,
    /// Leaf values written (changed).
    pub leaves_changed: usize,
}

/// The input name of each framework node of a campaign, from its leaf's survey rule
/// (`{"sipas": 85.7}`), as a unit's input would name it; "survey" when the rule names none.
async fn survey_input_names(db: &Db, campaign_id: i64) -> Result<HashMap<i64, String>, StoreError> {
    let mut input_names: HashMap<i64, String> = HashMap::new();
    for group in crate::campaigns::frameworks(db, campaign_id).await? {
        let stored = crate::frameworks::load(db, group.framework_id).await?;
        for (code, &id) in &stored.node_ids {
            if let Some(node) = stored.framework.find(code) {
                let name = stored
                    .framework
                    .node(node)
                    .rule
                    .as_ref()
                    .and_then(|r| r.input_name())
                    .unwrap_or("survey");
                input_names.insert(id, name.to_string());
            }
        }
    }
    Ok(input_names)
}

/// Fills the campaign's survey leaves from the mapped waves: for every sheet of the campaign,
/// each mapped leaf's points (and the figure, as the leaf's input) are written as the leaf's
/// value (stage 0, where the assessment store keeps a leaf's own value; survey leaves are
/// read-only to units and appraisers, so this is the only writer). One transaction: an audit
/// row per changed leaf (`self.points`, with the wave and source as the reason, so the leaf's
/// history shows it) and one row for the refresh. Allowed while the campaign is open or in
/// appraisal; finalized results are not rewritten. The assessment store has no setter for
/// survey leaves, so this writes its `leaf_scores` table under its rules (version + 1 on the
/// leaf and the sheet).
pub async fn refresh_survey_leaves(
    db: &Db,
    actor: &Actor,
    campaign_id: i64,
) -> Result<RefreshReport, StoreError> {
    use chiso_domain::campaign::CampaignState;
    let campaign = crate::campaigns::get(db, campaign_id).await?;
    if !matches!(
        campaign.state(),
        CampaignState::Open | CampaignState::Appraisal
    ) {
        return Err(SurveyRefusal::LeavesNotNow(campaign.state()).into());
    }
    let plan = plan_refresh(db, campaign_id).await?;
    in_transaction!(db, tx => {
        let report = write_refresh!(tx, actor, campaign_id, &plan);
        Ok(report)
    })
}

/// What a refresh of the survey leaves will write, read before its transaction: per sheet the
/// points of its mapped leaves, the input name of each leaf, and the scope of each sheet that
/// has mapped leaves (to refresh its summary columns).
pub(crate) struct RefreshPlan {
    pub(crate) sheets: Vec<(i64, i64, Vec<SurveyLeafPoints>)>,
    pub(crate) input_names: HashMap<i64, String>,
    pub(crate) scopes: HashMap<i64, crate::assessments::SheetScope>,
}

/// Reads what [`refresh_survey_leaves`] (or finalize, which refreshes in its own transaction)
/// writes.
pub(crate) async fn plan_refresh(db: &Db, campaign_id: i64) -> Result<RefreshPlan, StoreError> {
    let sheets = crate::assessments::list_sheets(db, campaign_id).await?;
    let input_names = survey_input_names(db, campaign_id).await?;
    let mut planned: Vec<(i64, i64, Vec<SurveyLeafPoints>)> = Vec::new();
    let mut scopes: HashMap<i64, crate::assessments::SheetScope> = HashMap::new();
    for sheet in &sheets {
        match survey_leaf_points(db, campaign_id, sheet.unit_id).await {
            Ok(points) => {
                if !points.is_empty() {
                    scopes.insert(sheet.id, crate::assessments::scope(db, sheet.id).await?);
                }
                planned.push((sheet.id, sheet.unit_id, points))
            }
            Err(StoreError::NotFound) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(RefreshPlan {
        sheets: planned,
        input_names,
        scopes,
    })
}

/// Writes a [`RefreshPlan`] inside the transaction `$tx`: each changed leaf value (stage 0)
/// with its audit row, the sheet's version and summary columns, and one audit row for the
/// refresh. Evaluates to the [`RefreshReport`].
macro_rules! write_refresh {
    ($tx:ident, $actor:expr, $campaign_id:expr, $plan:expr) => {{
        let plan: &$crate::surveys::RefreshPlan = $plan;
        let actor: &$crate::audit::Actor = $actor;
        let campaign_id: i64 = $campaign_id;
        let now = chrono::Utc::now();
        let mut report = $crate::surveys::RefreshReport { units: plan.sheets.len(), leaves_changed: 0 };
        for (sheet_id, unit_id, leaves) in &plan.sheets {
            let mut changed = false;
            for leaf in leaves {
                let points = leaf.points.map(chiso_domain::Points::ten_thousandths);
                let input = leaf.value.map(|v| {
                    let name = plan.input_names.get(&leaf.node_id).map(String::as_str).unwrap_or("survey");
                    serde_json::json!({ name: v }).to_string()
                });
                let old: Option<(i64, Option<i64>, Option<String>)> = sqlx::query_as(
                    "SELECT id, points, input FROM leaf_scores WHERE sheet_id = $1 AND node_id = $2 AND stage = 0")
                    .bind(sheet_id)
                    .bind(leaf.node_id)
                    .fetch_optional(&mut *$tx)
                    .await?;
                let before = old.as_ref().and_then(|o| o.1);
                if old.is_none() && points.is_none() {
                    continue;
                }
                if old.as_ref().is_some_and(|o| o.1 == points && o.2 == input) {
                    continue;
                }
                match &old {
                    Some((id, _, _)) => {
                        sqlx::query("UPDATE leaf_scores SET points = $1, input = $2, updated_by = $3, updated_by_name = $4, \
                                     updated_at = $5, version = version + 1 WHERE id = $6")
                            .bind(points)
                            .bind(&input)
                            .bind(actor.id)
                            .bind(&actor.name)
                            .bind(now)
                            .bind(id)
                            .execute(&mut *$tx)
                            .await?;
                    }
                    None => {
                        sqlx::query("INSERT INTO leaf_scores (sheet_id, node_id, stage, points, input, explanation_requested, \
                                     updated_by, updated_by_name, updated_at, version) VALUES ($1, $2, 0, $3, $4, FALSE, $5, $6, $7, 1)")
                            .bind(sheet_id)
                            .bind(leaf.node_id)
                            .bind(points)
                            .bind(&input)
                            .bind(actor.id)
                            .bind(&actor.name)
                            .bind(now)
                            .execute(&mut *$tx)
                            .await?;
                    }
                }
                let text = |p: Option<i64>| p.map(|p| chiso_domain::Points::from_ten_thousandths(p).to_string());
                $tx.record(actor, &$crate::audit::AuditEntry::new("update", "leaf", leaf.node_id)
                    .change("self.points", text(before), text(points))
                    .reason(Some(&format!("survey wave {}: {} ({} responses)", leaf.wave_id, leaf.source, leaf.responses)))
                    .campaign(campaign_id)
                    .unit(Some(*unit_id))).await?;
                report.leaves_changed += 1;
                changed = true;
            }
            if changed {
                sqlx::query("UPDATE sheets SET version = version + 1, updated_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(sheet_id)
                    .execute(&mut *$tx)
                    .await?;
                if let Some(scope) = plan.scopes.get(sheet_id) {
                    $crate::assessments::refresh_summary!(
                        $tx,
                        *sheet_id,
                        scope.framework(),
                        &scope.node_index,
                        scope.sheet.current_round as u32
                    );
                }
            }
        }
        $tx.record(actor, &$crate::audit::AuditEntry::new("refresh_survey_leaves", "campaign", campaign_id)
            .change("survey_leaves", None,
                Some(format!("{} leaves changed for {} units", report.leaves_changed, report.units)))
            .campaign(campaign_id)).await?;
        report
    }};
}
pub(crate) use write_refresh;
