use super::*;
use crate::app::appraisal::save_leaf;

// ── One sheet, side by side (/tham-dinh/{sheet}) ────────────────────────────────────────────

/// An evidence file linked to a leaf (downloaded from the unit side's /tai-lieu/{file}).
#[derive(Clone)]
pub struct FileLink {
    pub id: i64,
    pub name: String,
}

/// What one appraisal round holds for a leaf.
#[derive(Clone)]
pub struct RoundView {
    pub round: i64,
    /// The appraised points; `None` when the round kept the earlier value.
    pub points: Option<String>,
    pub comment: String,
    pub requested: bool,
    /// The unit's answer to the request, with its extra evidence.
    pub answer: Option<String>,
    pub answer_files: Vec<FileLink>,
    pub by: String,
    pub version: i64,
}

/// A choice of a leaf's points select (levels or threshold steps).
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One leaf of the appraisal sheet: the unit's side and the council's side.
pub struct LeafView {
    pub node_id: i64,
    pub code: String,
    pub title: String,
    pub max: String,
    /// The criterion above the leaf, shown once before its first leaf.
    pub criterion: Option<String>,
    pub method: &'static str,
    pub method_label: &'static str,
    pub evidence_required: bool,
    pub guidance: Option<String>,
    pub unit_points: String,
    pub unit_input: Option<String>,
    pub explanation: Option<String>,
    pub files: Vec<FileLink>,
    /// Rounds before the sheet's current one.
    pub earlier: Vec<RoundView>,
    /// The current round's stored row.
    pub current: Option<RoundView>,
    /// The rounds (earlier and current) that asked the unit for an explanation, with its
    /// answers.
    pub requests: Vec<RoundView>,
    /// The unit answered a request of an earlier round: highlighted.
    pub answered: bool,
    /// The points that count now (the last round's value, else the unit's).
    pub final_points: String,
    pub editable: bool,
    /// Why the leaf is read-only for this appraiser (a text key), when it is.
    pub readonly: Option<&'static str>,
    pub can_request: bool,
    pub choices: Vec<Choice>,
    /// The rule's input is a share, typed in per cent with a % sign beside it.
    pub input_percent: bool,
    /// The label of the rule's input, for rules that compute points from one.
    pub input_label: Option<String>,
    pub f_points: String,
    pub f_input: String,
    pub f_comment: String,
    pub f_requested: bool,
    pub f_version: String,
    pub error: Option<String>,
    pub saved: bool,
}

/// An area (or a bonus / penalty item) of the sheet.
pub struct AreaView {
    pub code: String,
    pub title: String,
    pub max: String,
    pub self_points: String,
    pub appraised_points: String,
    /// Open on load: the area holds a leaf this appraiser scores now.
    pub open: bool,
    /// Leaves this appraiser may score now that have no value of the round yet: what
    /// "chấp nhận điểm tự chấm" would accept.
    pub acceptable: usize,
    pub leaves: Vec<LeafView>,
}

/// The sheet's totals, self-assessed against appraised.
pub struct Totals {
    pub self_total: String,
    pub appraised_total: String,
    pub difference: String,
    pub diff_class: &'static str,
    /// Leaves of the open round in the appraiser's areas, and how many are reviewed.
    pub in_scope: u32,
    pub reviewed: u32,
    pub areas: Vec<(String, String, String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "appraisal/sheet.html")]
pub struct SheetPage {
    pub(super) page: Page,
    pub(super) campaign_id: i64,
    pub(super) campaign_title: String,
    pub(super) sheet_id: i64,
    pub(super) unit_code: String,
    pub(super) unit_name: String,
    pub(super) status: SheetStatus,
    pub(super) status_label: &'static str,
    pub(super) round: i64,
    pub(super) rounds_total: i64,
    pub(super) round_open: bool,
    pub(super) appraiser: bool,
    pub(super) areas_text: String,
    pub(super) areas: Vec<AreaView>,
    /// Leaves of the whole sheet "chấp nhận điểm tự chấm" would accept.
    pub(super) acceptable: usize,
    pub(super) totals: Totals,
}

