//! The council panel on a campaign's page: round control, extensions, finalization and
//! publication. Its screens for appraisers live in `routes::appraisal`.

use std::collections::HashMap;

use chiso_domain::access::{Permission, Role};
use chiso_domain::assessment::{self as rules, SheetAction};
use chiso_domain::campaign::CampaignState;
use chiso_store::assessments::{self};
use chiso_store::campaigns::{self, CampaignRow, CampaignUnit};

use crate::auth::Principal;
use crate::error::AppResult;
use crate::i18n::{self, Lang};
use crate::state::AppState;

use super::shared::*;

// ── The council panel on a campaign (round control, extensions, finalize, publish) ──────────

/// One appraisal round of a campaign as the panel shows it.
pub struct RoundLine {
    pub no: i64,
    /// `not_opened`, `open` or `closed`.
    pub phase: &'static str,
    pub phase_label: &'static str,
    /// When and by whom it opened / closed.
    pub detail: String,
    pub can_open: bool,
    pub can_close: bool,
}

/// An extension as the panel lists it.
pub struct ExtensionLine {
    pub unit: String,
    pub stage: &'static str,
    pub until: String,
    pub reason: String,
    pub granted: String,
}

/// The secretariat's controls of the assessment stage of one campaign.
pub struct Controls {
    pub rounds: Vec<RoundLine>,
    pub can_finalize: bool,
    pub can_publish: bool,
    pub can_extend: bool,
    /// The participating units, for the extension form.
    pub units: Vec<CampaignUnit>,
    pub extensions: Vec<ExtensionLine>,
    /// Why nothing can be done now, when that is the case.
    pub waiting: Option<&'static str>,
}

/// A link of the panel.
pub struct PanelLink {
    pub href: String,
    pub label: &'static str,
    pub id: &'static str,
}

/// What the campaign page and the council's list show of the assessment stage: links to the
/// screens the user may open and, for the secretariat, the controls.
pub struct Panel {
    pub campaign_id: i64,
    pub links: Vec<PanelLink>,
    pub controls: Option<Controls>,
    /// Where the control forms come back to: `campaign` or `council`.
    pub back: &'static str,
    /// Prefixed to element ids: empty on the campaign page (`open-round-1`, `finalize`), the
    /// campaign's on the council's list, which shows several campaigns (`c7-open-round-1`).
    pub prefix: String,
}

/// The panel of a campaign for a user, or `None` while the campaign is a draft.
pub async fn panel(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    campaign: &CampaignRow,
    back: &'static str,
) -> AppResult<Option<Panel>> {
    let current = campaign.state();
    if current == CampaignState::Draft {
        return Ok(None);
    }
    let staff = is_staff(principal);
    let id = campaign.id;
    let mut links = Vec::new();
    if back != "council" && (staff || principal.has_role(Role::Appraiser)) {
        links.push(PanelLink {
            href: "/tham-dinh".into(),
            label: i18n::text(lang, "appraisal.link_council"),
            id: "link-council",
        });
    }
    if staff || principal.has_role(Role::Viewer) {
        links.push(PanelLink {
            href: format!("/dot-danh-gia/{id}/tien-do"),
            label: i18n::text(lang, "appraisal.link_progress"),
            id: "link-progress",
        });
    }
    if current == CampaignState::Published || (staff && current == CampaignState::Finalized) {
        links.push(PanelLink {
            href: format!("/dot-danh-gia/{id}/ket-qua"),
            label: i18n::text(
                lang,
                if current == CampaignState::Published {
                    "appraisal.link_results"
                } else {
                    "appraisal.link_preview"
                },
            ),
            id: "link-results",
        });
    }
    if principal.can(Permission::ViewAudit) {
        links.push(PanelLink {
            href: format!("/dot-danh-gia/{id}/nhat-ky.csv"),
            label: i18n::text(lang, "appraisal.link_audit"),
            id: "link-audit",
        });
    }
    let controls = if staff {
        Some(controls(state, lang, campaign).await?)
    } else {
        None
    };
    if links.is_empty() && controls.is_none() {
        return Ok(None);
    }
    Ok(Some(Panel {
        campaign_id: id,
        links,
        controls,
        back,
        prefix: if back == "council" {
            format!("c{id}-")
        } else {
            String::new()
        },
    }))
}

pub(crate) async fn controls(
    state: &AppState,
    lang: Lang,
    campaign: &CampaignRow,
) -> AppResult<Controls> {
    let db = &state.db;
    let states = assessments::round_states(db, campaign.id).await?;
    let phases = assessments::phases(&states, campaign.appraisal_rounds);
    let current = campaign.state();
    let role = Role::Secretariat;
    let count = campaign.appraisal_rounds.max(0) as u32;
    let rounds = (1..=count)
        .map(|round| {
            let phase = phases
                .get(round as usize - 1)
                .copied()
                .unwrap_or(rules::RoundPhase::NotOpened);
            let stored = states.iter().find(|s| s.round_no == i64::from(round));
            let detail = match stored {
                Some(s) => match (&s.closed_at, &s.closed_by_name) {
                    (Some(at), Some(by)) => tr(
                        lang,
                        "appraisal.round_closed_detail",
                        &[
                            ("opened", &i18n::date_time(s.opened_at)),
                            ("at", &i18n::date_time(*at)),
                            ("by", by),
                        ],
                    ),
                    _ => tr(
                        lang,
                        "appraisal.round_open_detail",
                        &[
                            ("at", &i18n::date_time(s.opened_at)),
                            ("by", &s.opened_by_name),
                        ],
                    ),
                },
                None => String::new(),
            };
            RoundLine {
                no: i64::from(round),
                phase: phase.as_str(),
                phase_label: i18n::text(lang, &format!("appraisal.phase_{}", phase.as_str())),
                detail,
                can_open: rules::check_open_round(role, current, &phases, count, round).is_ok(),
                can_close: rules::check_close_round(role, current, &phases, round).is_ok(),
            }
        })
        .collect::<Vec<_>>();
    let can_finalize = rules::check_finalize(role, current, &phases).is_ok();
    let can_publish = rules::check_campaign_action(role, SheetAction::Publish, current).is_ok();
    let can_extend =
        rules::check_campaign_action(role, SheetAction::GrantExtension, current).is_ok();
    let units = campaigns::units(db, campaign.id).await?;
    let names: HashMap<i64, String> = units
        .iter()
        .map(|u| (u.unit_id, format!("{} {}", u.unit_code, u.unit_name)))
        .collect();
    let extensions = assessments::extensions(db, campaign.id)
        .await?
        .into_iter()
        .map(|e| ExtensionLine {
            unit: names
                .get(&e.unit_id)
                .cloned()
                .unwrap_or_else(|| format!("#{}", e.unit_id)),
            stage: i18n::text(lang, &format!("appraisal.stage_{}", e.stage)),
            until: i18n::date(e.valid_until),
            reason: e.reason,
            granted: format!("{} · {}", e.granted_by_name, i18n::date_time(e.granted_at)),
        })
        .collect();
    let any_action =
        can_finalize || can_publish || rounds.iter().any(|r| r.can_open || r.can_close);
    let waiting = (!any_action).then_some(match current {
        CampaignState::Published => "appraisal.waiting_published",
        _ => "appraisal.waiting_nothing",
    });
    Ok(Controls {
        rounds,
        can_finalize,
        can_publish,
        can_extend,
        units,
        extensions,
        waiting,
    })
}
