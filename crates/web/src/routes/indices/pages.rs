//! The national indices' list (`GET /chi-so-quoc-gia`) and an index's year
//! (`GET /chi-so-quoc-gia/{index}/{year}`; `/chi-so-quoc-gia/{index}` goes to the latest
//! year): the ranking with groups and regional ranks, sortable and filterable; the averages;
//! the configured province's position, weakest dimensions and trend across the 2025 merger;
//! the tile map by group. Every signed-in role reads them: they are published figures. The
//! figures and rules are the application layer's (`app::indices`); here they are written in
//! the reader's language.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chiso_domain::indices::{Grouping, Structure, hundredths};
use chiso_store::indices as store;

use super::shared::{
    TrendView, WeightingForm, WeightingQuery, configured_province, decimals, figure,
    figure_or_dash, group_label, group_legend, index_name, populations, rank_of, trend_view,
    weighting_form,
};
use crate::app::indices::standing::{
    self, Gap, Group, IndexYear, ItemStanding, Position, reference,
};
use crate::app::indices::trend;
use crate::auth::Auth;
use crate::error::{AppError, AppResult};
use crate::extract::{PathId, Query};
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::tile_map::{TileInput, TileMap};
use crate::views::Page;

pub(crate) use crate::paths::index_year as year_path;

// ── The list ────────────────────────────────────────────────────────────────────────────────

pub struct ListLine {
    pub name: String,
    pub publisher: String,
    pub ministries: bool,
    pub years: Vec<(i32, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "indices/list.html")]
pub struct ListPage {
    page: Page,
    lines: Vec<ListLine>,
    province: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    Auth(_principal, context): Auth,
) -> AppResult<ListPage> {
    let lang = context.lang;
    let reference = reference();
    let years = store::all_current_years(&state.db).await?;
    let lines = reference
        .catalogue
        .indices()
        .into_iter()
        .map(|index| {
            let latest = index.structures.last().copied();
            ListLine {
                name: index_name(lang, index.id, latest),
                publisher: latest.map(|s| s.publisher.clone()).unwrap_or_default(),
                ministries: latest
                    .is_some_and(|s| s.units == chiso_domain::indices::UnitScope::Ministry),
                years: years
                    .iter()
                    .filter(|v| v.index_id == index.id)
                    .map(|v| (v.year as i32, year_path(index.id, v.year as i32)))
                    .collect(),
            }
        })
        .collect();
    Ok(ListPage {
        page: Page::new(&context, "national.list_title"),
        lines,
        province: configured_province(&state).map(|p| p.name),
    })
}

/// The latest year of an index in force.
#[tracing::instrument(skip_all)]
pub async fn latest(
    State(state): State<AppState>,
    Auth(_principal, _context): Auth,
    index: PathId<String>,
) -> AppResult<Response> {
    let index = index.get()?;
    if !reference().catalogue.knows(&index) {
        return Err(AppError::NotFound);
    }
    let years = store::current_years(&state.db, &index).await?;
    let latest = years.last().ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&year_path(&index, latest.year as i32)).into_response())
}

// ── An index's year ─────────────────────────────────────────────────────────────────────────

pub struct RowView {
    pub code: String,
    pub name: String,
    pub region: String,
    pub rank: String,
    pub rank_published: bool,
    pub regional: String,
    pub group: String,
    pub class: usize,
    pub total: String,
    pub cells: Vec<String>,
    pub is_province: bool,
}

pub struct AverageView {
    pub label: String,
    pub total: String,
    pub units: usize,
    pub cells: Vec<String>,
}

pub struct ItemView {
    pub title: String,
    pub value: String,
    pub max: String,
    pub share: String,
    pub rank: String,
}

pub struct PositionView {
    pub name: String,
    pub total: String,
    pub rank: String,
    pub group: String,
    pub class: usize,
    pub regional: String,
    pub top10: String,
    pub region: String,
    pub dimensions: Vec<ItemView>,
    pub subs: Vec<ItemView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "indices/year.html")]
