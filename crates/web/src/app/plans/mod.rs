//! Improvement plans (kế hoạch nâng cao chỉ số; docs/method.md §7): the use cases behind the
//! `/ke-hoach` screens. A request loads its plan once ([`PlanContext::load`]) with its goals,
//! groups, tasks, reports, periods and the units they name, and asks [`Access`] what the person
//! may do with it; the rules themselves are `chiso_domain::plan`'s.
//!
//! Who may do what (docs/method.md §7.9):
//! - the province's plan (no parent): everyone signed in reads it, the secretariat edits it;
//! - a unit's plan (under the province's): the unit's staff edit it; the secretariat, viewers
//!   and the unit's staff read it;
//! - a task's lead unit reports, starts, closes (asks for acceptance) and pauses it; its
//!   coordinating units contribute reports; the secretariat accepts, sends back and cancels.

pub mod draft;
pub mod effects;
pub mod progress;
pub mod reminders;

use std::collections::HashMap;

use chiso_domain::access::{Permission, Role};
use chiso_domain::org::OrgKind;
use chiso_domain::plan::TaskActor;
use chiso_store::plans::{
    self, GoalRow, GroupRow, PeriodRow, PlanRow, ReportFile, ReportRow, TaskRow,
};
use chiso_store::units::{self, OrgUnit};
use chiso_store::{Db, StoreError};
use chrono::NaiveDate;

use crate::auth::Principal;
use crate::error::{AppError, AppResult};

/// A plan with everything its pages show, read once per request.
pub struct PlanContext {
    pub plan: PlanRow,
    pub parent: Option<PlanRow>,
    pub goals: Vec<GoalRow>,
    pub groups: Vec<GroupRow>,
    pub tasks: Vec<TaskRow>,
    /// Every report on the plan's tasks, the latest first.
    pub reports: Vec<ReportRow>,
    pub files: Vec<ReportFile>,
    /// The plan's periods, the latest first.
    pub periods: Vec<PeriodRow>,
    /// Every unit, by id (names of leads, coordinators, owners).
    pub units: HashMap<i64, OrgUnit>,
    pub today: NaiveDate,
}

impl PlanContext {
    pub async fn load(db: &Db, plan_id: i64, today: NaiveDate) -> Result<PlanContext, StoreError> {
        let plan = plans::get_plan(db, plan_id).await?;
        let parent = match plan.parent_id {
            Some(parent) => Some(plans::get_plan(db, parent).await?),
            None => None,
        };
        Ok(PlanContext {
            goals: plans::goals(db, plan_id).await?,
            groups: plans::groups(db, plan_id).await?,
            tasks: plans::tasks(db, plan_id).await?,
            reports: plans::plan_reports(db, plan_id).await?,
            files: plans::report_files(db, plan_id, None).await?,
            periods: plans::periods(db, plan_id).await?,
            units: units::list(db)
                .await?
                .into_iter()
                .map(|u| (u.id, u))
                .collect(),
            plan,
            parent,
            today,
        })
    }

    /// A unit's name ("" for a unit since deleted).
    pub fn unit_name(&self, id: i64) -> &str {
        self.units.get(&id).map_or("", |u| u.name.as_str())
    }

    pub fn task(&self, id: i64) -> AppResult<&TaskRow> {
        self.tasks
            .iter()
            .find(|t| t.id == id)
            .ok_or(AppError::NotFound)
    }

    /// A task's reports, the latest first.
    pub fn reports_of(&self, task_id: i64) -> impl Iterator<Item = &ReportRow> {
        self.reports.iter().filter(move |r| r.task_id == task_id)
    }

    /// The province's plan (no parent) or a unit's.
    pub fn is_provincial(&self) -> bool {
        self.plan.parent_id.is_none()
    }

    /// The plan narrowed to one index's tasks (`papi`, `sipas`, `par`, or `campaign` for the
    /// province's own assessment), its groups and goals: the thematic reports sent up to the
    /// Ministry of Home Affairs. Reports and files stay (they are read per task).
    pub fn theme(&self, index: &str) -> PlanContext {
        let keep = |task: &TaskRow| progress::index_of(self, task).split(':').next() == Some(index);
        let tasks: Vec<TaskRow> = self.tasks.iter().filter(|t| keep(t)).cloned().collect();
        PlanContext {
            plan: self.plan.clone(),
            parent: self.parent.clone(),
            goals: self
                .goals
                .iter()
                .filter(|g| g.goal.index == index)
                .cloned()
                .collect(),
            groups: self
                .groups
                .iter()
                .filter(|g| tasks.iter().any(|t| t.group_id == Some(g.id)))
                .cloned()
                .collect(),
            tasks,
            reports: self.reports.clone(),
            files: self.files.clone(),
            periods: self.periods.clone(),
            units: self.units.clone(),
            today: self.today,
        }
    }

