//! The council and secretariat screens of issue 4: the appraisers' work list (/tham-dinh) and
//! the side-by-side appraisal of a sheet, the secretariat's round control, extensions,
//! finalization and publication on a campaign, the progress dashboard with its .xlsx export,
//! the results with their ranking, chart and .xlsx export, and the campaign's audit log as CSV.
//!
//! Every handler checks who may do what before it loads anything; the workflow rules (which
//! round may open, which leaf an appraiser may score, when a campaign may be finalized or
//! published) are the domain's and the store's, asked here and shown in the user's language.
//! The unit's side (its scoresheet, evidence downloads, a leaf's history) lives in
//! `routes::assessment`; these pages link to it.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chiso_domain::access::{Permission, Role};
use chiso_domain::assessment::{self as rules, SheetAction, SheetStatus, Stage};
use chiso_domain::campaign::CampaignState;
use chiso_domain::{Bands, Framework, Method, NodeId, Points, Rule, ScoreSheet, compute_unit};
use chiso_store::appraisal_queries::{self, CouncilSheet, RoundMark};
use chiso_store::assessments::{
    self, AppraisalEntry, ExtensionGrant, LeafScore, ProgressRow, PublishedResults, SheetRow,
};
use chiso_store::audit::AuditFilter;
use chiso_store::campaigns::{self, CampaignRow, CampaignUnit};
use chiso_store::evidence::{self, LinkedFile};
use chiso_store::{StoreError, frameworks, units};
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};
use serde::Deserialize;

use crate::auth::{Auth, Context, Principal};
use crate::error::{AppError, AppResult, urlencode};
use crate::extract::{Form, PathId, Query, State};
use crate::forms::{Pairs, field, field_error_key as field_error, tr};
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::views::Page;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tham-dinh", get(index))
        .route("/tham-dinh/{sheet}", get(sheet))
        .route("/tham-dinh/{sheet}/tieu-chi/{node}", post(appraise))
        .route("/dot-danh-gia/{id}/mo-vong", post(open_round))
        .route("/dot-danh-gia/{id}/dong-vong", post(close_round))
        .route("/dot-danh-gia/{id}/gia-han", post(grant_extension))
        .route("/dot-danh-gia/{id}/chot-ket-qua", post(finalize))
        .route("/dot-danh-gia/{id}/cong-bo", post(publish))
        .route("/dot-danh-gia/{id}/tien-do", get(progress))
        .route("/dot-danh-gia/{id}/tien-do.xlsx", get(progress_xlsx))
        .route("/dot-danh-gia/{id}/ket-qua", get(results))
        .route("/dot-danh-gia/{id}/ket-qua.xlsx", get(results_xlsx))
        .route("/dot-danh-gia/{id}/nhat-ky.csv", get(audit_csv))
}

// ── Shared helpers ──────────────────────────────────────────────────────────────────────────

/// The secretariat and the administrator run the calendar (ManageCampaigns).
fn is_staff(principal: &Principal) -> bool {
    principal.can(Permission::ManageCampaigns)
}

/// The role a staff member acts in for the workflow rules, which name the secretariat and the
/// administrator separately.
fn council_role(principal: &Principal) -> Role {
    if principal.has_role(Role::Secretariat) {
        Role::Secretariat
    } else {
        Role::Admin
    }
}

/// The areas an appraiser scores: the union of their appraiser roles' areas; a role without
/// areas covers every area (`None`), as the users screen says ("để trống: mọi lĩnh vực").
fn appraiser_areas(principal: &Principal) -> Option<Vec<String>> {
    let mut areas = BTreeSet::new();
    for assignment in &principal.roles {
        if assignment.role != Role::Appraiser {
            continue;
        }
        let own = assignment.areas();
        if own.is_empty() {
            return None;
        }
        areas.extend(own.into_iter().map(|a| a.trim().to_string()));
    }
    Some(areas.into_iter().collect())
}

/// The campaign-level refusal of a store rule, in the user's language; other errors stay
/// errors.
fn refusal(lang: Lang, error: StoreError) -> AppResult<String> {
    match error {
        StoreError::Invalid(message) | StoreError::Conflict(message) => {
            Ok(i18n::message(lang, &message))
        }
        other => Err(AppError::from(other)),
    }
}

fn pts(lang: Lang, points: Points) -> String {
    i18n::points(lang, points.to_f64())
}

fn stored_pts(lang: Lang, ten_thousandths: Option<i64>) -> String {
    ten_thousandths
        .map(|p| pts(lang, Points::from_ten_thousandths(p)))
        .unwrap_or_else(|| "—".into())
}

fn status_label(lang: Lang, status: &str) -> &'static str {
    i18n::text(lang, &format!("appraisal.status_{status}"))
}

fn state_label(lang: Lang, state: CampaignState) -> &'static str {
    i18n::text(lang, &format!("common.state_{}", state.as_str()))
}

/// A group's name as people read it: the kind of unit when the group is named after one.
fn group_label(lang: Lang, group: &str) -> String {
    match chiso_domain::org::OrgKind::parse(group) {
        Some(kind) => i18n::text(lang, &format!("common.kind_{}", kind.as_str())).to_string(),
        None => group.to_string(),
    }
}

/// A date from a date input or typed the Vietnamese way; blank or unreadable is none.
fn parse_date(text: &str) -> Option<NaiveDate> {
    crate::forms::parse_date(text).ok().flatten()
}

/// A decimal typed the Vietnamese way (`1,5`) or with a dot.
fn decimal_text(text: &str) -> String {
    text.trim().replace(',', ".")
}

/// Lowercase without Vietnamese marks, đ → d: "Sở Tư pháp" is found by "so tu phap".
fn fold(text: &str) -> String {
    const GROUPS: &[(&str, char)] = &[
        ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
        ("èéẻẽẹêềếểễệ", 'e'),
        ("ìíỉĩị", 'i'),
        ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
        ("ùúủũụưừứửữự", 'u'),
        ("ỳýỷỹỵ", 'y'),
        ("đ", 'd'),
    ];
    text.to_lowercase()
        .chars()
        .map(|c| {
            GROUPS
                .iter()
                .find(|(letters, _)| letters.contains(c))
                .map(|(_, plain)| *plain)
                .unwrap_or(c)
        })
        .collect()
}

/// Framework node id (database) → node of the tree.
fn node_map(stored: &frameworks::StoredFramework) -> HashMap<i64, NodeId> {
    stored
        .node_ids
        .iter()
        .filter_map(|(code, &id)| stored.framework.find(code).map(|node| (id, node)))
        .collect()
}

/// Whether the leaf is one the council scores: every leaf but the survey-derived ones.
fn appraisable(framework: &Framework, leaf: NodeId) -> bool {
    framework.node(leaf).method != Method::Survey
}

fn download(content_type: &'static str, file_name: String, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn xlsx_error(error: XlsxError) -> AppError {
    AppError::Internal(anyhow::anyhow!("cannot build the workbook: {error}"))
}

// ── The council panel on a campaign (round control, extensions, finalize, publish) ──────────

/// One appraisal round of a campaign as the panel shows it.
pub struct RoundLine {
    pub no: i64,
    /// `not_opened`, `open` or `closed`.
    pub phase: &'static str,
    pub phase_label: &'static str,
    /// When and by whom it opened / closed.
    pub detail: String,
    pub can_open: bool,
    pub can_close: bool,
}

/// An extension as the panel lists it.
pub struct ExtensionLine {
    pub unit: String,
    pub stage: &'static str,
    pub until: String,
    pub reason: String,
    pub granted: String,
}

/// The secretariat's controls of the assessment stage of one campaign.
pub struct Controls {
    pub rounds: Vec<RoundLine>,
    pub can_finalize: bool,
    pub can_publish: bool,
    pub can_extend: bool,
    /// The participating units, for the extension form.
    pub units: Vec<CampaignUnit>,
    pub extensions: Vec<ExtensionLine>,
    /// Why nothing can be done now, when that is the case.
    pub waiting: Option<&'static str>,
}

