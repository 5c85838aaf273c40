//! The units screens (`/don-vi`): the hierarchy as a tree with search, a unit's page (details,
//! parent, children, lineage, audit history), create and edit, merge with lineage, and the
//! import of `units.csv`/.xlsx. Reading needs `ViewSetup`, every write `ManageUnits`; both are
//! checked on the server in each handler, before anything is loaded.

use std::collections::{HashMap, HashSet};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chiso_domain::access::Permission;
use chiso_domain::org::OrgKind;
use chiso_interchange::table::{Table, read_csv, read_xlsx};
use chiso_interchange::units_io::read_units;
use chiso_store::audit::{self, AuditFilter, AuditRecord};
use chiso_store::units::{self, ImportSummary, ImportedUnit, MergeTarget, OrgUnit, UnitFields};
use chiso_store::{SetupRefusal, StoreError};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;

use crate::auth::Auth;
use crate::describe::Describe;
use crate::error::{AppError, AppResult};
use crate::extract::multipart::{UnitsImportForm, Upload, UploadRefusal};
use crate::extract::{Form, PathId, Query, State, cells};
use crate::forms::{Choice, field_error, parse_date, tr, unprocessable};
use crate::i18n::{self, Lang};
use crate::paths;
use crate::state::AppState;
use crate::views::Page;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/don-vi", get(list).post(create))
        .route("/don-vi/moi", get(create_form))
        .route("/don-vi/hop-nhat", get(merge_form).post(merge))
        .route("/don-vi/nhap", get(import_form).post(import))
        .route("/don-vi/{id}", get(show))
        .route("/don-vi/{id}/sua", get(edit_form).post(update))
}

/// The entity type the store writes in the audit log for units.
const AUDIT_ENTITY: &str = "org_unit";

/// The store's default start of validity, meaning "since before records began".
fn open_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).expect("a valid date")
}

/// Tree order: the hierarchy's levels first, then codes.
fn kind_rank(kind: OrgKind) -> usize {
    match kind {
        OrgKind::Nation => 0,
        OrgKind::Province => 1,
        OrgKind::Department => 2,
        OrgKind::Commune => 3,
        OrgKind::Ministry => 4,
    }
}

/// A unit as the lists show it.
#[derive(Clone, Debug)]
pub struct UnitRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub region: String,
    pub valid_from: String,
    pub valid_to: String,
    pub current: bool,
    /// Indentation in the tree, in rem.
    pub indent: String,
    pub depth: usize,
}

impl UnitRow {
    fn new(unit: &OrgUnit, depth: usize, today: NaiveDate) -> UnitRow {
        UnitRow {
            id: unit.id,
            code: unit.code.clone(),
            name: unit.name.clone(),
            kind: unit.kind.as_str().to_string(),
            region: unit.region.clone().unwrap_or_default(),
            valid_from: if unit.valid_from == open_start() {
                "—".to_string()
            } else {
                i18n::date(unit.valid_from)
            },
            valid_to: unit.valid_to.map(i18n::date).unwrap_or_default(),
            current: unit.is_current_on(today),
            indent: format!("{:.2}", 0.5 + depth as f64 * 1.25),
            depth,
        }
    }
}

/// The hierarchy in display order: the local government tree (nation → province →
/// departments and communes), then the ministries as a separate tree.
fn tree(units: &[OrgUnit], today: NaiveDate) -> (Vec<UnitRow>, Vec<UnitRow>) {
    let ids: HashSet<i64> = units.iter().map(|u| u.id).collect();
    let mut children: HashMap<Option<i64>, Vec<&OrgUnit>> = HashMap::new();
    for unit in units {
        let parent = unit.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(unit);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| {
            (kind_rank(a.kind), &a.code, a.valid_from).cmp(&(
                kind_rank(b.kind),
                &b.code,
                b.valid_from,
            ))
        });
    }
    let mut visited = HashSet::new();
    fn walk(
        unit: &OrgUnit,
        depth: usize,
        ministries: bool,
        children: &HashMap<Option<i64>, Vec<&OrgUnit>>,
        visited: &mut HashSet<i64>,
        out: &mut Vec<UnitRow>,
        today: NaiveDate,
    ) {
        if !visited.insert(unit.id) {
            return;
        }
        out.push(UnitRow::new(unit, depth, today));
        for child in children.get(&Some(unit.id)).into_iter().flatten() {
            // Ministries sit under the nation but are shown in their own tree.
            if !ministries && child.kind == OrgKind::Ministry {
                continue;
            }
            walk(child, depth + 1, ministries, children, visited, out, today);
        }
    }
    let mut local = Vec::new();
    for root in children.get(&None).into_iter().flatten() {
        if root.kind != OrgKind::Ministry {
            walk(root, 0, false, &children, &mut visited, &mut local, today);
        }
    }
    let mut ministries = Vec::new();
    let mut ministry_roots: Vec<&OrgUnit> = units
        .iter()
        .filter(|u| {
            u.kind == OrgKind::Ministry
                && u.parent_id
                    .and_then(|p| units.iter().find(|x| x.id == p))
                    .is_none_or(|p| p.kind != OrgKind::Ministry)
        })
        .collect();
    ministry_roots.sort_by(|a, b| (&a.code, a.valid_from).cmp(&(&b.code, b.valid_from)));
    for root in ministry_roots {
        walk(
            root,
            0,
            true,
            &children,
            &mut visited,
            &mut ministries,
            today,
        );
    }
    // A unit in a parent cycle (which the store does not prevent) is still listed.
    for unit in units {
        if !visited.contains(&unit.id) {
            local.push(UnitRow::new(unit, 0, today));
        }
    }
    (local, ministries)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    /// "1": only the units current today.
    current: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "units/list.html")]