/// What an appraiser typed on a leaf, kept when the save was refused (nothing is lost), or
/// the mark that it was saved.
pub(super) struct Typed {
    pub(super) node_id: i64,
    pub(super) points: String,
    pub(super) input: String,
    pub(super) comment: String,
    pub(super) requested: bool,
    /// The version to send next: after a conflict, the one stored now, so that saving again
    /// is a deliberate overwrite.
    pub(super) version: Option<i64>,
    pub(super) error: Option<String>,
    pub(super) saved: bool,
}

pub(super) fn signed(lang: Lang, value: Points) -> (String, &'static str) {
    let text = pts(lang, value);
    match value.ten_thousandths().cmp(&0) {
        Ordering::Greater => (format!("+{text}"), "up"),
        Ordering::Less => (text, "down"),
        Ordering::Equal => (text, "same"),
    }
}

pub(super) async fn sheet_page(
    state: &AppState,
    principal: &Principal,
    context: &Context,
    sheet_id: i64,
    typed: Option<Typed>,
) -> AppResult<SheetPage> {
    let staff = is_staff(principal);
    let appraiser = principal.has_role(Role::Appraiser);
    if !staff && !appraiser {
        return Err(AppError::Forbidden);
    }
    let lang = context.lang;
    let db = &state.db;
    let scope = assessments::scope(db, sheet_id).await?;
    let sheet: &SheetRow = &scope.sheet;
    // The council never sees a draft: it is the unit's until it is submitted.
    if sheet.status() == SheetStatus::Draft {
        return Err(AppError::Forbidden);
    }
    let rows = assessments::leaf_scores(db, sheet_id).await?;
    let files = evidence::files_for_sheet(db, sheet_id).await?;
    let unit = units::get(db, sheet.unit_id).await?;
    let open = assessments::open_round_of(db, scope.campaign.id).await?;
    let framework = scope.framework();

    let (count_rows, files_at) = files_by_leaf(&files);
    let records = assessments::records_of(framework, &scope.node_index, &rows, &count_rows);
    let (own_points, last_points) = own_and_final_points(framework, &records);
    let round = sheet.current_round;
    let rounds_total = scope.campaign.appraisal_rounds;
    let round_open =
        sheet.status() == SheetStatus::InAppraisal && open.map(i64::from) == Some(round);
    let areas = if appraiser {
        appraiser_areas(principal)
    } else {
        None
    };
    let data = AppraisalData {
        lang,
        framework,
        by_node: scope.node_index.iter().map(|(&id, &n)| (n, id)).collect(),
        records,
        row_at: rows.iter().map(|r| ((r.node_id, r.stage), r)).collect(),
        files_at,
        round,
        rounds_total,
        round_open,
        appraiser,
        areas: areas.as_deref(),
        typed: typed.as_ref(),
    };
    let (area_views, in_scope, reviewed) = area_views(&data, &own_points, &last_points);
    let totals = totals(
        lang,
        &area_views,
        &own_points,
        &last_points,
        (in_scope, reviewed),
    );

    let mut page = Page::new(context, "appraisal.sheet_title");
    page.title = format!(
        "{} – {}",
        i18n::text(lang, "appraisal.sheet_title"),
        unit.name
    );
    Ok(SheetPage {
        page,
        campaign_id: scope.campaign.id,
        campaign_title: scope.campaign.title.clone(),
        sheet_id,
        unit_code: unit.code,
        unit_name: unit.name,
        status: sheet.status,
        status_label: status_label(lang, sheet.status),
        round,
        rounds_total,
        round_open,
        appraiser,
        areas_text: match (&areas, appraiser) {
            (_, false) => String::new(),
            (Some(a), true) => a.join(", "),
            (None, true) => i18n::text(lang, "appraisal.all_areas").to_string(),
        },
        acceptable: area_views.iter().map(|a| a.acceptable).sum(),
        areas: area_views,
        totals,
    })
}

