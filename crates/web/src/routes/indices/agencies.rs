//! The agencies responsible for each item of a national index (docs/method.md §5.8): per
//! index and structure its dimensions, sub-dimensions and components by title with their
//! agencies (everyone who reads the setup), and the secretariat's form per item
//! (`ManageIndices`, audited).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chiso_domain::access::Permission;
use chiso_domain::org::OrgKind;
use chiso_store::index_targets::Agency;
use serde::Deserialize;

use super::import::index_name;
use crate::app::indices::agencies::{self, AgencyRef, ItemRow, item_label};
use crate::app::indices::import::catalogue;
use crate::auth::{Auth, Context};
use crate::describe::Describe;
use crate::error::{AppError, AppResult};
use crate::extract::{Form, Path, Query, State};
use crate::forms::Pairs;
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::views::Page;

/// Where the assignments live.
pub const AGENCIES: &str = "/chi-so-quoc-gia/co-quan-phu-trach";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chi-so-quoc-gia/co-quan-phu-trach", get(indices))
        .route("/chi-so-quoc-gia/co-quan-phu-trach/{index}", get(show))
        .route(
            "/chi-so-quoc-gia/co-quan-phu-trach/{index}/{structure}/{item}",
            get(edit_form).post(save),
        )
}

/// A group of units by its kind's words ("các xã, phường, đặc khu").
pub fn group_words(lang: Lang, kind: OrgKind) -> &'static str {
    i18n::text(lang, &format!("indices_admin.group_{}", kind.as_str()))
}

fn agency_words(lang: Lang, agency: &AgencyRef) -> String {
    match agency {
        AgencyRef::Unit { name, .. } => name.clone(),
        AgencyRef::Group(kind) => group_words(lang, *kind).to_string(),
    }
}

/// An index with the links to its structures.
pub struct IndexLink {
    id: String,
    title: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "indices/agencies_list.html")]
pub struct IndicesPage {
    page: Page,
    indices: Vec<IndexLink>,
}

