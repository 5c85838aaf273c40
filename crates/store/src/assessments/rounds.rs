use super::*;

/// The secretariat opens appraisal round `round`: submitted sheets (and, after round 1, the
/// sheets with explanation requests) enter it. Opening round 1 of an open campaign moves the
/// campaign to appraisal. Returns how many sheets entered the round. Sheets submitted while it
/// is open join it ([`open_round_choosing`] lets them wait for the next round instead).
pub async fn open_round(
    db: &Db,
    actor: &Actor,
    role: Role,
    campaign_id: i64,
    round: u32,
    reason: Option<&str>,
) -> Result<usize, StoreError> {
    open_round_choosing(
        db,
        actor,
        role,
        campaign_id,
        round,
        LateSheets::Join,
        reason,
    )
    .await
}

/// [`open_round`] with the secretariat's choice for the sheets submitted while the round is
/// open (docs/method.md §2.5, "Late and returned sheets"), recorded with the round.
pub async fn open_round_choosing(
    db: &Db,
    actor: &Actor,
    role: Role,
    campaign_id: i64,
    round: u32,
    late: LateSheets,
    reason: Option<&str>,
) -> Result<usize, StoreError> {
    let campaign = campaigns::get(db, campaign_id).await?;
    let states = round_states(db, campaign_id).await?;
    rules::check_open_round(
        role,
        campaign.state(),
        &phases(&states, campaign.appraisal_rounds),
        campaign.appraisal_rounds as u32,
        round,
    )
    .map_err(invalid)?;
    late.check(round, campaign.appraisal_rounds.max(0) as u32)
        .map_err(invalid)?;
    let groups = load_frameworks(db, campaign_id).await?;
    let round = i64::from(round);
    let moving: Vec<SheetStatus> = SheetStatus::ALL
        .into_iter()
        .filter(|s| rules::status_after_round_opens(*s, round as u32).is_some())
        .collect();
    let now = Utc::now();
    in_transaction!(db, tx => {
        sqlx::query("INSERT INTO round_states (campaign_id, round_no, state, opened_at, opened_by_name, late_sheets) \
             VALUES ($1, $2, 'open', $3, $4, $5)")
            .bind(campaign_id)
            .bind(round)
            .bind(now)
            .bind(&actor.name)
            .bind(late.as_str())
            .execute(&mut *tx)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => rules::ChangedMeanwhile::RoundOpened { round: round as u32 }.into(),
                other => other,
            })?;
        tx.record(actor, &AuditEntry::new("open_round", "campaign", campaign_id)
            .change(&format!("round{round}"), Some(RoundPhase::NotOpened.as_str().into()), Some(RoundPhase::Open.as_str().into()))
            .reason(reason)
            .campaign(campaign_id)).await?;
        if late == LateSheets::Wait {
            tx.record(actor, &AuditEntry::new("open_round", "campaign", campaign_id)
                .change(&format!("round{round}.late_sheets"), Some(LateSheets::Join.as_str().into()), Some(late.as_str().into()))
                .reason(reason)
                .campaign(campaign_id)).await?;
        }
        if campaign.state() == CampaignState::Open {
            let moved = sqlx::query("UPDATE campaigns SET state = 'appraisal', updated_at = $1 WHERE id = $2 AND state = 'open'")
                .bind(now)
                .bind(campaign_id)
                .execute(&mut *tx)
                .await?;
            if moved.rows_affected() != 1 {
                return Err(rules::ChangedMeanwhile::CampaignMoved.into());
            }
            tx.record(actor, &AuditEntry::new("transition", "campaign", campaign_id)
                .change("state", Some(CampaignState::Open.to_string()), Some(CampaignState::Appraisal.to_string()))
                .reason(Some(&format!("appraisal round {round} opened")))
                .campaign(campaign_id)).await?;
        }
        let mut entered: Vec<(i64, i64, i64)> = Vec::new();
        for from in &moving {
            let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
                "UPDATE sheets SET status = 'in_appraisal', current_round = $1, version = version + 1, updated_at = $2 \
                 WHERE campaign_id = $3 AND status = $4 RETURNING id, unit_id, framework_id")
                .bind(round)
                .bind(now)
                .bind(campaign_id)
                .bind(from.as_str())
                .fetch_all(&mut *tx)
                .await?;
            for (sheet_id, unit_id, _) in &rows {
                tx.record(actor, &AuditEntry::new("transition", "sheet", *sheet_id)
                    .change("status", Some(from.to_string()), Some(SheetStatus::InAppraisal.to_string()))
                    .reason(Some(&format!("appraisal round {round} opened")))
                    .campaign(campaign_id)
                    .unit(Some(*unit_id))).await?;
            }
            entered.extend(rows);
        }
        for (sheet_id, _, framework_id) in &entered {
            let Some((framework, node_index)) = groups.get(framework_id) else { continue };
            refresh_summary!(tx, *sheet_id, framework, node_index, round as u32);
        }
        Ok(entered.len())
    })
}