/// A link of the panel.
pub struct PanelLink {
    pub href: String,
    pub label: &'static str,
    pub id: &'static str,
}

/// What the campaign page and the council's list show of the assessment stage: links to the
/// screens the user may open and, for the secretariat, the controls.
pub struct Panel {
    pub campaign_id: i64,
    pub links: Vec<PanelLink>,
    pub controls: Option<Controls>,
    /// Where the control forms come back to: `campaign` or `council`.
    pub back: &'static str,
    /// Prefixed to element ids: empty on the campaign page (`open-round-1`, `finalize`), the
    /// campaign's on the council's list, which shows several campaigns (`c7-open-round-1`).
    pub prefix: String,
}

/// The panel of a campaign for a user, or `None` while the campaign is a draft.
pub async fn panel(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    campaign: &CampaignRow,
    back: &'static str,
) -> AppResult<Option<Panel>> {
    let current = campaign.state();
    if current == CampaignState::Draft {
        return Ok(None);
    }
    let staff = is_staff(principal);
    let id = campaign.id;
    let mut links = Vec::new();
    if back != "council" && (staff || principal.has_role(Role::Appraiser)) {
        links.push(PanelLink {
            href: "/tham-dinh".into(),
            label: i18n::text(lang, "appraisal.link_council"),
            id: "link-council",
        });
    }
    if staff || principal.has_role(Role::Viewer) {
        links.push(PanelLink {
            href: format!("/dot-danh-gia/{id}/tien-do"),
            label: i18n::text(lang, "appraisal.link_progress"),
            id: "link-progress",
        });
    }
    if current == CampaignState::Published || (staff && current == CampaignState::Finalized) {
        links.push(PanelLink {
            href: format!("/dot-danh-gia/{id}/ket-qua"),
            label: i18n::text(
                lang,
                if current == CampaignState::Published {
                    "appraisal.link_results"
                } else {
                    "appraisal.link_preview"
                },
            ),
            id: "link-results",
        });
    }
    if principal.can(Permission::ViewAudit) {
        links.push(PanelLink {
            href: format!("/dot-danh-gia/{id}/nhat-ky.csv"),
            label: i18n::text(lang, "appraisal.link_audit"),
            id: "link-audit",
        });
    }
    let controls = if staff {
        Some(controls(state, lang, campaign).await?)
    } else {
        None
    };
    if links.is_empty() && controls.is_none() {
        return Ok(None);
    }
    Ok(Some(Panel {
        campaign_id: id,
        links,
        controls,
        back,
        prefix: if back == "council" {
            format!("c{id}-")
        } else {
            String::new()
        },
    }))
}

async fn controls(state: &AppState, lang: Lang, campaign: &CampaignRow) -> AppResult<Controls> {
    let db = &state.db;
    let states = assessments::round_states(db, campaign.id).await?;
    let phases = assessments::phases(&states, campaign.appraisal_rounds);
    let current = campaign.state();
    let role = Role::Secretariat;
    let count = campaign.appraisal_rounds.max(0) as u32;
    let rounds = (1..=count)
        .map(|round| {
            let phase = phases
                .get(round as usize - 1)
                .copied()
                .unwrap_or(rules::RoundPhase::NotOpened);
            let stored = states.iter().find(|s| s.round_no == i64::from(round));
            let detail = match stored {
                Some(s) => match (&s.closed_at, &s.closed_by_name) {
                    (Some(at), Some(by)) => tr(
                        lang,
                        "appraisal.round_closed_detail",
                        &[
                            ("opened", &i18n::date_time(s.opened_at)),
                            ("at", &i18n::date_time(*at)),
                            ("by", by),
                        ],
                    ),
                    _ => tr(
                        lang,
                        "appraisal.round_open_detail",
                        &[
                            ("at", &i18n::date_time(s.opened_at)),
                            ("by", &s.opened_by_name),
                        ],
                    ),
                },
                None => String::new(),
            };
            RoundLine {
                no: i64::from(round),
                phase: phase.as_str(),
                phase_label: i18n::text(lang, &format!("appraisal.phase_{}", phase.as_str())),
                detail,
                can_open: rules::check_open_round(role, current, &phases, count, round).is_ok(),
                can_close: rules::check_close_round(role, current, &phases, round).is_ok(),
            }
        })
        .collect::<Vec<_>>();
    let can_finalize = rules::check_finalize(role, current, &phases).is_ok();
    let can_publish = rules::check_campaign_action(role, SheetAction::Publish, current).is_ok();
    let can_extend =
        rules::check_campaign_action(role, SheetAction::GrantExtension, current).is_ok();
    let units = campaigns::units(db, campaign.id).await?;
    let names: HashMap<i64, String> = units
        .iter()
        .map(|u| (u.unit_id, format!("{} {}", u.unit_code, u.unit_name)))
        .collect();
    let extensions = assessments::extensions(db, campaign.id)
        .await?
        .into_iter()
        .map(|e| ExtensionLine {
            unit: names
                .get(&e.unit_id)
                .cloned()
                .unwrap_or_else(|| format!("#{}", e.unit_id)),
            stage: i18n::text(lang, &format!("appraisal.stage_{}", e.stage)),
            until: i18n::date(e.valid_until),
            reason: e.reason,
            granted: format!("{} · {}", e.granted_by_name, i18n::date_time(e.granted_at)),
        })
        .collect();
    let any_action =
        can_finalize || can_publish || rounds.iter().any(|r| r.can_open || r.can_close);
    let waiting = (!any_action).then_some(match current {
        CampaignState::Published => "appraisal.waiting_published",
        _ => "appraisal.waiting_nothing",
    });
    Ok(Controls {
        rounds,
        can_finalize,
        can_publish,
        can_extend,
        units,
        extensions,
        waiting,
    })
}

/// Where a control form came from, so the answer comes back there.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Back {
    Campaign,
    Council,
}

impl Back {
    fn of(pairs: &Pairs) -> Back {
        if field(pairs, "back") == "council" {
            Back::Council
        } else {
            Back::Campaign
        }
    }

    fn done(self, campaign_id: i64, message_key: &str) -> Response {
        let target = match self {
            Back::Council => format!("/tham-dinh?msg={message_key}#c{campaign_id}-council"),
            Back::Campaign => format!("/dot-danh-gia/{campaign_id}?msg={message_key}#council"),
        };
        Redirect::to(&target).into_response()
    }
}