pub struct ListPage {
    page: Page,
    q: String,
    current_only: bool,
    searching: bool,
    local: Vec<UnitRow>,
    ministries: Vec<UnitRow>,
    results: Vec<UnitRow>,
    can_manage: bool,
    total: usize,
}

/// The tree, or the units whose name or code matches the search.
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Query(query): Query<ListQuery>,
) -> AppResult<ListPage> {
    principal.require(Permission::ViewSetup)?;
    let today = Utc::now().date_naive();
    let current_only = query.current == "1";
    let q = query.q.trim().to_string();
    let keep = |row: &UnitRow| !current_only || row.current;
    let all = units::list(&state.db).await?;
    let (local, ministries, results) = if q.is_empty() {
        let (local, ministries) = tree(&all, today);
        (
            local.into_iter().filter(keep).collect(),
            ministries.into_iter().filter(keep).collect(),
            Vec::new(),
        )
    } else {
        let found = units::search(&state.db, &q, 500).await?;
        let rows = found
            .iter()
            .map(|u| UnitRow::new(u, 0, today))
            .filter(keep)
            .collect();
        (Vec::new(), Vec::new(), rows)
    };
    Ok(ListPage {
        page: Page::new(&context, "units.title"),
        searching: !q.is_empty(),
        q,
        current_only,
        local,
        ministries,
        results,
        can_manage: principal.can(Permission::ManageUnits),
        total: all.len(),
    })
}

/// A lineage edge seen from one unit: the unit on the other side.
#[derive(Clone, Debug)]
pub struct LineageRow {
    pub unit: UnitRow,
    pub effective_date: String,
    pub kind: String,
    pub note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "units/show.html")]
pub struct ShowPage {
    page: Page,
    unit: UnitRow,
    parent: Option<UnitRow>,
    children: Vec<UnitRow>,
    predecessors: Vec<LineageRow>,
    successors: Vec<LineageRow>,
    can_manage: bool,
    can_audit: bool,
    history: Vec<AuditRecord>,
    audit_link: String,
}

/// A unit's page: details, parent, children, lineage and its recent audit history.
#[tracing::instrument(skip_all, fields(unit_id = ?id))]
pub async fn show(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<ShowPage> {
    principal.require(Permission::ViewSetup)?;
    let id = id.get()?;
    let today = Utc::now().date_naive();
    let all = units::list(&state.db).await?;
    let unit = all.iter().find(|u| u.id == id).ok_or(AppError::NotFound)?;
    let by_id = |id: i64| all.iter().find(|u| u.id == id);
    let mut children: Vec<&OrgUnit> = all.iter().filter(|u| u.parent_id == Some(id)).collect();
    children.sort_by(|a, b| (kind_rank(a.kind), &a.code).cmp(&(kind_rank(b.kind), &b.code)));
    let edges = units::lineage(&state.db).await?;
    let lineage_row = |other: i64, edge: &units::LineageEdge| {
        by_id(other).map(|u| LineageRow {
            unit: UnitRow::new(u, 0, today),
            effective_date: i18n::date(edge.effective_date),
            kind: edge.kind.clone(),
            note: edge.note.clone().unwrap_or_default(),
        })
    };
    let predecessors = edges
        .iter()
        .filter(|e| e.successor_id == id && e.predecessor_id != id)
        .filter_map(|e| lineage_row(e.predecessor_id, e))
        .collect();
    let successors = edges
        .iter()
        .filter(|e| e.predecessor_id == id && e.successor_id != id)
        .filter_map(|e| lineage_row(e.successor_id, e))
        .collect();
    let can_audit = principal.can(Permission::ViewAudit);
    let history = if can_audit {
        audit::list(
            &state.db,
            &AuditFilter {
                entity_type: Some(AUDIT_ENTITY.into()),
                entity_id: Some(id),
                limit: 20,
                ..AuditFilter::default()
            },
        )
        .await?
    } else {
        Vec::new()
    };
    Ok(ShowPage {
        page: Page::new(&context, "units.title"),
        unit: UnitRow::new(unit, 0, today),
        parent: unit
            .parent_id
            .and_then(by_id)
            .map(|p| UnitRow::new(p, 0, today)),
        children: children
            .into_iter()
            .map(|u| UnitRow::new(u, 0, today))
            .collect(),
        predecessors,
        successors,
        can_manage: principal.can(Permission::ManageUnits),
        can_audit,
        history,
        audit_link: paths::audit_of(AUDIT_ENTITY, id),
    })
}

/// The unit form as typed (every field optional, so that a wrong form is answered with its
/// errors rather than a deserialisation failure).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct UnitForm {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_id: String,
    pub region: String,
    pub valid_from: String,
    pub valid_to: String,
}

