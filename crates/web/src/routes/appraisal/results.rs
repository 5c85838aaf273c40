use super::*;
use crate::app::results::ranking::{self, GroupExtras};
use crate::extract::PathId;
use chiso_domain::components::Component;
use chiso_store::assessments::{PublishedGroup, PublishedUnit};

// ── Results (/dot-danh-gia/{id}/ket-qua) ────────────────────────────────────────────────────

// The index chart: horizontal bars drawn as inline SVG by the shared chart module.
pub use crate::charts::{Bar, Chart};
use crate::tile_map::{TileInput, TileMap};

/// A unit's line of the ranking.
pub struct ResultRow {
    pub rank: u32,
    /// The unit's page in these results.
    pub href: String,
    pub code: String,
    pub name: String,
    pub points: String,
    pub index: String,
    pub classification: String,
    pub band: usize,
    /// Per area: points and rank.
    pub areas: Vec<(String, u32)>,
    /// The note of a never-submitted unit ranked with 0 points (empty otherwise).
    pub note: &'static str,
    /// The unit's id, to join what the page adds to the snapshot.
    pub unit_id: i64,
    /// Per component: points and rank.
    pub components: Vec<(String, u32)>,
    /// Against the previous campaign: the index change, the places gained ("+2", "−1"), the
    /// direction for colour (`up`, `down`, `same`, empty when not compared) and whether the
    /// comparison is an estimate (through a merger).
    pub index_change: String,
    pub rank_change: String,
    pub direction: &'static str,
    pub estimate: bool,
}

/// The ranking of one group of units.
pub struct GroupView {
    /// For element ids: the group's name in letters, digits and dashes.
    pub key: String,
    pub label: String,
    pub framework_title: String,
    pub sample: bool,
    pub max: String,
    pub areas: Vec<(String, String)>,
    pub rows: Vec<ResultRow>,
    pub chart: Chart,
    /// A tile map of the country when the group's units are provinces.
    pub map: Option<TileMap>,
    /// Units left out of the ranking at finalize: (code, name, note).
    pub excluded: Vec<(String, String, &'static str)>,
    /// The components' names with their maxima, in column order.
    pub components: Vec<(String, String)>,
    /// The group's average points per area, then the average index.
    pub averages: Vec<String>,
    pub average_index: String,
    /// Units per classification, best first: (label, count, band).
    pub distribution: crate::charts::Distribution,
    /// Whether the rows carry a change against a previous campaign.
    pub compared: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "appraisal/results.html")]
pub struct ResultsPage {
    pub(super) page: Page,
    pub(super) campaign: CampaignRow,
    pub(super) state_label: &'static str,
    /// `published`, `preview` (finalized, staff only) or `none` (not finalized yet).
    pub(super) mode: &'static str,
    pub(super) published: String,
    pub(super) groups: Vec<GroupView>,
    /// Band labels with their minimum, best first.
    pub(super) bands: Vec<(String, String)>,
    pub(super) xlsx_href: String,
    /// The campaign the changes are measured against.
    pub(super) previous: Option<String>,
    /// Whether the reader may issue the results announcement (published, staff).
    pub(super) may_announce: bool,
}