/// Evidence links by (leaf's id, stage).
type FilesAt = HashMap<(i64, i64), Vec<FileLink>>;

/// The sheet's evidence: how many files each (leaf, stage) has, and their links.
fn files_by_leaf(files: &[LinkedFile]) -> (Vec<(i64, i64, i64)>, FilesAt) {
    let mut counts: HashMap<(i64, i64), i64> = HashMap::new();
    let mut files_at: FilesAt = HashMap::new();
    for file in files {
        let LinkedFile { node_id, stage, .. } = *file;
        *counts.entry((node_id, stage)).or_default() += 1;
        files_at
            .entry((node_id, stage))
            .or_default()
            .push(FileLink {
                id: file.file_id,
                name: file.file_name.clone(),
            });
    }
    let count_rows = counts.iter().map(|(&(n, s), &c)| (n, s, c)).collect();
    (count_rows, files_at)
}

/// Totals per area and overall: the unit's own points, and the final values now.
fn own_and_final_points(
    framework: &Framework,
    records: &chiso_domain::assessment::SheetRecords,
) -> (chiso_domain::UnitPoints, chiso_domain::UnitPoints) {
    let mut own = ScoreSheet::new(framework);
    let mut last = ScoreSheet::new(framework);
    for &leaf in framework.leaves() {
        let record = records.get(leaf);
        if let Some(points) = record.self_points {
            let _ = own.set(framework, leaf, points);
        }
        if let Some(points) = rules::final_points(record) {
            let _ = last.set(framework, leaf, points);
        }
    }
    (
        compute_unit(framework, &own),
        compute_unit(framework, &last),
    )
}

/// The sheet's totals, self-assessed against appraised, with the appraiser's leaves of the
/// round (`in_scope`) and how many of them are reviewed.
fn totals(
    lang: Lang,
    area_views: &[AreaView],
    own_points: &chiso_domain::UnitPoints,
    last_points: &chiso_domain::UnitPoints,
    (in_scope, reviewed): (u32, u32),
) -> Totals {
    let (difference, diff_class) = signed(lang, last_points.points - own_points.points);
    Totals {
        self_total: pts(lang, own_points.points),
        appraised_total: pts(lang, last_points.points),
        difference,
        diff_class,
        in_scope,
        reviewed,
        areas: area_views
            .iter()
            .map(|a| {
                (
                    a.code.clone(),
                    a.title.clone(),
                    a.self_points.clone(),
                    a.appraised_points.clone(),
                )
            })
            .collect(),
    }
}

/// The appraisal sheet: per leaf the unit's points, explanation and evidence beside the
/// rounds' appraised points, comments and requests; the open round's fields where this
/// appraiser scores.
#[tracing::instrument(skip_all)]
pub async fn sheet(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(sheet): Path<String>,
) -> AppResult<SheetPage> {
    if !is_staff(&principal) && !principal.has_role(Role::Appraiser) {
        return Err(AppError::Forbidden);
    }
    let sheet_id = sheet.parse::<i64>().map_err(|_| AppError::NotFound)?;
    sheet_page(&state, &principal, &context, sheet_id, None).await
}

