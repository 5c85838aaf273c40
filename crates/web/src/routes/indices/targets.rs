//! The province's targets per index and year (docs/method.md §5.8): the list with each
//! target's result for the configured province (everyone who reads the setup), and the
//! secretariat's form to add, change and delete them (`ManageIndices`, audited).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chiso_domain::access::Permission;
use chiso_store::index_targets::{self, StoredTarget};
use serde::Deserialize;

use super::import::{index_choices, index_name};
use crate::app::indices::import::{catalogue, roster};
use crate::app::indices::targets::{self, TargetOutcome, TargetStatus};
use crate::auth::{Auth, Context};
use crate::describe::Describe;
use crate::describe::indices::{figure, unit_words};
use crate::error::{AppError, AppResult};
use crate::extract::{Form, PathId, State};
use crate::forms::{Choice, unprocessable};
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::views::Page;

/// Where the targets live.
pub const TARGETS: &str = "/chi-so-quoc-gia/muc-tieu";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chi-so-quoc-gia/muc-tieu", get(list).post(create))
        .route(
            "/chi-so-quoc-gia/muc-tieu/{target}/sua",
            get(edit_form).post(update),
        )
        .route("/chi-so-quoc-gia/muc-tieu/{target}/xoa", post(delete))
}

/// The target form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct TargetForm {
    pub index: String,
    pub year: String,
    pub target: String,
    pub document: String,
}

impl TargetForm {
    fn of(target: &StoredTarget) -> TargetForm {
        TargetForm {
            index: target.index_id.clone(),
            year: target.year.to_string(),
            target: target.target.clone(),
            document: target.document.clone(),
        }
    }
}

/// One target with its result, as the list shows it.
pub struct TargetRow {
    id: i64,
    index: String,
    pub(crate) year: i64,
    pub(crate) target: String,
    pub(crate) document: String,
    result: String,
    pub(crate) outcome: String,
    /// `met`, `missed` or `none`, for the badge's colour.
    pub(crate) state: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "indices/targets.html")]
pub struct TargetsPage {
    page: Page,
    province: Option<String>,
    rows: Vec<TargetRow>,
    can_manage: bool,
    indices: Vec<Choice>,
    form: TargetForm,
    errors: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "indices/target_edit.html")]
pub struct EditPage {
    page: Page,
    id: i64,
    indices: Vec<Choice>,
    form: TargetForm,
    errors: Vec<String>,
}

fn words(lang: Lang, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    i18n::fill(lang, &format!("indices_admin.{key}"), args)
}

/// A margin in places (whole) or points (2 decimals).
fn margin(lang: Lang, status: &TargetStatus, by: f64) -> String {
    if status.is_rank() {
        i18n::number(lang, by, 0)
    } else {
        i18n::number(lang, by, 2)
    }
}

pub(crate) fn target_row(lang: Lang, status: &TargetStatus) -> TargetRow {
    let unit = if status.is_rank() { "places" } else { "points" };
    let (outcome, state) = match status.outcome {
        TargetOutcome::Met { by } => (
            words(
                lang,
                &format!("outcome_met_{unit}"),
                &[("by", &margin(lang, status, by))],
            ),
            "met",
        ),
        TargetOutcome::Missed { by } => (
            words(
                lang,
                &format!("outcome_missed_{unit}"),
                &[("by", &margin(lang, status, by))],
            ),
            "missed",
        ),
        TargetOutcome::NoData => (words(lang, "outcome_no_data", &[]), "none"),
    };
    let mut result = Vec::new();
    if let Some(value) = status.value {
        result.push(figure(lang, value));
    }
    if let Some(rank) = status.rank {
        result.push(match status.ranked {
            Some(of) => words(lang, "rank_of", &[("rank", &rank), ("of", &of)]),
            None => words(lang, "rank", &[("rank", &rank)]),
        });
    }
    TargetRow {
        id: status.target.id,
        index: index_name(lang, &status.target.index_id),
        year: status.target.year,
        target: status.target.target.clone(),
        document: status.target.document.clone(),
        result: if result.is_empty() {
            "—".to_string()
        } else {
            result.join(" · ")
        },
        outcome,
        state,
    }
}

