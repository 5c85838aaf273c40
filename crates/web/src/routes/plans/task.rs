//! A task (`/ke-hoach/{plan}/nhiem-vu/{task}`): what it is, what it targets with the results
//! before and after, its reports and contributions with their evidence, the report form for
//! its units, the moves the person may make, and the editor's form.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chiso_domain::plan::{Deadline, Period, PlanRefusal, TaskAction, TaskActor, task as rules};
use chiso_store::evidence;
use chiso_store::plans::{self, NewReport, TaskFields, TaskRow};

use super::plan::{effect_words, group_index, parse_criteria};
use super::{TaskLine, criteria_words, task_line, unit_choices};
use crate::app::plans::effects;
use crate::app::plans::progress::{current_period, task_progress};
use crate::app::plans::{self as app, Access, PlanContext, reminders};
use crate::auth::{Auth, Context, Principal};
use crate::describe::Describe;
use crate::describe::plan::{action_button, action_code, deadline_words, period_title};
use crate::error::{AppError, AppResult};
use crate::extract::multipart::{PlanReportForm, Upload, UploadRefusal};
use crate::extract::{Form, PathId, State};
use crate::forms::{Choice, Pairs, field};
use crate::i18n::{self, Lang};
use crate::paths;
use crate::routes::indices::shared::configured_province;
use crate::state::AppState;
use crate::views::Page;

/// A target with its results.
pub struct TargetView {
    label: String,
    note: String,
    before: String,
    after: String,
    effect: String,
}

pub struct FileView {
    id: i64,
    name: String,
}

pub struct ReportView {
    unit: String,
    lead: bool,
    period: String,
    percent: i64,
    narrative: String,
    filed_on: String,
    author: String,
    files: Vec<FileView>,
}

pub struct MoveView {
    code: &'static str,
    label: &'static str,
    needs_reason: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "plans/task.html")]
pub struct TaskPage {
    page: Page,
    plan_id: i64,
    plan_title: String,
    line: TaskLine,
    status_reason: String,
    serves: String,
    version: i64,
    targets: Vec<TargetView>,
    reports: Vec<ReportView>,
    /// The unit the person reports for, when they may report.
    reporting_as: Option<String>,
    periods: Vec<Choice>,
    moves: Vec<MoveView>,
    can_edit: bool,
    error: Option<String>,
}

fn measure_words(lang: Lang, m: &Option<effects::Measure>) -> String {
    let Some(m) = m else {
        return i18n::text(lang, "plans.no_result").to_string();
    };
    let mut words = format!("{}: {}", m.source, i18n::number(lang, m.value, 2));
    if let Some(share) = m.share {
        words.push_str(&format!(" ({} %)", i18n::number(lang, share, 1)));
    }
    if let Some(rank) = m.rank {
        words.push_str(&format!(
            ", {}",
            i18n::fill(lang, "plans.rank_of", &[("rank", &rank), ("of", &m.of)])
        ));
    }
    words
}

/// The periods a report can be filed for: those opened, else the current quarter.
fn period_choices(lang: Lang, plan: &PlanContext) -> Vec<Choice> {
    let current = current_period(plan);
    let mut periods: Vec<Period> = plan.periods.iter().map(|p| p.period).collect();
    if !periods.contains(&current) {
        periods.insert(0, current);
    }
    periods
        .into_iter()
        .map(|p| Choice {
            value: p.as_code(),
            label: period_title(lang, &p.as_code()),
            selected: p == current,
        })
        .collect()
}

/// The moves the person may make now (the domain's table decides).
fn moves(lang: Lang, task: &TaskRow, mover: Option<TaskActor>) -> Vec<MoveView> {
    let Some(actor) = mover else {
        return Vec::new();
    };
    TaskAction::ALL
        .into_iter()
        .filter(|a| rules::transition(task.status, *a, actor, Some("lý do")).is_ok())
        .map(|a| MoveView {
            code: action_code(a),
            label: action_button(lang, a),
            needs_reason: a.needs_reason(),
        })
        .collect()
}

