//! A unit's results explained (docs/method.md §7.2): its page in a campaign (index, rank and
//! classification; each area against the maximum, the group's average and the best; the leaves
//! where it lost points against the best and the median unit; its trend over the campaigns it
//! was ranked in) and "what it takes" with the what-if simulator. The analyses are the
//! application layer's ([`crate::app::results`]); these handlers parse, call and render.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chiso_domain::framework::Method;
use chiso_domain::{Bands, Points};
use chiso_store::assessments;

use crate::app::results::UnitStanding;
use crate::auth::{Auth, Principal};
use crate::error::AppResult;
use crate::extract::{PathId, Query};
use crate::i18n::{self, Lang};
use crate::routes::campaigns::shared::{group_label, pts};
use crate::state::AppState;
use crate::views::Page;

mod compare;
pub(crate) mod dashboard;
mod survey_panel;
mod target;
pub(crate) mod unit;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dot-danh-gia/{id}/tong-quan", get(dashboard::page))
        .route("/dot-danh-gia/{id}/ket-qua/don-vi/{unit}", get(unit::page))
        .route(
            "/dot-danh-gia/{id}/ket-qua/don-vi/{unit}/muc-tieu",
            get(target::page),
        )
        .route(
            "/dot-danh-gia/{id}/ket-qua/don-vi/{unit}/so-sanh",
            get(compare::page),
        )
}

/// The unit's page in a campaign's results.
pub fn unit_path(campaign: i64, unit: i64) -> String {
    format!("/dot-danh-gia/{campaign}/ket-qua/don-vi/{unit}")
}

/// What it takes for the unit, and the what-if simulator.
pub fn target_path(campaign: i64, unit: i64) -> String {
    format!("{}/muc-tieu", unit_path(campaign, unit))
}

/// What both pages show at their top: the campaign, the unit and where it stands.
pub struct Standing {
    pub campaign_id: i64,
    pub campaign_title: String,
    pub published: bool,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub group: String,
    pub framework_title: String,
    pub points: String,
    pub max: String,
    pub index: String,
    pub rank: u32,
    pub of: usize,
    pub classification: String,
    pub band: usize,
}

/// A classification's position among the bands (0 = best), for its colour.
pub(crate) fn band_of(bands: &Bands, label: &str) -> usize {
    bands
        .bands()
        .iter()
        .position(|band| band.label == label)
        .unwrap_or(0)
}

/// Units per classification, best first, as the stacked bar of the results pages.
pub(crate) fn distribution(
    lang: Lang,
    bands: &Bands,
    group: &chiso_store::assessments::PublishedGroup,
) -> crate::charts::Distribution {
    let classes: Vec<(String, usize, usize)> = bands
        .bands()
        .iter()
        .enumerate()
        .map(|(i, band)| {
            let count = group
                .units
                .iter()
                .filter(|u| u.classification == band.label)
                .count();
            (band.label.clone(), count, i)
        })
        .collect();
    crate::charts::Distribution::new(lang, &classes)
}

/// The rounded index people read and rank by.
pub(crate) fn index_text(lang: Lang, hundredths: i64) -> String {
    i18n::number(lang, hundredths as f64 / 100.0, 2)
}

pub(crate) fn standing(lang: Lang, s: &UnitStanding) -> Standing {
    let outcome = s.outcome();
    let (code, name) = s.names(&outcome.code);
    Standing {
        campaign_id: s.campaign.id,
        campaign_title: s.campaign.title.clone(),
        published: s.published,
        unit_id: s.unit_id,
        unit_code: code.to_string(),
        unit_name: name.to_string(),
        group: group_label(lang, &s.group.unit_group),
        framework_title: s.framework().display_title(),
        points: pts(lang, outcome.points.points),
        max: pts(lang, s.framework().max_points()),
        index: index_text(lang, outcome.index_hundredths),
        rank: outcome.rank,
        of: s.evaluation.units.len(),
        classification: outcome.classification.clone(),
        band: band_of(&s.bands, &outcome.classification),
    }
}

/// The locale key of a leaf's method, as the pages name it.
fn method_key(method: Method) -> &'static str {
    match method {
        Method::Survey => "results.method_survey",
        Method::Penalty => "results.method_penalty",
        Method::Bonus => "results.method_bonus",
        Method::SelfAssessed => "results.method_self",
    }
}

/// Points as a share of a maximum, for bar widths (a dot, for SVG/CSS).
pub(crate) fn width(points: Points, max: Points) -> String {
    if max == Points::ZERO {
        return "0".into();
    }
    let share = (points.to_f64() / max.to_f64() * 100.0).clamp(0.0, 100.0);
    format!("{share:.1}")
}

/// The sheet behind the results, for a user allowed to read it.
pub(crate) async fn sheet_link(
    state: &AppState,
    principal: &Principal,
    s: &UnitStanding,
) -> AppResult<Option<String>> {
    let Some(sheet) = assessments::find_sheet(&state.db, s.campaign.id, s.unit_id).await? else {
        return Ok(None);
    };
    let Some(head) = assessments::sheet_head(&state.db, sheet.id, Some(principal.user.id)).await?
    else {
        return Ok(None);
    };
    let readable = crate::app::sheet_context::may_read(
        principal,
        &head.unit_roles,
        head.sheet.status(),
        head.campaign.state(),
    );
    Ok(readable.then(|| format!("{}/{}", crate::paths::SELF_ASSESSMENT, sheet.id)))
}
