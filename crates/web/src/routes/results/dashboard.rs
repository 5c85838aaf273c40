//! The leadership dashboard of a campaign's results (GET /dot-danh-gia/{id}/tong-quan): per
//! group of units, the average index and the distribution by classification, the first and
//! last units, the units that moved most since the previous campaign (up and down), and the
//! weakest areas across the group. Every line links to its detail.

use std::collections::HashMap;

use chiso_domain::campaign::CampaignState;
use chiso_store::assessments::PublishedGroup;
use chiso_store::campaigns;

use super::survey_panel::SurveyPanel;
use super::*;
use crate::app::results::ranking::{self, GroupExtras};
use crate::error::AppError;

/// A unit named on the dashboard, with what it is named for.
pub struct UnitMention {
    pub href: String,
    pub name: String,
    pub value: String,
}

/// An area across the group.
pub struct AreaMention {
    pub code: String,
    pub title: String,
    /// The group's average index on the area (%).
    pub index: String,
    pub width: String,
}

pub struct GroupPanel {
    pub label: String,
    pub units: usize,
    pub average_index: String,
    pub distribution: crate::charts::Distribution,
    pub top: Vec<UnitMention>,
    pub bottom: Vec<UnitMention>,
    pub risers: Vec<UnitMention>,
    pub fallers: Vec<UnitMention>,
    pub weakest: Vec<AreaMention>,
    /// The survey waves scoring the group, over its units.
    pub surveys: Vec<SurveyPanel>,
}

#[derive(Template, WebTemplate)]
#[template(path = "results/dashboard.html")]
pub struct DashboardPage {
    page: Page,
    campaign_id: i64,
    campaign_title: String,
    published: bool,
    previous: Option<String>,
    groups: Vec<GroupPanel>,
}

/// How many units and areas each list names.
const SHOWN: usize = 3;

#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn page(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<DashboardPage> {
    let id = id.get()?;
    let lang = context.lang;
    let campaign = campaigns::get(&state.db, id).await?;
    let staff = principal.can(chiso_domain::access::Permission::ManageCampaigns);
    let results = match campaign.state() {
        CampaignState::Published => assessments::published_results(&state.db, id).await?,
        CampaignState::Finalized if staff => Some(
            assessments::compute_results(&state.db, &campaign, &principal.user.full_name).await?,
        ),
        _ if staff => None,
        _ => return Err(AppError::Forbidden),
    }
    .ok_or(AppError::NotFound)?;
    let (extras, previous) = ranking::extras(&state, &campaign, &results).await?;
    let bands = Bands::parse(&results.bands).unwrap_or_default();
    let groups = results
        .groups
        .iter()
        .filter(|g| !g.units.is_empty())
        .map(|g| panel(lang, id, g, extras.get(&g.unit_group), &bands))
        .collect::<Vec<GroupPanel>>();
    let mut groups = groups;
    // Each group's survey indices: the waves that score its survey criteria, over its units.
    for (panel, group) in groups
        .iter_mut()
        .zip(results.groups.iter().filter(|g| !g.units.is_empty()))
    {
        let units: Vec<i64> = group.units.iter().map(|u| u.unit_id).collect();
        panel.surveys = crate::app::results::surveys::figures(
            &state,
            &principal,
            id,
            Some(group.framework_id),
            &units,
        )
        .await?
        .iter()
        .map(|f| SurveyPanel::new(lang, f))
        .collect();
    }
    let mut page = Page::new(&context, "results.dashboard_title");
    page.title = format!("{} – {}", page.title, campaign.title);
    Ok(DashboardPage {
        page,
        campaign_id: id,
        campaign_title: campaign.title.clone(),
        published: campaign.state() == CampaignState::Published,
        previous: previous.map(|c| c.title),
        groups,
    })
}

fn panel(
    lang: Lang,
    campaign: i64,
    group: &PublishedGroup,
    extras: Option<&GroupExtras>,
    bands: &Bands,
) -> GroupPanel {
    let mention = |unit_id: i64, name: &str, value: String| UnitMention {
        href: unit_path(campaign, unit_id),
        name: name.to_string(),
        value,
    };
    let by_index = |u: &chiso_store::assessments::PublishedUnit| {
        mention(
            u.unit_id,
            &u.unit_name,
            index_text(lang, u.index_hundredths),
        )
    };
    let top = group.units.iter().take(SHOWN).map(by_index).collect();
    let bottom = group.units.iter().rev().take(SHOWN).map(by_index).collect();
    let names: HashMap<i64, &str> = group
        .units
        .iter()
        .map(|u| (u.unit_id, u.unit_name.as_str()))
        .collect();
    let mut moves: Vec<(i64, i64)> = extras
        .map(|e| {
            e.changes
                .iter()
                .filter_map(|(&id, c)| c.rank_change.map(|r| (id, r)))
                .collect()
        })
        .unwrap_or_default();
    moves.sort_by_key(|&(id, places)| (std::cmp::Reverse(places), id));
    let moved = |&(id, places): &(i64, i64)| {
        let sign = if places > 0 { "▲" } else { "▼" };
        mention(
            id,
            names.get(&id).copied().unwrap_or(""),
            format!("{sign} {}", places.abs()),
        )
    };
    let risers = moves
        .iter()
        .filter(|m| m.1 > 0)
        .take(SHOWN)
        .map(moved)
        .collect();
    let fallers = moves
        .iter()
        .rev()
        .filter(|m| m.1 < 0)
        .take(SHOWN)
        .map(moved)
        .collect();
    GroupPanel {
        label: group_label(lang, &group.unit_group),
        units: group.units.len(),
        average_index: i18n::number(
            lang,
            group
                .units
                .iter()
                .map(|u| u.index_hundredths as f64 / 100.0)
                .sum::<f64>()
                / group.units.len() as f64,
            2,
        ),
        distribution: distribution(lang, bands, group),
        top,
        bottom,
        risers,
        fallers,
        weakest: weakest_areas(lang, group),
        surveys: Vec::new(),
    }
}

/// The areas with the lowest average index across the group, weakest first.
pub(crate) fn weakest_areas(lang: Lang, group: &PublishedGroup) -> Vec<AreaMention> {
    let Some(first) = group.units.first() else {
        return Vec::new();
    };
    let mut areas: Vec<(f64, usize)> = (0..first.areas.len())
        .map(|i| {
            let indices: Vec<f64> = group
                .units
                .iter()
                .filter_map(|u| u.areas.get(i).and_then(|a| a.index))
                .collect();
            let mean = indices.iter().sum::<f64>() / indices.len().max(1) as f64;
            (mean, i)
        })
        .collect();
    areas.sort_by(|a, b| a.0.total_cmp(&b.0));
    areas
        .into_iter()
        .take(SHOWN)
        .map(|(mean, i)| AreaMention {
            code: first.areas[i].code.clone(),
            title: first.areas[i].title.clone(),
            index: i18n::number(lang, mean, 2),
            width: format!("{:.1}", mean.clamp(0.0, 100.0)),
        })
        .collect()
}
