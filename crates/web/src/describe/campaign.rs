//! The campaign lifecycle's refusals (draft → open → appraisal → finalized → published), said
//! from `locales/*/campaigns.toml` with the states by their titles, never their names.

use chiso_domain::assessment::{ChecklistRefusal, Concern, Decision};
use chiso_domain::campaign::{CampaignState, MAX_APPRAISAL_ROUNDS, SetupRefusal, TransitionError};
use chiso_domain::classification::BandsError;

use super::Describe;
use crate::i18n::{self, Lang};

fn state_title(lang: Lang, state: CampaignState) -> &'static str {
    i18n::text(lang, &format!("common.state_{}", state.as_str()))
}

impl Describe for TransitionError {
    fn describe(&self, lang: Lang) -> String {
        match self {
            TransitionError::NotAllowed { from, to } => i18n::fill(
                lang,
                "campaigns.error_not_allowed",
                &[
                    ("from", &state_title(lang, *from)),
                    ("to", &state_title(lang, *to)),
                ],
            ),
            TransitionError::NoFramework => i18n::text(lang, "campaigns.error_no_framework").into(),
            TransitionError::NoUnits => i18n::text(lang, "campaigns.error_no_units").into(),
            TransitionError::UnitsWithoutFramework(n) => {
                i18n::fill(lang, "campaigns.error_units_without_framework", &[("n", n)])
            }
            TransitionError::NoDeadline => i18n::text(lang, "campaigns.error_no_deadline").into(),
        }
    }
}

/// The locale key of a checklist line's concern (`checklist.concern.not_submitted`).
pub fn concern_key(concern: Concern) -> &'static str {
    match concern {
        Concern::NotSubmitted => "checklist.concern.not_submitted",
        Concern::NotAppraised => "checklist.concern.not_appraised",
        Concern::ExplanationPending => "checklist.concern.explanation_pending",
        Concern::DeadlineAhead => "checklist.concern.deadline_ahead",
        Concern::BelowSampleTarget => "checklist.concern.below_sample_target",
        Concern::SurveyLeavesUnmapped => "checklist.concern.survey_leaves_unmapped",
        Concern::SurveyLeavesStale => "checklist.concern.survey_leaves_stale",
        Concern::Excluded => "checklist.concern.excluded",
        Concern::Zeroed => "checklist.concern.zeroed",
    }
}

/// The locale key of a decision's title (`checklist.decision_choice.zero`).
pub fn decision_key(decision: Decision) -> &'static str {
    match decision {
        Decision::Exclude => "checklist.decision_choice.exclude",
        Decision::Zero => "checklist.decision_choice.zero",
        Decision::Accept => "checklist.decision_choice.accept",
    }
}

impl Describe for ChecklistRefusal {
    fn describe(&self, lang: Lang) -> String {
        match self {
            ChecklistRefusal::ReasonRequired => {
                i18n::text(lang, "checklist.error.reason_required").into()
            }
            ChecklistRefusal::Unresolved {
                units,
                survey_leaves,
            } => {
                let mut parts = Vec::new();
                if !units.is_empty() {
                    parts.push(i18n::fill(
                        lang,
                        "checklist.error.unresolved_units",
                        &[("units", &units.join("; "))],
                    ));
                }
                if !survey_leaves.is_empty() {
                    parts.push(i18n::fill(
                        lang,
                        "checklist.error.unresolved_leaves",
                        &[("leaves", &survey_leaves.join(", "))],
                    ));
                }
                parts.join(" ")
            }
            ChecklistRefusal::ChoiceNotAllowed {
                unit,
                concern,
                decision,
            } => i18n::fill(
                lang,
                "checklist.error.choice_not_allowed",
                &[
                    ("unit", unit),
                    ("decision", &i18n::text(lang, decision_key(*decision))),
                    ("concern", &i18n::text(lang, concern_key(*concern))),
                ],
            ),
            ChecklistRefusal::DecisionWithoutReason { unit } => i18n::fill(
                lang,
                "checklist.error.decision_without_reason",
                &[("unit", unit)],
            ),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            ChecklistRefusal::ReasonRequired => Some("reason"),
            _ => None,
        }
    }
}