    /// The indices the plan's tasks work on, in the order first met (`campaign` for the
    /// province's own assessment).
    pub fn themes(&self) -> Vec<String> {
        let mut themes: Vec<String> = Vec::new();
        for task in &self.tasks {
            let index = progress::index_of(self, task);
            let index = index.split(':').next().unwrap_or("").to_string();
            if !index.is_empty() && !themes.contains(&index) {
                themes.push(index);
            }
        }
        themes
    }

    /// The plan's document as a line: "Kế hoạch 1886/KH-UBND ngày 10/09/2021 của UBND tỉnh …",
    /// or its title when it has no number yet.
    pub fn document_words(&self) -> String {
        document_words(&self.plan)
    }
}

/// The document line of a plan (its title when it has no number).
pub fn document_words(plan: &PlanRow) -> String {
    match &plan.doc_number {
        Some(number) => {
            let mut words = format!("Kế hoạch số {number}");
            if let Some(date) = plan.doc_date {
                words.push_str(&format!(" ngày {}", date.format("%d/%m/%Y")));
            }
            if let Some(issuer) = &plan.issuer {
                words.push_str(&format!(" của {issuer}"));
            }
            words
        }
        None => plan.title.clone(),
    }
}

/// What a person may do with a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub read: bool,
    pub edit: bool,
    /// The units of a unit-scoped person (`None`: every unit, for province-wide roles).
    pub scope: Option<Vec<i64>>,
    pub secretariat: bool,
}

impl Access {
    pub fn of(principal: &Principal, plan: &PlanRow, all_units: &[OrgUnit]) -> Access {
        let scope = principal.unit_scope(all_units);
        let secretariat = principal.can(Permission::ManagePlans);
        let unit_staff =
            principal.has_role(Role::UnitEditor) || principal.has_role(Role::UnitLeader);
        let own_unit = unit_staff
            && principal
                .roles
                .iter()
                .filter_map(|r| r.unit_id)
                .flat_map(|u| units::descendants(all_units, u))
                .any(|u| u == plan.owner_unit_id);
        let (read, edit) = if plan.parent_id.is_none() {
            (true, secretariat)
        } else {
            let readers = secretariat || principal.has_role(Role::Viewer) || own_unit;
            (readers, own_unit)
        };
        Access {
            read,
            edit,
            scope,
            secretariat,
        }
    }

    /// The units of the person that a task names: its part as lead, else as coordinator.
    /// Province-wide roles act for no unit.
    pub fn part_in(&self, principal: &Principal, task: &TaskRow) -> Option<TaskActor> {
        let staff = principal.has_role(Role::UnitEditor) || principal.has_role(Role::UnitLeader);
        let scope = self.scope.as_ref().filter(|_| staff)?;
        if scope.contains(&task.lead_unit_id) {
            Some(TaskActor::Lead)
        } else if task.coordinators.iter().any(|c| scope.contains(c)) {
            Some(TaskActor::Coordinator)
        } else {
            None
        }
    }

    /// The unit a report is filed for: the lead when the person's units lead the task, else
    /// the first coordinating unit among them.
    pub fn reporting_unit(&self, principal: &Principal, task: &TaskRow) -> Option<i64> {
        let scope = self.scope.as_ref()?;
        match self.part_in(principal, task)? {
            TaskActor::Lead => Some(task.lead_unit_id),
            _ => task
                .coordinators
                .iter()
                .copied()
                .find(|c| scope.contains(c)),
        }
    }

    /// Who the person is for a move of the task: the secretariat (of a province's plan), else
    /// the lead.
    pub fn mover(
        &self,
        principal: &Principal,
        plan: &PlanRow,
        task: &TaskRow,
    ) -> Option<TaskActor> {
        if self.secretariat && plan.parent_id.is_none() {
            return Some(TaskActor::Secretariat);
        }
        match self.part_in(principal, task) {
            Some(TaskActor::Lead) => Some(TaskActor::Lead),
            // A unit's own plan: its staff accept their divisions' work.
            _ if self.edit && plan.parent_id.is_some() => Some(TaskActor::Secretariat),
            other => other,
        }
    }
}

/// Loads a plan for a person who may read it: 404 for no such plan, 403 for a plan not theirs.
pub async fn readable(
    db: &Db,
    principal: &Principal,
    plan_id: i64,
    today: NaiveDate,
) -> AppResult<(PlanContext, Access)> {
    let context = PlanContext::load(db, plan_id, today).await?;
    let all: Vec<OrgUnit> = context.units.values().cloned().collect();
    let access = Access::of(principal, &context.plan, &all);
    if !access.read {
        return Err(AppError::Forbidden);
    }
    Ok((context, access))
}

