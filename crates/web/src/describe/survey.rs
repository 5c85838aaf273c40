//! Survey refusals in the user's language: wave transitions (`chiso_domain::wave`) and the
//! store's submission [`Refusal`]s.

use chiso_domain::campaign::CampaignState;
use chiso_domain::wave::{WaveState, WaveTransitionError};
use chiso_store::surveys::{Refusal, SurveyRefusal};

use super::Describe;
use crate::i18n::{self, Lang};

/// A wave state as the interface names it ("Đang mở"), never its stored name.
pub fn wave_state(lang: Lang, state: WaveState) -> &'static str {
    i18n::text(lang, &format!("surveys.state_{}", state.as_str()))
}

impl Describe for WaveTransitionError {
    fn describe(&self, lang: Lang) -> String {
        match self {
            WaveTransitionError::NotAllowed { from, to } => i18n::fill(
                lang,
                "surveys.transition_not_allowed",
                &[
                    ("from", &wave_state(lang, *from)),
                    ("to", &wave_state(lang, *to)),
                ],
            ),
            WaveTransitionError::NoUnits => i18n::text(lang, "surveys.transition_no_units").into(),
        }
    }
}

/// A campaign state as the interface names it ("Đã chốt kết quả").
fn campaign_state(lang: Lang, state: CampaignState) -> &'static str {
    i18n::text(lang, &format!("common.state_{}", state.as_str()))
}

impl Describe for SurveyRefusal {
    fn describe(&self, lang: Lang) -> String {
        let (key, state) = match self {
            SurveyRefusal::LeavesFinal(state) => ("surveys.leaves_final", state),
            SurveyRefusal::LeavesNotNow(state) => ("surveys.leaves_not_now", state),
        };
        i18n::fill(lang, key, &[("state", &campaign_state(lang, *state))])
    }
}

impl Describe for Refusal {
    fn describe(&self, lang: Lang) -> String {
        let key = match self {
            Refusal::UnknownWave => "surveys.refusal_unknown_wave",
            Refusal::WaveNotOpen(_) => "surveys.refusal_not_open",
            Refusal::NotYetOpen(_) => "surveys.refusal_not_yet_open",
            Refusal::AlreadyClosed(_) => "surveys.refusal_closed",
            Refusal::UnitNotInWave => "surveys.refusal_unit",
            Refusal::UnknownService => "surveys.refusal_service",
            Refusal::UnknownToken | Refusal::TokenUsed => "surveys.refusal_token",
            Refusal::DuplicateRespondent => "surveys.refusal_duplicate",
            Refusal::Invalid(m) => return crate::routes::surveys::message(lang, m),
        };
        i18n::text(lang, key).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wave_transitions_are_worded_without_state_names() {
        let refused = WaveTransitionError::NotAllowed {
            from: WaveState::Draft,
            to: WaveState::Closed,
        };
        let vi = refused.describe(Lang::Vi);
        assert!(vi.contains("Bản nháp") && vi.contains("Đã đóng"), "{vi}");
        assert!(!vi.contains("draft") && !vi.contains("closed"), "{vi}");
        let vi = WaveTransitionError::NoUnits.describe(Lang::Vi);
        assert!(vi.contains("đơn vị") && !vi.contains("units"), "{vi}");
        assert!(
            WaveTransitionError::NoUnits
                .describe(Lang::En)
                .contains("unit")
        );
    }

    #[test]
    fn survey_leaf_refusals_name_the_campaign_state_in_words() {
        let vi = SurveyRefusal::LeavesFinal(CampaignState::Finalized).describe(Lang::Vi);
        assert!(vi.contains("Đã chốt kết quả"), "{vi}");
        let vi = SurveyRefusal::LeavesNotNow(CampaignState::Draft).describe(Lang::Vi);
        assert!(vi.contains("Bản nháp"), "{vi}");
        for text in [
            SurveyRefusal::LeavesFinal(CampaignState::Published).describe(Lang::Vi),
            SurveyRefusal::LeavesNotNow(CampaignState::Draft).describe(Lang::Vi),
        ] {
            for english in ["draft", "finalized", "published", "final", "campaign"] {
                assert!(!text.contains(english), "{text}");
            }
        }
    }
}
