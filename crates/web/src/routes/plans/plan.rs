//! A plan's page (`/ke-hoach/{plan}`): its document, goals against the results, solution groups
//! and tasks in the appendix's order (or sorted by effect), with the editor's forms: the
//! document, a goal, a group, a task, merging tasks.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Redirect, Response};
use chiso_domain::plan::{Goal, GoalOutcome, PlanRefusal};
use chiso_store::plans::{self, PlanFields, TaskTarget};
use serde::Deserialize;

use super::{TaskLine, task_line, unit_choices};
use crate::app::plans::effects::{self, GoalStatus, task_effect};
use crate::app::plans::progress::{current_period, standing};
use crate::app::plans::{self as app, PlanContext};
use crate::auth::Auth;
use crate::error::{AppError, AppResult};
use crate::extract::{Form, PathId, Query, State};
use crate::forms::{Choice, Pairs, field, parse_date};
use crate::i18n::{self, Lang};
use crate::paths;
use crate::routes::indices::shared::configured_province;
use crate::state::AppState;
use crate::views::Page;

/// A group with its tasks.
pub struct GroupView {
    id: i64,
    title: String,
    tasks: Vec<TaskView>,
}

pub struct TaskView {
    line: TaskLine,
    /// "+3,20 điểm %; lên 4 bậc" once a later result is in.
    effect: String,
}

pub struct GoalView {
    pub text: String,
    pub year: i64,
    pub result: String,
    pub outcome: String,
    pub state: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "plans/plan.html")]
pub struct PlanPage {
    page: Page,
    id: i64,
    title: String,
    year: i64,
    document: String,
    doc_number: String,
    doc_date: String,
    issuer: String,
    signer: String,
    implements: Vec<String>,
    implements_text: String,
    owner: String,
    parent: Option<(i64, String)>,
    provincial: bool,
    goals: Vec<GoalView>,
    groups: Vec<GroupView>,
    by_effect: bool,
    can_edit: bool,
    group_choices: Vec<Choice>,
    unit_choices: Vec<Choice>,
    index_choices: Vec<Choice>,
    task_count: usize,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    pub sap_xep: String,
}

/// A goal's result and outcome in words.
pub fn goal_view(lang: Lang, status: &GoalStatus) -> GoalView {
    let n = |v: f64| i18n::number(lang, v, 2);
    let result = match (status.value, status.rank) {
        (Some(v), Some(r)) => i18n::fill(
            lang,
            "plans.goal_result_rank",
            &[
                ("value", &n(v)),
                ("rank", &r),
                ("of", &status.ranked.unwrap_or(0)),
            ],
        ),
        (Some(v), None) => n(v),
        (None, Some(r)) => i18n::fill(lang, "plans.goal_result_rank_only", &[("rank", &r)]),
        (None, None) => i18n::text(lang, "plans.no_result").to_string(),
    };
    let (outcome, state) = match status.outcome {
        GoalOutcome::Met { margin } => (
            i18n::fill(
                lang,
                "plans.goal_met",
                &[("by", &i18n::number(lang, margin, 2))],
            ),
            "met",
        ),
        GoalOutcome::Missed { short_by } => (
            i18n::fill(
                lang,
                "plans.goal_missed",
                &[("by", &i18n::number(lang, short_by, 2))],
            ),
            "missed",
        ),
        GoalOutcome::NoResult => (
            i18n::text(lang, "plans.goal_waiting").to_string(),
            "waiting",
        ),
    };
    GoalView {
        text: status.goal.text.clone(),
        year: status.goal.year,
        result,
        outcome,
        state,
    }
}

/// An effect in words: the change of share (or value) and the places gained.
pub fn effect_words(lang: Lang, change: Option<f64>, places: Option<i64>) -> String {
    let mut parts = Vec::new();
    if let Some(change) = change {
        let sign = if change > 0.0 { "+" } else { "" };
        parts.push(format!("{sign}{}", i18n::number(lang, change, 2)));
    }
    if let Some(places) = places.filter(|p| *p != 0) {
        let key = if places > 0 {
            "plans.places_up"
        } else {
            "plans.places_down"
        };
        parts.push(i18n::fill(lang, key, &[("n", &places.abs())]));
    }
    parts.join("; ")
}

/// The index choices of a group: the national indices and the campaign's.
fn index_choices(lang: Lang) -> Vec<Choice> {
    let mut choices = vec![Choice {
        value: String::new(),
        label: i18n::text(lang, "plans.index_none").to_string(),
        selected: true,
    }];
    for (value, key) in [
        ("campaign:department", "plans.index_campaign_department"),
        ("campaign:commune", "plans.index_campaign_commune"),
        ("par", "plans.index_par"),
        ("sipas", "plans.index_sipas"),
        ("papi", "plans.index_papi"),
        ("pci", "plans.index_pci"),
        ("dti", "plans.index_dti"),
    ] {
        choices.push(Choice {
            value: value.to_string(),
            label: i18n::text(lang, key).to_string(),
            selected: false,
        });
    }
    choices
}