pub struct YearPage {
    page: Page,
    heading: String,
    structure_title: String,
    index: String,
    year: i32,
    source: String,
    years: Vec<(i32, String, bool)>,
    complete: bool,
    partial_note: String,
    legend: Vec<(usize, String)>,
    unverified: Vec<String>,
    columns: Vec<(String, String)>,
    rows: Vec<RowView>,
    no_data: Vec<(String, String)>,
    averages: Vec<AverageView>,
    published: Vec<String>,
    positions: Vec<PositionView>,
    map: Option<TileMap>,
    trend: Option<TrendView>,
    weighting: Option<WeightingForm>,
    provinces: bool,
}

/// An index's year.
#[tracing::instrument(skip_all)]
pub async fn year(
    State(state): State<AppState>,
    Auth(_principal, context): Auth,
    ids: PathId<(String, i32)>,
    Query(query): Query<WeightingQuery>,
) -> AppResult<YearPage> {
    let (index, year) = ids.get()?;
    let lang = context.lang;
    let province = configured_province(&state);
    let view = standing::index_year(&state.db, &index, year, province.as_ref()).await?;
    let decimals = decimals(&view.structure);
    let name = index_name(lang, &index, Some(&view.structure));
    let weighting = query.choice(&state);
    let provinces = view.structure.units == chiso_domain::indices::UnitScope::Province;
    let trend = match (&province, provinces) {
        (Some(province), true) => {
            let history = store::history_of_units(&state.db, &province.codes()).await?;
            let rows: Vec<&store::HistoryValue> =
                history.iter().filter(|r| r.index_id == index).collect();
            let populations = populations(&state);
            let trend = trend::build(
                reference(),
                province,
                &rows,
                weighting,
                populations.as_deref(),
            );
            trend_view(lang, &name, province, &trend, decimals)
        }
        _ => None,
    };
    let mut page = Page::new(&context, "national.year_title");
    page.title = format!("{name} {year}");
    Ok(YearPage {
        page,
        heading: format!("{name} {year}"),
        structure_title: match lang {
            Lang::Vi => view.structure.title.clone(),
            Lang::En => view.structure.title_en.clone(),
        },
        source: source_line(lang, &view),
        years: view
            .years
            .iter()
            .map(|y| (*y, year_path(&index, *y), *y == year))
            .collect(),
        complete: view.complete,
        partial_note: i18n::fill(
            lang,
            "national.partial_note",
            &[
                ("year", &year),
                ("n", &view.units.len()),
                ("of", &reference().roster.for_year(year).len()),
            ],
        ),
        legend: if view.complete {
            group_legend(lang, &view.structure)
        } else {
            Vec::new()
        },
        unverified: unverified_notes(lang, &view.structure),
        columns: columns(lang, &view.structure),
        rows: rows(lang, &view, decimals),
        no_data: view
            .without_result
            .iter()
            .map(|p| (p.code.clone(), p.name.clone()))
            .collect(),
        averages: averages(lang, &view, decimals),
        published: view
            .published
            .iter()
            .map(|s| format!("{}: {}", s.name, figure(lang, s.value, decimals)))
            .collect(),
        positions: view
            .positions
            .iter()
            .map(|p| position_view(lang, &view, p, decimals))
            .collect(),
        map: tile_map(lang, &view, &name, decimals),
        weighting: province
            .as_ref()
            .filter(|p| p.merged() && trend.is_some())
            .map(|_| weighting_form(lang, year_path(&index, year), weighting)),
        trend,
        provinces,
        index,
        year,
    })
}

/// Where the year's figures come from.
fn source_line(lang: Lang, view: &IndexYear) -> String {
    let v = &view.version;
    // The bundled figures (docs/method.md §8) are the first import of a fresh database.
    if v.file_name == "data/published" {
        return i18n::text(lang, "national.source_bundled").to_string();
    }
    let parts: Vec<String> = [
        v.document.clone(),
        v.publisher.clone(),
        v.published_on.map(i18n::date),
        v.url.clone(),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.trim().is_empty())
    .collect();
    i18n::fill(
        lang,
        "national.source",
        &[
            (
                "source",
                &if parts.is_empty() {
                    v.file_name.clone()
                } else {
                    parts.join("; ")
                },
            ),
            ("at", &i18n::date_time(v.imported_at)),
        ],
    )
}

