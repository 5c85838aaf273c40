//! The one-unit report's data (docs/method.md §10.2): what the unit's results page shows,
//! from the same functions (areas, leaves lost, leaves fallen, trend), with its charts as SVG
//! documents.

use chiso_report::{FallenLine, LossLine, TrendLine, UnitReport, UnitSheet};
use chiso_store::campaigns::CampaignRow;

use super::{heading, profile_chart};
use crate::app::results::UnitStanding;
use crate::auth::Principal;
use crate::charts::standalone::{self, LinePoint};
use crate::error::AppResult;
use crate::i18n::{self, Lang};
use crate::routes::results::standing;
use crate::routes::results::unit::{areas, fallen_lines, losses, trend, trend_chart};
use crate::state::AppState;

const LANG: Lang = Lang::Vi;

/// The unit's report, read for `principal` as its results page is (the same refusals).
pub(crate) async fn load(
    state: &AppState,
    principal: &Principal,
    campaign_id: i64,
    unit_id: i64,
) -> AppResult<(CampaignRow, String, UnitReport)> {
    let s = UnitStanding::load(state, principal, campaign_id, unit_id).await?;
    let top = standing(LANG, &s);
    let lines = areas(LANG, s.framework(), &s.evaluation, s.outcome());
    // The council's comments are left out: a report travels beyond the sheet's readers.
    let lost = losses(LANG, &s, &Default::default());
    let fallen = s.fallen_since(state).await?;
    let points = trend(state, &s, LANG).await?;
    let chart = trend_chart(LANG, &points);
    let published_at = if s.published {
        chiso_store::assessments::published_results(&state.db, campaign_id)
            .await?
            .map(|r| r.published_at)
    } else {
        None
    };
    let sheet = UnitSheet {
        unit: top.unit_name.clone(),
        group: top.group.clone(),
        framework: top.framework_title.clone(),
        points: top.points.clone(),
        max: top.max.clone(),
        index: top.index.clone(),
        rank: top.rank.to_string(),
        of: top.of.to_string(),
        classification: top.classification.clone(),
        profile: Some(profile_chart(&lines)),
        areas: lines.into_iter().map(super::area_line).collect(),
        losses: lost
            .into_iter()
            .map(|l| LossLine {
                code: l.code,
                title: l.title,
                points: l.points,
                max: l.max,
                lost: l.lost,
                best: l.best,
                median: l.median,
            })
            .collect(),
        fallen_since: fallen.as_ref().map(|f| f.campaign.title.clone()),
        fallen: fallen
            .map(|f| fallen_lines(LANG, &s, &f))
            .unwrap_or_default()
            .into_iter()
            .map(|f| FallenLine {
                code: f.code,
                title: f.title,
                points: format!("{}/{}", f.points, f.max),
                previous: f.previous,
                drop: f.drop,
            })
            .collect(),
        trend_chart: chart.map(|c| {
            let years: Vec<String> = c.points.iter().map(|p| p.year.to_string()).collect();
            let placed: Vec<LinePoint<'_>> = c
                .points
                .iter()
                .zip(&years)
                .map(|(p, year)| LinePoint {
                    x: &p.x,
                    y: &p.y,
                    label: year,
                    value: &p.index,
                    current: p.current,
                })
                .collect();
            chiso_report::Chart {
                caption: i18n::text(LANG, "reports.chart_trend").to_string(),
                svg: standalone::trend(&placed, 180.0, &c.alt),
            }
        }),
        trend: points
            .iter()
            .map(|p| TrendLine {
                year: p.year.to_string(),
                campaign: p.title.clone(),
                index: p.index.clone(),
                rank: format!("{}/{}", p.rank, p.of),
            })
            .collect(),
    };
    let report = UnitReport {
        heading: heading(state, &s.campaign, published_at),
        sheet,
    };
    Ok((s.campaign.clone(), top.unit_code, report))
}