pub async fn show(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Query(query): Query<ShowQuery>,
) -> AppResult<PlanPage> {
    let (plan, access) =
        app::readable(&state.db, &principal, id.get()?, state.clock.today()).await?;
    let lang = context.lang;
    let province = configured_province(&state);
    let code = state.config.province_code.as_deref();
    let goals = effects::goals(&state.db, &plan, code).await?;
    let effects = effects::effects(&state.db, &plan, province.as_ref()).await?;
    let now = standing(&plan, current_period(&plan));
    let by_effect = query.sap_xep == "hieu-qua";
    let mut groups: Vec<GroupView> = plan
        .groups
        .iter()
        .map(|g| GroupView {
            id: g.id,
            title: g.title.clone(),
            tasks: Vec::new(),
        })
        .collect();
    let mut loose = GroupView {
        id: 0,
        title: i18n::text(lang, "plans.no_group").to_string(),
        tasks: Vec::new(),
    };
    for (n, task) in plan.tasks.iter().enumerate() {
        let Some(progress) = now.of(task.id) else {
            continue;
        };
        let task_effects: Vec<_> = effects.iter().filter(|e| e.task_id == task.id).collect();
        let places = task_effects.iter().filter_map(|e| e.places()).max();
        let view = TaskView {
            line: task_line(lang, &plan, task, n + 1, progress),
            effect: effect_words(lang, task_effect(&effects, task.id), places),
        };
        match task
            .group_id
            .and_then(|g| groups.iter_mut().find(|x| x.id == g))
        {
            Some(group) if !by_effect => group.tasks.push(view),
            _ => loose.tasks.push(view),
        }
    }
    if by_effect {
        loose.title = i18n::text(lang, "plans.sorted_by_effect").to_string();
        loose.tasks.sort_by(|a, b| {
            let score = |t: &TaskView| task_effect(&effects, t.line.id);
            score(b)
                .unwrap_or(f64::MIN)
                .total_cmp(&score(a).unwrap_or(f64::MIN))
        });
        groups.clear();
    }
    if !loose.tasks.is_empty() {
        groups.push(loose);
    }
    let p = &plan.plan;
    Ok(PlanPage {
        page: Page::new(&context, "plans.plan_title"),
        id: p.id,
        title: p.title.clone(),
        year: p.year,
        document: plan.document_words(),
        doc_number: p.doc_number.clone().unwrap_or_default(),
        doc_date: p
            .doc_date
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        issuer: p.issuer.clone().unwrap_or_default(),
        signer: p.signer.clone().unwrap_or_default(),
        implements: p
            .implements
            .lines()
            .map(str::to_string)
            .filter(|l| !l.trim().is_empty())
            .collect(),
        implements_text: p.implements.clone(),
        owner: plan.unit_name(p.owner_unit_id).to_string(),
        parent: plan.parent.as_ref().map(|x| (x.id, x.title.clone())),
        provincial: plan.is_provincial(),
        goals: goals.iter().map(|g| goal_view(lang, g)).collect(),
        groups,
        by_effect,
        can_edit: access.edit,
        group_choices: plan
            .groups
            .iter()
            .map(|g| Choice {
                value: g.id.to_string(),
                label: g.title.clone(),
                selected: false,
            })
            .collect(),
        unit_choices: unit_choices(&plan.units, plan.today, &[], None),
        index_choices: index_choices(lang),
        task_count: plan.tasks.len(),
    })
}

fn back(plan: i64, msg: &str) -> Response {
    Redirect::to(&format!("{}?msg={msg}", paths::plan(plan))).into_response()
}

/// The plan's document and title.
pub async fn update(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let (plan, _) = app::editable(&state.db, &principal, id.get()?, state.clock.today()).await?;
    let text = |name: &str| Some(field(&pairs, name).to_string()).filter(|t| !t.is_empty());
    let doc_date = parse_date(field(&pairs, "doc_date")).map_err(|_| {
        AppError::refused(PlanRefusal::BadDate {
            text: field(&pairs, "doc_date").to_string(),
        })
    })?;
    let p = &plan.plan;
    let fields = PlanFields {
        owner_unit_id: p.owner_unit_id,
        parent_id: p.parent_id,
        campaign_id: p.campaign_id,
        year: p.year,
        title: field(&pairs, "title").to_string(),
        doc_number: text("doc_number"),
        doc_date,
        issuer: text("issuer"),
        signer: text("signer"),
        implements: field(&pairs, "implements").to_string(),
    };
    plans::update_plan(&state.db, &principal.actor(), p.id, &fields).await?;
    Ok(back(p.id, "common.saved"))
}