/// The frameworks of a campaign's groups, by framework id, with their node maps.
pub(super) async fn load_frameworks(
    db: &Db,
    campaign_id: i64,
) -> Result<HashMap<i64, (Framework, HashMap<i64, NodeId>)>, StoreError> {
    let mut loaded = HashMap::new();
    for group in campaigns::frameworks(db, campaign_id).await? {
        if loaded.contains_key(&group.framework_id) {
            continue;
        }
        let stored = frameworks::load(db, group.framework_id).await?;
        let index = node_index(&stored);
        loaded.insert(group.framework_id, (stored.framework, index));
    }
    // Sheets made before a group changed framework keep theirs.
    let sheet_frameworks: Vec<i64> = with_db_read!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT DISTINCT framework_id FROM sheets WHERE campaign_id = $1")
        .bind(campaign_id)
        .fetch_all(pool)
        .await?);
    for framework_id in sheet_frameworks {
        if let std::collections::hash_map::Entry::Vacant(slot) = loaded.entry(framework_id) {
            let stored = frameworks::load(db, framework_id).await?;
            let index = node_index(&stored);
            slot.insert((stored.framework, index));
        }
    }
    Ok(loaded)
}

/// The secretariat closes the open round `round`: each sheet in it moves to "explanation
/// requested" when one of its leaves was flagged in the round, else to "appraised".
pub async fn close_round(
    db: &Db,
    actor: &Actor,
    role: Role,
    campaign_id: i64,
    round: u32,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let campaign = campaigns::get(db, campaign_id).await?;
    let states = round_states(db, campaign_id).await?;
    rules::check_close_round(
        role,
        campaign.state(),
        &phases(&states, campaign.appraisal_rounds),
        round,
    )
    .map_err(invalid)?;
    let round = i64::from(round);
    let now = Utc::now();
    in_transaction!(db, tx => {
        let closed = sqlx::query("UPDATE round_states SET state = 'closed', closed_at = $1, closed_by_name = $2 \
             WHERE campaign_id = $3 AND round_no = $4 AND state = 'open'")
            .bind(now)
            .bind(&actor.name)
            .bind(campaign_id)
            .bind(round)
            .execute(&mut *tx)
            .await?;
        if closed.rows_affected() != 1 {
            return Err(rules::ChangedMeanwhile::RoundClosed { round: round as u32 }.into());
        }
        tx.record(actor, &AuditEntry::new("close_round", "campaign", campaign_id)
            .change(&format!("round{round}"), Some(RoundPhase::Open.as_str().into()), Some(RoundPhase::Closed.as_str().into()))
            .reason(reason)
            .campaign(campaign_id)).await?;
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(
            "UPDATE sheets SET status = CASE WHEN EXISTS (SELECT 1 FROM leaf_scores ls WHERE ls.sheet_id = sheets.id \
             AND ls.stage = $1 AND ls.explanation_requested) THEN 'explanation_requested' ELSE 'appraised' END, \
             version = version + 1, updated_at = $2 \
             WHERE campaign_id = $3 AND status = 'in_appraisal' AND current_round = $1 RETURNING id, unit_id, status")
            .bind(round)
            .bind(now)
            .bind(campaign_id)
            .fetch_all(&mut *tx)
            .await?;
        for (sheet_id, unit_id, status) in &rows {
            tx.record(actor, &AuditEntry::new("transition", "sheet", *sheet_id)
                .change("status", Some(SheetStatus::InAppraisal.to_string()), Some(status.clone()))
                .reason(Some(&format!("appraisal round {round} closed")))
                .campaign(campaign_id)
                .unit(Some(*unit_id))).await?;
        }
        Ok(())
    })
}