/// An appraiser saves a leaf of the open round (points or the rule's input, a comment, an
/// explanation request) from the version they saw. An htmx request gets the page back (200)
/// with the leaf's outcome inside it, for htmx to pick the leaf and the totals; a plain form
/// gets a redirect, or the page with the refusal (422) or the conflict (409) and the typed
/// values kept.
#[tracing::instrument(skip_all)]
pub async fn appraise(
    State(state): State<AppState>,
    headers: HeaderMap,
    Auth(principal, context): Auth,
    ids: crate::extract::PathId<(i64, i64)>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    if !principal.has_role(Role::Appraiser) {
        return Err(AppError::Forbidden);
    }
    let (sheet_id, node_id) = ids.get()?;
    let lang = context.lang;
    let loaded = save_leaf::load(&state, &principal, sheet_id, node_id).await?;
    let leaf = loaded.scope.leaf(node_id).map_err(|_| AppError::NotFound)?;
    let code = loaded.scope.framework().node(leaf).code.clone();
    let htmx = headers.get("hx-request").is_some();
    let mut typed = Typed::of(&pairs, node_id);
    // Extract and parse: a value that is not a number is said beside its field.
    let parsed = typed.numbers(lang, &code);
    // Call the use case, then render its outcome.
    let (status, error) = match parsed {
        Err(problems) => (StatusCode::UNPROCESSABLE_ENTITY, Some(problems.join("; "))),
        Ok((points, entered)) => {
            let input = save_leaf::AppraisalInput {
                node_id,
                points,
                entered,
                comment: typed.comment.clone(),
                explanation_requested: typed.requested,
                expected_version: match field(&pairs, "version") {
                    "" => None,
                    text => text.parse::<i64>().ok(),
                },
            };
            let appraised = save_leaf::save_leaf(&state, &principal, loaded, &input).await?;
            if let Err(StoreError::Meanwhile(_)) = appraised.outcome {
                // The form now carries the stored version: saving again overwrites on purpose.
                typed.version = appraised.current_version;
            }
            appraisal_outcome(lang, appraised.outcome)?
        }
    };
    if error.is_none() && !htmx {
        return Ok(Redirect::to(&format!(
            "/tham-dinh/{sheet_id}?msg=appraisal.leaf_saved#leaf-{node_id}"
        ))
        .into_response());
    }
    typed.saved = error.is_none();
    typed.error = error;
    let page = sheet_page(&state, &principal, &context, sheet_id, Some(typed)).await?;
    // htmx swaps only successful responses: the refusal travels inside the leaf it concerns.
    let status = if htmx { StatusCode::OK } else { status };
    Ok((status, page).into_response())
}

impl Typed {
    /// What the form carries for the leaf.
    fn of(pairs: &Pairs, node_id: i64) -> Typed {
        Typed {
            node_id,
            points: field(pairs, "points").to_string(),
            input: field(pairs, "input").to_string(),
            comment: field(pairs, "comment").to_string(),
            requested: matches!(field(pairs, "explanation_requested"), "on" | "1" | "true"),
            version: None,
            error: None,
            saved: false,
        }
    }

    /// The points and the rule's input as numbers (`1,5` or `1.5`; blank is none), or each
    /// field that is not one, named with the leaf's code.
    fn numbers(
        &self,
        lang: Lang,
        code: &str,
    ) -> Result<(Option<Points>, Option<f64>), Vec<String>> {
        let named = |field_key: &str, text: &str| {
            let problem = tr(lang, "appraisal.error_number", &[("value", text)]);
            format!("{code} — {}: {problem}", i18n::text(lang, field_key))
        };
        let mut problems = Vec::new();
        let points = match self.points.as_str() {
            "" => None,
            text => match decimal_text(text).parse::<Points>() {
                Ok(points) => Some(points),
                Err(_) => {
                    problems.push(named("appraisal.points", text));
                    None
                }
            },
        };
        let entered = match self.input.as_str() {
            "" => None,
            text => match decimal_text(text).parse::<f64>() {
                Ok(value) if value.is_finite() => Some(value),
                _ => {
                    problems.push(named("appraisal.input", text));
                    None
                }
            },
        };
        if problems.is_empty() {
            Ok((points, entered))
        } else {
            Err(problems)
        }
    }
}

/// A save's outcome as a status and the refusal said beside the leaf: a rule's refusal
/// (422), someone else's save meanwhile (409); any other error is the page's.
fn appraisal_outcome<T>(
    lang: Lang,
    outcome: Result<T, StoreError>,
) -> AppResult<(StatusCode, Option<String>)> {
    Ok(match outcome {
        Ok(_) => (StatusCode::OK, None),
        Err(StoreError::Rule(rule)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, Some(rule.describe(lang)))
        }
        Err(StoreError::Meanwhile(changed)) => (
            StatusCode::CONFLICT,
            Some(format!(
                "{} {}",
                changed.describe(lang),
                i18n::text(lang, "appraisal.conflict_hint")
            )),
        ),
        Err(other) => return Err(other.into()),
    })
}

