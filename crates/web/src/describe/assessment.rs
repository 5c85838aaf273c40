//! The assessment workflow's refusals (docs/method.md, the PAR INDEX stages: self-assessment,
//! appraisal rounds, explanations), said from `locales/*/assessment.toml` with their values:
//! sheet statuses, stages, actions and campaign states by their titles, dates day first.

use axum::http::StatusCode;
use chiso_domain::assessment::{
    ChangedMeanwhile, LongText, SheetAction, SheetStatus, Stage, SubmissionProblemKind,
    UnsavedChange, WorkflowError,
};
use chiso_domain::campaign::CampaignState;
use chiso_domain::compute::ScoreError;
use chiso_domain::rule::RuleError;
use chiso_store::evidence::{EvidenceKind, StorageProblem, UploadError};

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
        SheetAction::ReturnToUnit => "return_to_unit",
        SheetAction::DeferToNextRound => "defer_to_next_round",
    };
    i18n::text(lang, &format!("assessment.action_{key}"))
}

fn stage_title(lang: Lang, stage: Stage) -> &'static str {
    match stage {
        Stage::SelfAssessment => i18n::text(lang, "assessment.refused_stage_self"),
        Stage::Explanation => i18n::text(lang, "assessment.refused_stage_explanation"),
    }
}

fn long_text_title(lang: Lang, text: LongText) -> &'static str {
    i18n::text(
        lang,
        match text {
            LongText::Explanation => "assessment.long_text_explanation",
            LongText::Answer => "assessment.long_text_answer",
            LongText::Comment => "assessment.long_text_comment",
        },
    )
}

/// A leaf entry the scoring rules refuse (docs/method.md §2.6: points within the leaf's
/// maximum, one of its levels, or computed from its rule's input), numbers with decimal
/// commas.
pub fn score_error(lang: Lang, error: &ScoreError) -> String {
    let fill = |key: &str, values: &[(&str, &dyn std::fmt::Display)]| {
        i18n::fill(lang, &format!("assessment.score_{key}"), values)
    };
    let points = |value: chiso_domain::Points| i18n::points(lang, value.to_f64());
    let figure = |value: f64| i18n::points(lang, value);
    match error {
        ScoreError::UnknownCode(code) => fill("unknown_code", &[("code", code)]),
        ScoreError::NotALeaf(code) => {
            i18n::fill(lang, "assessment.refused_not_a_leaf", &[("code", code)])
        }
        ScoreError::OutOfRange {
            code,
            points: p,
            max,
        } => fill(
            "out_of_range",
            &[
                ("code", code),
                ("points", &points(*p)),
                ("max", &points(*max)),
            ],
        ),
        ScoreError::Duplicate { code } => fill("duplicate", &[("code", code)]),
        ScoreError::Rule { code, source } => {
            let problem = match source {
                RuleError::NotALevel { points: p, levels } => fill(
                    "not_a_level",
                    &[
                        ("points", &points(*p)),
                        (
                            "levels",
                            &levels
                                .iter()
                                .map(|l| points(*l))
                                .collect::<Vec<_>>()
                                .join(" / "),
                        ),
                    ],
                ),
                RuleError::NotFinite { .. } => fill("not_finite", &[]),
                RuleError::InputOutOfRange {
                    value, min, max, ..
                } => fill(
                    "input_out_of_range",
                    &[
                        ("value", &figure(*value)),
                        ("min", &figure(*min)),
                        ("max", &figure(*max)),
                    ],
                ),
                RuleError::NegativeInput { value } => {
                    fill("negative_input", &[("value", &figure(*value))])
                }
                RuleError::NoInputRule => fill("no_input_rule", &[]),
            };
            fill("rule", &[("code", code), ("problem", &problem)])
        }
    }
}

