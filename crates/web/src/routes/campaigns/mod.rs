//! The campaigns screens (/dot-danh-gia): the list, creating and editing a campaign's setup
//! (year, rounds and their deadlines, classification bands), a framework per group of units,
//! the participating units, and the transitions of the state machine.
//!
//! Reading needs `ViewSetup`, every change `ManageCampaigns`; both are checked in each handler.
//! The rules (what a draft may change, which transitions are allowed and when a campaign may
//! open) live in the domain and the store; this module only asks them and shows their answer
//! in the user's language. From the assessment stage on, the page carries the council's panel
//! (routes::appraisal: rounds, extensions, finalize, publish, progress, results), and the
//! transitions into appraisal, finalized and published go through the assessment workflow.

use std::collections::{HashMap, HashSet};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chiso_domain::Bands;
use chiso_domain::access::Permission;
use chiso_domain::campaign::{CampaignState, check_transition};
use chiso_domain::org::OrgKind;
use chiso_store::StoreError;
use chiso_store::campaigns::{
    self, CampaignFields, CampaignFramework, CampaignRow, CampaignUnit, RoundDeadline,
};
use chiso_store::frameworks::{self, FrameworkRow};
use chiso_store::units;
use chrono::{NaiveDate, Utc};

use crate::app::campaign as use_case;
use crate::auth::{Auth, Context, Principal};
use crate::describe::Describe;
use crate::error::{AppError, AppResult};
use crate::extract::{Form, PathId, Query, State};
use crate::forms::{Pairs, field, parse_date};
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::views::Page;

pub(crate) mod council;
pub(crate) mod shared;
use shared::group_label;
mod show_parts;
pub(crate) mod steps;
use show_parts::{group_suggestions, lifecycle_steps, transitions};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dot-danh-gia", get(list).post(create))
        .route("/dot-danh-gia/moi", get(create_form))
        .route("/dot-danh-gia/vong-tham-dinh", get(round_fields))
        .route("/dot-danh-gia/{id}", get(show))
        .route("/dot-danh-gia/{id}/sua", get(edit_form).post(update))
        .route("/dot-danh-gia/{id}/bo-tieu-chi", post(assign_framework))
        .route("/dot-danh-gia/{id}/don-vi", post(save_units))
        .route("/dot-danh-gia/{id}/trang-thai", post(transition))
        .route("/dot-danh-gia/{id}/kiem-tra", get(steps::show))
}

/// The most appraisal rounds a campaign may have (the store refuses more).
const MAX_ROUNDS: usize = 5;
const DEFAULT_BANDS: &str = "Tốt:80,Khá:70,Trung bình:50,Yếu";

// ── List ────────────────────────────────────────────────────────────────────────────────────

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/list.html")]
pub struct ListPage {
    page: Page,
    rows: Vec<CampaignRow>,
    can_manage: bool,
}

#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<ListPage> {
    principal.require(Permission::ViewSetup)?;
    Ok(ListPage {
        page: Page::new(&context, "campaigns.list_title"),
        // Drafts are the secretariat's own until they open.
        rows: crate::app::home::visible_campaigns(&state.db, &principal).await?,
        can_manage: principal.can(Permission::ManageCampaigns),
    })
}

// ── The setup form (create and edit) ────────────────────────────────────────────────────────

/// The setup fields as typed, so a refused form comes back as the user left it.
#[derive(Clone, Debug, Default)]
pub struct CampaignForm {
    year: String,
    title: String,
    appraisal_rounds: String,
    self_assessment_deadline: String,
    explanation_deadline: String,
    /// (round number, deadline as typed), one per configured round.
    rounds: Vec<(usize, String)>,
    bands: String,
}

impl CampaignForm {
    fn blank() -> CampaignForm {
        let year = Utc::now().date_naive().format("%Y").to_string();
        CampaignForm {
            year,
            appraisal_rounds: "2".into(),
            rounds: vec![(1, String::new()), (2, String::new())],
            bands: DEFAULT_BANDS.into(),
            ..CampaignForm::default()
        }
    }