/// Unverified maxima, wording and bands, said once.
fn unverified_notes(lang: Lang, structure: &Structure) -> Vec<String> {
    let mut notes = Vec::new();
    if structure.scale.unverified || structure.items().any(|d| d.unverified) {
        notes.push(i18n::text(lang, "national.unverified_items").to_string());
    }
    if matches!(
        structure.grouping,
        Grouping::Bands {
            unverified: true,
            ..
        }
    ) {
        notes.push(i18n::text(lang, "national.unverified_bands").to_string());
    }
    notes
}

fn item_title(lang: Lang, item: &chiso_domain::indices::Dimension) -> String {
    match lang {
        Lang::Vi => item.title.clone(),
        Lang::En => item.title_en.clone(),
    }
}

/// The dimension and component columns: (number, title). A code that numbers an item (`1`,
/// `2.3`) is shown before its title; a component's code (`appraised`) is not: titles, not codes.
fn columns(lang: Lang, structure: &Structure) -> Vec<(String, String)> {
    structure
        .dimensions
        .iter()
        .chain(&structure.components)
        .map(|d| {
            let numbered = d.code.chars().all(|c| c.is_ascii_digit() || c == '.');
            let number = if numbered {
                d.code.clone()
            } else {
                String::new()
            };
            (number, item_title(lang, d))
        })
        .collect()
}

/// The codes of the columns after the total: the dimensions, then the components.
fn column_codes(view: &IndexYear) -> Vec<&str> {
    view.structure
        .dimensions
        .iter()
        .chain(&view.structure.components)
        .map(|d| d.code.as_str())
        .collect()
}

fn rows(lang: Lang, view: &IndexYear, decimals: usize) -> Vec<RowView> {
    let codes = column_codes(view);
    let mut rows: Vec<RowView> = view
        .units
        .iter()
        .map(|line| RowView {
            code: line.code.clone(),
            name: line.name.clone(),
            region: line.region.clone().unwrap_or_default(),
            rank: line
                .rank
                .map(|r| r.to_string())
                .unwrap_or_else(|| "—".into()),
            rank_published: line.rank_published,
            regional: line
                .regional_rank
                .map(|(r, of)| format!("{r}/{of}"))
                .unwrap_or_default(),
            group: line
                .group
                .as_ref()
                .map(|g| group_label(lang, g))
                .unwrap_or_default(),
            class: line.group.as_ref().map_or(0, Group::class),
            total: figure_or_dash(lang, line.total, decimals),
            cells: codes
                .iter()
                .map(|c| {
                    line.values
                        .get(*c)
                        .map(|v| {
                            let rank = line.dimension_ranks.get(*c);
                            match rank {
                                Some(r) => format!("{} ({r})", figure(lang, *v, decimals)),
                                None => figure(lang, *v, decimals),
                            }
                        })
                        .unwrap_or_default()
                })
                .collect(),
            is_province: line.is_province,
        })
        .collect();
    let no_data = i18n::text(lang, "national.no_data");
    rows.extend(view.without_result.iter().map(|p| {
        RowView {
            code: p.code.clone(),
            name: p.name.clone(),
            region: reference()
                .region(view.year, &p.code)
                .unwrap_or_default()
                .to_string(),
            rank: "—".into(),
            rank_published: false,
            regional: String::new(),
            group: String::new(),
            class: 0,
            total: no_data.to_string(),
            cells: codes.iter().map(|_| String::new()).collect(),
            is_province: false,
        }
    }));
    rows
}

fn averages(lang: Lang, view: &IndexYear, decimals: usize) -> Vec<AverageView> {
    let codes = column_codes(view);
    view.national
        .iter()
        .chain(&view.regions)
        .map(|a| AverageView {
            label: match &a.region {
                Some(region) => region.clone(),
                None => i18n::text(lang, "national.national_average").to_string(),
            },
            total: figure(lang, a.total, decimals),
            units: a.units,
            cells: codes
                .iter()
                .map(|c| {
                    a.dimensions
                        .get(*c)
                        .map(|v| figure(lang, *v, decimals))
                        .unwrap_or_default()
                })
                .collect(),
        })
        .collect()
}

