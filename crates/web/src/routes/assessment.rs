//! The self-assessment screens (tự đánh giá, issue 4): the sheets a unit's people work on, the
//! scoresheet with autosave, evidence files (upload, link, unlink, download), the leader's
//! submit and withdraw, the answers to explanation requests, and the history of a leaf.
//!
//! Every handler checks on the server who may do what: a unit's own people (editors and
//! leaders of the unit or a unit above it) work on its sheet; the secretariat and the
//! administrator read every sheet; appraisers read sheets once submitted; viewers read them
//! once the campaign is published. The workflow rules (states, deadlines, extensions, the
//! submission check) are the store's and the domain's: this module asks them, shows their
//! answer in the user's language and never decides a transition itself.

use std::collections::{BTreeMap, HashMap, HashSet};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chiso_domain::access::Role;
use chiso_domain::assessment::{
    self as rules, SheetAction, SheetContext, SheetStatus, Stage, SubmissionProblemKind,
};
use chiso_domain::campaign::CampaignState;
use chiso_domain::{Method, NodeId, Points, Rule, ScoreSheet, compute_unit};
use chiso_store::assessments::{self, AnswerEntry, LeafScore, SelfEntry, SheetScope};
use chiso_store::evidence::{self, ACCEPTED_EXTENSIONS, LinkedFile, UploadError};
use chiso_store::units::{self, OrgUnit};
use chiso_store::{StoreError, sheet_queries, users};
use chrono::NaiveDate;

use crate::auth::{Auth, Context, Principal};
use crate::error::{AppError, AppResult};
use crate::extract::multipart::{EvidenceForm, ReceivedFile, Upload, UploadRefusal};
use crate::extract::{Form, PathId, State};
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::views::Page;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tu-danh-gia", get(list))
        .route("/tu-danh-gia/{sheet}", get(show))
        .route("/tu-danh-gia/{sheet}/tieu-chi/{node}", post(save_leaf))
        // The upload's body limit is its own (`extract::multipart`): the file limit and a
        // margin, so that a refusal can name the file.
        .route(
            "/tu-danh-gia/{sheet}/tieu-chi/{node}/tai-lieu",
            post(upload),
        )
        .route("/tu-danh-gia/{sheet}/tieu-chi/{node}/lien-ket", post(link))
        .route("/tu-danh-gia/{sheet}/lien-ket/{link}/xoa", post(unlink))
        .route("/tu-danh-gia/{sheet}/tieu-chi/{node}/lich-su", get(history))
        .route("/tu-danh-gia/{sheet}/nop", post(submit))
        .route("/tu-danh-gia/{sheet}/rut", post(withdraw))
        .route(
            "/tu-danh-gia/{sheet}/nop-giai-trinh",
            post(submit_explanation),
        )
        .route("/tai-lieu/{file}", get(download))
}

// ── Who may do what ─────────────────────────────────────────────────────────────────────────

/// The roles that may change a sheet's entries (points, explanations, evidence, answers).
const EDIT_ROLES: &[Role] = &[Role::UnitEditor, Role::UnitLeader];
/// The roles that sign a sheet or its explanations off.
const SIGN_ROLES: &[Role] = &[Role::UnitLeader];

