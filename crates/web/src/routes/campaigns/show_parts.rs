//! Parts of the campaign's page (`show_page`): the lifecycle's steps, the unit groups offered
//! for a new group, the buttons to the next states.

use chiso_domain::campaign::CampaignState;

use super::{GroupView, Step, TransitionButton, shared, state_label};
use crate::i18n::{self, Lang};

/// The campaign's states in order, those before the current one done.
pub(super) fn lifecycle_steps(lang: Lang, current: CampaignState) -> Vec<Step> {
    let position = CampaignState::ALL
        .iter()
        .position(|s| *s == current)
        .unwrap_or(0);
    CampaignState::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| Step {
            label: state_label(lang, *s),
            class: match i.cmp(&position) {
                std::cmp::Ordering::Less => "done",
                std::cmp::Ordering::Equal => "current",
                std::cmp::Ordering::Greater => "",
            },
        })
        .collect()
}

/// The unit groups offered for a new group: the usual kinds, then the campaign's own groups,
/// each with its title.
pub(super) fn group_suggestions(lang: Lang, groups: &[GroupView]) -> Vec<(String, String)> {
    let mut names: Vec<String> = ["department", "commune", "province", "ministry"]
        .into_iter()
        .map(String::from)
        .collect();
    for g in groups {
        if !names.contains(&g.name) {
            names.push(g.name.clone());
        }
    }
    names
        .into_iter()
        .map(|name| {
            let title = shared::group_label(lang, &name);
            (name, title)
        })
        .collect()
}

/// A button per state the campaign may move to next; opening round 1, finalizing and
/// publishing go through their checklist page first.
pub(super) fn transitions(lang: Lang, id: i64, current: CampaignState) -> Vec<TransitionButton> {
    current
        .next_states()
        .iter()
        .map(|s| TransitionButton {
            to: s.as_str(),
            label: i18n::text(lang, &format!("campaigns.to_{}", s.as_str())),
            checklist: match s {
                CampaignState::Appraisal => Some("buoc=mo-vong&vong=1"),
                CampaignState::Finalized => Some("buoc=chot-ket-qua"),
                CampaignState::Published => Some("buoc=cong-bo"),
                _ => None,
            }
            .map(|query| format!("/dot-danh-gia/{id}/kiem-tra?{query}")),
        })
        .collect()
}