fn gap_text(
    lang: Lang,
    gap: Option<&Gap>,
    ahead_key: &str,
    behind_key: &str,
    decimals: usize,
) -> String {
    let Some(gap) = gap else {
        return String::new();
    };
    i18n::fill(
        lang,
        if gap.ahead { ahead_key } else { behind_key },
        &[
            ("points", &figure(lang, gap.points, decimals)),
            ("name", &gap.name),
            ("total", &figure(lang, gap.total, decimals)),
        ],
    )
}

fn item_view(lang: Lang, structure: &Structure, item: &ItemStanding, decimals: usize) -> ItemView {
    let title = match &item.parent {
        Some(parent) => {
            let parent = structure
                .item(parent)
                .map(|d| item_title(lang, d))
                .unwrap_or_default();
            format!("{} — {}", item_title(lang, &item.item), parent)
        }
        None => item_title(lang, &item.item),
    };
    ItemView {
        title,
        value: figure(lang, item.value, decimals),
        max: item
            .item
            .max
            .map(|m| figure(lang, m, decimals))
            .unwrap_or_default(),
        share: item
            .share
            .map(|s| format!("{} %", i18n::number(lang, s, 1)))
            .unwrap_or_default(),
        rank: item
            .rank
            .map(|r| format!("{r}/{}", item.of))
            .unwrap_or_default(),
    }
}

fn position_view(lang: Lang, view: &IndexYear, p: &Position, decimals: usize) -> PositionView {
    let line = &p.line;
    PositionView {
        name: line.name.clone(),
        total: figure_or_dash(lang, line.total, decimals),
        rank: rank_of(line.rank, p.of),
        group: line
            .group
            .as_ref()
            .map(|g| group_label(lang, g))
            .unwrap_or_default(),
        class: line.group.as_ref().map_or(0, Group::class),
        regional: match (&line.region, line.regional_rank) {
            (Some(region), Some((rank, of))) => format!("{rank}/{of} — {region}"),
            _ => String::new(),
        },
        top10: gap_text(
            lang,
            p.top10.as_ref(),
            "national.top10_ahead",
            "national.top10_behind",
            decimals,
        ),
        region: gap_text(
            lang,
            p.region_gap.as_ref(),
            "national.region_ahead",
            "national.region_behind",
            decimals,
        ),
        dimensions: p
            .weakest_dimensions
            .iter()
            .map(|i| item_view(lang, &view.structure, i, decimals))
            .collect(),
        subs: p
            .weakest_subs
            .iter()
            .map(|i| item_view(lang, &view.structure, i, decimals))
            .collect(),
    }
}

/// The provinces by group on the tile map (complete years of a grouped index): each square
/// links to its row of the table.
fn tile_map(lang: Lang, view: &IndexYear, name: &str, decimals: usize) -> Option<TileMap> {
    if !view.complete || view.structure.grouping == Grouping::None {
        return None;
    }
    let mut inputs: Vec<TileInput> = view
        .units
        .iter()
        .map(|l| TileInput {
            code: l.code.clone(),
            name: l.name.clone(),
            value: l.total.map(|t| hundredths(t) as f64 / 100.0),
            class: l.group.as_ref().map(Group::class),
            href: Some(format!("#tinh-{}", l.code)),
        })
        .collect();
    inputs.extend(view.without_result.iter().map(|p| TileInput {
        code: p.code.clone(),
        name: p.name.clone(),
        value: None,
        class: None,
        href: Some(format!("#tinh-{}", p.code)),
    }));
    let classes: Vec<String> = match &view.structure.grouping {
        Grouping::Quartiles => (1..=4u8)
            .map(|n| group_label(lang, &Group::Quartile(n)))
            .collect(),
        Grouping::Bands { bands, .. } => bands
            .iter()
            .map(|b| i18n::fill(lang, "national.band", &[("label", &b.label)]))
            .collect(),
        Grouping::None => Vec::new(),
    };
    TileMap::new(
        lang,
        i64::from(view.year),
        i18n::fill(
            lang,
            "national.map_caption",
            &[("index", &name), ("year", &view.year)],
        ),
        &inputs,
        &classes,
        decimals,
    )
}