/// A stored rule input as the form shows it: a share in per cent (docs/method.md §2.6).
pub(super) fn entered_input(lang: Lang, rule: Option<&Rule>, stored: f64) -> String {
    i18n::points(lang, rule.map_or(stored, |r| r.input_to_entered(stored)))
}

/// What round `stage` says about a leaf, when it has a row.
fn round_view(data: &AppraisalData, node_id: i64, stage: i64) -> Option<RoundView> {
    let (lang, row_at, files_at) = (data.lang, &data.row_at, &data.files_at);
    let row = row_at.get(&(node_id, stage))?;
    Some(RoundView {
        round: stage,
        points: row.points().map(|p| pts(lang, p)),
        comment: row.comment.clone().unwrap_or_default(),
        requested: row.explanation_requested,
        answer: row.answer.clone(),
        answer_files: files_at.get(&(node_id, stage)).cloned().unwrap_or_default(),
        // The row's last writer: the appraiser, or the unit when it answered since.
        by: tr(
            lang,
            "appraisal.last_change",
            &[
                ("by", &row.updated_by_name),
                ("at", &i18n::date_time(row.updated_at)),
            ],
        ),
        version: row.version,
    })
}

/// What one appraisal sheet is drawn from, read once per page.
pub(super) struct AppraisalData<'a> {
    lang: Lang,
    framework: &'a Framework,
    by_node: HashMap<NodeId, i64>,
    records: chiso_domain::assessment::SheetRecords,
    row_at: HashMap<(i64, i64), &'a LeafScore>,
    files_at: HashMap<(i64, i64), Vec<FileLink>>,
    round: i64,
    rounds_total: i64,
    round_open: bool,
    appraiser: bool,
    areas: Option<&'a [String]>,
    typed: Option<&'a Typed>,
}

/// One leaf of the side-by-side sheet: the unit's entry, the earlier rounds, and this round's
/// form when the appraiser may score it (counted into `in_scope` and `reviewed`).
fn appraisal_leaf(
    data: &AppraisalData,
    top: NodeId,
    leaf: NodeId,
    last_parent: &mut Option<NodeId>,
    in_scope: &mut u32,
    reviewed: &mut u32,
) -> LeafView {
    let (lang, framework, round) = (data.lang, data.framework, data.round);
    let node = framework.node(leaf);
    let node_id = data.by_node.get(&leaf).copied().unwrap_or_default();
    let record = data.records.get(leaf);
    let criterion = match node.parent {
        Some(parent) if parent != top && *last_parent != Some(parent) => {
            *last_parent = Some(parent);
            let p = framework.node(parent);
            Some(format!("{} {}", p.code, p.title))
        }
        _ => None,
    };
    let access = LeafAccess::of(data, leaf);
    if access.scored_now {
        *in_scope += 1;
        if record.rounds.contains_key(&(round as u32)) {
            *reviewed += 1;
        }
    }
    let own_row = data.row_at.get(&(node_id, 0));
    let earlier: Vec<RoundView> = (1..round.max(1))
        .filter_map(|r| round_view(data, node_id, r))
        .collect();
    let answered = earlier
        .iter()
        .any(|r| r.requested && (r.answer.is_some() || !r.answer_files.is_empty()));
    let current = if round >= 1 {
        round_view(data, node_id, round)
    } else {
        None
    };
    let rule = node.rule.as_ref();
    let mine_typed = data.typed.filter(|t| t.node_id == node_id);
    let LeafForm {
        choices,
        f_points,
        f_input,
        f_comment,
        f_requested,
        f_version,
    } = leaf_form(data, node_id, current.as_ref(), mine_typed, rule);
    LeafView {
        node_id,
        code: node.code.clone(),
        title: node.title.clone(),
        max: pts(lang, node.max_points),
        criterion,
        method: node.method.as_str(),
        method_label: i18n::text(lang, &format!("appraisal.method_{}", node.method.as_str())),
        evidence_required: node.evidence_required,
        guidance: node.guidance.clone(),
        unit_points: record
            .self_points
            .map(|p| pts(lang, p))
            .unwrap_or_else(|| "—".into()),
        unit_input: own_row
            .and_then(|r| r.input_value())
            .map(|v| entered_input(lang, node.rule.as_ref(), v)),
        explanation: own_row.and_then(|r| r.explanation.clone()),
        files: data
            .files_at
            .get(&(node_id, 0))
            .cloned()
            .unwrap_or_default(),
        requests: earlier
            .iter()
            .chain(current.as_ref())
            .filter(|r| r.requested)
            .cloned()
            .collect(),
        earlier,
        current,
        answered,
        final_points: rules::final_points(record)
            .map(|p| pts(lang, p))
            .unwrap_or_else(|| "—".into()),
        editable: access.editable,
        readonly: access.readonly,
        can_request: access.editable && round < data.rounds_total,
        choices,
        input_percent: rule.is_some_and(Rule::input_is_percentage),
        input_label: input_label(rule.filter(|_| node.method != Method::Survey)),
        f_points,
        f_input,
        f_comment,
        f_requested,
        f_version,
        error: mine_typed.and_then(|t| t.error.clone()),
        saved: mine_typed.is_some_and(|t| t.saved),
    }
}