impl Describe for BandsError {
    fn describe(&self, lang: Lang) -> String {
        match self {
            BandsError::Empty => i18n::text(lang, "campaigns.refused_bands_empty").into(),
            BandsError::NotDescending(label) => {
                i18n::fill(lang, "campaigns.refused_bands_order", &[("label", label)])
            }
            BandsError::Invalid(label) => {
                i18n::fill(lang, "campaigns.refused_bands_invalid", &[("label", label)])
            }
        }
    }

    fn field(&self) -> Option<&str> {
        Some("bands")
    }
}

impl Describe for SetupRefusal {
    fn describe(&self, lang: Lang) -> String {
        let text = |key: &str| i18n::text(lang, key).to_string();
        match self {
            SetupRefusal::TitleEmpty => text("campaigns.refused_title_empty"),
            SetupRefusal::YearOutOfRange(year) => {
                i18n::fill(lang, "campaigns.refused_year", &[("year", year)])
            }
            SetupRefusal::RoundsOutOfRange(rounds) => i18n::fill(
                lang,
                "campaigns.refused_rounds",
                &[("rounds", rounds), ("max", &MAX_APPRAISAL_ROUNDS)],
            ),
            SetupRefusal::Bands(bands) => i18n::fill(
                lang,
                "campaigns.refused_bands",
                &[("problem", &bands.describe(lang))],
            ),
            SetupRefusal::ExplanationBeforeSelfAssessment => {
                text("campaigns.refused_explanation_before")
            }
            SetupRefusal::NotDraft(state) => i18n::fill(
                lang,
                "campaigns.refused_not_draft",
                &[("state", &state_title(lang, *state))],
            ),
            SetupRefusal::GroupUnnamed => text("campaigns.refused_group_unnamed"),
            SetupRefusal::GroupWithoutFramework(group) => i18n::fill(
                lang,
                "campaigns.refused_group_without_framework",
                &[(
                    "group",
                    &crate::routes::campaigns::shared::group_label(lang, group),
                )],
            ),
            SetupRefusal::UnitUnavailable(_) => text("campaigns.refused_unit_unavailable"),
            SetupRefusal::ChangedMeanwhile => text("campaigns.refused_changed_meanwhile"),
        }
    }

    fn field(&self) -> Option<&str> {
        SetupRefusal::field(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_transition_names_the_states_by_their_titles() {
        let refusal = TransitionError::NotAllowed {
            from: CampaignState::Draft,
            to: CampaignState::Finalized,
        };
        let vi = refusal.describe(Lang::Vi);
        assert_eq!(
            vi,
            "Không thể chuyển đợt đánh giá từ “Bản nháp” sang “Đã chốt kết quả”."
        );
        assert!(!vi.contains("draft") && !vi.contains("finalized"), "{vi}");
        let en = refusal.describe(Lang::En);
        assert!(!en.contains("draft ") && !en.contains(" finalized"), "{en}");
    }

    #[test]
    fn an_unresolved_checklist_names_the_units_and_leaves_in_vietnamese() {
        let refusal = ChecklistRefusal::Unresolved {
            units: vec!["S01 Sở Tư pháp".into()],
            survey_leaves: vec!["2.2".into()],
        };
        let vi = refusal.describe(Lang::Vi);
        assert!(
            vi.contains("Chưa có quyết định cho các đơn vị: S01 Sở Tư pháp."),
            "{vi}"
        );
        assert!(vi.contains("chưa gắn đợt khảo sát: 2.2"), "{vi}");
        let choice = ChecklistRefusal::ChoiceNotAllowed {
            unit: "S01".into(),
            concern: Concern::NotSubmitted,
            decision: Decision::Accept,
        };
        let vi = choice.describe(Lang::Vi);
        assert!(vi.contains("Chưa nộp Bảng tự chấm điểm"), "{vi}");
        assert!(
            !vi.contains("accept") && !vi.contains("NotSubmitted"),
            "{vi}"
        );
    }
}
