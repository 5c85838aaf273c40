use super::*;
use chiso_domain::Framework;
use chiso_domain::assessment::SheetRecords;

pub(super) fn method_key(method: Method) -> &'static str {
    match method {
        Method::SelfAssessed => "self",
        Method::Survey => "survey",
        Method::Bonus => "bonus",
        Method::Penalty => "penalty",
    }
}

/// Filled leaves in whole percent (100 when there is nothing to fill).
pub(super) fn percent(filled: i64, total: i64) -> i64 {
    if total > 0 {
        (filled * 100 + total / 2) / total
    } else {
        100
    }
}

pub(super) fn pts(lang: Lang, points: Points) -> String {
    i18n::points(lang, points.to_f64())
}

pub(super) fn total(lang: Lang, points: Points) -> String {
    i18n::number(lang, points.to_f64(), 2)
}

pub(super) fn rule_view(
    lang: Lang,
    node: &chiso_domain::Node,
    stored: Option<&LeafScore>,
) -> RuleView {
    let selected = stored.and_then(LeafScore::points);
    match (&node.rule, node.method) {
        (_, Method::Survey) | (Some(Rule::Survey { .. }), _) => RuleView {
            kind: "survey",
            levels: Vec::new(),
            input_label: String::new(),
            percent: false,
            description: String::new(),
        },
        (Some(Rule::Levels { levels }), _) => RuleView {
            kind: "levels",
            levels: levels
                .iter()
                .map(|level| LevelOption {
                    value: pts(lang, *level),
                    label: format!(
                        "{} {}",
                        pts(lang, *level),
                        t(lang, "assessment.points_unit")
                    ),
                    selected: selected == Some(*level),
                })
                .collect(),
            input_label: String::new(),
            percent: false,
            description: String::new(),
        },
        (
            Some(Rule::Threshold {
                input,
                input_label,
                steps,
                otherwise,
            }),
            _,
        ) => {
            let mut parts: Vec<String> = steps
                .iter()
                .map(|step| {
                    format!(
                        "≥ {} → {}",
                        i18n::points(lang, step.min),
                        pts(lang, step.points)
                    )
                })
                .collect();
            parts.push(format!(
                "{} → {}",
                t(lang, "assessment.rule_otherwise"),
                pts(lang, *otherwise)
            ));
            RuleView {
                kind: "input",
                levels: Vec::new(),
                input_label: input_label.clone().unwrap_or_else(|| input.clone()),
                percent: node.rule.as_ref().is_some_and(Rule::input_is_percentage),
                description: parts.join("; "),
            }
        }
        (Some(Rule::Proportional { input, input_label }), _) => RuleView {
            kind: "input",
            levels: Vec::new(),
            input_label: input_label.clone().unwrap_or_else(|| input.clone()),
            percent: true,
            description: t(lang, "assessment.rule_proportional")
                .replace("{max}", &pts(lang, node.max_points)),
        },
        (None, _) => RuleView {
            kind: "manual",
            levels: Vec::new(),
            input_label: String::new(),
            percent: false,
            description: String::new(),
        },
    }
}

pub(super) fn file_view(lang: Lang, file: &LinkedFile, removable: bool) -> FileView {
    FileView {
        link_id: file.link_id,
        file_id: file.file_id,
        name: file.file_name.clone(),
        size: size_text(lang, file.size.max(0) as usize),
        linked_by: file.linked_by_name.clone(),
        linked_at: i18n::date_time(file.linked_at),
        removable,
    }
}

/// What may be done to the sheet now, and why not.
pub(super) struct Abilities {
    pub(super) edit_self: bool,
    pub(super) edit_answer: bool,
    pub(super) locked_reason: Option<String>,
}

