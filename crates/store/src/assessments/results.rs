use super::*;

/// Every leaf row of a campaign's sheets, grouped by sheet: one query for the whole campaign.
macro_rules! campaign_rows {
    ($conn:expr, $campaign_id:expr) => {{
        let sql = format!(
            "SELECT {} FROM leaf_scores WHERE sheet_id IN (SELECT id FROM sheets WHERE campaign_id = $1)",
            LEAF_COLUMNS
        );
        let rows = sqlx::query_as::<_, LeafScore>(&sql)
            .bind($campaign_id)
            .fetch_all($conn)
            .await?;
        let mut by_sheet: HashMap<i64, Vec<LeafScore>> = HashMap::new();
        for row in rows {
            by_sheet.entry(row.sheet_id).or_default().push(row);
        }
        by_sheet
    }};
}

/// The secretariat finalizes the campaign (docs/method.md §2.5): no round may be open, and the
/// finalize checklist's blocking lines must each be decided with a reason (a unit never
/// submitted is left out or given 0 points, a sheet no round appraised has its self-points
/// accepted or is left out, pending explanations are accepted as they stand, unmapped survey
/// leaves are waived). In one transaction: the survey leaves are refreshed from their mapped
/// waves, every decision and waiver is audited with its reason, every sheet is finalized, each
/// leaf's final points (the last round's value, else the unit's) are written to `final_scores`
/// except for sheets left out or zeroed, and the campaign moves to finalized.
///
/// Over 100 lines: the finalization is one transaction (state, survey refresh, decisions and
/// waivers, sheets, final values, audit), written once for both backends by `in_transaction!`.
#[allow(clippy::too_many_arguments)]
pub async fn finalize(
    db: &Db,
    actor: &Actor,
    role: Role,
    campaign_id: i64,
    today: NaiveDate,
    reason: &str,
    decisions: &Decisions,
) -> Result<(), StoreError> {
    let campaign = campaigns::get(db, campaign_id).await?;
    let states = round_states(db, campaign_id).await?;
    rules::check_finalize(
        role,
        campaign.state(),
        &phases(&states, campaign.appraisal_rounds),
    )
    .map_err(invalid)?;
    let facts = campaign_facts(db, &campaign, today).await?;
    let list = rules::checklist(CampaignStep::Finalize, &facts);
    let resolved = list.resolve(reason, decisions)?;
    let sheet_of: HashMap<i64, i64> = facts
        .units
        .iter()
        .filter_map(|u| u.sheet_id.map(|s| (u.unit_id, s)))
        .collect();
    let outcomes: HashMap<i64, Outcome> = resolved
        .iter()
        .filter_map(|(unit_id, _, decision, _)| {
            Some((*sheet_of.get(unit_id)?, rules::outcome_of(Some(*decision))?))
        })
        .collect();
    let unmapped = list
        .blocking()
        .find(|i| i.concern == Concern::SurveyLeavesUnmapped)
        .map(|i| i.leaves.join(", "));
    let mapped = !crate::surveys::leaf_maps(db, campaign_id).await?.is_empty();
    let plan = if mapped {
        Some(crate::surveys::plan_refresh(db, campaign_id).await?)
    } else {
        None
    };
    let groups = load_frameworks(db, campaign_id).await?;
    let now = Utc::now();
    let reason = Some(reason.trim());
    in_transaction!(db, tx => {
        let moved = sqlx::query("UPDATE campaigns SET state = 'finalized', updated_at = $1 WHERE id = $2 AND state = 'appraisal'")
            .bind(now)
            .bind(campaign_id)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            return Err(rules::ChangedMeanwhile::CampaignMoved.into());
        }
        tx.record(actor, &AuditEntry::new("transition", "campaign", campaign_id)
            .change("state", Some(CampaignState::Appraisal.to_string()), Some(CampaignState::Finalized.to_string()))
            .reason(reason)
            .campaign(campaign_id)).await?;
        // The survey third of the index, as the waves stand now (§3.8), before any value is
        // frozen.
        if let Some(plan) = &plan {
            crate::surveys::write_refresh!(tx, actor, campaign_id, plan);
        }
        if let (Some(leaves), Some(why)) = (&unmapped, decisions.survey_waiver.as_deref()) {
            tx.record(actor, &AuditEntry::new("waive", "campaign", campaign_id)
                .change("survey_leaves_unmapped", None, Some(leaves.clone()))
                .reason(Some(why.trim()))
                .campaign(campaign_id)).await?;
        }
        for (unit_id, concern, decision, why) in &resolved {
            let entity = match sheet_of.get(unit_id) {
                Some(sheet_id) => ("sheet", *sheet_id),
                None => ("unit", *unit_id),
            };
            tx.record(actor, &AuditEntry::new("decide", entity.0, entity.1)
                .change(&format!("finalize.{}", concern_key(*concern)), None, Some(decision.as_str().to_string()))
                .reason(Some(why))
                .campaign(campaign_id)
                .unit(Some(*unit_id))).await?;
        }
        for (sheet_id, outcome) in &outcomes {
            sqlx::query("UPDATE sheets SET outcome = $1 WHERE id = $2")
                .bind(outcome.as_str())
                .bind(sheet_id)
                .execute(&mut *tx)
                .await?;
        }
        // Finalizing the sheets first locks them (PostgreSQL), so the rows read next are the
        // last word: a save that raced this finds its sheet finalized and is refused.
        let mut finalized: Vec<(i64, i64, i64)> = Vec::new();
        for from in SheetStatus::ALL.into_iter().filter(|s| *s != SheetStatus::Finalized) {
            let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
                "UPDATE sheets SET status = 'finalized', version = version + 1, updated_at = $1 \
                 WHERE campaign_id = $2 AND status = $3 RETURNING id, unit_id, framework_id")
                .bind(now)
                .bind(campaign_id)
                .bind(from.as_str())
                .fetch_all(&mut *tx)
                .await?;
            for (sheet_id, unit_id, _) in &rows {
                tx.record(actor, &AuditEntry::new("transition", "sheet", *sheet_id)
                    .change("status", Some(from.to_string()), Some(SheetStatus::Finalized.to_string()))
                    .reason(reason)
                    .campaign(campaign_id)
                    .unit(Some(*unit_id))).await?;
            }
            // A sheet left out or zeroed has no final points.
            finalized.extend(rows.into_iter().filter(|(id, _, _)| !outcomes.contains_key(id)));
        }
        let by_sheet = campaign_rows!(&mut *tx, campaign_id);
        let mut values: Vec<(i64, i64, i64, i64)> = Vec::new();
        let mut totals: Vec<(i64, i64, Points)> = Vec::new();
        for (sheet_id, unit_id, framework_id) in &finalized {
            let Some((framework, node_index)) = groups.get(framework_id) else { continue };
            let rows = by_sheet.get(sheet_id).map(Vec::as_slice).unwrap_or(&[]);
            let records = records_of(framework, node_index, rows, &[]);
            let by_node: HashMap<NodeId, i64> = node_index.iter().map(|(&db_id, &node)| (node, db_id)).collect();
            for &leaf in framework.leaves() {
                let record = records.get(leaf);
                if let Some(points) = rules::final_points(record) {
                    let stage = record.rounds.iter().rev()
                        .find(|(_, r)| r.points.is_some())
                        .map(|(&k, _)| i64::from(k))
                        .unwrap_or(0);
                    values.push((*sheet_id, by_node[&leaf], points.ten_thousandths(), stage));
                }
            }
            let total = rules::summarize(framework, &records, 0).appraised_total;
            totals.push((*sheet_id, *unit_id, total));
        }
        for chunk in values.chunks(200) {
            let placeholders: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${}, ${})", 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4))
                .collect();
            let sql = format!(
                "INSERT INTO final_scores (sheet_id, node_id, points, stage) VALUES {} \
                 ON CONFLICT (sheet_id, node_id) DO UPDATE SET points = excluded.points, stage = excluded.stage",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for (sheet_id, node_id, points, stage) in chunk {
                query = query.bind(*sheet_id).bind(*node_id).bind(*points).bind(*stage);
            }
            query.execute(&mut *tx).await?;
        }
        for (sheet_id, unit_id, total) in &totals {
            tx.record(actor, &AuditEntry::new("finalize", "sheet", *sheet_id)
                .change("final_total", None, Some(total.to_string()))
                .campaign(campaign_id)
                .unit(Some(*unit_id))).await?;
        }
        Ok(())
    })
}

