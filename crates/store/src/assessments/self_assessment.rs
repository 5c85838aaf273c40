use super::*;

/// Creates the sheets of every participating unit that has none yet (when the campaign opens,
/// or lazily), each a draft on its group's framework. Returns how many were created.
pub async fn ensure_sheets(db: &Db, actor: &Actor, campaign_id: i64) -> Result<usize, StoreError> {
    let campaign = campaigns::get(db, campaign_id).await?;
    if campaign.state() == CampaignState::Draft {
        return Err(rules::WorkflowError::CampaignDraft.into());
    }
    let groups = campaigns::frameworks(db, campaign_id).await?;
    let mut summaries = Vec::new();
    for group in &groups {
        let stored = frameworks::load(db, group.framework_id).await?;
        let empty = SheetRecords::new(&stored.framework);
        summaries.push((
            group.id,
            group.framework_id,
            rules::summarize(&stored.framework, &empty, 0),
        ));
    }
    let now = Utc::now();
    in_transaction!(db, tx => {
        let mut created = 0;
        for (group_id, framework_id, summary) in &summaries {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "INSERT INTO sheets (campaign_id, unit_id, framework_id, status, current_round, leaves_total, \
                 leaves_filled, missing_evidence, unexplained, self_total, appraised_total, round_leaves, \
                 round_reviewed, flagged, answered, version, created_at, updated_at) \
                 SELECT cu.campaign_id, cu.unit_id, $1, 'draft', 0, $2, 0, $3, $4, 0, 0, 0, 0, 0, 0, 1, $5, $5 \
                 FROM campaign_units cu WHERE cu.campaign_id = $6 AND cu.campaign_framework_id = $7 \
                 ON CONFLICT (campaign_id, unit_id) DO NOTHING RETURNING id, unit_id",
            )
            .bind(framework_id)
            .bind(i64::from(summary.leaves_total))
            .bind(i64::from(summary.missing_evidence))
            .bind(i64::from(summary.unexplained))
            .bind(now)
            .bind(campaign_id)
            .bind(group_id)
            .fetch_all(&mut *tx)
            .await?;
            for (sheet_id, unit_id) in &rows {
                tx.record(actor, &AuditEntry::new("create", "sheet", *sheet_id)
                    .change("status", None, Some(SheetStatus::Draft.to_string()))
                    .campaign(campaign_id)
                    .unit(Some(*unit_id))).await?;
            }
            created += rows.len();
        }
        Ok(created)
    })
}