/// Loads a plan for a person who may edit it (403 otherwise).
pub async fn editable(
    db: &Db,
    principal: &Principal,
    plan_id: i64,
    today: NaiveDate,
) -> AppResult<(PlanContext, Access)> {
    let (context, access) = readable(db, principal, plan_id, today).await?;
    if !access.edit {
        return Err(AppError::Forbidden);
    }
    Ok((context, access))
}

/// The province's own unit (the owner of its plans): the current unit of kind province.
pub fn province_unit(all: &[OrgUnit], today: NaiveDate) -> Option<&OrgUnit> {
    all.iter()
        .find(|u| u.kind == OrgKind::Province && u.is_current_on(today))
}

/// The plans a person may read, the latest year first, each with whether they may edit it.
pub async fn visible_plans(
    db: &Db,
    principal: &Principal,
) -> Result<Vec<(PlanRow, Access)>, StoreError> {
    let all = units::list(db).await?;
    Ok(plans::list_plans(db)
        .await?
        .into_iter()
        .map(|p| {
            let access = Access::of(principal, &p, &all);
            (p, access)
        })
        .filter(|(_, a)| a.read)
        .collect())
}

/// A plan task as a unit's page lists it: the unit leads or coordinates it, or it targets a
/// leaf the unit lost points on in its latest published campaign.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitTask {
    pub plan_id: i64,
    pub plan_title: String,
    pub task: TaskRow,
    /// The unit's part, if it is on the task.
    pub part: Option<TaskActor>,
    /// The unit's weak leaves the task targets ("2.1 (mất 1,50 điểm)").
    pub weak_leaves: Vec<(String, f64)>,
}

/// The leaves a unit lost points on in the latest published campaign that ranked it, by
/// their group ("department") and code, with the points lost.
async fn weak_leaves_of(db: &Db, unit_id: i64) -> Result<Vec<(String, String, f64)>, StoreError> {
    use chiso_domain::campaign::CampaignState;
    let mut published: Vec<_> = chiso_store::campaigns::list(db)
        .await?
        .into_iter()
        .filter(|c| c.state() == CampaignState::Published)
        .collect();
    published.sort_by_key(|c| std::cmp::Reverse((c.year, c.id)));
    for campaign in published {
        let groups = chiso_store::assessments::group_finals(db, campaign.id).await?;
        let Some(group) = groups.iter().find(|g| g.units.contains_key(&unit_id)) else {
            continue;
        };
        let bands = chiso_domain::Bands::parse(&campaign.bands).unwrap_or_default();
        let framework = &group.stored.framework;
        let evaluation = chiso_domain::evaluate(framework, group.inputs.clone(), &bands);
        let Some(outcome) = evaluation.find(&unit_id.to_string()) else {
            continue;
        };
        return Ok(chiso_domain::weakness::leaf_losses(framework, outcome)
            .into_iter()
            .map(|l| {
                (
                    group.unit_group.clone(),
                    framework.node(l.leaf).code.clone(),
                    l.lost.to_f64(),
                )
            })
            .collect());
    }
    Ok(Vec::new())
}

/// The tasks of the plans a person may read that touch a unit (its part, or its weak leaves).
pub async fn unit_tasks(
    db: &Db,
    principal: &Principal,
    unit_id: i64,
) -> Result<Vec<UnitTask>, StoreError> {
    let weak = weak_leaves_of(db, unit_id).await?;
    let visible: HashMap<i64, PlanRow> = visible_plans(db, principal)
        .await?
        .into_iter()
        .map(|(p, _)| (p.id, p))
        .collect();
    let mut out = Vec::new();
    for task in plans::all_tasks(db).await? {
        let Some(plan) = visible.get(&task.plan_id) else {
            continue;
        };
        let part = if task.lead_unit_id == unit_id {
            Some(TaskActor::Lead)
        } else if task.coordinators.contains(&unit_id) {
            Some(TaskActor::Coordinator)
        } else {
            None
        };
        let weak_leaves: Vec<(String, f64)> = task
            .targets
            .iter()
            .filter(|t| t.kind == "leaf")
            .filter_map(|t| {
                let group = t.index_id.strip_prefix("campaign:")?;
                weak.iter()
                    .find(|(g, code, _)| (group.is_empty() || g == group) && *code == t.code)
                    .map(|(_, code, lost)| (code.clone(), *lost))
            })
            .collect();
        if part.is_some() || !weak_leaves.is_empty() {
            out.push(UnitTask {
                plan_id: plan.id,
                plan_title: plan.title.clone(),
                task,
                part,
                weak_leaves,
            });
        }
    }
    Ok(out)
}
