//! The assessment workflow's refusals (docs/method.md, the PAR INDEX stages: self-assessment,
//! appraisal rounds, explanations), said from `locales/*/assessment.toml` with their values:
//! sheet statuses, stages, actions and campaign states by their titles, dates day first.

use axum::http::StatusCode;
use chiso_domain::assessment::{
    SheetAction, SheetStatus, Stage, SubmissionProblemKind, WorkflowError,
};
use chiso_domain::campaign::CampaignState;
use chrono::NaiveDate;

use super::Describe;
use crate::app::self_assessment::field_error::{FieldProblem, LeafField, LeafFieldError};
use crate::i18n::{self, Lang};

/// A sheet status inside a sentence ("phiếu {status}": "còn là bản nháp", "đang thẩm định").
pub fn status_title(lang: Lang, status: SheetStatus) -> &'static str {
    i18n::text(lang, &format!("assessment.sheet_is_{}", status.as_str()))
}

/// A campaign state inside a sentence ("đợt đánh giá {state}").
pub fn campaign_state_title(lang: Lang, state: CampaignState) -> &'static str {
    i18n::text(lang, &format!("assessment.campaign_is_{}", state.as_str()))
}

fn action_title(lang: Lang, action: SheetAction) -> &'static str {
    let key = match action {
        SheetAction::EditSelfAssessment => "edit_self_assessment",
        SheetAction::Submit => "submit",
        SheetAction::Withdraw => "withdraw",
        SheetAction::Appraise => "appraise",
        SheetAction::EditExplanation => "edit_explanation",
        SheetAction::SubmitExplanation => "submit_explanation",
        SheetAction::OpenRound => "open_round",
        SheetAction::CloseRound => "close_round",
        SheetAction::GrantExtension => "grant_extension",
        SheetAction::Finalize => "finalize",
        SheetAction::Publish => "publish",
    };
    i18n::text(lang, &format!("assessment.action_{key}"))
}

fn stage_title(lang: Lang, stage: Stage) -> &'static str {
    match stage {
        Stage::SelfAssessment => i18n::text(lang, "assessment.refused_stage_self"),
        Stage::Explanation => i18n::text(lang, "assessment.refused_stage_explanation"),
    }
}

/// A stored ISO date (`2026-12-20`) day first (`20/12/2026`); anything else as it is.
fn day_first(date: &str) -> String {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| date.to_string())
}