/// A goal as the plan writes it ("PAPI: nhóm 20"), checked against the results of its year.
pub async fn add_goal(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let (plan, _) = app::editable(&state.db, &principal, id.get()?, state.clock.today()).await?;
    let year = field(&pairs, "year")
        .parse::<i64>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(plan.plan.year);
    let text = field(&pairs, "goal");
    Goal::parse(text).map_err(|e| AppError::refused(PlanRefusal::from(e)))?;
    plans::add_goal(&state.db, &principal.actor(), plan.plan.id, text, year).await?;
    Ok(back(plan.plan.id, "common.saved"))
}

/// A solution group ("Nhóm giải pháp nâng cao Chỉ số SIPAS").
pub async fn add_group(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let (plan, _) = app::editable(&state.db, &principal, id.get()?, state.clock.today()).await?;
    let index = Some(field(&pairs, "index")).filter(|i| !i.is_empty());
    plans::add_group(
        &state.db,
        &principal.actor(),
        plan.plan.id,
        field(&pairs, "title"),
        index,
    )
    .await?;
    Ok(back(plan.plan.id, "common.saved"))
}

/// Merges the ticked tasks into the first ticked.
pub async fn merge(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let (plan, _) = app::editable(&state.db, &principal, id.get()?, state.clock.today()).await?;
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "task")
        .filter_map(|(_, v)| v.parse().ok())
        .filter(|id| plan.tasks.iter().any(|t| t.id == *id))
        .collect();
    let kept = plans::merge_tasks(&state.db, &principal.actor(), &ids).await?;
    Ok(Redirect::to(&format!(
        "{}?msg=plans.merged",
        paths::plan_task(plan.plan.id, kept)
    ))
    .into_response())
}

/// The criteria a form names ("1.2; PAPI 3; SIPAS 2"), keeping the notes of targets that stay.
pub fn parse_criteria(
    text: &str,
    existing: &[TaskTarget],
    default_index: Option<&str>,
) -> Vec<TaskTarget> {
    const INDICES: [&str; 7] = ["par", "papi", "sipas", "pci", "dti", "ict", "par-ministry"];
    let mut out: Vec<TaskTarget> = Vec::new();
    for token in text
        .split([';', '\n', ','])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let (index, code, kind) = match token.split_once(' ') {
            Some((first, rest)) if INDICES.contains(&first.to_lowercase().as_str()) => {
                (first.to_lowercase(), rest.trim().to_string(), "dimension")
            }
            _ => (
                default_index
                    .filter(|i| i.starts_with("campaign:"))
                    .unwrap_or("campaign:")
                    .to_string(),
                token.to_string(),
                "leaf",
            ),
        };
        let note = existing
            .iter()
            .find(|t| t.code == code && (t.index_id == index || kind == "leaf" && t.kind == "leaf"))
            .map(|t| t.note.clone())
            .unwrap_or_default();
        let index = existing
            .iter()
            .find(|t| t.code == code && kind == "leaf" && t.kind == "leaf")
            .map_or(index, |t| t.index_id.clone());
        if !out.iter().any(|t| t.index_id == index && t.code == code) {
            out.push(TaskTarget {
                kind: kind.into(),
                index_id: index,
                code,
                note,
            });
        }
    }
    out
}

/// The plan context's group index for a group id (the default index of a task's criteria).
pub fn group_index(plan: &PlanContext, group: Option<i64>) -> Option<String> {
    group
        .and_then(|g| plan.groups.iter().find(|x| x.id == g))
        .and_then(|g| g.index_id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_are_leaves_or_index_dimensions() {
        let targets = parse_criteria(
            "1.2; PAPI 3, sipas 2\n1.2",
            &[],
            Some("campaign:department"),
        );
        let read: Vec<(&str, &str, &str)> = targets
            .iter()
            .map(|t| (t.kind.as_str(), t.index_id.as_str(), t.code.as_str()))
            .collect();
        assert_eq!(
            read,
            [
                ("leaf", "campaign:department", "1.2"),
                ("dimension", "papi", "3"),
                ("dimension", "sipas", "2")
            ]
        );
        let kept = parse_criteria(
            "1.2",
            &[TaskTarget {
                kind: "leaf".into(),
                index_id: "campaign:commune".into(),
                code: "1.2".into(),
                note: "mất 2 điểm".into(),
            }],
            None,
        );
        assert_eq!(kept[0].index_id, "campaign:commune");
        assert_eq!(kept[0].note, "mất 2 điểm");
    }
}
