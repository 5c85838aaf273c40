//! The campaign report's data (docs/method.md §10.1), read as the results pages read it and
//! written as they write it: the ranking rows of `/ket-qua` with their components and
//! changes, the weakest areas of `/tong-quan`, the unit page's area lines, and the charts of
//! `crate::charts` as SVG documents.

use std::collections::HashMap;

use chiso_domain::evaluation::Evaluation;
use chiso_domain::{Bands, Framework, NodeId, Points, evaluate, weakness};
use chiso_report::{
    AreaHead, AreaWeakness, CampaignReport, Chart, Count, Excluded, LeafWeakness, LossLine,
    RankRow, RankedGroup, SurveyRow, SurveySection, UnitSheet,
};
use chiso_store::assessments::{self, GroupFinals, PublishedResults};
use chiso_store::campaigns::CampaignRow;
use chiso_store::surveys;

use super::{heading, profile_chart, text};
use crate::app::results::ranking::{self, GroupExtras, UnitChange};
use crate::auth::Principal;
use crate::charts::standalone;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Lang};
use crate::routes::appraisal::results::{GroupView, explain, group_views, visible_results};
use crate::routes::campaigns::shared::{is_staff, pts};
use crate::routes::results::dashboard::weakest_areas;
use crate::routes::results::unit::areas;
use crate::state::AppState;

/// The report is Vietnamese, as the documents a province files.
const LANG: Lang = Lang::Vi;
/// A ranking chart draws every unit; past this many the table says it alone.
const CHARTED_UNITS: usize = 40;
/// Leaves listed as weakest per group, and lost leaves per unit in the appendix.
const LISTED: usize = 10;
/// The most units the appendix holds: typesetting takes about 2 MB of memory per page with
/// its chart (426 MB at 200 units, 5.9 GB at 3,300; README "PDF reports"), so past this the
/// appendix is left out with a note and each unit's report is had from its page.
const APPENDIX_UNITS: usize = 200;

/// What the campaign report is made from, read for `principal`: NotFound before the campaign
/// is finalized, Forbidden where the results page refuses.
pub(crate) async fn load(
    state: &AppState,
    principal: &Principal,
    campaign_id: i64,
    appendix: bool,
) -> AppResult<(CampaignRow, CampaignReport)> {
    let (campaign, results) = visible_results(state, principal, campaign_id).await?;
    let Some((results, published)) = results else {
        return Err(AppError::NotFound);
    };
    let (extras, previous) = ranking::extras(state, &campaign, &results).await?;
    let ranked_units: usize = results.groups.iter().map(|g| g.units.len()).sum();
    let appendix_note = (appendix && ranked_units > APPENDIX_UNITS).then(|| {
        text(
            "reports.appendix_left_out",
            &[("max", &APPENDIX_UNITS.to_string())],
        )
    });
    let appendix = appendix && appendix_note.is_none();
    let mut views = group_views(LANG, &results);
    explain(LANG, &mut views, &results, &extras);
    let bands = Bands::parse(&results.bands).unwrap_or_default();
    let finals = assessments::group_finals(&state.db, campaign_id).await?;
    let mut groups = Vec::new();
    let mut sheets = Vec::new();
    for (view, group) in views.iter().zip(&results.groups) {
        let evaluated = finals
            .iter()
            .find(|f| f.unit_group == group.unit_group)
            .map(|f| (f, evaluate(&f.stored.framework, f.inputs.clone(), &bands)));
        let mut ranked = ranked_group(view, group, extras.get(&group.unit_group));
        ranked.weakest_areas = weakest_areas(LANG, group)
            .into_iter()
            .map(|a| AreaWeakness {
                code: a.code,
                title: a.title,
                index: a.index,
            })
            .collect();
        if let Some((finals, evaluation)) = &evaluated {
            ranked.weakest_leaves = weakest_leaves(&finals.stored.framework, evaluation);
            if appendix {
                sheets.extend(appendix_sheets(view, finals, evaluation));
            }
        }
        groups.push(ranked);
    }
    let report = CampaignReport {
        heading: heading(state, &campaign, published.then_some(results.published_at)),
        compared_with: previous.map(|c| c.title),
        bands: band_legend(&bands),
        classes: bands.bands().iter().map(|b| b.label.clone()).collect(),
        surveys: surveys_of(state, principal, &campaign).await?,
        groups,
        appendix: sheets,
        appendix_note,
    };
    Ok((campaign, report))
}