/// The sheet of a unit in a campaign, created when missing (the unit must take part).
pub async fn sheet_for_unit(
    db: &Db,
    actor: &Actor,
    campaign_id: i64,
    unit_id: i64,
) -> Result<SheetRow, StoreError> {
    if let Some(sheet) = find_sheet(db, campaign_id, unit_id).await? {
        return Ok(sheet);
    }
    ensure_sheets(db, actor, campaign_id).await?;
    find_sheet(db, campaign_id, unit_id)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Saves an editor's self-assessment of one leaf (points or rule input, explanation), while
/// the sheet is a draft and the self-assessment deadline (or the unit's extension) allows.
/// Returns the stored row with its new version; nothing changes when nothing differs.
pub async fn save_self_assessment(
    db: &Db,
    actor: &Actor,
    role: Role,
    sheet_id: i64,
    today: NaiveDate,
    entry: &SelfEntry,
) -> Result<LeafScore, StoreError> {
    let scope = scope(db, sheet_id).await?;
    let extension = extension_for(
        db,
        scope.campaign.id,
        scope.sheet.unit_id,
        Stage::SelfAssessment,
    )
    .await?;
    save_self_assessment_in(
        db,
        actor,
        role,
        &scope,
        extension.map(|e| e.valid_until),
        today,
        entry,
    )
    .await
}

/// [`save_self_assessment`] with the sheet's scope and the unit's self-assessment extension
/// already loaded by the caller (the rules of who and when are asked here once; the
/// conditional writes of [`write_self_assessment`] still decide races with state changes).
/// When the sheet moved between the read and the write (another leaf saved meanwhile), it is
/// read again and the save decided again, a few times at most.
pub async fn save_self_assessment_in(
    db: &Db,
    actor: &Actor,
    role: Role,
    scope: &SheetScope,
    extension: Option<NaiveDate>,
    today: NaiveDate,
    entry: &SelfEntry,
) -> Result<LeafScore, StoreError> {
    let mut reread: Option<SheetScope> = None;
    for _ in 0..SAVE_ATTEMPTS {
        let scope = reread.as_ref().unwrap_or(scope);
        rules::check_action(role, SheetAction::EditSelfAssessment, &scope.context(None))
            .map_err(invalid)?;
        rules::may_enter(
            Stage::SelfAssessment,
            today,
            scope.campaign.self_assessment_deadline,
            extension,
        )
        .map_err(invalid)?;
        let contents = sheet_contents(db, scope.sheet.id).await?;
        let write = match plan_self_assessment(scope, &contents, entry)? {
            Planned::Unchanged(row) => return Ok(row),
            Planned::Write(write) => write,
        };
        match write_self_assessment(db, actor, &write).await? {
            SelfWritten::Saved(row, _) => return Ok(*row),
            SelfWritten::SheetMoved => reread = Some(self::scope(db, scope.sheet.id).await?),
        }
    }
    let code = scope.code(scope.leaf(entry.node_id)?).to_string();
    Err(rules::ChangedMeanwhile::SheetKeptChanging { code }.into())
}

/// How many times a save is decided again when the sheet moves between its read and its
/// write.
pub const SAVE_ATTEMPTS: usize = 3;

/// What a self-assessment save comes to, decided without the database.
pub enum Planned<'a> {
    /// Nothing differs from the stored row.
    Unchanged(LeafScore),
    Write(SelfWrite<'a>),
}

/// Decides one leaf's self-assessment against the sheet as read: the value rules of the
/// leaf (docs/method.md: points within the leaf's maximum, or computed from the rule's
/// input), the version the editor started from, the audit rows of what changed and the
/// sheet's progress figures after the change.
pub fn plan_self_assessment<'a>(
    scope: &'a SheetScope,
    contents: &'a SheetContents,
    entry: &SelfEntry,
) -> Result<Planned<'a>, StoreError> {
    let leaf = scope.leaf(entry.node_id)?;
    let framework = scope.framework();
    rules::check_self_assessable(framework, leaf).map_err(invalid)?;
    let points = rules::resolve_points(framework, leaf, entry.points, entry.input)
        .map_err(invalid)?
        .map(Points::ten_thousandths);
    let input = input_json(framework, leaf, entry.input);
    let explanation = text(&entry.explanation, rules::LongText::Explanation)?;
    let code = scope.code(leaf).to_string();
    let old = contents
        .rows
        .iter()
        .find(|r| r.node_id == entry.node_id && r.stage == 0);
    if old.map(|o| o.version) != entry.expected_version {
        return Err(leaf_conflict(&code, old));
    }
    let mut audit = Vec::new();
    let mut change = |field: &str, before: Option<String>, after: Option<String>| {
        if before != after {
            audit.push(scope.entry("update", entry.node_id).change(
                &stage_field(0, field),
                before,
                after,
            ));
        }
    };
    change(
        "points",
        points_text(old.and_then(|o| o.points)),
        points_text(points),
    );
    change("input", old.and_then(|o| o.input.clone()), input.clone());
    change(
        "explanation",
        old.and_then(|o| o.explanation.clone()),
        explanation.clone(),
    );
    if audit.is_empty()
        && let Some(old) = old
    {
        return Ok(Planned::Unchanged(old.clone()));
    }
    // The sheet's figures with the change, from the rows as read: the write applies them only
    // while the sheet is still at the version read.
    let mut rows = contents.rows.clone();
    let changed = LeafScore {
        points,
        input: input.clone(),
        explanation: explanation.clone(),
        ..old.cloned().unwrap_or(LeafScore {
            id: 0,
            sheet_id: scope.sheet.id,
            node_id: entry.node_id,
            stage: 0,
            points: None,
            input: None,
            explanation: None,
            comment: None,
            explanation_requested: false,
            answer: None,
            updated_by: None,
            updated_by_name: String::new(),
            updated_at: Utc::now(),
            version: 0,
        })
    };
    match rows
        .iter_mut()
        .find(|r| r.node_id == entry.node_id && r.stage == 0)
    {
        Some(row) => *row = changed,
        None => rows.push(changed),
    }
    let records = records_of(
        framework,
        &scope.node_index,
        &rows,
        &contents.evidence_counts(scope.sheet.id),
    );
    let summary = rules::summarize(framework, &records, 0);
    Ok(Planned::Write(SelfWrite {
        scope,
        node_id: entry.node_id,
        old,
        points,
        input,
        explanation,
        summary,
        audit,
    }))
}