/// The page the form came from again, with the reason it was refused (422).
async fn refused(
    state: &AppState,
    principal: &Principal,
    context: &Context,
    campaign_id: i64,
    back: Back,
    message: String,
) -> AppResult<Response> {
    match back {
        Back::Council => {
            let page = index_page(state, principal, context, Some(message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Back::Campaign => {
            super::campaigns::refused_page(state, principal, context, campaign_id, message).await
        }
    }
}

/// The round number of a round form, or the message naming the field.
fn round_field(lang: Lang, pairs: &Pairs) -> Result<u32, String> {
    field(pairs, "round")
        .parse::<u32>()
        .ok()
        .filter(|r| *r >= 1)
        .ok_or_else(|| field_error(lang, "appraisal.round", "appraisal.error_round"))
}

/// The secretariat opens appraisal round k (round 1 moves an open campaign to appraisal).
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn open_round(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    campaigns::get(&state.db, id).await?;
    let lang = context.lang;
    let back = Back::of(&pairs);
    let round = match round_field(lang, &pairs) {
        Ok(round) => round,
        Err(message) => return refused(&state, &principal, &context, id, back, message).await,
    };
    let reason = Some(field(&pairs, "reason")).filter(|r| !r.is_empty());
    let result = assessments::open_round(
        &state.db,
        &principal.actor(),
        council_role(&principal),
        id,
        round,
        reason,
    )
    .await;
    match result {
        Ok(_) => Ok(back.done(id, "appraisal.round_opened")),
        Err(error) => {
            let message = refusal(lang, error)?;
            refused(&state, &principal, &context, id, back, message).await
        }
    }
}

/// The secretariat closes the open round: sheets with flagged leaves go to the unit for an
/// explanation, the others are appraised.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn close_round(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    campaigns::get(&state.db, id).await?;
    let lang = context.lang;
    let back = Back::of(&pairs);
    let round = match round_field(lang, &pairs) {
        Ok(round) => round,
        Err(message) => return refused(&state, &principal, &context, id, back, message).await,
    };
    let reason = Some(field(&pairs, "reason")).filter(|r| !r.is_empty());
    let result = assessments::close_round(
        &state.db,
        &principal.actor(),
        council_role(&principal),
        id,
        round,
        reason,
    )
    .await;
    match result {
        Ok(()) => Ok(back.done(id, "appraisal.round_closed")),
        Err(error) => {
            let message = refusal(lang, error)?;
            refused(&state, &principal, &context, id, back, message).await
        }
    }
}

/// The secretariat grants a unit an extension for a stage, with a date and a reason.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn grant_extension(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    campaigns::get(&state.db, id).await?;
    let lang = context.lang;
    let back = Back::of(&pairs);
    let mut errors = Vec::new();
    let unit_id = field(&pairs, "unit_id").parse::<i64>().ok();
    if unit_id.is_none() {
        errors.push(field_error(lang, "appraisal.unit", "appraisal.error_unit"));
    }
    let stage = Stage::parse(field(&pairs, "stage"));
    if stage.is_none() {
        errors.push(field_error(
            lang,
            "appraisal.stage",
            "appraisal.error_stage",
        ));
    }
    let until = parse_date(field(&pairs, "until"));
    if until.is_none() {
        errors.push(field_error(lang, "appraisal.until", "appraisal.error_date"));
    }
    let reason = field(&pairs, "reason");
    if reason.is_empty() {
        errors.push(field_error(
            lang,
            "appraisal.reason",
            "appraisal.error_required",
        ));
    }
    let (Some(unit_id), Some(stage), Some(until), true) =
        (unit_id, stage, until, errors.is_empty())
    else {
        return refused(&state, &principal, &context, id, back, errors.join("; ")).await;
    };
    let grant = ExtensionGrant {
        unit_id,
        stage,
        until,
        reason: reason.to_string(),
    };
    let result = assessments::grant_extension(
        &state.db,
        &principal.actor(),
        council_role(&principal),
        id,
        &grant,
    )
    .await;
    match result {
        Ok(_) => Ok(back.done(id, "appraisal.extension_granted")),
        Err(error) => {
            let message = refusal(lang, error)?;
            refused(&state, &principal, &context, id, back, message).await
        }
    }
}

/// The secretariat finalizes the campaign: final points are frozen (the last round's value,
/// else the unit's own).
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn finalize(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    campaigns::get(&state.db, id).await?;
    let back = Back::of(&pairs);
    let reason = Some(field(&pairs, "reason")).filter(|r| !r.is_empty());
    let result = assessments::finalize(
        &state.db,
        &principal.actor(),
        council_role(&principal),
        id,
        reason,
    )
    .await;
    match result {
        Ok(()) => Ok(back.done(id, "appraisal.finalized")),
        Err(error) => {
            let message = refusal(context.lang, error)?;
            refused(&state, &principal, &context, id, back, message).await
        }
    }
}

/// The secretariat publishes a finalized campaign: the ranking is computed and frozen, and
/// every signed-in role may read it.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn publish(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    campaigns::get(&state.db, id).await?;
    let back = Back::of(&pairs);
    let reason = Some(field(&pairs, "reason")).filter(|r| !r.is_empty());
    let result = assessments::publish(
        &state.db,
        &principal.actor(),
        council_role(&principal),
        id,
        reason,
    )
    .await;
    match result {
        Ok(_) => Ok(back.done(id, "appraisal.published")),
        Err(error) => {
            let message = refusal(context.lang, error)?;
            refused(&state, &principal, &context, id, back, message).await
        }
    }
}

// ── The council's list (/tham-dinh) ─────────────────────────────────────────────────────────

/// A sheet in the council's list, with the appraisal progress in the viewer's areas.
pub struct SheetLine {
    pub sheet_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub group: String,
    pub status: String,
    pub status_label: &'static str,
    pub round: i64,
    /// Leaves the open round reviews in the viewer's areas, and how many are reviewed.
    pub in_scope: u32,
    pub reviewed: u32,
    /// Leaves flagged for explanation in the sheet's round.
    pub flagged: i64,
    pub percent: u32,
    pub self_total: String,
    pub appraised_total: String,
}

/// One campaign of the council's list.
pub struct CampaignBlock {
    pub campaign: CampaignRow,
    pub state_label: &'static str,
    pub open_round: Option<u32>,
    /// The sheets of the open round.
    pub in_round: Vec<SheetLine>,
    /// The other sheets that left the draft stage (read-only here).
    pub others: Vec<SheetLine>,
    pub panel: Option<Panel>,
}

#[derive(Template, WebTemplate)]
#[template(path = "appraisal/index.html")]
pub struct IndexPage {
    page: Page,
    blocks: Vec<CampaignBlock>,
    staff: bool,
    /// The appraiser's areas as text; empty for every area.
    areas: String,
    error: Option<String>,
}

/// The leaves round `round` reviews on one sheet, in some areas, and how many are reviewed:
/// round 1 every leaf the unit assessed, a later round only the leaves flagged in the round
/// before (domain.md §2.6).
fn round_progress(
    framework: &Framework,
    nodes: &HashMap<i64, NodeId>,
    marks: &[&RoundMark],
    round: i64,
    areas: Option<&[String]>,
) -> (u32, u32) {
    let flagged_before: BTreeSet<NodeId> = marks
        .iter()
        .filter(|m| m.stage == round - 1 && m.explanation_requested)
        .filter_map(|m| nodes.get(&m.node_id).copied())
        .collect();
    let reviewed: BTreeSet<NodeId> = marks
        .iter()
        .filter(|m| m.stage == round)
        .filter_map(|m| nodes.get(&m.node_id).copied())
        .collect();
    let mut in_scope = 0;
    let mut done = 0;
    for &leaf in framework.leaves() {
        if !appraisable(framework, leaf) || !rules::in_areas(framework, leaf, areas) {
            continue;
        }
        if round > 1 && !flagged_before.contains(&leaf) {
            continue;
        }
        in_scope += 1;
        if reviewed.contains(&leaf) {
            done += 1;
        }
    }
    (in_scope, done)
}

