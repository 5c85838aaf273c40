//! Tracking a plan: the dashboard (`/ke-hoach/{plan}/tong-quan`: completion by unit, group and
//! index, overdue tasks, tasks without a report this period, the timeline, the goals), the
//! reporting periods (`…/ky-bao-cao`) and a period's page with who has not reported and the
//! roll-up's narrative for the UBND.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Redirect, Response};
use chiso_domain::plan::{Period, PeriodKind, PlanRefusal, TaskStatus};
use chiso_store::plans;
use chrono::Datelike;

use super::plan::{GoalView, goal_view};
use super::{TaskLine, task_line};
use crate::app::plans::progress::{self, Tally, current_period, owing, standing};
use crate::app::plans::{self as app, PlanContext, effects, reminders};
use crate::auth::Auth;
use crate::describe::plan::period_title;
use crate::error::{AppError, AppResult};
use crate::extract::{Form, PathId, State};
use crate::forms::{Pairs, field, parse_date};
use crate::i18n::{self, Lang};
use crate::paths;
use crate::state::AppState;
use crate::views::Page;

/// A tally as a bar of the dashboard.
pub struct Bar {
    label: String,
    tasks: usize,
    done: usize,
    overdue: usize,
    not_reported: usize,
    percent: String,
    /// The bar's width, 0–100.
    width: u32,
}

fn bar(lang: Lang, tally: &Tally, label: String) -> Bar {
    let mean = tally.mean_percent();
    Bar {
        label,
        tasks: tally.tasks,
        done: tally.done,
        overdue: tally.overdue,
        not_reported: tally.not_reported,
        percent: i18n::number(lang, mean, 1),
        width: mean.round().clamp(0.0, 100.0) as u32,
    }
}

pub struct Month {
    label: String,
    tasks: Vec<(String, i64, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "plans/dashboard.html")]
pub struct DashboardPage {
    page: Page,
    plan_id: i64,
    plan_title: String,
    period: String,
    total: Bar,
    by_unit: Vec<Bar>,
    by_group: Vec<Bar>,
    by_index: Vec<Bar>,
    overdue: Vec<TaskLine>,
    unreported: Vec<TaskLine>,
    timeline: Vec<Month>,
    goals: Vec<GoalView>,
}

pub async fn dashboard(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<DashboardPage> {
    let (plan, _) = app::readable(&state.db, &principal, id.get()?, state.clock.today()).await?;
    let lang = context.lang;
    let period = current_period(&plan);
    let now = standing(&plan, period);
    let lines = |keep: &dyn Fn(&progress::TaskProgress, &chiso_store::plans::TaskRow) -> bool| -> Vec<TaskLine> {
        plan.tasks
            .iter()
            .enumerate()
            .filter_map(|(n, t)| {
                let p = now.of(t.id)?;
                keep(p, t).then(|| task_line(lang, &plan, t, n + 1, p))
            })
            .collect()
    };
    let overdue = lines(&|p, _| p.overdue());
    let unreported = lines(&|p, t| !p.reported && !t.status.is_closed());
    let timeline = progress::timeline(&plan)
        .into_iter()
        .map(|(month, tasks)| Month {
            label: i18n::fill(
                lang,
                "plans.month",
                &[("month", &month.month()), ("year", &month.year())],
            ),
            tasks: tasks
                .into_iter()
                .map(|(due, id, title)| (i18n::date(due), id, title))
                .collect(),
        })
        .collect();
    let goals = effects::goals(&state.db, &plan, state.config.province_code.as_deref()).await?;
    Ok(DashboardPage {
        page: Page::new(&context, "plans.dashboard_title"),
        plan_id: plan.plan.id,
        plan_title: plan.plan.title.clone(),
        period: period_title(lang, &period.as_code()),
        total: bar(lang, &now.total, String::new()),
        by_unit: now
            .by_unit
            .iter()
            .map(|t| bar(lang, t, t.label.clone()))
            .collect(),
        by_group: now
            .by_group
            .iter()
            .map(|t| bar(lang, t, t.label.clone()))
            .collect(),
        by_index: now
            .by_index
            .iter()
            .map(|(i, t)| bar(lang, t, super::index_words(lang, i)))
            .collect(),
        overdue,
        unreported,
        timeline,
        goals: goals.iter().map(|g| goal_view(lang, g)).collect(),
    })
}

pub struct PeriodView {
    code: String,
    title: String,
    due: String,
    opened_by: String,
    owing: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "plans/periods.html")]