pub(super) fn abilities(state: &AppState, lang: Lang, loaded: &Loaded) -> AppResult<Abilities> {
    let Some(role) = loaded.role else {
        return Ok(Abilities {
            edit_self: false,
            edit_answer: false,
            locked_reason: None,
        });
    };
    let campaign = &loaded.scope.campaign;
    let status = loaded.status();
    let context = loaded.context();
    let (action, stage, deadline) = if status == SheetStatus::ExplanationRequested {
        (
            SheetAction::EditExplanation,
            Stage::Explanation,
            campaign.explanation_deadline,
        )
    } else {
        (
            SheetAction::EditSelfAssessment,
            Stage::SelfAssessment,
            campaign.self_assessment_deadline,
        )
    };
    let allowed = match rules::check_action(role, action, &context) {
        Err(_) => Err(status_reason(lang, loaded)),
        Ok(_) => {
            let extension = loaded.extension(stage);
            rules::may_enter(stage, today(state), deadline, extension).map_err(|e| {
                format!(
                    "{} {}",
                    e.describe(lang),
                    t(lang, "assessment.locked_ask_extension")
                )
            })
        }
    };
    Ok(match allowed {
        Ok(()) => Abilities {
            edit_self: action == SheetAction::EditSelfAssessment,
            edit_answer: action == SheetAction::EditExplanation,
            locked_reason: None,
        },
        Err(reason) => Abilities {
            edit_self: false,
            edit_answer: false,
            locked_reason: Some(reason),
        },
    })
}

/// Why the unit cannot change its sheet in its present state.
pub(super) fn status_reason(lang: Lang, loaded: &Loaded) -> String {
    let campaign = loaded.scope.campaign.state();
    if loaded.status() == SheetStatus::Finalized {
        return t(lang, "assessment.locked_finalized");
    }
    if !matches!(campaign, CampaignState::Open | CampaignState::Appraisal) {
        return t(lang, "assessment.locked_campaign").replace(
            "{state}",
            &t(lang, &format!("common.state_{}", campaign.as_str())),
        );
    }
    let key = match loaded.status() {
        SheetStatus::Draft => "assessment.locked_campaign",
        SheetStatus::Submitted => "assessment.locked_submitted",
        SheetStatus::InAppraisal => "assessment.locked_in_appraisal",
        SheetStatus::Appraised => "assessment.locked_appraised",
        SheetStatus::ExplanationRequested => "assessment.locked_campaign",
        SheetStatus::ExplanationSubmitted => "assessment.locked_explanation_submitted",
        SheetStatus::Finalized => "assessment.locked_finalized",
    };
    t(lang, key)
        .replace(
            "{state}",
            &t(lang, &format!("common.state_{}", campaign.as_str())),
        )
        .replace(
            "{at}",
            &loaded
                .scope
                .sheet
                .submitted_at
                .map(i18n::date_time)
                .unwrap_or_default(),
        )
}

/// The deadline a unit works against, with its extension: "20/12/2026 (gia hạn đến …)".
pub(super) fn deadline_text(
    lang: Lang,
    deadline: Option<NaiveDate>,
    extension: Option<NaiveDate>,
) -> String {
    match (deadline, extension) {
        (None, _) => t(lang, "assessment.no_deadline"),
        (Some(d), Some(e)) if e > d => t(lang, "assessment.deadline_extended")
            .replace("{date}", &i18n::date(d))
            .replace("{until}", &i18n::date(e)),
        (Some(d), _) => i18n::date(d),
    }
}

/// Builds the whole scoresheet.
pub(super) async fn build(state: &AppState, lang: Lang, loaded: &Loaded) -> AppResult<SheetView> {
    let contents = assessments::sheet_contents(&state.db, loaded.id()).await?;
    build_with(state, lang, loaded, &contents).await
}

/// Builds the whole scoresheet from its rows as read (or as a save left them).
pub(super) async fn build_with(
    state: &AppState,
    lang: Lang,
    loaded: &Loaded,
    contents: &assessments::SheetContents,
) -> AppResult<SheetView> {
    let db = &state.db;
    let scope = &loaded.scope;
    let sheet = &scope.sheet;
    let campaign = &scope.campaign;
    let framework = scope.framework();
    let status = loaded.status();
    let rows = &contents.rows;
    let files = contents.sheet_files(sheet.id);
    let closed = closed_rounds(db, sheet, campaign.id).await?;
    let finals = if status == SheetStatus::Finalized {
        assessments::final_scores(db, sheet.id).await?
    } else {
        BTreeMap::new()
    };
    let can = abilities(state, lang, loaded)?;
    let unit_files = if can.edit_self || can.edit_answer {
        contents.unit_files()
    } else {
        Vec::new()
    };
    let files_by = files_by_leaf(&files);
    let counts: Vec<(i64, i64, i64)> = files_by
        .iter()
        .map(|(&(node, stage), list)| (node, stage, list.len() as i64))
        .collect();
    let records = assessments::records_of(framework, &scope.node_index, rows, &counts);
    let computed = self_computed(framework, &records);
    // Once finalized, the area table shows the final points (what the ranking counts).
    let final_computed = final_computed(framework, &scope.node_index, &finals);
    let result = if campaign.state() == CampaignState::Published {
        published_view(lang, db, campaign.id, sheet.unit_id).await?
    } else {
        None
    };
    let data = SheetData {
        lang,
        framework,
        status,
        current_round: sheet.current_round,
        rows,
        node_ids: scope
            .node_index
            .iter()
            .map(|(&db_id, &node)| (node, db_id))
            .collect(),
        by_stage: rows.iter().map(|r| ((r.node_id, r.stage), r)).collect(),
        files_by,
        records,
        closed,
        all_rounds_visible: matches!(
            campaign.state(),
            CampaignState::Finalized | CampaignState::Published
        ),
        finals,
        can: &can,
        unit_files: &unit_files,
    };

    let (sections, area_totals) = sections(&data, final_computed.as_ref().unwrap_or(&computed));

    let mut summary = summary_view(&data, loaded, &computed, area_totals);
    summary.result = result;
    Ok(sheet_view(
        state,
        lang,
        loaded,
        can.locked_reason,
        sections,
        summary,
    ))
}