impl Describe for WorkflowError {
    fn describe(&self, lang: Lang) -> String {
        let fill = |key: &str, values: &[(&str, &dyn std::fmt::Display)]| {
            i18n::fill(lang, &format!("assessment.refused_{key}"), values)
        };
        match self {
            WorkflowError::RoleNotAllowed { role, action } => fill(
                "role",
                &[
                    (
                        "role",
                        &i18n::text(lang, &format!("common.role_{}", role.as_str())),
                    ),
                    ("action", &action_title(lang, *action)),
                ],
            ),
            WorkflowError::WrongStatus { action, status } => fill(
                "status",
                &[
                    ("action", &action_title(lang, *action)),
                    ("status", &status_title(lang, *status)),
                ],
            ),
            WorkflowError::AppraisalStarted { status } => fill(
                "appraisal_started",
                &[("status", &status_title(lang, *status))],
            ),
            WorkflowError::CampaignState { action, state } => fill(
                "campaign_state",
                &[
                    ("action", &action_title(lang, *action)),
                    ("state", &campaign_state_title(lang, *state)),
                ],
            ),
            WorkflowError::DeadlinePassed { stage, deadline } => fill(
                "deadline_passed",
                &[
                    ("stage", &stage_title(lang, *stage)),
                    ("deadline", &day_first(deadline)),
                ],
            ),
            WorkflowError::ExtensionEnded {
                stage,
                deadline,
                until,
            } => fill(
                "extension_ended",
                &[
                    ("stage", &stage_title(lang, *stage)),
                    ("deadline", &day_first(deadline)),
                    ("until", &day_first(until)),
                ],
            ),
            WorkflowError::RoundNotOpen { round } => fill("round_not_open", &[("round", round)]),
            WorkflowError::RoundStillOpen { open } => fill("round_still_open", &[("round", open)]),
            WorkflowError::NoSuchRound { round, rounds } => {
                fill("no_such_round", &[("round", round), ("rounds", rounds)])
            }
            WorkflowError::RoundAlreadyOpened { round } => {
                fill("round_already_opened", &[("round", round)])
            }
            WorkflowError::RoundOutOfOrder { round, previous } => fill(
                "round_out_of_order",
                &[("round", round), ("previous", previous)],
            ),
            WorkflowError::NotALeaf { code } => fill("not_a_leaf", &[("code", code)]),
            WorkflowError::SurveyLeaf { code } => fill("survey_leaf", &[("code", code)]),
            WorkflowError::OutsideAreas { code } => fill("outside_areas", &[("code", code)]),
            WorkflowError::NotFlaggedForRound {
                code,
                round,
                previous,
            } => fill(
                "not_flagged_for_round",
                &[("code", code), ("round", round), ("previous", previous)],
            ),
            WorkflowError::ExplanationInLastRound { code, round } => fill(
                "explanation_in_last_round",
                &[("code", code), ("round", round)],
            ),
            WorkflowError::NotFlagged { code } => fill("not_flagged", &[("code", code)]),
            WorkflowError::PointsDisagree {
                code,
                points,
                computed,
            } => fill(
                "points_disagree",
                &[
                    ("code", code),
                    ("points", &i18n::points(lang, points.to_f64())),
                    ("computed", &i18n::points(lang, computed.to_f64())),
                ],
            ),
            // Score errors are shared with the score import (frameworks' area): still worded
            // through the common message table until that area types them.
            WorkflowError::Score(error) => i18n::message(lang, &error.to_string()),
            WorkflowError::Incomplete(problems) => {
                let list = problems
                    .iter()
                    .map(|problem| {
                        let what = match problem.kind {
                            SubmissionProblemKind::MissingPoints => "assessment.problem_points",
                            SubmissionProblemKind::MissingEvidenceExplanation => {
                                "assessment.problem_evidence"
                            }
                        };
                        format!("{}: {}", problem.code, i18n::text(lang, what))
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                fill("incomplete", &[("problems", &list)])
            }
            WorkflowError::Unanswered(codes) => fill("unanswered", &[("codes", &codes.join(", "))]),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            WorkflowError::PointsDisagree { .. } | WorkflowError::Score(_) => Some("points"),
            _ => None,
        }
    }

    fn status(&self) -> StatusCode {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

impl Describe for LeafFieldError {
    /// "Tiêu chí 7.1 — Tỷ lệ văn bản điện tử: 92 nằm ngoài khoảng 0 – 1. Ví dụ hợp lệ: 0,85."
    fn describe(&self, lang: Lang) -> String {
        let n = |value: f64| {
            let number = i18n::points(lang, value);
            if self.percent {
                format!("{number}%")
            } else {
                number
            }
        };
        let label = match (self.field, &self.label) {
            (LeafField::Input, Some(label)) => label.clone(),
            (LeafField::Input, None) => i18n::text(lang, "assessment.field_input").to_string(),
            (LeafField::Points, _) => i18n::text(lang, "assessment.points").to_string(),
        };
        let key = |name: &str| format!("assessment.field_{name}");
        let (code, example) = (&self.code, n(self.example));
        match &self.problem {
            FieldProblem::NotANumber { value } => i18n::fill(
                lang,
                &key("not_a_number"),
                &[
                    ("code", code),
                    ("label", &label),
                    ("value", value),
                    ("example", &example),
                ],
            ),
            FieldProblem::OutOfRange { value, min, max } if max.is_finite() => i18n::fill(
                lang,
                &key("out_of_range"),
                &[
                    ("code", code),
                    ("label", &label),
                    ("value", &n(*value)),
                    ("min", &n(*min)),
                    ("max", &n(*max)),
                    ("example", &example),
                ],
            ),
            FieldProblem::OutOfRange { value, .. } => i18n::fill(
                lang,
                &key("negative"),
                &[
                    ("code", code),
                    ("label", &label),
                    ("value", &n(*value)),
                    ("example", &example),
                ],
            ),
            FieldProblem::NotALevel { value, levels } => i18n::fill(
                lang,
                &key("not_a_level"),
                &[
                    ("code", code),
                    ("label", &label),
                    ("value", &n(*value)),
                    (
                        "levels",
                        &levels.iter().map(|l| n(*l)).collect::<Vec<_>>().join(" / "),
                    ),
                    ("example", &example),
                ],
            ),
            FieldProblem::Disagree { points, computed } => i18n::fill(
                lang,
                &key("disagree"),
                &[
                    ("code", code),
                    ("label", &label),
                    ("value", &n(*points)),
                    ("computed", &n(*computed)),
                ],
            ),
        }
    }

    fn field(&self) -> Option<&str> {
        Some(self.field.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chiso_domain::access::Role;

    #[test]
    fn workflow_refusals_say_statuses_stages_and_dates_in_vietnamese() {
        let wrong = WorkflowError::WrongStatus {
            action: SheetAction::Submit,
            status: SheetStatus::InAppraisal,
        };
        assert_eq!(
            wrong.describe(Lang::Vi),
            "không thể nộp Bảng tự chấm điểm: Bảng tự chấm điểm hiện đang thẩm định"
        );
        let late = WorkflowError::ExtensionEnded {
            stage: Stage::SelfAssessment,
            deadline: "2026-12-20".into(),
            until: "2026-12-27".into(),
        };
        assert_eq!(
            late.describe(Lang::Vi),
            "đã quá hạn tự đánh giá (20/12/2026) và thời gian gia hạn đã hết ngày 27/12/2026"
        );
        let role = WorkflowError::RoleNotAllowed {
            role: Role::UnitEditor,
            action: SheetAction::Submit,
        };
        let vi = role.describe(Lang::Vi);
        assert_eq!(
            vi,
            "vai trò Cán bộ nhập liệu đơn vị không được nộp Bảng tự chấm điểm"
        );
        let campaign = WorkflowError::CampaignState {
            action: SheetAction::Publish,
            state: CampaignState::Draft,
        };
        let vi = campaign.describe(Lang::Vi);
        assert_eq!(
            vi,
            "không thể công bố kết quả: đợt đánh giá còn là bản nháp"
        );
        for text in [wrong.describe(Lang::Vi), late.describe(Lang::Vi), vi] {
            for english in ["draft", "submit", "appraisal", "deadline", "round", "sheet"] {
                assert!(!text.contains(english), "{english} in {text}");
            }
        }
    }
}