/// Whether the appraiser scores a leaf now, and why not.
struct LeafAccess {
    /// In the round, in the appraiser's areas, the round open: counted into the appraiser's
    /// scope.
    scored_now: bool,
    editable: bool,
    /// Why the leaf is read-only for this appraiser (a text key), when it is.
    readonly: Option<&'static str>,
}

impl LeafAccess {
    fn of(data: &AppraisalData, leaf: NodeId) -> LeafAccess {
        let (framework, round, round_open, appraiser) =
            (data.framework, data.round, data.round_open, data.appraiser);
        let record = data.records.get(leaf);
        let survey = framework.node(leaf).method == Method::Survey;
        // Round 1 takes every leaf; a later round, the leaves the round before asked about.
        let in_round = round >= 1
            && !survey
            && (round == 1
                || record
                    .rounds
                    .get(&((round - 1) as u32))
                    .is_some_and(|r| r.explanation_requested));
        let mine = appraiser && rules::in_areas(framework, leaf, data.areas);
        let scored_now = round_open && in_round && mine;
        let editable = appraiser && scored_now;
        let readonly = if survey {
            Some("appraisal.ro_survey")
        } else if !appraiser || editable {
            None
        } else if !round_open {
            Some("appraisal.ro_round_closed")
        } else if !mine {
            Some("appraisal.ro_outside_areas")
        } else {
            Some("appraisal.ro_not_in_round")
        };
        LeafAccess {
            scored_now,
            editable,
            readonly,
        }
    }
}

/// The label of a rule's input, for rules that compute points from one.
fn input_label(rule: Option<&Rule>) -> Option<String> {
    rule.filter(|r| r.takes_input()).map(|r| match r {
        Rule::Threshold {
            input, input_label, ..
        }
        | Rule::Proportional { input, input_label } => {
            input_label.clone().unwrap_or_else(|| input.clone())
        }
        _ => String::new(),
    })
}

/// The values of a leaf's appraisal form: what the appraiser typed when it was refused, else
/// what is stored for this round.
struct LeafForm {
    choices: Vec<Choice>,
    f_points: String,
    f_input: String,
    f_comment: String,
    f_requested: bool,
    f_version: String,
}