impl UnitForm {
    fn from_unit(unit: &OrgUnit) -> UnitForm {
        UnitForm {
            code: unit.code.clone(),
            name: unit.name.clone(),
            kind: unit.kind.as_str().to_string(),
            parent_id: unit.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            region: unit.region.clone().unwrap_or_default(),
            valid_from: if unit.valid_from == open_start() {
                String::new()
            } else {
                unit.valid_from.to_string()
            },
            valid_to: unit.valid_to.map(|d| d.to_string()).unwrap_or_default(),
        }
    }

    /// The fields for the store, or every problem, each naming its field. `dates` is false for
    /// the successor of a merger, whose validity starts on the merger date.
    fn parse(&self, lang: Lang, dates: bool) -> Result<UnitFields, Vec<String>> {
        let mut errors = Vec::new();
        let required = i18n::text(lang, "units.err_required");
        if self.code.trim().is_empty() {
            errors.push(field_error(lang, "units.code", required));
        } else if self.code.trim().chars().any(char::is_whitespace) {
            errors.push(field_error(
                lang,
                "units.code",
                i18n::text(lang, "units.err_code_spaces"),
            ));
        }
        if self.name.trim().is_empty() {
            errors.push(field_error(lang, "units.name", required));
        }
        let kind = OrgKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(field_error(
                lang,
                "units.kind",
                i18n::text(lang, "units.err_kind"),
            ));
        }
        let parent_id = match self.parent_id.trim() {
            "" => None,
            text => match text.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(field_error(
                        lang,
                        "units.parent",
                        i18n::text(lang, "units.err_parent"),
                    ));
                    None
                }
            },
        };
        let mut date = |text: &str, key: &str| match parse_date(text) {
            Ok(date) => date,
            Err(()) => {
                errors.push(field_error(lang, key, i18n::text(lang, "units.err_date")));
                None
            }
        };
        let (valid_from, valid_to) = if dates {
            (
                date(&self.valid_from, "units.valid_from"),
                date(&self.valid_to, "units.valid_to"),
            )
        } else {
            (None, None)
        };
        if let (Some(from), Some(to)) = (valid_from, valid_to)
            && to < from
        {
            errors.push(field_error(
                lang,
                "units.valid_to",
                i18n::text(lang, "units.err_dates_order"),
            ));
        }
        match kind {
            Some(kind) if errors.is_empty() => Ok(UnitFields {
                code: self.code.trim().to_string(),
                name: self.name.trim().to_string(),
                kind,
                parent_id,
                region: Some(self.region.trim().to_string()).filter(|r| !r.is_empty()),
                valid_from,
                valid_to,
            }),
            _ => Err(errors),
        }
    }
}

/// A store refusal as a form error: each refusal names its field itself.
fn store_error(lang: Lang, error: StoreError) -> Result<String, AppError> {
    match error {
        StoreError::Setup(refusal) => Ok(refusal.describe(lang)),
        StoreError::Conflict(_) => Ok(field_error(
            lang,
            "units.code",
            i18n::text(lang, "units.err_code_taken"),
        )),
        StoreError::NotFound => Err(AppError::NotFound),
        other => Err(other.into()),
    }
}

/// The kinds, for the form's `<select>`.
fn kind_choices(lang: Lang, selected: &str) -> Vec<Choice> {
    OrgKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().to_string(),
            label: i18n::text(lang, &format!("common.kind_{}", k.as_str())).to_string(),
            selected: k.as_str() == selected,
        })
        .collect()
}

/// Units that may be a parent (nations and provinces), current ones first.
fn parent_choices(all: &[OrgUnit], selected: &str, own: Option<i64>) -> Vec<Choice> {
    let today = Utc::now().date_naive();
    let mut parents: Vec<&OrgUnit> = all
        .iter()
        .filter(|u| matches!(u.kind, OrgKind::Nation | OrgKind::Province) && Some(u.id) != own)
        .filter(|u| u.is_current_on(today) || u.id.to_string() == selected)
        .collect();
    parents.sort_by(|a, b| (kind_rank(a.kind), &a.code).cmp(&(kind_rank(b.kind), &b.code)));
    parents
        .into_iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: format!("{} — {}", u.code, u.name),
            selected: u.id.to_string() == selected,
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "units/form.html")]
pub struct FormPage {
    page: Page,
    action: String,
    editing: Option<i64>,
    form: UnitForm,
    errors: Vec<String>,
    kinds: Vec<Choice>,
    parents: Vec<Choice>,
}