/// "Tốt: từ 80", … and the last band alone (the bundled fonts have no "≥").
fn band_legend(bands: &Bands) -> Vec<String> {
    let all = bands.bands();
    all.iter()
        .enumerate()
        .map(|(i, band)| {
            if i + 1 < all.len() {
                text(
                    "reports.band_from",
                    &[
                        ("label", &band.label),
                        ("min", &i18n::number(LANG, band.min, 0)),
                    ],
                )
            } else {
                band.label.clone()
            }
        })
        .collect()
}

/// One group's ranking as the results page shows it, with its charts.
fn ranked_group(
    view: &GroupView,
    group: &chiso_store::assessments::PublishedGroup,
    extras: Option<&GroupExtras>,
) -> RankedGroup {
    let areas: Vec<AreaHead> = view
        .areas
        .iter()
        .enumerate()
        .map(|(i, (code, title))| AreaHead {
            code: code.clone(),
            title: title.clone(),
            max: group
                .units
                .first()
                .and_then(|u| u.areas.get(i))
                .map(|a| pts(LANG, a.max_points))
                .unwrap_or_default(),
        })
        .collect();
    let rows = view
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| RankRow {
            stt: (i + 1).to_string(),
            unit: if r.note.is_empty() {
                r.name.clone()
            } else {
                format!("{} ({})", r.name, r.note)
            },
            areas: r.areas.iter().map(|a| a.0.clone()).collect(),
            points: r.points.clone(),
            index: r.index.clone(),
            rank: r.rank.to_string(),
            classification: r.classification.clone(),
            change: change(extras.and_then(|e| e.changes.get(&r.unit_id))),
        })
        .collect();
    let mut charts = vec![distribution_chart(view)];
    if view.rows.len() <= CHARTED_UNITS {
        charts.push(Chart {
            caption: text("reports.chart_ranking", &[("group", &view.label)]),
            svg: standalone::bars(&view.chart, &view.label),
        });
    }
    RankedGroup {
        label: view.label.clone(),
        framework: view.framework_title.clone(),
        max: view.max.clone(),
        units: view.rows.len().to_string(),
        average_index: view.average_index.clone(),
        distribution: view
            .distribution
            .segments
            .iter()
            .map(|s| Count {
                label: s.label.clone(),
                count: s.count.to_string(),
            })
            .collect(),
        areas,
        rows,
        excluded: view
            .excluded
            .iter()
            .map(|(_, name, note)| Excluded {
                unit: name.clone(),
                note: note.to_string(),
            })
            .collect(),
        charts,
        weakest_areas: Vec::new(),
        weakest_leaves: Vec::new(),
    }
}

/// The change against the previous campaign (docs/method.md §2.11) in words the bundled fonts
/// print: "+1,25 (tăng 2 bậc)", an estimate through a merger marked so.
fn change(change: Option<&UnitChange>) -> String {
    let Some(change) = change else {
        return String::new();
    };
    let mut parts = Vec::new();
    if let Some(delta) = change.index_change {
        let number = i18n::number(LANG, delta, 2);
        parts.push(if delta > 0.0 {
            format!("+{number}")
        } else {
            number
        });
    }
    if let Some(places) = change.rank_change {
        let n = places.abs().to_string();
        parts.push(match places.cmp(&0) {
            std::cmp::Ordering::Greater => text("reports.places_up", &[("n", &n)]),
            std::cmp::Ordering::Less => text("reports.places_down", &[("n", &n)]),
            std::cmp::Ordering::Equal => text("reports.places_same", &[]),
        });
    }
    if change.estimate {
        parts.push(text("reports.estimate", &[]));
    }
    parts.join(" ")
}

/// Units per classification: the stacked bar of the results page, drawn as a document.
fn distribution_chart(view: &GroupView) -> Chart {
    let caption = text("reports.chart_distribution", &[("group", &view.label)]);
    Chart {
        svg: standalone::distribution(&view.distribution),
        caption,
    }
}

/// The leaves where the group lost most (docs/method.md §7.2, §10.1).
fn weakest_leaves(framework: &Framework, evaluation: &Evaluation) -> Vec<LeafWeakness> {
    weakness::weakest_leaves(framework, evaluation)
        .into_iter()
        .take(LISTED)
        .map(|l| {
            let node = framework.node(l.leaf);
            LeafWeakness {
                code: node.code.clone(),
                title: node.title.clone(),
                share: i18n::number(LANG, l.share, 2),
                lost: pts(LANG, l.lost),
                full_marks: format!("{}/{}", l.full_marks, l.units),
            }
        })
        .collect()
}