pub struct PeriodsPage {
    page: Page,
    plan_id: i64,
    plan_title: String,
    periods: Vec<PeriodView>,
    can_open: bool,
    year: i32,
}

pub async fn periods(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<PeriodsPage> {
    let (plan, access) =
        app::readable(&state.db, &principal, id.get()?, state.clock.today()).await?;
    let lang = context.lang;
    Ok(PeriodsPage {
        page: Page::new(&context, "plans.periods_title"),
        plan_id: plan.plan.id,
        plan_title: plan.plan.title.clone(),
        periods: plan
            .periods
            .iter()
            .map(|p| PeriodView {
                code: p.period.as_code(),
                title: period_title(lang, &p.period.as_code()),
                due: i18n::date(p.due_on),
                opened_by: p.opened_by_name.clone(),
                owing: owing(&plan, p.period).len(),
            })
            .collect(),
        can_open: access.edit,
        year: plan.today.year(),
    })
}

/// Opens a reporting period with its due date; the units on open tasks are told.
pub async fn open_period(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let (plan, _) = app::editable(&state.db, &principal, id.get()?, state.clock.today()).await?;
    let year: i32 = field(&pairs, "year").parse().unwrap_or(plan.today.year());
    let kind = match field(&pairs, "kind") {
        "H1" => Some(PeriodKind::FirstHalf),
        "Y" => Some(PeriodKind::Year),
        q => q
            .strip_prefix('Q')
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| (1..=4).contains(n))
            .map(PeriodKind::Quarter),
    };
    let bad_date = || {
        AppError::refused(PlanRefusal::BadDate {
            text: field(&pairs, "due_on").to_string(),
        })
    };
    let Some(kind) = kind else {
        return Err(AppError::NotFound);
    };
    let due_on = parse_date(field(&pairs, "due_on"))
        .map_err(|_| bad_date())?
        .ok_or_else(bad_date)?;
    let period = Period { year, kind };
    plans::open_period(&state.db, &principal.actor(), plan.plan.id, period, due_on).await?;
    reminders::period_opened(
        &state.db,
        &state.clock,
        &plan.plan,
        &plan.tasks,
        &period.as_code(),
        due_on,
    )
    .await?;
    Ok(Redirect::to(&format!(
        "{}?msg=plans.period_opened",
        paths::plan_period(plan.plan.id, &period.as_code())
    ))
    .into_response())
}

pub struct Owed {
    unit: String,
    tasks: Vec<String>,
}

pub struct PeriodReport {
    number: usize,
    task: String,
    lead: String,
    percent: String,
    narrative: String,
    contributions: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "plans/period.html")]
pub struct PeriodPage {
    page: Page,
    plan_id: i64,
    plan_title: String,
    code: String,
    title: String,
    due: String,
    owing: Vec<Owed>,
    reports: Vec<PeriodReport>,
    narrative: String,
    saved: String,
    can_edit: bool,
    /// The thematic reports: (index, its name).
    themes: Vec<(String, String)>,
}

/// A period of the plan by its code (`2026-Q4`); one not opened is not found.
pub(super) fn period_of(code: &str, plan: &PlanContext) -> AppResult<Period> {
    let period = Period::parse(code).ok_or(AppError::NotFound)?;
    plan.periods
        .iter()
        .any(|p| p.period == period)
        .then_some(period)
        .ok_or(AppError::NotFound)
}

/// The roll-up's narrative as drafted from the reports (the secretariat edits it).
pub fn draft_narrative(lang: Lang, plan: &PlanContext, period: Period) -> String {
    let now = standing(plan, period);
    let count = |status: TaskStatus| plan.tasks.iter().filter(|t| t.status == status).count();
    let owed = owing(plan, period);
    let mut text = i18n::fill(
        lang,
        "plans.narrative_summary",
        &[
            ("period", &period_title(lang, &period.as_code())),
            ("tasks", &now.total.tasks),
            ("done", &count(TaskStatus::Done)),
            (
                "in_progress",
                &(count(TaskStatus::InProgress) + count(TaskStatus::AwaitingAcceptance)),
            ),
            ("not_started", &count(TaskStatus::NotStarted)),
            ("overdue", &now.total.overdue),
            ("mean", &i18n::number(lang, now.total.mean_percent(), 1)),
        ],
    );
    for group in &now.by_group {
        if group.tasks > 0 {
            text.push_str("\n\n");
            text.push_str(&i18n::fill(
                lang,
                "plans.narrative_group",
                &[
                    ("group", &group.label),
                    ("tasks", &group.tasks),
                    ("done", &group.done),
                    ("mean", &i18n::number(lang, group.mean_percent(), 1)),
                ],
            ));
        }
    }
    text.push_str("\n\n");
    if owed.is_empty() {
        text.push_str(i18n::text(lang, "plans.narrative_all_reported"));
    } else {
        let names: Vec<&str> = owed.iter().map(|o| o.unit.as_str()).collect();
        text.push_str(&i18n::fill(
            lang,
            "plans.narrative_owing",
            &[("n", &owed.len()), ("units", &names.join(", "))],
        ));
    }
    text
}