async fn index_page(
    state: &AppState,
    principal: &Principal,
    context: &Context,
    error: Option<String>,
) -> AppResult<IndexPage> {
    let staff = is_staff(principal);
    let appraiser = principal.has_role(Role::Appraiser);
    if !staff && !appraiser {
        return Err(AppError::Forbidden);
    }
    let lang = context.lang;
    let db = &state.db;
    let areas = if appraiser {
        appraiser_areas(principal)
    } else {
        None
    };
    let shown: &[CampaignState] = if staff {
        &[
            CampaignState::Open,
            CampaignState::Appraisal,
            CampaignState::Finalized,
        ]
    } else {
        &[CampaignState::Appraisal]
    };
    let mut blocks = Vec::new();
    for campaign in campaigns::list(db).await? {
        if !shown.contains(&campaign.state()) {
            continue;
        }
        let sheets = appraisal_queries::council_sheets(db, campaign.id).await?;
        let open = assessments::open_round_of(db, campaign.id).await?;
        let marks = match open {
            Some(round) => {
                appraisal_queries::round_marks(db, campaign.id, i64::from(round)).await?
            }
            None => Vec::new(),
        };
        let mut loaded: HashMap<i64, (Framework, HashMap<i64, NodeId>)> = HashMap::new();
        for sheet in &sheets {
            if let std::collections::hash_map::Entry::Vacant(slot) =
                loaded.entry(sheet.framework_id)
            {
                let stored = frameworks::load(db, sheet.framework_id).await?;
                let nodes = node_map(&stored);
                slot.insert((stored.framework, nodes));
            }
        }
        let mut in_round = Vec::new();
        let mut others = Vec::new();
        for sheet in &sheets {
            let in_open_round = sheet.status == SheetStatus::InAppraisal.as_str()
                && open.map(i64::from) == Some(sheet.current_round);
            let (in_scope, reviewed) = match (in_open_round, loaded.get(&sheet.framework_id)) {
                (true, Some((framework, nodes))) => {
                    let own: Vec<&RoundMark> = marks
                        .iter()
                        .filter(|m| m.sheet_id == sheet.sheet_id)
                        .collect();
                    round_progress(
                        framework,
                        nodes,
                        &own,
                        sheet.current_round,
                        areas.as_deref(),
                    )
                }
                _ => (0, 0),
            };
            let line = sheet_line(lang, sheet, in_scope, reviewed);
            // A sheet whose round reviews nothing in this appraiser's areas is not theirs to
            // score now (round 2 re-scores flagged leaves only).
            if in_open_round && in_scope > 0 {
                in_round.push(line);
            } else {
                others.push(line);
            }
        }
        let panel = panel(state, principal, lang, &campaign, "council").await?;
        blocks.push(CampaignBlock {
            state_label: state_label(lang, campaign.state()),
            open_round: open,
            in_round,
            others,
            panel: if staff { panel } else { None },
            campaign,
        });
    }
    Ok(IndexPage {
        page: Page::new(context, "appraisal.index_title"),
        blocks,
        staff,
        areas: areas.map(|a| a.join(", ")).unwrap_or_default(),
        error,
    })
}

fn sheet_line(lang: Lang, sheet: &CouncilSheet, in_scope: u32, reviewed: u32) -> SheetLine {
    SheetLine {
        sheet_id: sheet.sheet_id,
        unit_code: sheet.unit_code.clone(),
        unit_name: sheet.unit_name.clone(),
        group: group_label(lang, &sheet.unit_group),
        status: sheet.status.clone(),
        status_label: status_label(lang, &sheet.status),
        round: sheet.current_round,
        in_scope,
        reviewed,
        flagged: sheet.flagged,
        percent: (reviewed * 100).checked_div(in_scope).unwrap_or(0),
        self_total: stored_pts(lang, Some(sheet.self_total)),
        appraised_total: stored_pts(lang, Some(sheet.appraised_total)),
    }
}

/// The appraisers' work list: the campaigns in appraisal and the sheets of the open round,
/// with the progress in the appraiser's areas; the secretariat also gets the round control.
#[tracing::instrument(skip_all)]
pub async fn index(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<IndexPage> {
    index_page(&state, &principal, &context, None).await
}

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
    page: Page,
    campaign_id: i64,
    campaign_title: String,
    sheet_id: i64,
    unit_code: String,
    unit_name: String,
    status: String,
    status_label: &'static str,
    round: i64,
    rounds_total: i64,
    round_open: bool,
    appraiser: bool,
    areas_text: String,
    areas: Vec<AreaView>,
    totals: Totals,
}

/// What an appraiser typed on a leaf, kept when the save was refused (nothing is lost), or
/// the mark that it was saved.
struct Typed {
    node_id: i64,
    points: String,
    input: String,
    comment: String,
    requested: bool,
    /// The version to send next: after a conflict, the one stored now, so that saving again
    /// is a deliberate overwrite.
    version: Option<i64>,
    error: Option<String>,
    saved: bool,
}

fn signed(lang: Lang, value: Points) -> (String, &'static str) {
    let text = pts(lang, value);
    match value.ten_thousandths().cmp(&0) {
        Ordering::Greater => (format!("+{text}"), "up"),
        Ordering::Less => (text, "down"),
        Ordering::Equal => (text, "same"),
    }
}

async fn sheet_page(
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
    let by_node: HashMap<NodeId, i64> = scope.node_index.iter().map(|(&id, &n)| (n, id)).collect();

    let mut counts: HashMap<(i64, i64), i64> = HashMap::new();
    let mut files_at: HashMap<(i64, i64), Vec<FileLink>> = HashMap::new();
    for file in &files {
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
    let count_rows: Vec<(i64, i64, i64)> = counts.iter().map(|(&(n, s), &c)| (n, s, c)).collect();
    let records = assessments::records_of(framework, &scope.node_index, &rows, &count_rows);
    let row_at: HashMap<(i64, i64), &LeafScore> =
        rows.iter().map(|r| ((r.node_id, r.stage), r)).collect();

    let round = sheet.current_round;
    let rounds_total = scope.campaign.appraisal_rounds;
    let round_open =
        sheet.status() == SheetStatus::InAppraisal && open.map(i64::from) == Some(round);
    let areas = if appraiser {
        appraiser_areas(principal)
    } else {
        None
    };
    let areas_slice = areas.as_deref();

    // Totals per area and overall, the unit's own against the final values now.
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
    let own_points = compute_unit(framework, &own);
    let last_points = compute_unit(framework, &last);

    let round_view = |node_id: i64, stage: i64| -> Option<RoundView> {
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
    };

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
            let node = framework.node(leaf);
            let node_id = by_node.get(&leaf).copied().unwrap_or_default();
            let record = records.get(leaf);
            let criterion = match node.parent {
                Some(parent) if parent != top && last_parent != Some(parent) => {
                    last_parent = Some(parent);
                    let p = framework.node(parent);
                    Some(format!("{} {}", p.code, p.title))
                }
                _ => None,
            };
            let survey = node.method == Method::Survey;
            let in_round = round >= 1
                && !survey
                && (round == 1
                    || record
                        .rounds
                        .get(&((round - 1) as u32))
                        .is_some_and(|r| r.explanation_requested));
            let mine = appraiser && rules::in_areas(framework, leaf, areas_slice);
            let editable = appraiser && round_open && in_round && mine;
            if round_open && in_round && mine {
                in_scope += 1;
                if record.rounds.contains_key(&(round as u32)) {
                    reviewed += 1;
                }
            }
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
            let own_row = row_at.get(&(node_id, 0));
            let earlier: Vec<RoundView> = (1..round.max(1))
                .filter_map(|r| round_view(node_id, r))
                .collect();
            let answered = earlier
                .iter()
                .any(|r| r.requested && (r.answer.is_some() || !r.answer_files.is_empty()));
            let current = if round >= 1 {
                round_view(node_id, round)
            } else {
                None
            };
            let rule = node.rule.as_ref();
            let input_label = rule
                .filter(|r| r.takes_input() && !survey)
                .map(|r| match r {
                    Rule::Threshold {
                        input, input_label, ..
                    }
                    | Rule::Proportional { input, input_label } => {
                        input_label.clone().unwrap_or_else(|| input.clone())
                    }
                    _ => String::new(),
                });
            let stored = current.as_ref();
            let stored_row = row_at
                .get(&(node_id, round))
                .copied()
                .filter(|_| round >= 1);
            let mine_typed = typed.as_ref().filter(|t| t.node_id == node_id);
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
                        .map(|v| i18n::points(lang, v))
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
            leaves.push(LeafView {
                node_id,
                code: node.code.clone(),
                title: node.title.clone(),
                max: pts(lang, node.max_points),
                criterion,
                method: node.method.as_str(),
                method_label: i18n::text(
                    lang,
                    &format!("appraisal.method_{}", node.method.as_str()),
                ),
                evidence_required: node.evidence_required,
                guidance: node.guidance.clone(),
                unit_points: record
                    .self_points
                    .map(|p| pts(lang, p))
                    .unwrap_or_else(|| "—".into()),
                unit_input: own_row
                    .and_then(|r| r.input_value())
                    .map(|v| i18n::points(lang, v)),
                explanation: own_row.and_then(|r| r.explanation.clone()),
                files: files_at.get(&(node_id, 0)).cloned().unwrap_or_default(),
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
                editable,
                readonly,
                can_request: editable && round < rounds_total,
                choices,
                input_label,
                f_points,
                f_input,
                f_comment,
                f_requested,
                f_version,
                error: mine_typed.and_then(|t| t.error.clone()),
                saved: mine_typed.is_some_and(|t| t.saved),
            });
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
            leaves,
        });
    }
    let (difference, diff_class) = signed(lang, last_points.points - own_points.points);
    let totals = Totals {
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
    };
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
        status: sheet.status.clone(),
        status_label: status_label(lang, &sheet.status),
        round,
        rounds_total,
        round_open,
        appraiser,
        areas_text: match (&areas, appraiser) {
            (_, false) => String::new(),
            (Some(a), true) => a.join(", "),
            (None, true) => i18n::text(lang, "appraisal.all_areas").to_string(),
        },
        areas: area_views,
        totals,
    })
}