/// The unit leader submits the sheet they reviewed at `expected_version`: refused with every
/// offending leaf when the submission check fails, and with
/// [`ChangedMeanwhile::SheetReviewed`](rules::ChangedMeanwhile::SheetReviewed) when the sheet
/// changed since the review.
pub async fn submit(
    db: &Db,
    actor: &Actor,
    role: Role,
    sheet_id: i64,
    expected_version: i64,
    today: NaiveDate,
) -> Result<SheetRow, StoreError> {
    let (scope, extension) = scope_and_extension(db, sheet_id, Stage::SelfAssessment).await?;
    submit_in(db, actor, role, &scope, extension, expected_version, today).await
}

/// [`submit`] on a sheet the caller has loaded (the web's sheet context, with the frozen
/// framework from its cache and the unit's extension for the stage, `None` without one): the
/// rules are asked here once; the write is conditional on the sheet's status and version.
pub async fn submit_in(
    db: &Db,
    actor: &Actor,
    role: Role,
    scope: &SheetScope,
    extension: Option<NaiveDate>,
    expected_version: i64,
    today: NaiveDate,
) -> Result<SheetRow, StoreError> {
    rules::check_action(role, SheetAction::Submit, &scope.context(None)).map_err(invalid)?;
    rules::may_enter(
        Stage::SelfAssessment,
        today,
        scope.campaign.self_assessment_deadline,
        extension,
    )
    .map_err(invalid)?;
    let records = sheet_records(db, scope).await?;
    rules::check_submission(scope.framework(), &records).map_err(invalid)?;
    if let Some(round) = open_round_of(db, scope.campaign.id).await?
        && let Some(joined) = join_open_round(db, actor, scope, expected_version, round).await?
    {
        return Ok(joined);
    }
    set_status(
        db,
        actor,
        scope,
        SheetStatus::Draft,
        SheetStatus::Submitted,
        Some(expected_version),
        None,
    )
    .await
}

/// A sheet submitted while appraisal round `round` is open enters that round at once
/// (docs/method.md §2.5, late sheets): submitted and in appraisal in one transaction, with an
/// audit row for each step. `None` when the round closed meanwhile, or when the secretariat
/// chose that late sheets wait for the next round (the caller then submits it to wait) — any other change is a conflict as for a plain submission.
async fn join_open_round(
    db: &Db,
    actor: &Actor,
    scope: &SheetScope,
    expected_version: i64,
    round: u32,
) -> Result<Option<SheetRow>, StoreError> {
    let sheet_id = scope.sheet.id;
    let sql = format!(
        "UPDATE sheets SET status = 'in_appraisal', current_round = $1, version = version + 1, updated_at = $2, \
         submitted_at = $2, submitted_by = $3 \
         WHERE id = $4 AND status = 'draft' AND version = $5 AND EXISTS (SELECT 1 FROM round_states r \
         WHERE r.campaign_id = sheets.campaign_id AND r.round_no = $1 AND r.state = 'open' AND r.late_sheets = 'join') \
         RETURNING {SHEET_COLUMNS}"
    );
    let round = i64::from(round);
    in_transaction!(db, tx => {
        let updated = sqlx::query_as::<_, SheetRow>(&sql)
            .bind(round)
            .bind(Utc::now())
            .bind(&actor.name)
            .bind(sheet_id)
            .bind(expected_version)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(updated) = updated else { return Ok(None) };
        tx.record(actor, &scope.sheet_entry("status", SheetStatus::Draft.as_str(), SheetStatus::Submitted.as_str())).await?;
        tx.record(actor, &scope.sheet_entry("status", SheetStatus::Submitted.as_str(), SheetStatus::InAppraisal.as_str())
            .reason(Some(&format!("submitted while appraisal round {round} is open: joins it")))).await?;
        refresh_summary!(tx, sheet_id, scope.framework(), &scope.node_index, round as u32);
        let updated = sqlx::query_as::<_, SheetRow>(&format!("SELECT {SHEET_COLUMNS} FROM sheets WHERE id = $1"))
            .bind(updated.id)
            .fetch_one(&mut *tx)
            .await?;
        Ok(Some(updated))
    })
}