async fn form_page(
    state: &AppState,
    context: &crate::auth::Context,
    editing: Option<i64>,
    form: UnitForm,
    errors: Vec<String>,
) -> AppResult<FormPage> {
    let all = units::list(&state.db).await?;
    let lang = context.lang;
    Ok(FormPage {
        page: Page::new(
            context,
            if editing.is_some() {
                "units.edit_title"
            } else {
                "units.create_title"
            },
        ),
        action: match editing {
            Some(id) => paths::unit_edit(id),
            None => paths::UNITS.to_string(),
        },
        editing,
        kinds: kind_choices(lang, &form.kind),
        parents: parent_choices(&all, &form.parent_id, editing),
        form,
        errors,
    })
}

pub async fn create_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<FormPage> {
    principal.require(Permission::ManageUnits)?;
    let form = UnitForm {
        kind: "department".into(),
        ..UnitForm::default()
    };
    form_page(&state, &context, None, form, Vec::new()).await
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Form(form): Form<UnitForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageUnits)?;
    let lang = context.lang;
    let fields = match form.parse(lang, true) {
        Ok(fields) => fields,
        Err(errors) => {
            return Ok(unprocessable(
                form_page(&state, &context, None, form, errors).await?,
            ));
        }
    };
    match units::create(&state.db, &principal.actor(), &fields).await {
        Ok(id) => {
            Ok(Redirect::to(&paths::with_msg(&paths::unit(id), "common.created")).into_response())
        }
        Err(error) => {
            let message = store_error(lang, error)?;
            Ok(unprocessable(
                form_page(&state, &context, None, form, vec![message]).await?,
            ))
        }
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<FormPage> {
    principal.require(Permission::ManageUnits)?;
    let id = id.get()?;
    let unit = units::get(&state.db, id).await?;
    form_page(
        &state,
        &context,
        Some(id),
        UnitForm::from_unit(&unit),
        Vec::new(),
    )
    .await
}

#[tracing::instrument(skip_all, fields(unit_id = ?id))]
pub async fn update(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(form): Form<UnitForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageUnits)?;
    let id = id.get()?;
    let lang = context.lang;
    units::get(&state.db, id).await?;
    let fields = match form.parse(lang, true) {
        Ok(fields) => fields,
        Err(errors) => {
            return Ok(unprocessable(
                form_page(&state, &context, Some(id), form, errors).await?,
            ));
        }
    };
    match units::update(&state.db, &principal.actor(), id, &fields).await {
        Ok(()) => {
            Ok(Redirect::to(&paths::with_msg(&paths::unit(id), "common.saved")).into_response())
        }
        Err(error) => {
            let message = store_error(lang, error)?;
            Ok(unprocessable(
                form_page(&state, &context, Some(id), form, vec![message]).await?,
            ))
        }
    }
}

/// The merge form as typed: repeated `predecessor` fields, hence a list of pairs.
#[derive(Clone, Debug, Default)]
pub struct MergeForm {
    pub predecessors: Vec<String>,
    /// "existing" or "new".
    pub target: String,
    pub successor_id: String,
    pub successor: UnitForm,
    pub effective_date: String,
    pub note: String,
}

impl MergeForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> MergeForm {
        let mut form = MergeForm::default();
        for (key, value) in pairs {
            match key.as_str() {
                "predecessor" => form.predecessors.push(value),
                "target" => form.target = value,
                "successor_id" => form.successor_id = value,
                "code" => form.successor.code = value,
                "name" => form.successor.name = value,
                "kind" => form.successor.kind = value,
                "parent_id" => form.successor.parent_id = value,
                "region" => form.successor.region = value,
                "effective_date" => form.effective_date = value,
                "note" => form.note = value,
                _ => {}
            }
        }
        form
    }

    fn is_new(&self) -> bool {
        self.target == "new"
    }
}

/// A current unit offered in the merge form.
#[derive(Clone, Debug)]
pub struct MergeChoice {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub checked: bool,
    pub successor: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "units/merge.html")]
pub struct MergePage {
    page: Page,
    form: MergeForm,
    errors: Vec<String>,
    units: Vec<MergeChoice>,
    kinds: Vec<Choice>,
    parents: Vec<Choice>,
}