/// The reports of a period, task by task: the lead's latest and the contributions.
fn period_reports(lang: Lang, plan: &PlanContext, period: Period) -> Vec<PeriodReport> {
    let code = period.as_code();
    plan.tasks
        .iter()
        .enumerate()
        .filter_map(|(n, t)| {
            let in_period: Vec<_> = plan.reports_of(t.id).filter(|r| r.period == code).collect();
            if in_period.is_empty() {
                return None;
            }
            let lead = in_period.iter().find(|r| r.unit_id == t.lead_unit_id);
            Some(PeriodReport {
                number: n + 1,
                task: t.title.clone(),
                lead: plan.unit_name(t.lead_unit_id).to_string(),
                percent: lead.map_or(String::new(), |r| format!("{} %", r.percent)),
                narrative: lead.map_or(String::new(), |r| r.narrative.clone()),
                contributions: in_period
                    .iter()
                    .filter(|r| r.unit_id != t.lead_unit_id)
                    .map(|r| (plan.unit_name(r.unit_id).to_string(), r.narrative.clone()))
                    .collect(),
            })
        })
        .map(|mut r| {
            if r.narrative.is_empty() {
                r.narrative = i18n::text(lang, "plans.no_lead_report").to_string();
            }
            r
        })
        .collect()
}

pub async fn period(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, String)>,
) -> AppResult<PeriodPage> {
    let (plan_id, code) = ids.get()?;
    let (plan, access) = app::readable(&state.db, &principal, plan_id, state.clock.today()).await?;
    let lang = context.lang;
    let period = period_of(&code, &plan)?;
    let opened = plan
        .periods
        .iter()
        .find(|p| p.period == period)
        .ok_or(AppError::NotFound)?;
    let saved = plans::rollup(&state.db, plan.plan.id, period).await?;
    Ok(PeriodPage {
        page: Page::new(&context, "plans.period_title"),
        plan_id: plan.plan.id,
        plan_title: plan.plan.title.clone(),
        code: period.as_code(),
        title: period_title(lang, &period.as_code()),
        due: i18n::date(opened.due_on),
        owing: owing(&plan, period)
            .into_iter()
            .map(|o| Owed {
                unit: o.unit,
                tasks: o.tasks,
            })
            .collect(),
        reports: period_reports(lang, &plan, period),
        narrative: saved.as_ref().map_or_else(
            || draft_narrative(lang, &plan, period),
            |s| s.narrative.clone(),
        ),
        saved: saved.map_or(String::new(), |s| {
            i18n::fill(
                lang,
                "plans.narrative_saved",
                &[
                    ("by", &s.updated_by_name),
                    ("at", &i18n::date_time(s.updated_at)),
                ],
            )
        }),
        can_edit: access.edit,
        themes: plan
            .themes()
            .into_iter()
            .map(|t| {
                let words = super::index_words(lang, &t);
                (t, words)
            })
            .collect(),
    })
}

/// Saves the roll-up's narrative of a period.
pub async fn save_rollup(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    ids: PathId<(i64, String)>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let (plan_id, code) = ids.get()?;
    let (plan, _) = app::editable(&state.db, &principal, plan_id, state.clock.today()).await?;
    let period = period_of(&code, &plan)?;
    plans::save_rollup(
        &state.db,
        &principal.actor(),
        plan.plan.id,
        period,
        field(&pairs, "narrative"),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "{}?msg=common.saved",
        paths::plan_period(plan.plan.id, &code)
    ))
    .into_response())
}