/// One page per unit of the group, in rank order: its standing, its areas against the group
/// with the profile chart, and the leaves where it lost most with the group's best and median
/// (computed once for the group).
fn appendix_sheets(
    view: &GroupView,
    finals: &GroupFinals,
    evaluation: &Evaluation,
) -> Vec<UnitSheet> {
    let framework = &finals.stored.framework;
    let Some(first) = evaluation.units.first() else {
        return Vec::new();
    };
    let peers: HashMap<NodeId, (Points, Points)> =
        weakness::compare_with_peers(framework, evaluation, first)
            .into_iter()
            .map(|p| (p.leaf, (p.best, p.median)))
            .collect();
    let of = evaluation.units.len().to_string();
    evaluation
        .units
        .iter()
        .map(|outcome| {
            let name = outcome
                .code
                .parse::<i64>()
                .ok()
                .and_then(|id| finals.units.get(&id))
                .map(|(_, name, _, _)| name.clone())
                .unwrap_or_default();
            let lines = areas(LANG, framework, evaluation, outcome);
            UnitSheet {
                unit: name,
                group: view.label.clone(),
                framework: view.framework_title.clone(),
                points: pts(LANG, outcome.points.points),
                max: view.max.clone(),
                index: crate::routes::results::index_text(LANG, outcome.index_hundredths),
                rank: outcome.rank.to_string(),
                of: of.clone(),
                classification: outcome.classification.clone(),
                profile: Some(profile_chart(&lines)),
                areas: lines.into_iter().map(super::area_line).collect(),
                losses: weakness::leaf_losses(framework, outcome)
                    .into_iter()
                    .filter(|l| peers.contains_key(&l.leaf))
                    .take(LISTED)
                    .map(|l| {
                        let node = framework.node(l.leaf);
                        let (best, median) = peers[&l.leaf];
                        LossLine {
                            code: node.code.clone(),
                            title: node.title.clone(),
                            points: pts(LANG, l.points),
                            max: pts(LANG, l.max_points),
                            lost: pts(LANG, l.lost),
                            best: pts(LANG, best),
                            median: pts(LANG, median),
                        }
                    })
                    .collect(),
                ..UnitSheet::default()
            }
        })
        .collect()
}

/// The survey waves that fill the campaign's survey leaves, each unit's responses, target,
/// index and interval. A wave still open is left out for readers who are not staff (its
/// results are not final).
async fn surveys_of(
    state: &AppState,
    principal: &Principal,
    campaign: &CampaignRow,
) -> AppResult<Vec<SurveySection>> {
    let maps = surveys::leaf_maps(&state.db, campaign.id).await?;
    let mut waves: Vec<(i64, Vec<String>)> = Vec::new();
    for map in maps {
        match waves.iter_mut().find(|(w, _)| *w == map.wave_id) {
            Some((_, leaves)) => leaves.push(map.node_code),
            None => waves.push((map.wave_id, vec![map.node_code])),
        }
    }
    let mut sections = Vec::new();
    for (wave_id, mut leaves) in waves {
        let results = crate::app::survey::results::compute(state, wave_id, None, &[]).await?;
        if results.wave.state() != chiso_domain::wave::WaveState::Closed && !is_staff(principal) {
            continue;
        }
        leaves.sort();
        leaves.dedup();
        sections.push(SurveySection {
            title: results.wave.title.clone(),
            leaves: leaves.join(", "),
            rows: results
                .units
                .iter()
                .map(|(unit, _, result)| SurveyRow {
                    unit: unit.unit_name.clone(),
                    responses: i18n::number(LANG, result.responses as f64, 0),
                    target: unit
                        .target_sample
                        .map(|n| i18n::number(LANG, n as f64, 0))
                        .unwrap_or_default(),
                    index: result
                        .index
                        .map(|v| i18n::number(LANG, v, 2))
                        .unwrap_or_else(|| "—".into()),
                    interval: result
                        .ci95
                        .map(|[low, high]| {
                            format!(
                                "{} – {}",
                                i18n::number(LANG, low, 2),
                                i18n::number(LANG, high, 2)
                            )
                        })
                        .unwrap_or_default(),
                })
                .collect(),
        });
    }
    Ok(sections)
}

/// Results of a campaign visible to `principal`, for the announcement.
pub(crate) async fn results_for(
    state: &AppState,
    principal: &Principal,
    campaign_id: i64,
) -> AppResult<(CampaignRow, PublishedResults, bool)> {
    let (campaign, results) = visible_results(state, principal, campaign_id).await?;
    let (results, published) = results.ok_or(AppError::NotFound)?;
    Ok((campaign, results, published))
}