/// The name of a checklist concern in an audit field (`finalize.not_submitted`).
fn concern_key(concern: Concern) -> &'static str {
    match concern {
        Concern::NotSubmitted => "not_submitted",
        Concern::NotAppraised => "not_appraised",
        Concern::ExplanationPending => "explanation_pending",
        Concern::DeadlineAhead => "deadline_ahead",
        Concern::BelowSampleTarget => "below_sample_target",
        Concern::SurveyLeavesUnmapped => "survey_leaves_unmapped",
        Concern::SurveyLeavesStale => "survey_leaves_stale",
        Concern::Excluded => "excluded",
        Concern::Zeroed => "zeroed",
    }
}

/// The final points of a sheet, by framework node id.
pub async fn final_scores(db: &Db, sheet_id: i64) -> Result<BTreeMap<i64, Points>, StoreError> {
    let rows: Vec<(i64, i64)> = with_db_read!(db, pool => sqlx::query_as(
        "SELECT node_id, points FROM final_scores WHERE sheet_id = $1")
        .bind(sheet_id)
        .fetch_all(pool)
        .await?);
    Ok(rows
        .into_iter()
        .map(|(node, points)| (node, Points::from_ten_thousandths(points)))
        .collect())
}

/// One area's published result for a unit.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PublishedArea {
    pub code: String,
    pub title: String,
    pub points: Points,
    pub max_points: Points,
    /// Unrounded; `None` when the area's max is 0.
    pub index: Option<f64>,
    pub rank: u32,
}

