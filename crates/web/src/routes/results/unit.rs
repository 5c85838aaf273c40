//! A unit's page in a campaign's results (GET /dot-danh-gia/{id}/ket-qua/don-vi/{unit}).

use std::collections::HashMap;

use chiso_domain::campaign::CampaignState;
use chiso_domain::weakness;
use chiso_store::campaigns;

use super::*;
use crate::app::results::Fallen;

/// An area of the unit against the group.
pub struct AreaLine {
    pub code: String,
    pub title: String,
    pub points: String,
    pub max: String,
    pub average: String,
    pub best: String,
    pub rank: u32,
    /// Bar widths in % of the area's maximum: the unit, the average, the best.
    pub widths: [String; 3],
}

/// A leaf where the unit lost points.
pub struct LossLine {
    pub code: String,
    pub title: String,
    pub method: &'static str,
    pub points: String,
    pub max: String,
    pub lost: String,
    pub best: String,
    pub median: String,
    /// "k/n": units of the group at full marks.
    pub full_marks: String,
    /// The council's last comment on the leaf, for a reader of the sheet.
    pub comment: Option<String>,
}

/// A leaf that scored a smaller share of its maximum than in the earlier campaign.
pub struct FallenLine {
    pub code: String,
    pub title: String,
    pub points: String,
    pub max: String,
    pub previous: String,
    /// The earlier leaves compared, when they are not the leaf's own code.
    pub previous_codes: Option<String>,
    pub drop: String,
}

/// The unit in one published campaign.
pub struct TrendPoint {
    /// The index in hundredths, for the chart.
    pub hundredths: i64,
    pub year: i64,
    pub campaign_id: i64,
    pub title: String,
    pub index: String,
    pub rank: u32,
    pub of: usize,
    pub current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "results/unit.html")]
pub struct UnitPage {
    page: Page,
    s: Standing,
    areas: Vec<AreaLine>,
    losses: Vec<LossLine>,
    /// The earlier campaign compared and the leaves that fell since it.
    fallen_since: Option<String>,
    fallen: Vec<FallenLine>,
    trend: Vec<TrendPoint>,
    /// The unit's figures in each survey wave that scores the campaign.
    surveys: Vec<super::survey_panel::SurveyPanel>,
    /// The trend as a line chart, from two campaigns on.
    trend_chart: Option<TrendChart>,
    sheet_href: Option<String>,
    target_href: String,
    compare_href: String,
    results_href: String,
}

#[tracing::instrument(skip_all, fields(ids = ?ids))]
pub async fn page(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
) -> AppResult<UnitPage> {
    let (campaign_id, unit_id) = ids.get()?;
    let standing_of = UnitStanding::load(&state, &principal, campaign_id, unit_id).await?;
    let lang = context.lang;
    let s = &standing_of;
    let trend = trend(&state, s, lang).await?;
    let trend_chart = trend_chart(lang, &trend);
    let sheet_href = sheet_link(&state, &principal, s).await?;
    // The council's comments go to readers of the sheet only (the public pages never show them).
    let comments = match &sheet_href {
        Some(_) => council_comments(&state, s).await?,
        None => HashMap::new(),
    };
    let fallen = s.fallen_since(&state).await?;
    let surveys = crate::app::results::surveys::figures(
        &state,
        &principal,
        campaign_id,
        Some(s.group.framework_id),
        &[unit_id],
    )
    .await?
    .iter()
    .map(|f| super::survey_panel::SurveyPanel::new(lang, f))
    .collect();
    let mut page = Page::new(&context, "results.unit_title");
    let top = standing(lang, s);
    page.title = format!("{} – {}", top.unit_name, s.campaign.title);
    Ok(UnitPage {
        page,
        areas: areas(lang, s.framework(), &s.evaluation, s.outcome()),
        losses: losses(lang, s, &comments),
        fallen_since: fallen.as_ref().map(|f| f.campaign.title.clone()),
        fallen: fallen
            .map(|f| fallen_lines(lang, s, &f))
            .unwrap_or_default(),
        trend,
        surveys,
        trend_chart,
        sheet_href,
        target_href: target_path(campaign_id, unit_id),
        compare_href: format!("{}/so-sanh", unit_path(campaign_id, unit_id)),
        results_href: format!("/dot-danh-gia/{campaign_id}/ket-qua"),
        s: top,
    })
}

