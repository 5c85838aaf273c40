//! Results of a wave (/khao-sat/dot/{wave}/ket-qua), on the page and as .xlsx.

use super::*;
use crate::app::survey::results as wave_results;
use crate::downloads::{XLSX, download};

pub struct FactorCell {
    pub code: String,
    pub title: String,
    pub index: String,
    pub ci: String,
}

pub struct ItemCell {
    pub code: String,
    pub title: String,
    pub answered: String,
    pub rate: String,
    pub se: String,
    pub points: String,
}

/// One result (a unit, a group, a channel, all) as the page shows it.
pub struct ResultView {
    pub key: String,
    pub label: String,
    pub unit_id: Option<i64>,
    pub responses: String,
    pub target: String,
    pub below: bool,
    pub flagged: u64,
    pub index: String,
    pub ci: String,
    pub par_points: String,
    pub overall: String,
    pub factors: Vec<FactorCell>,
    pub previous: String,
    pub vs_average: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/results.html")]
pub struct ResultsPage {
    page: Page,
    wave: WaveRow,
    questionnaire_title: String,
    factor_heads: Vec<(String, String)>,
    units: Vec<ResultView>,
    all: ResultView,
    average: String,
    groups: Vec<ResultView>,
    channels: Vec<ResultView>,
    services: Vec<ResultView>,
    selected: ResultView,
    items: Vec<ItemCell>,
    /// Whether any item is worth points (the leader survey), for the points column.
    item_points: bool,
    expectations: Vec<(String, String, String)>,
    /// The perception questions about the visit, with their options' (label, count, share):
    /// reported outside the index.
    perceptions: Vec<PerceptionTable>,
    factor_chart: Chart,
    ranking_chart: Chart,
    trend: Trend,
    previous_wave: Option<(i64, String)>,
    channel: String,
    channel_title: String,
    /// (value, title) of each channel the wave has.
    channel_options: Vec<(String, String)>,
    unit_choices: Vec<(i64, String, bool)>,
    ticked_query: String,
    chart_width: f64,
    chart_height: f64,
    /// Responses of the units shown that are excluded from the index ("n phiếu bị loại").
    excluded: String,
    /// The download panel's slice form, for readers of single responses.
    download: Option<super::responses::SliceOptions>,
}

/// The query of the results page: a channel, a unit to detail, a ticked set of units.
pub(super) fn results_query(
    pairs: &[(String, String)],
) -> (Option<surveys::Channel>, Option<i64>, Vec<i64>) {
    let channel = pairs
        .iter()
        .find(|(k, v)| k == "kenh" && !v.is_empty())
        .map(|(_, v)| surveys::Channel::parse(v));
    let unit = pairs
        .iter()
        .find(|(k, _)| k == "don_vi")
        .and_then(|(_, v)| v.parse().ok());
    let ticked = pairs
        .iter()
        .filter(|(k, _)| k == "chon")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    (channel, unit, ticked)
}

/// Everything the results page and its export compute, from the counters.
pub(super) struct Computed {
    wave: WaveRow,
    questionnaire: Questionnaire,
    units: Vec<(WaveUnitRow, String, SurveyResult)>,
    all: SurveyResult,
    groups: Vec<(String, Vec<String>, SurveyResult)>,
    channels: Vec<(surveys::Channel, SurveyResult)>,
    /// Every service of the wave's units, with its unit's code (in the chosen channel).
    services: Vec<(surveys::ServiceRow, String, SurveyResult)>,
    previous: Option<(WaveRow, HashMap<i64, SurveyResult>, SurveyResult)>,
    mean: Reference,
    trend: Vec<(String, Option<f64>)>,
}

/// [`compute`] with what the principal may not see left out: before the wave's results are
/// published, a unit editor sees their own units' rows and services (and the aggregates),
/// and can tick only those into a group.
pub(super) async fn compute_visible(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    wave_id: i64,
    channel: Option<&surveys::Channel>,
    mut ticked: Vec<i64>,
) -> AppResult<Computed> {
    let wave = surveys::get_wave(&state.db, wave_id).await?;
    let scope = SurveyScope::of(state, principal)
        .await?
        .for_results(state, &wave)
        .await?;
    ticked.retain(|id| scope.sees(*id));
    let mut computed = compute(state, lang, wave_id, channel, &ticked).await?;
    computed.units.retain(|(u, _, _)| scope.sees(u.unit_id));
    computed.services.retain(|(s, _, _)| scope.sees(s.unit_id));
    Ok(computed)
}

/// The wave's results ([`app::survey::results::compute`]) with the groups and the trend named
/// for the page.
pub(super) async fn compute(
    state: &AppState,
    lang: Lang,
    wave_id: i64,
    channel: Option<&surveys::Channel>,
    ticked: &[i64],
) -> AppResult<Computed> {
    let r = (*wave_results::compute_cached(state, wave_id, channel, ticked).await?).clone();
    Ok(Computed {
        groups: r
            .groups
            .into_iter()
            .map(|(key, codes, result)| {
                let label = match key {
                    wave_results::GroupKey::Kind(kind) => {
                        t(lang, &format!("common.kind_{kind}")).to_string()
                    }
                    wave_results::GroupKey::Ticked => t(lang, "surveys.ticked_group").to_string(),
                };
                (label, codes, result)
            })
            .collect(),
        trend: r
            .trend
            .iter()
            .map(|(w, value)| (format!("{} ({})", period_label(w), w.title), *value))
            .collect(),
        wave: r.wave,
        questionnaire: r.questionnaire,
        units: r.units,
        all: r.all,
        channels: r.channels,
        services: r.services,
        previous: r.previous,
        mean: r.mean,
    })
}

pub(super) fn result_view(
    lang: Lang,
    key: String,
    label: String,
    result: &SurveyResult,
    previous: Option<&SurveyResult>,
    mean: Option<&Reference>,
) -> ResultView {
    ResultView {
        key,
        label,
        unit_id: None,
        responses: integer(lang, result.responses),
        target: "—".into(),
        below: false,
        flagged: 0,
        index: pct(lang, result.index),
        ci: ci_text(lang, result.ci95),
        par_points: pct(lang, result.par_points),
        overall: pct(lang, result.overall_satisfied_rate),
        factors: result
            .factors
            .iter()
            .map(|f| FactorCell {
                code: f.code.clone(),
                title: String::new(),
                index: pct(lang, f.index),
                ci: ci_text(lang, f.ci95),
            })
            .collect(),
        previous: previous
            .map(|p| change(lang, compare(result, &Reference::of(p), false).index_change))
            .unwrap_or_else(|| "—".into()),
        vs_average: mean
            .map(|m| change(lang, compare(result, m, false).index_change))
            .unwrap_or_else(|| "—".into()),
    }
}

pub async fn results(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
    Query(query): Query<Vec<(String, String)>>,
) -> AppResult<ResultsPage> {
    principal.require(Permission::ViewSetup)?;
    let [wave_id] = ids::<1>(&raw)?;
    let lang = context.lang;
    let (channel, detail, ticked) = results_query(&query);
    let c = compute_visible(
        &state,
        &principal,
        lang,
        wave_id,
        channel.as_ref(),
        ticked.clone(),
    )
    .await?;
    let channel_options = surveys::channels(&state.db, wave_id)
        .await?
        .into_iter()
        .map(|c| {
            let title = channel_title(context.lang, &c);
            (c.to_string(), title)
        })
        .collect();
    let detail = Detail::of(lang, &c, detail);
    let (excluded, download) =
        excluded_and_download(&state, &principal, lang, wave_id, &c.units).await?;
    Ok(ResultsPage {
        page: Page::new(&context, "surveys.results_title"),
        questionnaire_title: format!(
            "{} v{} — {}",
            c.questionnaire.id, c.questionnaire.version, c.questionnaire.title
        ),
        factor_heads: c
            .questionnaire
            .factors
            .iter()
            .map(|f| (f.code.clone(), f.title.clone()))
            .collect(),
        average: pct(lang, c.mean.index),
        trend: Trend::new(lang, &c.trend, 2),
        previous_wave: c
            .previous
            .as_ref()
            .map(|(w, _, _)| (w.id, format!("{} ({})", w.title, period_label(w)))),
        channel_title: channel
            .as_ref()
            .map(|c| channel_title(context.lang, c))
            .unwrap_or_default(),
        ticked_query: ticked_query(channel.as_ref(), &ticked),
        channel: channel.map(|c| c.to_string()).unwrap_or_default(),
        channel_options,
        unit_choices: unit_choices(&c, &ticked),
        chart_width: crate::charts::TREND_WIDTH,
        chart_height: crate::charts::TREND_HEIGHT,
        units: unit_views(lang, &c),
        all: result_view(
            lang,
            "all".into(),
            t(lang, "surveys.all_units").to_string(),
            &c.all,
            c.previous.as_ref().map(|p| &p.2),
            None,
        ),
        groups: group_views(lang, &c),
        channels: channel_views(lang, &c),
        services: service_views(lang, &c),
        ranking_chart: ranking_chart(lang, &c),
        selected: detail.selected,
        item_points: detail.item_points,
        items: detail.items,
        expectations: detail.expectations,
        perceptions: detail.perceptions,
        factor_chart: detail.factor_chart,
        excluded,
        download,
        wave: c.wave,
    })
}

/// Each unit's row: its result against its previous wave and the average of the units, its
/// target sample and whether it fell short, its flagged responses.
fn unit_views(lang: Lang, c: &Computed) -> Vec<ResultView> {
    let prev_units = c.previous.as_ref().map(|p| &p.1);
    c.units
        .iter()
        .map(|(u, _, r)| {
            let mut view = result_view(
                lang,
                u.unit_code.clone(),
                format!("{} — {}", u.unit_code, u.unit_name),
                r,
                prev_units.and_then(|m| m.get(&u.unit_id)),
                (r.responses > 0).then_some(&c.mean),
            );
            view.unit_id = Some(u.unit_id);
            view.target = u
                .target_sample
                .map(|n| integer(lang, n.max(0) as u64))
                .unwrap_or_else(|| "—".into());
            view.below = below_target(u, r);
            view.flagged = u.flagged.max(0) as u64;
            view
        })
        .collect()
}

/// Whether a unit has fewer responses than its target sample.
fn below_target(unit: &WaveUnitRow, result: &SurveyResult) -> bool {
    unit.target_sample
        .is_some_and(|n| (result.responses as i64) < n)
}

/// Each group (a kind of unit, the ticked units) against the average of the units.
fn group_views(lang: Lang, c: &Computed) -> Vec<ResultView> {
    c.groups
        .iter()
        .map(|(name, _, r)| result_view(lang, name.clone(), name.clone(), r, None, Some(&c.mean)))
        .collect()
}

/// Each channel the responses came through, by its title.
fn channel_views(lang: Lang, c: &Computed) -> Vec<ResultView> {
    c.channels
        .iter()
        .map(|(name, r)| {
            result_view(
                lang,
                name.to_string(),
                channel_title(lang, name),
                r,
                None,
                None,
            )
        })
        .collect()
}

/// Each service of the wave's units, under its unit's code.
fn service_views(lang: Lang, c: &Computed) -> Vec<ResultView> {
    c.services
        .iter()
        .map(|(service, unit_code, r)| {
            result_view(
                lang,
                format!("{unit_code}/{}", service.code),
                format!("{unit_code} · {} — {}", service.code, service.name),
                r,
                None,
                None,
            )
        })
        .collect()
}

/// The detailed result on the page: one unit when asked, else every unit; its factors
/// (named), its items, the expectations and the factors' chart.
struct Detail {
    selected: ResultView,
    items: Vec<ItemCell>,
    item_points: bool,
    expectations: Vec<(String, String, String)>,
    perceptions: Vec<PerceptionTable>,
    factor_chart: Chart,
}

impl Detail {
    fn of(lang: Lang, c: &Computed, detail: Option<i64>) -> Detail {
        let (selected_result, selected_label) =
            match detail.and_then(|d| c.units.iter().find(|(u, _, _)| u.unit_id == d)) {
                Some((u, _, r)) => (r, format!("{} — {}", u.unit_code, u.unit_name)),
                None => (&c.all, t(lang, "surveys.all_units").to_string()),
            };
        let mut selected = result_view(
            lang,
            "selected".into(),
            selected_label,
            selected_result,
            None,
            None,
        );
        for (cell, factor) in selected.factors.iter_mut().zip(&c.questionnaire.factors) {
            cell.title = factor.title.clone();
        }
        Detail {
            selected,
            items: item_cells(lang, &c.questionnaire, selected_result),
            item_points: selected_result
                .items
                .iter()
                .chain(&selected_result.other_items)
                .any(|i| i.points.is_some()),
            expectations: expectation_rows(lang, selected_result),
            perceptions: perception_rows(lang, &c.questionnaire, selected_result),
            factor_chart: factor_chart(lang, &c.questionnaire, selected_result),
        }
    }
}

/// The items of a result (those of the index, then the others), each with its title.
fn item_cells(lang: Lang, questionnaire: &Questionnaire, result: &SurveyResult) -> Vec<ItemCell> {
    let title_of = |code: &str| {
        questionnaire
            .item(code)
            .map(|i| questionnaire.items[i].title.clone())
            .unwrap_or_default()
    };
    result
        .items
        .iter()
        .chain(&result.other_items)
        .map(|i| ItemCell {
            title: title_of(&i.code),
            code: i.code.clone(),
            answered: integer(lang, i.answered),
            rate: pct(lang, i.satisfied_rate),
            se: pct(lang, i.se),
            points: pct(lang, i.points),
        })
        .collect()
}

/// A perception question with its options' (label, count, share).
pub struct PerceptionTable {
    question: String,
    rows: Vec<(String, String, String)>,
}

/// The perception questions of a result that someone answered, each with its options as
/// (label, count, share) rows (docs/method.md §3.2: shares outside the index).
fn perception_rows(
    lang: Lang,
    questionnaire: &Questionnaire,
    result: &SurveyResult,
) -> Vec<PerceptionTable> {
    result
        .demographics
        .iter()
        .filter(|d| d.perception && d.options.iter().any(|o| o.count > 0))
        .filter_map(|d| {
            let question = questionnaire
                .demographics
                .iter()
                .find(|q| q.code == d.code)?;
            let rows = d
                .options
                .iter()
                .map(|o| {
                    (
                        o.label.clone(),
                        integer(lang, o.count),
                        pct(lang, Some(o.share)),
                    )
                })
                .collect();
            Some(PerceptionTable {
                question: question.title.clone(),
                rows,
            })
        })
        .collect()
}

/// The expectations of a result as (label, count, share) rows.
fn expectation_rows(lang: Lang, result: &SurveyResult) -> Vec<(String, String, String)> {
    // A questionnaire without the question (or a file without its columns) has no shares to rank.
    result
        .expectations
        .iter()
        .filter(|_| result.expectations.iter().any(|e| e.count > 0))
        .map(|e| {
            (
                e.label.clone(),
                integer(lang, e.count),
                pct(lang, Some(e.share)),
            )
        })
        .collect()
}

/// A result's factor indices with their intervals, as bars.
fn factor_chart(lang: Lang, questionnaire: &Questionnaire, result: &SurveyResult) -> Chart {
    Chart::horizontal(
        lang,
        result
            .factors
            .iter()
            .zip(&questionnaire.factors)
            .filter_map(|(f, q)| {
                Some(BarInput {
                    label: format!("{} {}", f.code, q.title),
                    value: f.index?,
                    band: 0,
                    ci: f.ci95,
                })
            })
            .collect(),
        2,
    )
}

/// The units with an index, highest first, as bars; a unit below its target sample in band 2.
fn ranking_chart(lang: Lang, c: &Computed) -> Chart {
    let mut ranked: Vec<&(WaveUnitRow, String, SurveyResult)> = c
        .units
        .iter()
        .filter(|(_, _, r)| r.index.is_some())
        .collect();
    ranked.sort_by(|a, b| {
        b.2.index
            .partial_cmp(&a.2.index)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Chart::horizontal(
        lang,
        ranked
            .iter()
            .enumerate()
            .map(|(i, (u, _, r))| BarInput {
                label: format!("{}. {} — {}", i + 1, u.unit_code, u.unit_name),
                value: r.index.unwrap_or(0.0),
                band: if below_target(u, r) { 2 } else { 0 },
                ci: r.ci95,
            })
            .collect(),
        2,
    )
}

/// The units to tick into a group: (id, label, ticked).
fn unit_choices(c: &Computed, ticked: &[i64]) -> Vec<(i64, String, bool)> {
    c.units
        .iter()
        .map(|(u, _, _)| {
            (
                u.unit_id,
                format!("{} — {}", u.unit_code, u.unit_name),
                ticked.contains(&u.unit_id),
            )
        })
        .collect()
}

/// The channel and the ticked units as a query string's start, for the page's links.
fn ticked_query(channel: Option<&surveys::Channel>, ticked: &[i64]) -> String {
    let mut query = String::new();
    if let Some(ch) = channel {
        query.push_str(&format!("kenh={}&", crate::error::urlencode(ch.as_str())));
    }
    for id in ticked {
        query.push_str(&format!("chon={id}&"));
    }
    query
}

/// How many responses of the units shown are excluded from the index, and the download
/// panel for a reader of single responses (none for the others).
async fn excluded_and_download(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    wave_id: i64,
    units: &[(WaveUnitRow, String, SurveyResult)],
) -> AppResult<(String, Option<super::responses::SliceOptions>)> {
    let excluded: i64 = surveys::excluded_counts(&state.db, wave_id)
        .await?
        .into_iter()
        .filter(|(unit, _)| units.iter().any(|(u, _, _)| u.unit_id == *unit))
        .map(|(_, n)| n)
        .sum();
    let download = match crate::app::survey::microdata::reader_units(state, principal).await {
        Ok(scope) => Some(
            super::responses::slice_options(state, lang, wave_id, &scope, &Default::default())
                .await?,
        ),
        Err(AppError::Forbidden) => None,
        Err(other) => return Err(other),
    };
    Ok((integer(lang, excluded.max(0) as u64), download))
}

/// The results as .xlsx, through the survey engine's report writer (the workbook of
/// `chiso survey index`).
pub async fn results_xlsx(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
    Query(query): Query<Vec<(String, String)>>,
) -> AppResult<Response> {
    principal.require(Permission::ViewSetup)?;
    let [wave_id] = ids::<1>(&raw)?;
    let lang = context.lang;
    let (channel, _, ticked) = results_query(&query);
    let c = compute_visible(&state, &principal, lang, wave_id, channel.as_ref(), ticked).await?;
    let heading = chiso_survey::report_book::Heading {
        authority: state.config.authority_name.clone(),
        title: t(Lang::Vi, "workbook.survey_results_title").to_string(),
        lines: vec![
            c.wave.title.clone(),
            crate::workbooks::exported_line(state.clock.today()),
        ],
    };
    let body = report(lang, &c)
        .to_xlsx_with(&c.questionnaire, Some(&heading))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    Ok(download(XLSX, format!("khao-sat-dot-{wave_id}.xlsx"), body))
}

/// The computed results as the survey engine's report.
fn report(lang: Lang, c: &Computed) -> Report {
    let accepted: u64 = c.all.responses;
    Report {
        questionnaire: c.questionnaire.id.clone(),
        questionnaire_title: c.questionnaire.title.clone(),
        questionnaire_version: c.questionnaire.version,
        ci_method: chiso_survey::report::CI_METHOD,
        rows: accepted,
        accepted,
        units: unit_reports(c),
        all: ScopeReport {
            previous: c
                .previous
                .as_ref()
                .map(|p| compare(&c.all, &Reference::of(&p.2), true)),
            result: c.all.clone(),
        },
        average: AverageReport {
            units: c.units.iter().filter(|(_, _, r)| r.responses > 0).count(),
            index: c.mean.index,
            factors: c
                .mean
                .factors
                .iter()
                .map(|(code, index)| CodeValue {
                    code: code.clone(),
                    index: *index,
                })
                .collect(),
        },
        channels: c
            .channels
            .iter()
            .map(|(channel, r)| ChannelReport {
                channel: channel.to_string(),
                result: r.clone(),
            })
            .collect(),
        unit_channels: Vec::new(),
        services: Vec::new(),
        unit_services: Vec::new(),
        groups: group_reports(lang, c),
        rejected: Vec::new(),
        warnings: Vec::new(),
    }
}

/// Each unit's report: its sample check, its change from the previous wave, its distance
/// from the average.
fn unit_reports(c: &Computed) -> Vec<UnitReport> {
    let prev_units = c.previous.as_ref().map(|p| &p.1);
    c.units
        .iter()
        .map(|(u, _, r)| UnitReport {
            unit_code: u.unit_code.clone(),
            unit_name: Some(u.unit_name.clone()),
            sample: u
                .transactions
                .map(|n| check_sample(n.max(0) as u64, c.wave.margin_e, r.responses)),
            previous: prev_units
                .and_then(|m| m.get(&u.unit_id))
                .map(|p| compare(r, &Reference::of(p), true)),
            vs_average: compare(r, &c.mean, false),
            result: r.clone(),
        })
        .collect()
}

/// Groups, then each service as a group of its one unit, named after the service.
fn group_reports(lang: Lang, c: &Computed) -> Vec<GroupReport> {
    c.groups
        .iter()
        .map(|(name, codes, r)| GroupReport {
            name: name.clone(),
            units: codes.clone(),
            result: r.clone(),
        })
        .chain(
            c.services
                .iter()
                .map(|(service, unit_code, r)| GroupReport {
                    name: format!(
                        "{}: {unit_code} · {} — {}",
                        t(lang, "surveys.by_service"),
                        service.code,
                        service.name
                    ),
                    units: vec![unit_code.clone()],
                    result: r.clone(),
                }),
        )
        .collect()
}

/// A response channel by its title ("Phiếu giấy" for `paper`); a channel the import named
/// otherwise shows as written.
pub(super) fn channel_title(lang: Lang, channel: &surveys::Channel) -> String {
    match channel {
        surveys::Channel::Other(name) => {
            i18n::lookup(lang, &format!("surveys.channel_title.{name}"))
                .map(str::to_string)
                .unwrap_or_else(|| name.clone())
        }
        known => i18n::text(lang, &format!("surveys.channel_title.{}", known.as_str())).to_string(),
    }
}
