//! An improvement plan's refusals (`chiso_domain::plan::PlanRefusal`) in the user's language,
//! from `plans.toml`, with the form field each concerns.

use axum::http::StatusCode;
use chiso_domain::plan::{
    DeadlineError, GoalError, PlanRefusal, TaskAction, TaskRefusal, TaskStatus,
};

use super::Describe;
use crate::i18n::{self, Lang};

/// A task status's title ("Đang thực hiện"), never its code.
pub fn status_title(lang: Lang, status: TaskStatus) -> &'static str {
    i18n::text(lang, &format!("plans.status_{}", status.as_str()))
}

/// A reporting period as people write it: "Quý IV năm 2026", "6 tháng đầu năm 2026",
/// "Năm 2026" (its code, `2026-Q4`, never shown).
pub fn period_title(lang: Lang, code: &str) -> String {
    use chiso_domain::plan::{Period, PeriodKind};
    let Some(period) = Period::parse(code) else {
        return code.to_string();
    };
    let year = &period.year;
    match period.kind {
        PeriodKind::Quarter(q) => {
            let roman = chiso_interchange::plan::roman(usize::from(q));
            i18n::fill(
                lang,
                "plans.period_quarter",
                &[("q", &roman), ("year", year)],
            )
        }
        PeriodKind::FirstHalf => i18n::fill(lang, "plans.period_first_half", &[("year", year)]),
        PeriodKind::Year => i18n::fill(lang, "plans.period_year", &[("year", year)]),
    }
}

/// A deadline as plans write it, in words that [`Deadline::parse`] reads back ("Trước ngày
/// 20/12 hằng năm", "Thường xuyên", "30/06/2027").
pub fn deadline_words(lang: Lang, deadline: &chiso_domain::plan::Deadline) -> String {
    use chiso_domain::plan::Deadline;
    match *deadline {
        Deadline::On(date) => date.format("%d/%m/%Y").to_string(),
        Deadline::Yearly { day, month } => i18n::fill(
            lang,
            "plans.deadline_yearly",
            &[("day", &day), ("month", &month)],
        ),
        Deadline::HalfYearly { day } => i18n::fill(lang, "plans.deadline_half", &[("day", &day)]),
        Deadline::Quarterly { day } => {
            i18n::fill(lang, "plans.deadline_quarterly", &[("day", &day)])
        }
        Deadline::Monthly { day } => i18n::fill(lang, "plans.deadline_monthly", &[("day", &day)]),
        Deadline::Ongoing => i18n::text(lang, "plans.deadline_ongoing").to_string(),
    }
}

/// Where a task stands against its deadline, in words.
pub fn timing_words(lang: Lang, timing: &chiso_domain::plan::Timing) -> String {
    use chiso_domain::plan::Timing;
    let date = |d: &chrono::NaiveDate| i18n::date(*d);
    match timing {
        Timing::Closed => String::new(),
        Timing::Ongoing => i18n::text(lang, "plans.timing_ongoing").to_string(),
        Timing::OnTrack { due } => {
            i18n::fill(lang, "plans.timing_on_track", &[("date", &date(due))])
        }
        Timing::DueSoon { due, days_left: 0 } => {
            i18n::fill(lang, "plans.timing_due_today", &[("date", &date(due))])
        }
        Timing::DueSoon { due, days_left } => i18n::fill(
            lang,
            "plans.timing_due_soon",
            &[("date", &date(due)), ("days", days_left)],
        ),
        Timing::Overdue { due, days_late } => i18n::fill(
            lang,
            "plans.timing_overdue",
            &[("date", &date(due)), ("days", days_late)],
        ),
    }
}

/// A CSS class for a timing: `overdue`, `soon`, `ok` or empty.
pub fn timing_class(timing: &chiso_domain::plan::Timing) -> &'static str {
    use chiso_domain::plan::Timing;
    match timing {
        Timing::Overdue { .. } => "overdue",
        Timing::DueSoon { .. } => "soon",
        Timing::OnTrack { .. } | Timing::Ongoing => "ok",
        Timing::Closed => "",
    }
}

/// An action's words for a button ("Bắt đầu thực hiện").
pub fn action_button(lang: Lang, action: TaskAction) -> &'static str {
    i18n::text(lang, &format!("plans.button_{}", action_code(action)))
}

/// The action's code in forms (`start`, `close`…).
pub fn action_code(action: TaskAction) -> &'static str {
    match action {
        TaskAction::Start => "start",
        TaskAction::Close => "close",
        TaskAction::Accept => "accept",
        TaskAction::Reject => "reject",
        TaskAction::Pause => "pause",
        TaskAction::Resume => "resume",
        TaskAction::Cancel => "cancel",
    }
}

fn action_words(lang: Lang, action: TaskAction) -> &'static str {
    let key = match action {
        TaskAction::Start => "plans.action_start",
        TaskAction::Close => "plans.action_close",
        TaskAction::Accept => "plans.action_accept",
        TaskAction::Reject => "plans.action_reject",
        TaskAction::Pause => "plans.action_pause",
        TaskAction::Resume => "plans.action_resume",
        TaskAction::Cancel => "plans.action_cancel",
    };
    i18n::text(lang, key)
}