async fn task_page(
    state: &AppState,
    principal: &Principal,
    context: &Context,
    plan: &PlanContext,
    access: &Access,
    task: &TaskRow,
    error: Option<String>,
) -> AppResult<TaskPage> {
    let lang = context.lang;
    let province = configured_province(state);
    let all_effects = effects::effects(&state.db, plan, province.as_ref()).await?;
    let targets = all_effects
        .iter()
        .filter(|e| e.task_id == task.id)
        .map(|e| TargetView {
            label: {
                let code = criteria_words(std::slice::from_ref(&e.target));
                if e.title.is_empty() {
                    code
                } else {
                    format!("{code} {}", e.title)
                }
            },
            note: e.target.note.clone(),
            before: measure_words(lang, &e.before),
            after: measure_words(lang, &e.after),
            effect: effect_words(lang, e.change(), e.places()),
        })
        .collect();
    let reports = plan
        .reports_of(task.id)
        .map(|r| ReportView {
            unit: plan.unit_name(r.unit_id).to_string(),
            lead: r.unit_id == task.lead_unit_id,
            period: period_title(lang, &r.period),
            percent: r.percent,
            narrative: r.narrative.clone(),
            filed_on: i18n::date(r.filed_on),
            author: r.author_name.clone(),
            files: plan
                .files
                .iter()
                .filter(|f| f.report_id == r.id)
                .map(|f| FileView {
                    id: f.file_id,
                    name: f.file_name.clone(),
                })
                .collect(),
        })
        .collect();
    let reporting = access
        .reporting_unit(principal, task)
        .filter(|_| !task.status.is_closed());
    let serves = task
        .serves_task_id
        .and_then(|_| plan.parent.as_ref().map(|p| p.title.clone()))
        .unwrap_or_default();
    let progress = task_progress(plan, task, current_period(plan));
    let number = plan
        .tasks
        .iter()
        .position(|t| t.id == task.id)
        .map_or(0, |p| p + 1);
    Ok(TaskPage {
        page: Page::new(context, "plans.task_title"),
        plan_id: plan.plan.id,
        plan_title: plan.plan.title.clone(),
        line: task_line(lang, plan, task, number, &progress),
        status_reason: task.status_reason.clone().unwrap_or_default(),
        serves,
        version: task.version,
        targets,
        reports,
        reporting_as: reporting.map(|u| plan.unit_name(u).to_string()),
        periods: period_choices(lang, plan),
        moves: moves(lang, task, access.mover(principal, &plan.plan, task)),
        can_edit: access.edit,
        error,
    })
}

async fn loaded(
    state: &AppState,
    principal: &Principal,
    ids: PathId<(i64, i64)>,
) -> AppResult<(PlanContext, Access, TaskRow)> {
    let (plan_id, task_id) = ids.get()?;
    let (plan, access) = app::readable(&state.db, principal, plan_id, state.clock.today()).await?;
    let task = plan.task(task_id)?.clone();
    Ok((plan, access, task))
}

pub async fn show(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
) -> AppResult<TaskPage> {
    let (plan, access, task) = loaded(&state, &principal, ids).await?;
    task_page(&state, &principal, &context, &plan, &access, &task, None).await
}

/// Reads a task form; refusals are typed.
fn task_fields(
    plan: &PlanContext,
    pairs: &Pairs,
    existing: Option<&TaskRow>,
) -> Result<TaskFields, PlanRefusal> {
    let deadline = Deadline::parse(field(pairs, "deadline"))?;
    let lead = field(pairs, "lead")
        .parse::<i64>()
        .unwrap_or(plan.plan.owner_unit_id);
    if !plan.units.contains_key(&lead) {
        return Err(PlanRefusal::UnknownUnit { unit_id: lead });
    }
    if !plan.is_provincial() && lead != plan.plan.owner_unit_id {
        return Err(PlanRefusal::LeadOutsideUnit);
    }
    let coordinators: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "coordinators")
        .filter_map(|(_, v)| v.parse().ok())
        .filter(|u| plan.units.contains_key(u))
        .collect();
    let group_id = field(pairs, "group")
        .parse::<i64>()
        .ok()
        .filter(|g| plan.groups.iter().any(|x| x.id == *g));
    let serves_task_id = field(pairs, "serves").parse::<i64>().ok();
    let existing_targets = existing.map_or(&[][..], |t| t.targets.as_slice());
    Ok(TaskFields {
        group_id,
        serves_task_id,
        title: field(pairs, "task_title").to_string(),
        product: field(pairs, "product").to_string(),
        deadline,
        priority: field(pairs, "priority").parse().unwrap_or(2),
        lead_unit_id: lead,
        division: Some(field(pairs, "division").to_string()).filter(|d| !d.is_empty()),
        coordinators,
        targets: parse_criteria(
            field(pairs, "criteria"),
            existing_targets,
            group_index(plan, group_id).as_deref(),
        ),
        assigned_on: existing.map_or(plan.today, |t| t.assigned_on),
    })
}

/// Adds a task to the plan; its units are told.
pub async fn create(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let (plan, _) = app::editable(&state.db, &principal, id.get()?, state.clock.today()).await?;
    let fields = task_fields(&plan, &pairs, None).map_err(AppError::refused)?;
    let task_id = plans::add_task(&state.db, &principal.actor(), plan.plan.id, &fields).await?;
    let task = plans::get_task(&state.db, task_id).await?;
    reminders::task_assigned(&state.db, &state.clock, &plan.plan, &task).await?;
    Ok(Redirect::to(&format!(
        "{}?msg=common.created",
        paths::plan_task(plan.plan.id, task_id)
    ))
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "plans/task_edit.html")]
pub struct EditPage {
    page: Page,
    plan_id: i64,
    task_id: i64,
    version: i64,
    title: String,
    criteria: String,
    deadline: String,
    product: String,
    division: String,
    priority: i64,
    groups: Vec<Choice>,
    leads: Vec<Choice>,
    coordinators: Vec<Choice>,
    serves: Vec<Choice>,
    error: Option<String>,
}