/// The indices whose items can be assigned.
pub async fn indices(
    State(_state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<IndicesPage> {
    principal.require(Permission::ViewSetup)?;
    let lang = context.lang;
    let indices = catalogue()
        .indices()
        .into_iter()
        .filter(|i| !agencies::structures(catalogue(), i.id).is_empty())
        .map(|i| IndexLink {
            id: i.id.to_string(),
            title: index_name(lang, i.id),
        })
        .collect();
    Ok(IndicesPage {
        page: Page::new(&context, "indices_admin.agencies_title"),
        indices,
    })
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct StructureQuery {
    pub cau_truc: String,
}

/// A structure as the switcher offers it.
pub struct StructureLink {
    id: String,
    title: String,
    selected: bool,
}

/// An item with its agencies.
pub struct ItemView {
    code: String,
    /// "1.2 Tri thức công dân", or the title alone for an item without a number.
    label: String,
    depth: u8,
    agencies: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "indices/agencies.html")]
pub struct ShowPage {
    page: Page,
    index_id: String,
    index_title: String,
    structure_id: String,
    structures: Vec<StructureLink>,
    items: Vec<ItemView>,
    can_manage: bool,
}

fn title_of(lang: Lang, vi: &str, en: &str) -> String {
    if lang == Lang::En { en } else { vi }.to_string()
}

/// An index's items (of the structure asked for, else its newest) with their agencies.
pub async fn show(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(index_id): Path<String>,
    Query(query): Query<StructureQuery>,
) -> AppResult<ShowPage> {
    principal.require(Permission::ViewSetup)?;
    let lang = context.lang;
    let structures = agencies::structures(catalogue(), &index_id);
    let structure = structures
        .iter()
        .find(|s| s.id == query.cau_truc)
        .or(structures.first())
        .copied()
        .ok_or(AppError::NotFound)?;
    let assigned = agencies::of_index(&state.db, &index_id).await?;
    let items = agencies::items(structure)
        .into_iter()
        .map(|item: ItemRow| ItemView {
            agencies: assigned
                .of_item(&structure.id, &item.code)
                .iter()
                .map(|a| agency_words(lang, a))
                .collect(),
            label: item_label(&item.code, &title_of(lang, &item.title, &item.title_en)),
            code: item.code,
            depth: item.depth,
        })
        .collect();
    Ok(ShowPage {
        page: Page::new(&context, "indices_admin.agencies_title"),
        index_title: index_name(lang, &index_id),
        structures: structures
            .iter()
            .map(|s| StructureLink {
                id: s.id.clone(),
                title: title_of(lang, &s.title, &s.title_en),
                selected: s.id == structure.id,
            })
            .collect(),
        structure_id: structure.id.clone(),
        index_id,
        items,
        can_manage: principal.can(Permission::ManageIndices),
    })
}

/// A checkbox of the form.
pub struct AgencyOption {
    value: String,
    label: String,
    checked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "indices/agency_edit.html")]
pub struct EditPage {
    page: Page,
    index_id: String,
    structure_id: String,
    structure_title: String,
    item_code: String,
    item_label: String,
    groups: Vec<AgencyOption>,
    units: Vec<AgencyOption>,
    error: Option<String>,
}

/// An agency as a checkbox value: `unit:12`, `kind:commune`.
fn agency_value(agency: &Agency) -> String {
    match agency {
        Agency::Unit(id) => format!("unit:{id}"),
        Agency::Kind(kind) => format!("kind:{}", kind.as_str()),
    }
}

fn parse_agency(value: &str) -> Option<Agency> {
    match value.split_once(':')? {
        ("unit", id) => id.parse().ok().map(Agency::Unit),
        ("kind", kind) => OrgKind::parse(kind).map(Agency::Kind),
        _ => None,
    }
}

async fn edit_page(
    state: &AppState,
    context: &Context,
    (index_id, structure_id, code): (&str, &str, &str),
    checked: Option<Vec<Agency>>,
    error: Option<String>,
) -> AppResult<EditPage> {
    let lang = context.lang;
    let structure = catalogue()
        .get(structure_id)
        .filter(|s| s.index == index_id)
        .ok_or(AppError::NotFound)?;
    let item = agencies::items(structure)
        .into_iter()
        .find(|i| i.code == code)
        .ok_or(AppError::NotFound)?;
    let checked = match checked {
        Some(checked) => checked,
        None => agencies::of_index(&state.db, index_id)
            .await?
            .of_item(structure_id, code)
            .iter()
            .map(|a| match a {
                AgencyRef::Unit { id, .. } => Agency::Unit(*id),
                AgencyRef::Group(kind) => Agency::Kind(*kind),
            })
            .collect(),
    };
    let choices = agencies::choices(&state.db, state.clock.today()).await?;
    let option = |agency: Agency, label: String| AgencyOption {
        value: agency_value(&agency),
        checked: checked.contains(&agency),
        label,
    };
    Ok(EditPage {
        page: Page::new(context, "indices_admin.agency_edit_title"),
        index_id: index_id.to_string(),
        structure_id: structure_id.to_string(),
        structure_title: title_of(lang, &structure.title, &structure.title_en),
        item_label: item_label(&item.code, &title_of(lang, &item.title, &item.title_en)),
        item_code: item.code,
        groups: choices
            .groups
            .iter()
            .map(|k| option(Agency::Kind(*k), group_words(lang, *k).to_string()))
            .collect(),
        units: choices
            .units
            .iter()
            .map(|u| option(Agency::Unit(u.id), u.name.clone()))
            .collect(),
        error,
    })
}

pub async fn edit_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path((index_id, structure_id, code)): Path<(String, String, String)>,
) -> AppResult<EditPage> {
    principal.require(Permission::ManageIndices)?;
    edit_page(
        &state,
        &context,
        (&index_id, &structure_id, &code),
        None,
        None,
    )
    .await
}

/// Sets the item's agencies to those ticked (none ticked: none), audited.
pub async fn save(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path((index_id, structure_id, code)): Path<(String, String, String)>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageIndices)?;
    let ticked: Vec<Agency> = pairs
        .iter()
        .filter(|(k, _)| k == "agency")
        .filter_map(|(_, v)| parse_agency(v))
        .collect();
    let item = (index_id.as_str(), structure_id.as_str(), code.as_str());
    let today = state.clock.today();
    let assigned = agencies::assign(
        &state.db,
        &principal.actor(),
        catalogue(),
        today,
        item,
        &ticked,
    )
    .await?;
    match assigned {
        Ok(_) => Ok(Redirect::to(&format!(
            "{AGENCIES}/{index_id}?cau_truc={structure_id}&msg=indices_admin.agencies_saved"
        ))
        .into_response()),
        Err(refusal) if refusal.status() == StatusCode::NOT_FOUND => Err(AppError::NotFound),
        Err(refusal) => {
            let message = refusal.describe(context.lang);
            let page = edit_page(&state, &context, item, Some(ticked), Some(message)).await?;
            Ok((refusal.status(), page).into_response())
        }
    }
}