/// An appraiser's points, comment and explanation request on a leaf of a sheet in the open
/// round, for a leaf in their areas (`None` = every area). After round 1 only the leaves
/// flagged in the previous round are re-scored.
pub async fn save_appraisal(
    db: &Db,
    actor: &Actor,
    role: Role,
    areas: Option<&[String]>,
    sheet_id: i64,
    entry: &AppraisalEntry,
) -> Result<LeafScore, StoreError> {
    let scope = scope(db, sheet_id).await?;
    save_appraisal_in(db, actor, role, areas, &scope, entry).await
}

/// [`save_appraisal`] on a sheet the caller has loaded (the web's sheet context, whose frozen
/// framework comes from its cache): the rules are asked here once, against the rows read in
/// this call, and the write is conditional on the leaf's version and the sheet's status.
pub async fn save_appraisal_in(
    db: &Db,
    actor: &Actor,
    role: Role,
    areas: Option<&[String]>,
    scope: &SheetScope,
    entry: &AppraisalEntry,
) -> Result<LeafScore, StoreError> {
    let sheet_id = scope.sheet.id;
    let Appraised {
        points,
        input,
        comment,
    } = check_appraisal(db, role, areas, scope, entry).await?;
    let round = scope.sheet.current_round;
    let leaf = scope.leaf(entry.node_id)?;
    let framework = scope.framework();
    let code = scope.code(leaf).to_string();
    let select = format!(
        "SELECT {LEAF_COLUMNS} FROM leaf_scores WHERE sheet_id = $1 AND node_id = $2 AND stage = $3"
    );
    in_transaction!(db, tx => {
        let old = sqlx::query_as::<_, LeafScore>(&select)
            .bind(sheet_id)
            .bind(entry.node_id)
            .bind(round)
            .fetch_optional(&mut *tx)
            .await?;
        if old.as_ref().map(|o| o.version) != entry.expected_version {
            return Err(leaf_conflict(&code, old.as_ref()));
        }
        let mut entries = appraisal_changes(scope, entry, round, old.as_ref(), points, &input, &comment);
        if entries.is_empty() {
            match &old {
                Some(old) => return Ok(old.clone()),
                // A review that keeps the earlier value still counts as reviewed: say so.
                None => entries.push(scope.entry("appraise", entry.node_id)
                    .change(&stage_field(round, "reviewed"), None, Some("true".into()))),
            }
        }
        touch_sheet!(tx, sheet_id, SheetStatus::InAppraisal, Some(round), rules::UnsavedChange::Appraisal { code: code.clone() });
        let now = Utc::now();
        let saved = match &old {
            None => sqlx::query_as::<_, LeafScore>(&format!(
                "INSERT INTO leaf_scores (sheet_id, node_id, stage, points, input, comment, explanation_requested, \
                 updated_by, updated_by_name, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1) \
                 ON CONFLICT (sheet_id, node_id, stage) DO NOTHING RETURNING {LEAF_COLUMNS}"))
                .bind(sheet_id)
                .bind(entry.node_id)
                .bind(round)
                .bind(points)
                .bind(&input)
                .bind(&comment)
                .bind(entry.explanation_requested)
                .bind(actor.id)
                .bind(&actor.name)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?,
            Some(old) => sqlx::query_as::<_, LeafScore>(&format!(
                "UPDATE leaf_scores SET points = $1, input = $2, comment = $3, explanation_requested = $4, updated_by = $5, \
                 updated_by_name = $6, updated_at = $7, version = version + 1 WHERE id = $8 AND version = $9 \
                 RETURNING {LEAF_COLUMNS}"))
                .bind(points)
                .bind(&input)
                .bind(&comment)
                .bind(entry.explanation_requested)
                .bind(actor.id)
                .bind(&actor.name)
                .bind(now)
                .bind(old.id)
                .bind(old.version)
                .fetch_optional(&mut *tx)
                .await?,
        };
        let Some(saved) = saved else {
            let current = sqlx::query_as::<_, LeafScore>(&select)
                .bind(sheet_id)
                .bind(entry.node_id)
                .bind(round)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(leaf_conflict(&code, current.as_ref()));
        };
        record_all(&mut *tx, actor, &entries).await?;
        refresh_summary!(tx, sheet_id, framework, &scope.node_index, round as u32);
        Ok(saved)
    })
}