async fn edit_page(
    state: &AppState,
    context: &Context,
    plan: &PlanContext,
    task: &TaskRow,
    error: Option<String>,
) -> AppResult<EditPage> {
    let lang = context.lang;
    let only_owner = [plan.plan.owner_unit_id];
    let leads = unit_choices(
        &plan.units,
        plan.today,
        &[task.lead_unit_id],
        (!plan.is_provincial()).then_some(&only_owner[..]),
    );
    let serves = match &plan.parent {
        Some(parent) => plans::tasks(&state.db, parent.id)
            .await?
            .into_iter()
            .map(|t| Choice {
                selected: task.serves_task_id == Some(t.id),
                value: t.id.to_string(),
                label: t.title,
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(EditPage {
        page: Page::new(context, "plans.task_edit_title"),
        plan_id: plan.plan.id,
        task_id: task.id,
        version: task.version,
        title: task.title.clone(),
        criteria: criteria_words(&task.targets),
        deadline: deadline_words(lang, &task.deadline),
        product: task.product.clone(),
        division: task.division.clone().unwrap_or_default(),
        priority: task.priority,
        groups: plan
            .groups
            .iter()
            .map(|g| Choice {
                value: g.id.to_string(),
                label: g.title.clone(),
                selected: task.group_id == Some(g.id),
            })
            .collect(),
        leads,
        coordinators: unit_choices(&plan.units, plan.today, &task.coordinators, None),
        serves,
        error,
    })
}

pub async fn edit_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
) -> AppResult<EditPage> {
    let (plan, access, task) = loaded(&state, &principal, ids).await?;
    if !access.edit {
        return Err(AppError::Forbidden);
    }
    edit_page(&state, &context, &plan, &task, None).await
}

/// Saves a task's wording, agencies, deadline and criteria from the version seen; new units
/// on it are told.
pub async fn update(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let (plan, access, task) = loaded(&state, &principal, ids).await?;
    if !access.edit {
        return Err(AppError::Forbidden);
    }
    let version = field(&pairs, "version").parse::<i64>().unwrap_or(-1);
    let saved = match task_fields(&plan, &pairs, Some(&task)) {
        Ok(fields) => plans::update_task(&state.db, &principal.actor(), task.id, version, &fields)
            .await
            .map_err(AppError::from),
        Err(refusal) => Err(AppError::refused(refusal)),
    };
    match saved {
        Ok(()) => {
            let after = plans::get_task(&state.db, task.id).await?;
            if after.lead_unit_id != task.lead_unit_id || after.coordinators != task.coordinators {
                reminders::task_assigned(&state.db, &state.clock, &plan.plan, &after).await?;
            }
            Ok(Redirect::to(&format!(
                "{}?msg=common.saved",
                paths::plan_task(plan.plan.id, task.id)
            ))
            .into_response())
        }
        Err(AppError::Refused(refusal)) => {
            let status = refusal.status();
            let page = edit_page(
                &state,
                &context,
                &plan,
                &task,
                Some(refusal.describe(context.lang)),
            )
            .await?;
            Ok((status, page).into_response())
        }
        Err(other) => Err(other),
    }
}

/// Removes a task (a proposal the editor drops), once the editor ticked the confirmation;
/// without it nothing changes and the form comes back.
pub async fn delete(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    ids: PathId<(i64, i64)>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let (plan, access, task) = loaded(&state, &principal, ids).await?;
    if !access.edit {
        return Err(AppError::Forbidden);
    }
    if field(&pairs, "confirm") != "1" {
        let edit = format!("{}/sua", paths::plan_task(plan.plan.id, task.id));
        return Ok(Redirect::to(&edit).into_response());
    }
    plans::delete_task(&state.db, &principal.actor(), task.id).await?;
    Ok(Redirect::to(&format!(
        "{}?msg=plans.task_deleted",
        paths::plan(plan.plan.id)
    ))
    .into_response())
}

fn parse_action(code: &str) -> Option<TaskAction> {
    TaskAction::ALL
        .into_iter()
        .find(|a| action_code(*a) == code)
}

/// Moves the task (start, close, accept, send back, pause, resume, cancel) from the version
/// seen; the domain's table says who may.
pub async fn move_task(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let (plan, access, task) = loaded(&state, &principal, ids).await?;
    let Some(actor) = access.mover(&principal, &plan.plan, &task) else {
        return Err(AppError::Forbidden);
    };
    let Some(action) = parse_action(field(&pairs, "action")) else {
        return Err(AppError::NotFound);
    };
    let version = field(&pairs, "version").parse::<i64>().unwrap_or(-1);
    let reason = Some(field(&pairs, "reason")).filter(|r| !r.is_empty());
    match plans::move_task(
        &state.db,
        &principal.actor(),
        actor,
        task.id,
        action,
        reason,
        version,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "{}?msg=common.saved",
            paths::plan_task(plan.plan.id, task.id)
        ))
        .into_response()),
        Err(error) => {
            let error = AppError::from(error);
            let AppError::Refused(refusal) = error else {
                return Err(error);
            };
            let status = refusal.status();
            let page = task_page(
                &state,
                &principal,
                &context,
                &plan,
                &access,
                &task,
                Some(refusal.describe(context.lang)),
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

/// Files a report (the lead) or a contribution (a coordinator) with an optional evidence file.
pub async fn report(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
    upload: Upload<PlanReportForm>,
) -> AppResult<Response> {
    let (plan, access, task) = loaded(&state, &principal, ids).await?;
    let Some(unit) = access.reporting_unit(&principal, &task) else {
        return Err(AppError::Forbidden);
    };
    let lang = context.lang;
    let (st, pr, cx, pl, ac, tk) = (&state, &*principal, &context, &plan, &access, &task);
    let refuse = move |message: String, status: StatusCode| async move {
        let page = task_page(st, pr, cx, pl, ac, tk, Some(message)).await?;
        Ok::<Response, AppError>((status, page).into_response())
    };
    let received = match upload.read().await {
        Ok(received) => received,
        Err(UploadRefusal::TooLarge { .. }) => {
            return refuse(
                i18n::text(lang, "plans.error_file_too_large").to_string(),
                StatusCode::PAYLOAD_TOO_LARGE,
            )
            .await;
        }
        Err(UploadRefusal::Invalid(refusal)) => {
            let status = refusal.status();
            return refuse(refusal.message().to_string(), status).await;
        }
    };
    let Some(period) = Period::parse(&received.get("period")) else {
        return refuse(
            i18n::text(lang, "plans.error_period").to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let Ok(percent) = received.get("percent").trim().parse::<i64>() else {
        let refusal = PlanRefusal::Percent { percent: -1 };
        return refuse(refusal.describe(lang), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let actor = principal.actor();
    let narrative = received.get("narrative");
    let mut files = Vec::new();
    if let Some(file) = received.file.filter(|f| !f.bytes.is_empty()) {
        match evidence::upload(
            &state.db,
            state.blobs.as_ref(),
            &actor,
            &file.name,
            &file.bytes,
            state.config.max_upload_bytes,
        )
        .await
        {
            Ok(stored) => files.push((stored.id, evidence::sanitize_file_name(&file.name))),
            Err(error) => {
                let AppError::Refused(refusal) = AppError::from(error) else {
                    return Err(AppError::Internal(anyhow::anyhow!(
                        "evidence upload failed"
                    )));
                };
                let status = refusal.status();
                return refuse(refusal.describe(lang), status).await;
            }
        }
    }
    let new = NewReport {
        task_id: task.id,
        unit_id: unit,
        period,
        percent,
        narrative,
        filed_on: state.clock.today(),
        files,
    };
    match plans::file_report(&state.db, &actor, &new).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "{}?msg=plans.report_filed",
            paths::plan_task(plan.plan.id, task.id)
        ))
        .into_response()),
        Err(error) => {
            let error = AppError::from(error);
            let AppError::Refused(refusal) = error else {
                return Err(error);
            };
            let status = refusal.status();
            refuse(refusal.describe(lang), status).await
        }
    }
}

/// An evidence file of a report on the task: for the secretariat, the plan's editors and the
/// units on the task; a file of another task answers as not found.
pub async fn download(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    ids: PathId<(i64, i64, String)>,
) -> AppResult<Response> {
    let (plan_id, task_id, file) = ids.get()?;
    let (plan, access) = app::readable(&state.db, &principal, plan_id, state.clock.today()).await?;
    let task = plan.task(task_id)?;
    if !(access.secretariat || access.edit || access.part_in(&principal, task).is_some()) {
        return Err(AppError::Forbidden);
    }
    let file_id: i64 = file.parse().map_err(|_| AppError::NotFound)?;
    let name = plans::tasks_holding_file(&state.db, file_id)
        .await?
        .into_iter()
        .find(|(t, _)| *t == task_id)
        .map(|(_, name)| name)
        .ok_or(AppError::NotFound)?;
    let (row, bytes) = evidence::read_file(&state.db, state.blobs.as_ref(), file_id).await?;
    Ok(crate::routes::assessment::file_response(&row, bytes, &name))
}