/// The rounds of the campaign that are closed; appraisal rows (stage > 0) exist only once the
/// sheet entered a round.
async fn closed_rounds(
    db: &chiso_store::Db,
    sheet: &assessments::SheetRow,
    campaign_id: i64,
) -> AppResult<HashSet<i64>> {
    if sheet.current_round == 0 {
        return Ok(HashSet::new());
    }
    Ok(assessments::round_states(db, campaign_id)
        .await?
        .into_iter()
        .filter(|r| r.state == rules::RoundPhase::Closed)
        .map(|r| r.round_no)
        .collect())
}

/// The sheet's files by (leaf, stage).
fn files_by_leaf(files: &[LinkedFile]) -> HashMap<(i64, i64), Vec<&LinkedFile>> {
    let mut files_by: HashMap<(i64, i64), Vec<&LinkedFile>> = HashMap::new();
    for file in files {
        files_by
            .entry((file.node_id, file.stage))
            .or_default()
            .push(file);
    }
    files_by
}

/// Running totals of the unit's own points, by the scoring engine.
fn self_computed(framework: &Framework, records: &SheetRecords) -> chiso_domain::UnitPoints {
    let mut score_sheet = ScoreSheet::new(framework);
    for &leaf in framework.leaves() {
        if let Some(points) = records.get(leaf).self_points {
            // Stored values were checked when saved; a value the framework now refuses
            // counts 0 rather than hiding the page.
            let _ = score_sheet.set(framework, leaf, points);
        }
    }
    compute_unit(framework, &score_sheet)
}

/// The totals of the final points, once the sheet has them.
fn final_computed(
    framework: &Framework,
    node_index: &HashMap<i64, NodeId>,
    finals: &BTreeMap<i64, Points>,
) -> Option<chiso_domain::UnitPoints> {
    (!finals.is_empty()).then(|| {
        let mut final_sheet = ScoreSheet::new(framework);
        for (db_id, points) in finals {
            if let Some(&leaf) = node_index.get(db_id) {
                let _ = final_sheet.set(framework, leaf, *points);
            }
        }
        compute_unit(framework, &final_sheet)
    })
}

