use super::*;
use crate::app::results::ranking::{self, GroupExtras};
use crate::extract::PathId;
use chiso_domain::components::Component;
use chiso_store::assessments::{PublishedGroup, PublishedUnit};

// ── Results (/dot-danh-gia/{id}/ket-qua) ────────────────────────────────────────────────────

// The index chart: horizontal bars drawn as inline SVG by the shared chart module.
pub use crate::charts::{Bar, Chart};

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
    /// Units left out of the ranking at finalize: (code, name, note).
    pub excluded: Vec<(String, String, &'static str)>,
    /// The components' names with their maxima, in column order.
    pub components: Vec<(String, String)>,
    /// The group's average points per area, then the average index.
    pub averages: Vec<String>,
    pub average_index: String,
    /// Units per classification, best first: (label, count, band).
    pub distribution: Vec<(String, usize, usize)>,
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
        .map(|group| group_view(lang, results.campaign_id, &bands, group))
        .collect()
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
            .map(|b| crate::routes::results::distribution(b, group))
            .unwrap_or_default(),
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
fn excluded_note(never_submitted: bool) -> &'static str {
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

/// A component's name on the page.
fn component_label(lang: Lang, component: &Component) -> String {
    match component {
        Component::Appraised => i18n::text(lang, "results.component_appraised").to_string(),
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

/// An .xlsx sheet name: at most 31 characters, none of `[]:*?/\`.
pub(super) fn sheet_name(text: &str) -> String {
    text.chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect()
}

pub(super) fn write_results(
    workbook: &mut Workbook,
    results: &PublishedResults,
    published: bool,
) -> Result<(), XlsxError> {
    write_facts(workbook, results, published)?;
    for group in &results.groups {
        write_ranking(workbook, group)?;
    }
    Ok(())
}

/// The information sheet: the campaign, its state, its bands and how it ranks.
fn write_facts(
    workbook: &mut Workbook,
    results: &PublishedResults,
    published: bool,
) -> Result<(), XlsxError> {
    let header = bold();
    let info = workbook.add_worksheet();
    info.set_name("Thông tin")?;
    let facts = [
        ("Đợt đánh giá", results.title.clone()),
        ("Năm", results.year.to_string()),
        (
            "Trạng thái",
            if published {
                format!(
                    "Đã công bố lúc {} bởi {}",
                    i18n::date_time(results.published_at),
                    results.published_by
                )
            } else {
                "Xem trước (đã chốt, chưa công bố)".to_string()
            },
        ),
        ("Xếp loại", results.bands.clone()),
        (
            "Cách xếp hạng",
            "Theo chỉ số làm tròn 2 chữ số thập phân, giảm dần; bằng nhau thì đồng hạng và hạng sau bỏ qua (1, 2, 2, 4).".to_string(),
        ),
    ];
    for (r, (label, value)) in facts.iter().enumerate() {
        info.write_string_with_format(r as u32, 0, *label, &header)?;
        info.write_string(r as u32, 1, value)?;
    }
    info.set_column_width(0, 20)?;
    info.set_column_width(1, 90)?;
    Ok(())
}

/// One group's ranking sheet: a row per unit with its areas, then the units left out.
fn write_ranking(workbook: &mut Workbook, group: &PublishedGroup) -> Result<(), XlsxError> {
    let header = bold();
    let two = Format::new().set_num_format("0.00");
    let four = Format::new().set_num_format("0.####");
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(&format!(
        "Xếp hạng {}",
        group_label(Lang::Vi, &group.unit_group)
    )))?;
    let mut titles: Vec<String> = [
        "Hạng",
        "Mã đơn vị",
        "Tên đơn vị",
        "Điểm",
        "Chỉ số",
        "Xếp loại",
    ]
    .iter()
    .map(|t| t.to_string())
    .collect();
    let areas: Vec<&str> = group
        .units
        .first()
        .map(|u| u.areas.iter().map(|a| a.code.as_str()).collect())
        .unwrap_or_default();
    for code in &areas {
        titles.push(format!("Lĩnh vực {code} – điểm"));
        titles.push(format!("Lĩnh vực {code} – hạng"));
    }
    for (c, title) in titles.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, title, &header)?;
    }
    for (r, unit) in group.units.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_number(r, 0, f64::from(unit.rank))?;
        sheet.write_string(r, 1, &unit.unit_code)?;
        sheet.write_string(r, 2, &unit.unit_name)?;
        sheet.write_number_with_format(r, 3, unit.points.to_f64(), &four)?;
        sheet.write_number_with_format(r, 4, shown_index(unit.index_hundredths), &two)?;
        sheet.write_string(r, 5, &unit.classification)?;
        for (i, area) in unit.areas.iter().enumerate() {
            let c = 6 + 2 * i as u16;
            sheet.write_number_with_format(r, c, area.points.to_f64(), &four)?;
            sheet.write_number(r, c + 1, f64::from(area.rank))?;
        }
    }
    // The units left out of the ranking follow it, each with why (docs/method.md §2.5): a
    // file that lists only the ranked units would hide the missing work.
    if !group.excluded.is_empty() {
        let start = group.units.len() as u32 + 2;
        sheet.write_string_with_format(start, 0, "Đơn vị không xếp hạng", &header)?;
        for (i, left_out) in group.excluded.iter().enumerate() {
            let r = start + 1 + i as u32;
            sheet.write_string(r, 1, &left_out.unit_code)?;
            sheet.write_string(r, 2, &left_out.unit_name)?;
            sheet.write_string(
                r,
                3,
                i18n::text(Lang::Vi, excluded_note(left_out.never_submitted)),
            )?;
        }
    }
    sheet.set_column_width(2, 36)?;
    sheet.set_freeze_panes(1, 3)?;
    crate::downloads::for_print(sheet)?;
    Ok(())
}

/// The results as .xlsx: an information sheet and one ranking sheet per group.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn results_xlsx(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
) -> AppResult<Response> {
    let id = id.get()?;
    let (_, results) = visible_results(&state, &principal, id).await?;
    let Some((results, published)) = results else {
        return Err(AppError::NotFound);
    };
    let mut workbook = Workbook::new();
    write_results(&mut workbook, &results, published).map_err(xlsx_error)?;
    let body = workbook.save_to_buffer().map_err(xlsx_error)?;
    Ok(download(XLSX, format!("ket-qua-dot-{id}.xlsx"), body))
}