/// The results a user may see for a campaign: after publication the frozen snapshot, for
/// everyone signed in; before it, for the secretariat and the administrator only, a preview
/// computed from the final points once the campaign is finalized (`None` before that).
pub(crate) async fn visible_results(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> AppResult<(CampaignRow, Option<(PublishedResults, bool)>)> {
    let db = &state.db;
    let campaign = campaigns::get(db, id).await?;
    let staff = is_staff(principal);
    match campaign.state() {
        CampaignState::Published => {
            let results = assessments::published_results(db, id).await?;
            Ok((campaign, results.map(|r| (r, true))))
        }
        _ if !staff => Err(AppError::Forbidden),
        CampaignState::Finalized => {
            let results =
                assessments::compute_results(db, &campaign, &principal.user.full_name).await?;
            Ok((campaign, Some((results, false))))
        }
        _ => Ok((campaign, None)),
    }
}

pub(super) fn band_of(bands: &Option<Bands>, label: &str) -> usize {
    bands
        .as_ref()
        .map_or(0, |b| crate::routes::results::band_of(b, label))
}

pub(crate) fn slug(text: &str) -> String {
    let slug: String = fold(text)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if slug.is_empty() {
        "group".into()
    } else {
        slug
    }
}

/// The rounded index people read and rank by (2 decimals, exactly the ranking key).
pub(crate) fn shown_index(hundredths: i64) -> f64 {
    hundredths as f64 / 100.0
}

pub(crate) fn group_views(lang: Lang, results: &PublishedResults) -> Vec<GroupView> {
    let bands = Bands::parse(&results.bands).ok();
    results
        .groups
        .iter()
        .map(|group| {
            let mut view = group_view(lang, results.campaign_id, &bands, group);
            view.map = province_map(lang, results, &bands, group, |unit| {
                format!(
                    "/dot-danh-gia/{}/ket-qua/don-vi/{unit}",
                    results.campaign_id
                )
            });
            view
        })
        .collect()
}

/// The tile map of a group of provinces (docs/method.md §6.7), coloured by classification;
/// `None` for other groups, or when a code is no province of the campaign's year.
pub(crate) fn province_map(
    lang: Lang,
    results: &PublishedResults,
    bands: &Option<Bands>,
    group: &PublishedGroup,
    href: impl Fn(i64) -> String,
) -> Option<TileMap> {
    use chiso_domain::org::OrgKind;
    if OrgKind::parse(&group.unit_group) != Some(OrgKind::Province) || group.units.is_empty() {
        return None;
    }
    let inputs: Vec<TileInput> = group
        .units
        .iter()
        .map(|u| TileInput {
            code: u.unit_code.clone(),
            name: u.unit_name.clone(),
            value: Some(shown_index(u.index_hundredths)),
            class: Some(band_of(bands, &u.classification)),
            href: Some(href(u.unit_id)),
        })
        .collect();
    let classes: Vec<String> = bands
        .as_ref()
        .map(|b| b.bands().iter().map(|b| b.label.clone()).collect())
        .unwrap_or_default();
    let caption = i18n::text(lang, "results.map_caption").to_string();
    TileMap::new(lang, results.year, caption, &inputs, &classes, 2)
}

/// One group of the results: its ranking as rows and bars, its averages, its distribution by
/// classification and the units left out of the ranking.
fn group_view(
    lang: Lang,
    campaign_id: i64,
    bands: &Option<Bands>,
    group: &PublishedGroup,
) -> GroupView {
    let areas: Vec<(String, String)> = group
        .units
        .first()
        .map(|u| {
            u.areas
                .iter()
                .map(|a| (a.code.clone(), a.title.clone()))
                .collect()
        })
        .unwrap_or_default();
    let bars = group
        .units
        .iter()
        .map(|u| crate::charts::BarInput {
            label: format!("{}. {}", u.rank, u.unit_name),
            value: shown_index(u.index_hundredths).clamp(0.0, 100.0),
            band: band_of(bands, &u.classification),
            ci: None,
        })
        .collect::<Vec<_>>();
    GroupView {
        key: slug(&group.unit_group),
        label: group_label(lang, &group.unit_group),
        framework_title: group.framework_title.clone(),
        sample: group.sample,
        max: pts(lang, group.max_points),
        areas,
        rows: group
            .units
            .iter()
            .map(|u| result_row(lang, campaign_id, bands, u))
            .collect(),
        chart: Chart::horizontal(lang, bars, 2),
        map: None,
        components: Vec::new(),
        averages: area_averages(lang, group),
        average_index: i18n::number(
            lang,
            group
                .units
                .iter()
                .map(|u| shown_index(u.index_hundredths))
                .sum::<f64>()
                / group.units.len().max(1) as f64,
            2,
        ),
        distribution: bands
            .as_ref()
            .map(|b| crate::routes::results::distribution(lang, b, group))
            .unwrap_or_else(|| crate::charts::Distribution::new(lang, &[])),
        compared: false,
        excluded: group
            .excluded
            .iter()
            .map(|e| {
                (
                    e.unit_code.clone(),
                    e.unit_name.clone(),
                    i18n::text(lang, excluded_note(e.never_submitted)),
                )
            })
            .collect(),
    }
}

/// A unit's row of the ranking: its rank, points, index, classification and areas.
fn result_row(lang: Lang, campaign_id: i64, bands: &Option<Bands>, u: &PublishedUnit) -> ResultRow {
    ResultRow {
        unit_id: u.unit_id,
        components: Vec::new(),
        index_change: String::new(),
        rank_change: String::new(),
        direction: "",
        estimate: false,
        rank: u.rank,
        href: crate::routes::results::unit_path(campaign_id, u.unit_id),
        code: u.unit_code.clone(),
        name: u.unit_name.clone(),
        points: pts(lang, u.points),
        index: i18n::number(lang, shown_index(u.index_hundredths), 2),
        classification: u.classification.clone(),
        band: band_of(bands, &u.classification),
        areas: u
            .areas
            .iter()
            .map(|a| (pts(lang, a.points), a.rank))
            .collect(),
        note: match u.outcome {
            Some(_) => i18n::text(lang, "appraisal.note_zero"),
            None => "",
        },
    }
}

/// Why a unit is left out of the ranking (docs/method.md §2.5), as a text key.
pub(crate) fn excluded_note(never_submitted: bool) -> &'static str {
    if never_submitted {
        "appraisal.note_not_submitted"
    } else {
        "appraisal.note_not_appraised"
    }
}

/// The group's average points per area, in area order.
fn area_averages(lang: Lang, group: &PublishedGroup) -> Vec<String> {
    let Some(first) = group.units.first() else {
        return Vec::new();
    };
    (0..first.areas.len())
        .map(|i| {
            let total: i64 = group
                .units
                .iter()
                .filter_map(|u| u.areas.get(i))
                .map(|a| a.points.ten_thousandths())
                .sum();
            pts(
                lang,
                Points::from_ten_thousandths(total / group.units.len() as i64),
            )
        })
        .collect()
}