/// The appraisal sheet: per leaf the unit's points, explanation and evidence beside the
/// rounds' appraised points, comments and requests; the open round's fields where this
/// appraiser scores.
#[tracing::instrument(skip_all)]
pub async fn sheet(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    sheet: PathId,
) -> AppResult<SheetPage> {
    if !is_staff(&principal) && !principal.has_role(Role::Appraiser) {
        return Err(AppError::Forbidden);
    }
    let sheet_id = sheet.get()?;
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
    ids: PathId<(i64, i64)>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    if !principal.has_role(Role::Appraiser) {
        return Err(AppError::Forbidden);
    }
    let (sheet_id, node_id) = ids.get()?;
    let lang = context.lang;
    let db = &state.db;
    let scope = assessments::scope(db, sheet_id).await?;
    if scope.sheet.status() == SheetStatus::Draft {
        return Err(AppError::Forbidden);
    }
    let Some(&leaf) = scope.node_index.get(&node_id) else {
        return Err(AppError::NotFound);
    };
    let code = scope.framework().node(leaf).code.clone();
    let htmx = headers.get("hx-request").is_some();
    let mut typed = Typed {
        node_id,
        points: field(&pairs, "points").to_string(),
        input: field(&pairs, "input").to_string(),
        comment: field(&pairs, "comment").to_string(),
        requested: matches!(field(&pairs, "explanation_requested"), "on" | "1" | "true"),
        version: None,
        error: None,
        saved: false,
    };
    let named = |field_key: &str, problem: String| {
        format!("{code} — {}: {problem}", i18n::text(lang, field_key))
    };
    let mut problems = Vec::new();
    let points = match typed.points.as_str() {
        "" => None,
        text => match decimal_text(text).parse::<Points>() {
            Ok(points) => Some(points),
            Err(_) => {
                problems.push(named(
                    "appraisal.points",
                    tr(lang, "appraisal.error_number", &[("value", text)]),
                ));
                None
            }
        },
    };
    let input = match typed.input.as_str() {
        "" => None,
        text => match decimal_text(text).parse::<f64>() {
            Ok(value) if value.is_finite() => Some(value),
            _ => {
                problems.push(named(
                    "appraisal.input",
                    tr(lang, "appraisal.error_number", &[("value", text)]),
                ));
                None
            }
        },
    };
    let version = match field(&pairs, "version") {
        "" => None,
        text => text.parse::<i64>().ok(),
    };
    let (status, error) = if !problems.is_empty() {
        (StatusCode::UNPROCESSABLE_ENTITY, Some(problems.join("; ")))
    } else {
        let areas = appraiser_areas(&principal);
        let entry = AppraisalEntry {
            node_id,
            points,
            input,
            comment: Some(typed.comment.clone()),
            explanation_requested: typed.requested,
            expected_version: version,
        };
        match assessments::save_appraisal(
            db,
            &principal.actor(),
            Role::Appraiser,
            areas.as_deref(),
            sheet_id,
            &entry,
        )
        .await
        {
            Ok(_) => (StatusCode::OK, None),
            Err(StoreError::Invalid(message)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(i18n::message(lang, &message)),
            ),
            Err(StoreError::Conflict(message)) => {
                // The form now carries the stored version: saving again overwrites on purpose.
                typed.version = assessments::leaf_scores(db, sheet_id)
                    .await?
                    .into_iter()
                    .find(|r| r.node_id == node_id && r.stage == scope.sheet.current_round)
                    .map(|r| r.version);
                (
                    StatusCode::CONFLICT,
                    Some(format!(
                        "{} {}",
                        i18n::message(lang, &message),
                        i18n::text(lang, "appraisal.conflict_hint")
                    )),
                )
            }
            Err(other) => return Err(other.into()),
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

// ── Progress dashboard (/dot-danh-gia/{id}/tien-do) ─────────────────────────────────────────

/// The dashboard's filters and sort, as query parameters (the export takes the same ones).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProgressQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    late: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
}

/// The sortable columns, by query value.
const SORT_KEYS: &[&str] = &[
    "code",
    "name",
    "group",
    "status",
    "completion",
    "missing",
    "late",
    "appraisal",
    "self",
    "appraised",
    "diff",
];

impl ProgressQuery {
    fn late_only(&self) -> bool {
        matches!(self.late.as_str(), "1" | "on" | "true")
    }

    fn sort_key(&self) -> &str {
        SORT_KEYS
            .iter()
            .find(|k| **k == self.sort)
            .copied()
            .unwrap_or("code")
    }

    fn descending(&self) -> bool {
        self.dir == "desc"
    }

    /// The filters as a query string (without the sort), each value encoded.
    fn filters(&self) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("status", &self.status),
            ("group", &self.group),
            ("q", &self.q),
        ] {
            if !value.trim().is_empty() {
                parts.push(format!("{name}={}", urlencode(value.trim())));
            }
        }
        if self.late_only() {
            parts.push("late=1".into());
        }
        parts.join("&")
    }

    /// The whole query (filters and sort), for the export link.
    fn full(&self) -> String {
        let mut query = self.filters();
        if !self.sort.is_empty() {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&format!(
                "sort={}&dir={}",
                self.sort_key(),
                if self.descending() { "desc" } else { "asc" }
            ));
        }
        query
    }
}

/// A sheet's status for the dashboard: a unit without a sheet yet has entered nothing, like a
/// draft.
fn row_status(row: &ProgressRow) -> SheetStatus {
    row.status().unwrap_or(SheetStatus::Draft)
}

fn is_late(row: &ProgressRow) -> bool {
    row.late || row.explanation_late
}

/// Appraisal progress as a fraction, for sorting (sheets not in a round sort first).
fn appraisal_share(row: &ProgressRow) -> f64 {
    match (row.round_reviewed, row.round_leaves) {
        (Some(done), Some(all)) if all > 0 => done as f64 / all as f64,
        _ => -1.0,
    }
}

fn difference(row: &ProgressRow) -> i64 {
    row.appraised_total.unwrap_or(0) - row.self_total.unwrap_or(0)
}