async fn merge_page(
    state: &AppState,
    context: &crate::auth::Context,
    form: MergeForm,
    errors: Vec<String>,
) -> AppResult<MergePage> {
    let all = units::list(&state.db).await?;
    let today = Utc::now().date_naive();
    let mut current: Vec<&OrgUnit> = all.iter().filter(|u| u.is_current_on(today)).collect();
    current.sort_by(|a, b| (kind_rank(a.kind), &a.code).cmp(&(kind_rank(b.kind), &b.code)));
    let units = current
        .into_iter()
        .map(|u| MergeChoice {
            id: u.id,
            code: u.code.clone(),
            name: u.name.clone(),
            kind: u.kind.as_str().to_string(),
            checked: form.predecessors.contains(&u.id.to_string()),
            successor: form.successor_id == u.id.to_string(),
        })
        .collect();
    Ok(MergePage {
        page: Page::new(context, "units.merge_title"),
        kinds: kind_choices(context.lang, &form.successor.kind),
        parents: parent_choices(&all, &form.successor.parent_id, None),
        units,
        form,
        errors,
    })
}

pub async fn merge_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<MergePage> {
    principal.require(Permission::ManageUnits)?;
    let form = MergeForm {
        target: "existing".into(),
        successor: UnitForm {
            kind: "province".into(),
            ..UnitForm::default()
        },
        ..MergeForm::default()
    };
    merge_page(&state, &context, form, Vec::new()).await
}

/// Merges the chosen units into an existing or a new unit, effective on a date; the store
/// ends the predecessors the day before and records the lineage with its audit rows.
#[tracing::instrument(skip_all)]
pub async fn merge(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    principal.require(Permission::ManageUnits)?;
    let lang = context.lang;
    let form = MergeForm::from_pairs(pairs);
    let mut errors = Vec::new();
    let mut predecessors = Vec::new();
    for text in &form.predecessors {
        match text.parse::<i64>() {
            Ok(id) if !predecessors.contains(&id) => predecessors.push(id),
            Ok(_) => {}
            Err(_) => errors.push(field_error(
                lang,
                "units.predecessors",
                i18n::text(lang, "units.err_parent"),
            )),
        }
    }
    let effective = match parse_date(&form.effective_date) {
        Ok(Some(date)) => Some(date),
        Ok(None) => {
            errors.push(field_error(
                lang,
                "units.effective_date",
                i18n::text(lang, "units.err_required"),
            ));
            None
        }
        Err(()) => {
            errors.push(field_error(
                lang,
                "units.effective_date",
                i18n::text(lang, "units.err_date"),
            ));
            None
        }
    };
    let target = if form.is_new() {
        match form.successor.parse(lang, false) {
            Ok(fields) => Some(MergeTarget::New(fields)),
            Err(problems) => {
                let prefix = i18n::text(lang, "units.successor_new");
                errors.extend(problems.into_iter().map(|p| format!("{prefix} — {p}")));
                None
            }
        }
    } else {
        match form.successor_id.trim().parse::<i64>() {
            Ok(id) => {
                // The successor continues; it is not merged into itself.
                predecessors.retain(|p| *p != id);
                Some(MergeTarget::Existing(id))
            }
            Err(_) => {
                errors.push(field_error(
                    lang,
                    "units.successor",
                    i18n::text(lang, "units.err_required"),
                ));
                None
            }
        }
    };
    if predecessors.is_empty() {
        errors.push(field_error(
            lang,
            "units.predecessors",
            i18n::text(lang, "units.err_no_predecessors"),
        ));
    }
    let (Some(target), Some(effective), true) = (target, effective, errors.is_empty()) else {
        return Ok(unprocessable(
            merge_page(&state, &context, form, errors).await?,
        ));
    };
    let note = Some(form.note.trim()).filter(|n| !n.is_empty());
    match units::merge(
        &state.db,
        &principal.actor(),
        &predecessors,
        target,
        effective,
        note,
    )
    .await
    {
        Ok(successor) => Ok(Redirect::to(&paths::with_msg(
            &paths::unit(successor),
            "units.merged",
        ))
        .into_response()),
        Err(StoreError::NotFound) => {
            let message = field_error(
                lang,
                "units.predecessors",
                i18n::text(lang, "units.err_parent"),
            );
            Ok(unprocessable(
                merge_page(&state, &context, form, vec![message]).await?,
            ))
        }
        Err(error) => {
            let message = store_error(lang, error)?;
            Ok(unprocessable(
                merge_page(&state, &context, form, vec![message]).await?,
            ))
        }
    }
}

/// One problem of an imported file: the row (the header is row 1) and what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportProblem {
    pub row: Option<usize>,
    pub message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "units/import.html")]
pub struct ImportPage {
    page: Page,
    problems: Vec<ImportProblem>,
    summary: Option<ImportSummary>,
    file_name: String,
    max_megabytes: String,
}

fn import_page(
    state: &AppState,
    context: &crate::auth::Context,
    problems: Vec<ImportProblem>,
    summary: Option<ImportSummary>,
    file_name: String,
) -> ImportPage {
    let megabytes = state.config.max_upload_bytes as f64 / (1024.0 * 1024.0);
    ImportPage {
        page: Page::new(context, "units.import_title"),
        problems,
        summary,
        file_name,
        max_megabytes: i18n::number(context.lang, megabytes, 1),
    }
}

