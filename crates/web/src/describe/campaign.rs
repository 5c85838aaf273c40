//! The campaign lifecycle's refusals (draft → open → appraisal → finalized → published), said
//! from `locales/*/campaigns.toml` with the states by their titles, never their names.

use chiso_domain::campaign::{CampaignState, TransitionError};

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