/// The rows the filters keep, in the order asked (ties by unit code).
fn filter_and_sort(mut rows: Vec<ProgressRow>, query: &ProgressQuery) -> Vec<ProgressRow> {
    let text = fold(query.q.trim());
    rows.retain(|row| {
        (query.status.is_empty() || row_status(row).as_str() == query.status)
            && (query.group.is_empty() || row.unit_group == query.group)
            && (!query.late_only() || is_late(row))
            && (text.is_empty()
                || fold(&row.unit_code).contains(&text)
                || fold(&row.unit_name).contains(&text))
    });
    let status_rank = |row: &ProgressRow| {
        SheetStatus::ALL
            .iter()
            .position(|s| *s == row_status(row))
            .unwrap_or(0)
    };
    let key = query.sort_key();
    rows.sort_by(|a, b| {
        let order = match key {
            "code" => a.unit_code.cmp(&b.unit_code),
            "name" => fold(&a.unit_name).cmp(&fold(&b.unit_name)),
            "group" => a.unit_group.cmp(&b.unit_group),
            "status" => status_rank(a).cmp(&status_rank(b)),
            "completion" => a.completion_percent().total_cmp(&b.completion_percent()),
            "missing" => a.missing_evidence.cmp(&b.missing_evidence),
            "late" => is_late(a).cmp(&is_late(b)),
            "appraisal" => appraisal_share(a).total_cmp(&appraisal_share(b)),
            "self" => a.self_total.cmp(&b.self_total),
            "appraised" => a.appraised_total.cmp(&b.appraised_total),
            "diff" => difference(a).cmp(&difference(b)),
            _ => Ordering::Equal,
        };
        let order = if query.descending() {
            order.reverse()
        } else {
            order
        };
        order.then_with(|| a.unit_code.cmp(&b.unit_code))
    });
    rows
}

/// A line of the dashboard, formatted.
pub struct ProgressLine {
    pub code: String,
    pub name: String,
    pub group: String,
    pub status: &'static str,
    pub status_label: &'static str,
    /// The council's sheet page, once the sheet left the draft stage.
    pub sheet_href: Option<String>,
    pub completion: String,
    pub filled: String,
    pub missing: i64,
    pub unexplained: i64,
    pub late: bool,
    pub late_text: String,
    pub appraisal: String,
    pub flagged: String,
    pub self_total: String,
    pub appraised_total: String,
    pub difference: String,
    pub diff_class: &'static str,
}

/// A sortable column header.
pub struct SortHeader {
    pub key: &'static str,
    pub label: &'static str,
    pub href: String,
    /// `asc` / `desc` on the column sorted by, empty elsewhere.
    pub sorted: &'static str,
    pub numeric: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "appraisal/progress.html")]
pub struct ProgressPage {
    page: Page,
    campaign: CampaignRow,
    state_label: &'static str,
    headers: Vec<SortHeader>,
    lines: Vec<ProgressLine>,
    total: usize,
    shown: usize,
    late_count: usize,
    submitted_count: usize,
    statuses: Vec<(&'static str, &'static str)>,
    groups: Vec<(String, String)>,
    query: ProgressQuery,
    late_only: bool,
    export_href: String,
    reset_href: String,
}

/// The secretariat and the administrator follow progress; viewers (province leadership) may
/// read it too.
fn may_see_progress(principal: &Principal) -> bool {
    is_staff(principal) || principal.has_role(Role::Viewer)
}

fn progress_line(lang: Lang, row: &ProgressRow, link_sheets: bool) -> ProgressLine {
    let status = row_status(row);
    let mut late = Vec::new();
    if row.late {
        late.push(i18n::text(lang, "appraisal.late_submission").to_string());
    }
    if row.explanation_late {
        late.push(i18n::text(lang, "appraisal.late_explanation").to_string());
    }
    for (until, key) in [
        (row.self_extension, "appraisal.extended_self"),
        (row.explanation_extension, "appraisal.extended_explanation"),
    ] {
        if let Some(until) = until {
            late.push(tr(lang, key, &[("date", &i18n::date(until))]));
        }
    }
    let (difference, diff_class) = if status.as_str() == "draft" || row.sheet_id.is_none() {
        ("—".to_string(), "same")
    } else {
        signed(lang, Points::from_ten_thousandths(difference(row)))
    };
    ProgressLine {
        code: row.unit_code.clone(),
        name: row.unit_name.clone(),
        group: group_label(lang, &row.unit_group),
        status: status.as_str(),
        status_label: if row.sheet_id.is_none() {
            i18n::text(lang, "appraisal.status_none")
        } else {
            status_label(lang, status.as_str())
        },
        sheet_href: row
            .sheet_id
            .filter(|_| link_sheets && status != SheetStatus::Draft)
            .map(|id| format!("/tham-dinh/{id}")),
        completion: format!("{} %", i18n::number(lang, row.completion_percent(), 0)),
        filled: format!(
            "{}/{}",
            row.leaves_filled.unwrap_or(0),
            row.leaves_total.unwrap_or(0)
        ),
        missing: row.missing_evidence.unwrap_or(0),
        unexplained: row.unexplained.unwrap_or(0),
        late: is_late(row),
        late_text: late.join("; "),
        appraisal: match (row.current_round, row.round_leaves, row.round_reviewed) {
            (Some(round), Some(all), Some(done)) if round > 0 => tr(
                lang,
                "appraisal.round_progress",
                &[
                    ("round", &round.to_string()),
                    ("done", &done.to_string()),
                    ("all", &all.to_string()),
                ],
            ),
            _ => "—".into(),
        },
        flagged: match (row.flagged, row.answered) {
            (Some(flagged), Some(answered)) if flagged > 0 => format!("{answered}/{flagged}"),
            _ => "—".into(),
        },
        self_total: stored_pts(lang, row.self_total.filter(|_| row.sheet_id.is_some())),
        appraised_total: stored_pts(lang, row.appraised_total.filter(|_| row.sheet_id.is_some())),
        difference,
        diff_class,
    }
}

async fn progress_rows(
    state: &AppState,
    principal: &Principal,
    id: PathId,
    query: &ProgressQuery,
) -> AppResult<(CampaignRow, Vec<ProgressRow>, Vec<ProgressRow>)> {
    if !may_see_progress(principal) {
        return Err(AppError::Forbidden);
    }
    let id = id.get()?;
    let campaign = campaigns::get(&state.db, id).await?;
    // One query for the whole table (engineering guide §7: no N+1).
    let all = assessments::progress(&state.db, id, assessments::today_in_vietnam()).await?;
    let shown = filter_and_sort(all.clone(), query);
    Ok((campaign, all, shown))
}