async fn targets_page(
    state: &AppState,
    context: &Context,
    can_manage: bool,
    form: TargetForm,
    errors: Vec<String>,
) -> AppResult<TargetsPage> {
    let lang = context.lang;
    let province_code = state.config.province();
    let statuses =
        targets::evaluate_targets(&state.db, catalogue(), roster(), province_code).await?;
    Ok(TargetsPage {
        page: Page::new(context, "indices_admin.targets_title"),
        province: province_code.map(unit_words),
        rows: statuses.iter().map(|s| target_row(lang, s)).collect(),
        can_manage,
        indices: index_choices(lang, &form.index, false),
        form,
        errors,
    })
}

/// The targets with their results; the form to add one for those who manage them.
pub async fn list(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<TargetsPage> {
    principal.require(Permission::ViewSetup)?;
    let can_manage = principal.can(Permission::ManageIndices);
    targets_page(
        &state,
        &context,
        can_manage,
        TargetForm::default(),
        Vec::new(),
    )
    .await
}

/// The form's fields checked, or each problem worded.
fn checked(
    lang: Lang,
    form: &TargetForm,
) -> Result<chiso_store::index_targets::TargetFields, Vec<String>> {
    targets::check(
        catalogue(),
        &form.index,
        &form.year,
        &form.target,
        &form.document,
    )
    .map_err(|refusals| refusals.iter().map(|r| r.describe(lang)).collect())
}

pub async fn create(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Form(form): Form<TargetForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageIndices)?;
    let fields = match checked(context.lang, &form) {
        Ok(fields) => fields,
        Err(errors) => {
            let page = targets_page(&state, &context, true, form, errors).await?;
            return Ok(unprocessable(page));
        }
    };
    targets::add(&state.db, &principal.actor(), &fields).await?;
    Ok(Redirect::to(&format!("{TARGETS}?msg=indices_admin.target_saved")).into_response())
}

async fn stored(state: &AppState, id: PathId) -> AppResult<StoredTarget> {
    let id = id.get()?;
    Ok(index_targets::target(&state.db, id).await?)
}

pub async fn edit_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<EditPage> {
    principal.require(Permission::ManageIndices)?;
    let target = stored(&state, id).await?;
    let form = TargetForm::of(&target);
    Ok(EditPage {
        page: Page::new(&context, "indices_admin.target_edit_title"),
        id: target.id,
        indices: index_choices(context.lang, &form.index, false),
        form,
        errors: Vec::new(),
    })
}

pub async fn update(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(form): Form<TargetForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageIndices)?;
    let target = stored(&state, id).await?;
    let fields = match checked(context.lang, &form) {
        Ok(fields) => fields,
        Err(errors) => {
            let page = EditPage {
                page: Page::new(&context, "indices_admin.target_edit_title"),
                id: target.id,
                indices: index_choices(context.lang, &form.index, false),
                form,
                errors,
            };
            return Ok(unprocessable(page));
        }
    };
    targets::update(&state.db, &principal.actor(), target.id, &fields).await?;
    Ok(Redirect::to(&format!("{TARGETS}?msg=indices_admin.target_saved")).into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
) -> AppResult<Response> {
    principal.require(Permission::ManageIndices)?;
    let id = id.get()?;
    match targets::delete(&state.db, &principal.actor(), id).await {
        Ok(()) => Ok(
            Redirect::to(&format!("{TARGETS}?msg=indices_admin.target_deleted")).into_response(),
        ),
        Err(chiso_store::StoreError::NotFound) => Err(AppError::NotFound),
        Err(error) => Err(error.into()),
    }
}
