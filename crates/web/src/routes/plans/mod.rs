//! The improvement plans' screens (`/ke-hoach/…`, docs/method.md §7): the list with drafting
//! and import, a plan with its goals, groups and tasks, a task with its reports, the
//! dashboard, the reporting periods with the roll-up, the exports, and a unit's own tasks
//! (`/nhiem-vu`). Handlers extract, call `app::plans` and render; who may do what is decided
//! there ([`crate::app::plans::Access`]).

pub mod documents;
pub mod exports;
pub mod list;
pub mod plan;
pub mod task;
pub mod tracking;

use std::collections::HashMap;

use axum::Router;
use axum::routing::{get, post};
use chiso_domain::org::OrgKind;
use chiso_store::plans::{TaskRow, TaskTarget};
use chiso_store::units::OrgUnit;
use chrono::NaiveDate;

use crate::app::plans::PlanContext;
use crate::app::plans::progress::TaskProgress;
use crate::describe::plan::{deadline_words, status_title, timing_class, timing_words};
use crate::forms::Choice;
use crate::i18n::Lang;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ke-hoach", get(list::index).post(list::create))
        .route("/ke-hoach/du-thao", post(list::draft))
        .route("/ke-hoach/nhap", post(list::import))
        .route("/nhiem-vu", get(list::my_tasks))
        .route("/ke-hoach/{plan}", get(plan::show).post(plan::update))
        .route("/ke-hoach/{plan}/muc-tieu", post(plan::add_goal))
        .route("/ke-hoach/{plan}/nhom", post(plan::add_group))
        .route("/ke-hoach/{plan}/gop", post(plan::merge))
        .route("/ke-hoach/{plan}/nhiem-vu", post(task::create))
        .route("/ke-hoach/{plan}/nhiem-vu/{task}", get(task::show))
        .route(
            "/ke-hoach/{plan}/nhiem-vu/{task}/sua",
            get(task::edit_form).post(task::update),
        )
        .route("/ke-hoach/{plan}/nhiem-vu/{task}/xoa", post(task::delete))
        .route(
            "/ke-hoach/{plan}/nhiem-vu/{task}/chuyen",
            post(task::move_task),
        )
        .route(
            "/ke-hoach/{plan}/nhiem-vu/{task}/bao-cao",
            post(task::report),
        )
        .route(
            "/ke-hoach/{plan}/nhiem-vu/{task}/tep/{file}",
            get(task::download),
        )
        .route("/ke-hoach/{plan}/tong-quan", get(tracking::dashboard))
        .route(
            "/ke-hoach/{plan}/ky-bao-cao",
            get(tracking::periods).post(tracking::open_period),
        )
        .route(
            "/ke-hoach/{plan}/ky-bao-cao/{period}",
            get(tracking::period).post(tracking::save_rollup),
        )
        .route(
            "/ke-hoach/{plan}/ky-bao-cao/{period}/tong-hop.xlsx",
            get(exports::rollup),
        )
        .route(
            "/ke-hoach/{plan}/ky-bao-cao/{period}/bao-cao",
            post(documents::rollup_pdf),
        )
        .route("/ke-hoach/{plan}/phu-luc.xlsx", get(exports::appendix))
        .route(
            "/ke-hoach/{plan}/phu-luc.pdf",
            post(documents::appendix_pdf),
        )
        .route("/ke-hoach/{plan}/thi-dua.xlsx", get(exports::emulation))
}

/// A task as the tables list it.
pub struct TaskLine {
    pub id: i64,
    pub plan_id: i64,
    pub number: usize,
    pub title: String,
    pub criteria: String,
    pub lead: String,
    pub division: String,
    pub coordinators: Vec<String>,
    pub deadline: String,
    pub product: String,
    pub status: String,
    pub status_code: &'static str,
    pub timing: String,
    pub timing_class: &'static str,
    pub percent: i64,
    pub reported: bool,
    pub priority: i64,
}

/// An index's name as the plan's pages say it ("Chỉ số PAPI", "Chỉ số CCHC (khối xã)"): an
/// index id, `campaign:<unit group>`, or `campaign` (a theme: the province's own assessment);
/// none for `""`.
pub fn index_words(lang: Lang, index: &str) -> String {
    if index.is_empty() {
        return crate::i18n::text(lang, "plans.index_none").to_string();
    }
    let index = if index == "campaign" {
        "campaign:"
    } else {
        index
    };
    let key = format!("plans.index_{}", index.replace(':', "_"));
    let text = crate::i18n::text(lang, &key);
    if text == key {
        index.to_uppercase()
    } else {
        text.to_string()
    }
}

/// The criteria a task targets, as a reader names them ("1.2; PAPI 3").
pub fn criteria_words(targets: &[TaskTarget]) -> String {
    targets
        .iter()
        .map(|t| {
            if t.index_id.starts_with("campaign:") || t.index_id.is_empty() {
                t.code.clone()
            } else {
                format!("{} {}", t.index_id.to_uppercase(), t.code)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn task_line(
    lang: Lang,
    context: &PlanContext,
    task: &TaskRow,
    number: usize,
    progress: &TaskProgress,
) -> TaskLine {
    TaskLine {
        id: task.id,
        plan_id: task.plan_id,
        number,
        title: task.title.clone(),
        criteria: criteria_words(&task.targets),
        lead: context.unit_name(task.lead_unit_id).to_string(),
        division: task.division.clone().unwrap_or_default(),
        coordinators: task
            .coordinators
            .iter()
            .map(|c| context.unit_name(*c).to_string())
            .collect(),
        deadline: deadline_words(lang, &task.deadline),
        product: task.product.clone(),
        status: status_title(lang, task.status).to_string(),
        status_code: task.status.as_str(),
        timing: timing_words(lang, &progress.timing),
        timing_class: timing_class(&progress.timing),
        percent: progress.percent,
        reported: progress.reported,
        priority: task.priority,
    }
}

/// The units a task can be given to (current units, the province first, then departments,
/// districts and communes by name), with `selected` ticked.
pub fn unit_choices(
    units: &HashMap<i64, OrgUnit>,
    today: NaiveDate,
    selected: &[i64],
    only: Option<&[i64]>,
) -> Vec<Choice> {
    let order = |k: OrgKind| match k {
        OrgKind::Province => 0,
        OrgKind::Department => 1,
        OrgKind::District => 2,
        OrgKind::Commune => 3,
        _ => 4,
    };
    let mut list: Vec<&OrgUnit> = units
        .values()
        .filter(|u| u.is_current_on(today) && u.kind != OrgKind::Nation)
        .filter(|u| only.is_none_or(|only| only.contains(&u.id)))
        .collect();
    list.sort_by(|a, b| (order(a.kind), &a.name).cmp(&(order(b.kind), &b.name)));
    list.into_iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: u.name.clone(),
            selected: selected.contains(&u.id),
        })
        .collect()
}
