//! The plans list (`/ke-hoach`): the plans a person may read, the secretariat's forms to draft
//! the province's plan from results, start a blank one or import an appendix, a unit's form to
//! make its own plan under the province's; and a unit's tasks (`/nhiem-vu`).

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Redirect, Response};
use chiso_domain::access::{Permission, Role};
use chiso_domain::campaign::CampaignState;
use chiso_domain::plan::TaskActor;
use chiso_store::campaigns;
use chiso_store::plans::{self, PlanFields};
use chiso_store::units;
use chrono::Datelike;

use super::{TaskLine, task_line};
use crate::app::plans::progress::{current_period, task_progress};
use crate::app::plans::{self as app, PlanContext, draft, province_unit, reminders};
use crate::auth::{Auth, Principal};
use crate::error::{AppError, AppResult};
use crate::extract::multipart::{PlanAppendixForm, Upload};
use crate::extract::{Form, State};
use crate::forms::{Choice, Pairs, field, parse_date};
use crate::i18n::{self, Lang};
use crate::paths;
use crate::routes::indices::shared::configured_province;
use crate::state::AppState;
use crate::views::Page;

pub struct PlanRow {
    id: i64,
    title: String,
    year: i64,
    document: String,
    owner: String,
    provincial: bool,
    parent: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "plans/list.html")]
pub struct ListPage {
    page: Page,
    plans: Vec<PlanRow>,
    secretariat: bool,
    /// The person's units, for a unit's own plan (empty: not a unit's staff).
    own_units: Vec<Choice>,
    province_plans: Vec<Choice>,
    campaigns: Vec<Choice>,
    has_province: bool,
    year: i32,
    errors: Vec<String>,
}

/// The units a unit's staff act for (their roles' units).
fn own_units(principal: &Principal, all: &[units::OrgUnit]) -> Vec<Choice> {
    if !(principal.has_role(Role::UnitEditor) || principal.has_role(Role::UnitLeader)) {
        return Vec::new();
    }
    let mut ids: Vec<i64> = principal.roles.iter().filter_map(|r| r.unit_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| all.iter().find(|u| u.id == id))
        .map(|u| Choice {
            value: u.id.to_string(),
            label: u.name.clone(),
            selected: false,
        })
        .collect()
}

async fn list_page(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    errors: Vec<String>,
) -> AppResult<ListPage> {
    let all = units::list(&state.db).await?;
    let name = |id: i64| {
        all.iter()
            .find(|u| u.id == id)
            .map_or(String::new(), |u| u.name.clone())
    };
    let visible = app::visible_plans(&state.db, principal).await?;
    let every = plans::list_plans(&state.db).await?;
    let plans = visible
        .iter()
        .map(|(p, _)| PlanRow {
            id: p.id,
            title: p.title.clone(),
            year: p.year,
            document: p
                .doc_number
                .clone()
                .map_or(String::new(), |_| app::document_words(p)),
            owner: name(p.owner_unit_id),
            provincial: p.parent_id.is_none(),
            parent: p
                .parent_id
                .and_then(|id| every.iter().find(|x| x.id == id))
                .map_or(String::new(), |x| x.title.clone()),
        })
        .collect();
    let campaigns = campaigns::list(&state.db)
        .await?
        .into_iter()
        .filter(|c| c.state() == CampaignState::Published)
        .map(|c| Choice {
            value: c.id.to_string(),
            label: c.title,
            selected: false,
        })
        .collect();
    let province_plans = every
        .iter()
        .filter(|p| p.parent_id.is_none())
        .map(|p| Choice {
            value: p.id.to_string(),
            label: format!("{} ({})", p.title, p.year),
            selected: false,
        })
        .collect();
    Ok(ListPage {
        page: Page::new(context, "plans.list_title"),
        plans,
        secretariat: principal.can(Permission::ManagePlans),
        own_units: own_units(principal, &all),
        province_plans,
        campaigns,
        has_province: configured_province(state).is_some(),
        year: state.clock.today().year(),
        errors,
    })
}

