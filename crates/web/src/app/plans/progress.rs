//! Where a plan stands (docs/method.md §7.6, §7.9): each task's timing on the server's day,
//! its completion from its lead's latest report, who has not reported in a period, and the
//! plan's completion by lead unit, by solution group and by index.

use std::collections::BTreeMap;

use chiso_domain::plan::{Period, TaskStatus, Timing};
use chiso_store::plans::{ReportRow, TaskRow};
use chrono::{Datelike, NaiveDate};

use super::PlanContext;

/// One task's standing on a day.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskProgress {
    pub task_id: i64,
    pub timing: Timing,
    /// The lead's latest completion (100 once done, 0 before any report).
    pub percent: i64,
    /// The lead reported in the period asked about.
    pub reported: bool,
    pub last_report: Option<NaiveDate>,
}

impl TaskProgress {
    pub fn overdue(&self) -> bool {
        matches!(self.timing, Timing::Overdue { .. })
    }
}

/// The lead's reports on a task, the latest first.
fn lead_reports<'a>(
    context: &'a PlanContext,
    task: &'a TaskRow,
) -> impl Iterator<Item = &'a ReportRow> {
    context
        .reports_of(task.id)
        .filter(move |r| r.unit_id == task.lead_unit_id)
}

/// The period units report for now: the latest the secretariat opened, else today's quarter.
pub fn current_period(context: &PlanContext) -> Period {
    context
        .periods
        .first()
        .map(|p| p.period)
        .unwrap_or_else(|| Period::quarter_of(context.today))
}

pub fn task_progress(context: &PlanContext, task: &TaskRow, period: Period) -> TaskProgress {
    let days: Vec<NaiveDate> = lead_reports(context, task).map(|r| r.filed_on).collect();
    let latest = lead_reports(context, task).next();
    let percent = match task.status {
        TaskStatus::Done => 100,
        _ => latest.map_or(0, |r| r.percent),
    };
    let code = period.as_code();
    TaskProgress {
        task_id: task.id,
        timing: task
            .deadline
            .timing(task.status, task.assigned_on, &days, context.today),
        percent,
        reported: task.status == TaskStatus::Cancelled
            || lead_reports(context, task).any(|r| r.period == code),
        last_report: days.first().copied(),
    }
}

/// Tasks counted together (a unit's, a group's, an index's).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub label: String,
    pub tasks: usize,
    pub done: usize,
    pub in_progress: usize,
    pub overdue: usize,
    pub not_reported: usize,
    percent_sum: i64,
}

impl Tally {
    fn add(&mut self, task: &TaskRow, progress: &TaskProgress) {
        if task.status == TaskStatus::Cancelled {
            return;
        }
        self.tasks += 1;
        self.done += usize::from(task.status == TaskStatus::Done);
        self.in_progress += usize::from(matches!(
            task.status,
            TaskStatus::InProgress | TaskStatus::AwaitingAcceptance
        ));
        self.overdue += usize::from(progress.overdue());
        self.not_reported += usize::from(!progress.reported && !task.status.is_closed());
        self.percent_sum += progress.percent;
    }

    /// The mean completion of its tasks, in %.
    pub fn mean_percent(&self) -> f64 {
        if self.tasks == 0 {
            0.0
        } else {
            self.percent_sum as f64 / self.tasks as f64
        }
    }
}

/// The plan on a day: every task's progress and the tallies the dashboard shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Standing {
    pub period: Period,
    pub progress: Vec<TaskProgress>,
    pub total: Tally,
    pub by_unit: Vec<Tally>,
    pub by_group: Vec<Tally>,
    /// By index id (`par`, `papi`…; `""` for tasks that target no index).
    pub by_index: Vec<(String, Tally)>,
}

impl Standing {
    pub fn of(&self, task_id: i64) -> Option<&TaskProgress> {
        self.progress.iter().find(|p| p.task_id == task_id)
    }
}

/// The index a task works on: its group's, else its first target's.
pub fn index_of(context: &PlanContext, task: &TaskRow) -> String {
    task.group_id
        .and_then(|g| context.groups.iter().find(|x| x.id == g))
        .and_then(|g| g.index_id.clone())
        .or_else(|| {
            task.targets
                .first()
                .map(|t| t.index_id.split(':').next().unwrap_or("").to_string())
        })
        .unwrap_or_default()
}

pub fn standing(context: &PlanContext, period: Period) -> Standing {
    let progress: Vec<TaskProgress> = context
        .tasks
        .iter()
        .map(|t| task_progress(context, t, period))
        .collect();
    let mut total = Tally::default();
    let mut by_unit: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_group: Vec<Tally> = context
        .groups
        .iter()
        .map(|g| Tally {
            label: g.title.clone(),
            ..Tally::default()
        })
        .collect();
    let mut by_index: BTreeMap<String, Tally> = BTreeMap::new();
    for (task, p) in context.tasks.iter().zip(&progress) {
        total.add(task, p);
        let unit = context.unit_name(task.lead_unit_id).to_string();
        by_unit
            .entry(unit.clone())
            .or_insert_with(|| Tally {
                label: unit,
                ..Tally::default()
            })
            .add(task, p);
        if let Some(at) = task
            .group_id
            .and_then(|g| context.groups.iter().position(|x| x.id == g))
        {
            by_group[at].add(task, p);
        }
        by_index
            .entry(index_of(context, task))
            .or_default()
            .add(task, p);
    }
    Standing {
        period,
        progress,
        total,
        by_unit: by_unit.into_values().collect(),
        by_group,
        by_index: by_index.into_iter().collect(),
    }
}

/// A lead unit owing reports in a period: its open tasks without one.
#[derive(Clone, Debug, PartialEq)]
pub struct Owing {
    pub unit_id: i64,
    pub unit: String,
    pub tasks: Vec<String>,
}

/// The lead units that have not reported every open task of theirs in the period.
pub fn owing(context: &PlanContext, period: Period) -> Vec<Owing> {
    let mut owing: BTreeMap<String, Owing> = BTreeMap::new();
    for task in &context.tasks {
        if task.status.is_closed() || task.assigned_on > period.end() {
            continue;
        }
        if task_progress(context, task, period).reported {
            continue;
        }
        let unit = context.unit_name(task.lead_unit_id).to_string();
        owing
            .entry(unit.clone())
            .or_insert_with(|| Owing {
                unit_id: task.lead_unit_id,
                unit,
                tasks: Vec::new(),
            })
            .tasks
            .push(task.title.clone());
    }
    owing.into_values().collect()
}

/// Due dates of the open tasks over the next twelve months, by month (first day of the month
/// → the titles due then), for the timeline.
pub fn timeline(context: &PlanContext) -> BTreeMap<NaiveDate, Vec<(NaiveDate, i64, String)>> {
    let mut months: BTreeMap<NaiveDate, Vec<(NaiveDate, i64, String)>> = BTreeMap::new();
    let horizon = context.today + chrono::Days::new(366);
    for task in context.tasks.iter().filter(|t| !t.status.is_closed()) {
        let mut day = context.today;
        while let Some(due) = task.deadline.next_due(day) {
            if due > horizon {
                break;
            }
            let month = NaiveDate::from_ymd_opt(due.year(), due.month(), 1).expect("a month");
            months
                .entry(month)
                .or_default()
                .push((due, task.id, task.title.clone()));
            day = due + chrono::Days::new(1);
        }
    }
    for tasks in months.values_mut() {
        tasks.sort();
    }
    months
}