/// Refuses, before anything is read, a user none of whose roles could ever take the action:
/// a viewer posting to a scoresheet gets 403 whatever the sheet.
fn require_any(principal: &Principal, roles: &[Role]) -> AppResult<()> {
    if roles.iter().any(|r| principal.has_role(*r)) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The unit-scoped roles the user holds for a unit: assignments on the unit itself or on a
/// unit above it. The leader's role comes first, since a leader may also edit.
fn unit_roles(principal: &Principal, all_units: &[OrgUnit], unit_id: i64) -> Vec<Role> {
    let mut roles: Vec<Role> = principal
        .roles
        .iter()
        .filter_map(|assignment| {
            let role = assignment.role;
            let root = assignment.unit_id?;
            (role.is_unit_scoped() && units::descendants(all_units, root).contains(&unit_id))
                .then_some(role)
        })
        .collect();
    roles.sort_by_key(|r| if *r == Role::UnitLeader { 0 } else { 1 });
    roles.dedup();
    roles
}

/// The units the user works for (every unit-scoped assignment and the units below it).
fn own_units(principal: &Principal, all_units: &[OrgUnit]) -> Vec<i64> {
    let mut ids: Vec<i64> = principal
        .roles
        .iter()
        .filter(|a| a.role.is_unit_scoped())
        .filter_map(|a| a.unit_id)
        .flat_map(|root| units::descendants(all_units, root))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Whether the user may read a sheet: its unit's people always; the secretariat and the
/// administrator always; appraisers once it left the draft (drafts are the unit's business);
/// viewers once the campaign's results are published.
fn may_read(
    principal: &Principal,
    unit_roles: &[Role],
    status: SheetStatus,
    campaign: CampaignState,
) -> bool {
    !unit_roles.is_empty()
        || principal.has_role(Role::Secretariat)
        || principal.has_role(Role::Admin)
        || (principal.has_role(Role::Appraiser) && status != SheetStatus::Draft)
        || (principal.has_role(Role::Viewer) && campaign == CampaignState::Published)
}

/// A sheet as one request sees it.
struct Loaded {
    scope: SheetScope,
    unit: OrgUnit,
    /// The user's role in the sheet's unit (the leader's when both), if any.
    role: Option<Role>,
}

impl Loaded {
    fn id(&self) -> i64 {
        self.scope.sheet.id
    }

    fn status(&self) -> SheetStatus {
        self.scope.sheet.status()
    }

    fn context(&self) -> SheetContext {
        SheetContext {
            campaign: self.scope.campaign.state(),
            status: self.status(),
            current_round: self.scope.sheet.current_round as u32,
            open_round: None,
        }
    }
}

/// The ids of a sheet's address: the sheet alone, or the sheet and a node, link or file.
trait SheetIds {
    fn sheet(&self) -> i64;
}

impl SheetIds for i64 {
    fn sheet(&self) -> i64 {
        *self
    }
}

impl SheetIds for (i64, i64) {
    fn sheet(&self) -> i64 {
        self.0
    }
}

/// Loads a sheet and refuses users who may not read it (403; 404 when there is no such sheet).
async fn load(state: &AppState, principal: &Principal, id: i64) -> AppResult<Loaded> {
    let scope = assessments::scope(&state.db, id).await?;
    let all_units = units::list(&state.db).await?;
    let roles = unit_roles(principal, &all_units, scope.sheet.unit_id);
    if !may_read(
        principal,
        &roles,
        scope.sheet.status(),
        scope.campaign.state(),
    ) {
        return Err(AppError::Forbidden);
    }
    let unit = all_units
        .into_iter()
        .find(|u| u.id == scope.sheet.unit_id)
        .ok_or(AppError::NotFound)?;
    Ok(Loaded {
        scope,
        unit,
        role: roles.first().copied(),
    })
}

/// Loads a sheet for a change by its unit's people: anyone else gets 403, whatever the ids of
/// the address (they are read after the roles), and the ids come back with the sheet.
async fn load_for_change<T: SheetIds>(
    state: &AppState,
    principal: &Principal,
    ids: PathId<T>,
    roles: &[Role],
) -> AppResult<(Loaded, T)> {
    require_any(principal, roles)?;
    let ids = ids.get()?;
    let loaded = load(state, principal, ids.sheet()).await?;
    match loaded.role {
        Some(role) if roles.contains(&role) => Ok((loaded, ids)),
        _ => Err(AppError::Forbidden),
    }
}

fn today() -> NaiveDate {
    assessments::today_in_vietnam()
}

fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

// ── Messages ────────────────────────────────────────────────────────────────────────────────

/// `2026-12-20` → `20/12/2026` inside a library message (deadlines are printed as ISO dates).
fn day_first_dates(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let candidate = bytes.get(i..i + 10);
        let is_date = candidate.is_some_and(|c| {
            c.iter().enumerate().all(|(k, b)| match k {
                4 | 7 => *b == b'-',
                _ => b.is_ascii_digit(),
            })
        }) && !bytes.get(i + 10).is_some_and(u8::is_ascii_digit)
            && (i == 0 || !bytes[i - 1].is_ascii_digit());
        if is_date {
            out.push_str(&format!(
                "{}/{}/{}",
                &text[i + 8..i + 10],
                &text[i + 5..i + 7],
                &text[i..i + 4]
            ));
            i += 10;
        } else {
            let c = text[i..].chars().next().expect("within the text");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// A store message in the user's language, with day-first dates.
fn message(lang: Lang, english: &str) -> String {
    i18n::message(lang, &day_first_dates(english))
}

fn t(lang: Lang, key: &str) -> String {
    i18n::text(lang, key).to_string()
}

fn size_text(lang: Lang, bytes: usize) -> String {
    if bytes < 1024 * 1024 {
        format!(
            "{} KB",
            i18n::number(lang, (bytes as f64 / 1024.0).ceil(), 0)
        )
    } else {
        format!(
            "{} MB",
            i18n::number(lang, bytes as f64 / (1024.0 * 1024.0), 1)
        )
    }
}

/// Why an upload was refused, naming the file.
fn upload_message(lang: Lang, name: &str, error: &UploadError) -> String {
    let kind = |kind: evidence::EvidenceKind| t(lang, &format!("assessment.kind_{kind:?}"));
    let text = match error {
        UploadError::Empty { .. } => t(lang, "assessment.upload_empty"),
        UploadError::TooLarge { size, limit, .. } => t(lang, "assessment.upload_too_large")
            .replace("{size}", &size_text(lang, *size))
            .replace("{limit}", &size_text(lang, *limit)),
        UploadError::Executable { .. } => t(lang, "assessment.upload_executable"),
        UploadError::UnsupportedExtension { extension } => {
            t(lang, "assessment.upload_extension").replace("{ext}", extension)
        }
        UploadError::UnknownContent { .. } => t(lang, "assessment.upload_unknown"),
        UploadError::Mismatch {
            extension, actual, ..
        } => t(lang, "assessment.upload_mismatch")
            .replace("{ext}", extension)
            .replace("{kind}", &kind(*actual)),
    };
    t(lang, "assessment.upload_file")
        .replace("{name}", name)
        .replace("{problem}", &text)
}

// ── View models ─────────────────────────────────────────────────────────────────────────────

/// One option of a fixed-levels select.
pub struct LevelOption {
    value: String,
    label: String,
    selected: bool,
}

/// How a leaf is scored, for the form.
pub struct RuleView {
    /// `manual` (points typed), `levels` (a select), `input` (a rule input, points computed),
    /// `survey` (read-only here).
    kind: &'static str,
    levels: Vec<LevelOption>,
    input_label: String,
    /// The rule in words: the threshold steps, or "max × ratio".
    description: String,
}

/// An evidence file on a leaf.
pub struct FileView {
    link_id: i64,
    file_id: i64,
    name: String,
    size: String,
    linked_by: String,
    linked_at: String,
    removable: bool,
}

/// What an appraisal round said about a leaf, once the round is closed.
pub struct RoundView {
    round: i64,
    /// The round whose explanation request is open: its comment and answer are shown in the
    /// answer box instead.
    current: bool,
    points: Option<String>,
    comment: Option<String>,
    explanation_requested: bool,
    answer: Option<String>,
    files: Vec<FileView>,
}

/// The unit's answer to an explanation request of the current round.
pub struct AnswerView {
    round: i64,
    version: i64,
    comment: Option<String>,
    value: String,
    editable: bool,
    files: Vec<FileView>,
}

/// A save refused because someone else saved the leaf first.
pub struct ConflictView {
    by: String,
    at: String,
    /// The stored values, in words.
    stored: String,
    /// The version now stored, for "keep mine".
    version: i64,
}

/// One leaf of the scoresheet.
pub struct LeafView {
    node_id: i64,
    code: String,
    title: String,
    max: String,
    method: &'static str,
    method_label: String,
    evidence_required: bool,
    guidance: Option<String>,
    rule: RuleView,
    /// The stage-0 row's version; empty when the leaf has no row yet.
    version: String,
    points_value: String,
    input_value: String,
    explanation_value: String,
    /// The stored points, formatted.
    points_display: Option<String>,
    saved_by: Option<String>,
    saved_at: Option<String>,
    files: Vec<FileView>,
    /// `filled`, `empty`, `blocked` (evidence without explanation), `survey`, `optional`.
    state: &'static str,
    state_label: String,
    rounds: Vec<RoundView>,
    answer: Option<AnswerView>,
    final_points: Option<String>,
    /// The self-assessment fields can change now.
    editable: bool,
    /// Evidence can be attached now (self-assessment, or extra evidence of an answer).
    evidence_editable: bool,
    /// The unit's files that can be linked here (not already linked at this stage).
    linkable: Vec<(i64, String)>,
    error: Option<String>,
    conflict: Option<ConflictView>,
    saved_now: bool,
}

/// A criterion heading inside an area.
pub struct HeadingView {
    code: String,
    title: String,
    max: String,
    depth: usize,
}

/// A heading or a leaf, in tree order.
pub struct EntryView {
    heading: Option<HeadingView>,
    leaf: Option<LeafView>,
}

/// An area (or a bonus / penalty item) with its running total.
pub struct SectionView {
    code: String,
    title: String,
    points: String,
    max: String,
    /// `area`, `bonus`, `penalty`.
    kind: &'static str,
    entries: Vec<EntryView>,
}

/// A leaf that blocks the submission.
pub struct ProblemView {
    code: String,
    text: String,
}

/// The totals, progress and the leader's actions (swapped out of band after each save).
pub struct SummaryView {
    filled: i64,
    total: i64,
    /// Whole percent, for the bar's width.
    percent: i64,
    missing_evidence: i64,
    unexplained: i64,
    self_total: String,
    tree_total: String,
    max_total: String,
    appraised_total: Option<String>,
    areas: Vec<(String, String, String, String)>,
    problems: Vec<ProblemView>,
    flagged: i64,
    answered: i64,
    version: i64,
    can_submit: bool,
    can_withdraw: bool,
    can_submit_explanation: bool,
    is_leader: bool,
}

/// Everything the scoresheet shows.
pub struct SheetView {
    id: i64,
    status: &'static str,
    status_label: String,
    campaign_id: i64,
    campaign_title: String,
    unit_name: String,
    unit_code: String,
    framework_title: String,
    sample: bool,
    deadline: String,
    explanation_deadline: Option<String>,
    submitted: Option<String>,
    current_round: i64,
    /// Why the sheet cannot be edited now, for the unit's people.
    locked_reason: Option<String>,
    read_only_visitor: bool,
    sections: Vec<SectionView>,
    summary: SummaryView,
    max_upload: String,
    accept: String,
}

fn method_key(method: Method) -> &'static str {
    match method {
        Method::SelfAssessed => "self",
        Method::Survey => "survey",
        Method::Bonus => "bonus",
        Method::Penalty => "penalty",
    }
}

/// Filled leaves in whole percent (100 when there is nothing to fill).
fn percent(filled: i64, total: i64) -> i64 {
    if total > 0 {
        (filled * 100 + total / 2) / total
    } else {
        100
    }
}

fn pts(lang: Lang, points: Points) -> String {
    i18n::points(lang, points.to_f64())
}

fn total(lang: Lang, points: Points) -> String {
    i18n::number(lang, points.to_f64(), 2)
}

fn rule_view(lang: Lang, node: &chiso_domain::Node, stored: Option<&LeafScore>) -> RuleView {
    let selected = stored.and_then(LeafScore::points);
    match (&node.rule, node.method) {
        (_, Method::Survey) | (Some(Rule::Survey { .. }), _) => RuleView {
            kind: "survey",
            levels: Vec::new(),
            input_label: String::new(),
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
                description: parts.join("; "),
            }
        }
        (Some(Rule::Proportional { input, input_label }), _) => RuleView {
            kind: "input",
            levels: Vec::new(),
            input_label: input_label.clone().unwrap_or_else(|| input.clone()),
            description: t(lang, "assessment.rule_proportional")
                .replace("{max}", &pts(lang, node.max_points)),
        },
        (None, _) => RuleView {
            kind: "manual",
            levels: Vec::new(),
            input_label: String::new(),
            description: String::new(),
        },
    }
}

fn file_view(lang: Lang, file: &LinkedFile, removable: bool) -> FileView {
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
struct Abilities {
    edit_self: bool,
    edit_answer: bool,
    locked_reason: Option<String>,
}

async fn abilities(state: &AppState, lang: Lang, loaded: &Loaded) -> AppResult<Abilities> {
    let Some(role) = loaded.role else {
        return Ok(Abilities {
            edit_self: false,
            edit_answer: false,
            locked_reason: None,
        });
    };
    let campaign = &loaded.scope.campaign;
    let unit_id = loaded.scope.sheet.unit_id;
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
            let extension = assessments::extension_for(&state.db, campaign.id, unit_id, stage)
                .await?
                .map(|e| e.valid_until);
            rules::may_enter(stage, today(), deadline, extension).map_err(|e| {
                format!(
                    "{} {}",
                    message(lang, &e.to_string()),
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
fn status_reason(lang: Lang, loaded: &Loaded) -> String {
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
fn deadline_text(lang: Lang, deadline: Option<NaiveDate>, extension: Option<NaiveDate>) -> String {
    match (deadline, extension) {
        (None, _) => t(lang, "assessment.no_deadline"),
        (Some(d), Some(e)) if e > d => t(lang, "assessment.deadline_extended")
            .replace("{date}", &i18n::date(d))
            .replace("{until}", &i18n::date(e)),
        (Some(d), _) => i18n::date(d),
    }
}

/// Builds the whole scoresheet.
async fn build(state: &AppState, lang: Lang, loaded: &Loaded) -> AppResult<SheetView> {
    let db = &state.db;
    let scope = &loaded.scope;
    let sheet = &scope.sheet;
    let campaign = &scope.campaign;
    let framework = scope.framework();
    let status = loaded.status();
    let rows = assessments::leaf_scores(db, sheet.id).await?;
    let files = evidence::files_for_sheet(db, sheet.id).await?;
    let closed: HashSet<i64> = assessments::round_states(db, campaign.id)
        .await?
        .into_iter()
        .filter(|r| r.state == "closed")
        .map(|r| r.round_no)
        .collect();
    let all_rounds_visible = matches!(
        campaign.state(),
        CampaignState::Finalized | CampaignState::Published
    );
    let finals = if status == SheetStatus::Finalized {
        assessments::final_scores(db, sheet.id).await?
    } else {
        BTreeMap::new()
    };
    let self_extension =
        assessments::extension_for(db, campaign.id, sheet.unit_id, Stage::SelfAssessment).await?;
    let explanation_extension =
        assessments::extension_for(db, campaign.id, sheet.unit_id, Stage::Explanation).await?;
    let can = abilities(state, lang, loaded).await?;
    let unit_files = if can.edit_self || can.edit_answer {
        sheet_queries::unit_files(db, sheet.unit_id).await?
    } else {
        Vec::new()
    };

    let by_stage: HashMap<(i64, i64), &LeafScore> =
        rows.iter().map(|r| ((r.node_id, r.stage), r)).collect();
    let mut files_by: HashMap<(i64, i64), Vec<&LinkedFile>> = HashMap::new();
    for file in &files {
        files_by
            .entry((file.node_id, file.stage))
            .or_default()
            .push(file);
    }
    let counts: Vec<(i64, i64, i64)> = files_by
        .iter()
        .map(|(&(node, stage), list)| (node, stage, list.len() as i64))
        .collect();
    let records = assessments::records_of(framework, &scope.node_index, &rows, &counts);
    let node_ids: HashMap<NodeId, i64> = scope
        .node_index
        .iter()
        .map(|(&db_id, &node)| (node, db_id))
        .collect();

    // Running totals of the unit's own points, by the scoring engine.
    let mut score_sheet = ScoreSheet::new(framework);
    for &leaf in framework.leaves() {
        if let Some(points) = records.get(leaf).self_points {
            // Stored values were checked when saved; a value the framework now refuses
            // counts 0 rather than hiding the page.
            let _ = score_sheet.set(framework, leaf, points);
        }
    }
    let computed = compute_unit(framework, &score_sheet);

    let current_round = sheet.current_round;
    let leaf_view = |leaf: NodeId| -> LeafView {
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
        let rounds: Vec<RoundView> = rows
            .iter()
            .filter(|r| {
                r.node_id == db_id
                    && r.stage > 0
                    && (closed.contains(&r.stage) || all_rounds_visible)
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
            .collect();
        let answer = (status == SheetStatus::ExplanationRequested)
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
            });
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
                .map(|v| i18n::points(lang, v))
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
            saved_now: false,
        }
    };

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
                    leaf: Some(leaf_view(id)),
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

    let is_leader = loaded.role == Some(Role::UnitLeader);
    let problems = if status == SheetStatus::Draft && loaded.role.is_some() {
        rules::submission_problems(framework, &records)
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
    let any_round_visible =
        sheet.current_round > 0 && (closed.contains(&sheet.current_round) || all_rounds_visible);
    let summary = SummaryView {
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
    };
    Ok(SheetView {
        id: sheet.id,
        status: status.as_str(),
        status_label: t(lang, &format!("assessment.status_{}", status.as_str())),
        campaign_id: campaign.id,
        campaign_title: campaign.title.clone(),
        unit_name: loaded.unit.name.clone(),
        unit_code: loaded.unit.code.clone(),
        framework_title: framework.display_title(),
        sample: framework.meta.sample,
        deadline: deadline_text(
            lang,
            campaign.self_assessment_deadline,
            self_extension.map(|e| e.valid_until),
        ),
        explanation_deadline: (sheet.current_round > 0).then(|| {
            deadline_text(
                lang,
                campaign.explanation_deadline,
                explanation_extension.map(|e| e.valid_until),
            )
        }),
        submitted: sheet.submitted_at.map(|at| {
            format!(
                "{} ({})",
                i18n::date_time(at),
                sheet.submitted_by.clone().unwrap_or_default()
            )
        }),
        current_round: sheet.current_round,
        locked_reason: can.locked_reason,
        read_only_visitor: loaded.role.is_none(),
        sections,
        summary,
        max_upload: size_text(lang, state.config.max_upload_bytes),
        accept: ACCEPTED_EXTENSIONS
            .iter()
            .map(|e| format!(".{e}"))
            .collect::<Vec<_>>()
            .join(","),
    })
}

/// Takes one leaf out of a built sheet.
fn take_leaf(view: &mut SheetView, node_id: i64) -> Option<LeafView> {
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
fn with_leaf(view: &mut SheetView, node_id: i64, change: impl FnOnce(&mut LeafView)) {
    for section in &mut view.sections {
        for entry in &mut section.entries {
            if let Some(leaf) = entry.leaf.as_mut().filter(|l| l.node_id == node_id) {
                change(leaf);
                return;
            }
        }
    }
}

// ── Templates ───────────────────────────────────────────────────────────────────────────────

#[derive(Template, WebTemplate)]
#[template(path = "assessment/show.html")]
pub struct ShowPage {
    page: Page,
    sheet: SheetView,
    /// Submission or explanation problems after a refused submit, or another refusal.
    errors: Vec<String>,
    problems_refused: bool,
}

/// The answer to an htmx save: the leaf row, and the totals out of band.
#[derive(Template, WebTemplate)]
#[template(path = "assessment/leaf_response.html")]
pub struct LeafResponse {
    page: Page,
    sheet: SheetView,
    leaf: LeafView,
}

/// One sheet on the list page.
pub struct ListRow {
    sheet_id: i64,
    campaign_title: String,
    unit_code: String,
    unit_name: String,
    status: String,
    status_label: String,
    /// The deadline the unit works against now: self-assessment, or explanation.
    deadline_label: String,
    deadline: String,
    filled: i64,
    total: i64,
    percent: i64,
    missing_evidence: i64,
    self_total: String,
    /// What is asked of the unit now.
    asked: String,
    /// Whether the ask is urgent (late, or an explanation is due).
    urgent: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "assessment/list.html")]
pub struct ListPage {
    page: Page,
    rows: Vec<ListRow>,
}

/// One audit row of a leaf.
pub struct HistoryRow {
    at: String,
    actor: String,
    stage: String,
    field: String,
    old: String,
    new: String,
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "assessment/history.html")]
pub struct HistoryPage {
    page: Page,
    sheet_id: i64,
    code: String,
    title: String,
    rows: Vec<HistoryRow>,
}

/// The history table alone: htmx loads it into the leaf row.
#[derive(Template, WebTemplate)]
#[template(path = "assessment/history_table.html")]
pub struct HistoryFragment {
    page: Page,
    rows: Vec<HistoryRow>,
}

// ── List ────────────────────────────────────────────────────────────────────────────────────

/// What the unit is asked to do now, in words.
fn asked(lang: Lang, row: &sheet_queries::UnitSheetRow) -> (String, bool) {
    let status = SheetStatus::parse(&row.status).unwrap_or(SheetStatus::Draft);
    let campaign = CampaignState::parse(&row.campaign_state).unwrap_or(CampaignState::Draft);
    let effective =
        |deadline: Option<NaiveDate>, extension: Option<NaiveDate>| match (deadline, extension) {
            (Some(d), Some(e)) if e > d => Some(e),
            (d, _) => d,
        };
    let today = today();
    match status {
        SheetStatus::Draft
            if matches!(campaign, CampaignState::Open | CampaignState::Appraisal) =>
        {
            let due = effective(row.self_assessment_deadline, row.self_extension);
            if due.is_some_and(|d| today > d) {
                return (t(lang, "assessment.ask_late"), true);
            }
            let left = row.leaves_total - row.leaves_filled;
            let text = if left > 0 || row.unexplained > 0 {
                t(lang, "assessment.ask_fill")
                    .replace("{left}", &left.to_string())
                    .replace("{unexplained}", &row.unexplained.to_string())
            } else {
                t(lang, "assessment.ask_submit")
            };
            let text = match due {
                Some(d) => format!(
                    "{} {}",
                    text,
                    t(lang, "assessment.ask_before").replace("{date}", &i18n::date(d))
                ),
                None => text,
            };
            (text, false)
        }
        SheetStatus::Draft => (t(lang, "assessment.ask_closed"), false),
        SheetStatus::ExplanationRequested => {
            let due = effective(row.explanation_deadline, row.explanation_extension);
            let text = t(lang, "assessment.ask_explain").replace("{n}", &row.flagged.to_string());
            let text = match due {
                Some(d) => format!(
                    "{} {}",
                    text,
                    t(lang, "assessment.ask_before").replace("{date}", &i18n::date(d))
                ),
                None => format!("{text}."),
            };
            let text = format!(
                "{text} {}",
                t(lang, "assessment.ask_answered")
                    .replace("{answered}", &row.answered.to_string())
                    .replace("{total}", &row.flagged.to_string())
            );
            // Due or overdue, an open request is what the unit must do now.
            (text, true)
        }
        other => (
            t(lang, &format!("assessment.ask_{}", other.as_str())),
            false,
        ),
    }
}

#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<ListPage> {
    require_any(&principal, EDIT_ROLES)?;
    let lang = context.lang;
    let db = &state.db;
    let all_units = units::list(db).await?;
    let mine = own_units(&principal, &all_units);
    // Sheets are created lazily: a unit taking part in a campaign that is open (or already in
    // appraisal, for a late unit with an extension) gets its sheet on its first visit.
    for campaign in chiso_store::campaigns::list(db).await? {
        if !matches!(
            campaign.state(),
            CampaignState::Open | CampaignState::Appraisal
        ) {
            continue;
        }
        let participants = chiso_store::campaigns::units(db, campaign.id).await?;
        for unit in participants.iter().filter(|u| mine.contains(&u.unit_id)) {
            if assessments::find_sheet(db, campaign.id, unit.unit_id)
                .await?
                .is_none()
            {
                assessments::sheet_for_unit(db, &principal.actor(), campaign.id, unit.unit_id)
                    .await?;
            }
        }
    }
    let rows = sheet_queries::unit_sheets(db, &mine)
        .await?
        .into_iter()
        .map(|row| {
            let (asked, urgent) = asked(lang, &row);
            let status = SheetStatus::parse(&row.status).unwrap_or(SheetStatus::Draft);
            let explaining = matches!(
                status,
                SheetStatus::ExplanationRequested | SheetStatus::ExplanationSubmitted
            );
            let (deadline, extension) = if explaining {
                (row.explanation_deadline, row.explanation_extension)
            } else {
                (row.self_assessment_deadline, row.self_extension)
            };
            ListRow {
                sheet_id: row.sheet_id,
                campaign_title: row.campaign_title.clone(),
                unit_code: row.unit_code.clone(),
                unit_name: row.unit_name.clone(),
                status: row.status.clone(),
                status_label: t(lang, &format!("assessment.status_{}", row.status)),
                deadline_label: t(
                    lang,
                    if explaining {
                        "assessment.explanation_deadline"
                    } else {
                        "assessment.deadline"
                    },
                ),
                deadline: deadline_text(lang, deadline, extension),
                filled: row.leaves_filled,
                total: row.leaves_total,
                percent: percent(row.leaves_filled, row.leaves_total),
                missing_evidence: row.missing_evidence,
                self_total: total(lang, Points::from_ten_thousandths(row.self_total)),
                asked,
                urgent,
            }
        })
        .collect();
    Ok(ListPage {
        page: Page::new(&context, "assessment.list_title"),
        rows,
    })
}

// ── The scoresheet ──────────────────────────────────────────────────────────────────────────

#[tracing::instrument(skip_all, fields(sheet_id = ?sheet))]
pub async fn show(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    sheet: PathId,
) -> AppResult<ShowPage> {
    let loaded = load(&state, &principal, sheet.get()?).await?;
    let view = build(&state, context.lang, &loaded).await?;
    Ok(ShowPage {
        page: sheet_page(&context, &view),
        sheet: view,
        errors: Vec::new(),
        problems_refused: false,
    })
}

fn sheet_page(context: &Context, view: &SheetView) -> Page {
    let mut page = Page::new(context, "assessment.sheet_title");
    page.title = format!("{} — {}", page.title, view.unit_name);
    page
}

type Pairs = Vec<(String, String)>;

fn field<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// A decimal typed the Vietnamese way (`1,5`) or the other (`1.5`); blank is none.
fn decimal(text: &str) -> Result<Option<String>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let normalised = text.replace(',', ".");
    if normalised.matches('.').count() > 1
        || !normalised
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Err(());
    }
    Ok(Some(normalised))
}

/// Renders one leaf after a change: the row and the totals for htmx, the whole page
/// otherwise (a browser without JavaScript).
#[allow(clippy::too_many_arguments)]
async fn leaf_answer(
    state: &AppState,
    context: &Context,
    principal: &Principal,
    headers: &HeaderMap,
    sheet: i64,
    node_id: i64,
    status: StatusCode,
    change: impl FnOnce(&mut LeafView),
) -> AppResult<Response> {
    // Reloaded: the sheet's state and version moved with the change.
    let loaded = load(state, principal, sheet).await?;
    let mut view = build(state, context.lang, &loaded).await?;
    if is_htmx(headers) {
        let mut leaf = take_leaf(&mut view, node_id).ok_or(AppError::NotFound)?;
        change(&mut leaf);
        let page = sheet_page(context, &view);
        return Ok((
            status,
            LeafResponse {
                page,
                sheet: view,
                leaf,
            },
        )
            .into_response());
    }
    if status.is_success() {
        let code = take_leaf(&mut view, node_id)
            .map(|l| l.code)
            .unwrap_or_default();
        return Ok(Redirect::to(&format!(
            "/tu-danh-gia/{}?msg=common.saved#leaf-{code}",
            loaded.id()
        ))
        .into_response());
    }
    with_leaf(&mut view, node_id, change);
    let page = sheet_page(context, &view);
    Ok((
        status,
        ShowPage {
            page,
            sheet: view,
            errors: Vec::new(),
            problems_refused: false,
        },
    )
        .into_response())
}

/// The node of a sheet's framework, or 404.
fn leaf_of(loaded: &Loaded, node_id: i64) -> AppResult<(i64, NodeId)> {
    let leaf = *loaded
        .scope
        .node_index
        .get(&node_id)
        .ok_or(AppError::NotFound)?;
    Ok((node_id, leaf))
}

/// Autosave of one leaf: the self-assessment (points or rule input, explanation) while the
/// sheet is a draft, or the answer to an explanation request while one is open. The version
/// the editor started from comes with the form: a leaf saved by someone else meanwhile is
/// refused with 409, showing the stored value and who saved it, and the typed value stays in
/// the field.
#[tracing::instrument(skip_all, fields(ids = ?ids))]
pub async fn save_leaf(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
    headers: HeaderMap,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let lang = context.lang;
    let (loaded, (sheet, node)) = load_for_change(&state, &principal, ids, EDIT_ROLES).await?;
    let (node_id, leaf) = leaf_of(&loaded, node)?;
    let role = loaded.role.expect("checked by load_for_change");
    let code = loaded.scope.code(leaf).to_string();
    let actor = principal.actor();
    let answer_mode = field(&pairs, "answer").is_some();
    let version_text = field(&pairs, "overwrite_version")
        .or_else(|| field(&pairs, "version"))
        .unwrap_or("")
        .trim()
        .to_string();
    let version: Option<i64> = version_text.parse().ok();

    if answer_mode {
        let answer = field(&pairs, "answer").unwrap_or("").to_string();
        let typed = answer.clone();
        let result = match version {
            Some(version) => {
                assessments::save_answer(
                    &state.db,
                    &actor,
                    role,
                    loaded.id(),
                    today(),
                    &AnswerEntry {
                        node_id,
                        answer: Some(answer),
                        expected_version: version,
                    },
                )
                .await
            }
            None => Err(StoreError::Invalid(format!(
                "{code}: no explanation was requested for this leaf"
            ))),
        };
        let (status, error, conflict) = match result {
            Ok(_) => (StatusCode::OK, None, None),
            Err(e) => refusal(&state, lang, &loaded, node_id, &code, version, e, true).await?,
        };
        let saved = status.is_success();
        return leaf_answer(
            &state,
            &context,
            &principal,
            &headers,
            sheet,
            node_id,
            status,
            move |leaf| {
                leaf.saved_now = saved;
                if let Some(answer) = leaf.answer.as_mut()
                    && !saved
                {
                    answer.value = typed;
                }
                leaf.error = error;
                leaf.conflict = conflict;
            },
        )
        .await;
    }

    let points_text = field(&pairs, "points").unwrap_or("").to_string();
    let input_text = field(&pairs, "input").unwrap_or("").to_string();
    let explanation = field(&pairs, "explanation").unwrap_or("").to_string();
    let mut problems = Vec::new();
    let points = match decimal(&points_text) {
        Ok(None) => None,
        Ok(Some(text)) => match text.parse::<Points>() {
            Ok(p) => Some(p),
            Err(_) => {
                problems.push(
                    t(lang, "assessment.error_points")
                        .replace("{code}", &code)
                        .replace("{value}", points_text.trim()),
                );
                None
            }
        },
        Err(()) => {
            problems.push(
                t(lang, "assessment.error_points")
                    .replace("{code}", &code)
                    .replace("{value}", points_text.trim()),
            );
            None
        }
    };
    let input = match decimal(&input_text) {
        Ok(None) => None,
        Ok(Some(text)) => match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                problems.push(
                    t(lang, "assessment.error_input")
                        .replace("{code}", &code)
                        .replace("{value}", input_text.trim()),
                );
                None
            }
        },
        Err(()) => {
            problems.push(
                t(lang, "assessment.error_input")
                    .replace("{code}", &code)
                    .replace("{value}", input_text.trim()),
            );
            None
        }
    };
    let keep_typed = |leaf: &mut LeafView| {
        leaf.points_value = points_text.clone();
        leaf.input_value = input_text.clone();
        leaf.explanation_value = explanation.clone();
        leaf.version = version_text.clone();
        for level in &mut leaf.rule.levels {
            level.selected =
                decimal(&points_text).ok().flatten() == decimal(&level.value).ok().flatten();
        }
    };
    if !problems.is_empty() {
        let error = problems.join(" ");
        return leaf_answer(
            &state,
            &context,
            &principal,
            &headers,
            sheet,
            node_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            |leaf| {
                keep_typed(leaf);
                leaf.error = Some(error);
            },
        )
        .await;
    }
    // A field the request does not carry keeps its stored value (a form always carries them
    // all; a hand-made request that names only the points must not erase the explanation).
    let current = assessments::leaf_scores(&state.db, loaded.id())
        .await?
        .into_iter()
        .find(|r| r.node_id == node_id && r.stage == 0);
    let carried = |name: &str| field(&pairs, name).is_some();
    let (points, input) = if carried("points") || carried("input") {
        (points, input)
    } else {
        (
            current.as_ref().and_then(LeafScore::points),
            current.as_ref().and_then(LeafScore::input_value),
        )
    };
    let explanation = if carried("explanation") {
        Some(explanation.clone())
    } else {
        current.as_ref().and_then(|r| r.explanation.clone())
    };
    let entry = SelfEntry {
        node_id,
        points,
        input,
        explanation,
        expected_version: version,
    };
    let result =
        assessments::save_self_assessment(&state.db, &actor, role, loaded.id(), today(), &entry)
            .await;
    match result {
        Ok(_) => {
            leaf_answer(
                &state,
                &context,
                &principal,
                &headers,
                sheet,
                node_id,
                StatusCode::OK,
                |leaf| leaf.saved_now = true,
            )
            .await
        }
        Err(e) => {
            let (status, error, conflict) =
                refusal(&state, lang, &loaded, node_id, &code, version, e, false).await?;
            leaf_answer(
                &state,
                &context,
                &principal,
                &headers,
                sheet,
                node_id,
                status,
                |leaf| {
                    keep_typed(leaf);
                    leaf.error = error;
                    leaf.conflict = conflict;
                },
            )
            .await
        }
    }
}

type Refusal = (StatusCode, Option<String>, Option<ConflictView>);

/// A refused save, explained: a conflict with someone else's save shows what is stored now
/// and who saved it; anything else is the store's reason in the user's language.
#[allow(clippy::too_many_arguments)]
async fn refusal(
    state: &AppState,
    lang: Lang,
    loaded: &Loaded,
    node_id: i64,
    code: &str,
    version: Option<i64>,
    error: StoreError,
    answer: bool,
) -> AppResult<Refusal> {
    match error {
        StoreError::Conflict(english) => {
            let stage = if answer {
                assessments::get_sheet(&state.db, loaded.id())
                    .await?
                    .current_round
            } else {
                0
            };
            let current = assessments::leaf_scores(&state.db, loaded.id())
                .await?
                .into_iter()
                .find(|r| r.node_id == node_id && r.stage == stage);
            match current {
                Some(row) if Some(row.version) != version => {
                    let by = match row.updated_by {
                        Some(id) => users::get(&state.db, id)
                            .await
                            .map(|u| u.full_name)
                            .unwrap_or_else(|_| row.updated_by_name.clone()),
                        None => row.updated_by_name.clone(),
                    };
                    let stored = if answer {
                        row.answer.clone().unwrap_or_default()
                    } else {
                        let points = row
                            .points()
                            .map(|p| pts(lang, p))
                            .unwrap_or_else(|| t(lang, "assessment.no_points"));
                        match &row.explanation {
                            Some(e) => format!(
                                "{} {points}; {} «{e}»",
                                t(lang, "assessment.points"),
                                t(lang, "assessment.explanation")
                            ),
                            None => format!("{} {points}", t(lang, "assessment.points")),
                        }
                    };
                    Ok((
                        StatusCode::CONFLICT,
                        Some(t(lang, "assessment.conflict").replace("{code}", code)),
                        Some(ConflictView {
                            by,
                            at: i18n::date_time(row.updated_at),
                            stored,
                            version: row.version,
                        }),
                    ))
                }
                _ => Ok((StatusCode::CONFLICT, Some(message(lang, &english)), None)),
            }
        }
        StoreError::Invalid(english) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message(lang, &english)),
            None,
        )),
        StoreError::NotFound => Err(AppError::NotFound),
        other => Err(other.into()),
    }
}