/// Each area of `outcome` against the maximum, the average and the best of its evaluation.
pub(crate) fn areas(
    lang: Lang,
    framework: &chiso_domain::Framework,
    evaluation: &chiso_domain::evaluation::Evaluation,
    outcome: &chiso_domain::evaluation::UnitOutcome,
) -> Vec<AreaLine> {
    let units = &evaluation.units;
    outcome
        .areas
        .iter()
        .enumerate()
        .map(|(position, area)| {
            let all: Vec<Points> = units.iter().map(|u| u.areas[position].points).collect();
            let best = all.iter().copied().max().unwrap_or(Points::ZERO);
            let average = Points::from_ten_thousandths(
                all.iter().map(|p| p.ten_thousandths()).sum::<i64>() / all.len().max(1) as i64,
            );
            let node = framework.node(area.node);
            AreaLine {
                code: node.code.clone(),
                title: node.title.clone(),
                points: pts(lang, area.points),
                max: pts(lang, area.max_points),
                average: pts(lang, average),
                best: pts(lang, best),
                rank: area.rank,
                widths: [
                    width(area.points, area.max_points),
                    width(average, area.max_points),
                    width(best, area.max_points),
                ],
            }
        })
        .collect()
}

/// A point of the trend chart: where it is drawn and what it says.
pub struct ChartPoint {
    pub x: String,
    pub y: String,
    pub year: i64,
    pub index: String,
    pub current: bool,
}

/// The unit's index over the campaigns, drawn on the server: a line over a 0–100 scale, each
/// campaign a labelled point.
pub struct TrendChart {
    pub points: Vec<ChartPoint>,
    pub line: String,
    pub alt: String,
}

const CHART_W: f64 = 600.0;
const CHART_H: f64 = 180.0;
const PAD: f64 = 30.0;

pub(crate) fn trend_chart(lang: Lang, trend: &[TrendPoint]) -> Option<TrendChart> {
    if trend.len() < 2 {
        return None;
    }
    let step = (CHART_W - 2.0 * PAD) / (trend.len() - 1) as f64;
    let points: Vec<ChartPoint> = trend
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let share = (p.hundredths as f64 / 10_000.0).clamp(0.0, 1.0);
            ChartPoint {
                x: format!("{:.1}", PAD + step * i as f64),
                y: format!("{:.1}", CHART_H - PAD - share * (CHART_H - 2.0 * PAD)),
                year: p.year,
                index: p.index.clone(),
                current: p.current,
            }
        })
        .collect();
    let line = points
        .iter()
        .map(|p| format!("{},{}", p.x, p.y))
        .collect::<Vec<_>>()
        .join(" ");
    let alt = i18n::fill(
        lang,
        "results.trend_alt",
        &[(
            "points",
            &points
                .iter()
                .map(|p| format!("{}: {}", p.year, p.index))
                .collect::<Vec<_>>()
                .join("; "),
        )],
    );
    Some(TrendChart { points, line, alt })
}

pub(crate) fn fallen_lines(lang: Lang, s: &UnitStanding, fallen: &Fallen) -> Vec<FallenLine> {
    let framework = s.framework();
    fallen
        .leaves
        .iter()
        .map(|change| {
            let node = framework.node(change.leaf);
            let own = change.previous_codes.len() == 1 && change.previous_codes[0] == node.code;
            FallenLine {
                code: node.code.clone(),
                title: node.title.clone(),
                points: pts(lang, change.points),
                max: pts(lang, change.max_points),
                previous: format!(
                    "{}/{}",
                    pts(lang, change.previous_points),
                    pts(lang, change.previous_max)
                ),
                previous_codes: (!own).then(|| change.previous_codes.join(", ")),
                drop: i18n::number(lang, change.drop, 2),
            }
        })
        .collect()
}

