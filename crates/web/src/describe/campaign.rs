//! The campaign lifecycle's refusals (draft → open → appraisal → finalized → published), said
//! from `locales/*/campaigns.toml` with the states by their titles, never their names.

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
}