pub async fn index(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<ListPage> {
    list_page(&state, &principal, &context, Vec::new()).await
}

/// What the forms of the list give.
struct NewPlan {
    fields: PlanFields,
    sources: draft::Sources,
}

/// Reads the list's forms: the owner is the province (secretariat) or one of the person's
/// units (its plan under a province's plan). Errors are worded for the page.
async fn read_new_plan(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    pairs: &Pairs,
) -> AppResult<Result<NewPlan, Vec<String>>> {
    let all = units::list(&state.db).await?;
    let today = state.clock.today();
    let mut errors = Vec::new();
    let year = field(pairs, "year")
        .parse::<i64>()
        .ok()
        .filter(|y| (2000..=2100).contains(y));
    if year.is_none() {
        errors.push(i18n::text(lang, "plans.error_year").to_string());
    }
    let unit_id = field(pairs, "unit").parse::<i64>().ok();
    let (owner, parent) = match unit_id {
        Some(unit) => {
            if !own_units(principal, &all)
                .iter()
                .any(|c| c.value == unit.to_string())
            {
                return Err(AppError::Forbidden);
            }
            let parent = field(pairs, "parent").parse::<i64>().ok();
            if parent.is_none() {
                errors.push(i18n::text(lang, "plans.error_parent").to_string());
            }
            (Some(unit), parent)
        }
        None => {
            if !principal.can(Permission::ManagePlans) {
                return Err(AppError::Forbidden);
            }
            (province_unit(&all, today).map(|u| u.id), None)
        }
    };
    let Some(owner) = owner else {
        errors.push(i18n::text(lang, "plans.error_no_province").to_string());
        return Ok(Err(errors));
    };
    let doc_date = match parse_date(field(pairs, "doc_date")) {
        Ok(date) => date,
        Err(_) => {
            errors.push(i18n::text(lang, "plans.error_doc_date").to_string());
            None
        }
    };
    if field(pairs, "title").is_empty() {
        errors.push(i18n::text(lang, "plans.refused_no_title").to_string());
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let campaign_id = field(pairs, "campaign").parse::<i64>().ok();
    let rank = field(pairs, "rank").parse::<u32>().ok().filter(|r| *r >= 1);
    let text = |name: &str| Some(field(pairs, name).to_string()).filter(|t| !t.is_empty());
    Ok(Ok(NewPlan {
        fields: PlanFields {
            owner_unit_id: owner,
            parent_id: parent,
            campaign_id,
            year: year.unwrap_or_default(),
            title: field(pairs, "title").to_string(),
            doc_number: text("doc_number"),
            doc_date,
            issuer: text("issuer"),
            signer: text("signer"),
            implements: field(pairs, "implements").to_string(),
        },
        sources: draft::Sources {
            campaign_id,
            indices: field(pairs, "indices") == "1",
            unit: unit_id.map(|u| (u, rank)),
        },
    }))
}

async fn created(state: &AppState, plan_id: i64) -> AppResult<Response> {
    let context = PlanContext::load(&state.db, plan_id, state.clock.today()).await?;
    for task in &context.tasks {
        reminders::task_assigned(&state.db, &state.clock, &context.plan, task).await?;
    }
    Ok(Redirect::to(&format!("{}?msg=common.created", paths::plan(plan_id))).into_response())
}

/// A blank plan (the secretariat's for the province, or a unit's under the province's): the
/// draft's last group only.
pub async fn create(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    make(&state, &principal, &context, &pairs, true).await
}

/// A plan drafted from a published campaign and the national indices, stored at once with
/// its proposed tasks for the secretariat (or the unit) to edit.
pub async fn draft(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    make(&state, &principal, &context, &pairs, false).await
}

/// Reads the list's form and stores the plan, drafted from its sources unless `blank`.
async fn make(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    pairs: &Pairs,
    blank: bool,
) -> AppResult<Response> {
    require_planner(principal)?;
    let mut new = match read_new_plan(state, principal, context.lang, pairs).await? {
        Ok(new) => new,
        Err(errors) => return refused_page(state, principal, context, errors).await,
    };
    if blank {
        new.sources = draft::Sources::default();
    }
    if let Some(campaign) = new.sources.campaign_id {
        let row = campaigns::get(&state.db, campaign).await?;
        if row.state() != CampaignState::Published {
            return Err(AppError::NotFound);
        }
    }
    let province = configured_province(state);
    let groups = draft::propose(
        &state.db,
        context.lang,
        &new.sources,
        province.as_ref(),
        new.fields.owner_unit_id,
        state.clock.today(),
    )
    .await?;
    let id = plans::create_with_tasks(&state.db, &principal.actor(), &new.fields, &groups).await?;
    created(state, id).await
}

/// Makes plans: the secretariat, or a unit's staff.
fn require_planner(principal: &Principal) -> AppResult<()> {
    if principal.can(Permission::ManagePlans)
        || principal.has_role(Role::UnitEditor)
        || principal.has_role(Role::UnitLeader)
    {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The list page sent back (422) with the problems of a form or an upload.
pub(crate) async fn refused_page(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    errors: Vec<String>,
) -> AppResult<Response> {
    let page = list_page(state, principal, context, errors).await?;
    Ok(crate::forms::unprocessable(page))
}

/// A plan from its appendix table (.xlsx): its groups and tasks as the file has them, the
/// agencies matched to units by name; a file with any problem is refused whole.
pub async fn import(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    upload: Upload<PlanAppendixForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManagePlans)?;
    super::exports::import_appendix(&state, &principal, &context, upload).await
}

/// A unit's task as its list shows it.
pub struct MyTask {
    line: TaskLine,
    plan: String,
    part: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "plans/my_tasks.html")]
pub struct MyTasksPage {
    page: Page,
    has_units: bool,
    tasks: Vec<MyTask>,
}

/// The tasks of the person's units, as lead and as coordinator, overdue first.
pub async fn my_tasks(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<MyTasksPage> {
    let lang = context.lang;
    let all = units::list(&state.db).await?;
    let staff = principal.has_role(Role::UnitEditor) || principal.has_role(Role::UnitLeader);
    let scope = if staff {
        principal.unit_scope(&all).unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut found: BTreeMap<i64, (chiso_store::plans::TaskRow, TaskActor)> = BTreeMap::new();
    for unit in &scope {
        for (task, part) in plans::tasks_of_unit(&state.db, *unit).await? {
            let entry = found.entry(task.id).or_insert((task, part));
            if part == TaskActor::Lead {
                entry.1 = TaskActor::Lead;
            }
        }
    }
    let mut contexts: BTreeMap<i64, PlanContext> = BTreeMap::new();
    let mut tasks = Vec::new();
    for (task, part) in found.into_values() {
        if let std::collections::btree_map::Entry::Vacant(entry) = contexts.entry(task.plan_id) {
            entry.insert(PlanContext::load(&state.db, task.plan_id, state.clock.today()).await?);
        }
        let plan = &contexts[&task.plan_id];
        let progress = task_progress(plan, &task, current_period(plan));
        let number = plan
            .tasks
            .iter()
            .position(|t| t.id == task.id)
            .map_or(0, |p| p + 1);
        tasks.push(MyTask {
            line: task_line(lang, plan, &task, number, &progress),
            plan: plan.plan.title.clone(),
            part: if part == TaskActor::Lead {
                "plans.part_lead"
            } else {
                "plans.part_coordinator"
            },
        });
    }
    tasks.sort_by_key(|t| {
        (
            t.line.timing_class != "overdue",
            t.line.timing_class != "soon",
            t.line.id,
        )
    });
    Ok(MyTasksPage {
        page: Page::new(&context, "plans.my_tasks_title"),
        has_units: !scope.is_empty(),
        tasks,
    })
}