    fn from_pairs(pairs: &Pairs) -> CampaignForm {
        let rounds_text = field(pairs, "appraisal_rounds").to_string();
        let count = rounds_text
            .parse::<usize>()
            .unwrap_or(1)
            .clamp(1, MAX_ROUNDS);
        CampaignForm {
            year: field(pairs, "year").into(),
            title: field(pairs, "title").into(),
            appraisal_rounds: rounds_text,
            self_assessment_deadline: field(pairs, "self_assessment_deadline").into(),
            explanation_deadline: field(pairs, "explanation_deadline").into(),
            rounds: (1..=count)
                .map(|n| (n, field(pairs, &format!("round_deadline_{n}")).to_string()))
                .collect(),
            bands: field(pairs, "bands").into(),
        }
    }

    fn from_row(row: &CampaignRow, rounds: &[RoundDeadline]) -> CampaignForm {
        let iso = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        CampaignForm {
            year: row.year.to_string(),
            title: row.title.clone(),
            appraisal_rounds: row.appraisal_rounds.to_string(),
            self_assessment_deadline: iso(row.self_assessment_deadline),
            explanation_deadline: iso(row.explanation_deadline),
            rounds: (1..=row.appraisal_rounds.max(1) as usize)
                .map(|n| {
                    let deadline = rounds
                        .iter()
                        .find(|r| r.round_no == n as i64)
                        .and_then(|r| r.deadline);
                    (n, iso(deadline))
                })
                .collect(),
            bands: row.bands.clone(),
        }
    }