/// An appraisal's values once checked.
struct Appraised {
    /// In ten-thousandths.
    points: Option<i64>,
    input: Option<String>,
    comment: Option<String>,
}

/// Checks an appraisal against the rules, outside the transaction: the role may appraise the
/// sheet now, the leaf may be appraised in this round (it was flagged in the previous one, or
/// the sheet joined this round late), and the points or input fit the leaf.
async fn check_appraisal(
    db: &Db,
    role: Role,
    areas: Option<&[String]>,
    scope: &SheetScope,
    entry: &AppraisalEntry,
) -> Result<Appraised, StoreError> {
    let open = open_round_of(db, scope.campaign.id).await?;
    rules::check_action(role, SheetAction::Appraise, &scope.context(open)).map_err(invalid)?;
    let round = scope.sheet.current_round;
    let leaf = scope.leaf(entry.node_id)?;
    let framework = scope.framework();
    let records = sheet_records(db, scope).await?;
    let flagged_before = records
        .get(leaf)
        .rounds
        .get(&(round as u32).saturating_sub(1))
        .is_some_and(|r| r.explanation_requested)
        // A sheet that joined this round late has every leaf reviewed in it.
        || records.entry_round(round as u32) == round as u32;
    rules::check_appraisal(
        framework,
        leaf,
        areas,
        round as u32,
        scope.campaign.appraisal_rounds as u32,
        flagged_before,
        entry.explanation_requested,
    )
    .map_err(invalid)?;
    let points = rules::resolve_points(framework, leaf, entry.points, entry.input)
        .map_err(invalid)?
        .map(Points::ten_thousandths);
    let input = input_json(framework, leaf, entry.input);
    let comment = text(&entry.comment, rules::LongText::Comment)?;
    Ok(Appraised {
        points,
        input,
        comment,
    })
}

/// The audit rows of an appraisal: one per field it changes, each with the comment as reason.
fn appraisal_changes(
    scope: &SheetScope,
    entry: &AppraisalEntry,
    round: i64,
    old: Option<&LeafScore>,
    points: Option<i64>,
    input: &Option<String>,
    comment: &Option<String>,
) -> Vec<AuditEntry> {
    let mut entries = Vec::new();
    let mut change = |field: &str, before: Option<String>, after: Option<String>| {
        if before != after {
            entries.push(
                scope
                    .entry("appraise", entry.node_id)
                    .change(&stage_field(round, field), before, after)
                    .reason(comment.as_deref()),
            );
        }
    };
    change(
        "points",
        points_text(old.and_then(|o| o.points)),
        points_text(points),
    );
    change("input", old.and_then(|o| o.input.clone()), input.clone());
    change(
        "comment",
        old.and_then(|o| o.comment.clone()),
        comment.clone(),
    );
    change(
        "explanation_requested",
        Some(old.is_some_and(|o| o.explanation_requested).to_string()),
        Some(entry.explanation_requested.to_string()),
    );
    entries
}

/// The unit's answer to an explanation request on a leaf flagged in the sheet's round, before
/// the explanation deadline (or the unit's extension).
pub async fn save_answer(
    db: &Db,
    actor: &Actor,
    role: Role,
    sheet_id: i64,
    today: NaiveDate,
    entry: &AnswerEntry,
) -> Result<LeafScore, StoreError> {
    let (scope, extension) = scope_and_extension(db, sheet_id, Stage::Explanation).await?;
    save_answer_in(db, actor, role, &scope, extension, today, entry).await
}