pub async fn import_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<ImportPage> {
    principal.require(Permission::ManageUnits)?;
    Ok(import_page(
        &state,
        &context,
        Vec::new(),
        None,
        String::new(),
    ))
}

/// Which kind of spreadsheet an upload is: by its name, and for .xlsx by its content too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UploadKind {
    Csv,
    Xlsx,
}

fn upload_kind(file_name: &str, bytes: &[u8]) -> Option<UploadKind> {
    let lower = file_name.to_lowercase();
    if lower.ends_with(".xlsx") {
        // An .xlsx is a zip archive.
        bytes.starts_with(b"PK\x03\x04").then_some(UploadKind::Xlsx)
    } else if lower.ends_with(".csv") {
        (!bytes.starts_with(b"PK\x03\x04")).then_some(UploadKind::Csv)
    } else {
        None
    }
}

/// Imports `units.csv` or its .xlsx form: every bad row is reported with its number and
/// reason, and nothing is written while there is one; otherwise a summary of what changed.
#[tracing::instrument(skip_all)]
pub async fn import(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    upload: Upload<UnitsImportForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageUnits)?;
    let lang = context.lang;
    let limit = upload.file_limit();
    let file_problem = |key: &str, args: &[(&str, &str)]| {
        vec![ImportProblem {
            row: None,
            message: tr(lang, key, args),
        }]
    };
    let megabytes = i18n::number(lang, limit as f64 / (1024.0 * 1024.0), 1);
    let respond = |problems: Vec<ImportProblem>, name: String, status: StatusCode| {
        (status, import_page(&state, &context, problems, None, name)).into_response()
    };
    let too_large = |name: String| {
        let problem = file_problem("units.err_too_large", &[("max", &megabytes)]);
        respond(problem, name, StatusCode::PAYLOAD_TOO_LARGE)
    };
    let file = match upload.read().await {
        Ok(received) => received.file,
        Err(UploadRefusal::TooLarge { file_name, .. }) => {
            return Ok(too_large(file_name.unwrap_or_default()));
        }
        Err(UploadRefusal::Invalid(refusal)) => {
            let problem = ImportProblem {
                row: None,
                message: refusal.message().to_string(),
            };
            return Ok(respond(vec![problem], String::new(), refusal.status()));
        }
    };
    if let Some(file) = file.as_ref().filter(|f| f.size > limit) {
        return Ok(too_large(file.name.clone()));
    }
    let Some((name, bytes)) = file
        .map(|f| (f.name, f.bytes))
        .filter(|(_, b)| !b.is_empty())
    else {
        return Ok(respond(
            file_problem("units.err_no_file", &[]),
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let Some(kind) = upload_kind(&name, &bytes) else {
        return Ok(respond(
            file_problem("units.err_file_type", &[]),
            name,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let display = name.rsplit(['/', '\\']).next().unwrap_or(&name).to_string();
    // Parsing is CPU work of up to seconds on a large file: off the async workers. The cells
    // are typed text too: a name or code is refused as it would be in the form.
    let file_name = display.clone();
    let table = tokio::task::spawn_blocking(move || {
        let table = match kind {
            UploadKind::Csv => read_csv(&file_name, bytes.as_slice()),
            UploadKind::Xlsx => read_xlsx(&file_name, &bytes),
        };
        let table = table.map_err(|error| {
            vec![ImportProblem {
                row: error.row,
                message: error.problem.describe(lang),
            }]
        })?;
        let problems: Vec<_> = cells::check_table(lang, &table)
            .into_iter()
            .map(|p| ImportProblem {
                row: Some(p.row),
                message: p.message,
            })
            .collect();
        problems.is_empty().then_some(table).ok_or(problems)
    })
    .await
    .map_err(anyhow::Error::from)?;
    let table = match table {
        Ok(table) => table,
        Err(problems) => return Ok(respond(problems, display, StatusCode::UNPROCESSABLE_ENTITY)),
    };
    let existing = units::list(&state.db).await?;
    let rows = match import_rows(lang, &table, &existing, Utc::now().date_naive()) {
        Ok(rows) => rows,
        Err(problems) => {
            return Ok(respond(problems, display, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    match units::import(&state.db, &principal.actor(), &rows).await {
        Ok(summary) => {
            Ok(import_page(&state, &context, Vec::new(), Some(summary), display).into_response())
        }
        // The rows were checked above; a refusal here means the data changed meanwhile.
        Err(StoreError::Setup(refusal)) => {
            let (row, refusal) = match refusal {
                SetupRefusal::ImportRow { row, refusal } => (Some(row), *refusal),
                other => (None, other),
            };
            let problem = ImportProblem {
                row,
                message: refusal.describe(lang),
            };
            Ok(respond(
                vec![problem],
                display,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(StoreError::Conflict(_)) => Ok(respond(
            file_problem("units.err_code_taken", &[]),
            display,
            StatusCode::CONFLICT,
        )),
        Err(error) => Err(error.into()),
    }
}

/// Checks every row of a units table against the database and the rows before it, and
/// turns the table into the store's import rows. Columns: `unit_code`, `unit_name`, `region`
/// (interchange.md §2), and the extensions `kind`, `parent_code`, `valid_from`, `valid_to`.
/// A file without a `kind` column lists provinces, as the contract's `units.csv` does; a blank
/// name, kind, region or parent keeps what an existing unit has.
fn import_rows(
    lang: Lang,
    table: &Table,
    existing: &[OrgUnit],
    today: NaiveDate,
) -> Result<Vec<ImportedUnit>, Vec<ImportProblem>> {
    let mut problems: Vec<ImportProblem> = Vec::new();
    let mut reported: HashSet<usize> = HashSet::new();
    if let Err(errors) = read_units(table) {
        for error in errors.0 {
            if let Some(row) = error.row {
                reported.insert(row);
            } else {
                // A missing column: nothing else can be read.
                return Err(vec![ImportProblem {
                    row: None,
                    message: error.problem.describe(lang),
                }]);
            }
            problems.push(ImportProblem {
                row: error.row,
                message: error.problem.describe(lang),
            });
        }
    }
    if table.rows.is_empty() {
        return Err(vec![ImportProblem {
            row: None,
            message: i18n::text(lang, "units.err_empty_file").to_string(),
        }]);
    }
    let column = |name: &str| table.column(name);
    let code_column = column("unit_code");
    let name_column = column("unit_name");
    let region_column = column("region");
    let kind_column = column("kind");
    let parent_column = column("parent_code");
    let from_column = column("valid_from");
    let to_column = column("valid_to");

    let current: HashMap<&str, &OrgUnit> = existing
        .iter()
        .filter(|u| u.is_current_on(today))
        .map(|u| (u.code.as_str(), u))
        .collect();
    // Codes of earlier rows and their kinds: a parent may be a unit of the same file.
    let mut in_file: HashMap<String, OrgKind> = HashMap::new();
    let mut rows = Vec::new();
    for row in &table.rows {
        if reported.contains(&row.number) {
            continue;
        }
        let mut row_problems = Vec::new();
        let mut problem = |field_key: &str, message: String| {
            row_problems.push(field_error(lang, field_key, &message));
        };
        let code = row.get(code_column).to_string();
        let old = current.get(code.as_str()).copied();
        let name = match (row.get(name_column), old) {
            ("", Some(old)) => old.name.clone(),
            ("", None) => {
                problem(
                    "units.col_name",
                    i18n::text(lang, "units.err_required_new").to_string(),
                );
                String::new()
            }
            (name, _) => name.to_string(),
        };
        let kind = match (kind_column, row.get(kind_column), old) {
            (None, _, Some(old)) | (Some(_), "", Some(old)) => Some(old.kind),
            (None, _, None) => Some(OrgKind::Province),
            (Some(_), "", None) => {
                problem(
                    "units.col_kind",
                    i18n::text(lang, "units.err_required_new").to_string(),
                );
                None
            }
            (Some(_), text, _) => {
                let kind = OrgKind::parse(text);
                if kind.is_none() {
                    problem(
                        "units.col_kind",
                        tr(lang, "units.err_kind_value", &[("value", text)]),
                    );
                }
                kind
            }
        };
        let parent_code = Some(row.get(parent_column).to_string()).filter(|p| !p.is_empty());
        if let Some(parent) = &parent_code {
            let parent_kind = in_file
                .get(parent)
                .copied()
                .or_else(|| current.get(parent.as_str()).map(|u| u.kind));
            if *parent == code {
                problem(
                    "units.col_parent",
                    i18n::text(lang, "units.err_own_parent").to_string(),
                );
            } else {
                match (parent_kind, kind) {
                    (None, _) => problem(
                        "units.col_parent",
                        tr(lang, "units.err_parent_code", &[("code", parent)]),
                    ),
                    (Some(parent_kind), Some(kind))
                        if !kind.allowed_parents().contains(&parent_kind) =>
                    {
                        problem(
                            "units.col_parent",
                            tr(
                                lang,
                                "units.err_parent_kind",
                                &[
                                    ("kind", i18n::text(lang, &format!("common.kind_{kind}"))),
                                    (
                                        "parent",
                                        i18n::text(lang, &format!("common.kind_{parent_kind}")),
                                    ),
                                ],
                            ),
                        )
                    }
                    _ => {}
                }
            }
        }
        let mut date = |column: Option<usize>, key: &str| match parse_date(row.get(column)) {
            Ok(date) => date,
            Err(()) => {
                row_problems.push(field_error(
                    lang,
                    key,
                    &tr(lang, "units.err_date_value", &[("value", row.get(column))]),
                ));
                None
            }
        };
        let valid_from = date(from_column, "units.col_valid_from");
        let valid_to = date(to_column, "units.col_valid_to");
        if let (Some(from), Some(to)) = (valid_from, valid_to)
            && to < from
        {
            row_problems.push(field_error(
                lang,
                "units.col_valid_to",
                i18n::text(lang, "units.err_dates_order"),
            ));
        }
        if !row_problems.is_empty() {
            problems.extend(row_problems.into_iter().map(|message| ImportProblem {
                row: Some(row.number),
                message,
            }));
            continue;
        }
        let Some(kind) = kind else { continue };
        in_file.insert(code.clone(), kind);
        let region = match (row.get(region_column), old) {
            ("", Some(old)) => old.region.clone(),
            ("", None) => None,
            (region, _) => Some(region.to_string()),
        };
        rows.push(ImportedUnit {
            row: row.number,
            fields: UnitFields {
                code,
                name,
                kind,
                // Without a parent code an existing unit keeps its parent.
                parent_id: old.and_then(|u| u.parent_id),
                region,
                valid_from,
                valid_to,
            },
            parent_code,
        });
    }
    problems.sort_by_key(|p| p.row);
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: i64, code: &str, kind: &str, parent: Option<i64>) -> OrgUnit {
        OrgUnit {
            id,
            code: code.into(),
            name: format!("Đơn vị {code}"),
            kind: OrgKind::parse(kind).unwrap(),
            parent_id: parent,
            region: None,
            valid_from: open_start(),
            valid_to: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn the_tree_puts_children_under_parents_and_ministries_apart() {
        let units = vec![
            unit(1, "VN", "nation", None),
            unit(2, "46", "province", Some(1)),
            unit(3, "X01", "commune", Some(2)),
            unit(4, "S01", "department", Some(2)),
            unit(5, "BNV", "ministry", Some(1)),
        ];
        let today = Utc::now().date_naive();
        let (local, ministries) = tree(&units, today);
        let codes: Vec<(&str, usize)> = local.iter().map(|r| (r.code.as_str(), r.depth)).collect();
        assert_eq!(codes, [("VN", 0), ("46", 1), ("S01", 2), ("X01", 2)]);
        assert_eq!(ministries.len(), 1);
        assert_eq!(ministries[0].code, "BNV");
    }

    #[test]
    fn import_reports_every_bad_row() {
        let existing = vec![unit(1, "99", "province", None)];
        let text = "\u{feff}unit_code,unit_name,kind,parent_code,valid_from\n\
                    S01,Sở A,department,99,\n\
                    S02,,department,99,\n\
                    S03,Sở C,bogus,99,\n\
                    S04,Sở D,department,ZZ,\n\
                    S05,Sở E,department,99,31/02/2020\n\
                    S01,Sở A lặp,department,99,\n\
                    X01,Xã F,commune,S01,\n";
        let table = read_csv("units.csv", text.as_bytes()).unwrap();
        let today = Utc::now().date_naive();
        let problems = import_rows(Lang::Vi, &table, &existing, today).unwrap_err();
        let rows: Vec<Option<usize>> = problems.iter().map(|p| p.row).collect();
        assert_eq!(
            rows,
            [Some(3), Some(4), Some(5), Some(6), Some(7), Some(8)],
            "{problems:#?}"
        );
        assert!(
            problems[0].message.starts_with("Cột unit_name"),
            "{problems:?}"
        );
        assert!(problems[4].message.contains("trùng"), "{problems:?}");

        let good = "unit_code,unit_name,region\n98,Tỉnh B,Tây Nguyên\n99,,\n";
        let table = read_csv("units.csv", good.as_bytes()).unwrap();
        let rows = import_rows(Lang::Vi, &table, &existing, today).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].fields.kind, OrgKind::Province);
        assert_eq!(rows[1].fields.name, "Đơn vị 99");
    }

    #[test]
    fn a_missing_column_is_named_in_vietnamese() {
        let table = read_csv("units.csv", "code,name\nA,B\n".as_bytes()).unwrap();
        let problems = import_rows(Lang::Vi, &table, &[], Utc::now().date_naive()).unwrap_err();
        assert_eq!(
            problems,
            [ImportProblem {
                row: None,
                message: "Thiếu cột 'unit_code' ở dòng tiêu đề (tệp có các cột: code, name)."
                    .into()
            }]
        );
    }

    #[test]
    fn uploads_must_be_csv_or_xlsx() {
        assert_eq!(upload_kind("a.CSV", b"x"), Some(UploadKind::Csv));
        assert_eq!(
            upload_kind("a.xlsx", b"PK\x03\x04..."),
            Some(UploadKind::Xlsx)
        );
        assert_eq!(upload_kind("a.xlsx", b"unit_code"), None);
        assert_eq!(upload_kind("a.pdf", b"%PDF"), None);
    }
}