impl Describe for PlanRefusal {
    fn describe(&self, lang: Lang) -> String {
        let text = |key: &str| i18n::text(lang, key).to_string();
        let fill = |key: &str, args: &[(&str, &dyn std::fmt::Display)]| i18n::fill(lang, key, args);
        match self {
            PlanRefusal::NoTitle => text("plans.refused_no_title"),
            PlanRefusal::TaskChanged { .. } => text("plans.refused_task_changed"),
            PlanRefusal::LeadCoordinates => text("plans.refused_lead_coordinates"),
            PlanRefusal::Percent { percent } => {
                fill("plans.refused_percent", &[("percent", percent)])
            }
            PlanRefusal::NoNarrative => text("plans.refused_no_narrative"),
            PlanRefusal::TaskClosed { status } => fill(
                "plans.refused_task_closed",
                &[("status", &status_title(lang, *status))],
            ),
            PlanRefusal::NotOnTask { .. } => text("plans.refused_not_on_task"),
            PlanRefusal::ParentNotProvincial { .. } => text("plans.refused_parent_not_provincial"),
            PlanRefusal::ServesOtherPlan { .. } => text("plans.refused_serves_other_plan"),
            PlanRefusal::PeriodOpen { period } => fill(
                "plans.refused_period_open",
                &[("period", &period_title(lang, period))],
            ),
            PlanRefusal::MergeNeedsTwo => text("plans.refused_merge_needs_two"),
            PlanRefusal::UnknownUnit { .. } => text("plans.refused_unknown_unit"),
            PlanRefusal::BadDate { text: typed } => {
                fill("plans.refused_bad_date", &[("text", typed)])
            }
            PlanRefusal::LeadOutsideUnit => text("plans.refused_lead_outside_unit"),
            PlanRefusal::Task(TaskRefusal::NotAllowed { action, .. }) => fill(
                "plans.refused_not_allowed",
                &[("action", &action_words(lang, *action))],
            ),
            PlanRefusal::Task(TaskRefusal::WrongStatus { status, action }) => fill(
                "plans.refused_wrong_status",
                &[
                    ("status", &status_title(lang, *status)),
                    ("action", &action_words(lang, *action)),
                ],
            ),
            PlanRefusal::Task(TaskRefusal::ReasonRequired { action }) => fill(
                "plans.refused_reason_required",
                &[("action", &action_words(lang, *action))],
            ),
            PlanRefusal::Goal(GoalError::NoIndex { text }) => {
                fill("plans.refused_goal_no_index", &[("text", text)])
            }
            PlanRefusal::Goal(GoalError::NoTarget { text }) => {
                fill("plans.refused_goal_no_target", &[("text", text)])
            }
            PlanRefusal::Deadline(DeadlineError::Unrecognized { text }) => {
                fill("plans.refused_deadline_unrecognized", &[("text", text)])
            }
            PlanRefusal::Deadline(DeadlineError::NoSuchDay { text, .. }) => {
                fill("plans.refused_deadline_no_such_day", &[("text", text)])
            }
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            PlanRefusal::NoTitle => Some("title"),
            PlanRefusal::LeadCoordinates => Some("coordinators"),
            PlanRefusal::Percent { .. } => Some("percent"),
            PlanRefusal::NoNarrative => Some("narrative"),
            PlanRefusal::Task(TaskRefusal::ReasonRequired { .. }) => Some("reason"),
            PlanRefusal::Goal(_) => Some("goal"),
            PlanRefusal::Deadline(_) => Some("deadline"),
            PlanRefusal::BadDate { .. } => Some("date"),
            _ => None,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            PlanRefusal::TaskChanged { .. } => StatusCode::CONFLICT,
            PlanRefusal::Task(TaskRefusal::NotAllowed { .. }) | PlanRefusal::NotOnTask { .. } => {
                StatusCode::FORBIDDEN
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every refusal says itself in both languages from its keys, with its values, and no
    /// Vietnamese text is left with a hole or an English word of the rule.
    #[test]
    fn every_refusal_is_worded_in_both_languages() {
        let refusals = [
            PlanRefusal::NoTitle,
            PlanRefusal::TaskChanged { task_id: 1 },
            PlanRefusal::LeadCoordinates,
            PlanRefusal::Percent { percent: 120 },
            PlanRefusal::NoNarrative,
            PlanRefusal::TaskClosed {
                status: TaskStatus::Cancelled,
            },
            PlanRefusal::NotOnTask {
                unit_id: 1,
                task_id: 2,
            },
            PlanRefusal::ParentNotProvincial { parent_id: 3 },
            PlanRefusal::ServesOtherPlan { task_id: 4 },
            PlanRefusal::Task(TaskRefusal::NotAllowed {
                actor: chiso_domain::plan::TaskActor::Coordinator,
                action: TaskAction::Close,
            }),
            PlanRefusal::Task(TaskRefusal::WrongStatus {
                status: TaskStatus::Done,
                action: TaskAction::Pause,
            }),
            PlanRefusal::Task(TaskRefusal::ReasonRequired {
                action: TaskAction::Cancel,
            }),
            PlanRefusal::Goal(GoalError::NoIndex {
                text: "nhóm 10".into(),
            }),
            PlanRefusal::Goal(GoalError::NoTarget {
                text: "SIPAS tăng".into(),
            }),
            PlanRefusal::Deadline(DeadlineError::Unrecognized {
                text: "sớm".into()
            }),
            PlanRefusal::Deadline(DeadlineError::NoSuchDay {
                text: "31/02".into(),
                day: 31,
                month: 2,
            }),
        ];
        for refusal in refusals {
            for lang in [Lang::Vi, Lang::En] {
                let said = refusal.describe(lang);
                assert!(
                    !said.is_empty() && !said.contains('{'),
                    "{refusal:?}: {said}"
                );
                assert!(
                    !said.contains("plans."),
                    "{refusal:?}: a missing key: {said}"
                );
            }
        }
        let said = PlanRefusal::Task(TaskRefusal::WrongStatus {
            status: TaskStatus::Done,
            action: TaskAction::Pause,
        })
        .describe(Lang::Vi);
        assert_eq!(
            said,
            "Nhiệm vụ đang ở trạng thái «Hoàn thành» nên không thể tạm dừng."
        );
    }
}