fn leaf_form(
    data: &AppraisalData,
    node_id: i64,
    current: Option<&RoundView>,
    mine_typed: Option<&Typed>,
    rule: Option<&Rule>,
) -> LeafForm {
    let (lang, round, row_at) = (data.lang, data.round, &data.row_at);
    let stored = current;
    let stored_row = row_at
        .get(&(node_id, round))
        .copied()
        .filter(|_| round >= 1);
    let (f_points, f_input, f_comment, f_requested, f_version) = match mine_typed {
        Some(t) if t.error.is_some() => (
            t.points.clone(),
            t.input.clone(),
            t.comment.clone(),
            t.requested,
            t.version
                .or(stored.map(|s| s.version))
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        _ => (
            stored_row
                .and_then(|r| r.points())
                .map(|p| p.to_string())
                .unwrap_or_default(),
            stored_row
                .and_then(LeafScore::input_value)
                .map(|v| entered_input(lang, rule, v))
                .unwrap_or_default(),
            stored.map(|s| s.comment.clone()).unwrap_or_default(),
            stored.is_some_and(|s| s.requested),
            stored.map(|s| s.version.to_string()).unwrap_or_default(),
        ),
    };
    let choices: Vec<Choice> = rule
        .and_then(Rule::allowed_points)
        .map(|values| {
            values
                .into_iter()
                .map(|v| Choice {
                    value: v.to_string(),
                    label: pts(lang, v),
                    selected: decimal_text(&f_points) == v.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let f_points = if choices.is_empty() && !f_points.is_empty() {
        // Shown the Vietnamese way; read back with either separator.
        decimal_text(&f_points)
            .parse::<Points>()
            .map(|p| pts(lang, p))
            .unwrap_or(f_points)
    } else {
        f_points
    };
    LeafForm {
        choices,
        f_points,
        f_input,
        f_comment,
        f_requested,
        f_version,
    }
}

/// The areas of the side-by-side sheet with their leaves and totals, and how many leaves the
/// appraiser has in scope this round and has reviewed.
fn area_views(
    data: &AppraisalData,
    own_points: &chiso_domain::UnitPoints,
    last_points: &chiso_domain::UnitPoints,
) -> (Vec<AreaView>, u32, u32) {
    let (lang, framework, appraiser) = (data.lang, data.framework, data.appraiser);
    let mut area_views: Vec<AreaView> = Vec::new();
    let tops: Vec<NodeId> = framework
        .areas()
        .iter()
        .chain(framework.outside_tree())
        .copied()
        .collect();
    let (mut in_scope, mut reviewed) = (0, 0);
    for &top in &tops {
        let top_node = framework.node(top);
        let mut leaves = Vec::new();
        let mut last_parent = None;
        for &leaf in framework.leaves() {
            if rules::top_code(framework, leaf) != top_node.code {
                continue;
            }
            leaves.push(appraisal_leaf(
                data,
                top,
                leaf,
                &mut last_parent,
                &mut in_scope,
                &mut reviewed,
            ));
        }
        let open = leaves
            .iter()
            .any(|l| l.editable || l.error.is_some() || l.saved)
            || (!appraiser && leaves.iter().any(|l| l.current.is_some()));
        area_views.push(AreaView {
            code: top_node.code.clone(),
            title: top_node.title.clone(),
            max: pts(lang, top_node.max_points),
            self_points: pts(lang, own_points.node_points[top]),
            appraised_points: pts(lang, last_points.node_points[top]),
            open,
            acceptable: leaves
                .iter()
                .filter(|l| l.editable && l.current.is_none())
                .count(),
            leaves,
        });
    }
    (area_views, in_scope, reviewed)
}

/// An appraiser accepts the unit's own points for the leaves of one area (`area`), or of the
/// whole sheet, that they may score in the open round and have not scored yet: one audited
/// action instead of a save per leaf; each leaf can still be changed afterwards.
#[tracing::instrument(skip_all)]
pub async fn accept(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: crate::extract::PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    if !principal.has_role(Role::Appraiser) {
        return Err(AppError::Forbidden);
    }
    let sheet_id = id.get()?;
    let area = Some(field(&pairs, "area").trim()).filter(|a| !a.is_empty());
    crate::app::appraisal::accept::accept(&state, &principal, sheet_id, area).await?;
    let anchor = area.map(|a| format!("#area-{a}")).unwrap_or_default();
    Ok(Redirect::to(&format!(
        "/tham-dinh/{sheet_id}?msg=appraisal.accepted{anchor}"
    ))
    .into_response())
}