/// The unit leader withdraws a submitted sheet back to draft, while appraisal has not started
/// for it and the self-assessment deadline (or extension) still allows entry, so the unit can
/// submit again. A round opening at the same moment wins or loses as a whole: the loser gets
/// [`StoreError::Meanwhile`].
pub async fn withdraw(
    db: &Db,
    actor: &Actor,
    role: Role,
    sheet_id: i64,
    today: NaiveDate,
    reason: Option<&str>,
) -> Result<SheetRow, StoreError> {
    let (scope, extension) = scope_and_extension(db, sheet_id, Stage::SelfAssessment).await?;
    withdraw_in(db, actor, role, &scope, extension, today, reason).await
}

/// [`withdraw`] on a sheet the caller has loaded (the web's sheet context, with the frozen
/// framework from its cache and the unit's extension for the stage, `None` without one): the
/// rules are asked here once; the write is conditional on the sheet's status and version.
pub async fn withdraw_in(
    db: &Db,
    actor: &Actor,
    role: Role,
    scope: &SheetScope,
    extension: Option<NaiveDate>,
    today: NaiveDate,
    reason: Option<&str>,
) -> Result<SheetRow, StoreError> {
    rules::check_action(role, SheetAction::Withdraw, &scope.context(None)).map_err(invalid)?;
    rules::may_enter(
        Stage::SelfAssessment,
        today,
        scope.campaign.self_assessment_deadline,
        extension,
    )
    .map_err(invalid)?;
    set_status(
        db,
        actor,
        scope,
        SheetStatus::Submitted,
        SheetStatus::Draft,
        None,
        reason,
    )
    .await
}

/// Moves one sheet from `from` to `to` with a conditional update, audited.
pub(super) async fn set_status(
    db: &Db,
    actor: &Actor,
    scope: &SheetScope,
    from: SheetStatus,
    to: SheetStatus,
    expected_version: Option<i64>,
    reason: Option<&str>,
) -> Result<SheetRow, StoreError> {
    let sheet_id = scope.sheet.id;
    let sql = format!(
        "UPDATE sheets SET status = $1, version = version + 1, updated_at = $2, \
         submitted_at = CASE WHEN $1 = 'submitted' THEN $2 WHEN $1 = 'draft' THEN NULL ELSE submitted_at END, \
         submitted_by = CASE WHEN $1 = 'submitted' THEN $3 WHEN $1 = 'draft' THEN NULL ELSE submitted_by END \
         WHERE id = $4 AND status = $5 AND ($6 IS NULL OR version = $6) RETURNING {SHEET_COLUMNS}"
    );
    in_transaction!(db, tx => {
        let updated = sqlx::query_as::<_, SheetRow>(&sql)
            .bind(to.as_str())
            .bind(Utc::now())
            .bind(&actor.name)
            .bind(sheet_id)
            .bind(from.as_str())
            .bind(expected_version)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(updated) = updated else {
            let now: (String, i64, i64) = sqlx::query_as("SELECT status, current_round, version FROM sheets WHERE id = $1")
                .bind(sheet_id)
                .fetch_one(&mut *tx)
                .await?;
            let status = stored_status(&now.0)?;
            return Err(if status == from {
                rules::ChangedMeanwhile::SheetReviewed {
                    version: now.2,
                    yours: expected_version.unwrap_or_default(),
                    action: match to {
                        SheetStatus::Draft => SheetAction::Withdraw,
                        SheetStatus::ExplanationSubmitted => SheetAction::SubmitExplanation,
                        _ => SheetAction::Submit,
                    },
                }
            } else if status == SheetStatus::InAppraisal {
                rules::ChangedMeanwhile::AppraisalStartedFirst { round: now.1 as u32 }
            } else {
                rules::ChangedMeanwhile::SheetNow { status }
            }
            .into());
        };
        tx.record(actor, &scope.sheet_entry("status", from.as_str(), to.as_str()).reason(reason)).await?;
        Ok(updated)
    })
}