/// The refusals of what a sheet takes (explanations, points, a submission, an extension, a
/// text, evidence): the second half of [`WorkflowError`]'s description.
fn entry_refusal(lang: Lang, error: &WorkflowError) -> String {
    let fill = |key: &str, values: &[(&str, &dyn std::fmt::Display)]| {
        i18n::fill(lang, &format!("assessment.refused_{key}"), values)
    };
    match error {
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
        WorkflowError::CampaignDraft => fill("campaign_draft", &[]),
        WorkflowError::ExtensionWithoutReason => fill("extension_without_reason", &[]),
        WorkflowError::ExtensionBeforeDeadline { deadline } => fill(
            "extension_before_deadline",
            &[("deadline", &i18n::date(*deadline))],
        ),
        WorkflowError::UnitNotInCampaign { unit_id } => {
            tracing::info!(unit_id, "extension for a unit outside the campaign");
            fill("unit_not_in_campaign", &[])
        }
        WorkflowError::TooLong { text, limit } => fill(
            "too_long",
            &[
                ("text", &long_text_title(lang, *text)),
                ("limit", &i18n::number(lang, *limit as f64, 0)),
            ],
        ),
        WorkflowError::NodeNotInFramework { node_id } => {
            tracing::info!(node_id, "a node outside the sheet's framework");
            fill("node_not_in_framework", &[])
        }
        WorkflowError::EvidenceAttached { file_name, code } => {
            fill("evidence_attached", &[("file", file_name), ("code", code)])
        }
        WorkflowError::EvidenceFromEarlierStage { file_name, code } => fill(
            "evidence_from_earlier_stage",
            &[("file", file_name), ("code", code)],
        ),
        WorkflowError::StepWithoutReason { action } => fill(
            "step_without_reason",
            &[("action", &action_title(lang, *action))],
        ),
        WorkflowError::AlreadyAppraised { action, leaves } => fill(
            "already_appraised",
            &[("action", &action_title(lang, *action)), ("leaves", leaves)],
        ),
        WorkflowError::ResubmitDateRequired { deadline } => fill(
            "resubmit_date_required",
            &[("deadline", &i18n::date(*deadline))],
        ),
        WorkflowError::ResubmitDateInPast { date, today } => fill(
            "resubmit_date_in_past",
            &[("date", &i18n::date(*date)), ("today", &i18n::date(*today))],
        ),
        WorkflowError::NoLaterRound { round } => fill("no_later_round", &[("round", round)]),
        other => unreachable!("described by WorkflowError::describe: {other:?}"),
    }
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
                    ("deadline", &i18n::date(*deadline)),
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
                    ("deadline", &i18n::date(*deadline)),
                    ("until", &i18n::date(*until)),
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
            WorkflowError::Score(error) => score_error(lang, error),
            WorkflowError::NotFlaggedForRound { .. }
            | WorkflowError::ExplanationInLastRound { .. }
            | WorkflowError::NotFlagged { .. }
            | WorkflowError::PointsDisagree { .. }
            | WorkflowError::Incomplete(_)
            | WorkflowError::Unanswered(_)
            | WorkflowError::CampaignDraft
            | WorkflowError::ExtensionWithoutReason
            | WorkflowError::ExtensionBeforeDeadline { .. }
            | WorkflowError::UnitNotInCampaign { .. }
            | WorkflowError::TooLong { .. }
            | WorkflowError::NodeNotInFramework { .. }
            | WorkflowError::EvidenceAttached { .. }
            | WorkflowError::EvidenceFromEarlierStage { .. }
            | WorkflowError::StepWithoutReason { .. }
            | WorkflowError::AlreadyAppraised { .. }
            | WorkflowError::ResubmitDateRequired { .. }
            | WorkflowError::ResubmitDateInPast { .. }
            | WorkflowError::NoLaterRound { .. } => entry_refusal(lang, self),
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

fn unsaved_change(lang: Lang, change: &UnsavedChange) -> String {
    let fill = |key: &str, code: &str| {
        i18n::fill(
            lang,
            &format!("assessment.unsaved_{key}"),
            &[("code", &code)],
        )
    };
    match change {
        UnsavedChange::Appraisal { code } => fill("appraisal", code),
        UnsavedChange::Answer { code } => fill("answer", code),
        UnsavedChange::Acceptance => fill("acceptance", ""),
        UnsavedChange::Evidence { code } => fill("evidence", code),
        UnsavedChange::EvidenceRemoval { code } => fill("evidence_removal", code),
    }
}

impl Describe for ChangedMeanwhile {
    /// What changed first, with who and when (Vietnam time, day first) where it is known.
    fn describe(&self, lang: Lang) -> String {
        let fill = |key: &str, values: &[(&str, &dyn std::fmt::Display)]| {
            i18n::fill(lang, &format!("assessment.meanwhile_{key}"), values)
        };
        match self {
            ChangedMeanwhile::LeafSaved {
                code,
                by,
                at,
                version,
            } => fill(
                "leaf_saved",
                &[
                    ("code", code),
                    ("by", by),
                    ("at", &i18n::date_time(*at)),
                    ("version", version),
                ],
            ),
            ChangedMeanwhile::LeafChanged { code } => fill("leaf_changed", &[("code", code)]),
            ChangedMeanwhile::SheetKeptChanging { code } => {
                fill("sheet_kept_changing", &[("code", code)])
            }
            ChangedMeanwhile::SheetReviewed {
                version,
                yours,
                action,
            } => fill(
                "sheet_reviewed",
                &[
                    ("version", version),
                    ("yours", yours),
                    ("action", &action_title(lang, *action)),
                ],
            ),
            ChangedMeanwhile::AppraisalStartedFirst { round } => {
                fill("appraisal_started_first", &[("round", round)])
            }
            ChangedMeanwhile::SheetNow { status } => {
                fill("sheet_now", &[("status", &status_title(lang, *status))])
            }
            ChangedMeanwhile::NotSaved {
                change,
                status,
                round,
            } => fill(
                if *round > 0 {
                    "not_saved_round"
                } else {
                    "not_saved"
                },
                &[
                    ("change", &unsaved_change(lang, change)),
                    ("status", &status_title(lang, *status)),
                    ("round", round),
                ],
            ),
            ChangedMeanwhile::RoundOpened { round } => fill("round_opened", &[("round", round)]),
            ChangedMeanwhile::RoundClosed { round } => fill("round_closed", &[("round", round)]),
            ChangedMeanwhile::CampaignMoved => fill("campaign_moved", &[]),
            ChangedMeanwhile::EvidenceRemoved { file_name, code } => {
                fill("evidence_removed", &[("file", file_name), ("code", code)])
            }
        }
    }

    fn status(&self) -> StatusCode {
        StatusCode::CONFLICT
    }
}

/// A file size as the upload form states its limit: `820 KB`, `2,5 MB`.
pub fn file_size(lang: Lang, bytes: usize) -> String {
    if bytes < 1024 * 1024 {
        format!(
            "{} KB",
            i18n::number(lang, (bytes as f64 / 1024.0).ceil(), 0)
        )
    } else {
        format!(
            "{} MB",
            i18n::number(lang, bytes as f64 / (1024.0 * 1024.0), 1)
        )
    }
}

/// Why an upload was refused, naming the file (as the unit named it, sanitized) when known.
pub fn upload_refusal(lang: Lang, name: Option<&str>, error: &UploadError) -> String {
    let t = |key: &str| i18n::text(lang, key).to_string();
    let kind = |kind: EvidenceKind| t(&format!("assessment.kind_{kind:?}"));
    let problem = match error {
        UploadError::Empty { .. } => t("assessment.upload_empty"),
        UploadError::TooLarge { size, limit, .. } => i18n::fill(
            lang,
            "assessment.upload_too_large",
            &[
                ("size", &file_size(lang, *size)),
                ("limit", &file_size(lang, *limit)),
            ],
        ),
        UploadError::Executable { .. } => t("assessment.upload_executable"),
        UploadError::UnsupportedExtension { extension } => {
            i18n::fill(lang, "assessment.upload_extension", &[("ext", extension)])
        }
        UploadError::UnknownContent { .. } => t("assessment.upload_unknown"),
        UploadError::Mismatch {
            extension, actual, ..
        } => i18n::fill(
            lang,
            "assessment.upload_mismatch",
            &[("ext", extension), ("kind", &kind(*actual))],
        ),
        UploadError::NotStored { problem, .. } => t(match problem {
            StorageProblem::Full => "assessment.upload_disk_full",
            StorageProblem::Unwritable => "assessment.upload_unwritable",
            StorageProblem::Failed => "assessment.upload_store_failed",
        }),
    };
    match name {
        Some(name) => i18n::fill(
            lang,
            "assessment.upload_file",
            &[("name", &name), ("problem", &problem)],
        ),
        None => problem,
    }
}

impl Describe for UploadError {
    fn describe(&self, lang: Lang) -> String {
        let name = match self {
            UploadError::Empty { name }
            | UploadError::TooLarge { name, .. }
            | UploadError::Executable { name }
            | UploadError::UnknownContent { name }
            | UploadError::Mismatch { name, .. }
            | UploadError::NotStored { name, .. } => Some(name.as_str()),
            UploadError::UnsupportedExtension { .. } => None,
        };
        upload_refusal(lang, name, self)
    }

    fn status(&self) -> StatusCode {
        match self {
            UploadError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            UploadError::NotStored {
                problem: StorageProblem::Full,
                ..
            } => StatusCode::INSUFFICIENT_STORAGE,
            UploadError::NotStored { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
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
    use chrono::NaiveDate;

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
            deadline: NaiveDate::from_ymd_opt(2026, 12, 20).unwrap(),
            until: NaiveDate::from_ymd_opt(2026, 12, 27).unwrap(),
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