/// [`save_answer`] on a sheet the caller has loaded (the web's sheet context, with the frozen
/// framework from its cache and the unit's extension for the stage, `None` without one): the
/// rules are asked here once; the write is conditional on the sheet's status and version.
pub async fn save_answer_in(
    db: &Db,
    actor: &Actor,
    role: Role,
    scope: &SheetScope,
    extension: Option<NaiveDate>,
    today: NaiveDate,
    entry: &AnswerEntry,
) -> Result<LeafScore, StoreError> {
    let sheet_id = scope.sheet.id;
    rules::check_action(role, SheetAction::EditExplanation, &scope.context(None))
        .map_err(invalid)?;
    rules::may_enter(
        Stage::Explanation,
        today,
        scope.campaign.explanation_deadline,
        extension,
    )
    .map_err(invalid)?;
    let leaf = scope.leaf(entry.node_id)?;
    let round = scope.sheet.current_round;
    let records = sheet_records(db, scope).await?;
    let flagged = records
        .get(leaf)
        .rounds
        .get(&(round as u32))
        .is_some_and(|r| r.explanation_requested);
    rules::check_answer(scope.framework(), leaf, flagged).map_err(invalid)?;
    let answer = text(&entry.answer, rules::LongText::Answer)?;
    let code = scope.code(leaf).to_string();
    let select = format!(
        "SELECT {LEAF_COLUMNS} FROM leaf_scores WHERE sheet_id = $1 AND node_id = $2 AND stage = $3"
    );
    in_transaction!(db, tx => {
        let old = sqlx::query_as::<_, LeafScore>(&select)
            .bind(sheet_id)
            .bind(entry.node_id)
            .bind(round)
            .fetch_one(&mut *tx)
            .await?;
        if old.version != entry.expected_version {
            return Err(leaf_conflict(&code, Some(&old)));
        }
        if old.answer == answer {
            return Ok(old);
        }
        touch_sheet!(tx, sheet_id, SheetStatus::ExplanationRequested, Some(round), rules::UnsavedChange::Answer { code: code.clone() });
        let saved = sqlx::query_as::<_, LeafScore>(&format!(
            "UPDATE leaf_scores SET answer = $1, updated_by = $2, updated_by_name = $3, updated_at = $4, \
             version = version + 1 WHERE id = $5 AND version = $6 RETURNING {LEAF_COLUMNS}"))
            .bind(&answer)
            .bind(actor.id)
            .bind(&actor.name)
            .bind(Utc::now())
            .bind(old.id)
            .bind(old.version)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(saved) = saved else {
            return Err(leaf_conflict(&code, None));
        };
        tx.record(actor, &scope.entry("explain", entry.node_id)
            .change(&stage_field(round, "answer"), old.answer.clone(), answer.clone())).await?;
        refresh_summary!(tx, sheet_id, scope.framework(), &scope.node_index, round as u32);
        Ok(saved)
    })
}

/// The unit leader submits the answers reviewed at `expected_version`; refused while a
/// flagged leaf has no answer (naming each).
pub async fn submit_explanation(
    db: &Db,
    actor: &Actor,
    role: Role,
    sheet_id: i64,
    expected_version: i64,
    today: NaiveDate,
) -> Result<SheetRow, StoreError> {
    let (scope, extension) = scope_and_extension(db, sheet_id, Stage::Explanation).await?;
    submit_explanation_in(db, actor, role, &scope, extension, expected_version, today).await
}

/// [`submit_explanation`] on a sheet the caller has loaded (the web's sheet context, with the frozen
/// framework from its cache and the unit's extension for the stage, `None` without one): the
/// rules are asked here once; the write is conditional on the sheet's status and version.
pub async fn submit_explanation_in(
    db: &Db,
    actor: &Actor,
    role: Role,
    scope: &SheetScope,
    extension: Option<NaiveDate>,
    expected_version: i64,
    today: NaiveDate,
) -> Result<SheetRow, StoreError> {
    rules::check_action(role, SheetAction::SubmitExplanation, &scope.context(None))
        .map_err(invalid)?;
    rules::may_enter(
        Stage::Explanation,
        today,
        scope.campaign.explanation_deadline,
        extension,
    )
    .map_err(invalid)?;
    let records = sheet_records(db, scope).await?;
    rules::check_explanations(
        scope.framework(),
        &records,
        scope.sheet.current_round as u32,
    )
    .map_err(invalid)?;
    set_status(
        db,
        actor,
        scope,
        SheetStatus::ExplanationRequested,
        SheetStatus::ExplanationSubmitted,
        Some(expected_version),
        None,
    )
    .await
}