/// The sheet with its head: the unit, campaign and framework, its status, deadlines and
/// submission, what may be uploaded.
fn sheet_view(
    state: &AppState,
    lang: Lang,
    loaded: &Loaded,
    locked_reason: Option<String>,
    sections: Vec<SectionView>,
    summary: SummaryView,
) -> SheetView {
    let scope = &loaded.scope;
    let (sheet, campaign, framework) = (&scope.sheet, &scope.campaign, scope.framework());
    let status = loaded.status();
    let self_extension = loaded.extension(Stage::SelfAssessment);
    let explanation_extension = loaded.extension(Stage::Explanation);
    SheetView {
        id: sheet.id,
        status,
        status_label: t(lang, &format!("assessment.status_{}", status.as_str())),
        campaign_id: campaign.id,
        campaign_title: campaign.title.clone(),
        unit_name: loaded.unit.name.clone(),
        unit_code: loaded.unit.code.clone(),
        framework_title: framework.display_title(),
        sample: framework.meta.sample,
        deadline: deadline_text(lang, campaign.self_assessment_deadline, self_extension),
        explanation_deadline: (sheet.current_round > 0)
            .then(|| deadline_text(lang, campaign.explanation_deadline, explanation_extension)),
        submitted: sheet.submitted_at.map(|at| {
            format!(
                "{} ({})",
                i18n::date_time(at),
                sheet.submitted_by.clone().unwrap_or_default()
            )
        }),
        current_round: sheet.current_round,
        locked_reason,
        read_only_visitor: loaded.role.is_none(),
        sections,
        summary,
        max_upload: size_text(lang, state.config.max_upload_bytes),
        accept: ACCEPTED_EXTENSIONS
            .iter()
            .map(|e| format!(".{e}"))
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// Takes one leaf out of a built sheet.
pub(super) fn take_leaf(view: &mut SheetView, node_id: i64) -> Option<LeafView> {
    for section in &mut view.sections {
        for entry in &mut section.entries {
            if entry.leaf.as_ref().is_some_and(|l| l.node_id == node_id) {
                return entry.leaf.take();
            }
        }
    }
    None
}

/// Applies a change to one leaf of a built sheet.
pub(super) fn with_leaf(view: &mut SheetView, node_id: i64, change: impl FnOnce(&mut LeafView)) {
    for section in &mut view.sections {
        for entry in &mut section.entries {
            if let Some(leaf) = entry.leaf.as_mut().filter(|l| l.node_id == node_id) {
                change(leaf);
                return;
            }
        }
    }
}

/// What the leaves of one sheet are drawn from, read once per page (or per redrawn row).
pub(super) struct SheetData<'a> {
    pub(super) lang: Lang,
    pub(super) framework: &'a Framework,
    pub(super) status: SheetStatus,
    pub(super) current_round: i64,
    pub(super) rows: &'a [LeafScore],
    pub(super) node_ids: HashMap<NodeId, i64>,
    pub(super) by_stage: HashMap<(i64, i64), &'a LeafScore>,
    pub(super) files_by: HashMap<(i64, i64), Vec<&'a LinkedFile>>,
    pub(super) records: SheetRecords,
    pub(super) closed: HashSet<i64>,
    pub(super) all_rounds_visible: bool,
    pub(super) finals: BTreeMap<i64, Points>,
    pub(super) can: &'a Abilities,
    pub(super) unit_files: &'a [sheet_queries::UnitFile],
}

/// One leaf's row: its points, files, rounds and the answer box.
pub(super) fn leaf_view(data: &SheetData, leaf: NodeId) -> LeafView {
    let (lang, current_round) = (data.lang, data.current_round);
    let SheetData {
        framework,
        node_ids,
        by_stage,
        files_by,
        records,
        finals,
        can,
        unit_files,
        ..
    } = data;
    let node = framework.node(leaf);
    let db_id = node_ids.get(&leaf).copied().unwrap_or_default();
    let own = by_stage.get(&(db_id, 0)).copied();
    let record = records.get(leaf);
    let own_files = files_by.get(&(db_id, 0)).cloned().unwrap_or_default();
    let survey = node.method == Method::Survey;
    let (state, state_key) = if survey {
        ("survey", "assessment.state_survey")
    } else if node.evidence_required && record.evidence == 0 && !record.explanation {
        ("blocked", "assessment.state_blocked")
    } else if record.self_points.is_some() {
        ("filled", "assessment.state_filled")
    } else if node.method == Method::SelfAssessed {
        ("empty", "assessment.state_empty")
    } else {
        ("optional", "assessment.state_optional")
    };
    let rounds = round_views(data, db_id);
    let answer = answer_view(data, db_id);
    let editable = can.edit_self && !survey;
    let evidence_editable = editable || answer.as_ref().is_some_and(|a| a.editable);
    let linked_here: HashSet<i64> = if answer.is_some() {
        files_by
            .get(&(db_id, current_round))
            .map(|l| l.iter().map(|f| f.file_id).collect())
            .unwrap_or_default()
    } else {
        own_files.iter().map(|f| f.file_id).collect()
    };
    LeafView {
        node_id: db_id,
        code: node.code.clone(),
        title: node.title.clone(),
        max: pts(lang, node.max_points),
        method: method_key(node.method),
        method_label: t(
            lang,
            &format!("assessment.method_{}", method_key(node.method)),
        ),
        evidence_required: node.evidence_required,
        guidance: node.guidance.clone(),
        rule: rule_view(lang, node, own),
        version: own.map(|r| r.version.to_string()).unwrap_or_default(),
        points_value: own
            .and_then(LeafScore::points)
            .map(|p| pts(lang, p))
            .unwrap_or_default(),
        input_value: own
            .and_then(LeafScore::input_value)
            .map(|v| {
                i18n::points(
                    lang,
                    node.rule.as_ref().map_or(v, |r| r.input_to_entered(v)),
                )
            })
            .unwrap_or_default(),
        explanation_value: own.and_then(|r| r.explanation.clone()).unwrap_or_default(),
        points_display: own.and_then(LeafScore::points).map(|p| pts(lang, p)),
        saved_by: own.map(|r| r.updated_by_name.clone()),
        saved_at: own.map(|r| i18n::date_time(r.updated_at)),
        files: own_files
            .iter()
            .map(|f| file_view(lang, f, editable))
            .collect(),
        state,
        state_label: t(lang, state_key),
        rounds,
        answer,
        final_points: finals.get(&db_id).map(|p| pts(lang, *p)),
        editable,
        evidence_editable,
        linkable: unit_files
            .iter()
            .filter(|f| !linked_here.contains(&f.file_id))
            .map(|f| (f.file_id, f.file_name.clone()))
            .collect(),
        error: None,
        conflict: None,
        error_field: "",
        saved_now: false,
    }
}

/// The areas (and bonus / penalty items) in tree order, each with its headings and leaves and
/// its running total; and the totals again for the summary's table.
#[allow(clippy::type_complexity)]
pub(super) fn sections(
    data: &SheetData,
    computed: &chiso_domain::UnitPoints,
) -> (Vec<SectionView>, Vec<(String, String, String, String)>) {
    let (lang, framework) = (data.lang, data.framework);
    let mut sections = Vec::new();
    let mut area_totals = Vec::new();
    for &top in framework.areas().iter().chain(framework.outside_tree()) {
        let node = framework.node(top);
        let mut entries = Vec::new();
        let mut stack = vec![top];
        // Depth-first in the framework's order.
        while let Some(id) = stack.pop() {
            let n = framework.node(id);
            if n.is_leaf() {
                entries.push(EntryView {
                    heading: None,
                    leaf: Some(leaf_view(data, id)),
                });
            } else {
                if id != top {
                    entries.push(EntryView {
                        heading: Some(HeadingView {
                            code: n.code.clone(),
                            title: n.title.clone(),
                            max: pts(lang, n.max_points),
                            depth: n.depth,
                        }),
                        leaf: None,
                    });
                }
                stack.extend(n.children.iter().rev());
            }
        }
        let kind = match node.method {
            Method::Bonus => "bonus",
            Method::Penalty => "penalty",
            _ => "area",
        };
        let points = computed.node_points[top].min(node.max_points);
        area_totals.push((
            node.code.clone(),
            node.title.clone(),
            total(lang, points),
            pts(lang, node.max_points),
        ));
        sections.push(SectionView {
            code: node.code.clone(),
            title: node.title.clone(),
            points: total(lang, points),
            max: pts(lang, node.max_points),
            kind,
            entries,
        });
    }
    (sections, area_totals)
}

/// What the closed rounds (all of them once the campaign is finalized) said about a leaf.
fn round_views(data: &SheetData, db_id: i64) -> Vec<RoundView> {
    let (lang, status, current_round) = (data.lang, data.status, data.current_round);
    let (closed, files_by, all_rounds_visible) =
        (&data.closed, &data.files_by, data.all_rounds_visible);
    data.rows
        .iter()
        .filter(|r| {
            r.node_id == db_id && r.stage > 0 && (closed.contains(&r.stage) || all_rounds_visible)
        })
        .map(|r| RoundView {
            round: r.stage,
            current: status == SheetStatus::ExplanationRequested
                && r.stage == current_round
                && r.explanation_requested,
            points: r.points().map(|p| pts(lang, p)),
            comment: r.comment.clone(),
            explanation_requested: r.explanation_requested,
            answer: r.answer.clone(),
            files: files_by
                .get(&(db_id, r.stage))
                .map(|list| list.iter().map(|f| file_view(lang, f, false)).collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// The answer box of a leaf flagged in the current round, while the explanation is asked.
fn answer_view(data: &SheetData, db_id: i64) -> Option<AnswerView> {
    let (lang, status, current_round) = (data.lang, data.status, data.current_round);
    let (by_stage, files_by, can) = (&data.by_stage, &data.files_by, data.can);
    (status == SheetStatus::ExplanationRequested)
        .then(|| by_stage.get(&(db_id, current_round)).copied())
        .flatten()
        .filter(|r| r.explanation_requested)
        .map(|r| AnswerView {
            round: r.stage,
            version: r.version,
            comment: r.comment.clone(),
            value: r.answer.clone().unwrap_or_default(),
            editable: can.edit_answer,
            files: files_by
                .get(&(db_id, r.stage))
                .map(|list| {
                    list.iter()
                        .map(|f| file_view(lang, f, can.edit_answer))
                        .collect()
                })
                .unwrap_or_default(),
        })
}

/// The totals, progress, the blocking leaves and the leader's actions.
fn summary_view(
    data: &SheetData,
    loaded: &Loaded,
    computed: &chiso_domain::UnitPoints,
    area_totals: Vec<(String, String, String, String)>,
) -> SummaryView {
    let (lang, framework, status, can) = (data.lang, data.framework, data.status, data.can);
    let sheet = &loaded.scope.sheet;
    let all_rounds_visible = data.all_rounds_visible;
    let is_leader = loaded.role == Some(Role::UnitLeader);
    let problems = if status == SheetStatus::Draft && loaded.role.is_some() {
        rules::submission_problems(framework, &data.records)
            .into_iter()
            .map(|p| ProblemView {
                text: t(
                    lang,
                    match p.kind {
                        SubmissionProblemKind::MissingPoints => "assessment.problem_points",
                        SubmissionProblemKind::MissingEvidenceExplanation => {
                            "assessment.problem_evidence"
                        }
                    },
                ),
                code: p.code,
            })
            .collect()
    } else {
        Vec::new()
    };
    let any_round_visible = sheet.current_round > 0
        && (data.closed.contains(&sheet.current_round) || all_rounds_visible);
    SummaryView {
        result: None,
        filled: sheet.leaves_filled,
        total: sheet.leaves_total,
        percent: percent(sheet.leaves_filled, sheet.leaves_total),
        missing_evidence: sheet.missing_evidence,
        unexplained: sheet.unexplained,
        self_total: total(lang, computed.points),
        tree_total: total(lang, computed.tree_points),
        max_total: pts(lang, framework.max_points()),
        appraised_total: any_round_visible.then(|| total(lang, sheet.appraised_total_points())),
        areas: area_totals,
        problems,
        flagged: sheet.flagged,
        answered: sheet.answered,
        version: sheet.version,
        can_submit: is_leader && can.edit_self,
        can_withdraw: is_leader && status == SheetStatus::Submitted,
        can_submit_explanation: is_leader && can.edit_answer,
        is_leader,
    }
}

/// The unit's line of a published campaign's results: its rank in its group, classification
/// and index, or the note of a unit left out; `None` when the results do not name it.
async fn published_view(
    lang: Lang,
    db: &chiso_store::Db,
    campaign_id: i64,
    unit_id: i64,
) -> AppResult<Option<PublishedView>> {
    let Some(results) = assessments::published_results(db, campaign_id).await? else {
        return Ok(None);
    };
    for group in &results.groups {
        if let Some(unit) = group.units.iter().find(|u| u.unit_id == unit_id) {
            return Ok(Some(PublishedView {
                points: total(lang, unit.points),
                index: crate::i18n::number(lang, unit.index_hundredths as f64 / 100.0, 2),
                rank: unit.rank.to_string(),
                of: group.units.len(),
                classification: unit.classification.clone(),
                note: if unit.outcome.is_some() {
                    crate::i18n::text(lang, "appraisal.note_zero")
                } else {
                    ""
                },
            }));
        }
        if let Some(left_out) = group.excluded.iter().find(|e| e.unit_id == unit_id) {
            return Ok(Some(PublishedView {
                points: String::new(),
                index: String::new(),
                rank: String::new(),
                of: group.units.len(),
                classification: String::new(),
                note: crate::i18n::text(
                    lang,
                    if left_out.never_submitted {
                        "appraisal.note_not_submitted"
                    } else {
                        "appraisal.note_not_appraised"
                    },
                ),
            }));
        }
    }
    Ok(None)
}