/// One unit's published result.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PublishedUnit {
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub region: Option<String>,
    pub points: Points,
    pub tree_points: Points,
    pub bonus: Points,
    pub penalty: Points,
    /// Unrounded, clamped to [0, 100].
    pub index: f64,
    /// The ranking key: the index rounded to 2 decimals, in hundredths.
    pub index_hundredths: i64,
    pub rank: u32,
    pub region_rank: Option<u32>,
    pub classification: String,
    pub areas: Vec<PublishedArea>,
    /// Leaves without a final value, scored 0.
    pub missing: Vec<String>,
    /// Set when finalize ranked a never-submitted sheet with 0 points.
    #[serde(default)]
    pub outcome: Option<Outcome>,
}

/// A unit left out of a group's ranking at finalize (never submitted, or not appraised), with
/// the reason on record in the audit log.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExcludedUnit {
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    /// The sheet was never submitted (else: submitted, never appraised).
    pub never_submitted: bool,
}

/// The ranking of one group of units (one framework).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PublishedGroup {
    pub unit_group: String,
    pub framework_id: i64,
    pub framework_code: String,
    pub framework_title: String,
    pub sample: bool,
    pub max_points: Points,
    /// In rank order, then unit code.
    pub units: Vec<PublishedUnit>,
    /// Units left out of the ranking at finalize, by unit code.
    #[serde(default)]
    pub excluded: Vec<ExcludedUnit>,
}

/// A campaign's published results: the scoring engine's output, frozen at publication.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PublishedResults {
    pub campaign_id: i64,
    pub year: i64,
    pub title: String,
    pub bands: String,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
    pub groups: Vec<PublishedGroup>,
}

/// A unit's code, name, region and final leaf values, while results are computed.
pub type UnitFinals = (String, String, Option<String>, Vec<(NodeId, Points)>);

/// One group of a finalized campaign as the scoring engine takes it: its framework, the units
/// ranked in it with their final leaf values (docs/method.md §2.5), and the units left out.
pub struct GroupFinals {
    pub unit_group: String,
    pub framework_id: i64,
    pub framework_code: String,
    pub stored: StoredFramework,
    /// The units ranked, by id: code, name, region and final values.
    pub units: BTreeMap<i64, UnitFinals>,
    /// The engine's inputs, one per ranked unit, keyed by the unit's id as text.
    pub inputs: Vec<UnitInput>,
    pub excluded: Vec<ExcludedUnit>,
    /// Units ranked with 0 points (never submitted, decided so at finalize).
    pub zeroed: Vec<i64>,
}