/// An appraiser accepts the unit's own points ("chấp nhận điểm tự chấm") for every leaf of
/// an area (`area` = its code), or of the whole sheet (`None`), that the open round lets them
/// appraise and that has no value of the round yet: each gets a row of the round holding the
/// unit's points, in one transaction with one audit row per leaf. Leaves the appraiser has
/// already scored in the round keep their value, and every accepted leaf can still be changed
/// one by one afterwards. Returns how many leaves were accepted.
pub async fn accept_self_scores(
    db: &Db,
    actor: &Actor,
    role: Role,
    areas: Option<&[String]>,
    sheet_id: i64,
    area: Option<&str>,
) -> Result<usize, StoreError> {
    let scope = scope(db, sheet_id).await?;
    accept_self_scores_in(db, actor, role, areas, &scope, area).await
}

/// [`accept_self_scores`] on a sheet the caller has loaded (the web's sheet context, with the
/// frozen framework from its cache): the rules are asked here once.
pub async fn accept_self_scores_in(
    db: &Db,
    actor: &Actor,
    role: Role,
    areas: Option<&[String]>,
    scope: &SheetScope,
    area: Option<&str>,
) -> Result<usize, StoreError> {
    let sheet_id = scope.sheet.id;
    let open = open_round_of(db, scope.campaign.id).await?;
    rules::check_action(role, SheetAction::Appraise, &scope.context(open)).map_err(invalid)?;
    let round = scope.sheet.current_round;
    let framework = scope.framework();
    let records = sheet_records(db, scope).await?;
    let accepted: Vec<(i64, i64)> = scope
        .node_index
        .iter()
        .filter_map(|(&node_id, &leaf)| {
            if area.is_some_and(|code| rules::top_code(framework, leaf) != code.trim()) {
                return None;
            }
            let record = records.get(leaf);
            let flagged_before = record
                .rounds
                .get(&(round as u32).saturating_sub(1))
                .is_some_and(|r| r.explanation_requested);
            let allowed = rules::check_appraisal(
                framework,
                leaf,
                areas,
                round as u32,
                scope.campaign.appraisal_rounds as u32,
                flagged_before,
                false,
            )
            .is_ok();
            let points = record.self_points?;
            (allowed && !record.rounds.contains_key(&(round as u32)))
                .then_some((node_id, points.ten_thousandths()))
        })
        .collect();
    if accepted.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    in_transaction!(db, tx => {
        touch_sheet!(tx, sheet_id, SheetStatus::InAppraisal, Some(round), rules::UnsavedChange::Acceptance);
        let mut entries = Vec::new();
        for &(node_id, points) in &accepted {
            let inserted = sqlx::query(
                "INSERT INTO leaf_scores (sheet_id, node_id, stage, points, explanation_requested, \
                 updated_by, updated_by_name, updated_at, version) VALUES ($1, $2, $3, $4, FALSE, $5, $6, $7, 1) \
                 ON CONFLICT (sheet_id, node_id, stage) DO NOTHING")
                .bind(sheet_id)
                .bind(node_id)
                .bind(round)
                .bind(points)
                .bind(actor.id)
                .bind(&actor.name)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            // A leaf the appraiser scored meanwhile keeps that value.
            if inserted.rows_affected() == 1 {
                entries.push(scope.entry(ACCEPT_ACTION, node_id)
                    .change(&stage_field(round, "points"), None, points_text(Some(points))));
            }
        }
        tx.record_many(actor, &entries).await?;
        refresh_summary!(tx, sheet_id, framework, &scope.node_index, round as u32);
        Ok(entries.len())
    })
}

/// The audit action of a leaf accepted by [`accept_self_scores`].
pub const ACCEPT_ACTION: &str = "accept";