// ── Evidence ────────────────────────────────────────────────────────────────────────────────

/// The uploaded file, or why the form is refused, to show in the leaf's row: no file chosen, a
/// body past the route's limit (a file too large, named when its part had begun), a field the
/// form does not have.
async fn read_upload(
    upload: Upload<EvidenceForm>,
    lang: Lang,
) -> AppResult<Result<ReceivedFile, (StatusCode, String)>> {
    Ok(match upload.read().await {
        Ok(received) => received.file.ok_or_else(|| {
            let none = t(lang, "assessment.upload_none");
            (StatusCode::UNPROCESSABLE_ENTITY, none)
        }),
        Err(UploadRefusal::TooLarge {
            file_name: Some(name),
            size,
            ..
        }) => Ok(ReceivedFile {
            name,
            bytes: Vec::new(),
            size,
        }),
        Err(UploadRefusal::TooLarge { .. }) => return Err(AppError::TooLarge),
        Err(UploadRefusal::Invalid(refusal)) => {
            Err((refusal.status(), refusal.message().to_string()))
        }
    })
}

/// Uploads a document to a leaf: checked by content, stored once per content, linked to the
/// leaf (as self-assessment evidence, or as extra evidence of an answer).
#[tracing::instrument(skip_all, fields(ids = ?ids))]
pub async fn upload(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
    headers: HeaderMap,
    upload_form: Upload<EvidenceForm>,
) -> AppResult<Response> {
    let lang = context.lang;
    // Who may upload is settled before a byte of the body is read.
    let (loaded, (sheet, node)) = load_for_change(&state, &principal, ids, EDIT_ROLES).await?;
    let (node_id, _) = leaf_of(&loaded, node)?;
    let role = loaded.role.expect("checked by load_for_change");
    let limit = upload_form.file_limit();
    let refused = |status: StatusCode, error: String| {
        leaf_answer(
            &state,
            &context,
            &principal,
            &headers,
            sheet,
            node_id,
            status,
            move |leaf| leaf.error = Some(error),
        )
    };
    let (raw_name, bytes, size) = match read_upload(upload_form, lang).await? {
        Ok(file) => (file.name, file.bytes, file.size),
        Err((status, message)) => return refused(status, message).await,
    };
    let name = evidence::sanitize_file_name(&raw_name);
    if size > limit {
        let error = UploadError::TooLarge {
            name: name.clone(),
            size,
            limit,
        };
        return refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            upload_message(lang, &name, &error),
        )
        .await;
    }
    if let Err(error) = evidence::check_upload(&raw_name, &bytes, limit) {
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            upload_message(lang, &name, &error),
        )
        .await;
    }
    let actor = principal.actor();
    let stored = evidence::upload(
        &state.db,
        state.blobs.as_ref(),
        &actor,
        &raw_name,
        &bytes,
        limit,
    )
    .await;
    let result = match stored {
        // Linked under this uploader's name: the same bytes uploaded by another unit keep
        // that unit's name on its own links only.
        Ok(file) => {
            evidence::link_named(
                &state.db,
                &actor,
                role,
                loaded.id(),
                node_id,
                file.id,
                &name,
                today(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            leaf_answer(
                &state,
                &context,
                &principal,
                &headers,
                sheet,
                node_id,
                StatusCode::OK,
                |leaf| leaf.saved_now = true,
            )
            .await
        }
        Err(StoreError::Invalid(english) | StoreError::Conflict(english)) => {
            refused(StatusCode::UNPROCESSABLE_ENTITY, message(lang, &english)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// Links a file the unit has already attached somewhere to another leaf (stored once).
#[tracing::instrument(skip_all, fields(ids = ?ids))]
pub async fn link(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
    headers: HeaderMap,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let lang = context.lang;
    let (loaded, (sheet, node)) = load_for_change(&state, &principal, ids, EDIT_ROLES).await?;
    let (node_id, _) = leaf_of(&loaded, node)?;
    let role = loaded.role.expect("checked by load_for_change");
    let file_id: Option<i64> = field(&pairs, "file_id").and_then(|v| v.trim().parse().ok());
    // Only a file the unit itself attached may be linked: a file id typed by hand could be
    // another unit's document.
    let own = sheet_queries::unit_files(&state.db, loaded.scope.sheet.unit_id).await?;
    let result = match file_id {
        Some(id) if own.iter().any(|f| f.file_id == id) => evidence::link(
            &state.db,
            &principal.actor(),
            role,
            loaded.id(),
            node_id,
            id,
            today(),
        )
        .await
        .map(|_| ()),
        Some(_) => return Err(AppError::Forbidden),
        None => Err(StoreError::Invalid(String::new())),
    };
    let (status, error) = match result {
        Ok(()) => (StatusCode::OK, None),
        Err(StoreError::Invalid(english)) if english.is_empty() => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(t(lang, "assessment.link_none")),
        ),
        Err(StoreError::Invalid(english) | StoreError::Conflict(english)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message(lang, &english)),
        ),
        Err(other) => return Err(other.into()),
    };
    leaf_answer(
        &state,
        &context,
        &principal,
        &headers,
        sheet,
        node_id,
        status,
        move |leaf| {
            leaf.saved_now = error.is_none();
            leaf.error = error;
        },
    )
    .await
}

/// Removes a file from a leaf (the file stays stored: other links and the log refer to it).
#[tracing::instrument(skip_all, fields(ids = ?ids))]
pub async fn unlink(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let lang = context.lang;
    let (loaded, (sheet, link)) = load_for_change(&state, &principal, ids, EDIT_ROLES).await?;
    let role = loaded.role.expect("checked by load_for_change");
    let link_id = link;
    let files = evidence::files_for_sheet(&state.db, loaded.id()).await?;
    // The link must belong to this sheet: the sheet's own people are checked, not another's.
    let linked = files
        .iter()
        .find(|f| f.link_id == link_id)
        .ok_or(AppError::NotFound)?;
    let node_id = linked.node_id;
    let (status, error) =
        match evidence::unlink(&state.db, &principal.actor(), role, link_id, today()).await {
            Ok(()) => (StatusCode::OK, None),
            Err(StoreError::Invalid(english) | StoreError::Conflict(english)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(message(lang, &english)),
            ),
            Err(other) => return Err(other.into()),
        };
    leaf_answer(
        &state,
        &context,
        &principal,
        &headers,
        sheet,
        node_id,
        status,
        move |leaf| {
            leaf.saved_now = error.is_none();
            leaf.error = error;
        },
    )
    .await
}

/// `filename*` of RFC 5987: UTF-8, percent-encoded.
fn rfc5987(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// An ASCII stand-in for old clients: Vietnamese letters without their marks, anything else
/// that could break the header replaced.
fn ascii_name(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            'à' | 'á' | 'ả' | 'ã' | 'ạ' | 'ă' | 'ằ' | 'ắ' | 'ẳ' | 'ẵ' | 'ặ' | 'â' | 'ầ' | 'ấ'
            | 'ẩ' | 'ẫ' | 'ậ' => 'a',
            'À' | 'Á' | 'Ả' | 'Ã' | 'Ạ' | 'Ă' | 'Ằ' | 'Ắ' | 'Ẳ' | 'Ẵ' | 'Ặ' | 'Â' | 'Ầ' | 'Ấ'
            | 'Ẩ' | 'Ẫ' | 'Ậ' => 'A',
            'è' | 'é' | 'ẻ' | 'ẽ' | 'ẹ' | 'ê' | 'ề' | 'ế' | 'ể' | 'ễ' | 'ệ' => {
                'e'
            }
            'È' | 'É' | 'Ẻ' | 'Ẽ' | 'Ẹ' | 'Ê' | 'Ề' | 'Ế' | 'Ể' | 'Ễ' | 'Ệ' => {
                'E'
            }
            'ì' | 'í' | 'ỉ' | 'ĩ' | 'ị' => 'i',
            'Ì' | 'Í' | 'Ỉ' | 'Ĩ' | 'Ị' => 'I',
            'ò' | 'ó' | 'ỏ' | 'õ' | 'ọ' | 'ô' | 'ồ' | 'ố' | 'ổ' | 'ỗ' | 'ộ' | 'ơ' | 'ờ' | 'ớ'
            | 'ở' | 'ỡ' | 'ợ' => 'o',
            'Ò' | 'Ó' | 'Ỏ' | 'Õ' | 'Ọ' | 'Ô' | 'Ồ' | 'Ố' | 'Ổ' | 'Ỗ' | 'Ộ' | 'Ơ' | 'Ờ' | 'Ớ'
            | 'Ở' | 'Ỡ' | 'Ợ' => 'O',
            'ù' | 'ú' | 'ủ' | 'ũ' | 'ụ' | 'ư' | 'ừ' | 'ứ' | 'ử' | 'ữ' | 'ự' => {
                'u'
            }
            'Ù' | 'Ú' | 'Ủ' | 'Ũ' | 'Ụ' | 'Ư' | 'Ừ' | 'Ứ' | 'Ử' | 'Ữ' | 'Ự' => {
                'U'
            }
            'ỳ' | 'ý' | 'ỷ' | 'ỹ' | 'ỵ' => 'y',
            'Ỳ' | 'Ý' | 'Ỷ' | 'Ỹ' | 'Ỵ' => 'Y',
            'đ' => 'd',
            'Đ' => 'D',
            c if c.is_ascii_graphic() && c != '"' && c != '\\' && c != ';' => c,
            ' ' => ' ',
            _ => '_',
        })
        .collect()
}

/// Downloads an evidence file, for those who may read a sheet that links it.
#[tracing::instrument(skip_all, fields(file_id = ?file))]
pub async fn download(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    file: PathId,
) -> AppResult<Response> {
    let file_id = file.get()?;
    let all_units = units::list(&state.db).await?;
    // The name of the first readable sheet's link: each unit downloads under its own name.
    let mut allowed = None;
    for sheet in evidence::sheets_linking(&state.db, file_id).await? {
        let status = assessments::get_sheet(&state.db, sheet.sheet_id)
            .await?
            .status();
        let campaign = chiso_store::campaigns::get(&state.db, sheet.campaign_id)
            .await?
            .state();
        let roles = unit_roles(&principal, &all_units, sheet.unit_id);
        if may_read(&principal, &roles, status, campaign) {
            allowed = Some(sheet.file_name);
            break;
        }
    }
    // A file one may not read answers as one that does not exist: ids are not enumerable.
    let name = allowed.ok_or(AppError::NotFound)?;
    let (row, bytes) = evidence::read_file(&state.db, state.blobs.as_ref(), file_id).await?;
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_name(&name),
        rfc5987(&name)
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&row.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

// ── History ─────────────────────────────────────────────────────────────────────────────────

/// The audit rows of one leaf (who, when, stage, old → new, reason), for those who may read
/// the sheet; htmx loads the table into the leaf row.
#[tracing::instrument(skip_all, fields(ids = ?ids))]
pub async fn history(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let lang = context.lang;
    let (sheet, node) = ids.get()?;
    let loaded = load(&state, &principal, sheet).await?;
    let (node_id, leaf) = leaf_of(&loaded, node)?;
    let records = assessments::leaf_history(&state.db, loaded.id(), node_id).await?;
    let node = loaded.scope.framework().node(leaf);
    let rows = records
        .into_iter()
        // A unit reads the appraisal of a round only once the round is closed; the audit of
        // an open round is the council's until then.
        .filter(|r| {
            loaded.role.is_none()
                || r.field
                    .as_deref()
                    .and_then(assessments::parse_stage_field)
                    .is_none_or(|(stage, field)| {
                        stage == 0
                            || field == "answer"
                            || field == "evidence"
                            || stage < loaded.scope.sheet.current_round
                            || !matches!(loaded.status(), SheetStatus::InAppraisal)
                    })
        })
        .map(|r| {
            let (stage, field) = r
                .field
                .as_deref()
                .and_then(assessments::parse_stage_field)
                .map(|(stage, field)| (stage, field.to_string()))
                .unwrap_or((0, r.field.clone().unwrap_or_default()));
            let stage_label = if stage == 0 {
                t(lang, "assessment.stage_self")
            } else {
                t(lang, "assessment.stage_round").replace("{n}", &stage.to_string())
            };
            let field_label = match field.as_str() {
                "points"
                | "input"
                | "explanation"
                | "comment"
                | "answer"
                | "evidence"
                | "explanation_requested"
                | "reviewed" => t(lang, &format!("assessment.field_{field}")),
                other => other.to_string(),
            };
            let value = |v: Option<String>| match v.as_deref() {
                None => "—".to_string(),
                Some("true") => t(lang, "common.yes"),
                Some("false") => t(lang, "common.no"),
                Some(text) if field == "points" => text
                    .parse::<f64>()
                    .map(|n| i18n::points(lang, n))
                    .unwrap_or_else(|_| text.to_string()),
                Some(text) => text.to_string(),
            };
            HistoryRow {
                at: i18n::date_time(r.at),
                actor: r.actor_name.clone(),
                stage: stage_label,
                field: field_label,
                old: value(r.old_value.clone()),
                new: value(r.new_value.clone()),
                reason: r.reason.clone().unwrap_or_default(),
            }
        })
        .collect();
    let mut page = Page::new(&context, "assessment.history_title");
    page.title = format!("{} {}", page.title, node.code);
    if is_htmx(&headers) {
        return Ok(HistoryFragment { page, rows }.into_response());
    }
    Ok(HistoryPage {
        page,
        sheet_id: loaded.id(),
        code: node.code.clone(),
        title: node.title.clone(),
        rows,
    }
    .into_response())
}

// ── Submit, withdraw, explanations ──────────────────────────────────────────────────────────

/// Renders the sheet page with refusal messages (a submission that failed its checks).
async fn refused_page(
    state: &AppState,
    context: &Context,
    principal: &Principal,
    sheet: i64,
    status: StatusCode,
    errors: Vec<String>,
    problems_refused: bool,
) -> AppResult<Response> {
    let loaded = load(state, principal, sheet).await?;
    let view = build(state, context.lang, &loaded).await?;
    let page = sheet_page(context, &view);
    Ok((
        status,
        ShowPage {
            page,
            sheet: view,
            errors,
            problems_refused,
        },
    )
        .into_response())
}

/// The answer to a leader's sign-off (submit, withdraw, explanations): back to the sheet with
/// the message `done_key`, or the sheet again with the store's refusal and its status.
async fn sign_off_outcome<T>(
    state: &AppState,
    context: &Context,
    principal: &Principal,
    sheet: i64,
    sheet_id: i64,
    done_key: &str,
    result: Result<T, StoreError>,
) -> AppResult<Response> {
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/tu-danh-gia/{sheet_id}?msg={done_key}")).into_response())
        }
        Err(e) => {
            let (status, text) = store_refusal(context.lang, e)?;
            refused_page(state, context, principal, sheet, status, vec![text], false).await
        }
    }
}

fn store_refusal(lang: Lang, error: StoreError) -> AppResult<(StatusCode, String)> {
    match error {
        StoreError::Invalid(english) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, message(lang, &english)))
        }
        StoreError::Conflict(english) => Ok((StatusCode::CONFLICT, message(lang, &english))),
        other => Err(other.into()),
    }
}