/// The progress dashboard: per unit status, completion, missing evidence, lateness, appraisal
/// progress and the totals self-assessed against appraised; filtered and sorted on the server.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn progress(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Query(query): Query<ProgressQuery>,
) -> AppResult<ProgressPage> {
    let (campaign, all, shown) = progress_rows(&state, &principal, id, &query).await?;
    let id = campaign.id;
    let lang = context.lang;
    let link_sheets = is_staff(&principal) || principal.has_role(Role::Appraiser);
    let filters = query.filters();
    let headers = [
        ("code", "appraisal.col_unit", false),
        ("group", "appraisal.col_group", false),
        ("status", "appraisal.col_status", false),
        ("completion", "appraisal.col_completion", true),
        ("missing", "appraisal.col_missing", true),
        ("late", "appraisal.col_late", false),
        ("appraisal", "appraisal.col_appraisal", true),
        ("self", "appraisal.col_self", true),
        ("appraised", "appraisal.col_appraised", true),
        ("diff", "appraisal.col_diff", true),
    ]
    .into_iter()
    .map(|(key, label, numeric)| {
        let current = query.sort_key() == key && !query.sort.is_empty()
            || (query.sort.is_empty() && key == "code");
        let next = if current && !query.descending() {
            "desc"
        } else {
            "asc"
        };
        let sep = if filters.is_empty() { "" } else { "&" };
        SortHeader {
            key,
            label: i18n::text(lang, label),
            href: format!("?{filters}{sep}sort={key}&dir={next}"),
            sorted: match (current, query.descending()) {
                (false, _) => "",
                (true, false) => "asc",
                (true, true) => "desc",
            },
            numeric,
        }
    })
    .collect();
    let mut groups: Vec<(String, String)> = Vec::new();
    for row in &all {
        if !groups.iter().any(|(g, _)| *g == row.unit_group) {
            groups.push((row.unit_group.clone(), group_label(lang, &row.unit_group)));
        }
    }
    let statuses = SheetStatus::ALL
        .iter()
        .map(|s| (s.as_str(), status_label(lang, s.as_str())))
        .collect();
    let full = query.full();
    let mut page = Page::new(&context, "appraisal.progress_title");
    page.title = format!("{} – {}", page.title, campaign.title);
    Ok(ProgressPage {
        page,
        state_label: state_label(lang, campaign.state()),
        headers,
        lines: shown
            .iter()
            .map(|r| progress_line(lang, r, link_sheets))
            .collect(),
        total: all.len(),
        shown: shown.len(),
        late_count: all.iter().filter(|r| is_late(r)).count(),
        submitted_count: all
            .iter()
            .filter(|r| r.sheet_id.is_some() && row_status(r) != SheetStatus::Draft)
            .count(),
        statuses,
        groups,
        late_only: query.late_only(),
        export_href: format!(
            "/dot-danh-gia/{id}/tien-do.xlsx{}{full}",
            if full.is_empty() { "" } else { "?" }
        ),
        reset_href: format!("/dot-danh-gia/{id}/tien-do"),
        query,
        campaign,
    })
}

/// Vietnamese headers of the progress export, whatever the interface language.
const PROGRESS_HEADERS: [&str; 20] = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Nhóm",
    "Trạng thái",
    "Hoàn thành (%)",
    "Tiêu chí đã chấm",
    "Tổng tiêu chí",
    "Thiếu tài liệu kiểm chứng",
    "Chưa giải trình",
    "Trễ hạn",
    "Ghi chú hạn",
    "Vòng thẩm định",
    "Tiêu chí đã thẩm định",
    "Tiêu chí cần thẩm định",
    "Yêu cầu giải trình",
    "Đã giải trình",
    "Điểm tự đánh giá",
    "Điểm thẩm định",
    "Chênh lệch",
    "Nộp lúc",
];

fn bold() -> Format {
    Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
}

fn write_progress(sheet: &mut Worksheet, rows: &[ProgressRow]) -> Result<(), XlsxError> {
    let header = bold();
    let decimals = Format::new().set_num_format("0.00");
    let points = Format::new().set_num_format("0.####");
    for (c, title) in PROGRESS_HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *title, &header)?;
    }
    let vi = Lang::Vi;
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        let line = progress_line(vi, row, false);
        let number = |v: Option<i64>| v.unwrap_or(0) as f64;
        let has_sheet = row.sheet_id.is_some();
        sheet.write_string(r, 0, &row.unit_code)?;
        sheet.write_string(r, 1, &row.unit_name)?;
        sheet.write_string(r, 2, &line.group)?;
        sheet.write_string(r, 3, line.status_label)?;
        sheet.write_number_with_format(r, 4, row.completion_percent(), &decimals)?;
        sheet.write_number(r, 5, number(row.leaves_filled))?;
        sheet.write_number(r, 6, number(row.leaves_total))?;
        sheet.write_number(r, 7, number(row.missing_evidence))?;
        sheet.write_number(r, 8, number(row.unexplained))?;
        sheet.write_string(r, 9, if line.late { "Có" } else { "Không" })?;
        sheet.write_string(r, 10, &line.late_text)?;
        sheet.write_number(r, 11, number(row.current_round))?;
        sheet.write_number(r, 12, number(row.round_reviewed))?;
        sheet.write_number(r, 13, number(row.round_leaves))?;
        sheet.write_number(r, 14, number(row.flagged))?;
        sheet.write_number(r, 15, number(row.answered))?;
        if has_sheet {
            sheet.write_number_with_format(r, 16, row.self_total_points().to_f64(), &points)?;
            sheet.write_number_with_format(
                r,
                17,
                row.appraised_total_points().to_f64(),
                &points,
            )?;
            sheet.write_number_with_format(
                r,
                18,
                Points::from_ten_thousandths(difference(row)).to_f64(),
                &points,
            )?;
        }
        if let Some(at) = row.submitted_at {
            sheet.write_string(r, 19, i18n::date_time(at))?;
        }
    }
    sheet.set_column_width(1, 36)?;
    sheet.set_column_width(10, 30)?;
    sheet.set_freeze_panes(1, 2)?;
    if !rows.is_empty() {
        sheet.autofilter(0, 0, rows.len() as u32, PROGRESS_HEADERS.len() as u16 - 1)?;
    }
    Ok(())
}

/// The dashboard's table as .xlsx, with the same filters and order, Vietnamese headers.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn progress_xlsx(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
    Query(query): Query<ProgressQuery>,
) -> AppResult<Response> {
    let (campaign, _, shown) = progress_rows(&state, &principal, id, &query).await?;
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Tiến độ").map_err(xlsx_error)?;
    write_progress(sheet, &shown).map_err(xlsx_error)?;
    let body = workbook.save_to_buffer().map_err(xlsx_error)?;
    Ok(download(
        XLSX,
        format!("tien-do-dot-{}.xlsx", campaign.id),
        body,
    ))
}

// ── Results (/dot-danh-gia/{id}/ket-qua) ────────────────────────────────────────────────────

// The index chart: horizontal bars drawn as inline SVG by the shared chart module.
pub use crate::charts::{Bar, Chart};

/// A unit's line of the ranking.
pub struct ResultRow {
    pub rank: u32,
    pub code: String,
    pub name: String,
    pub points: String,
    pub index: String,
    pub classification: String,
    pub band: usize,
    /// Per area: points and rank.
    pub areas: Vec<(String, u32)>,
}

/// The ranking of one group of units.
pub struct GroupView {
    /// For element ids: the group's name in letters, digits and dashes.
    pub key: String,
    pub label: String,
    pub framework_title: String,
    pub sample: bool,
    pub max: String,
    pub areas: Vec<(String, String)>,
    pub rows: Vec<ResultRow>,
    pub chart: Chart,
}

#[derive(Template, WebTemplate)]
#[template(path = "appraisal/results.html")]
pub struct ResultsPage {
    page: Page,
    campaign: CampaignRow,
    state_label: &'static str,
    /// `published`, `preview` (finalized, staff only) or `none` (not finalized yet).
    mode: &'static str,
    published: String,
    groups: Vec<GroupView>,
    /// Band labels with their minimum, best first.
    bands: Vec<(String, String)>,
    xlsx_href: String,
}