/// The council's last comment on each leaf of the unit's sheet, by leaf code.
pub(crate) async fn council_comments(
    state: &AppState,
    s: &UnitStanding,
) -> AppResult<HashMap<String, String>> {
    let Some(sheet) = assessments::find_sheet(&state.db, s.campaign.id, s.unit_id).await? else {
        return Ok(HashMap::new());
    };
    let codes: HashMap<i64, &String> = s
        .group
        .stored
        .node_ids
        .iter()
        .map(|(code, id)| (*id, code))
        .collect();
    let mut comments: HashMap<String, (i64, String)> = HashMap::new();
    for row in assessments::leaf_scores(&state.db, sheet.id).await? {
        let (Some(comment), Some(code)) = (row.comment, codes.get(&row.node_id)) else {
            continue;
        };
        if row.stage < 1 || comment.trim().is_empty() {
            continue;
        }
        let slot = comments
            .entry((*code).clone())
            .or_insert((row.stage, comment.clone()));
        if row.stage >= slot.0 {
            *slot = (row.stage, comment);
        }
    }
    Ok(comments.into_iter().map(|(k, (_, c))| (k, c)).collect())
}

pub(crate) fn losses(
    lang: Lang,
    s: &UnitStanding,
    comments: &HashMap<String, String>,
) -> Vec<LossLine> {
    let framework = s.framework();
    let peers = weakness::compare_with_peers(framework, &s.evaluation, s.outcome());
    s.recoverable()
        .into_iter()
        .map(|r| {
            let node = framework.node(r.loss.leaf);
            let peer = peers.iter().find(|p| p.leaf == r.loss.leaf);
            LossLine {
                code: node.code.clone(),
                title: node.title.clone(),
                method: i18n::text(lang, method_key(r.method)),
                points: pts(lang, r.loss.points),
                max: pts(lang, r.loss.max_points),
                lost: pts(lang, r.loss.lost),
                best: peer.map_or_else(|| "—".into(), |p| pts(lang, p.best)),
                median: peer.map_or_else(|| "—".into(), |p| pts(lang, p.median)),
                full_marks: format!("{}/{}", r.full_marks, r.units),
                comment: comments.get(&node.code).cloned(),
            }
        })
        .collect()
}

/// The unit's index and rank in every published campaign that ranked it, oldest first; the
/// campaign shown is marked (and listed even as a preview).
pub(crate) async fn trend(
    state: &AppState,
    s: &UnitStanding,
    lang: Lang,
) -> AppResult<Vec<TrendPoint>> {
    let mut points = Vec::new();
    for campaign in campaigns::list(&state.db).await? {
        if campaign.id == s.campaign.id {
            let outcome = s.outcome();
            points.push(TrendPoint {
                year: campaign.year,
                campaign_id: campaign.id,
                title: campaign.title.clone(),
                hundredths: outcome.index_hundredths,
                index: index_text(lang, outcome.index_hundredths),
                rank: outcome.rank,
                of: s.evaluation.units.len(),
                current: true,
            });
            continue;
        }
        if campaign.state() != CampaignState::Published {
            continue;
        }
        let Some(results) = assessments::published_results(&state.db, campaign.id).await? else {
            continue;
        };
        for group in &results.groups {
            if let Some(unit) = group.units.iter().find(|u| u.unit_id == s.unit_id) {
                points.push(TrendPoint {
                    year: campaign.year,
                    campaign_id: campaign.id,
                    title: campaign.title.clone(),
                    hundredths: unit.index_hundredths,
                    index: index_text(lang, unit.index_hundredths),
                    rank: unit.rank,
                    of: group.units.len(),
                    current: false,
                });
            }
        }
    }
    points.sort_by_key(|p| (p.year, p.campaign_id));
    Ok(points)
}