/// Every group of a campaign with its units' final values, read in one query for the whole
/// campaign (sheets without a value come back once with NULLs, so they are ranked too). The
/// published results and the analyses behind them (what it takes, what if) start here.
pub async fn group_finals(db: &Db, campaign_id: i64) -> Result<Vec<GroupFinals>, StoreError> {
    type FinalRow = (
        i64,
        String,
        String,
        Option<String>,
        i64,
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<FinalRow> = with_db_read!(db, pool => sqlx::query_as(
        "SELECT s.unit_id, u.code, u.name, u.region, s.framework_id, f.node_id, f.points, s.outcome, s.submitted_at \
         FROM sheets s JOIN org_units u ON u.id = s.unit_id \
         LEFT JOIN final_scores f ON f.sheet_id = s.id \
         WHERE s.campaign_id = $1 ORDER BY s.id")
        .bind(campaign_id)
        .fetch_all(pool)
        .await?);
    let participants = campaigns::units(db, campaign_id).await?;
    let mut groups = Vec::new();
    for group in campaigns::frameworks(db, campaign_id).await? {
        let stored = frameworks::load(db, group.framework_id).await?;
        let index = node_index(&stored);
        let members: Vec<i64> = participants
            .iter()
            .filter(|u| u.unit_group == group.unit_group)
            .map(|u| u.unit_id)
            .collect();
        let mut units: BTreeMap<i64, UnitFinals> = BTreeMap::new();
        let mut excluded: Vec<ExcludedUnit> = Vec::new();
        let mut zeroed: Vec<i64> = Vec::new();
        for (unit_id, code, name, region, framework_id, node, points, outcome, submitted) in &rows {
            if *framework_id != group.framework_id || !members.contains(unit_id) {
                continue;
            }
            match outcome.as_deref().and_then(Outcome::parse) {
                Some(Outcome::Excluded) => {
                    if !excluded.iter().any(|e| e.unit_id == *unit_id) {
                        excluded.push(ExcludedUnit {
                            unit_id: *unit_id,
                            unit_code: code.clone(),
                            unit_name: name.clone(),
                            never_submitted: submitted.is_none(),
                        });
                    }
                    continue;
                }
                Some(Outcome::Zero) if !zeroed.contains(unit_id) => zeroed.push(*unit_id),
                _ => {}
            }
            let unit = units
                .entry(*unit_id)
                .or_insert_with(|| (code.clone(), name.clone(), region.clone(), Vec::new()));
            if let (Some(node), Some(points)) = (node, points)
                && let Some(&leaf) = index.get(node)
            {
                unit.3.push((leaf, Points::from_ten_thousandths(*points)));
            }
        }
        let mut inputs = Vec::new();
        for (unit_id, (_, _, region, values)) in &units {
            inputs.push(
                rules::unit_input(
                    &stored.framework,
                    &unit_id.to_string(),
                    region.clone(),
                    values.clone(),
                )
                .map_err(|e| StoreError::Corrupt {
                    what: "final points",
                    detail: format!("unit {unit_id}: {e}"),
                })?,
            );
        }
        excluded.sort_by(|a, b| a.unit_code.cmp(&b.unit_code));
        groups.push(GroupFinals {
            unit_group: group.unit_group.clone(),
            framework_id: group.framework_id,
            framework_code: group.framework_code.clone(),
            stored,
            units,
            inputs,
            excluded,
            zeroed,
        });
    }
    Ok(groups)
}

/// Computes a finalized campaign's results with the scoring engine (one ranking per group of
/// units, group ranks by region), without storing them.
pub async fn compute_results(
    db: &Db,
    campaign: &CampaignRow,
    published_by: &str,
) -> Result<PublishedResults, StoreError> {
    let bands =
        Bands::parse(&campaign.bands).map_err(chiso_domain::campaign::SetupRefusal::from)?;
    let groups = group_finals(db, campaign.id)
        .await?
        .into_iter()
        .map(|group| published_group(group, &bands))
        .collect();
    Ok(PublishedResults {
        campaign_id: campaign.id,
        year: campaign.year,
        title: campaign.title.clone(),
        bands: campaign.bands.clone(),
        published_at: Utc::now(),
        published_by: published_by.to_string(),
        groups,
    })
}

/// A group's ranking as published: the engine's outcome of every unit, with its names.
fn published_group(group: GroupFinals, bands: &Bands) -> PublishedGroup {
    let framework = &group.stored.framework;
    let evaluation = evaluate(framework, group.inputs, bands);
    let mut published: Vec<PublishedUnit> = evaluation
        .units
        .iter()
        .map(|outcome| {
            let unit_id: i64 = outcome.code.parse().unwrap_or_default();
            let (code, name, region, _) = &group.units[&unit_id];
            PublishedUnit {
                unit_id,
                unit_code: code.clone(),
                unit_name: name.clone(),
                region: region.clone(),
                points: outcome.points.points,
                tree_points: outcome.points.tree_points,
                bonus: outcome.points.bonus,
                penalty: outcome.points.penalty,
                index: outcome.index,
                index_hundredths: outcome.index_hundredths,
                rank: outcome.rank,
                region_rank: outcome.group_rank,
                classification: outcome.classification.clone(),
                areas: outcome
                    .areas
                    .iter()
                    .map(|area| PublishedArea {
                        code: framework.node(area.node).code.clone(),
                        title: framework.node(area.node).title.clone(),
                        points: area.points,
                        max_points: area.max_points,
                        index: area.index,
                        rank: area.rank,
                    })
                    .collect(),
                missing: outcome
                    .points
                    .missing
                    .iter()
                    .map(|&leaf| framework.node(leaf).code.clone())
                    .collect(),
                outcome: group.zeroed.contains(&unit_id).then_some(Outcome::Zero),
            }
        })
        .collect();
    // The engine keys units by id; ties read in unit-code order (docs/formats.md §4).
    published.sort_by(|a, b| {
        a.rank
            .cmp(&b.rank)
            .then_with(|| a.unit_code.cmp(&b.unit_code))
    });
    PublishedGroup {
        unit_group: group.unit_group,
        framework_id: group.framework_id,
        framework_code: group.framework_code,
        framework_title: framework.display_title(),
        sample: framework.meta.sample,
        max_points: framework.max_points(),
        units: published,
        excluded: group.excluded,
    }
}

/// The secretariat publishes a finalized campaign: the engine's results are stored as a
/// snapshot and the campaign moves to published, in one transaction.
pub async fn publish(
    db: &Db,
    actor: &Actor,
    role: Role,
    campaign_id: i64,
    reason: Option<&str>,
) -> Result<PublishedResults, StoreError> {
    let campaign = campaigns::get(db, campaign_id).await?;
    rules::check_campaign_action(role, SheetAction::Publish, campaign.state()).map_err(invalid)?;
    let results = compute_results(db, &campaign, &actor.name).await?;
    let snapshot = serde_json::to_string(&results).map_err(|e| StoreError::Corrupt {
        what: "results do not serialise",
        detail: e.to_string(),
    })?;
    let units: usize = results.groups.iter().map(|g| g.units.len()).sum();
    in_transaction!(db, tx => {
        let moved = sqlx::query("UPDATE campaigns SET state = 'published', updated_at = $1 WHERE id = $2 AND state = 'finalized'")
            .bind(results.published_at)
            .bind(campaign_id)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            return Err(rules::ChangedMeanwhile::CampaignMoved.into());
        }
        sqlx::query("INSERT INTO published_results (campaign_id, published_at, published_by, published_by_name, snapshot) \
             VALUES ($1, $2, $3, $4, $5)")
            .bind(campaign_id)
            .bind(results.published_at)
            .bind(actor.id)
            .bind(&actor.name)
            .bind(&snapshot)
            .execute(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("transition", "campaign", campaign_id)
            .change("state", Some(CampaignState::Finalized.to_string()), Some(CampaignState::Published.to_string()))
            .campaign(campaign_id)).await?;
        tx.record(actor, &AuditEntry::new("publish", "campaign", campaign_id)
            .change("results", None, Some(format!("{units} units in {} group(s)", results.groups.len())))
            .reason(reason)
            .campaign(campaign_id)).await?;
        Ok(results)
    })
}

/// The published results of a campaign, if it has been published.
pub async fn published_results(
    db: &Db,
    campaign_id: i64,
) -> Result<Option<PublishedResults>, StoreError> {
    let snapshot: Option<String> = with_db_read!(db, pool => sqlx::query_scalar(
        "SELECT snapshot FROM published_results WHERE campaign_id = $1")
        .bind(campaign_id)
        .fetch_optional(pool)
        .await?);
    snapshot
        .map(|s| {
            serde_json::from_str(&s).map_err(|e| StoreError::Corrupt {
                what: "stored results",
                detail: e.to_string(),
            })
        })
        .transpose()
}