/// A component's name on the page and in the workbook.
pub(crate) fn component_label(lang: Lang, component: &Component) -> String {
    match component {
        Component::Appraised => i18n::text(lang, "results.component_appraised").to_string(),
        Component::Results => i18n::text(lang, "results.component_results").to_string(),
        Component::Impact => i18n::text(lang, "results.component_impact").to_string(),
        Component::Survey(source) if source == "sipas" => {
            i18n::text(lang, "results.component_sipas").to_string()
        }
        Component::Survey(source) if source == "leaders" => {
            i18n::text(lang, "results.component_leaders").to_string()
        }
        Component::Survey(source) => {
            i18n::fill(lang, "results.component_survey", &[("source", source)])
        }
    }
}

/// Adds to each group what the snapshot does not hold: components and their ranks, changes
/// against the previous campaign.
pub(crate) fn explain(
    lang: Lang,
    groups: &mut [GroupView],
    results: &PublishedResults,
    extras: &HashMap<String, GroupExtras>,
) {
    for (view, group) in groups.iter_mut().zip(&results.groups) {
        let Some(extra) = extras.get(&group.unit_group) else {
            continue;
        };
        view.components = extra
            .components
            .iter()
            .map(|(c, max)| (component_label(lang, c), pts(lang, *max)))
            .collect();
        view.compared = !extra.changes.is_empty();
        for row in &mut view.rows {
            if let Some(cells) = extra.cells.get(&row.unit_id) {
                row.components = cells.iter().map(|(p, r)| (pts(lang, *p), *r)).collect();
            }
            if let Some(change) = extra.changes.get(&row.unit_id) {
                row.estimate = change.estimate;
                if let Some(delta) = change.index_change {
                    let text = i18n::number(lang, delta, 2);
                    row.index_change = if delta > 0.0 {
                        format!("+{text}")
                    } else {
                        text
                    };
                    row.direction = match delta.partial_cmp(&0.0) {
                        Some(Ordering::Greater) => "up",
                        Some(Ordering::Less) => "down",
                        _ => "same",
                    };
                }
                if let Some(places) = change.rank_change {
                    row.rank_change = match places.cmp(&0) {
                        Ordering::Greater => format!("▲ {places}"),
                        Ordering::Less => format!("▼ {}", -places),
                        Ordering::Equal => "=".to_string(),
                    };
                }
            }
        }
    }
}

/// The results: per group the ranking (rank, unit, points, index, classification, per-area
/// points and ranks) and a bar chart of the index.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn results(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<ResultsPage> {
    let id = id.get()?;
    let (campaign, results) = visible_results(&state, &principal, id).await?;
    let lang = context.lang;
    let (extras, previous) = match &results {
        Some((r, _)) => ranking::extras(&state, &campaign, r).await?,
        None => (HashMap::new(), None),
    };
    let (mode, published, mut groups, bands) = match &results {
        Some((r, published)) => (
            if *published { "published" } else { "preview" },
            if *published {
                tr(
                    lang,
                    "appraisal.published_detail",
                    &[
                        ("at", &i18n::date_time(r.published_at)),
                        ("by", &r.published_by),
                    ],
                )
            } else {
                String::new()
            },
            group_views(lang, r),
            Bands::parse(&r.bands)
                .map(|b| {
                    b.bands()
                        .iter()
                        .map(|band| (band.label.clone(), i18n::number(lang, band.min, 0)))
                        .collect()
                })
                .unwrap_or_default(),
        ),
        None => ("none", String::new(), Vec::new(), Vec::new()),
    };
    if let Some((r, _)) = &results {
        explain(lang, &mut groups, r, &extras);
    }
    let mut page = Page::new(&context, "appraisal.results_title");
    page.title = format!("{} – {}", page.title, campaign.title);
    Ok(ResultsPage {
        page,
        previous: previous.map(|c| c.title),
        state_label: state_label(lang, campaign.state()),
        mode,
        published,
        groups,
        bands,
        xlsx_href: format!("/dot-danh-gia/{id}/ket-qua.xlsx"),
        may_announce: mode == "published" && crate::routes::reports::may_announce(&principal),
        campaign,
    })
}

/// The results as .xlsx in the published layout (docs/formats.md §12.1): a ranking sheet
/// per group under a title block, then the information sheet.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn results_xlsx(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
) -> AppResult<Response> {
    let id = id.get()?;
    let (campaign, results) = visible_results(&state, &principal, id).await?;
    let Some((results, published)) = results else {
        return Err(AppError::NotFound);
    };
    let (extras, previous) = ranking::extras(&state, &campaign, &results).await?;
    let book = crate::workbooks::results::ResultsBook {
        authority: &state.config.authority_name,
        results: &results,
        published,
        extras: &extras,
        previous: previous.as_ref().map(|c| c.title.as_str()),
        today: state.clock.today(),
    };
    let body = book.write().map_err(xlsx_error)?;
    Ok(download(XLSX, format!("ket-qua-dot-{id}.xlsx"), body))
}
