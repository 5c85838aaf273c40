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