    /// The checked fields, or every problem, each naming its field.
    fn parse(&self, lang: Lang) -> Result<CampaignFields, Vec<String>> {
        let mut errors = Vec::new();
        let mut fail = |field_key: &str, message: String| {
            errors.push(format!("{}: {message}", i18n::text(lang, field_key)));
        };
        let text = |key: &str| i18n::text(lang, key).to_string();
        let year = match self.year.parse::<i64>() {
            Ok(year) if (2000..=2100).contains(&year) => year,
            _ => {
                fail("campaigns.year", text("campaigns.error_year"));
                0
            }
        };
        if self.title.is_empty() {
            fail("campaigns.title", text("campaigns.error_required"));
        }
        let rounds = match self.appraisal_rounds.parse::<i64>() {
            Ok(n) if (1..=MAX_ROUNDS as i64).contains(&n) => n,
            _ => {
                fail("campaigns.appraisal_rounds", text("campaigns.error_rounds"));
                1
            }
        };
        let mut date = |field_key: &str, value: &str| match parse_date(value) {
            Ok(date) => date,
            Err(_) => {
                fail(field_key, text("campaigns.error_date"));
                None
            }
        };
        let self_deadline = date("campaigns.self_deadline", &self.self_assessment_deadline);
        let explanation = date("campaigns.explanation_deadline", &self.explanation_deadline);
        let mut round_deadlines = Vec::new();
        for (n, value) in &self.rounds {
            let deadline = match parse_date(value) {
                Ok(date) => date,
                Err(_) => {
                    errors.push(format!(
                        "{} {n}: {}",
                        i18n::text(lang, "campaigns.round_deadline"),
                        i18n::text(lang, "campaigns.error_date")
                    ));
                    None
                }
            };
            round_deadlines.push(deadline);
        }
        if let Err(e) = Bands::parse(&self.bands) {
            errors.push(format!(
                "{}: {}",
                i18n::text(lang, "campaigns.bands"),
                e.describe(lang)
            ));
        }
        if let (Some(first), Some(second)) = (self_deadline, explanation)
            && second < first
        {
            errors.push(format!(
                "{}: {}",
                i18n::text(lang, "campaigns.explanation_deadline"),
                i18n::text(lang, "campaigns.error_explanation_before")
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CampaignFields {
            year,
            title: self.title.clone(),
            appraisal_rounds: rounds,
            self_assessment_deadline: self_deadline,
            explanation_deadline: explanation,
            round_deadlines,
            bands: self.bands.clone(),
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/form.html")]
pub struct FormPage {
    page: Page,
    form: CampaignForm,
    /// Where the form posts: the list (create) or the campaign's edit address.
    action: String,
    /// The campaign being edited.
    campaign: Option<CampaignRow>,
    errors: Vec<String>,
}

/// The round deadline fields alone, for htmx when the number of rounds changes.
#[derive(Template, WebTemplate)]
#[template(path = "campaigns/rounds.html")]
pub struct RoundFields {
    page: Page,
    form: CampaignForm,
}

#[tracing::instrument(skip_all)]
pub async fn create_form(Auth(principal, context): Auth) -> AppResult<FormPage> {
    principal.require(Permission::ManageCampaigns)?;
    Ok(FormPage {
        page: Page::new(&context, "campaigns.create_title"),
        form: CampaignForm::blank(),
        action: "/dot-danh-gia".into(),
        campaign: None,
        errors: Vec::new(),
    })
}

/// The deadline fields for the number of rounds asked, keeping the dates already typed.
#[tracing::instrument(skip_all)]
pub async fn round_fields(
    Auth(principal, context): Auth,
    Query(pairs): Query<Pairs>,
) -> AppResult<RoundFields> {
    principal.require(Permission::ManageCampaigns)?;
    Ok(RoundFields {
        page: Page::new(&context, "campaigns.create_title"),
        form: CampaignForm::from_pairs(&pairs),
    })
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let form = CampaignForm::from_pairs(&pairs);
    let refuse = |form: CampaignForm, errors: Vec<String>| {
        let page = FormPage {
            page: Page::new(&context, "campaigns.create_title"),
            form,
            action: "/dot-danh-gia".into(),
            campaign: None,
            errors,
        };
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    };
    let fields = match form.parse(context.lang) {
        Ok(fields) => fields,
        Err(errors) => return Ok(refuse(form, errors)),
    };
    match campaigns::create(&state.db, &principal.actor(), &fields).await {
        Ok(id) => {
            Ok(Redirect::to(&format!("/dot-danh-gia/{id}?msg=common.created")).into_response())
        }
        Err(StoreError::CampaignSetup(refusal)) => {
            Ok(refuse(form, vec![refusal.describe(context.lang)]))
        }
        Err(other) => Err(other.into()),
    }
}

#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn edit_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<FormPage> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    let campaign = campaigns::get(&state.db, id).await?;
    let rounds = campaigns::rounds(&state.db, id).await?;
    let errors = if campaign.state().setup_editable() {
        Vec::new()
    } else {
        vec![i18n::text(context.lang, "campaigns.error_not_draft").to_string()]
    };
    Ok(FormPage {
        page: Page::new(&context, "campaigns.edit_title"),
        form: CampaignForm::from_row(&campaign, &rounds),
        action: format!("/dot-danh-gia/{id}/sua"),
        campaign: Some(campaign),
        errors,
    })
}

#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn update(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    let campaign = campaigns::get(&state.db, id).await?;
    let form = CampaignForm::from_pairs(&pairs);
    let refuse = |form: CampaignForm, errors: Vec<String>| {
        let page = FormPage {
            page: Page::new(&context, "campaigns.edit_title"),
            form,
            action: format!("/dot-danh-gia/{id}/sua"),
            campaign: Some(campaign.clone()),
            errors,
        };
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    };
    if !campaign.state().setup_editable() {
        let message = i18n::text(context.lang, "campaigns.error_not_draft").to_string();
        return Ok(refuse(form, vec![message]));
    }
    let fields = match form.parse(context.lang) {
        Ok(fields) => fields,
        Err(errors) => return Ok(refuse(form, errors)),
    };
    match campaigns::update(&state.db, &principal.actor(), id, &fields).await {
        Ok(()) => Ok(Redirect::to(&format!("/dot-danh-gia/{id}?msg=common.saved")).into_response()),
        Err(StoreError::CampaignSetup(refusal)) => {
            Ok(refuse(form, vec![refusal.describe(context.lang)]))
        }
        Err(other) => Err(other.into()),
    }
}

// ── The campaign page ───────────────────────────────────────────────────────────────────────

/// One step of the state machine as the page shows it.
pub struct Step {
    label: &'static str,
    /// `done`, `current` or empty.
    class: &'static str,
}

/// A group of units with its framework and how many units take part.
pub struct GroupView {
    name: String,
    label: String,
    framework: CampaignFramework,
    unit_count: usize,
}

/// A unit in the checkbox list.
pub struct UnitChoice {
    id: i64,
    code: String,
    name: String,
    checked: bool,
    /// The other group of this campaign the unit is in (it cannot be in two).
    other_group: Option<String>,
}

/// The units of one kind, with the select-all controls.
pub struct KindSection {
    kind: String,
    label: String,
    units: Vec<UnitChoice>,
    chosen: usize,
    open: bool,
}

/// The unit checkboxes for one group.
pub struct Picker {
    group: String,
    group_label: String,
    sections: Vec<KindSection>,
    chosen: usize,
}

/// A transition the state machine allows from here.
pub struct TransitionButton {
    to: &'static str,
    label: &'static str,
    /// The checklist page the step goes through first (opening round 1, finalizing,
    /// publishing), instead of posting at once.
    checklist: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/show.html")]
pub struct ShowPage {
    page: Page,
    campaign: CampaignRow,
    rounds: Vec<RoundDeadline>,
    steps: Vec<Step>,
    groups: Vec<GroupView>,
    members: Vec<CampaignUnit>,
    total_units: usize,
    frameworks: Vec<FrameworkRow>,
    /// The groups to choose from: (stored name, title).
    group_suggestions: Vec<(String, String)>,
    picker: Option<Picker>,
    transitions: Vec<TransitionButton>,
    can_manage: bool,
    editable: bool,
    /// Why the last request was refused, in the user's language.
    error: Option<String>,
    /// The group the framework form was about, kept after a refusal.
    group_value: String,
    /// The assessment stage: links to the council's screens and, for the secretariat, the
    /// round control, extensions, finalize and publish (routes::appraisal).
    council: Option<council::Panel>,
}

/// The picker state a GET may carry: the group to show and, after a select-all click, the
/// boxes as the user left them.
#[derive(Default)]
struct PickerQuery {
    group: Option<String>,
    /// Present when the query carries the boxes (`picker=1`), even if none is ticked.
    ticked: Option<HashSet<i64>>,
    /// A kind of unit to tick entirely.
    select_kind: Option<String>,
    /// A kind of unit to untick entirely.
    clear_kind: Option<String>,
}

impl PickerQuery {
    fn from_pairs(pairs: &Pairs) -> PickerQuery {
        let value = |name: &str| {
            let v = field(pairs, name);
            (!v.is_empty()).then(|| v.to_string())
        };
        PickerQuery {
            group: value("group").or_else(|| value("unit_group")),
            ticked: value("picker").map(|_| {
                pairs
                    .iter()
                    .filter(|(key, _)| key == "unit_id")
                    .filter_map(|(_, v)| v.trim().parse().ok())
                    .collect()
            }),
            select_kind: value("select_kind"),
            clear_kind: value("clear_kind"),
        }
    }
}

fn state_label(lang: Lang, state: CampaignState) -> &'static str {
    i18n::text(lang, &format!("common.state_{}", state.as_str()))
}

async fn show_page(
    state: &AppState,
    principal: &Principal,
    context: &Context,
    id: i64,
    query: PickerQuery,
    error: Option<String>,
    group_value: String,
) -> AppResult<ShowPage> {
    let lang = context.lang;
    let campaign = campaigns::get(&state.db, id).await?;
    let rounds = campaigns::rounds(&state.db, id).await?;
    let assigned = campaigns::frameworks(&state.db, id).await?;
    let members = campaigns::units(&state.db, id).await?;
    let current = campaign.state();
    let steps = lifecycle_steps(lang, current);
    let groups: Vec<GroupView> = assigned
        .iter()
        .map(|f| GroupView {
            name: f.unit_group.clone(),
            label: group_label(lang, &f.unit_group),
            framework: f.clone(),
            unit_count: members
                .iter()
                .filter(|u| u.unit_group == f.unit_group)
                .count(),
        })
        .collect();
    let can_manage = principal.can(Permission::ManageCampaigns);
    let editable = current.setup_editable();
    let group_suggestions = group_suggestions(lang, &groups);

    let picker = if can_manage && editable && !groups.is_empty() {
        let group = query
            .group
            .clone()
            .filter(|g| groups.iter().any(|v| &v.name == g))
            .unwrap_or_else(|| groups[0].name.clone());
        Some(build_picker(state, lang, &group, &members, &query).await?)
    } else {
        None
    };
    let transitions = if can_manage {
        transitions(lang, id, current)
    } else {
        Vec::new()
    };
    let council = council::panel(state, principal, lang, &campaign, "campaign").await?;
    let mut page = Page::new(context, "campaigns.show_title");
    page.title = campaign.title.clone();
    Ok(ShowPage {
        council,
        page,
        total_units: members.len(),
        campaign,
        rounds,
        steps,
        groups,
        frameworks: frameworks::list(&state.db).await?,
        members,
        group_suggestions,
        picker,
        transitions,
        can_manage,
        editable,
        error,
        group_value,
    })
}

/// The checkbox list of one group: every unit current today, by kind (the group's own kind
/// first), ticked as stored or as the query left them, then a select-all or clear applied.
async fn build_picker(
    state: &AppState,
    lang: Lang,
    group: &str,
    members: &[CampaignUnit],
    query: &PickerQuery,
) -> AppResult<Picker> {
    let today = state.clock.today();
    let all: Vec<_> = units::list(&state.db)
        .await?
        .into_iter()
        .filter(|u| u.is_current_on(today))
        .collect();
    let other_group: HashMap<i64, &str> = members
        .iter()
        .filter(|m| m.unit_group != group)
        .map(|m| (m.unit_id, m.unit_group.as_str()))
        .collect();
    let mut ticked: HashSet<i64> = match &query.ticked {
        Some(ticked) => ticked.clone(),
        None => members
            .iter()
            .filter(|m| m.unit_group == group)
            .map(|m| m.unit_id)
            .collect(),
    };
    for unit in &all {
        if other_group.contains_key(&unit.id) {
            continue;
        }
        if query.select_kind.as_deref() == Some(unit.kind.as_str()) {
            ticked.insert(unit.id);
        }
        if query.clear_kind.as_deref() == Some(unit.kind.as_str()) {
            ticked.remove(&unit.id);
        }
    }
    let own_kind = OrgKind::parse(group);
    let mut kinds: Vec<OrgKind> = OrgKind::ALL.to_vec();
    kinds.sort_by_key(|k| Some(*k) != own_kind);
    let mut sections = Vec::new();
    for kind in kinds {
        let units: Vec<UnitChoice> = all
            .iter()
            .filter(|u| u.kind == kind)
            .map(|u| UnitChoice {
                id: u.id,
                code: u.code.clone(),
                name: u.name.clone(),
                checked: ticked.contains(&u.id) && !other_group.contains_key(&u.id),
                other_group: other_group.get(&u.id).map(|g| g.to_string()),
            })
            .collect();
        if units.is_empty() {
            continue;
        }
        let chosen = units.iter().filter(|u| u.checked).count();
        sections.push(KindSection {
            kind: kind.as_str().to_string(),
            label: i18n::text(lang, &format!("common.kind_{}", kind.as_str())).to_string(),
            open: Some(kind) == own_kind || chosen > 0,
            chosen,
            units,
        });
    }
    Ok(Picker {
        group: group.to_string(),
        group_label: group_label(lang, group),
        chosen: sections.iter().map(|s| s.chosen).sum(),
        sections,
    })
}

#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn show(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Query(pairs): Query<Pairs>,
) -> AppResult<ShowPage> {
    principal.require(Permission::ViewSetup)?;
    let id = id.get()?;
    // A draft is the secretariat's own: for anyone else it does not exist yet.
    if !principal.can(Permission::ManageCampaigns)
        && campaigns::get(&state.db, id).await?.state() == CampaignState::Draft
    {
        return Err(AppError::NotFound);
    }
    let query = PickerQuery::from_pairs(&pairs);
    show_page(&state, &principal, &context, id, query, None, String::new()).await
}

/// The campaign page again with the reason a change was refused (422).
async fn refused(
    state: &AppState,
    principal: &Principal,
    context: &Context,
    id: i64,
    query: PickerQuery,
    message: String,
    group_value: String,
) -> AppResult<Response> {
    let page = show_page(
        state,
        principal,
        context,
        id,
        query,
        Some(message),
        group_value,
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// The campaign page with the reason a request of another screen was refused (422): the
/// council's controls on this page post to routes::appraisal.
pub(crate) async fn refused_page(
    state: &AppState,
    principal: &Principal,
    context: &Context,
    id: i64,
    message: String,
) -> AppResult<Response> {
    refused(
        state,
        principal,
        context,
        id,
        PickerQuery::default(),
        message,
        String::new(),
    )
    .await
}

/// The refusal of a store rule, in the user's language; other errors stay errors.
fn store_refusal(lang: Lang, error: StoreError) -> AppResult<String> {
    crate::describe::store_refusal(lang, &error).ok_or_else(|| AppError::from(error))
}

/// Sets (or, with no framework chosen, removes) the framework of a group of units.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn assign_framework(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    let lang = context.lang;
    let group = field(&pairs, "unit_group").to_string();
    let framework_text = field(&pairs, "framework_id");
    let query = PickerQuery {
        group: Some(group.clone()),
        ..PickerQuery::default()
    };
    if group.is_empty() {
        let message = format!(
            "{}: {}",
            i18n::text(lang, "campaigns.unit_group"),
            i18n::text(lang, "campaigns.error_required")
        );
        return refused(&state, &principal, &context, id, query, message, group).await;
    }
    if framework_text.is_empty() {
        let message = format!(
            "{}: {}",
            i18n::text(lang, "campaigns.framework"),
            i18n::text(lang, "campaigns.error_framework_missing")
        );
        return refused(&state, &principal, &context, id, query, message, group).await;
    }
    // "none" removes the group: an explicit choice, never the form's default.
    let framework_id = match framework_text {
        "none" => None,
        text => match text.parse::<i64>() {
            Ok(fid) if frameworks::get_row(&state.db, fid).await.is_ok() => Some(fid),
            _ => {
                let message = format!(
                    "{}: {}",
                    i18n::text(lang, "campaigns.framework"),
                    i18n::text(lang, "campaigns.error_framework")
                );
                return refused(&state, &principal, &context, id, query, message, group).await;
            }
        },
    };
    // An unknown campaign is a 404, not a form error.
    campaigns::get(&state.db, id).await?;
    if let Err(error) =
        campaigns::set_framework(&state.db, &principal.actor(), id, &group, framework_id).await
    {
        let message = store_refusal(lang, error)?;
        return refused(&state, &principal, &context, id, query, message, group).await;
    }
    Ok(Redirect::to(&format!(
        "/dot-danh-gia/{id}?group={}&msg=common.saved",
        crate::error::urlencode(&group)
    ))
    .into_response())
}

/// Replaces the participating units of one group with the ticked boxes.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn save_units(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    let lang = context.lang;
    let group = field(&pairs, "unit_group").to_string();
    let mut ids = Vec::new();
    let mut bad = Vec::new();
    for (_, value) in pairs.iter().filter(|(key, _)| key == "unit_id") {
        match value.trim().parse::<i64>() {
            Ok(unit) if !ids.contains(&unit) => ids.push(unit),
            Ok(_) => {}
            Err(_) => bad.push(value.clone()),
        }
    }
    let query = PickerQuery::from_pairs(&pairs);
    if !bad.is_empty() {
        let message = format!(
            "{}: {}",
            i18n::text(lang, "campaigns.units"),
            i18n::text(lang, "campaigns.error_unit_ids")
        );
        return refused(
            &state,
            &principal,
            &context,
            id,
            query,
            message,
            String::new(),
        )
        .await;
    }
    campaigns::get(&state.db, id).await?;
    if let Err(error) = campaigns::set_units(&state.db, &principal.actor(), id, &group, &ids).await
    {
        let message = store_refusal(lang, error)?;
        return refused(
            &state,
            &principal,
            &context,
            id,
            query,
            message,
            String::new(),
        )
        .await;
    }
    Ok(Redirect::to(&format!(
        "/dot-danh-gia/{id}?group={}&msg=common.saved",
        crate::error::urlencode(&group)
    ))
    .into_response())
}

/// Moves the campaign to another state when the state machine allows it; otherwise the page
/// says why, with the domain's reason.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn transition(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    let lang = context.lang;
    let to_text = field(&pairs, "to");
    let reason = Some(field(&pairs, "reason")).filter(|r| !r.is_empty());
    let setup = campaigns::setup(&state.db, id).await?;
    let Some(to) = CampaignState::parse(to_text) else {
        let message = i18n::text(lang, "campaigns.error_unknown_state").replace("{to}", to_text);
        return refused(
            &state,
            &principal,
            &context,
            id,
            PickerQuery::default(),
            message,
            String::new(),
        )
        .await;
    };
    // The domain's check first, for its reason in the user's language; the store checks again
    // in the same write, so a concurrent change cannot slip through. The assessment stage's
    // transitions go through its workflow, never around it: appraisal starts by opening round
    // 1, finalizing freezes the final points, publishing computes the results snapshot.
    let outcome = match check_transition(&setup, to) {
        Err(error) => Err(error.describe(lang)),
        Ok(()) => {
            let (db, clock) = (&state.db, &state.clock);
            let who = steps::secretary(&principal);
            let reason_text = reason.unwrap_or_default();
            let result = match to {
                CampaignState::Appraisal => {
                    let late = chiso_domain::assessment::LateSheets::Join;
                    use_case::open_round(db, clock, &who, (id, 1), late, reason_text)
                        .await
                        .map(|_| ())
                }
                CampaignState::Finalized => {
                    let decisions = steps::decisions_of(&pairs);
                    use_case::finalize(db, clock, &who, id, reason_text, &decisions).await
                }
                CampaignState::Published => use_case::publish(db, clock, &who, id, reason_text)
                    .await
                    .map(|_| ()),
                _ => use_case::open(db, &who, id, to, reason).await,
            };
            match result {
                Ok(()) => Ok(()),
                Err(error) => Err(store_refusal(lang, error)?),
            }
        }
    };
    match outcome {
        Ok(()) => Ok(
            Redirect::to(&format!("/dot-danh-gia/{id}?msg=campaigns.transitioned")).into_response(),
        ),
        Err(message) => {
            refused(
                &state,
                &principal,
                &context,
                id,
                PickerQuery::default(),
                message,
                String::new(),
            )
            .await
        }
    }
}