/// The results a user may see for a campaign: after publication the frozen snapshot, for
/// everyone signed in; before it, for the secretariat and the administrator only, a preview
/// computed from the final points once the campaign is finalized (`None` before that).
async fn visible_results(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> AppResult<(CampaignRow, Option<(PublishedResults, bool)>)> {
    let db = &state.db;
    let campaign = campaigns::get(db, id).await?;
    let staff = is_staff(principal);
    match campaign.state() {
        CampaignState::Published => {
            let results = assessments::published_results(db, id).await?;
            Ok((campaign, results.map(|r| (r, true))))
        }
        _ if !staff => Err(AppError::Forbidden),
        CampaignState::Finalized => {
            let results =
                assessments::compute_results(db, &campaign, &principal.user.full_name).await?;
            Ok((campaign, Some((results, false))))
        }
        _ => Ok((campaign, None)),
    }
}

fn band_of(bands: &Option<Bands>, label: &str) -> usize {
    bands
        .as_ref()
        .and_then(|b| b.bands().iter().position(|band| band.label == label))
        .unwrap_or(0)
}

fn slug(text: &str) -> String {
    let slug: String = fold(text)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if slug.is_empty() {
        "group".into()
    } else {
        slug
    }
}

/// The rounded index people read and rank by (2 decimals, exactly the ranking key).
fn shown_index(hundredths: i64) -> f64 {
    hundredths as f64 / 100.0
}

fn group_views(lang: Lang, results: &PublishedResults) -> Vec<GroupView> {
    let bands = Bands::parse(&results.bands).ok();
    results
        .groups
        .iter()
        .map(|group| {
            let areas: Vec<(String, String)> = group
                .units
                .first()
                .map(|u| {
                    u.areas
                        .iter()
                        .map(|a| (a.code.clone(), a.title.clone()))
                        .collect()
                })
                .unwrap_or_default();
            let rows: Vec<ResultRow> = group
                .units
                .iter()
                .map(|u| ResultRow {
                    rank: u.rank,
                    code: u.unit_code.clone(),
                    name: u.unit_name.clone(),
                    points: pts(lang, u.points),
                    index: i18n::number(lang, shown_index(u.index_hundredths), 2),
                    classification: u.classification.clone(),
                    band: band_of(&bands, &u.classification),
                    areas: u
                        .areas
                        .iter()
                        .map(|a| (pts(lang, a.points), a.rank))
                        .collect(),
                })
                .collect();
            let bars = group
                .units
                .iter()
                .map(|u| crate::charts::BarInput {
                    label: format!("{}. {}", u.rank, u.unit_name),
                    value: shown_index(u.index_hundredths).clamp(0.0, 100.0),
                    band: band_of(&bands, &u.classification),
                    ci: None,
                })
                .collect::<Vec<_>>();
            GroupView {
                key: slug(&group.unit_group),
                label: group_label(lang, &group.unit_group),
                framework_title: group.framework_title.clone(),
                sample: group.sample,
                max: pts(lang, group.max_points),
                areas,
                rows,
                chart: Chart::horizontal(lang, bars, 2),
            }
        })
        .collect()
}

/// The results: per group the ranking (rank, unit, points, index, classification, per-area
/// points and ranks) and a bar chart of the index.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn results(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<ResultsPage> {
    let id = id.get()?;
    let (campaign, results) = visible_results(&state, &principal, id).await?;
    let lang = context.lang;
    let (mode, published, groups, bands) = match &results {
        Some((r, published)) => (
            if *published { "published" } else { "preview" },
            if *published {
                tr(
                    lang,
                    "appraisal.published_detail",
                    &[
                        ("at", &i18n::date_time(r.published_at)),
                        ("by", &r.published_by),
                    ],
                )
            } else {
                String::new()
            },
            group_views(lang, r),
            Bands::parse(&r.bands)
                .map(|b| {
                    b.bands()
                        .iter()
                        .map(|band| (band.label.clone(), i18n::number(lang, band.min, 0)))
                        .collect()
                })
                .unwrap_or_default(),
        ),
        None => ("none", String::new(), Vec::new(), Vec::new()),
    };
    let mut page = Page::new(&context, "appraisal.results_title");
    page.title = format!("{} – {}", page.title, campaign.title);
    Ok(ResultsPage {
        page,
        state_label: state_label(lang, campaign.state()),
        mode,
        published,
        groups,
        bands,
        xlsx_href: format!("/dot-danh-gia/{id}/ket-qua.xlsx"),
        campaign,
    })
}

/// An .xlsx sheet name: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(text: &str) -> String {
    text.chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect()
}

fn write_results(
    workbook: &mut Workbook,
    results: &PublishedResults,
    published: bool,
) -> Result<(), XlsxError> {
    let header = bold();
    let two = Format::new().set_num_format("0.00");
    let four = Format::new().set_num_format("0.####");
    let info = workbook.add_worksheet();
    info.set_name("Thông tin")?;
    let facts = [
        ("Đợt đánh giá", results.title.clone()),
        ("Năm", results.year.to_string()),
        (
            "Trạng thái",
            if published {
                format!(
                    "Đã công bố lúc {} bởi {}",
                    i18n::date_time(results.published_at),
                    results.published_by
                )
            } else {
                "Xem trước (đã chốt, chưa công bố)".to_string()
            },
        ),
        ("Xếp loại", results.bands.clone()),
        (
            "Cách xếp hạng",
            "Theo chỉ số làm tròn 2 chữ số thập phân, giảm dần; bằng nhau thì đồng hạng và hạng sau bỏ qua (1, 2, 2, 4).".to_string(),
        ),
    ];
    for (r, (label, value)) in facts.iter().enumerate() {
        info.write_string_with_format(r as u32, 0, *label, &header)?;
        info.write_string(r as u32, 1, value)?;
    }
    info.set_column_width(0, 20)?;
    info.set_column_width(1, 90)?;
    for group in &results.groups {
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name(&format!(
            "Xếp hạng {}",
            group_label(Lang::Vi, &group.unit_group)
        )))?;
        let mut titles: Vec<String> = [
            "Hạng",
            "Mã đơn vị",
            "Tên đơn vị",
            "Điểm",
            "Chỉ số",
            "Xếp loại",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        let areas: Vec<&str> = group
            .units
            .first()
            .map(|u| u.areas.iter().map(|a| a.code.as_str()).collect())
            .unwrap_or_default();
        for code in &areas {
            titles.push(format!("Lĩnh vực {code} – điểm"));
            titles.push(format!("Lĩnh vực {code} – hạng"));
        }
        for (c, title) in titles.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, title, &header)?;
        }
        for (r, unit) in group.units.iter().enumerate() {
            let r = r as u32 + 1;
            sheet.write_number(r, 0, f64::from(unit.rank))?;
            sheet.write_string(r, 1, &unit.unit_code)?;
            sheet.write_string(r, 2, &unit.unit_name)?;
            sheet.write_number_with_format(r, 3, unit.points.to_f64(), &four)?;
            sheet.write_number_with_format(r, 4, shown_index(unit.index_hundredths), &two)?;
            sheet.write_string(r, 5, &unit.classification)?;
            for (i, area) in unit.areas.iter().enumerate() {
                let c = 6 + 2 * i as u16;
                sheet.write_number_with_format(r, c, area.points.to_f64(), &four)?;
                sheet.write_number(r, c + 1, f64::from(area.rank))?;
            }
        }
        sheet.set_column_width(2, 36)?;
        sheet.set_freeze_panes(1, 3)?;
    }
    Ok(())
}

/// The results as .xlsx: an information sheet and one ranking sheet per group.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn results_xlsx(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
) -> AppResult<Response> {
    let id = id.get()?;
    let (_, results) = visible_results(&state, &principal, id).await?;
    let Some((results, published)) = results else {
        return Err(AppError::NotFound);
    };
    let mut workbook = Workbook::new();
    write_results(&mut workbook, &results, published).map_err(xlsx_error)?;
    let body = workbook.save_to_buffer().map_err(xlsx_error)?;
    Ok(download(XLSX, format!("ket-qua-dot-{id}.xlsx"), body))
}

// ── The campaign's audit log (/dot-danh-gia/{id}/nhat-ky.csv) ───────────────────────────────

/// Every audit row of the campaign, oldest first, as CSV (the columns of /nhat-ky.csv).
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn audit_csv(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
) -> AppResult<Response> {
    principal.require(Permission::ViewAudit)?;
    let id = id.get()?;
    campaigns::get(&state.db, id).await?;
    let filter = AuditFilter {
        campaign_id: Some(id),
        ..AuditFilter::default()
    };
    Ok(super::audit::csv_stream(
        state.db.clone(),
        filter,
        &format!("nhat-ky-dot-{id}.csv"),
    ))
}