/// The leader submits the sheet as reviewed (the version of the page they read): refused
/// with every offending leaf when the submission check fails.
#[tracing::instrument(skip_all, fields(sheet_id = ?sheet))]
pub async fn submit(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    sheet: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let lang = context.lang;
    let (loaded, sheet) = load_for_change(&state, &principal, sheet, SIGN_ROLES).await?;
    let version = field(&pairs, "version")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(loaded.scope.sheet.version);
    // The submission check first, so that each offending leaf is listed as a link.
    let problems = assessments::submission_problems(&state.db, loaded.id()).await?;
    if !problems.is_empty() && loaded.status() == SheetStatus::Draft {
        return refused_page(
            &state,
            &context,
            &principal,
            sheet,
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![t(lang, "assessment.submit_refused")],
            true,
        )
        .await;
    }
    let result = assessments::submit(
        &state.db,
        &principal.actor(),
        Role::UnitLeader,
        loaded.id(),
        version,
        today(),
    )
    .await;
    sign_off_outcome(
        &state,
        &context,
        &principal,
        sheet,
        loaded.id(),
        "assessment.submitted",
        result,
    )
    .await
}

/// The leader withdraws the submitted sheet back to draft, while appraisal has not started.
#[tracing::instrument(skip_all, fields(sheet_id = ?sheet))]
pub async fn withdraw(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    sheet: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let (loaded, sheet) = load_for_change(&state, &principal, sheet, SIGN_ROLES).await?;
    let reason = field(&pairs, "reason")
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let result = assessments::withdraw(
        &state.db,
        &principal.actor(),
        Role::UnitLeader,
        loaded.id(),
        today(),
        reason,
    )
    .await;
    sign_off_outcome(
        &state,
        &context,
        &principal,
        sheet,
        loaded.id(),
        "assessment.withdrawn",
        result,
    )
    .await
}

/// The leader submits the answers to the explanation requests; refused while a flagged leaf
/// has no answer, naming each.
#[tracing::instrument(skip_all, fields(sheet_id = ?sheet))]
pub async fn submit_explanation(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    sheet: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let (loaded, sheet) = load_for_change(&state, &principal, sheet, SIGN_ROLES).await?;
    let version = field(&pairs, "version")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(loaded.scope.sheet.version);
    let result = assessments::submit_explanation(
        &state.db,
        &principal.actor(),
        Role::UnitLeader,
        loaded.id(),
        version,
        today(),
    )
    .await;
    sign_off_outcome(
        &state,
        &context,
        &principal,
        sheet,
        loaded.id(),
        "assessment.explanation_submitted",
        result,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_day_first_and_names_survive_headers() {
        assert_eq!(
            day_first_dates("the self-assessment deadline (2026-12-20) has passed"),
            "the self-assessment deadline (20/12/2026) has passed"
        );
        assert_eq!(
            day_first_dates("version 12026-12-201"),
            "version 12026-12-201"
        );
        assert_eq!(ascii_name("Báo cáo \"quý\" 4.pdf"), "Bao cao _quy_ 4.pdf");
        assert_eq!(rfc5987("Báo cáo.pdf"), "B%C3%A1o%20c%C3%A1o.pdf");
        assert_eq!(decimal("1,5"), Ok(Some("1.5".into())));
        assert_eq!(decimal(" "), Ok(None));
        assert_eq!(decimal("1,2,3"), Err(()));
        assert_eq!(decimal("abc"), Err(()));
    }
}
